package webhook_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/webhook"
)

// TestEraseByEventReachesOperationalRecords publishes an event whose
// delivery dead-letters, with operational events published: the
// WebhookDeadLettered event names the event's id, and its deliveries'
// records and dead letters hold it. Erasing the event's id must erase
// them too, or the erasure leaves the id behind in the tenant's history.
func TestEraseByEventReachesOperationalRecords(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	store := webhook.NewMemoryStore(100, 100)
	d, _ := newDispatcher(t, webhook.WithInvocationStore(store), oneAttempt,
		webhook.WithOperationalEvents(webhook.OperationalSettings{Publish: true}))
	ctx := context.Background()
	ten := d.Tenant("acme")
	// One webhook per event: each tells one dead letter per DeadLetterEvery.
	createHook(t, d, "acme", "dead", rc.URL+"/dead", "RequestCreated")
	createHook(t, d, "acme", "dead-too", rc.URL+"/dead-too", "RequestApproved")
	createHook(t, d, "acme", "admin", rc.URL+"/admin", operational.DeadLettered)

	subject, err := event.New("RequestCreated", map[string]any{"request_id": "r-1"}, event.WithID("evt-erase-me"))
	require.NoError(t, err)
	kept, err := event.New("RequestApproved", map[string]any{"request_id": "r-2"}, event.WithID("evt-keep-me"))
	require.NoError(t, err)
	for _, e := range []*event.Event{subject, kept} {
		_, err = ten.Publish(ctx, e)
		require.NoError(t, err)
	}
	// Each event's dead letter, and the admin webhook's record and dead
	// letter of the operational event about it.
	holding := func(id string) (records, letters int) {
		invs, err := ten.Invocations(ctx, webhook.InvocationQuery{Limit: 100})
		require.NoError(t, err)
		for _, inv := range invs.Invocations {
			if inv.EventID == id || strings.Contains(inv.Request.Body, id) {
				records++
			}
		}
		dls, err := ten.DeadLetters(ctx, webhook.DeadLetterQuery{Limit: 100})
		require.NoError(t, err)
		for _, dl := range dls.DeadLetters {
			if strings.Contains(string(dl.Event.JSON()), id) {
				letters++
			}
		}
		return records, letters
	}
	require.Eventually(t, func() bool {
		r1, l1 := holding("evt-erase-me")
		r2, l2 := holding("evt-keep-me")
		return r1 == 2 && l1 == 2 && r2 == 2 && l2 == 2
	}, 5*time.Second, 10*time.Millisecond)

	er, err := ten.Erase(ctx, webhook.EraseSelector{EventID: "evt-erase-me"}, "dpo")
	require.NoError(t, err)
	records, letters := holding("evt-erase-me")
	require.Zero(t, records, "records holding the erased event's id")
	require.Zero(t, letters, "dead letters holding the erased event's id")
	require.EqualValues(t, 2, er.Invocations)
	require.EqualValues(t, 2, er.DeadLetters)
	records, letters = holding("evt-keep-me")
	require.Equal(t, 2, records, "another event's are kept")
	require.Equal(t, 2, letters)
}

// TestEraseByEventDropsQueuedOperationalDeliveries: the operational event
// about an erased event, waiting in the queue for its next attempt, is
// dropped with it, and never sent again.
func TestEraseByEventDropsQueuedOperationalDeliveries(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	d, _ := newDispatcher(t, webhook.WithInvocationStore(webhook.NewMemoryStore(100, 100)), oneAttempt,
		webhook.WithOperationalEvents(webhook.OperationalSettings{Publish: true}))
	ctx := context.Background()
	ten := d.Tenant("acme")
	createHook(t, d, "acme", "dead", rc.URL+"/dead", "RequestCreated")
	_, err := ten.Create(ctx, webhook.Webhook{ID: "admin", Name: "admin", Active: true, URL: rc.URL + "/admin",
		Triggers: []event.Trigger{operational.DeadLettered},
		Delivery: &webhook.DeliverySettings{Retry: &webhook.RetryPolicy{
			MaxAttempts: 3, InitialInterval: webhook.Duration(time.Hour), MaxInterval: webhook.Duration(time.Hour), MaxElapsed: webhook.Duration(3 * time.Hour),
		}},
	}, "ops-test")
	require.NoError(t, err)

	subject, err := event.New("RequestCreated", map[string]any{"request_id": "r-1"}, event.WithID("evt-erase-me"))
	require.NoError(t, err)
	_, err = ten.Publish(ctx, subject)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		invs, err := ten.Invocations(ctx, webhook.InvocationQuery{WebhookID: "admin", Limit: 10})
		require.NoError(t, err)
		return len(invs.Invocations) == 1 // its first attempt; the next an hour away
	}, 5*time.Second, 10*time.Millisecond)

	er, err := ten.Erase(ctx, webhook.EraseSelector{EventID: "evt-erase-me"}, "dpo")
	require.NoError(t, err)
	require.EqualValues(t, 1, er.Deliveries, "the operational event's delivery waiting for its retry")
	require.EqualValues(t, 2, er.Invocations)
}
