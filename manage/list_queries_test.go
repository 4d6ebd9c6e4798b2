package manage_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/webhook"
)

// countingStore counts the queries of records the management API makes.
type countingStore struct {
	*webhook.MemoryStore
	queries atomic.Int64
}

func (s *countingStore) QueryInvocations(ctx context.Context, tenant string, q webhook.InvocationQuery) (webhook.InvocationPage, error) {
	s.queries.Add(1)
	return s.MemoryStore.QueryInvocations(ctx, tenant, q)
}

func (s *countingStore) LatestInvocations(ctx context.Context, tenant string, ids []string) ([]webhook.Invocation, error) {
	s.queries.Add(1)
	return s.MemoryStore.LatestInvocations(ctx, tenant, ids)
}

// A page of webhooks shows each one's newest record, read in one query
// for the page rather than one per webhook (up to 1000 per page): each
// webhook's own, never another tenant's of the same id, and none for a
// webhook with no record.
func TestTheWebhookListReadsTheNewestRecordsInOneQuery(t *testing.T) {
	ctx := context.Background()
	store := &countingStore{MemoryStore: webhook.NewMemoryStore(100, 100)}
	d := newDispatcher(t, webhook.WithInvocationStore(store), webhook.WithAllowedTargets("127.0.0.1"))
	h, err := manage.New(d, bearer)
	require.NoError(t, err)
	acme := newAPI(t, h).as("Authorization", "Bearer acme")

	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		id := fmt.Sprintf("hook-%d", i)
		acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", map[string]any{
			"id": id, "name": id, "url": "https://hooks.example/" + id, "triggers": []string{"RequestCreated"},
		})
		for j := range i % 3 { // hook-0 and hook-3 have none
			require.NoError(t, store.Record(ctx, webhook.Invocation{
				ID: fmt.Sprintf("%s-%d", id, j), Tenant: "acme", WebhookID: id, DeliveryID: "d-" + id,
				Outcome: webhook.Delivered, StartedAt: start.Add(time.Duration(j) * time.Minute), Attempt: 1,
			}))
		}
		// Newer, and another tenant's.
		require.NoError(t, store.Record(ctx, webhook.Invocation{
			ID: "globex-" + id, Tenant: "globex", WebhookID: id, DeliveryID: "g-" + id,
			Outcome: webhook.Failed, StartedAt: start.Add(time.Hour), Attempt: 1,
		}))
	}

	store.queries.Store(0)
	var list struct {
		Webhooks []struct {
			ID             string `json:"id"`
			LastInvocation *struct {
				ID      string `json:"id"`
				Outcome string `json:"outcome"`
			} `json:"last_invocation"`
		} `json:"webhooks"`
	}
	acme.ok(http.StatusOK, &list, http.MethodGet, "/webhooks", nil)
	require.EqualValues(t, 1, store.queries.Load(), "one query for the page")
	last := map[string]string{}
	for _, w := range list.Webhooks {
		if w.LastInvocation != nil {
			require.Equal(t, "delivered", w.LastInvocation.Outcome)
			last[w.ID] = w.LastInvocation.ID
		}
	}
	require.Equal(t, map[string]string{"hook-1": "hook-1-0", "hook-2": "hook-2-1", "hook-4": "hook-4-0"}, last)
}
