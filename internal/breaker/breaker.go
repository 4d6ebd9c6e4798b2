// Package breaker is a circuit breaker for one webhook: after a run of
// failed attempts it stops sending for a cool-down, then lets a single probe
// through to find out whether the receiver has recovered.
//
// The states and their transitions:
//
//	Closed   --threshold consecutive failures-->  Open
//	Open     --cool-down elapsed----------------> HalfOpen
//	HalfOpen --the probe succeeds---------------> Closed
//	HalfOpen --the probe fails------------------> Open (cool-down doubled, capped)
//	any      --Disable (410 Gone)----------------> Disabled
//	any      --Reset---------------------------->  Closed
//
// Every attempt asks Allow first and reports its outcome through the Permit
// Allow returns. Outcomes are tied to the state they were allowed in: the
// result of an attempt allowed before the breaker opened does not count
// once it has, so a slow straggler cannot close a breaker or reopen it.
// Which outcomes are failures is the caller's decision (typically network
// errors, timeouts, 5xx and 429, not a 4xx caused by the request itself).
//
// State changes are reported through a callback, for instance to tell a
// service's administrators that a webhook was disabled. The clock is
// injectable, so every transition is tested without waiting.
package breaker

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// State is the state of a Breaker.
type State uint8

// The states of a Breaker.
const (
	// Closed lets every attempt through and counts consecutive failures.
	Closed State = iota
	// Open refuses every attempt until the cool-down has elapsed.
	Open
	// HalfOpen lets one probe through and refuses the rest until the probe
	// reports.
	HalfOpen
	// Disabled refuses every attempt until Reset, as after 410 Gone.
	Disabled
)

// String returns "closed", "open", "half-open" or "disabled".
func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case Open:
		return "open"
	case HalfOpen:
		return "half-open"
	case Disabled:
		return "disabled"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Errors of Allow, matched with errors.Is.
var (
	// ErrOpen means the breaker is open, or half-open with its probe under
	// way. Allow returns it inside an *OpenError.
	ErrOpen = errors.New("breaker: open")
	// ErrDisabled means the breaker is disabled.
	ErrDisabled = errors.New("breaker: disabled")
)

// OpenError is the error of Allow while attempts are refused for a time.
type OpenError struct {
	// Until is the earliest time an attempt may be allowed again: the end
	// of the cool-down, or, while a probe is under way, the time after which
	// a probe that never reported is given up and another is allowed. A
	// caller may hold its delivery until then, or fail it at once.
	Until time.Time
}

// Error implements error.
func (e *OpenError) Error() string {
	return "breaker: open until " + e.Until.UTC().Format(time.RFC3339Nano)
}

// Unwrap returns ErrOpen.
func (e *OpenError) Unwrap() error { return ErrOpen }

// Defaults of a Breaker.
const (
	// DefaultThreshold is how many consecutive failures open a Breaker.
	DefaultThreshold = 5
	// DefaultCooldown is how long a Breaker stays open the first time.
	DefaultCooldown = 30 * time.Second
	// DefaultMaxCooldown is the cap of the cool-down, which doubles after
	// each failed probe.
	DefaultMaxCooldown = 10 * time.Minute
)

// Option configures New. A nil Option is ignored.
type Option interface {
	apply(*Breaker)
}

type optionFunc func(*Breaker)

func (f optionFunc) apply(b *Breaker) { f(b) }

// WithThreshold sets how many consecutive failures open the breaker; n less
// than 1 means DefaultThreshold.
func WithThreshold(n int) Option {
	return optionFunc(func(b *Breaker) {
		if n >= 1 {
			b.threshold = n
		}
	})
}

// WithCooldown sets the first cool-down and the cap it doubles up to after
// each failed probe. A base of zero or less means DefaultCooldown; a
// maxCooldown below base means base (no growth).
func WithCooldown(base, maxCooldown time.Duration) Option {
	return optionFunc(func(b *Breaker) {
		if base > 0 {
			b.base = base
		}
		b.max = maxCooldown
	})
}

