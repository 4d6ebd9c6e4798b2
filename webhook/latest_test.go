package webhook_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// queryOnly is a QueryStore that reads no newest records at once.
type queryOnly struct{ webhook.QueryStore }

// Tenant.LatestInvocations gives, for each webhook, the record a query
// of that webhook alone lists first, and the zero Invocation for one
// with none; with a LatestStore in one query, with another QueryStore
// one by one, the same.
func TestLatestInvocationsAreEachWebhooksNewest(t *testing.T) {
	ctx := context.Background()
	store := webhook.NewMemoryStore(100, 100)
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := range 4 {
		id := fmt.Sprintf("hook-%d", i)
		for j := range i {
			require.NoError(t, store.Record(ctx, webhook.Invocation{
				ID: fmt.Sprintf("%s-%d", id, j), Tenant: "acme", WebhookID: id, DeliveryID: "d",
				Outcome: webhook.Delivered, StartedAt: start.Add(time.Duration(j) * time.Second), Attempt: 1,
			}))
		}
		require.NoError(t, store.Record(ctx, webhook.Invocation{
			ID: "globex-" + id, Tenant: "globex", WebhookID: id, DeliveryID: "g",
			Outcome: webhook.Failed, StartedAt: start.Add(time.Hour), Attempt: 1,
		}))
	}
	ids := []string{"hook-3", "hook-0", "hook-1", "nope", "hook-3"}
	for _, s := range []webhook.InvocationStore{store, queryOnly{store}} {
		d, _ := newDispatcher(t, webhook.WithInvocationStore(s))
		got, err := d.Tenant("acme").LatestInvocations(ctx, ids)
		require.NoError(t, err)
		require.Len(t, got, len(ids))
		for i, id := range ids {
			want, err := store.QueryInvocations(ctx, "acme", webhook.InvocationQuery{WebhookID: id, Limit: 1})
			require.NoError(t, err)
			if len(want.Invocations) == 0 {
				require.Empty(t, got[i].ID, id)
				continue
			}
			require.Equal(t, want.Invocations[0].ID, got[i].ID, id)
		}
		require.Equal(t, "hook-3-2", got[0].ID)
	}
}
