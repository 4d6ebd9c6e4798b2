package webhook_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

func attrs(kvs []attribute.KeyValue) map[string]string {
	out := map[string]string{}
	for _, kv := range kvs {
		out[string(kv.Key)] = kv.Value.String()
	}
	return out
}

func TestSpansMetricsAndPropagation(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	d, invs := newDispatcher(t,
		webhook.WithTracerProvider(tp), webhook.WithMeterProvider(mp),
		webhook.WithTracePropagation(propagation.TraceContext{}),
	)
	w := torqLike(rc.URL + "/hook?token=s3cr3t")
	_, err := d.Add(w)
	require.NoError(t, err)

	ctx, parent := tp.Tracer("test").Start(context.Background(), "publish")
	_, err = d.Publish(ctx, mock(t, accessrequest.Created))
	require.NoError(t, err)
	parent.End()
	require.Equal(t, webhook.Delivered, waitFinal(t, invs, 1)[0].Outcome)

	// One delivery span under the publisher's, two attempt spans under it.
	byName := map[string][]tracetest.SpanStub{}
	for _, s := range spans.GetSpans() {
		byName[s.Name] = append(byName[s.Name], s)
	}
	require.Len(t, byName["webhook.delivery"], 1)
	delivery := byName["webhook.delivery"][0]
	require.Equal(t, parent.SpanContext().SpanID(), delivery.Parent.SpanID())
	require.Equal(t, "delivered", attrs(delivery.Attributes)["outhook.outcome"])
	require.Len(t, byName["POST"], 2)
	first, second := byName["POST"][0], byName["POST"][1]
	for _, s := range byName["POST"] {
		require.Equal(t, trace.SpanKindClient, s.SpanKind)
		require.Equal(t, delivery.SpanContext.SpanID(), s.Parent.SpanID())
		a := attrs(s.Attributes)
		require.Equal(t, "POST", a["http.request.method"])
		require.Equal(t, "127.0.0.1", a["server.address"])
		require.NotContains(t, a["url.full"], "s3cr3t", "the URL is redacted")
	}
	require.Equal(t, "503", attrs(first.Attributes)["http.response.status_code"])
	require.Equal(t, "503", attrs(first.Attributes)["error.type"])
	require.Equal(t, codes.Error, first.Status.Code)
	require.Equal(t, "200", attrs(second.Attributes)["http.response.status_code"])
	require.Equal(t, "1", attrs(second.Attributes)["http.request.resend_count"])

	// The receiver got each attempt's trace context.
	got := rc.got()
	require.Len(t, got, 2)
	for i, r := range got {
		sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), propagation.HeaderCarrier(r.header)))
		require.Equal(t, byName["POST"][i].SpanContext.SpanID(), sc.SpanID())
		require.Equal(t, parent.SpanContext().TraceID(), sc.TraceID())
	}

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	metrics := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			metrics[m.Name] = m
		}
	}
	deliveries := metrics["outhook.deliveries"].Data.(metricdata.Sum[int64])
	require.Len(t, deliveries.DataPoints, 1)
	require.Equal(t, int64(1), deliveries.DataPoints[0].Value)
	outcome, _ := deliveries.DataPoints[0].Attributes.Value("outhook.outcome")
	require.Equal(t, "delivered", outcome.AsString())

	attempts := metrics["outhook.attempts"].Data.(metricdata.Sum[int64])
	var total int64
	for _, dp := range attempts.DataPoints {
		total += dp.Value
	}
	require.Equal(t, int64(2), total)
	hist := metrics["outhook.attempt.duration"].Data.(metricdata.Histogram[float64])
	var count uint64
	for _, dp := range hist.DataPoints {
		count += dp.Count
	}
	require.Equal(t, uint64(2), count)
	require.Contains(t, metrics, "outhook.queue.oldest_age")
	// The worker lets go of the delivery just after recording it.
	require.Eventually(t, func() bool {
		var rm metricdata.ResourceMetrics
		require.NoError(t, reader.Collect(context.Background(), &rm))
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name == "outhook.queue.depth" {
					dps := m.Data.(metricdata.Gauge[int64]).DataPoints
					return len(dps) == 1 && dps[0].Value == 0
				}
			}
		}
		return false
	}, 5*time.Second, 5*time.Millisecond, "nothing left in the queue")
}

func TestNoPropagationByDefault(t *testing.T) {
	rc := newReceiver(t, nil)
	tp := sdktrace.NewTracerProvider()
	d, invs := newDispatcher(t, webhook.WithTracerProvider(tp))
	_, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	ctx, span := tp.Tracer("test").Start(context.Background(), "publish")
	defer span.End()
	_, err = d.Publish(ctx, mock(t, accessrequest.Created))
	require.NoError(t, err)
	waitFinal(t, invs, 1)
	require.Empty(t, rc.got()[0].header.Get("Traceparent"))
}
