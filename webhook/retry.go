package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// RetryPolicy says how a failed delivery is tried again: exponential
// backoff with full jitter (each delay is drawn uniformly between zero and
// the exponential ceiling), bounded by a number of attempts and a total time
// budget. The zero RetryPolicy is DefaultRetryPolicy; each zero field means
// its default. A negative field, a Multiplier below 1 (or infinite, or
// NaN), or an InitialInterval above MaxInterval (defaults applied) is out
// of range: WithRetryPolicy makes New fail, a webhook's Delivery.Retry
// fails registration.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts, the first included: at least
	// 1, which means never retry, or zero for the default 8.
	MaxAttempts int `json:"max_attempts,omitempty"`
	// InitialInterval is the ceiling of the first delay. Default 1s.
	InitialInterval Duration `json:"initial_interval,omitempty"`
	// MaxInterval caps the ceiling of any delay. Default 5m.
	MaxInterval Duration `json:"max_interval,omitempty"`
	// Multiplier grows the ceiling after each attempt. Default 2.
	Multiplier float64 `json:"multiplier,omitempty"`
	// MaxElapsed is the delivery's time budget, counted from when it was
	// queued (Delivery.Created): no attempt starts at or after its end. A
	// retry whose delay (drawn or Retry-After) would start past it, and a
	// delivery that an open breaker or the rate limit would hold past it,
	// ends at once as a dead letter whose reason says so. Default 1h.
	MaxElapsed Duration `json:"max_elapsed,omitempty"`
	// MaxRetryAfter caps how long a receiver's Retry-After may make a
	// delivery wait; a longer one waits this long. Default 10m.
	MaxRetryAfter Duration `json:"max_retry_after,omitempty"`
	// RetryValidationFailures retries a delivery whose response had a 2xx
	// status but failed a response validator. Default false: such a response
	// is final, since the receiver did get the request.
	RetryValidationFailures bool `json:"retry_validation_failures,omitempty"`
}

// DefaultRetryPolicy is the policy of a Dispatcher without WithRetryPolicy.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts:     8,
	InitialInterval: Duration(time.Second),
	MaxInterval:     Duration(5 * time.Minute),
	Multiplier:      2,
	MaxElapsed:      Duration(time.Hour),
	MaxRetryAfter:   Duration(10 * time.Minute),
}

// withDefaults fills the zero fields of p from DefaultRetryPolicy.
func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy
	if p.MaxAttempts == 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.InitialInterval == 0 {
		p.InitialInterval = d.InitialInterval
	}
	if p.MaxInterval == 0 {
		p.MaxInterval = d.MaxInterval
	}
	if p.Multiplier == 0 {
		p.Multiplier = d.Multiplier
	}
	if p.MaxElapsed == 0 {
		p.MaxElapsed = d.MaxElapsed
	}
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = d.MaxRetryAfter
	}
	return p
}

// validate checks p's ranges; a zero field stands for its default. Errors
// wrap ErrInvalidSettings and name the JSON field.
func (p RetryPolicy) validate() error {
	switch {
	case p.MaxAttempts < 0:
		return fmt.Errorf("%w: max_attempts %d is negative", ErrInvalidSettings, p.MaxAttempts)
	case p.InitialInterval < 0:
		return fmt.Errorf("%w: initial_interval %s is negative", ErrInvalidSettings, time.Duration(p.InitialInterval))
	case p.MaxInterval < 0:
		return fmt.Errorf("%w: max_interval %s is negative", ErrInvalidSettings, time.Duration(p.MaxInterval))
	case p.MaxElapsed < 0:
		return fmt.Errorf("%w: max_elapsed %s is negative", ErrInvalidSettings, time.Duration(p.MaxElapsed))
	case p.MaxRetryAfter < 0:
		return fmt.Errorf("%w: max_retry_after %s is negative", ErrInvalidSettings, time.Duration(p.MaxRetryAfter))
	case p.Multiplier != 0 && !(p.Multiplier >= 1 && !math.IsInf(p.Multiplier, 1)):
		return fmt.Errorf("%w: multiplier %v is not a finite number of at least 1", ErrInvalidSettings, p.Multiplier)
	}
	if d := p.withDefaults(); d.InitialInterval > d.MaxInterval {
		return fmt.Errorf("%w: initial_interval %s is above max_interval %s", ErrInvalidSettings,
			time.Duration(d.InitialInterval), time.Duration(d.MaxInterval))
	}
	return nil
}

// schedule is the retry state of one delivery. It is not safe for
// concurrent use; a delivery is attempted by one goroutine at a time.
type schedule struct {
	policy  RetryPolicy
	retries int // delays drawn so far, those of earlier processes included
	jitter  func() float64
	now     func() time.Time
	start   time.Time // the time budget counts from here
}

