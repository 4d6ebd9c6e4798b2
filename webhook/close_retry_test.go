package webhook_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/webhook"
)

// retryInAnHour answers 503 with a Retry-After of an hour, which
// retryInAnHourPolicy takes as it is: a drawn delay, with full jitter,
// would fall within Close's deadline now and then.
func retryInAnHour(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "3600")
	w.WriteHeader(http.StatusServiceUnavailable)
}

var retryInAnHourPolicy = webhook.RetryPolicy{
	InitialInterval: webhook.Duration(time.Hour), MaxInterval: webhook.Duration(time.Hour),
	MaxRetryAfter: webhook.Duration(time.Hour), MaxElapsed: webhook.Duration(3 * time.Hour),
}

// A delivery of the in-memory engine waiting for a retry, or held by an
// open breaker, until after Close's deadline cannot run before Close gives
// up: Close makes it a dead letter at once and returns, rather than wait
// out its ctx, and says the drain was cut short.
func TestCloseDoesNotWaitForARunDueAfterItsDeadline(t *testing.T) {
	leakcheck.Check(t)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { retryInAnHour(w) })
	store := webhook.NewMemoryStore(0, 0)
	d, err := webhook.New(
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithInvocationStore(store),
		webhook.WithRetryPolicy(retryInAnHourPolicy),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 1, Cooldown: time.Hour}),
	)
	require.NoError(t, err)
	w := addNamed(t, d, "far", rc.URL, nil)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		invs, err := store.Invocations(context.Background(), w.ID, 0)
		return err == nil && len(invs) == 1 && invs[0].Outcome == webhook.Retrying && time.Until(invs[0].NextAttemptAt) > 59*time.Minute
	}, 5*time.Second, time.Millisecond, "the first attempt fails and waits an hour for its retry")
	// The breaker opened: this one is held for its cool-down, an hour.
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Approved))
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond)
	require.Len(t, rc.got(), 1)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	err = d.Close(ctx)
	// Well short of the minute of its ctx, whatever the machine's load.
	require.Less(t, time.Since(start), 30*time.Second, "Close waited for runs due an hour later")
	require.ErrorIs(t, err, context.DeadlineExceeded, "the drain was cut short")
	require.NoError(t, ctx.Err())
	require.NotContains(t, err.Error(), "memengine", "an internal package is no name users know")
	require.True(t, strings.HasPrefix(err.Error(), "webhook: "), "%q names the package users call", err)

	dead, err := store.DeadLetters(context.Background(), w.ID, 0)
	require.NoError(t, err)
	require.Len(t, dead, 2, "both deliveries are dead letters, to redeliver after a restart")
	for _, dl := range dead {
		require.Contains(t, dl.Reason, "after Close's deadline")
	}
	require.Len(t, rc.got(), 1)
}

// A retry due before Close's deadline still runs: Close drains what it
// can, retries included.
func TestCloseRunsARetryDueBeforeItsDeadline(t *testing.T) {
	leakcheck.Check(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	store := webhook.NewMemoryStore(0, 0)
	d, err := webhook.New(
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithInvocationStore(store),
		webhook.WithRetryPolicy(webhook.RetryPolicy{InitialInterval: webhook.Duration(200 * time.Millisecond), MaxInterval: webhook.Duration(200 * time.Millisecond)}),
	)
	require.NoError(t, err)
	w := addNamed(t, d, "near", rc.URL, nil)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(rc.got()) == 1 }, 5*time.Second, time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, d.Close(ctx))
	invs, err := store.Invocations(context.Background(), w.ID, 0)
	require.NoError(t, err)
	require.Len(t, invs, 2)
	require.Equal(t, webhook.Delivered, invs[0].Outcome, "newest first: the retry Close waited for")
	dead, err := store.DeadLetters(context.Background(), w.ID, 0)
	require.NoError(t, err)
	require.Empty(t, dead)
}

