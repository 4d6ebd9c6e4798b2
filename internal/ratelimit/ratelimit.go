// Package ratelimit limits how often one webhook is sent to: at most n
// requests per interval, with bursts of up to a given size after a quiet
// spell.
//
// A Limiter is a token bucket, kept as the generic cell rate algorithm: it
// stores one time, the theoretical arrival time of the next request, so it
// never drifts and needs no background goroutine. The bucket holds up to
// burst tokens and refills one token every interval/n.
//
// As in golang.org/x/time/rate, the time is a parameter of the calls that
// do not block (AllowAt, ReserveAt), so they are tested without a clock,
// and only Wait, which blocks, takes a context and reads a Clock; it never
// waits past the context's deadline. A nil *Limiter is no limit at all, so
// a webhook without one needs no special case.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Errors of New and Wait, matched with errors.Is.
var (
	// ErrInvalidLimit means New was given a rate or burst it cannot keep.
	ErrInvalidLimit = errors.New("ratelimit: invalid limit")
	// ErrWouldExceedDeadline means Wait returned at once because the wait
	// would last past the context's deadline. Errors that wrap it also
	// wrap context.DeadlineExceeded.
	ErrWouldExceedDeadline = errors.New("ratelimit: wait would exceed the context deadline")
)

// Clock tells the time and waits; tests pass a fake one.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After sends the time on the returned channel once d has passed.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Option configures New. A nil Option is ignored.
type Option interface {
	apply(*Limiter)
}

type optionFunc func(*Limiter)

func (f optionFunc) apply(l *Limiter) { f(l) }

// WithClock makes Wait read c instead of the system clock. A nil c is
// ignored.
func WithClock(c Clock) Option {
	return optionFunc(func(l *Limiter) {
		if c != nil {
			l.clock = c
		}
	})
}

// Limiter allows n requests per interval with bursts of up to burst. It is
// safe for concurrent use. The zero Limiter, like a nil one, allows
// everything.
type Limiter struct {
	step      time.Duration // time between two requests at the steady rate
	tolerance time.Duration // how far ahead of now the next slot may be
	clock     Clock

	mu  sync.Mutex
	tat time.Time // theoretical arrival time of the next request
}

// New returns a Limiter that allows n requests per interval, refilling
// evenly (one every interval/n), and lets up to burst through at once after
// a quiet spell. A full bucket is where every Limiter starts. n and burst
// must be at least 1, and interval/n at least a nanosecond; errors wrap
// ErrInvalidLimit.
func New(n int, interval time.Duration, burst int, opts ...Option) (*Limiter, error) {
	switch {
	case n < 1:
		return nil, fmt.Errorf("%w: %d requests per interval; want at least 1", ErrInvalidLimit, n)
	case interval <= 0 || interval/time.Duration(n) == 0:
		return nil, fmt.Errorf("%w: %d requests per %v is not a rate", ErrInvalidLimit, n, interval)
	case burst < 1:
		return nil, fmt.Errorf("%w: burst %d; want at least 1", ErrInvalidLimit, burst)
	}
	step := interval / time.Duration(n)
	l := &Limiter{step: step, tolerance: step * time.Duration(burst-1), clock: realClock{}}
	for _, o := range opts {
		if o != nil {
			o.apply(l)
		}
	}
	return l, nil
}

// AllowAt reports whether a request may be sent at now, and if so counts
// it. A nil or zero Limiter allows everything.
func (l *Limiter) AllowAt(now time.Time) bool {
	if l == nil || l.step == 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	tat := l.next(now)
	if tat.Sub(now) > l.tolerance {
		return false
	}
	l.tat = tat.Add(l.step)
	return true
}

// ReserveAt counts a request at now and returns how long after now it may
// be sent: zero when at once. The caller must wait that long; a reservation
// cannot be cancelled. A nil or zero Limiter returns zero.
func (l *Limiter) ReserveAt(now time.Time) time.Duration {
	if l == nil || l.step == 0 {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	wait, _ := l.reserve(now)
	return wait
}

// ReserveWithinAt is ReserveAt for a request that must start less than
// within after now: it counts the request and returns its wait, true, when
// the wait is shorter than within; else it counts nothing and returns the
// wait the request would have had, false. A nil or zero Limiter returns
// zero, true.
func (l *Limiter) ReserveWithinAt(now time.Time, within time.Duration) (time.Duration, bool) {
	if l == nil || l.step == 0 {
		return 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if wait := max(l.next(now).Sub(now)-l.tolerance, 0); wait >= within && wait > 0 {
		return wait, false
	}
	wait, _ := l.reserve(now)
	return wait, true
}

// Wait blocks until a request may be sent, or until ctx is done. It returns
// at once with an error wrapping ErrWouldExceedDeadline (and
// context.DeadlineExceeded) when the wait would outlast ctx's deadline, and
// with ctx.Err() when ctx is done first; in both cases the request is not
// counted. The deadline is compared with the system clock, as context
// deadlines are. A nil or zero Limiter returns ctx.Err().
func (l *Limiter) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil || l == nil || l.step == 0 {
		return err
	}
	l.mu.Lock()
	now := l.clock.Now()
	tat := l.next(now)
	wait := max(tat.Sub(now)-l.tolerance, 0)
	if deadline, ok := ctx.Deadline(); ok && wait > time.Until(deadline) {
		l.mu.Unlock()
		return fmt.Errorf("%w (%v): %w", ErrWouldExceedDeadline, wait, context.DeadlineExceeded)
	}
	_, mine := l.reserve(now)
	l.mu.Unlock()
	if wait == 0 {
		return nil
	}
	select {
	case <-l.clock.After(wait):
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		if l.tat.Equal(mine) {
			// No one reserved after this request: give its slot back.
			l.tat = l.tat.Add(-l.step)
		}
		l.mu.Unlock()
		return ctx.Err()
	}
}

// next returns the theoretical arrival time as of now. l.mu is held.
func (l *Limiter) next(now time.Time) time.Time {
	if l.tat.Before(now) {
		return now
	}
	return l.tat
}

// reserve counts a request at now and returns its wait and the new
// theoretical arrival time. l.mu is held.
func (l *Limiter) reserve(now time.Time) (time.Duration, time.Time) {
	tat := l.next(now)
	l.tat = tat.Add(l.step)
	return max(tat.Sub(now)-l.tolerance, 0), l.tat
}
