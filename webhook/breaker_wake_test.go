package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// wakingEngine is a scriptedEngine that can wake held deliveries: it
// records the queue keys it was asked to wake, and fails with err.
type wakingEngine struct {
	*scriptedEngine
	woken []string
	err   error
	// stall makes WakeHeld wait for its ctx to end, as a database that
	// stopped answering would.
	stall bool
}

func (e *wakingEngine) WakeHeld(ctx context.Context, webhookID string) (int, error) {
	e.mu.Lock()
	e.woken = append(e.woken, webhookID)
	stall, err := e.stall, e.err
	e.mu.Unlock()
	if stall {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return 1, err
}

// heldByOpenBreaker returns a Dispatcher on a wakingEngine with the
// webhook "hook" in tenants "acme" and "zeta", each with a delivery that
// acme's open breaker (threshold 1, cool-down an hour) holds back, or
// zeta's, which the first delivery of each opened: each receiver has seen
// one request.
func heldByOpenBreaker(t *testing.T) (d *webhook.Dispatcher, eng *wakingEngine, held map[string]*engine.Delivery, r *webhooktest.Receiver) {
	t.Helper()
	r = webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Status: 500}, webhooktest.Response{Status: 500}, webhooktest.Response{}))
	t.Cleanup(r.Close)
	eng = &wakingEngine{scriptedEngine: &scriptedEngine{}}
	d, _ = newDispatcher(t, webhook.WithEngine(eng),
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1, MaxElapsed: webhook.Duration(2 * time.Hour)}),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 1, Cooldown: time.Hour}))
	held = map[string]*engine.Delivery{}
	for _, tenant := range []string{"acme", "zeta"} {
		ten := d.Tenant(tenant)
		_, err := ten.Create(context.Background(), webhook.Webhook{ID: "hook", Name: "h", Active: true, URL: r.URL + "/" + tenant, Triggers: []event.Trigger{accessrequest.Created}}, "")
		require.NoError(t, err)
		for range 2 {
			_, err = ten.Publish(context.Background(), mock(t, accessrequest.Created))
			require.NoError(t, err)
		}
		n := len(eng.queued)
		require.Equal(t, engine.Done, eng.runner.Run(context.Background(), eng.queued[n-2]).Outcome) // 500: opens
		res := eng.runner.Run(context.Background(), eng.queued[n-1])
		require.Equal(t, engine.Held, res.Outcome)
		require.Greater(t, res.Delay, 50*time.Minute)
		held[tenant] = eng.queued[n-1]
	}
	require.Empty(t, eng.woken)
	return d, eng, held, r
}

// An operator who resets the breaker of a fixed endpoint has the engine
// run now the deliveries that breaker held, not when the cool-down would
// have ended; another tenant's webhook with the same id is left alone.
func TestResetBreakerWakesHeldDeliveries(t *testing.T) {
	d, eng, held, r := heldByOpenBreaker(t)
	require.NoError(t, d.Tenant("acme").ResetBreaker("hook"))
	require.Equal(t, []string{held["acme"].WebhookID}, eng.woken)
	require.NotEqual(t, held["zeta"].WebhookID, held["acme"].WebhookID)
	// Woken, it goes: the breaker is closed.
	require.Equal(t, engine.Done, eng.runner.Run(context.Background(), held["acme"]).Outcome)
	require.Len(t, r.Requests(), 3)
	require.Equal(t, "/acme", r.Requests()[2].Path)
}

// The breaker is closed even when the engine cannot wake the held
// deliveries; ResetBreaker says so, with the engine's error.
func TestResetBreakerReportsAFailedWake(t *testing.T) {
	d, eng, held, _ := heldByOpenBreaker(t)
	down := errors.New("database unreachable")
	eng.err = down
	err := d.Tenant("zeta").ResetBreaker("hook")
	require.ErrorIs(t, err, down)
	require.Equal(t, engine.Done, eng.runner.Run(context.Background(), held["zeta"]).Outcome)
}

