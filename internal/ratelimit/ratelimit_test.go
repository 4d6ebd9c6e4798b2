package ratelimit_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/ratelimit"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
)

var t0 = time.Date(2026, 3, 10, 9, 15, 0, 0, time.UTC)

// forever is a bound no wait reaches: the request is always counted.
const forever = 1000 * time.Hour

// allowAt reports whether a request may go at now, counting it if so.
func allowAt(l *ratelimit.Limiter, now time.Time) bool {
	_, ok := l.ReserveWithinAt(now, 0)
	return ok
}

func TestNewRefuses(t *testing.T) {
	tests := []struct {
		name     string
		n        int
		interval time.Duration
		burst    int
	}{
		{"zero requests", 0, time.Second, 1},
		{"negative requests", -1, time.Second, 1},
		{"zero interval", 1, 0, 1},
		{"negative interval", 1, -time.Second, 1},
		{"finer than a nanosecond", 10, 5 * time.Nanosecond, 1},
		{"zero burst", 1, time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ratelimit.New(tt.n, tt.interval, tt.burst)
			require.ErrorIs(t, err, ratelimit.ErrInvalidLimit)
		})
	}
}

func TestBurstThenRate(t *testing.T) {
	l, err := ratelimit.New(10, time.Second, 3)
	require.NoError(t, err)
	for i := range 3 {
		require.True(t, allowAt(l, t0), "burst request %d", i)
	}
	require.False(t, allowAt(l, t0))
	require.False(t, allowAt(l, t0.Add(99*time.Millisecond)))
	require.True(t, allowAt(l, t0.Add(100*time.Millisecond)))
	require.False(t, allowAt(l, t0.Add(100*time.Millisecond)))
	// A quiet second refills the whole burst, and no more.
	later := t0.Add(2 * time.Second)
	for range 3 {
		require.True(t, allowAt(l, later))
	}
	require.False(t, allowAt(l, later))
}

func TestReserveQueues(t *testing.T) {
	l, err := ratelimit.New(10, time.Second, 2)
	require.NoError(t, err)
	var got []time.Duration
	for range 5 {
		wait, ok := l.ReserveWithinAt(t0, forever)
		require.True(t, ok)
		got = append(got, wait)
	}
	ms := time.Millisecond
	require.Equal(t, []time.Duration{0, 0, 100 * ms, 200 * ms, 300 * ms}, got)
	require.False(t, allowAt(l, t0.Add(300*ms)), "reservations count")
	require.True(t, allowAt(l, t0.Add(400*ms)))
}

// ReserveWithinAt takes a slot only when it starts within the limit: a
// refused request leaves the next slot where it was.
func TestReserveWithinAt(t *testing.T) {
	l, err := ratelimit.New(10, time.Second, 1)
	require.NoError(t, err)
	ms := time.Millisecond
	type res struct {
		wait time.Duration
		ok   bool
	}
	var got []res
	for _, within := range []time.Duration{ms, 150 * ms, 150 * ms, 200 * ms, 201 * ms} {
		wait, ok := l.ReserveWithinAt(t0, within)
		got = append(got, res{wait, ok})
	}
	require.Equal(t, []res{{0, true}, {100 * ms, true}, {200 * ms, false}, {200 * ms, false}, {200 * ms, true}}, got)
	wait, ok := l.ReserveWithinAt(t0, forever)
	require.True(t, ok)
	require.Equal(t, 300*ms, wait, "refusals took no slot")

	var nilLimiter *ratelimit.Limiter
	wait, ok = nilLimiter.ReserveWithinAt(t0, 0)
	require.True(t, ok)
	require.Zero(t, wait)
}

// TestConcurrentRefusalsTakeNoSlot races refused requests against counted
// ones: however they interleave, each refusal gives its token back whole,
// so the next slot follows the counted requests only.
func TestConcurrentRefusalsTakeNoSlot(t *testing.T) {
	leakcheck.Check(t)
	l, err := ratelimit.New(1, time.Second, 1)
	require.NoError(t, err)
	var wg sync.WaitGroup
	var counted atomic.Int32
	for i := range 200 {
		wg.Go(func() {
			within := time.Duration(0) // refused once the burst is spent
			if i%20 == 0 {
				within = forever
			}
			if _, ok := l.ReserveWithinAt(t0, within); ok {
				counted.Add(1)
			}
		})
	}
	wg.Wait()
	n := counted.Load()
	require.GreaterOrEqual(t, n, int32(10))
	wait, ok := l.ReserveWithinAt(t0, forever)
	require.True(t, ok)
	require.Equal(t, time.Duration(n)*time.Second, wait)
}

// The rate achieved over a long run is within 10% of the configured one,
// whether requests poll or queue.
func TestAchievedRate(t *testing.T) {
	tests := []struct {
		n        int
		interval time.Duration
		burst    int
	}{
		{10, time.Second, 1},
		{50, time.Second, 10},
		{3, time.Second, 3},
		{100, time.Minute, 5},
		{1000, time.Second, 100},
	}
	for _, tt := range tests {
		want := float64(tt.n) / tt.interval.Seconds()
		name := fmt.Sprintf("%d per %v burst %d", tt.n, tt.interval, tt.burst)
		t.Run(name+"/poll", func(t *testing.T) {
			l, err := ratelimit.New(tt.n, tt.interval, tt.burst)
			require.NoError(t, err)
			span := 20 * tt.interval
			allowed := 0
			for now := t0; now.Before(t0.Add(span)); now = now.Add(tt.interval / time.Duration(2*tt.n)) {
				if allowAt(l, now) {
					allowed++
				}
			}
			require.InEpsilon(t, want, float64(allowed)/span.Seconds(), 0.10)
		})
		t.Run(name+"/queue", func(t *testing.T) {
			l, err := ratelimit.New(tt.n, tt.interval, tt.burst)
			require.NoError(t, err)
			requests := 20 * tt.n
			now := t0
			for range requests {
				wait, ok := l.ReserveWithinAt(now, forever)
				require.True(t, ok)
				now = now.Add(wait)
			}
			require.InEpsilon(t, want, float64(requests)/now.Sub(t0).Seconds(), 0.10)
		})
	}
}

func TestConcurrentAllow(t *testing.T) {
	leakcheck.Check(t)
	l, err := ratelimit.New(1, time.Hour, 7)
	require.NoError(t, err)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			if allowAt(l, t0) {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	require.Equal(t, int32(7), allowed.Load())
}

func TestNilLimiter(t *testing.T) {
	var l *ratelimit.Limiter
	require.True(t, allowAt(l, t0))
	wait, ok := l.ReserveWithinAt(t0, forever)
	require.True(t, ok)
	require.Zero(t, wait)
}

func TestZeroLimiter(t *testing.T) {
	var l ratelimit.Limiter
	for range 100 {
		require.True(t, allowAt(&l, t0))
	}
}

func BenchmarkReserveWithinAt(b *testing.B) {
	l, err := ratelimit.New(1_000_000, time.Second, 1000)
	require.NoError(b, err)
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Microsecond)
		l.ReserveWithinAt(now, time.Millisecond)
	}
}
