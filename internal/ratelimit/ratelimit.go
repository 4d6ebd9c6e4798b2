// Package ratelimit limits how often one webhook is sent to: at most n
// requests per interval, with bursts of up to a given size after a quiet
// spell.
//
// A Limiter is golang.org/x/time/rate's token bucket with the one call a
// delivery needs that rate does not offer in one step: a reservation taken
// only when it starts soon enough. The time is a parameter, so tests need
// no clock. A nil *Limiter is no limit at all, so a webhook without one
// needs no special case.
package ratelimit

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ErrInvalidLimit means New was given a rate or burst it cannot keep.
var ErrInvalidLimit = errors.New("ratelimit: invalid limit")

// Limiter allows n requests per interval with bursts of up to burst. It is
// safe for concurrent use. The zero Limiter, like a nil one, allows
// everything.
type Limiter struct {
	// mu makes reserving and cancelling one step, so that a refused
	// reservation gives back all of its token: rate restores only what no
	// later reservation has built on.
	mu  sync.Mutex
	lim *rate.Limiter
}

// New returns a Limiter that allows n requests per interval, refilling
// evenly (one every interval/n), and lets up to burst through at once after
// a quiet spell. A full bucket is where every Limiter starts. n and burst
// must be at least 1, and interval/n at least a nanosecond; errors wrap
// ErrInvalidLimit.
func New(n int, interval time.Duration, burst int) (*Limiter, error) {
	switch {
	case n < 1:
		return nil, fmt.Errorf("%w: %d requests per interval; want at least 1", ErrInvalidLimit, n)
	case interval <= 0 || interval/time.Duration(n) == 0:
		return nil, fmt.Errorf("%w: %d requests per %v is not a rate", ErrInvalidLimit, n, interval)
	case burst < 1:
		return nil, fmt.Errorf("%w: burst %d; want at least 1", ErrInvalidLimit, burst)
	}
	return &Limiter{lim: rate.NewLimiter(rate.Limit(float64(n)/interval.Seconds()), burst)}, nil
}

// ReserveWithinAt counts a request at now that must start less than within
// after now: it returns its wait (zero when at once) and true when the
// wait is shorter than within; else it counts nothing and returns the wait
// the request would have had, and false. The caller must wait that long; a
// reservation made cannot be cancelled. A nil or zero Limiter returns
// zero, true.
func (l *Limiter) ReserveWithinAt(now time.Time, within time.Duration) (time.Duration, bool) {
	if l == nil || l.lim == nil {
		return 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.lim.ReserveN(now, 1) // burst is at least 1: always ok
	wait := r.DelayFrom(now)
	if wait >= within && wait > 0 {
		r.CancelAt(now)
		return wait, false
	}
	return wait, true
}