// Update gives the webhook a new breaker, closed: the old one's held
// deliveries go now; an update of a webhook whose breaker is closed wakes
// nothing.
func TestUpdateWakesDeliveriesTheOldBreakerHeld(t *testing.T) {
	d, eng, held, _ := heldByOpenBreaker(t)
	ten := d.Tenant("acme")
	w, err := ten.Get(context.Background(), "hook")
	require.NoError(t, err)
	w.Headers = map[string]string{"X-Fixed": "yes"}
	w, err = ten.Update(context.Background(), w, "")
	require.NoError(t, err)
	require.Equal(t, []string{held["acme"].WebhookID}, eng.woken)

	require.Equal(t, engine.Done, eng.runner.Run(context.Background(), held["acme"]).Outcome) // closed: sent
	w.Headers = map[string]string{"X-Fixed": "again"}
	_, err = ten.Update(context.Background(), w, "")
	require.NoError(t, err)
	require.Len(t, eng.woken, 1, "nothing held: nothing to wake")
}

// A delivery its rate limit holds back and that its engine runs again
// early (woken by ResetBreaker, say) is held again until its slot: an
// early run never sends past the rate limit, the webhook's or its
// tenant's.
func TestEarlyRunAfterRateLimitHoldIsHeldAgain(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []webhook.Option
		rate *webhook.RateLimit
	}{
		{name: "webhook", rate: &webhook.RateLimit{Requests: 1, Per: webhook.Duration(time.Hour)}},
		{name: "tenant", opts: []webhook.Option{webhook.WithTenantLimits(func(string) webhook.TenantLimits {
			return webhook.TenantLimits{Rate: &webhook.RateLimit{Requests: 1, Per: webhook.Duration(time.Hour)}}
		})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := webhooktest.NewReceiver()
			t.Cleanup(r.Close)
			eng := &scriptedEngine{}
			d, _ := newDispatcher(t, append(tc.opts, webhook.WithEngine(eng),
				webhook.WithRetryPolicy(webhook.RetryPolicy{MaxElapsed: webhook.Duration(3 * time.Hour)}))...)
			_, err := d.Add(webhook.Webhook{Name: "h", Active: true, URL: r.URL + "/h", Triggers: []event.Trigger{accessrequest.Created}, Delivery: &webhook.DeliverySettings{RateLimit: tc.rate}})
			require.NoError(t, err)
			for range 2 {
				_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
				require.NoError(t, err)
			}
			require.Len(t, eng.queued, 2)
			require.Equal(t, engine.Done, eng.runner.Run(context.Background(), eng.queued[0]).Outcome)
			first := eng.runner.Run(context.Background(), eng.queued[1])
			require.Equal(t, engine.Held, first.Outcome)
			require.Greater(t, first.Delay, 50*time.Minute)

			again := eng.runner.Run(context.Background(), eng.queued[1]) // woken early
			require.Equal(t, engine.Held, again.Outcome, "sent before its slot")
			require.Greater(t, again.Delay, 50*time.Minute)
			require.LessOrEqual(t, again.Delay, first.Delay)
			require.Len(t, r.Requests(), 1)
			require.Equal(t, http.MethodPost, r.Requests()[0].Method)
		})
	}
}

// An Update whose engine stalls waking the held deliveries (its database
// not answering) returns within the bound ResetBreaker has, rather than
// holding the instance's reads of the definition store (its follower,
// other writes, a Gate looking for a webhook) until Close.
func TestUpdateBoundsAStalledWake(t *testing.T) {
	d, eng, _, _ := heldByOpenBreaker(t)
	eng.mu.Lock()
	eng.stall = true
	eng.mu.Unlock()
	ten := d.Tenant("acme")
	w, err := ten.Get(context.Background(), "hook")
	require.NoError(t, err)
	w.Headers = map[string]string{"X-Fixed": "yes"}
	done := make(chan error, 1)
	go func() {
		_, err := ten.Update(context.Background(), w, "")
		done <- err
	}()
	select {
	case err := <-done:
		require.NoError(t, err, "the update is stored and loaded; the held deliveries wait out their delay")
	case <-time.After(30 * time.Second):
		t.Fatal("Update still waits for the stalled engine")
	}
	// The next read of the store is not held up either.
	_, err = ten.Create(context.Background(), webhook.Webhook{ID: "other", Name: "o", Active: true, URL: "http://127.0.0.1:1/o", Triggers: []event.Trigger{accessrequest.Created}}, "")
	require.NoError(t, err)
}

