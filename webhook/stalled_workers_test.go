package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// deadReceiver accepts requests and never answers them, until released or
// the request's context ends; it counts those it holds.
type deadReceiver struct {
	*httptest.Server
	release  chan struct{}
	holding  atomic.Int64
	arrived  atomic.Int64
	mostHeld atomic.Int64
	freed    sync.Once
}

// free lets every request held go, and those to come pass.
func (r *deadReceiver) free() { r.freed.Do(func() { close(r.release) }) }

func newDeadReceiver(t *testing.T) *deadReceiver {
	r := &deadReceiver{release: make(chan struct{})}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		// Read whole, the request lets the server see the sender hang up.
		_, _ = io.Copy(io.Discard, req.Body)
		r.arrived.Add(1)
		n := r.holding.Add(1)
		defer r.holding.Add(-1)
		for m := r.mostHeld.Load(); n > m && !r.mostHeld.CompareAndSwap(m, n); m = r.mostHeld.Load() {
		}
		select {
		case <-r.release:
			// Freed, it keeps no connection: the sender then keeps no
			// idle one, and its goroutines are those of its attempts.
			w.Header().Set("Connection", "close")
		case <-req.Context().Done():
		}
	}))
	t.Cleanup(func() {
		r.free()
		r.Close()
	})
	return r
}

// healthyReceiver answers at once and tells each request it got.
func healthyReceiver(t *testing.T) (*httptest.Server, chan struct{}) {
	delivered := make(chan struct{}, 1000)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { delivered <- struct{}{} }))
	t.Cleanup(s.Close)
	return s, delivered
}

// stallTriggers are the triggers of stalled webhooks;
// accessrequest.Granted is the healthy webhook's.
var stallTriggers = []event.Trigger{accessrequest.Created, accessrequest.Approved, accessrequest.Rejected, accessrequest.Expired}

func publishStalled(t *testing.T, d *webhook.Dispatcher, tr event.Trigger, n int) {
	t.Helper()
	e, ok := accessrequest.Mock(tr)
	require.True(t, ok)
	for range n {
		_, err := d.Publish(context.Background(), e)
		require.NoError(t, err)
	}
}

// healthyWait publishes one event to the healthy webhook and says how long
// its request took to arrive.
func healthyWait(t *testing.T, d *webhook.Dispatcher, delivered chan struct{}) time.Duration {
	t.Helper()
	start := time.Now()
	publishStalled(t, d, accessrequest.Granted, 1)
	select {
	case <-delivered:
		return time.Since(start)
	case <-time.After(20 * time.Second):
		t.Fatal("the healthy webhook got nothing")
		return 0
	}
}

