package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// HistoryStore is what RunHistory tests: an empty EraseStore, and what
// enforces the Retention it was made with once, now (r's clock says when now is).
type HistoryStore struct {
	Store   webhook.EraseStore
	Enforce func() webhook.Pruned
}

// RunHistory is the conformance suite of webhook.EraseStore, of
// retention and of webhook.SummaryStore (which the store must be too):
// every store erases, discards, prunes and counts alike, and never
// touches another tenant's rows.
func RunHistory(t *testing.T, newStore func(t *testing.T, r webhook.Retention) HistoryStore) {
	t.Run("RetentionByAge", func(t *testing.T) { testRetentionByAge(t, newStore) })
	t.Run("RetentionByCount", func(t *testing.T) { testRetentionByCount(t, newStore) })
	t.Run("Erase", func(t *testing.T) { testErase(t, newStore) })
	t.Run("EraseHostileIDs", func(t *testing.T) { testEraseHostile(t, newStore(t, webhook.Retention{}).Store) })
	t.Run("DiscardRace", func(t *testing.T) { testDiscardRace(t, newStore(t, webhook.Retention{}).Store) })
	t.Run("SummaryCounts", func(t *testing.T) { testSummaryCounts(t, newStore) })
	t.Run("SummaryDeadLetters", func(t *testing.T) { testSummaryDeadLetters(t, newStore) })
	t.Run("SummaryBound", func(t *testing.T) { testSummaryBound(t, newStore) })
	t.Run("SummaryForget", func(t *testing.T) { testSummaryForget(t, newStore) })
}

// eventWithID is an event carrying id.
func eventWithID(t testing.TB, id string) *event.Event {
	t.Helper()
	e, err := event.New(accessrequest.Created, map[string]any{"id": id}, event.WithID(id))
	require.NoError(t, err)
	return e
}

// fill keeps n records and n dead letters for each of tenants x hooks,
// the i-th at base + i seconds, carrying event id "e<i>"; its ids are
// "tenant/hook/i".
func fill(t testing.TB, s webhook.InvocationStore, tenants, hooks []string, n int) {
	t.Helper()
	ctx := context.Background()
	evs := make([]*event.Event, n)
	for i := range evs {
		evs[i] = eventWithID(t, fmt.Sprint("e", i))
	}
	for _, tn := range tenants {
		for _, h := range hooks {
			for i := range n {
				at := base.Add(time.Duration(i) * time.Second)
				id := fmt.Sprintf("%s/%s/%d", tn, h, i)
				require.NoError(t, s.Record(ctx, webhook.Invocation{
					ID: id, Tenant: tn, DeliveryID: id, WebhookID: h, EventID: fmt.Sprint("e", i),
					Outcome: webhook.Failed, StartedAt: at,
				}))
				require.NoError(t, s.AddDeadLetter(ctx, webhook.DeadLetter{
					DeliveryID: id, Tenant: tn, WebhookID: h, Event: evs[i], Outcome: webhook.Failed, FailedAt: at,
				}))
			}
		}
	}
}

// count returns how many records and dead letters tenant's webhook has.
func count(t testing.TB, s webhook.QueryStore, tenant, hook string) [2]int {
	t.Helper()
	return [2]int{
		len(allInvocations(t, s, tenant, webhook.InvocationQuery{WebhookID: hook})),
		len(allDeadLetters(t, s, tenant, webhook.DeadLetterQuery{WebhookID: hook})),
	}
}

