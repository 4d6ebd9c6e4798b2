package breaker_test

import (
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/breaker"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
)

var t0 = time.Date(2026, 3, 10, 9, 15, 0, 0, time.UTC)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// changes records what the callback reports.
type changes struct {
	mu  sync.Mutex
	got []string
}

func (c *changes) record(from, to breaker.State) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, from.String()+"->"+to.String())
}

func (c *changes) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	got := c.got
	c.got = nil
	return got
}

func newBreaker(t *testing.T, opts ...breaker.Option) (*breaker.Breaker, *fakeClock, *changes) {
	t.Helper()
	clock := &fakeClock{now: t0}
	ch := &changes{}
	opts = append([]breaker.Option{
		breaker.WithThreshold(3),
		breaker.WithCooldown(10*time.Second, 35*time.Second),
		breaker.WithClock(clock.Now),
		breaker.WithOnChange(ch.record),
	}, opts...)
	return breaker.New(opts...), clock, ch
}

// attempt runs one attempt with the given outcome and requires it to have
// been allowed.
func attempt(t *testing.T, b *breaker.Breaker, success bool) {
	t.Helper()
	done, err := b.Allow()
	require.NoError(t, err)
	done.Report(success)
}

func requireOpenUntil(t *testing.T, b *breaker.Breaker, until time.Time) {
	t.Helper()
	done, err := b.Allow()
	require.False(t, done.Allowed())
	require.ErrorIs(t, err, breaker.ErrOpen)
	var oe *breaker.OpenError
	require.ErrorAs(t, err, &oe)
	require.Equal(t, until, oe.Until)
}

func TestClosedToOpen(t *testing.T) {
	b, clock, ch := newBreaker(t)
	attempt(t, b, false)
	attempt(t, b, false)
	attempt(t, b, true) // a success ends the run
	attempt(t, b, false)
	attempt(t, b, false)
	require.Equal(t, breaker.Closed, b.State())
	require.Empty(t, ch.take())

	attempt(t, b, false)
	require.Equal(t, breaker.Open, b.State())
	require.Equal(t, []string{"closed->open"}, ch.take())
	requireOpenUntil(t, b, t0.Add(10*time.Second))

	clock.Advance(10*time.Second - time.Nanosecond)
	require.Equal(t, breaker.Open, b.State())
	requireOpenUntil(t, b, t0.Add(10*time.Second))
}

func TestOpenToHalfOpenToClosed(t *testing.T) {
	b, clock, ch := newBreaker(t)
	for range 3 {
		attempt(t, b, false)
	}
	clock.Advance(10 * time.Second)
	require.Equal(t, breaker.HalfOpen, b.State())
	require.Equal(t, []string{"closed->open", "open->half-open"}, ch.take())

	probe, err := b.Allow()
	require.NoError(t, err)
	requireOpenUntil(t, b, clock.Now().Add(10*time.Second)) // one probe at a time
	probe.Report(true)
	require.Equal(t, breaker.Closed, b.State())
	require.Equal(t, []string{"half-open->closed"}, ch.take())
	attempt(t, b, true)
}

// Open becomes half-open on Allow too, without a call to State.
func TestAllowMovesToHalfOpen(t *testing.T) {
	b, clock, ch := newBreaker(t)
	for range 3 {
		attempt(t, b, false)
	}
	clock.Advance(time.Minute)
	attempt(t, b, true)
	require.Equal(t, []string{"closed->open", "open->half-open", "half-open->closed"}, ch.take())
}

func TestFailedProbesGrowTheCooldown(t *testing.T) {
	b, clock, ch := newBreaker(t)
	for range 3 {
		attempt(t, b, false)
	}
	// Cool-downs: 10s, then 20s, 35s (capped from 40s), 35s.
	for _, cooldown := range []time.Duration{10, 20, 35, 35} {
		cooldown *= time.Second
		requireOpenUntil(t, b, clock.Now().Add(cooldown))
		clock.Advance(cooldown)
		attempt(t, b, false)
	}
	require.Equal(t, breaker.Open, b.State())
	require.Equal(t, []string{
		"closed->open",
		"open->half-open", "half-open->open",
		"open->half-open", "half-open->open",
		"open->half-open", "half-open->open",
		"open->half-open", "half-open->open",
	}, ch.take())

	// A successful probe closes the breaker and the cool-down starts over.
	clock.Advance(35 * time.Second)
	attempt(t, b, true)
	for range 3 {
		attempt(t, b, false)
	}
	requireOpenUntil(t, b, clock.Now().Add(10*time.Second))
}

