package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/stretchr/testify/require"
)

// budgetClock is a clock the test moves by hand.
type budgetClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *budgetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *budgetClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// collectingEngine keeps what is queued, so that the test makes each
// attempt itself through Runner.Run, as an engine would, with no timer.
type collectingEngine struct {
	mu     sync.Mutex
	queued []*engine.Delivery
	runner engine.Runner
}

func (e *collectingEngine) Start(r engine.Runner) error { e.runner = r; return nil }
func (e *collectingEngine) Close(context.Context) error {
	return nil
}

func (e *collectingEngine) Enqueue(_ context.Context, _ engine.Tx, batch []*engine.Delivery) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.queued = append(e.queued, batch...)
	return nil
}

func (e *collectingEngine) Stats(context.Context) (engine.Stats, error) { return engine.Stats{}, nil }

// done is what Run says of a delivery that ended.
var done = engine.Result{Outcome: engine.Done}

// attempt runs del as an engine would.
func (s budgetSetup) attempt(del *engine.Delivery) engine.Result {
	return s.engine.runner.Run(context.Background(), del)
}

type budgetSetup struct {
	d        *Dispatcher
	clock    *budgetClock
	engine   *collectingEngine
	requests *atomic.Int32
}

// newBudgetDispatcher returns a Dispatcher on a fake clock whose webhook
// "budget" sends to a server answering with respond.
func newBudgetDispatcher(t *testing.T, policy RetryPolicy, delivery *DeliverySettings, respond http.HandlerFunc, opts ...Option) budgetSetup {
	t.Helper()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		respond(w, r)
	}))
	t.Cleanup(srv.Close)
	clock := &budgetClock{now: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	engine := &collectingEngine{}
	all := append([]Option{
		WithEngine(engine),
		WithAllowedTargets("127.0.0.1"),
		WithURLPolicy(URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		WithRetryPolicy(policy),
		optionFunc(func(c *config) { c.now = clock.Now }),
	}, opts...)
	d, err := New(all...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	_, err = d.Add(Webhook{Name: "budget", Active: true, URL: srv.URL + "/hook", Triggers: []event.Trigger{accessrequest.Created}, Delivery: delivery})
	require.NoError(t, err)
	return budgetSetup{d: d, clock: clock, engine: engine, requests: &requests}
}

// publish queues one event and returns its delivery.
func (s budgetSetup) publish(t *testing.T) *engine.Delivery {
	t.Helper()
	e, _ := accessrequest.Mock(accessrequest.Created)
	_, err := s.d.Publish(context.Background(), e)
	require.NoError(t, err)
	s.engine.mu.Lock()
	defer s.engine.mu.Unlock()
	return s.engine.queued[len(s.engine.queued)-1]
}

// requireBudgetDeadLetter checks that del ended as a dead letter whose
// reason says the budget ran out, and mentions each of want.
func (s budgetSetup) requireBudgetDeadLetter(t *testing.T, next engine.Result, del *engine.Delivery, want ...string) {
	t.Helper()
	require.Equal(t, done, next, "the delivery ends: no retry is scheduled past the budget")
	dls, err := s.d.DeadLetters(context.Background(), "", 0)
	require.NoError(t, err)
	require.Len(t, dls, 1)
	require.Equal(t, del.ID, dls[0].DeliveryID)
	require.Equal(t, Failed, dls[0].Outcome)
	require.Contains(t, dls[0].Reason, "retry budget ran out")
	for _, w := range want {
		require.Contains(t, dls[0].Reason, w)
	}
	// The delivery's final record: the frozen clock gives its attempts
	// one time, so the order of pages does not tell it from the others.
	invs, err := s.d.Invocations(context.Background(), del.WebhookID, 0)
	require.NoError(t, err)
	invs = slices.DeleteFunc(invs, func(inv Invocation) bool { return inv.DeliveryID != del.ID || !inv.Outcome.Final() })
	require.Len(t, invs, 1)
	require.Equal(t, Failed, invs[0].Outcome)
	require.Equal(t, dls[0].Reason, invs[0].Reason)
}

func status503(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }

func TestBudgetRetryAfterPastBudgetEndsDelivery(t *testing.T) {
	policy := RetryPolicy{MaxAttempts: 10, MaxElapsed: Duration(time.Minute), MaxRetryAfter: Duration(time.Hour)}
	s := newBudgetDispatcher(t, policy, nil, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	del := s.publish(t)
	next := s.attempt(del)
	s.requireBudgetDeadLetter(t, next, del, "status 503", "2m0s (Retry-After)", "max_elapsed 1m0s", "2026-12-04T12:01:00Z")
}

func TestBudgetRetryAfterWithinBudgetRetries(t *testing.T) {
	policy := RetryPolicy{MaxAttempts: 10, MaxElapsed: Duration(time.Minute), MaxRetryAfter: Duration(time.Hour)}
	s := newBudgetDispatcher(t, policy, nil, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	del := s.publish(t)
	require.Equal(t, engine.Result{Outcome: engine.Retry, Delay: 30 * time.Second}, s.attempt(del))
	s.clock.Advance(30 * time.Second)
	next := s.attempt(del)
	s.requireBudgetDeadLetter(t, next, del, "30s (Retry-After)")
	require.Equal(t, int32(2), s.requests.Load())
}

func TestBudgetDrawnDelayPastBudgetEndsDelivery(t *testing.T) {
	policy := RetryPolicy{MaxAttempts: 10, InitialInterval: Duration(time.Minute), MaxElapsed: Duration(time.Minute)}
	s := newBudgetDispatcher(t, policy, nil, status503, optionFunc(func(c *config) { c.jitter = func() float64 { return 0.5 } }))
	del := s.publish(t)
	s.clock.Advance(45 * time.Second) // the first attempt starts late, but in time
	next := s.attempt(del)
	require.Equal(t, int32(1), s.requests.Load())
	s.requireBudgetDeadLetter(t, next, del, "30s (backoff)")
}

func TestBudgetNoAttemptStartsAfterBudget(t *testing.T) {
	policy := RetryPolicy{MaxElapsed: Duration(time.Minute)}
	s := newBudgetDispatcher(t, policy, nil, status503)
	del := s.publish(t)
	s.clock.Advance(time.Minute) // queued behind others for the whole budget
	next := s.attempt(del)
	require.Zero(t, s.requests.Load(), "no request is sent once the budget has run out")
	s.requireBudgetDeadLetter(t, next, del, "ended at 2026-12-04T12:01:00Z")
}

func TestBudgetBreakerHoldPastBudgetEndsDelivery(t *testing.T) {
	policy := RetryPolicy{MaxAttempts: 10, MaxElapsed: Duration(time.Minute)}
	s := newBudgetDispatcher(t, policy, nil, status503,
		WithBreaker(BreakerSettings{Threshold: 1, Cooldown: 10 * time.Minute, MaxCooldown: time.Hour}),
		optionFunc(func(c *config) { c.jitter = func() float64 { return 0 } }))
	del := s.publish(t)
	require.Equal(t, engine.Retry, s.attempt(del).Outcome, "the first failure opens the breaker")
	next := s.attempt(del)
	require.Equal(t, int32(1), s.requests.Load(), "the open breaker sends nothing")
	s.requireBudgetDeadLetter(t, next, del, "10m0s (circuit breaker open)")
}

func TestBudgetBreakerHoldWithinBudgetWaits(t *testing.T) {
	policy := RetryPolicy{MaxAttempts: 10, MaxElapsed: Duration(time.Hour)}
	s := newBudgetDispatcher(t, policy, nil, status503,
		WithBreaker(BreakerSettings{Threshold: 1, Cooldown: 10 * time.Minute, MaxCooldown: time.Hour}),
		optionFunc(func(c *config) { c.jitter = func() float64 { return 0 } }))
	del := s.publish(t)
	s.attempt(del)
	require.Equal(t, engine.Result{Outcome: engine.Held, Delay: 10 * time.Minute}, s.attempt(del))
}

func TestBudgetRateLimitHoldPastBudgetEndsDelivery(t *testing.T) {
	policy := RetryPolicy{MaxElapsed: Duration(time.Minute)}
	limit := &DeliverySettings{RateLimit: &RateLimit{Requests: 1, Per: Duration(time.Hour)}}
	s := newBudgetDispatcher(t, policy, limit, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	first, second := s.publish(t), s.publish(t)
	require.Equal(t, done, s.attempt(first), "delivered; the hour's one request is spent")
	next := s.attempt(second)
	require.Equal(t, int32(1), s.requests.Load())
	s.requireBudgetDeadLetter(t, next, second, "1h0m0s (rate limit)")
}

func TestBudgetCountsFromFirstAttemptWhenCreatedIsZero(t *testing.T) {
	policy := RetryPolicy{MaxElapsed: Duration(time.Minute)}
	s := newBudgetDispatcher(t, policy, nil, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	del := s.publish(t)
	del.Created = time.Time{}
	require.Equal(t, done, s.attempt(del))
	invs, err := s.d.Invocations(context.Background(), del.WebhookID, 1)
	require.NoError(t, err)
	require.Equal(t, Delivered, invs[0].Outcome, invs[0].Reason)
}