func testRetentionByAge(t *testing.T, newStore func(*testing.T, webhook.Retention) HistoryStore) {
	now := base.Add(29 * time.Second)
	hs := newStore(t, webhook.Retention{
		RecordAge: 10 * time.Second, DeadLetterAge: 5 * time.Second, Interval: time.Hour,
		Now: func() time.Time { return now },
	})
	fill(t, hs.Store, []string{"a", ""}, []string{"h", "i"}, 30)
	// Records 0..18 are more than 10 s old at 29 s, dead letters 0..23
	// more than 5 s.
	require.Equal(t, webhook.Pruned{Invocations: 4 * 19, DeadLetters: 4 * 24}, hs.Enforce())
	for _, tn := range []string{"a", ""} {
		for _, h := range []string{"h", "i"} {
			require.Equal(t, [2]int{11, 6}, count(t, hs.Store, tn, h))
		}
	}
	oldest := allInvocations(t, hs.Store, "a", webhook.InvocationQuery{WebhookID: "h", Outcome: webhook.Failed})
	require.Equal(t, "a/h/19", oldest[len(oldest)-1], "an outcome's records lost them too")
	_, err := hs.Store.TakeDeadLetterFor(context.Background(), "a", "a/h/23")
	require.ErrorIs(t, err, webhook.ErrNotFound)
	require.Equal(t, webhook.Pruned{}, hs.Enforce(), "again: nothing left to prune")
}

func testRetentionByCount(t *testing.T, newStore func(*testing.T, webhook.Retention) HistoryStore) {
	hs := newStore(t, webhook.Retention{RecordsPerWebhook: 5, DeadLettersPerWebhook: 3, Interval: time.Hour})
	fill(t, hs.Store, []string{"a", "b"}, []string{"h", "i"}, 10)
	require.Equal(t, webhook.Pruned{Invocations: 4 * 5, DeadLetters: 4 * 7}, hs.Enforce())
	for _, tn := range []string{"a", "b"} {
		for _, h := range []string{"h", "i"} {
			require.Equal(t, [2]int{5, 3}, count(t, hs.Store, tn, h))
		}
	}
	require.Equal(t, []string{"a/h/9", "a/h/8", "a/h/7"},
		allDeadLetters(t, hs.Store, "a", webhook.DeadLetterQuery{WebhookID: "h"}), "the latest are kept")
}

func testErase(t *testing.T, newStore func(*testing.T, webhook.Retention) HistoryStore) {
	ctx := context.Background()
	for _, tc := range []struct {
		name         string
		sel          webhook.EraseSelector
		erased       int64 // records, and as many dead letters, of tenant a
		leftH, leftI int
	}{
		{"tenant", webhook.EraseSelector{}, 20, 0, 0},
		{"webhook", webhook.EraseSelector{WebhookID: "h"}, 10, 0, 10},
		{"event id", webhook.EraseSelector{EventID: "e3"}, 2, 9, 9},
		{"event id of a webhook", webhook.EraseSelector{WebhookID: "i", EventID: "e3"}, 1, 10, 9},
		{"nothing", webhook.EraseSelector{EventID: "none"}, 0, 10, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t, webhook.Retention{}).Store
			fill(t, s, []string{"a", "b", ""}, []string{"h", "i"}, 10)
			at := base.Add(time.Hour)
			er, err := s.Erase(ctx, webhook.Erasure{ID: "x-" + tc.name, Tenant: "a", EraseSelector: tc.sel, Actor: "dpo", At: at, Deliveries: 7})
			require.NoError(t, err)
			require.Equal(t, [3]int64{tc.erased, tc.erased, 7}, [3]int64{er.Invocations, er.DeadLetters, er.Deliveries})
			require.Equal(t, [2]int{tc.leftH, tc.leftH}, count(t, s, "a", "h"))
			require.Equal(t, [2]int{tc.leftI, tc.leftI}, count(t, s, "a", "i"))
			for _, other := range []string{"b", ""} {
				for _, h := range []string{"h", "i"} {
					require.Equal(t, [2]int{10, 10}, count(t, s, other, h), "tenant %q untouched", other)
				}
			}
			second, err := s.Erase(ctx, webhook.Erasure{ID: "y-" + tc.name, Tenant: "a", EraseSelector: tc.sel, Actor: "dpo2", At: at.Add(time.Second)})
			require.NoError(t, err)
			require.Equal(t, [2]int64{0, 0}, [2]int64{second.Invocations, second.DeadLetters}, "nothing left to erase")
			got, err := s.Erasures(ctx, "a", 0)
			require.NoError(t, err)
			require.Len(t, got, 2)
			require.True(t, got[0].At.Equal(second.At) && got[1].At.Equal(er.At))
			got[0].At, got[1].At, er.At, second.At = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			require.Equal(t, []webhook.Erasure{second, er}, got, "newest first")
			got, err = s.Erasures(ctx, "a", 1)
			require.NoError(t, err)
			require.Len(t, got, 1)
			got, err = s.Erasures(ctx, "b", 0)
			require.NoError(t, err)
			require.Empty(t, got)
		})
	}
}

