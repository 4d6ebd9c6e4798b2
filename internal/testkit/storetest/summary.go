package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// summaryStore returns hs's store as a SummaryStore.
func summaryStore(t *testing.T, hs HistoryStore) webhook.SummaryStore {
	t.Helper()
	ss, ok := hs.Store.(webhook.SummaryStore)
	require.True(t, ok, "%T is no SummaryStore", hs.Store)
	return ss
}

// counts returns the counters of tenant's ids since since.
func counts(t testing.TB, s webhook.SummaryStore, tenant string, since time.Time, ids ...string) []webhook.SummaryCounts {
	t.Helper()
	got, err := s.SummaryCounts(context.Background(), tenant, ids, since)
	require.NoError(t, err)
	require.Len(t, got, len(ids))
	for i, c := range got {
		require.Equal(t, ids[i], c.WebhookID)
	}
	return got
}

// attempt is a record of an attempt of tenant's hook.
func attempt(tenant, hook, id string, at time.Time, o webhook.Outcome, d time.Duration, reason string) webhook.Invocation {
	inv := inv(tenant, hook, id, at, o)
	inv.Duration, inv.Reason = d, reason
	return inv
}

// testSummaryCounts records attempts, and records that are none, at known
// times and durations: the store counts the attempts by slot and bucket,
// keeps the latest as the last whatever the order they arrive in, and
// keeps each tenant's apart.
func testSummaryCounts(t *testing.T, newStore func(*testing.T, webhook.Retention) HistoryStore) {
	s := summaryStore(t, newStore(t, webhook.Retention{}))
	ctx := context.Background()
	slot := webhook.SlotStart(base) // base is on a slot's start
	require.True(t, slot.Equal(base))
	ms := time.Millisecond
	for _, r := range []webhook.Invocation{
		attempt("a", "h", "1", base, webhook.Delivered, 3*ms, ""),                      // bucket 0
		attempt("a", "h", "2", base.Add(time.Minute), webhook.Delivered, 5*ms, ""),     // 0: bounds are inclusive
		attempt("a", "h", "3", base.Add(2*time.Minute), webhook.Retrying, 7*ms, "503"), // 1
		attempt("a", "h", "4", base.Add(6*time.Minute), webhook.Failed, 2*time.Minute, "timeout"),
		attempt("a", "h", "5", base.Add(7*time.Minute), webhook.ValidationFailed, 300*ms, "bad body"),
		attempt("a", "h", "6", base.Add(-time.Hour), webhook.Delivered, 40*ms, ""), // late, and older
		// Not attempts: filtered, skipped, and a dead letter made without
		// one (queue full).
		attempt("a", "h", "7", base.Add(8*time.Minute), webhook.Filtered, 0, "no match"),
		attempt("a", "h", "8", base.Add(8*time.Minute), webhook.Skipped, 0, "inactive"),
		// Another tenant's webhook of the same id.
		attempt("b", "h", "9", base, webhook.Delivered, time.Second, ""),
	} {
		if r.Outcome == webhook.Filtered || r.Outcome == webhook.Skipped {
			r.Attempt = 0
		}
		require.NoError(t, s.Record(ctx, r))
	}
	full := inv("a", "h", "10", base.Add(9*time.Minute), webhook.Failed)
	full.Attempt, full.Reason = 0, "queue full"
	require.NoError(t, s.Record(ctx, full))

	got := counts(t, s, "a", base.Add(-2*time.Hour), "h", "none")
	h := got[0]
	require.Equal(t, webhook.Failed, h.LastOutcome, "the latest record that is not filtered or skipped")
	require.True(t, h.LastAt.Equal(base.Add(9*time.Minute)), "%v", h.LastAt)
	require.Equal(t, "queue full", h.LastReason)
	require.Zero(t, h.DeadLetters)
	var want [3]webhook.SlotCounts
	want[0].Start, want[1].Start, want[2].Start = slot.Add(-time.Hour), slot, slot.Add(webhook.SummarySlot)
	want[0].Delivered, want[0].Latency[3] = 1, 1
	want[1].Delivered, want[1].Latency[0], want[1].Latency[1] = 2, 2, 1
	want[2].Latency[6], want[2].Latency[13] = 1, 1
	require.Len(t, h.Slots, 3)
	for i := range h.Slots {
		require.True(t, want[i].Start.Equal(h.Slots[i].Start), "slot %d starts at %v", i, h.Slots[i].Start)
		h.Slots[i].Start = want[i].Start
	}
	require.Equal(t, want[:], h.Slots)
	require.Equal(t, webhook.SummaryCounts{WebhookID: "none"}, got[1], "nothing counted")

	twice := counts(t, s, "a", base.Add(-2*time.Hour), "h", "none", "h")
	require.Equal(t, h, twice[2], "an id given twice has its counters twice")

	since := counts(t, s, "a", slot, "h")[0]
	require.Len(t, since.Slots, 2, "the slots since since only")

	b := counts(t, s, "b", time.Time{}, "h")[0]
	require.Len(t, b.Slots, 1, "tenant b's own")
	require.Equal(t, int64(1), b.Slots[0].Latency[7], "1 s, in the bucket that ends at 1 s")
	require.Equal(t, webhook.Delivered, b.LastOutcome)
	require.Empty(t, counts(t, s, "c", time.Time{}, "h")[0].Slots, "a third tenant sees nothing")
}

