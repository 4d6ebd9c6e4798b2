package webhook_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/webhook"
)

// slowReceiver answers the requests it holds together, every period, as a
// receiver that works in batches does, and counts the connections it
// accepted and the requests it answered.
type slowReceiver struct {
	*httptest.Server
	conns, answered, inFlight, mostInFlight atomic.Int64
}

func newSlowReceiver(t *testing.T, period time.Duration) *slowReceiver {
	r := &slowReceiver{}
	r.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n := r.inFlight.Add(1)
		defer r.inFlight.Add(-1)
		for m := r.mostInFlight.Load(); n > m && !r.mostInFlight.CompareAndSwap(m, n); m = r.mostInFlight.Load() {
		}
		select {
		case <-time.After(period - time.Duration(time.Now().UnixNano())%period):
			r.answered.Add(1)
		case <-req.Context().Done():
		}
	}))
	r.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			r.conns.Add(1)
		}
	}
	r.Start()
	t.Cleanup(r.Close)
	return r
}

// Endpoints that are slow but healthy, answering after the stall
// threshold, have their attempts stall: more attempts are in flight at
// once than there are workers, and when they are answered together their
// connections are kept for the next ones rather than closed and dialled
// again.
func TestSlowEndpointsReuseTheirConnections(t *testing.T) {
	leakcheck.Check(t)
	const workers, stalledCap, hooks, perHook, events = 2, 8, 2, 5, 40
	slow := newSlowReceiver(t, 100*time.Millisecond)
	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1/32"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithWorkers(workers), webhook.WithConcurrency(perHook),
		webhook.WithStallThreshold(20*time.Millisecond), webhook.WithStalledAttempts(stalledCap),
	)
	require.NoError(t, err)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, d.Close(ctx))
	}()
	for i := range hooks {
		_, err := d.Add(webhook.Webhook{Name: fmt.Sprintf("slow-%d", i), Active: true, URL: slow.URL, Triggers: []event.Trigger{accessrequest.Created}})
		require.NoError(t, err)
	}
	publishStalled(t, d, accessrequest.Created, events)
	require.Eventually(t, func() bool { return slow.answered.Load() == hooks*events }, 20*time.Second, 5*time.Millisecond)
	// Up to hooks*perHook attempts go on at once, above the workers.
	require.Greater(t, slow.mostInFlight.Load(), int64(workers))
	require.LessOrEqual(t, slow.mostInFlight.Load(), int64(hooks*perHook))
	require.LessOrEqual(t, slow.conns.Load(), slow.mostInFlight.Load()+2,
		"connections were closed and dialled again: %d for at most %d attempts at once", slow.conns.Load(), slow.mostInFlight.Load())
}

// Receivers that answer about when attempts stall, some a little before
// and some a little after: every delivery is made once and ends once, no
// more attempts go on than the workers and the stalled ones, and the
// pool's extra goroutines end with the attempts.
func TestAnswersAtTheStallThreshold(t *testing.T) {
	leakcheck.Check(t)
	const workers, stalledCap, hooks, events = 2, 4, 4, 30
	threshold := 15 * time.Millisecond
	var inFlight, most atomic.Int64
	var mu sync.Mutex
	seen := map[string]int{}
	r := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		mu.Lock()
		seen[req.Header.Get("webhook-id")]++
		mu.Unlock()
		time.Sleep(threshold/2 + rand.N(threshold))
	}))
	t.Cleanup(r.Close)
	var finals atomic.Int64
	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1/32"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithWorkers(workers), webhook.WithConcurrency(3),
		webhook.WithStallThreshold(threshold), webhook.WithStalledAttempts(stalledCap),
		webhook.WithInvocationHook(func(inv webhook.Invocation) {
			if inv.Outcome.Final() {
				finals.Add(1)
			}
		}),
	)
	require.NoError(t, err)
	for i := range hooks {
		_, err := d.Add(webhook.Webhook{Name: fmt.Sprintf("edge-%d", i), Active: true, URL: r.URL, Triggers: []event.Trigger{accessrequest.Created}})
		require.NoError(t, err)
	}
	idle := runtime.NumGoroutine()
	publishStalled(t, d, accessrequest.Created, events)
	require.Eventually(t, func() bool { return finals.Load() == hooks*events }, 20*time.Second, 5*time.Millisecond)
	require.LessOrEqual(t, most.Load(), int64(workers+stalledCap))
	require.Greater(t, most.Load(), int64(workers), "no attempt stalled: the probe missed its mark")
	mu.Lock()
	require.Len(t, seen, hooks*events)
	for id, n := range seen {
		require.Equal(t, 1, n, "delivery %s attempted %d times", id, n)
	}
	mu.Unlock()
	// What is left beside the pool: the idle connections and their
	// server side, a few goroutines each.
	require.Eventually(t, func() bool { return runtime.NumGoroutine()-idle <= 3*(workers+stalledCap) }, 5*time.Second, 10*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, d.Close(ctx))
	require.EqualValues(t, hooks*events, finals.Load(), "a delivery ended twice")
}

