package webhook_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// An engine that stops just after a receiver took a delivery must not
// have it sent again: the run reports it done and records it delivered,
// however late the stop.
func TestStopAfterTheExchangeDoesNotSendAgain(t *testing.T) {
	r := webhooktest.NewReceiver()
	t.Cleanup(r.Close)
	eng := &scriptedEngine{}
	var records []webhook.Invocation
	d, err := webhook.New(webhook.WithEngine(eng),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}), webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithInvocationHook(func(inv webhook.Invocation) { records = append(records, inv) }))
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	_, err = d.Add(webhook.Webhook{Name: "h", Active: true, URL: r.URL + "/h", Triggers: []event.Trigger{accessrequest.Created}})
	require.NoError(t, err)
	ev, err := event.New(accessrequest.Created, map[string]any{"id": "r-1"})
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), ev)
	require.NoError(t, err)
	require.Len(t, eng.queued, 1)

	del := eng.queued[0]
	ctx, stop := context.WithCancel(context.Background())
	del.OnExchangeEnd(stop) // the engine stops right as the exchange ends
	res := eng.runner.Run(ctx, del)
	del.OnExchangeEnd(nil)
	require.Len(t, r.Requests(), 1)
	require.Equal(t, engine.Done, res.Outcome, "the receiver took it: an Interrupted run would be sent again")
	require.Len(t, records, 1)
	require.Equal(t, webhook.Delivered, records[0].Outcome)
	require.Equal(t, 1, records[0].Attempt)
}

// A receiver that took a delivery just as the engine stopped has shown
// it is up: the breaker hears the success, so that with a threshold of 2
// a failure, that delivery and another failure leave it closed.
func TestStopAfterTheExchangeTellsTheBreakerTheSuccess(t *testing.T) {
	r := webhooktest.NewReceiver(webhooktest.Respond(
		webhooktest.Response{Status: 500}, webhooktest.Response{}, webhooktest.Response{Status: 500}))
	t.Cleanup(r.Close)
	eng := &scriptedEngine{}
	var changes []webhook.BreakerState
	d, err := webhook.New(webhook.WithEngine(eng),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}), webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 2}),
		webhook.WithBreakerHook(func(_ string, _, to webhook.BreakerState) { changes = append(changes, to) }))
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	_, err = d.Add(webhook.Webhook{Name: "h", Active: true, URL: r.URL + "/h", Triggers: []event.Trigger{accessrequest.Created}})
	require.NoError(t, err)
	for _, id := range []string{"r-1", "r-2"} {
		ev, err := event.New(accessrequest.Created, map[string]any{"id": id})
		require.NoError(t, err)
		_, err = d.Publish(context.Background(), ev)
		require.NoError(t, err)
	}
	require.Len(t, eng.queued, 2)

	first, second := eng.queued[0], eng.queued[1]
	require.Equal(t, engine.Retry, eng.runner.Run(context.Background(), first).Outcome) // 500
	ctx, stop := context.WithCancel(context.Background())
	first.OnExchangeEnd(stop)
	require.Equal(t, engine.Done, eng.runner.Run(ctx, first).Outcome) // 200, engine stops
	first.OnExchangeEnd(nil)
	require.Equal(t, engine.Retry, eng.runner.Run(context.Background(), second).Outcome) // 500
	require.Len(t, r.Requests(), 3)
	require.Empty(t, changes, "failure, success, failure opened a breaker of threshold 2")
}