// testDiscardRace discards one range from four goroutines at once: each
// dead letter is discarded, and counted, once.
func testDiscardRace(t *testing.T, s webhook.EraseStore) {
	fill(t, s, []string{"a", "b"}, []string{"h", "i"}, 300)
	var total atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				n, err := s.DiscardDeadLetters(context.Background(), "a", "h", base.Add(100*time.Second), base.Add(250*time.Second), 7)
				if err != nil || n == 0 {
					require.NoError(t, err)
					return
				}
				total.Add(int64(n))
			}
		})
	}
	wg.Wait()
	require.Equal(t, int64(150), total.Load(), "each discarded once")
	require.Equal(t, [2]int{300, 150}, count(t, s, "a", "h"))
	require.Equal(t, [2]int{300, 300}, count(t, s, "a", "i"))
	require.Equal(t, [2]int{300, 300}, count(t, s, "b", "h"))
	_, err := s.TakeDeadLetterFor(context.Background(), "a", "a/h/99")
	require.NoError(t, err, "before the range")
	_, err = s.TakeDeadLetterFor(context.Background(), "a", "a/h/250")
	require.NoError(t, err, "until is exclusive")
}

// testEraseHostile erases by ids holding NUL, and among events holding
// NUL in their values: what is picked goes, what is not stays, and
// nothing fails.
func testEraseHostile(t *testing.T, s webhook.EraseStore) {
	ctx := context.Background()
	add := func(id, eventID string, data map[string]any) {
		e, err := event.New(accessrequest.Created, data, event.WithID(eventID))
		require.NoError(t, err)
		require.NoError(t, s.Record(ctx, webhook.Invocation{ID: id, Tenant: "a", DeliveryID: id, WebhookID: "h", EventID: eventID, Outcome: webhook.Failed, StartedAt: base}))
		require.NoError(t, s.AddDeadLetter(ctx, webhook.DeadLetter{DeliveryID: id, Tenant: "a", WebhookID: "h", Event: e, Outcome: webhook.Failed, FailedAt: base}))
	}
	add("nul-id", "bad\x00id", map[string]any{"v": 1})
	add("nul-value", "e1", map[string]any{"v": "a\x00b"})
	add("plain", "e2", map[string]any{"v": 2})
	for _, tc := range []struct {
		sel  webhook.EraseSelector
		want int64
	}{
		{webhook.EraseSelector{EventID: "bad\x00id"}, 1},
		{webhook.EraseSelector{EventID: "e1"}, 1},
		{webhook.EraseSelector{WebhookID: "h\x00", EventID: "e2"}, 0},
		{webhook.EraseSelector{EventID: "e2"}, 1},
	} {
		er, err := s.Erase(ctx, webhook.Erasure{ID: fmt.Sprintf("%q/%q", tc.sel.WebhookID, tc.sel.EventID), Tenant: "a", EraseSelector: tc.sel, Actor: "dpo\x00", At: base})
		require.NoError(t, err, "%+v", tc.sel)
		require.Equal(t, [2]int64{tc.want, tc.want}, [2]int64{er.Invocations, er.DeadLetters}, "%+v", tc.sel)
	}
	require.Equal(t, [2]int{0, 0}, count(t, s, "a", "h"))
}