// A tenant's MaxInFlight bounds its attempts, stalled ones included: a
// tenant whose endpoints stall holds no more than its limit, in or beside
// the pool, and another tenant's deliveries go at once. Removing the
// stalled webhooks ends their deliveries once their attempts end, and
// leaves no goroutine behind.
func TestTenantLimitHoldsStalledAttempts(t *testing.T) {
	leakcheck.Check(t)
	const limit = 3
	dead := newDeadReceiver(t)
	healthy, delivered := healthyReceiver(t)
	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1/32"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithWorkers(2), webhook.WithConcurrency(4),
		webhook.WithStallThreshold(10*time.Millisecond), webhook.WithStalledAttempts(16),
		webhook.WithTenantLimits(func(tenant string) webhook.TenantLimits {
			if tenant == "acme" {
				return webhook.TenantLimits{MaxInFlight: limit}
			}
			return webhook.TenantLimits{}
		}),
	)
	require.NoError(t, err)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, d.Close(ctx))
	}()
	acme := d.Tenant("acme")
	var deadIDs []string
	for i := range 3 {
		h, err := acme.Create(context.Background(), webhook.Webhook{Name: fmt.Sprintf("dead-%d", i), Active: true, URL: dead.URL, Triggers: []event.Trigger{accessrequest.Created}}, "")
		require.NoError(t, err)
		deadIDs = append(deadIDs, h.ID)
	}
	_, err = d.Add(webhook.Webhook{Name: "healthy", Active: true, URL: healthy.URL, Triggers: []event.Trigger{accessrequest.Granted}})
	require.NoError(t, err)
	e, ok := accessrequest.Mock(accessrequest.Created)
	require.True(t, ok)
	for range 5 {
		_, err := acme.Publish(context.Background(), e)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return dead.holding.Load() == limit }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * 10 * time.Millisecond)
	require.EqualValues(t, limit, dead.mostHeld.Load(), "the tenant went past its MaxInFlight")
	for range 3 {
		require.Less(t, healthyWait(t, d, delivered), 500*time.Millisecond)
	}

	for _, id := range deadIDs {
		h, err := acme.Get(context.Background(), id)
		require.NoError(t, err)
		require.NoError(t, acme.Delete(context.Background(), id, h.Version, ""))
	}
	dead.free()
	require.Eventually(t, func() bool { return dead.holding.Load() == 0 }, 5*time.Second, time.Millisecond)
	require.Less(t, healthyWait(t, d, delivered), 500*time.Millisecond)
}

// Updating a webhook whose attempts are stalled sends what it has queued
// to its new URL at once, beside the stalled attempts, which end with the
// old receiver, and leaves no goroutine behind.
func TestUpdateBesideStalledAttempts(t *testing.T) {
	leakcheck.Check(t)
	dead := newDeadReceiver(t)
	healthy, delivered := healthyReceiver(t)
	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1/32"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithWorkers(1), webhook.WithConcurrency(4),
		webhook.WithStallThreshold(10*time.Millisecond), webhook.WithStalledAttempts(2),
	)
	require.NoError(t, err)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, d.Close(ctx))
	}()
	h, err := d.Add(webhook.Webhook{Name: "moving", Active: true, URL: dead.URL, Triggers: []event.Trigger{accessrequest.Created}})
	require.NoError(t, err)
	publishStalled(t, d, accessrequest.Created, 6)
	// Two beside the pool, one holding the only worker.
	require.Eventually(t, func() bool { return dead.holding.Load() == 3 }, 5*time.Second, time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	require.EqualValues(t, 3, dead.mostHeld.Load())

	h.URL = healthy.URL
	_, err = d.Update(h)
	require.NoError(t, err)
	dead.free()
	for range 3 {
		select {
		case <-delivered:
		case <-time.After(5 * time.Second):
			t.Fatal("the updated webhook's queued deliveries did not go to its new URL")
		}
	}
	require.Eventually(t, func() bool { return dead.holding.Load() == 0 }, 5*time.Second, time.Millisecond)
}