// Deliveries ordered behind one that Close gives up for its deadline are
// given up with it, not sent: Created waits for a retry an hour away, and
// Approved, behind it, must not reach the receiver first. Both are dead
// letters, to redeliver in order.
func TestCloseGivesUpWhatWaitsBehindAKeyItGivesUp(t *testing.T) {
	leakcheck.Check(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			retryInAnHour(w)
		}
	})
	store := webhook.NewMemoryStore(0, 0)
	d, err := webhook.New(
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithInvocationStore(store),
		webhook.WithRetryPolicy(retryInAnHourPolicy),
	)
	require.NoError(t, err)
	w := addNamed(t, d, "ordered", rc.URL, &webhook.DeliverySettings{OrderingKey: "data.id"})
	created, approved := mock(t, accessrequest.Created), mock(t, accessrequest.Approved)
	var c, a struct{ Data struct{ ID string } }
	require.NoError(t, created.Decode(&c))
	require.NoError(t, approved.Decode(&a))
	require.Equal(t, c.Data.ID, a.Data.ID, "one request: one key")
	_, err = d.Publish(context.Background(), created)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		invs, err := store.Invocations(context.Background(), w.ID, 0)
		return err == nil && len(invs) == 1 && invs[0].Outcome == webhook.Retrying
	}, 5*time.Second, time.Millisecond, "Created fails and waits an hour for its retry")
	_, err = d.Publish(context.Background(), approved)
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond)
	require.Len(t, rc.got(), 1, "Approved waits behind Created")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.ErrorIs(t, d.Close(ctx), context.DeadlineExceeded)
	require.Len(t, rc.got(), 1, "Approved was sent while Created, before it, is a dead letter")
	dead, err := store.DeadLetters(context.Background(), w.ID, 0)
	require.NoError(t, err)
	require.Len(t, dead, 2)
	for _, dl := range dead {
		require.Contains(t, dl.Reason, "Close's deadline", dl.Event.Type())
	}
}

// Close with a ctx already done, and nothing to drain nor any
// operational event to hand over, cut nothing short: it returns nil
// every time, not ctx.Err() at the toss of a select.
func TestCloseWithADoneCtxAndNothingLeftReturnsNil(t *testing.T) {
	leakcheck.Check(t)
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	for i := range 30 {
		var opts []webhook.Option
		if i%2 == 1 {
			opts = append(opts, webhook.WithOperationalEvents(webhook.OperationalSettings{}))
		}
		d, err := webhook.New(opts...)
		require.NoError(t, err)
		require.NoError(t, d.Close(expired), "close %d", i)
	}
}

// What Close gives up for its deadline is told as any dead letter is: a
// final record to the invocation hook and a WebhookDeadLettered to the
// operational Hook, each before Close returns, none after.
func TestCloseTellsWhatItGivesUpForItsDeadline(t *testing.T) {
	leakcheck.Check(t)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { retryInAnHour(w) })
	var mu sync.Mutex
	closed := false
	var told []operational.Event
	finals := map[string]webhook.Invocation{}
	late := false
	d, err := webhook.New(
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithRetryPolicy(retryInAnHourPolicy),
		webhook.WithInvocationHook(func(inv webhook.Invocation) {
			mu.Lock()
			defer mu.Unlock()
			late = late || closed
			if inv.Outcome.Final() {
				finals[inv.DeliveryID] = inv
			}
		}),
		webhook.WithOperationalEvents(webhook.OperationalSettings{Hook: func(ev operational.Event) {
			mu.Lock()
			defer mu.Unlock()
			late = late || closed
			if ev.EventType == operational.DeadLettered {
				told = append(told, ev)
			}
		}}),
	)
	require.NoError(t, err)
	a := addNamed(t, d, "a", rc.URL+"/a", &webhook.DeliverySettings{OrderingKey: "data.id"})
	b := addNamed(t, d, "b", rc.URL+"/b", nil)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(rc.got()) == 2 }, 5*time.Second, time.Millisecond, "both fail once and wait an hour")
	pub, err := d.Publish(context.Background(), mock(t, accessrequest.Approved))
	require.NoError(t, err)
	require.Len(t, pub.Deliveries, 2)
	require.Eventually(t, func() bool { return len(rc.got()) == 3 }, 5*time.Second, time.Millisecond, "b's Approved fails; a's waits behind Created")
	time.Sleep(20 * time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.ErrorIs(t, d.Close(ctx), context.DeadlineExceeded)
	mu.Lock()
	closed = true
	require.Len(t, finals, 4, "each of the four deliveries ends in one final record")
	for _, inv := range finals {
		require.Equal(t, webhook.Failed, inv.Outcome)
		require.Contains(t, inv.Reason, "Close's deadline")
	}
	hooks := map[string]bool{}
	for _, ev := range told {
		hooks[ev.Data.WebhookID] = true
		require.Contains(t, ev.Data.Reason, "Close's deadline")
		require.NotNil(t, ev.Data.DeadLetter)
	}
	require.Equal(t, map[string]bool{a.ID: true, b.ID: true}, hooks, "one WebhookDeadLettered per webhook, the others suppressed")
	mu.Unlock()
	time.Sleep(20 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	require.False(t, late, "a hook was called after Close returned")
}