// testSummaryDeadLetters follows the count of one webhook's dead letters
// through everything that adds or removes them.
func testSummaryDeadLetters(t *testing.T, newStore func(*testing.T, webhook.Retention) HistoryStore) {
	now := base.Add(time.Hour)
	hs := newStore(t, webhook.Retention{DeadLetterAge: 30 * time.Minute, Interval: time.Hour, Now: func() time.Time { return now }})
	s := summaryStore(t, hs)
	ctx := context.Background()
	deadOf := func(tenant, hook string) int64 { return counts(t, s, tenant, time.Time{}, hook)[0].DeadLetters }
	evs := map[string]string{}
	for i := range 10 {
		id := fmt.Sprint("a/h/", i)
		evs[id] = fmt.Sprint("e", i)
		at := base.Add(time.Duration(i) * 10 * time.Minute) // 0, 10, … 90 min
		require.NoError(t, s.AddDeadLetter(ctx, webhook.DeadLetter{DeliveryID: id, Tenant: "a", WebhookID: "h", Event: eventWithID(t, evs[id]), Outcome: webhook.Failed, FailedAt: at}))
	}
	require.NoError(t, s.AddDeadLetter(ctx, dead(t, "b", "h", "b/h/0", now)))
	require.Equal(t, int64(10), deadOf("a", "h"))

	// The same delivery again replaces it: still one.
	require.NoError(t, s.AddDeadLetter(ctx, webhook.DeadLetter{DeliveryID: "a/h/9", Tenant: "a", WebhookID: "h", Event: eventWithID(t, "e9"), Outcome: webhook.Failed, FailedAt: base.Add(95 * time.Minute)}))
	require.Equal(t, int64(10), deadOf("a", "h"))
	// Another tenant's delivery id is refused and counts nothing.
	require.ErrorIs(t, s.AddDeadLetter(ctx, dead(t, "b", "h", "a/h/8", base)), webhook.ErrTenantMismatch)
	require.Equal(t, int64(10), deadOf("a", "h"))
	require.Equal(t, int64(1), deadOf("b", "h"))

	_, err := s.TakeDeadLetter(ctx, "a/h/9")
	require.NoError(t, err)
	_, err = hs.Store.TakeDeadLetterFor(ctx, "a", "a/h/8")
	require.NoError(t, err)
	_, err = hs.Store.TakeDeadLetterFor(ctx, "b", "a/h/7")
	require.ErrorIs(t, err, webhook.ErrNotFound)
	require.Equal(t, int64(8), deadOf("a", "h"), "taken for redelivery")

	n, err := hs.Store.DiscardDeadLetters(ctx, "a", "h", base.Add(50*time.Minute), time.Time{}, 0)
	require.NoError(t, err)
	require.Equal(t, 3, n, "%v", allDeadLetters(t, hs.Store, "a", webhook.DeadLetterQuery{})) // 50, 60, 70
	require.Equal(t, int64(5), deadOf("a", "h"), "discarded")

	// Retention: older than 30 min at base+1h, so 0, 10 and 20 min go.
	require.Equal(t, int64(3), hs.Enforce().DeadLetters)
	require.Equal(t, int64(2), deadOf("a", "h"), "retention")

	_, err = hs.Store.Erase(ctx, webhook.Erasure{ID: "x1", Tenant: "a", EraseSelector: webhook.EraseSelector{EventID: "e3"}, At: now})
	require.NoError(t, err)
	require.Equal(t, int64(1), deadOf("a", "h"), "erased by event id")
	_, err = hs.Store.Erase(ctx, webhook.Erasure{ID: "x2", Tenant: "a", EraseSelector: webhook.EraseSelector{WebhookID: "h"}, At: now})
	require.NoError(t, err)
	require.Equal(t, int64(0), deadOf("a", "h"), "erased with the webhook")
	require.Equal(t, int64(1), deadOf("b", "h"), "another tenant's untouched")

	// Counting starts again after an erasure.
	require.NoError(t, s.AddDeadLetter(ctx, dead(t, "a", "h", "a/h/again", now)))
	require.Equal(t, int64(1), deadOf("a", "h"))
	_, err = hs.Store.Erase(ctx, webhook.Erasure{ID: "x3", Tenant: "a", EraseSelector: webhook.EraseSelector{All: true}, At: now})
	require.NoError(t, err)
	require.Equal(t, int64(0), deadOf("a", "h"), "erased with the tenant")
}