// Close with a short ctx while attempts are stalled beside the pool, one
// holds the only worker past the bound, and more wait: every delivery
// becomes a dead letter, once.
func TestCloseKeepsEveryDeliveryOnceWithStalledAttempts(t *testing.T) {
	leakcheck.Check(t)
	dead := newDeadReceiver(t)
	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1/32"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithWorkers(1), webhook.WithConcurrency(3),
		webhook.WithStallThreshold(10*time.Millisecond), webhook.WithStalledAttempts(2),
	)
	require.NoError(t, err)
	for i, tr := range stallTriggers[:2] {
		_, err := d.Add(webhook.Webhook{Name: fmt.Sprintf("dead-%d", i), Active: true, URL: dead.URL, Triggers: []event.Trigger{tr}})
		require.NoError(t, err)
	}
	for _, tr := range stallTriggers[:2] {
		publishStalled(t, d, tr, 5)
	}
	require.Eventually(t, func() bool { return dead.holding.Load() == 3 }, 5*time.Second, time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	require.EqualValues(t, 3, dead.mostHeld.Load())

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, d.Close(ctx), context.DeadlineExceeded)
	dls, err := d.DeadLetters(context.Background(), "", 0)
	require.NoError(t, err)
	ids := map[string]int{}
	for _, dl := range dls {
		ids[dl.DeliveryID]++
	}
	require.Len(t, ids, 10, "a delivery was lost")
	for id, n := range ids {
		require.Equal(t, 1, n, "delivery %s kept %d times", id, n)
	}
}

// A breaker that opens while attempts are stalled beside the pool: the
// stalled attempts run on to their timeout, the deliveries behind them are
// held without a worker, and ResetBreaker sends them again, no more at
// once than the webhook's concurrency.
func TestBreakerOpensWhileAttemptsStall(t *testing.T) {
	leakcheck.Check(t)
	const concurrency = 3
	dead := newDeadReceiver(t)
	healthy, delivered := healthyReceiver(t)
	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1/32"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithWorkers(1), webhook.WithConcurrency(concurrency),
		webhook.WithStallThreshold(10*time.Millisecond), webhook.WithStalledAttempts(8),
		// Opened, it holds the deliveries well within their time budget.
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 2, Cooldown: 10 * time.Minute}),
	)
	require.NoError(t, err)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = d.Close(ctx)
	}()
	h, err := d.Add(webhook.Webhook{Name: "dead", Active: true, URL: dead.URL, TimeoutInSec: 1, Triggers: []event.Trigger{accessrequest.Created}})
	require.NoError(t, err)
	_, err = d.Add(webhook.Webhook{Name: "healthy", Active: true, URL: healthy.URL, Triggers: []event.Trigger{accessrequest.Granted}})
	require.NoError(t, err)
	publishStalled(t, d, accessrequest.Created, 10)
	require.Eventually(t, func() bool { return dead.holding.Load() == concurrency }, 5*time.Second, time.Millisecond)
	require.Less(t, healthyWait(t, d, delivered), 500*time.Millisecond)
	require.Eventually(t, func() bool {
		st, err := d.Tenant("").Breaker(h.ID)
		return err == nil && st == webhook.BreakerOpen
	}, 10*time.Second, 10*time.Millisecond)
	// Attempts begun before it opened end within their timeout, 1 s.
	time.Sleep(1500 * time.Millisecond)
	require.Zero(t, dead.holding.Load())
	arrived := dead.arrived.Load()
	time.Sleep(300 * time.Millisecond)
	require.Equal(t, arrived, dead.arrived.Load(), "attempts went on with the breaker open")
	require.Less(t, healthyWait(t, d, delivered), 500*time.Millisecond)

	require.NoError(t, d.ResetBreaker(h.ID))
	require.Eventually(t, func() bool { return dead.arrived.Load() > arrived }, 5*time.Second, time.Millisecond, "nothing sent after ResetBreaker")
	// The receiver sees an attempt that timed out end only once it notices
	// the sender hung up, a moment after the sender's next attempt may
	// have arrived: it may count one more than the sender holds.
	require.LessOrEqual(t, dead.mostHeld.Load(), int64(concurrency+1))
}