// What the README promises of the shared pool at its defaults (64
// workers, 16 in flight per webhook, 30 s per attempt): endpoints that
// accept requests and never answer hold the workers only for the stall
// threshold; then their attempts, still in flight, count outside the pool
// and the healthy webhook's deliveries go at once, long before the stalled
// attempts time out.
func TestStalledEndpointsLeaveThePoolToAHealthyOne(t *testing.T) {
	for _, deadCount := range []int{4, 8} {
		t.Run(fmt.Sprintf("%d-stalled", deadCount), func(t *testing.T) {
			leakcheck.Check(t)
			dead := newDeadReceiver(t)
			healthy, delivered := healthyReceiver(t)
			d, err := webhook.New(
				webhook.WithAllowedTargets("127.0.0.1/32"),
				webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
			)
			require.NoError(t, err)
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				_ = d.Close(ctx)
			}()
			// Two stalled webhooks per trigger where there are 8; every
			// event to them is one attempt that hangs for 30 s.
			perTrigger := deadCount / 4
			triggers := stallTriggers
			for i := range deadCount {
				_, err := d.Add(webhook.Webhook{Name: fmt.Sprintf("dead-%d", i), Active: true, URL: dead.URL, Triggers: []event.Trigger{triggers[i/perTrigger]}})
				require.NoError(t, err)
			}
			_, err = d.Add(webhook.Webhook{Name: "healthy", Active: true, URL: healthy.URL, Triggers: []event.Trigger{accessrequest.Granted}})
			require.NoError(t, err)

			for _, tr := range triggers {
				publishStalled(t, d, tr, 40)
			}
			// Every worker is taken by a stalled attempt.
			require.Eventually(t, func() bool { return dead.arrived.Load() >= webhook.DefaultWorkers }, 5*time.Second, 5*time.Millisecond)
			require.Less(t, healthyWait(t, d, delivered), webhook.DefaultStallThreshold+time.Second,
				"the healthy webhook waited past the stall threshold")
			// Every stalled webhook reaches its concurrency limit of
			// attempts in flight, and no more. The workers that took the
			// last of them are counted out of the pool within the stall
			// threshold; from then on nothing holds one.
			want := int64(deadCount * webhook.DefaultConcurrency)
			require.Eventually(t, func() bool { return dead.holding.Load() == want }, 8*time.Second, 5*time.Millisecond)
			require.Less(t, healthyWait(t, d, delivered), webhook.DefaultStallThreshold+time.Second,
				"the healthy webhook waited past the stall threshold")
			for range 5 {
				require.Less(t, healthyWait(t, d, delivered), 500*time.Millisecond, "stalled endpoints delayed a healthy one")
			}
			require.Equal(t, want, dead.mostHeld.Load(), "a stalled webhook went past its concurrency limit")
		})
	}
}

// A hundred endpoints that stall together: no more attempts go on than
// the workers and WithStalledAttempts together, however long they stall,
// so that goroutines and connections stay bounded; once the endpoints
// answer, the goroutines of the stalled attempts end and the pool is
// back to its size.
func TestStalledAttemptsAreCapped(t *testing.T) {
	leakcheck.Check(t)
	const workers, stalledCap, hooks = 4, 8, 100
	dead := newDeadReceiver(t)
	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1/32"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithWorkers(workers), webhook.WithConcurrency(2),
		webhook.WithStallThreshold(20*time.Millisecond), webhook.WithStalledAttempts(stalledCap),
	)
	require.NoError(t, err)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		require.NoError(t, d.Close(ctx))
	}()
	for i := range hooks {
		_, err := d.Add(webhook.Webhook{Name: fmt.Sprintf("dead-%d", i), Active: true, URL: dead.URL, Triggers: []event.Trigger{accessrequest.Created}})
		require.NoError(t, err)
	}
	idle := runtime.NumGoroutine()
	publishStalled(t, d, accessrequest.Created, 2)

	require.Eventually(t, func() bool { return dead.holding.Load() == workers+stalledCap }, 5*time.Second, time.Millisecond)
	// Many stall thresholds later, still no more.
	time.Sleep(50 * 20 * time.Millisecond)
	require.EqualValues(t, workers+stalledCap, dead.holding.Load())
	require.EqualValues(t, workers+stalledCap, dead.mostHeld.Load(), "more attempts went on than the workers and the stalled ones")
	// Each attempt in flight costs a handful of goroutines (the worker's,
	// the connection's reader and writer, the receiver's); the 200 queued
	// cost none.
	require.Less(t, runtime.NumGoroutine()-idle, 6*(workers+stalledCap), "goroutines grew past the bound")

	dead.free()
	require.Eventually(t, func() bool {
		return dead.arrived.Load() == 2*hooks && dead.holding.Load() == 0
	}, 10*time.Second, 5*time.Millisecond)
	// The stalled attempts' goroutines ended with them: what is left is
	// the pool (the receiver, freed, closes every connection).
	require.Eventually(t, func() bool { return runtime.NumGoroutine()-idle <= 3*workers }, 5*time.Second, 10*time.Millisecond,
		"goroutines of stalled attempts outlived them")
}

