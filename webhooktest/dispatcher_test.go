package webhooktest_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

func TestDispatcherRetriesWithoutWaiting(t *testing.T) {
	leakcheck.Check(t)
	r := webhooktest.NewReceiver(webhooktest.Respond(
		webhooktest.Response{Status: http.StatusServiceUnavailable},
		webhooktest.Response{Status: http.StatusTooManyRequests, RetryAfter: time.Hour},
		webhooktest.Response{Reset: true},
		webhooktest.Response{Status: http.StatusAccepted},
	))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t)
	_, err := d.Add(webhook.Webhook{Name: "flaky", Active: true, URL: r.URL + "/hook", Triggers: accessrequest.Triggers()})
	require.NoError(t, err)

	start := time.Now()
	e, _ := accessrequest.Mock(accessrequest.Granted)
	_, err = d.Publish(context.Background(), e)
	require.NoError(t, err)
	final := d.WaitFinal(1)
	require.Less(t, time.Since(start), 5*time.Second, "an hour's Retry-After is capped at a nanosecond")

	require.Len(t, final, 1)
	require.Equal(t, webhook.Delivered, final[0].Outcome, final[0].Reason)
	require.Equal(t, 4, final[0].Attempt)
	all := d.Recorded()
	require.Len(t, all, 4)
	for i, want := range []webhook.Outcome{webhook.Retrying, webhook.Retrying, webhook.Retrying, webhook.Delivered} {
		require.Equal(t, want, all[i].Outcome)
	}
	require.Len(t, r.Requests(), 4)
}

func TestDispatcherRecordsFiltered(t *testing.T) {
	d := webhooktest.NewDispatcher(t)
	_, err := d.Add(webhook.Webhook{Name: "inactive", URL: "http://127.0.0.1:1/never", Triggers: []event.Trigger{accessrequest.Created}})
	require.NoError(t, err)
	e, _ := accessrequest.Mock(accessrequest.Created)
	_, err = d.Publish(context.Background(), e)
	require.NoError(t, err)
	final := d.WaitFinal(1)
	require.Equal(t, webhook.Skipped, final[0].Outcome)
}

func TestDispatcherFailingEndpointDoesNotStall(t *testing.T) {
	leakcheck.Check(t)
	r := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Status: http.StatusServiceUnavailable}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, webhook.WithConcurrency(1)) // one delivery after the other
	_, err := d.Add(webhook.Webhook{Name: "down", Active: true, URL: r.URL + "/hook", Triggers: accessrequest.Triggers()})
	require.NoError(t, err)
	for _, trigger := range []event.Trigger{accessrequest.Created, accessrequest.Approved, accessrequest.Granted} {
		e, _ := accessrequest.Mock(trigger)
		_, err = d.Publish(context.Background(), e)
		require.NoError(t, err)
	}
	// Fifteen failures in a row would open a default breaker for 30s after
	// the fifth: the other deliveries would wait past WaitTimeout.
	final := d.WaitFinal(3)
	for _, inv := range final {
		require.Equal(t, webhook.Failed, inv.Outcome)
		require.Equal(t, webhooktest.FastRetries.MaxAttempts, inv.Attempt, inv.Reason)
	}
	require.Len(t, r.Requests(), 15)
}

func TestDispatcherKeepsTheBreakerGiven(t *testing.T) {
	r := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Status: http.StatusServiceUnavailable}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, webhook.WithConcurrency(1),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 1, Cooldown: time.Hour, FailFast: true}))
	_, err := d.Add(webhook.Webhook{Name: "down", Active: true, URL: r.URL + "/hook", Triggers: accessrequest.Triggers()})
	require.NoError(t, err)
	for range 2 {
		e, _ := accessrequest.Mock(accessrequest.Created)
		_, err = d.Publish(context.Background(), e)
		require.NoError(t, err)
	}
	final := d.WaitFinal(2)
	require.Contains(t, final[1].Reason, "circuit breaker open")
	require.Len(t, r.Requests(), 1, "the open breaker refuses the second delivery without a request")
}

func TestDispatcherCallsTheTestsInvocationHook(t *testing.T) {
	r := webhooktest.NewReceiver()
	t.Cleanup(r.Close)
	var mu sync.Mutex
	var seen []webhook.Invocation
	d := webhooktest.NewDispatcher(t, webhook.WithInvocationHook(func(inv webhook.Invocation) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, inv)
	}))
	_, err := d.Add(webhook.Webhook{Name: "ok", Active: true, URL: r.URL + "/hook", Triggers: accessrequest.Triggers()})
	require.NoError(t, err)
	e, _ := accessrequest.Mock(accessrequest.Created)
	_, err = d.Publish(context.Background(), e)
	require.NoError(t, err)
	final := d.WaitFinal(1)
	require.Equal(t, webhook.Delivered, final[0].Outcome)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, d.Recorded(), seen, "the test's hook sees every invocation the kit collects")
}
