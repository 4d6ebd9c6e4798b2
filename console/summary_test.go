package console_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// countingStore is a MemoryStore that counts the reads the console makes.
type countingStore struct {
	*webhook.MemoryStore
	summaries, queries atomic.Int64
}

func (s *countingStore) SummaryCounts(ctx context.Context, tenant string, ids []string, since time.Time) ([]webhook.SummaryCounts, error) {
	s.summaries.Add(1)
	return s.MemoryStore.SummaryCounts(ctx, tenant, ids, since)
}

func (s *countingStore) QueryInvocations(ctx context.Context, tenant string, q webhook.InvocationQuery) (webhook.InvocationPage, error) {
	s.queries.Add(1)
	return s.MemoryStore.QueryInvocations(ctx, tenant, q)
}

// TestTheTableReadsOneSummaryPerPage lists a page of webhooks with many
// records each: one read of the store's counters for the page, and no
// record read, whatever the records.
func TestTheTableReadsOneSummaryPerPage(t *testing.T) {
	store := &countingStore{MemoryStore: webhook.NewMemoryStore(0, 0)}
	s := newHostSite(t, "", []webhook.Option{webhook.WithInvocationStore(store)})
	ctx := context.Background()
	now := time.Now()
	for i := range 5 {
		w, err := s.d.Tenant("acme").Create(ctx, webhook.Webhook{
			Name: fmt.Sprint("hook ", i), Active: true, URL: s.receiver.URL, Triggers: []event.Trigger{accessrequest.Created},
		}, "admin")
		require.NoError(t, err)
		for j := range 3000 {
			o := webhook.Delivered
			if j%4 == 0 {
				o = webhook.Failed
			}
			require.NoError(t, store.Record(ctx, webhook.Invocation{
				ID: fmt.Sprint(i, "/", j), Tenant: "acme", WebhookID: w.ID, Attempt: 1, Outcome: o,
				StartedAt: now.Add(-time.Duration(j) * time.Second), Duration: 40 * time.Millisecond,
			}))
		}
	}
	status, _, page := s.send(t, "acme", http.MethodGet, "/", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, int64(1), store.summaries.Load(), "one read for the page")
	require.Zero(t, store.queries.Load(), "no record read")
	require.Contains(t, page, "75% <span class=\"muted\">of 3000</span>", "every attempt counted, not the first 2,000")
}

// TestTheWebhookPageShowsItsSummary: latency percentiles and the dead
// letters waiting, linked to them.
func TestTheWebhookPageShowsItsSummary(t *testing.T) {
	store := webhook.NewMemoryStore(0, 0)
	s := newHostSite(t, "/console", []webhook.Option{webhook.WithInvocationStore(store)})
	ctx := context.Background()
	w, err := s.d.Tenant("acme").Create(ctx, everyField(t, s.receiver.URL, nil), "admin")
	require.NoError(t, err)
	require.NoError(t, store.Record(ctx, webhook.Invocation{
		ID: "r1", Tenant: "acme", WebhookID: w.ID, Attempt: 1, Outcome: webhook.Delivered, StartedAt: time.Now(), Duration: 40 * time.Millisecond,
	}))
	for _, id := range []string{"d1", "d2"} {
		require.NoError(t, store.AddDeadLetter(ctx, webhook.DeadLetter{
			DeliveryID: id, Tenant: "acme", WebhookID: w.ID, Event: mustMock(t, accessrequest.Created), Outcome: webhook.Failed, FailedAt: time.Now(),
		}))
	}
	status, _, page := s.send(t, "acme", http.MethodGet, "/webhooks/"+w.ID, nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, page, `id="summary"`)
	require.Contains(t, page, `<span class="outcome outcome-delivered">delivered</span>`)
	// One attempt of 40 ms, in the bucket 25-50 ms: its median is read as
	// the bucket's middle, its 99th percentile near its end.
	require.Contains(t, page, `<th scope="row">24 h</th><td>1</td><td>100%</td><td>37.5ms</td><td>49.75ms</td>`)
	require.Contains(t, page, `id="dead-letters-waiting">2</a>`)
}
