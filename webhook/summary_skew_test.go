package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/webhook"
)

// TestSummaryRecordsOutOfTime records attempts whose StartedAt is far in
// the future (a skewed clock, a hostile or corrupt record) and far in the
// past: the webhook's later attempts are still counted, and the windows
// hold only the attempts that started within them, not those of slots
// yet to come.
func TestSummaryRecordsOutOfTime(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 17, 0, 0, time.UTC)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	store := webhook.NewMemoryStore(0, 0)
	d, _ := newDispatcher(t, webhook.WithInvocationStore(store), webhook.WithClock(func() time.Time { return now }))
	ctx := context.Background()
	acme := d.Tenant("acme")
	w, err := acme.Create(ctx, tenantHook(rc, "h", accessrequest.Created), "test")
	require.NoError(t, err)

	rec := func(id string, at time.Time, d time.Duration) {
		require.NoError(t, store.Record(ctx, webhook.Invocation{ID: id, Tenant: "acme", DeliveryID: id, WebhookID: w.ID,
			Attempt: 1, Outcome: webhook.Delivered, StartedAt: at, Duration: d}))
	}
	rec("future", now.AddDate(10, 0, 0), time.Second)
	rec("zero", time.Time{}, -time.Hour)
	for i := range 3 {
		rec(fmt.Sprint("now", i), now.Add(-time.Duration(i)*time.Second), 20*time.Millisecond)
	}
	rec("soon", now.Add(10*time.Minute), time.Second)

	s, err := acme.Summary(ctx, w.ID)
	require.NoError(t, err)
	for _, win := range s.Windows {
		require.Equal(t, int64(3), win.Attempts, "%v: the attempts started within it", win.Window)
		require.Equal(t, int64(3), win.Delivered, win.Window)
		require.Equal(t, 1.0, win.SuccessRate, win.Window)
		require.LessOrEqual(t, win.P99, 25*time.Millisecond, win.Window)
	}
}

// TestSummaryOfDefinitionThatDoesNotCompile stores, under another
// instance's feet, a definition this version refuses (TLS settings on an
// http URL, accepted before the refusal): the webhook is still listed,
// and its summary is still read, from the stored name and switch, with
// no breaker, instead of being not found.
func TestSummaryOfDefinitionThatDoesNotCompile(t *testing.T) {
	mem := defstore.NewMemory()
	old, _ := newDispatcher(t, webhook.WithDefinitionStore(mem))
	ctx := context.Background()
	w, err := old.Tenant("t").Create(ctx, webhook.Webhook{Name: "upgraded", Active: true, URL: "https://example.com/hook",
		Triggers: accessrequest.Triggers(), TLS: &webhook.TLSSettings{MinVersion: "1.3"}}, "alice")
	require.NoError(t, err)
	rec, err := mem.Get(ctx, "t", w.ID)
	require.NoError(t, err)
	// Without a keyring, Secrets holds the whole definition as JSON.
	for _, b := range []*[]byte{&rec.Definition, &rec.Secrets} {
		var def map[string]any
		require.NoError(t, json.Unmarshal(*b, &def))
		def["url"] = "http://example.com/hook"
		*b, err = json.Marshal(def)
		require.NoError(t, err)
	}
	_, err = mem.Update(ctx, rec, rec.Version, "before-the-upgrade")
	require.NoError(t, err)

	d, _ := newDispatcher(t, webhook.WithDefinitionStore(mem), webhook.WithInvocationStore(webhook.NewMemoryStore(0, 0)))
	acme := d.Tenant("t")
	got, err := acme.Get(ctx, w.ID)
	require.NoError(t, err, "listed as stored")
	require.Equal(t, "http://example.com/hook", got.URL)
	s, err := acme.Summary(ctx, w.ID)
	require.NoError(t, err)
	require.Equal(t, webhook.Summary{WebhookID: w.ID, Name: "upgraded", Active: true, Breaker: webhook.BreakerDisabled,
		Windows: s.Windows}, s)
	require.Len(t, s.Windows, 3)
	list, err := acme.Summaries(ctx, []string{w.ID, w.ID})
	require.NoError(t, err)
	require.Len(t, list, 2)
}

