package webhook

import (
	"context"
	"errors"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestScheduleFullJitterWithinCeilings(t *testing.T) {
	now := time.Unix(1000, 0)
	p := RetryPolicy{MaxAttempts: 6, InitialInterval: Duration(time.Second), Multiplier: 2, MaxInterval: Duration(5 * time.Second), MaxElapsed: Duration(time.Hour)}
	for _, jitter := range []float64{0, 0.5, 0.999} {
		s := p.newSchedule(func() float64 { return jitter }, func() time.Time { return now }, now, 0)
		var got []time.Duration
		for attempt := 1; ; attempt++ {
			d, err := s.next(attempt, 0)
			if err != nil {
				require.ErrorIs(t, err, errNoAttemptsLeft)
				break
			}
			got = append(got, d)
		}
		ceilings := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
		require.Len(t, got, 5, "MaxAttempts 6 allows 5 retries")
		for i, d := range got {
			require.Equal(t, time.Duration(jitter*float64(ceilings[i])), d, "retry %d with jitter %v", i+1, jitter)
		}
	}
}

func TestScheduleResumesAfterEarlierAttempts(t *testing.T) {
	now := time.Unix(1000, 0)
	p := RetryPolicy{MaxAttempts: 10, InitialInterval: Duration(time.Second), Multiplier: 2, MaxInterval: Duration(time.Minute)}
	s := p.newSchedule(func() float64 { return 1 }, func() time.Time { return now }, now, 3)
	d, err := s.next(3, 0)
	require.NoError(t, err)
	require.Equal(t, 4*time.Second, d, "the delay after the third attempt has the ceiling 1s·2²")
}

// TestScheduleCeilings checks the exponential ceilings against the
// product computed step by step, with a fractional multiplier, and that a
// delivery resumed after very many attempts gets the capped ceiling at
// once, without overflow.
func TestScheduleCeilings(t *testing.T) {
	now := time.Unix(1000, 0)
	p := RetryPolicy{InitialInterval: Duration(300 * time.Millisecond), Multiplier: 1.5, MaxInterval: Duration(10 * time.Second)}.withDefaults()
	want := 300 * time.Millisecond
	for n := 1; n <= 12; n++ {
		require.Equal(t, min(want, 10*time.Second), p.ceiling(n), "delay %d", n)
		want = want * 3 / 2
	}
	p.MaxAttempts = math.MaxInt
	for _, attempts := range []int{64, 2000, 1 << 40} {
		s := p.newSchedule(func() float64 { return 1 }, func() time.Time { return now }, now, attempts)
		d, err := s.next(attempts, 0)
		require.NoError(t, err)
		require.Equal(t, 10*time.Second, d, "after %d attempts", attempts)
	}
}

func TestScheduleStopsAtMaxElapsed(t *testing.T) {
	now := time.Unix(1000, 0)
	p := RetryPolicy{MaxAttempts: 100, InitialInterval: Duration(time.Second), MaxElapsed: Duration(10 * time.Second)}
	s := p.newSchedule(func() float64 { return 1 }, func() time.Time { return now }, now, 0)
	_, err := s.next(1, 0)
	require.NoError(t, err)
	now = now.Add(11 * time.Second)
	_, err = s.next(2, 0)
	require.ErrorContains(t, err, "retry budget ran out", "no retry starts after the budget")
}

func TestScheduleRetryAfterIsCapped(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 3, MaxRetryAfter: Duration(time.Minute)}
	s := p.newSchedule(func() float64 { return 0.5 }, time.Now, time.Now(), 0)
	d, err := s.next(1, 30*time.Second)
	require.NoError(t, err)
	require.Equal(t, 30*time.Second, d)
	d, err = s.next(2, 2*time.Hour)
	require.NoError(t, err)
	require.Equal(t, time.Minute, d)
	_, err = s.next(3, time.Second)
	require.ErrorIs(t, err, errNoAttemptsLeft)
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	tests := map[string]time.Duration{
		"":                              0,
		"120":                           2 * time.Minute,
		"0":                             0,
		"-5":                            0,
		"soon":                          0,
		"Mon, 23 Nov 2026 08:00:30 GMT": 30 * time.Second,
		"Mon, 23 Nov 2026 07:00:00 GMT": 0,
		"99999999999999":                24 * time.Hour,
		// Past int64, still a wait longer than any cap, not none.
		"99999999999999999999": 24 * time.Hour,
	}
	for in, want := range tests {
		require.Equal(t, want, parseRetryAfter(in, now), in)
	}
}