// A rate limit of 100 a second, in bursts of one, sends one delivery at
// an instant and holds the next until its slot 10 ms later: a slot a few
// milliseconds off is not sent early for want of a hold.
func TestRateLimitHoldsASlotMillisecondsAway(t *testing.T) {
	r := webhooktest.NewReceiver()
	t.Cleanup(r.Close)
	eng := &scriptedEngine{}
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	d, _ := newDispatcher(t, webhook.WithEngine(eng), webhook.WithClock(func() time.Time { return now }))
	_, err := d.Add(webhook.Webhook{Name: "h", Active: true, URL: r.URL + "/h", Triggers: []event.Trigger{accessrequest.Created},
		Delivery: &webhook.DeliverySettings{RateLimit: &webhook.RateLimit{Requests: 100, Per: webhook.Duration(time.Second), Burst: 1}}})
	require.NoError(t, err)
	for range 3 {
		_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	var outcomes []engine.Outcome
	for _, del := range eng.queued {
		outcomes = append(outcomes, eng.runner.Run(context.Background(), del).Outcome)
	}
	require.Equal(t, []engine.Outcome{engine.Done, engine.Held, engine.Held}, outcomes)
	require.Len(t, r.Requests(), 1)
}

// A delivery an open breaker held before its first attempt goes to the
// definition of its first attempt: an Update that fixes the URL while it
// waits sends it to the fixed URL, not to the one that kept failing.
func TestHeldBeforeItsFirstAttemptGoesToTheUpdatedDefinition(t *testing.T) {
	d, eng, held, r := heldByOpenBreaker(t)
	ten := d.Tenant("acme")
	w, err := ten.Get(context.Background(), "hook")
	require.NoError(t, err)
	w.URL += "-fixed"
	_, err = ten.Update(context.Background(), w, "")
	require.NoError(t, err)
	require.Equal(t, engine.Done, eng.runner.Run(context.Background(), held["acme"]).Outcome)
	require.Len(t, r.Requests(), 3)
	require.Equal(t, "/acme-fixed", r.Requests()[2].Path)
}

// Two instances following one definition store, both with the breaker
// of a fixed endpoint open: a reset through one closes the other's as it
// reads the store, which wakes what it held, once; a store that fails
// the reset leaves this instance's breaker closed all the same, and says
// so.
func TestResetBreakerReachesTheOtherInstance(t *testing.T) {
	r := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Status: 500}, webhooktest.Response{Status: 500}, webhooktest.Response{}))
	t.Cleanup(r.Close)
	store := defstore.NewMemory()
	start := func() (*webhook.Dispatcher, *wakingEngine) {
		eng := &wakingEngine{scriptedEngine: &scriptedEngine{}}
		d, _ := newDispatcher(t, webhook.WithEngine(eng), webhook.WithDefinitionStore(store),
			webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1, MaxElapsed: webhook.Duration(2 * time.Hour)}),
			webhook.WithBreaker(webhook.BreakerSettings{Threshold: 1, Cooldown: time.Hour}))
		return d, eng
	}
	a, engA := start()
	b, engB := start()
	ctx := context.Background()
	_, err := a.Tenant("acme").Create(ctx, webhook.Webhook{ID: "hook", Name: "h", Active: true, URL: r.URL + "/acme", Triggers: []event.Trigger{accessrequest.Created}}, "")
	require.NoError(t, err)
	require.Eventually(t, func() bool { _, err := b.Tenant("acme").Breaker("hook"); return err == nil }, 10*time.Second, time.Millisecond)
	for _, in := range []struct {
		d   *webhook.Dispatcher
		eng *wakingEngine
	}{{a, engA}, {b, engB}} {
		_, err := in.d.Tenant("acme").Publish(ctx, mock(t, accessrequest.Created))
		require.NoError(t, err)
		require.Equal(t, engine.Done, in.eng.runner.Run(ctx, in.eng.queued[len(in.eng.queued)-1]).Outcome) // 500: opens
		state, err := in.d.Tenant("acme").Breaker("hook")
		require.NoError(t, err)
		require.Equal(t, webhook.BreakerOpen, state)
	}
	_, err = b.Tenant("acme").Publish(ctx, mock(t, accessrequest.Created))
	require.NoError(t, err)
	held := engB.queued[len(engB.queued)-1]
	require.Equal(t, engine.Held, engB.runner.Run(ctx, held).Outcome)

	require.NoError(t, a.Tenant("acme").ResetBreaker("hook"))
	require.Eventually(t, func() bool {
		state, err := b.Tenant("acme").Breaker("hook")
		return err == nil && state == webhook.BreakerClosed
	}, 10*time.Second, time.Millisecond, "b's breaker closed as it read the reset")
	require.Eventually(t, func() bool {
		engB.mu.Lock()
		defer engB.mu.Unlock()
		return len(engB.woken) == 1
	}, 10*time.Second, time.Millisecond, "b woke what it held")
	require.Equal(t, engine.Done, engB.runner.Run(ctx, held).Outcome)
	engA.mu.Lock()
	require.Len(t, engA.woken, 1, "a woke its held deliveries once")
	engA.mu.Unlock()
	revs, err := store.History(ctx, "acme", "hook", 1)
	require.NoError(t, err)
	require.Equal(t, defstore.BreakerReset, revs[0].Action)

	// Reset for a webhook the store does not know (deleted meanwhile by
	// another instance): not found.
	require.NoError(t, store.Delete(ctx, "acme", "hook", defstore.AnyVersion, ""))
	err = b.Tenant("acme").ResetBreaker("hook")
	require.ErrorIs(t, err, webhook.ErrNotFound)
}

