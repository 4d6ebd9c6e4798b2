package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// Erasing an event's records erases what its last record left in the
// summary too: a summary whose last outcome was that record's falls back
// to the latest record kept, or to none. Here the host's action fails
// with a reason naming the data subject, as an action may.
func TestEraseByEventIDLeavesNothingInTheSummary(t *testing.T) {
	const subject = "ada.lovelace@example.com"
	lookup := func(_ context.Context, req *webhook.ActionRequest) (*webhook.ActionResponse, error) {
		if req.Event.ID() == "subj" {
			return nil, fmt.Errorf("no directory entry for %s", subject)
		}
		return nil, nil
	}
	store := webhook.NewMemoryStore(0, 0)
	d, invs := newDispatcher(t, webhook.WithInvocationStore(store), webhook.WithAction("lookup", lookup),
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}))
	ctx := context.Background()
	acme := d.Tenant("acme")
	hook := func(name string) webhook.Webhook {
		return webhook.Webhook{Name: name, Active: true, Action: "lookup", Triggers: []event.Trigger{accessrequest.Created}}
	}
	kept, err := acme.Create(ctx, hook("kept"), "ada")
	require.NoError(t, err)
	publish := func(id string, hooks int) {
		t.Helper()
		_, err := acme.Publish(ctx, eventWithID(t, id))
		require.NoError(t, err)
		waitFinal(t, invs, hooks)
	}
	publish("earlier", 1) // kept's only: delivered
	alone, err := acme.Create(ctx, hook("alone"), "ada")
	require.NoError(t, err)
	publish("subj", 2) // both fail, naming the subject
	for _, id := range []string{kept.ID, alone.ID} {
		s, err := acme.Summary(ctx, id)
		require.NoError(t, err)
		require.Equal(t, webhook.Failed, s.LastOutcome)
		require.Contains(t, s.LastReason, subject)
	}

	er, err := acme.Erase(ctx, webhook.EraseSelector{EventID: "subj"}, "dpo")
	require.NoError(t, err)
	require.Equal(t, int64(2), er.Invocations)
	sums, err := acme.Summaries(ctx, []string{kept.ID, alone.ID})
	require.NoError(t, err)
	raw, err := json.Marshal(sums)
	require.NoError(t, err)
	require.NotContains(t, string(raw), subject, "the erased event's reason is still shown")
	require.Equal(t, webhook.Delivered, sums[0].LastOutcome, "the latest record kept")
	require.Empty(t, sums[0].LastReason)
	require.Equal(t, webhook.Outcome(""), sums[1].LastOutcome, "no record kept")
	require.True(t, sums[1].LastAt.IsZero())
	require.Equal(t, int64(1), sums[0].Windows[0].Failed, "the counters hold no event and stay")
}