// TestSummaryPercentilesAgainstBruteForce records sets of durations
// (random, one, all past a minute, negative) and compares each
// percentile with the nearest-rank one of the same durations: it falls
// in the same bucket of the histogram, a minute standing for the last.
func TestSummaryPercentilesAgainstBruteForce(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 17, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]time.Duration, 997)
	for i := range random {
		random[i] = time.Duration(rng.Int64N(int64(90 * time.Second)))
	}
	for name, ds := range map[string][]time.Duration{
		"random":   random,
		"one":      {42 * time.Millisecond},
		"overflow": {2 * time.Minute, time.Hour, 61 * time.Second},
		"negative": {-time.Second, -1, 0, 3 * time.Millisecond},
		"bounds":   {5 * time.Millisecond, 10 * time.Millisecond, time.Minute, time.Minute + 1},
	} {
		t.Run(name, func(t *testing.T) {
			store := webhook.NewMemoryStore(0, 0)
			d, _ := newDispatcher(t, webhook.WithInvocationStore(store), webhook.WithClock(func() time.Time { return now }))
			ctx := context.Background()
			w, err := d.Tenant("acme").Create(ctx, webhook.Webhook{Name: "h", Active: true, URL: "https://example.com/",
				Triggers: accessrequest.Triggers()}, "test")
			require.NoError(t, err)
			for i, dur := range ds {
				require.NoError(t, store.Record(ctx, webhook.Invocation{ID: fmt.Sprint(i), Tenant: "acme", DeliveryID: fmt.Sprint(i),
					WebhookID: w.ID, Attempt: 1, Outcome: webhook.Failed, StartedAt: now, Duration: dur}))
			}
			s, err := d.Tenant("acme").Summary(ctx, w.ID)
			require.NoError(t, err)
			sorted := slices.Clone(ds)
			slices.Sort(sorted)
			for _, win := range s.Windows {
				require.Equal(t, int64(len(ds)), win.Attempts)
				for q, got := range map[float64]time.Duration{0.50: win.P50, 0.90: win.P90, 0.99: win.P99} {
					want := sorted[int(math.Ceil(q*float64(len(ds))))-1]
					if webhook.LatencyBucket(want) == webhook.LatencyBuckets-1 {
						require.Equal(t, time.Minute, got, "p%v of %v", q*100, ds)
						continue
					}
					require.Equal(t, webhook.LatencyBucket(want), webhook.LatencyBucket(got), "p%v: %v for %v", q*100, got, want)
				}
			}
		})
	}
	// No attempt: every figure zero.
	d, _ := newDispatcher(t, webhook.WithInvocationStore(webhook.NewMemoryStore(0, 0)))
	w, err := d.Tenant("acme").Create(context.Background(), webhook.Webhook{Name: "h", Active: true, URL: "https://example.com/",
		Triggers: accessrequest.Triggers()}, "test")
	require.NoError(t, err)
	s, err := d.Tenant("acme").Summary(context.Background(), w.ID)
	require.NoError(t, err)
	for _, win := range s.Windows {
		require.Equal(t, webhook.WindowSummary{Window: win.Window}, win)
	}
}

// TestSummarySlotsAtTheirBounds records attempts at the bounds of slots, in
// order and late, and finds each counted in the slot it started in: the
// slot of the newest record, which most records fall in, and the others.
func TestSummarySlotsAtTheirBounds(t *testing.T) {
	store := webhook.NewMemoryStore(1000, 0)
	ctx := context.Background()
	start := webhook.SlotStart(time.Date(2026, 3, 10, 9, 17, 0, 0, time.UTC))
	at := []time.Duration{
		0, 1, webhook.SummarySlot - 1, // the first slot
		webhook.SummarySlot,                                // the next
		webhook.SummarySlot - 1,                            // late: the first again
		2*webhook.SummarySlot + 1, 2 * webhook.SummarySlot, // the third, the later first
		-1, // late: the slot before the first
		webhook.SummarySlot + webhook.SummarySlot/2,
	}
	want := map[time.Time]int64{}
	for i, d := range at {
		started := start.Add(d).In(time.FixedZone("east", 3600)) // the zone is no part of the slot
		require.NoError(t, store.Record(ctx, webhook.Invocation{ID: fmt.Sprint(i), DeliveryID: fmt.Sprint(i), WebhookID: "w",
			Attempt: 1, Outcome: webhook.Delivered, StartedAt: started}))
		want[webhook.SlotStart(started)]++
	}
	counts, err := store.SummaryCounts(ctx, "", []string{"w"}, time.Time{})
	require.NoError(t, err)
	got := map[time.Time]int64{}
	for _, sl := range counts[0].Slots {
		got[sl.Start] += sl.Delivered
	}
	require.Equal(t, want, got)
	require.Len(t, want, 4)
}