func TestDisableAndReset(t *testing.T) {
	for _, from := range []breaker.State{breaker.Closed, breaker.Open, breaker.HalfOpen} {
		t.Run(from.String(), func(t *testing.T) {
			b, clock, ch := newBreaker(t)
			var inFlight breaker.Permit
			if from != breaker.Closed {
				for range 3 {
					attempt(t, b, false)
				}
			}
			if from == breaker.HalfOpen {
				clock.Advance(10 * time.Second)
				var err error
				inFlight, err = b.Allow()
				require.NoError(t, err)
			}
			require.Equal(t, from, b.State())
			ch.take()

			b.Disable()
			require.Equal(t, breaker.Disabled, b.State())
			require.Equal(t, []string{from.String() + "->disabled"}, ch.take())
			done, err := b.Allow()
			require.False(t, done.Allowed())
			require.ErrorIs(t, err, breaker.ErrDisabled)
			clock.Advance(time.Hour)
			require.Equal(t, breaker.Disabled, b.State(), "no cool-down ends Disabled")
			if inFlight.Allowed() {
				inFlight.Report(true)
				require.Equal(t, breaker.Disabled, b.State(), "an outcome does not end Disabled")
			}

			b.Reset()
			require.Equal(t, breaker.Closed, b.State())
			require.Equal(t, []string{"disabled->closed"}, ch.take())
			attempt(t, b, true)
		})
	}
}

// Outcomes of attempts allowed in an earlier state do not count.
func TestStaleOutcomesIgnored(t *testing.T) {
	b, clock, ch := newBreaker(t)
	slow, err := b.Allow()
	require.NoError(t, err)
	for range 3 {
		attempt(t, b, false)
	}
	slow.Report(true)
	require.Equal(t, breaker.Open, b.State(), "a straggler's success does not close an open breaker")

	clock.Advance(10 * time.Second)
	probe, err := b.Allow()
	require.NoError(t, err)
	probe.Report(true)
	require.Equal(t, breaker.Closed, b.State())

	late, err := b.Allow()
	require.NoError(t, err)
	attempt(t, b, false)
	attempt(t, b, false)
	b.Reset() // a new generation, as any state change starts
	late.Report(false)
	attempt(t, b, false)
	attempt(t, b, false)
	require.Equal(t, breaker.Closed, b.State(), "the failure before Reset was not counted")
	require.Equal(t, []string{"closed->open", "open->half-open", "half-open->closed"}, ch.take())
}

func TestDoneCountsOnce(t *testing.T) {
	b, _, _ := newBreaker(t)
	done, err := b.Allow()
	require.NoError(t, err)
	for range 5 {
		done.Report(false)
	}
	attempt(t, b, false)
	require.Equal(t, breaker.Closed, b.State())
}

// A probe that never reports is given up after a cool-down, and another is
// allowed.
func TestLostProbe(t *testing.T) {
	b, clock, _ := newBreaker(t)
	for range 3 {
		attempt(t, b, false)
	}
	clock.Advance(10 * time.Second)
	_, err := b.Allow() // abandoned: reports nothing
	require.NoError(t, err)
	requireOpenUntil(t, b, clock.Now().Add(10*time.Second))
	clock.Advance(10 * time.Second)
	attempt(t, b, true)
	require.Equal(t, breaker.Closed, b.State())
}

func TestDefaultsAndOptions(t *testing.T) {
	clock := &fakeClock{now: t0}
	b := breaker.New(nil, breaker.WithThreshold(0), breaker.WithCooldown(0, time.Second), breaker.WithClock(nil), breaker.WithClock(clock.Now))
	for range breaker.DefaultThreshold - 1 {
		attempt(t, b, false)
	}
	require.Equal(t, breaker.Closed, b.State())
	attempt(t, b, false)
	requireOpenUntil(t, b, t0.Add(breaker.DefaultCooldown))
	// A cap below the base means no growth.
	clock.Advance(breaker.DefaultCooldown)
	attempt(t, b, false)
	requireOpenUntil(t, b, clock.Now().Add(breaker.DefaultCooldown))
}

func TestStateString(t *testing.T) {
	for s, want := range map[breaker.State]string{
		breaker.Closed: "closed", breaker.Open: "open", breaker.HalfOpen: "half-open",
		breaker.Disabled: "disabled", breaker.State(9): "State(9)",
	} {
		require.Equal(t, want, s.String())
	}
}