func TestDefaultRetryDecider(t *testing.T) {
	ctx := context.Background()
	for status, want := range map[int]bool{
		200: false, 400: false, 401: false, 404: false, 410: false, 422: false,
		408: true, 429: true, 500: true, 502: true, 503: true, 504: true,
	} {
		require.Equal(t, want, DefaultRetryDecider(ctx, status, nil), status)
	}
	require.True(t, DefaultRetryDecider(ctx, 0, errors.New("connection reset")))
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	require.False(t, DefaultRetryDecider(cancelled, http.StatusServiceUnavailable, nil))
}

func TestRetryPolicyJSON(t *testing.T) {
	var p RetryPolicy
	require.NoError(t, p.InitialInterval.UnmarshalJSON([]byte(`"1m30s"`)))
	require.Equal(t, Duration(90*time.Second), p.InitialInterval)
	require.NoError(t, p.InitialInterval.UnmarshalJSON([]byte(`2.5`)))
	require.Equal(t, Duration(2500*time.Millisecond), p.InitialInterval)
	require.Error(t, p.InitialInterval.UnmarshalJSON([]byte(`"fast"`)))
	require.Error(t, p.InitialInterval.UnmarshalJSON([]byte(`true`)))
	b, err := Duration(90 * time.Second).MarshalJSON()
	require.NoError(t, err)
	require.Equal(t, `"1m30s"`, string(b))
}

func TestMemoryStoreBounds(t *testing.T) {
	s := NewMemoryStore(3, 2)
	ctx := context.Background()
	for i := range 5 {
		require.NoError(t, s.Record(ctx, Invocation{WebhookID: "w", Attempt: i}))
	}
	got, err := s.Invocations(ctx, "w", 0)
	require.NoError(t, err)
	require.Equal(t, []int{4, 3, 2}, attempts(got), "the latest three, newest first")
	got, _ = s.Invocations(ctx, "w", 2)
	require.Equal(t, []int{4, 3}, attempts(got))

	base := time.Unix(0, 0)
	for i := range 3 {
		require.NoError(t, s.AddDeadLetter(ctx, DeadLetter{DeliveryID: string(rune('a' + i)), WebhookID: "w", FailedAt: base.Add(time.Duration(i))}))
	}
	require.NoError(t, s.AddDeadLetter(ctx, DeadLetter{DeliveryID: "x", WebhookID: "v", FailedAt: base.Add(10)}))
	require.Equal(t, int64(1), s.EvictedDeadLetters())
	all, _ := s.DeadLetters(ctx, "", 0)
	require.Equal(t, []string{"x", "c", "b"}, ids(all))
	dl, err := s.TakeDeadLetter(ctx, "c")
	require.NoError(t, err)
	require.Equal(t, "c", dl.DeliveryID)
	_, err = s.TakeDeadLetter(ctx, "c")
	require.ErrorIs(t, err, ErrNotFound)
	require.NoError(t, s.AddDeadLetter(ctx, DeadLetter{DeliveryID: "d", WebhookID: "w", FailedAt: base.Add(5)}))
	left, _ := s.DeadLetters(ctx, "w", 0)
	require.Equal(t, []string{"d", "b"}, ids(left))
}

func attempts(invs []Invocation) []int {
	out := make([]int, len(invs))
	for i, inv := range invs {
		out[i] = inv.Attempt
	}
	return out
}

func ids(dls []DeadLetter) []string {
	out := make([]string, len(dls))
	for i, dl := range dls {
		out[i] = dl.DeliveryID
	}
	return out
}