// WithOnChange sets a func called on every state change with the old and
// the new state. It runs synchronously in the goroutine that caused the
// change, after the breaker's lock is released, one call at a time and in
// the order of the changes; it must not call the Breaker's methods. Nil
// means no callback.
func WithOnChange(f func(from, to State)) Option {
	return optionFunc(func(b *Breaker) { b.onChange = f })
}

// WithClock makes the breaker read the time from now instead of time.Now.
// A nil now is ignored.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(b *Breaker) {
		if now != nil {
			b.now = now
		}
	})
}

// Breaker is a circuit breaker. It is safe for concurrent use. The zero
// Breaker is closed and uses the defaults and time.Now.
type Breaker struct {
	threshold int
	base, max time.Duration
	onChange  func(from, to State)
	now       func() time.Time

	// closed mirrors the state for the paths every attempt of a healthy
	// webhook takes, so that they take no lock: generation<<2, with
	// closedBit while Closed and cleanBit while Closed with no failure
	// counted. Written under mu, in unlock.
	closed atomic.Uint64

	mu         sync.Mutex
	state      State
	probing    bool   // HalfOpen: a probe is under way
	failures   int32  // consecutive failures while closed
	generation uint64 // advances on every state change
	// trip is what a breaker needs once it has changed state, made then:
	// a service holds a breaker per webhook, and most never open.
	trip *trip
}

type trip struct {
	cooldown time.Duration // the current one; 0 means base
	until    time.Time     // Open: end of the cool-down; HalfOpen: when a silent probe is given up

	notify  sync.Mutex // orders callbacks
	pending []change   // changes to report, under mu
}

// tripped returns b.trip, made if need be. b.mu is held.
func (b *Breaker) tripped() *trip {
	if b.trip == nil {
		b.trip = new(trip)
	}
	return b.trip
}

// cooldown returns the current cool-down. b.mu is held.
func (b *Breaker) cooldown() time.Duration {
	if b.trip == nil || b.trip.cooldown == 0 {
		return b.base
	}
	return b.trip.cooldown
}

type change struct{ from, to State }

// The bits of Breaker.closed.
const (
	closedBit = 1 << iota
	cleanBit
	genShift = iota
)

// publish stores the state in b.closed. b.mu is held.
func (b *Breaker) publish() {
	w := b.generation << genShift
	if b.state == Closed {
		w |= closedBit
		if b.failures == 0 {
			w |= cleanBit
		}
	}
	b.closed.Store(w)
}

// New returns a closed Breaker configured by opts.
func New(opts ...Option) *Breaker {
	b := &Breaker{threshold: DefaultThreshold, base: DefaultCooldown, max: DefaultMaxCooldown, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o.apply(b)
		}
	}
	b.max = max(b.max, b.base)
	return b
}

// defaults fills in the settings of a zero Breaker. b.mu is held.
func (b *Breaker) defaults() {
	if b.now != nil {
		return
	}
	b.threshold, b.base, b.max, b.now = DefaultThreshold, DefaultCooldown, DefaultMaxCooldown, time.Now
}

// Allow asks whether an attempt may be made now. When it may, Allow returns
// the Permit through which the caller reports whether the attempt
// succeeded. An attempt that is abandoned before it has an outcome (its
// context was cancelled) should report nothing: a half-open breaker then
// allows another probe once the cool-down has passed. When it may not, the
// Permit is the zero Permit and the error is an *OpenError (errors.Is
// ErrOpen) or ErrDisabled.
func (b *Breaker) Allow() (Permit, error) {
	// A closed breaker allows every attempt: its permit is its generation.
	if w := b.closed.Load(); w&closedBit != 0 {
		return Permit{b: b, gen: w >> genShift}, nil
	}
	b.mu.Lock()
	defer b.unlock()
	b.defaults()
	b.advance()
	switch b.state {
	case Disabled:
		return Permit{}, ErrDisabled
	case Open:
		return Permit{}, &OpenError{Until: b.trip.until}
	case HalfOpen:
		if b.probing && b.now().Before(b.trip.until) {
			return Permit{}, &OpenError{Until: b.trip.until}
		}
		b.probing = true
		b.trip.until = b.now().Add(b.cooldown())
	}
	return Permit{b: b, gen: b.generation}, nil
}