// Under concurrent use, the callback sees a consistent chain of changes,
// one at a time.
func TestConcurrentUse(t *testing.T) {
	leakcheck.Check(t)
	clock := &fakeClock{now: t0}
	var (
		inside  atomic.Int32 // callbacks running now
		overlap atomic.Bool
		mu      sync.Mutex
		last    = breaker.Closed
		broken  []string
		count   int
	)
	b := breaker.New(
		breaker.WithThreshold(2),
		breaker.WithCooldown(time.Second, 4*time.Second),
		breaker.WithClock(clock.Now),
		breaker.WithOnChange(func(from, to breaker.State) {
			if inside.Add(1) != 1 {
				overlap.Store(true)
			}
			defer inside.Add(-1)
			mu.Lock()
			defer mu.Unlock()
			if from != last {
				broken = append(broken, from.String()+"->"+to.String()+" after "+last.String())
			}
			last = to
			count++
		}),
	)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				if i%50 == 0 {
					clock.Advance(time.Second)
				}
				done, err := b.Allow()
				if err != nil {
					continue
				}
				done.Report((i+g)%3 == 0)
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	require.Empty(t, broken)
	require.False(t, overlap.Load(), "two callbacks ran at once")
	require.Positive(t, count)
	require.Equal(t, last, b.State())
}

func BenchmarkAllow(b *testing.B) {
	br := breaker.New()
	b.ReportAllocs()
	for b.Loop() {
		done, err := br.Allow()
		if err != nil {
			b.Fatal(err)
		}
		done.Report(true)
	}
}

func TestZeroBreaker(t *testing.T) {
	var b breaker.Breaker
	for range breaker.DefaultThreshold {
		attempt(t, &b, false)
	}
	done, err := b.Allow()
	require.False(t, done.Allowed())
	var oe *breaker.OpenError
	require.ErrorAs(t, err, &oe)
	require.WithinDuration(t, time.Now().Add(breaker.DefaultCooldown), oe.Until, time.Minute)
}

// However many attempts ask at once, a half-open breaker lets one probe
// through; its success closes the breaker for all, and a success of the
// generation before the probe's, reported late, changes nothing.
func TestHalfOpenLetsOneProbeAmongMany(t *testing.T) {
	for range 100 {
		b, clock, _ := newBreaker(t, breaker.WithThreshold(1))
		stale, err := b.Allow()
		require.NoError(t, err)
		attempt(t, b, false) // opens
		clock.Advance(time.Hour)
		var (
			start   = make(chan struct{})
			wg      sync.WaitGroup
			mu      sync.Mutex
			permits []breaker.Permit
		)
		for range 16 {
			wg.Go(func() {
				<-start
				if p, err := b.Allow(); err == nil {
					mu.Lock()
					permits = append(permits, p)
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		require.Len(t, permits, 1, "a half-open breaker let several probes through")
		stale.Report(true)
		require.Equal(t, breaker.HalfOpen, b.State(), "a stale success closed the breaker")
		permits[0].Report(true)
		require.Equal(t, breaker.Closed, b.State())
		for range 4 {
			_, err := b.Allow()
			require.NoError(t, err)
		}
	}
}

// A breaker that never cools down follows a model of consecutive failures
// through random Allow, Report (of fresh and stale permits) and Reset:
// the lock-free closed path and the locked one agree with it.
func TestClosedFollowsTheModel(t *testing.T) {
	const threshold = 3
	rng := rand.New(rand.NewPCG(1, 2))
	b, _, _ := newBreaker(t, breaker.WithThreshold(threshold))
	type held struct {
		p   breaker.Permit
		gen int
	}
	var (
		open     bool
		gen      int
		failures int
		permits  []held
	)
	for step := range 20000 {
		switch op := rng.IntN(10); {
		case op < 4:
			p, err := b.Allow()
			require.Equal(t, open, err != nil, "step %d: Allow", step)
			if err == nil {
				permits = append(permits, held{p, gen})
			}
		case op < 9 && len(permits) > 0:
			i := rng.IntN(len(permits))
			h := permits[i]
			permits = slices.Delete(permits, i, i+1)
			success := rng.IntN(3) > 0
			h.p.Report(success)
			if h.gen == gen && !open {
				if success {
					failures = 0
				} else if failures++; failures == threshold {
					open, failures = true, 0
					gen++
				}
			}
		case op == 9 && rng.IntN(20) == 0:
			b.Reset()
			open, failures = false, 0
			gen++
		}
		want := breaker.Closed
		if open {
			want = breaker.Open
		}
		require.Equal(t, want, b.State(), "step %d", step)
	}
}
