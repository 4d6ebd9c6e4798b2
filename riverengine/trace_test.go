package riverengine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// Under the durable engine every span is ended, and the trace goes on
// across the queue: the publisher's side is an enqueue span, ended once
// the job is inserted; each run of the job, on whichever instance, is a
// delivery span beneath it, with its attempt beneath that.
func TestSpansEndAndCrossTheQueue(t *testing.T) {
	url := needPostgres(t)
	rc := newReceiver(t, 0, func(_, _ string, n int) int {
		if n == 1 {
			return 503
		}
		return 200
	})
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	fast := webhook.RetryPolicy{InitialInterval: webhook.Duration(20 * time.Millisecond), MaxInterval: webhook.Duration(50 * time.Millisecond)}
	_, eng := newPostgresEngine(t, url, riverengine.WithPollInterval(50*time.Millisecond))
	d, err := webhook.New(dispatcherOptions(eng, webhook.WithTracerProvider(tp), webhook.WithRetryPolicy(fast),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: -1}))...)
	require.NoError(t, err)
	_, err = d.Add(hook("hooka", rc.URL))
	require.NoError(t, err)

	ctx, parent := tp.Tracer("test").Start(context.Background(), "publish")
	_, err = d.Publish(ctx, newEvent(t, 1))
	require.NoError(t, err)
	parent.End()
	eventually(t, 10*time.Second, "the delivery", func() bool { _, n := rc.pairs(); return n == 2 })
	closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, d.Close(closeCtx))

	byName := map[string][]sdktrace.ReadOnlySpan{}
	for _, s := range sr.Started() {
		require.False(t, s.EndTime().IsZero(), "span %q was never ended", s.Name())
		require.Equal(t, parent.SpanContext().TraceID(), s.SpanContext().TraceID(), "span %q is in the publisher's trace", s.Name())
		byName[s.Name()] = append(byName[s.Name()], s)
	}
	require.Len(t, sr.Ended(), len(sr.Started()))
	require.Len(t, byName["webhook.enqueue"], 1)
	enqueue := byName["webhook.enqueue"][0]
	require.Equal(t, parent.SpanContext().SpanID(), enqueue.Parent().SpanID())
	require.Len(t, byName["webhook.delivery"], 2, "one span per run: the failed attempt and the retry")
	for _, run := range byName["webhook.delivery"] {
		require.Equal(t, enqueue.SpanContext().SpanID(), run.Parent().SpanID())
	}
	require.Len(t, byName["POST"], 2)
}
