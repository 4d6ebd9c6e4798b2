package engine

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAttemptContextExpires(t *testing.T) {
	w := NewDeadlines()
	defer w.Stop()
	ac := w.Worker(context.Background())
	defer w.Release(ac)

	timeout := StartAttempt(ac.worker, 20*time.Millisecond)
	require.Same(t, ac, timeout.ac, "a worker's attempt runs in its attempt context")
	select {
	case <-timeout.ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the attempt was not cancelled at its deadline")
	}
	require.ErrorIs(t, context.Cause(timeout.ctx), context.DeadlineExceeded)
	require.True(t, timeout.Expired())
	require.NoError(t, ac.worker.Err(), "the worker's own context lives on")
	timeout.End()
	require.True(t, ac.Spent())

	// A spent context serves no further attempt: the next one falls back.
	next := StartAttempt(ac.worker, time.Minute)
	require.Nil(t, next.ac)
	require.NoError(t, next.ctx.Err())
	next.End()
}

func TestAttemptContextDisarmed(t *testing.T) {
	w := NewDeadlines()
	defer w.Stop()
	ac := w.Worker(context.Background())
	defer w.Release(ac)

	for range 3 { // one context, attempt after attempt
		timeout := StartAttempt(ac.worker, 30*time.Millisecond)
		require.Same(t, ac, timeout.ac)
		timeout.End()
	}
	time.Sleep(60 * time.Millisecond) // past every deadline armed above
	require.NoError(t, ac.attempt.Err(), "a disarmed deadline cancels nothing")
	require.False(t, ac.Spent())
}

// Only a worker's own context finds its attempt context: an attempt under
// a context derived from it (a span, say) gets a timeout of its own.
func TestAttemptContextOnlyForTheWorkersContext(t *testing.T) {
	w := NewDeadlines()
	defer w.Stop()
	ac := w.Worker(context.Background())
	defer w.Release(ac)

	type spanKey struct{}
	derived := context.WithValue(ac.worker, spanKey{}, 1)
	timeout := StartAttempt(derived, time.Minute)
	defer timeout.End()
	require.Nil(t, timeout.ac)
	_, ok := timeout.ctx.Deadline()
	require.True(t, ok)
}

// One timer serves contexts with different deadlines, set in any order;
// each is cancelled at its own, and not before.
func TestDeadlinesInAnyOrder(t *testing.T) {
	w := NewDeadlines()
	defer w.Stop()
	timeouts := []time.Duration{120 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond, time.Hour}
	type run struct {
		start   time.Time
		timeout AttemptTimeout
	}
	runs := make([]run, len(timeouts))
	for i, d := range timeouts {
		ac := w.Worker(context.Background())
		defer w.Release(ac)
		runs[i] = run{start: time.Now(), timeout: StartAttempt(ac.worker, d)}
		require.Same(t, ac, runs[i].timeout.ac)
	}
	for i, r := range runs[:3] {
		select {
		case <-r.timeout.ctx.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("the attempt with timeout %s was not cancelled", timeouts[i])
		}
		require.GreaterOrEqual(t, time.Since(r.start), timeouts[i], "cancelled before its deadline")
		require.True(t, r.timeout.Expired())
	}
	require.NoError(t, runs[3].timeout.ctx.Err())
	runs[3].timeout.End()
}

// Workers arming and disarming at once, some overstaying: an attempt is
// cancelled only once its deadline has passed, and always if it overstays.
func TestDeadlinesConcurrent(t *testing.T) {
	w := NewDeadlines()
	defer w.Stop()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ac := w.Worker(context.Background())
			for i := range 200 {
				if ac.Spent() {
					w.Release(ac)
					ac = w.Worker(context.Background())
				}
				const limit = 5 * time.Millisecond
				start := time.Now()
				timeout := StartAttempt(ac.worker, limit)
				overstay := (g+i)%10 == 0
				if overstay {
					select {
					case <-timeout.ctx.Done():
					case <-time.After(5 * time.Second):
						t.Error("an attempt that overstayed was not cancelled")
					}
				}
				if timeout.ctx.Err() != nil && time.Since(start) < limit {
					t.Error("an attempt was cancelled before its deadline")
				}
				if overstay && !timeout.Expired() {
					t.Error("an attempt that overstayed is not reported expired")
				}
				timeout.End()
			}
			w.Release(ac)
		}()
	}
	wg.Wait()
}

// An attempt under WithAttemptDeadline ends by that deadline when it
// comes before the attempt's timeout, and expires as a timeout does: the
// context it was made under lives on. A later deadline changes nothing.
func TestAttemptDeadlineBeforeTheTimeout(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	ctx := WithAttemptDeadline(parent, start.Add(30*time.Millisecond))
	timeout := StartAttempt(ctx, time.Minute)
	defer timeout.End()
	select {
	case <-timeout.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the attempt outlived its deadline")
	}
	require.Less(t, time.Since(start), 30*time.Second)
	require.True(t, timeout.Expired())
	require.NoError(t, ctx.Err())
	bound, shortened := timeout.Shortened()
	require.True(t, shortened, "the deadline came before the timeout")
	require.LessOrEqual(t, bound, 30*time.Millisecond)

	later := StartAttempt(WithAttemptDeadline(parent, time.Now().Add(time.Hour)), 20*time.Millisecond)
	defer later.End()
	dl, ok := later.Context().Deadline()
	require.True(t, ok)
	require.Less(t, time.Until(dl), time.Second, "the attempt's own timeout comes first")
	_, shortened = later.Shortened()
	require.False(t, shortened)
}
