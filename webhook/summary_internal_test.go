package webhook

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
)

// TestSummaryWindows records attempts of a known distribution at known
// times, on a clock of the test's (the Dispatcher's clock has no option
// yet), and reads the windows and percentiles through Tenant.Summary.
func TestSummaryWindows(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 2, 30, 0, time.UTC) // 2.5 min into its slot
	store := NewMemoryStore(10, 10)
	d, err := New(WithEngine(&collectingEngine{}), WithInvocationStore(store), WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	ctx := context.Background()
	w, err := d.Tenant("acme").Create(ctx, Webhook{ID: "h", Name: "hook", Active: true, URL: "https://example.com/x", Triggers: []event.Trigger{accessrequest.Created}}, "test")
	require.NoError(t, err)

	n := 0
	add := func(at time.Time, count int, o Outcome, dur time.Duration) {
		for range count {
			n++
			require.NoError(t, store.Record(ctx, Invocation{
				ID: fmt.Sprint(n), Tenant: "acme", WebhookID: w.ID, Attempt: 1, Outcome: o, StartedAt: at, Duration: dur,
			}))
		}
	}
	// The slot under way: 50 at 20 ms (bucket 10-25 ms), 30 at 200 ms
	// and 10 failures at 200 ms (100-250 ms), 10 failures at 2 s (1-2.5 s).
	add(now.Add(-2*time.Minute), 50, Delivered, 20*time.Millisecond)
	add(now, 30, Delivered, 200*time.Millisecond)
	add(now, 10, Retrying, 200*time.Millisecond)
	add(now, 10, Failed, 2*time.Second)
	// The hour's: 100 at 3 ms; the last 5 minutes do not hold them.
	add(now.Add(-30*time.Minute), 100, Delivered, 3*time.Millisecond)
	// The day's: 10 failures past a minute.
	add(now.Add(-23*time.Hour), 10, Failed, 2*time.Minute)
	// Older than every window.
	add(now.Add(-25*time.Hour), 7, Delivered, time.Millisecond)

	s, err := d.Tenant("acme").Summary(ctx, "h")
	require.NoError(t, err)
	require.Equal(t, "hook", s.Name)
	require.True(t, s.Active)
	require.Equal(t, BreakerClosed, s.Breaker)
	require.Equal(t, Failed, s.LastOutcome, "the last recorded of those at the latest time")
	require.True(t, s.LastAt.Equal(now))
	ms := time.Millisecond
	require.Equal(t, []WindowSummary{
		{Window: 5 * time.Minute, Attempts: 100, Delivered: 80, Failed: 20, SuccessRate: 0.8,
			P50: 25 * ms, P90: 250 * ms, P99: 1000*ms + 9*1500*ms/10},
		// 200: 100 at 3 ms first, so the median is the bucket 0-5 ms's
		// last, the 90th the 10-25 ms bucket's: 100 + 50 = 150 < 180.
		{Window: time.Hour, Attempts: 200, Delivered: 180, Failed: 20, SuccessRate: 0.9,
			P50: 5 * ms, P90: 100*ms + 30*150*ms/40, P99: 1000*ms + 8*1500*ms/10},
	}, s.Windows[:2])
	day := s.Windows[2]
	require.Equal(t, [3]int64{210, 180, 30}, [3]int64{day.Attempts, day.Delivered, day.Failed})
	require.InDelta(t, 180.0/210, day.SuccessRate, 1e-12)
	require.Equal(t, time.Minute, day.P99, "past the last bound: the last bound")

	// A webhook without attempts: zero windows, no NaN.
	w2, err := d.Tenant("acme").Create(ctx, Webhook{ID: "quiet", Name: "quiet", URL: "https://example.com/y", Triggers: []event.Trigger{accessrequest.Created}}, "test")
	require.NoError(t, err)
	got, err := d.Tenant("acme").Summaries(ctx, []string{w2.ID, "h"})
	require.NoError(t, err)
	require.Equal(t, "h", got[1].WebhookID)
	require.False(t, got[0].Active)
	require.Empty(t, got[0].LastOutcome)
	for _, win := range got[0].Windows {
		require.Equal(t, WindowSummary{Window: win.Window}, win)
	}

	// As the clock moves on, the slot under way leaves the short window.
	now = now.Add(5 * time.Minute)
	s, err = d.Tenant("acme").Summary(ctx, "h")
	require.NoError(t, err)
	require.Zero(t, s.Windows[0].Attempts)
	require.Equal(t, int64(200), s.Windows[1].Attempts)
}

// TestPercentile checks the interpolation within a bucket at its edges.
func TestPercentile(t *testing.T) {
	var hist [LatencyBuckets]int64
	hist[0] = 4 // 0-5 ms
	require.Equal(t, 2500*time.Microsecond, percentile(&hist, 4, 0.5))
	require.Equal(t, 4950*time.Microsecond, percentile(&hist, 4, 0.99))
	hist[LatencyBuckets-1] = 4
	require.Equal(t, time.Minute, percentile(&hist, 8, 0.99))
	require.Equal(t, 5*time.Millisecond, percentile(&hist, 8, 0.5))
	for i, b := range latencyBounds {
		require.Equal(t, i, LatencyBucket(b), "bounds are inclusive")
		require.Equal(t, i+1, LatencyBucket(b+1))
	}
	require.Equal(t, 0, LatencyBucket(-time.Second))
}