// Deleting a webhook whose endpoint is down ends its deliveries at once,
// skipped, with the in-memory engine: the one waiting an hour for a
// retry and the one its open breaker holds for an hour.
func TestRemoveEndsHeldAndRetryingDeliveries(t *testing.T) {
	r := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Status: 503}))
	t.Cleanup(r.Close)
	d, invs := newDispatcher(t,
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 5, InitialInterval: webhook.Duration(time.Hour),
			MaxInterval: webhook.Duration(time.Hour), MaxElapsed: webhook.Duration(10 * time.Hour)}),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 1, Cooldown: time.Hour}))
	w, err := d.Add(webhook.Webhook{Name: "h", Active: true, URL: r.URL, Triggers: []event.Trigger{accessrequest.Created}})
	require.NoError(t, err)
	ctx := context.Background()
	first, err := d.Publish(ctx, mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := <-invs // the failed attempt, which opens the breaker
	require.Equal(t, first.Deliveries[0].DeliveryID, inv.DeliveryID)
	require.NotEqual(t, webhook.Skipped, inv.Outcome)
	second, err := d.Publish(ctx, mock(t, accessrequest.Created))
	require.NoError(t, err)
	state, err := d.Tenant("").Breaker(w.ID)
	require.NoError(t, err)
	require.Equal(t, webhook.BreakerOpen, state) // holds the second

	require.NoError(t, d.Remove(w.ID))
	ended := map[string]webhook.Outcome{}
	timeout := time.After(10 * time.Second)
	for len(ended) < 2 {
		select {
		case inv := <-invs:
			ended[inv.DeliveryID] = inv.Outcome
		case <-timeout:
			t.Fatalf("deliveries ended after the removal: %v", ended)
		}
	}
	require.Equal(t, map[string]webhook.Outcome{
		first.Deliveries[0].DeliveryID:  webhook.Skipped,
		second.Deliveries[0].DeliveryID: webhook.Skipped,
	}, ended)
	require.Len(t, r.Requests(), 1)
}