// Close with attempts stalled beside the pool: it cancels them when its
// ctx ends, as it does the workers', makes their deliveries dead letters,
// and leaves no goroutine behind.
func TestCloseEndsStalledAttempts(t *testing.T) {
	leakcheck.Check(t)
	dead := newDeadReceiver(t)
	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1/32"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithWorkers(2), webhook.WithConcurrency(1),
		webhook.WithStallThreshold(20*time.Millisecond),
	)
	require.NoError(t, err)
	const hooks = 6
	for i := range hooks {
		_, err := d.Add(webhook.Webhook{Name: fmt.Sprintf("dead-%d", i), Active: true, URL: dead.URL, Triggers: []event.Trigger{accessrequest.Created}})
		require.NoError(t, err)
	}
	publishStalled(t, d, accessrequest.Created, 1)
	// Two in the pool, four beside it.
	require.Eventually(t, func() bool { return dead.holding.Load() == hooks }, 5*time.Second, time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	require.ErrorIs(t, d.Close(ctx), context.DeadlineExceeded)
	require.Less(t, time.Since(start), 2*time.Second, "Close waited for the stalled attempts' timeout")
	// Kept by the time Close returns.
	dls, err := d.DeadLetters(context.Background(), "", 0)
	require.NoError(t, err)
	require.Len(t, dls, hooks, "a stalled attempt's delivery was lost")
	for _, dl := range dls {
		require.ErrorContains(t, errors.New(dl.Reason), "closed")
	}
	require.Eventually(t, func() bool { return dead.holding.Load() == 0 }, 5*time.Second, time.Millisecond)
}

// With no stalled attempts allowed beside the pool, as past that bound,
// endpoints stalled together hold every worker until their attempts time
// out and their breakers open; from then on they hold none.
func TestStalledEndpointsWithNoneBesideThePool(t *testing.T) {
	leakcheck.Check(t)
	dead := newDeadReceiver(t)
	healthy, delivered := healthyReceiver(t)
	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1/32"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithWorkers(4), webhook.WithConcurrency(2),
		webhook.WithStallThreshold(10*time.Millisecond), webhook.WithStalledAttempts(0),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 2, Cooldown: time.Hour}),
	)
	require.NoError(t, err)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = d.Close(ctx)
	}()
	var deadIDs []string
	for i, tr := range []event.Trigger{accessrequest.Created, accessrequest.Approved} {
		h, err := d.Add(webhook.Webhook{Name: fmt.Sprintf("dead-%d", i), Active: true, URL: dead.URL, TimeoutInSec: 1, Triggers: []event.Trigger{tr}})
		require.NoError(t, err)
		deadIDs = append(deadIDs, h.ID)
	}
	_, err = d.Add(webhook.Webhook{Name: "healthy", Active: true, URL: healthy.URL, Triggers: []event.Trigger{accessrequest.Granted}})
	require.NoError(t, err)

	publishStalled(t, d, accessrequest.Created, 10)
	publishStalled(t, d, accessrequest.Approved, 10)
	require.Eventually(t, func() bool { return dead.holding.Load() == 4 }, 5*time.Second, time.Millisecond)
	start := time.Now()
	publishStalled(t, d, accessrequest.Granted, 1)
	select {
	case <-delivered:
		require.Fail(t, "delivered beside endpoints holding every worker", "after %s", time.Since(start))
	case <-time.After(500 * time.Millisecond):
	}
	require.EqualValues(t, 4, dead.mostHeld.Load())
	tenant := d.Tenant("")
	require.Eventually(t, func() bool {
		for _, id := range deadIDs {
			if st, err := tenant.Breaker(id); err != nil || st != webhook.BreakerOpen {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond)
	select {
	case <-delivered:
	case <-time.After(5 * time.Second):
		t.Fatal("the healthy webhook got nothing once the breakers opened")
	}
	require.Less(t, healthyWait(t, d, delivered), 500*time.Millisecond, "open breakers left workers held")
}
