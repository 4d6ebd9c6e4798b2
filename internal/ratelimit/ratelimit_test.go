package ratelimit_test

import (
	"context"
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

// fakeClock never sleeps. In auto mode After moves the time forward by d
// and fires at once; otherwise After fires when Advance passes its time,
// and each call is announced on waiting.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	auto    bool
	timers  []fakeTimer
	waiting chan time.Duration
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(auto bool) *fakeClock {
	return &fakeClock{now: t0, auto: auto, waiting: make(chan time.Duration, 16)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if c.auto {
		c.now = c.now.Add(d)
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{c.now.Add(d), ch})
	c.waiting <- d
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.ch <- c.now
	}
	c.timers = kept
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

func TestAllowAtBurstThenRate(t *testing.T) {
	l, err := ratelimit.New(10, time.Second, 3)
	require.NoError(t, err)
	for i := range 3 {
		require.True(t, l.AllowAt(t0), "burst request %d", i)
	}
	require.False(t, l.AllowAt(t0))
	require.False(t, l.AllowAt(t0.Add(99*time.Millisecond)))
	require.True(t, l.AllowAt(t0.Add(100*time.Millisecond)))
	require.False(t, l.AllowAt(t0.Add(100*time.Millisecond)))
	// A quiet second refills the whole burst, and no more.
	later := t0.Add(2 * time.Second)
	for range 3 {
		require.True(t, l.AllowAt(later))
	}
	require.False(t, l.AllowAt(later))
}

func TestReserveAt(t *testing.T) {
	l, err := ratelimit.New(10, time.Second, 2)
	require.NoError(t, err)
	var got []time.Duration
	for range 5 {
		got = append(got, l.ReserveAt(t0))
	}
	ms := time.Millisecond
	require.Equal(t, []time.Duration{0, 0, 100 * ms, 200 * ms, 300 * ms}, got)
	require.False(t, l.AllowAt(t0.Add(300*ms)), "reservations count")
	require.Equal(t, time.Duration(0), l.ReserveAt(t0.Add(400*ms)))
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
	require.Equal(t, 300*ms, l.ReserveAt(t0), "refusals took no slot")

	var nilLimiter *ratelimit.Limiter
	wait, ok := nilLimiter.ReserveWithinAt(t0, 0)
	require.True(t, ok)
	require.Zero(t, wait)
}

// The rate achieved over a long run is within 10% of the configured one,
// whether requests poll with AllowAt or block in Wait.
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
		t.Run(name+"/AllowAt", func(t *testing.T) {
			l, err := ratelimit.New(tt.n, tt.interval, tt.burst)
			require.NoError(t, err)
			span := 20 * tt.interval
			allowed := 0
			for now := t0; now.Before(t0.Add(span)); now = now.Add(tt.interval / time.Duration(2*tt.n)) {
				if l.AllowAt(now) {
					allowed++
				}
			}
			require.InEpsilon(t, want, float64(allowed)/span.Seconds(), 0.10)
		})
		t.Run(name+"/Wait", func(t *testing.T) {
			clock := newFakeClock(true)
			l, err := ratelimit.New(tt.n, tt.interval, tt.burst, ratelimit.WithClock(clock))
			require.NoError(t, err)
			requests := 20 * tt.n
			for range requests {
				require.NoError(t, l.Wait(context.Background()))
			}
			elapsed := clock.Now().Sub(t0)
			require.InEpsilon(t, want, float64(requests)/elapsed.Seconds(), 0.10)
		})
	}
}

func TestConcurrentAllowAt(t *testing.T) {
	leakcheck.Check(t)
	l, err := ratelimit.New(1, time.Hour, 7)
	require.NoError(t, err)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			if l.AllowAt(t0) {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	require.Equal(t, int32(7), allowed.Load())
}

func TestWaitBlocksUntilItsTurn(t *testing.T) {
	leakcheck.Check(t)
	clock := newFakeClock(false)
	l, err := ratelimit.New(2, time.Second, 1, ratelimit.WithClock(clock))
	require.NoError(t, err)
	require.NoError(t, l.Wait(context.Background()), "the first request goes at once")

	done := make(chan error, 1)
	go func() { done <- l.Wait(context.Background()) }()
	require.Equal(t, 500*time.Millisecond, <-clock.waiting)
	clock.Advance(499 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Wait returned before its turn: %v", err)
	default:
	}
	clock.Advance(time.Millisecond)
	require.NoError(t, <-done)
}

func TestWaitNeverSleepsPastTheDeadline(t *testing.T) {
	clock := newFakeClock(false)
	l, err := ratelimit.New(1, time.Hour, 1, ratelimit.WithClock(clock))
	require.NoError(t, err)
	require.NoError(t, l.Wait(context.Background()))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = l.Wait(ctx)
	require.ErrorIs(t, err, ratelimit.ErrWouldExceedDeadline)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Empty(t, clock.timers, "Wait started waiting")
	require.True(t, l.AllowAt(t0.Add(time.Hour)), "the refused request was counted")
}

func TestWaitCancelledGivesTheSlotBack(t *testing.T) {
	leakcheck.Check(t)
	clock := newFakeClock(false)
	l, err := ratelimit.New(1, time.Second, 1, ratelimit.WithClock(clock))
	require.NoError(t, err)
	require.NoError(t, l.Wait(context.Background()))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Wait(ctx) }()
	require.Equal(t, time.Second, <-clock.waiting)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	require.Equal(t, time.Second, l.ReserveAt(t0), "the cancelled request still holds a slot")

	cancelled, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	require.ErrorIs(t, l.Wait(cancelled), context.Canceled)
}

func TestNilLimiter(t *testing.T) {
	var l *ratelimit.Limiter
	require.True(t, l.AllowAt(t0))
	require.Zero(t, l.ReserveAt(t0))
	require.NoError(t, l.Wait(context.Background()))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, l.Wait(ctx), context.Canceled)
}

func BenchmarkAllowAt(b *testing.B) {
	l, err := ratelimit.New(1_000_000, time.Second, 1000)
	require.NoError(b, err)
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Microsecond)
		l.AllowAt(now)
	}
}

func TestZeroLimiter(t *testing.T) {
	var l ratelimit.Limiter
	for range 100 {
		require.True(t, l.AllowAt(t0))
		require.NoError(t, l.Wait(context.Background()))
	}
}