// testSummaryBound fills a webhook past the store's bound on dead
// letters, when it has one: the count is that of the dead letters kept.
func testSummaryBound(t *testing.T, newStore func(*testing.T, webhook.Retention) HistoryStore) {
	hs := newStore(t, webhook.Retention{DeadLettersPerWebhook: 4, Interval: time.Hour})
	s := summaryStore(t, hs)
	fill(t, s, []string{"a"}, []string{"h"}, 10)
	require.Equal(t, int64(10), counts(t, s, "a", time.Time{}, "h")[0].DeadLetters)
	require.Equal(t, int64(6), hs.Enforce().DeadLetters)
	require.Equal(t, int64(4), counts(t, s, "a", time.Time{}, "h")[0].DeadLetters)
}

// testSummaryForget checks what retention and erasure do to the counters
// of attempts: retention drops the slots of no window, erasing a webhook
// or a tenant drops its counters, and erasing by event id leaves them.
func testSummaryForget(t *testing.T, newStore func(*testing.T, webhook.Retention) HistoryStore) {
	now := base.Add(48 * time.Hour)
	hs := newStore(t, webhook.Retention{Interval: time.Hour, Now: func() time.Time { return now }})
	s := summaryStore(t, hs)
	ctx := context.Background()
	for _, tn := range []string{"a", "b"} {
		for _, h := range []string{"h", "i"} {
			for i, at := range []time.Time{base, now.Add(-23 * time.Hour), now.Add(-time.Minute)} {
				r := attempt(tn, h, fmt.Sprint(tn, h, i), at, webhook.Delivered, time.Millisecond, "")
				r.EventID = fmt.Sprint("e", i)
				require.NoError(t, s.Record(ctx, r))
			}
		}
	}
	hs.Enforce()
	got := counts(t, s, "a", time.Time{}, "h")[0]
	require.Len(t, got.Slots, 2, "the slot of two days ago is dropped")
	require.True(t, got.LastAt.Equal(now.Add(-time.Minute)), "the last outcome stays")

	_, err := hs.Store.Erase(ctx, webhook.Erasure{ID: "x1", Tenant: "a", EraseSelector: webhook.EraseSelector{EventID: "e2"}, At: now})
	require.NoError(t, err)
	require.Len(t, counts(t, s, "a", time.Time{}, "h")[0].Slots, 2, "an erasure by event id leaves the counters")
	_, err = hs.Store.Erase(ctx, webhook.Erasure{ID: "x2", Tenant: "a", EraseSelector: webhook.EraseSelector{WebhookID: "h"}, At: now})
	require.NoError(t, err)
	require.Equal(t, webhook.SummaryCounts{WebhookID: "h"}, counts(t, s, "a", time.Time{}, "h")[0], "erased with the webhook")
	require.Len(t, counts(t, s, "a", time.Time{}, "i")[0].Slots, 2, "the other webhook's stay")
	_, err = hs.Store.Erase(ctx, webhook.Erasure{ID: "x3", Tenant: "a", EraseSelector: webhook.EraseSelector{All: true}, At: now})
	require.NoError(t, err)
	require.Equal(t, webhook.SummaryCounts{WebhookID: "i"}, counts(t, s, "a", time.Time{}, "i")[0], "erased with the tenant")
	require.Len(t, counts(t, s, "b", time.Time{}, "h")[0].Slots, 2, "another tenant's stay")
}