// Permit is one attempt's leave from Allow. It is a value, so that asking
// costs no allocation; keep it in one variable and report through it.
type Permit struct {
	b   *Breaker // nil once reported, and in the zero Permit
	gen uint64
}

// Report records whether the attempt succeeded. Only the first report
// through a Permit counts; the zero Permit reports nothing. It must not be
// called concurrently on one Permit.
func (p *Permit) Report(success bool) {
	if p.b == nil {
		return
	}
	b := p.b
	p.b = nil
	b.report(p.gen, success)
}

// Allowed reports whether p came from an Allow that let the attempt go and
// has not reported yet.
func (p *Permit) Allowed() bool { return p.b != nil }

// report records the outcome of an attempt allowed in generation gen.
func (b *Breaker) report(gen uint64, success bool) {
	// A success changes nothing while the breaker is closed in gen with
	// no failure counted; a failure counted since is reported after it.
	if success && b.closed.Load() == gen<<genShift|closedBit|cleanBit {
		return
	}
	b.mu.Lock()
	defer b.unlock()
	b.defaults()
	if gen != b.generation {
		return
	}
	switch b.state {
	case Closed:
		if success {
			b.failures = 0
			return
		}
		b.failures++
		if int(b.failures) >= b.threshold {
			b.open(b.base)
		}
	case HalfOpen:
		if success {
			b.trip.cooldown = 0
			b.set(Closed)
			return
		}
		b.open(min(2*b.cooldown(), b.max))
	}
}

// Disable stops every attempt until Reset, as when the receiver answers
// 410 Gone.
func (b *Breaker) Disable() {
	b.mu.Lock()
	defer b.unlock()
	b.defaults()
	b.set(Disabled)
}

// Reset closes the breaker, whatever its state, with no failures counted
// and the cool-down back at its base, as when an administrator re-enables a
// webhook.
func (b *Breaker) Reset() {
	b.mu.Lock()
	defer b.unlock()
	b.defaults()
	if b.trip != nil {
		b.trip.cooldown = 0
	}
	b.set(Closed)
}

// State returns the current state. An open breaker whose cool-down has
// elapsed is half-open, and the change is reported.
func (b *Breaker) State() State {
	if b.closed.Load()&closedBit != 0 {
		return Closed
	}
	b.mu.Lock()
	defer b.unlock()
	b.defaults()
	b.advance()
	return b.state
}

// advance moves an open breaker to half-open once its cool-down has
// elapsed. b.mu is held.
func (b *Breaker) advance() {
	if b.state == Open && !b.now().Before(b.trip.until) {
		b.set(HalfOpen)
	}
}

// open opens the breaker for cooldown. b.mu is held.
func (b *Breaker) open(cooldown time.Duration) {
	t := b.tripped()
	t.cooldown = cooldown
	t.until = b.now().Add(cooldown)
	b.set(Open)
}

// set changes the state, starting a new generation, and queues the change
// for the callback. b.mu is held.
func (b *Breaker) set(to State) {
	from := b.state
	b.state = to
	b.generation++
	b.failures = 0
	b.probing = false
	if from != to && b.onChange != nil {
		t := b.tripped()
		t.pending = append(t.pending, change{from, to})
	}
}

// unlock releases b.mu and reports the queued changes. Taking notify before
// releasing mu keeps the callbacks in the order of the changes.
func (b *Breaker) unlock() {
	b.publish()
	t := b.trip
	if t == nil || len(t.pending) == 0 {
		b.mu.Unlock()
		return
	}
	changes := t.pending
	t.pending = nil
	t.notify.Lock()
	b.mu.Unlock()
	defer t.notify.Unlock()
	for _, c := range changes {
		b.onChange(c.from, c.to)
	}
}