// newSchedule starts the schedule of a delivery created at start that has
// made attempts attempts already (a durable engine picks deliveries up
// again in another process), so the next delay grows from where it was.
func (p RetryPolicy) newSchedule(jitter func() float64, now func() time.Time, start time.Time, attempts int) *schedule {
	if jitter == nil {
		jitter = rand.Float64
	}
	return &schedule{policy: p.withDefaults(), retries: max(attempts-1, 0), jitter: jitter, now: now, start: start}
}

// ceiling returns the exponential ceiling of the n-th delay (1-based):
// InitialInterval × Multiplier^(n-1), capped at MaxInterval. p has its
// defaults.
func (p RetryPolicy) ceiling(n int) time.Duration {
	c := float64(p.InitialInterval) * math.Pow(p.Multiplier, float64(n-1))
	if c >= float64(p.MaxInterval) { // +Inf too, once the power overflows
		return time.Duration(p.MaxInterval)
	}
	return time.Duration(c)
}

// errNoAttemptsLeft is next's answer when MaxAttempts are spent; the
// attempt's own failure is the reason the delivery ends.
var errNoAttemptsLeft = errors.New("no attempts left")

// next reports how long to wait before the attempt after attempt (1-based),
// or why the delivery must not be tried again: errNoAttemptsLeft, or the
// budget error of a delay that would start the next attempt past the
// budget. A positive retryAfter, the receiver's wish, replaces the drawn
// delay, capped at MaxRetryAfter.
func (s *schedule) next(attempt int, retryAfter time.Duration) (time.Duration, error) {
	if attempt >= s.policy.MaxAttempts {
		return 0, errNoAttemptsLeft
	}
	s.retries++
	delay, cause := time.Duration(s.jitter()*float64(s.policy.ceiling(s.retries))), "backoff"
	if retryAfter > 0 {
		delay, cause = min(retryAfter, time.Duration(s.policy.MaxRetryAfter)), "Retry-After"
	}
	if err := s.policy.checkBudget(s.start, s.now(), delay, cause); err != nil {
		return 0, err
	}
	return delay, nil
}

// checkBudget reports, as an error whose text is a dead letter's reason,
// when the next attempt of a delivery created at created, starting wait
// after now (held by cause), would start at or after the end of the
// policy's time budget; nil when it starts in time. p has its defaults.
func (p RetryPolicy) checkBudget(created, now time.Time, wait time.Duration, cause string) error {
	budget := time.Duration(p.MaxElapsed)
	end := created.Add(budget)
	if now.Add(wait).Before(end) {
		return nil
	}
	if wait <= 0 {
		return fmt.Errorf("retry budget ran out: max_elapsed %s from the delivery's creation ended at %s",
			budget, end.UTC().Format(time.RFC3339Nano))
	}
	return fmt.Errorf("retry budget ran out: the next attempt would wait %s (%s), past the end of max_elapsed %s at %s",
		wait, cause, budget, end.UTC().Format(time.RFC3339Nano))
}

// RetryDecider decides whether an attempt that ended with status (0 when
// there was no response) or err is worth another try. It receives the
// attempt's context, which is done when the delivery was cancelled.
type RetryDecider func(ctx context.Context, status int, err error) bool

// DefaultRetryDecider retries network errors and timeouts, 408, 429 and
// 5xx, and nothing else: other 4xx mean the request itself is wrong. No
// decider is asked about failures that waiting cannot fix: an address the
// SSRF guard blocks is never retried, and a body that cannot be rendered
// is never sent.
func DefaultRetryDecider(ctx context.Context, status int, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if err != nil {
		return true
	}
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP
// date. It returns 0 when the header is absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if errors.Is(err, strconv.ErrRange) && v[0] != '-' {
		// More digits than an int64 holds: the longest wait, not none.
		secs, err = math.MaxInt64, nil
	}
	if err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second) // the cap comes later; avoid overflow here
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("1m30s"); it also reads a number of seconds.
type Duration time.Duration

// MarshalJSON writes the duration as a string such as "1m30s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads "1m30s" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("webhook: duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("webhook: duration must be a string such as \"30s\" or a number of seconds, not %s", b)
	}
	// Converting a float beyond int64 gives whatever the machine gives,
	// such as a negative duration for 1e300.
	ns := secs * float64(time.Second)
	if ns >= math.MaxInt64 || ns <= math.MinInt64 {
		return fmt.Errorf("webhook: duration of %s seconds is out of range", b)
	}
	*d = Duration(ns)
	return nil
}
