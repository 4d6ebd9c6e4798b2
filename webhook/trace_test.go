package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/webhook"
)

// requireTrace checks that every span started was ended and belongs to
// the publisher's trace, and returns the spans by name.
func requireTrace(t *testing.T, sr *tracetest.SpanRecorder, publisher trace.SpanContext) map[string][]sdktrace.ReadOnlySpan {
	t.Helper()
	byName := map[string][]sdktrace.ReadOnlySpan{}
	for _, s := range sr.Started() {
		require.False(t, s.EndTime().IsZero(), "span %q was never ended", s.Name())
		require.Equal(t, publisher.TraceID(), s.SpanContext().TraceID(), "span %q is in the publisher's trace", s.Name())
		byName[s.Name()] = append(byName[s.Name()], s)
	}
	require.Len(t, sr.Ended(), len(sr.Started()))
	return byName
}

// flaky answers 503 to its first request and 200 after.
func flaky(n int, w http.ResponseWriter, _ *http.Request) {
	if n == 1 {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// With the in-memory engine a delivery is one span from Publish to its
// outcome, beneath the publisher's, with its attempts beneath it.
func TestSpansEndInMemory(t *testing.T) {
	rc := newReceiver(t, flaky)
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	d, invs := newDispatcher(t, webhook.WithTracerProvider(tp))
	_, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	ctx, parent := tp.Tracer("test").Start(context.Background(), "publish")
	_, err = d.Publish(ctx, mock(t, accessrequest.Created))
	require.NoError(t, err)
	parent.End()
	require.Equal(t, webhook.Delivered, waitFinal(t, invs, 1)[0].Outcome)

	spans := requireTrace(t, sr, parent.SpanContext())
	require.Len(t, spans["webhook.delivery"], 1)
	require.Len(t, spans["POST"], 2)
}

// queueEngine stands for a durable engine: it keeps only a delivery's
// exported fields, as a database row would, and makes each attempt on a
// Delivery rebuilt from them.
type queueEngine struct {
	runner engine.Runner
	queued []engine.Delivery
}

func (e *queueEngine) Start(r engine.Runner) error { e.runner = r; return nil }
func (e *queueEngine) Enqueue(_ context.Context, _ engine.Tx, batch []*engine.Delivery) error {
	for _, d := range batch {
		e.queued = append(e.queued, engine.Delivery{ID: d.ID, WebhookID: d.WebhookID, Event: d.Event, Created: d.Created, TraceContext: d.TraceContext})
	}
	return nil
}
func (e *queueEngine) Stats(context.Context) (engine.Stats, error) { return engine.Stats{}, nil }
func (e *queueEngine) Close(context.Context) error                 { return nil }

// run makes the attempts of the queued deliveries, each on a Delivery of
// its own, until they end.
func (e *queueEngine) run(ctx context.Context) {
	for _, q := range e.queued {
		for attempts := 0; ; {
			del := q
			del.Attempts = attempts
			if e.runner.Run(ctx, &del).Outcome == engine.Done {
				break
			}
			attempts = del.Attempts
		}
	}
}

// queued is a Dispatcher on a queueEngine, traced, that has published one
// event to its one webhook beneath the span parent.
type queued struct {
	sr     *tracetest.SpanRecorder
	eng    *queueEngine
	d      *webhook.Dispatcher
	w      webhook.Webhook
	invs   chan webhook.Invocation
	parent trace.Span
}

func publishQueued(t *testing.T, url string) queued {
	t.Helper()
	q := queued{sr: tracetest.NewSpanRecorder(), eng: &queueEngine{}}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(q.sr))
	q.d, q.invs = newDispatcher(t, webhook.WithTracerProvider(tp), webhook.WithEngine(q.eng))
	var err error
	q.w, err = q.d.Add(torqLike(url))
	require.NoError(t, err)
	var ctx context.Context
	ctx, q.parent = tp.Tracer("test").Start(context.Background(), "publish")
	_, err = q.d.Publish(ctx, mock(t, accessrequest.Created))
	require.NoError(t, err)
	q.parent.End()
	return q
}

// With an engine that keeps deliveries outside memory, the publisher's
// side is an enqueue span, ended once the delivery is queued, and each run
// of the delivery is a span of its own beneath it, ended with the run.
func TestSpansEndAcrossAQueue(t *testing.T) {
	rc := newReceiver(t, flaky)
	q := publishQueued(t, rc.URL)
	q.eng.run(context.Background())
	require.Equal(t, webhook.Delivered, waitFinal(t, q.invs, 1)[0].Outcome)

	spans := requireTrace(t, q.sr, q.parent.SpanContext())
	require.Len(t, spans["webhook.enqueue"], 1)
	enqueue := spans["webhook.enqueue"][0]
	require.Equal(t, q.parent.SpanContext().SpanID(), enqueue.Parent().SpanID())
	require.Len(t, spans["webhook.delivery"], 2, "one span per run")
	for _, run := range spans["webhook.delivery"] {
		require.Equal(t, enqueue.SpanContext().SpanID(), run.Parent().SpanID(), "a run's span is beneath the enqueue span")
	}
	require.Len(t, spans["POST"], 2)
}

// A run that only waits, for an open breaker or the rate limit, makes no
// span: a backlog held by an open breaker looks again at every cool-down,
// and would make a span per delivery per look.
func TestHeldRunsMakeNoSpans(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	eng := &queueEngine{}
	d, invs := newDispatcher(t, webhook.WithTracerProvider(tp), webhook.WithEngine(eng),
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}), webhook.WithBreaker(webhook.BreakerSettings{Threshold: 1, Cooldown: 10 * time.Minute}))
	_, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	ctx, parent := tp.Tracer("test").Start(context.Background(), "publish")
	for range 2 {
		_, err = d.Publish(ctx, mock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	parent.End()
	first, second := eng.queued[0], eng.queued[1]
	require.Equal(t, engine.Done, eng.runner.Run(context.Background(), &first).Outcome)
	require.Equal(t, webhook.Failed, waitFinal(t, invs, 1)[0].Outcome, "the breaker opens")
	for range 50 {
		held := second
		require.Equal(t, engine.Held, eng.runner.Run(context.Background(), &held).Outcome, "held by the open breaker")
		require.Zero(t, held.Attempts)
	}

	spans := requireTrace(t, sr, parent.SpanContext())
	require.Len(t, spans["webhook.enqueue"], 2)
	require.Len(t, spans["webhook.delivery"], 1, "only the run that attempted")
}

// Under a durable engine, a delivery that ends without an attempt, its
// webhook removed, still ends in a span beneath its enqueue span, saying
// how, as it does in memory.
func TestRemovedDeliveryEndsInASpan(t *testing.T) {
	q := publishQueued(t, "http://127.0.0.1:1")
	require.NoError(t, q.d.Remove(q.w.ID))
	q.eng.run(context.Background())
	require.Equal(t, webhook.Skipped, waitFinal(t, q.invs, 1)[0].Outcome)

	spans := requireTrace(t, q.sr, q.parent.SpanContext())
	require.Len(t, spans["webhook.delivery"], 1)
	run := spans["webhook.delivery"][0]
	require.Equal(t, spans["webhook.enqueue"][0].SpanContext().SpanID(), run.Parent().SpanID())
	require.Contains(t, run.Attributes(), attribute.String("outhook.outcome", string(webhook.Skipped)))
}

// Under a durable engine, a delivery the engine abandons (its attempts
// used up, say) ends in a span of its own saying so: the last run's span
// said only "retrying".
func TestAbandonedDeliveryEndsInASpan(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	q := publishQueued(t, rc.URL)
	run := q.eng.queued[0]
	require.Equal(t, engine.Retry, q.eng.runner.Run(context.Background(), &run).Outcome)
	given := q.eng.queued[0] // as the engine rebuilds it from its row
	given.Attempts = run.Attempts
	q.eng.runner.Abandon(&given, errors.New("attempts used up"))
	require.Equal(t, webhook.Failed, waitFinal(t, q.invs, 1)[0].Outcome)

	spans := requireTrace(t, q.sr, q.parent.SpanContext())
	runs := spans["webhook.delivery"]
	require.Len(t, runs, 2, "the run that attempted, and the abandonment")
	last := runs[1]
	require.Equal(t, spans["webhook.enqueue"][0].SpanContext().SpanID(), last.Parent().SpanID())
	require.Contains(t, last.Attributes(), attribute.String("outhook.outcome", string(webhook.Failed)))
	require.Equal(t, codes.Error, last.Status().Code)
}
