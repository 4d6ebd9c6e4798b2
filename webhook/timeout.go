package webhook

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Attempt timeouts without a context and a timer of their own.
//
// context.WithTimeout costs every attempt a context, a runtime timer, a
// done channel and a registration with its parent, and the transport adds
// a registration of its own: on the loopback benchmark, about 1.3 µs of
// the sender's CPU per delivery, a quarter of what it spends beyond the
// bare request. The memory
// engine's workers make their attempts one after another, so each keeps a
// cancellable attemptContext for them, and send arms it with the
// attempt's deadline. One timer per engine, set for the earliest deadline
// armed, cancels the context of an attempt that overstays, with the cause
// context.DeadlineExceeded, as a timeout would. A context that fired is
// spent: its worker makes a new one. Attempts made elsewhere (Test, other
// engines, or under a recording span, whose context is not the worker's)
// fall back to context.WithTimeout.

// The values of attemptContext.deadline besides a deadline.
const (
	deadlineIdle  = 0  // no attempt is running
	deadlineFired = -1 // the deadline passed and the context was cancelled
)

// attemptContext is the context of one worker's attempts: a child of the
// worker's context, which it also carries as a value so that send can
// find it.
type attemptContext struct {
	context.Context
	worker   context.Context // what the worker passes to Attempt: its context, carrying this one
	cancel   context.CancelCauseFunc
	deadline atomic.Int64 // UnixNano, deadlineIdle or deadlineFired
	watch    *deadlines
}

type attemptContextKey struct{}

// deadlines is the timer of an engine's attempt contexts.
type deadlines struct {
	mu    sync.Mutex
	ctxs  map[*attemptContext]struct{}
	timer *time.Timer
	next  atomic.Int64 // UnixNano the timer is set for; 0 when it is not
}

func newDeadlines() *deadlines {
	return &deadlines{ctxs: map[*attemptContext]struct{}{}}
}

// context returns a new attempt context under parent, for one worker.
func (w *deadlines) context(parent context.Context) *attemptContext {
	ac := &attemptContext{watch: w}
	ac.worker = context.WithValue(parent, attemptContextKey{}, ac)
	ac.Context, ac.cancel = context.WithCancelCause(ac.worker)
	w.mu.Lock()
	w.ctxs[ac] = struct{}{}
	w.mu.Unlock()
	return ac
}

// release forgets ac, whose worker is done with it.
func (w *deadlines) release(ac *attemptContext) {
	ac.cancel(context.Canceled)
	w.mu.Lock()
	delete(w.ctxs, ac)
	w.mu.Unlock()
}

// stop stops the timer, once every worker has released its context.
func (w *deadlines) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
	w.next.Store(0)
}

// arm starts an attempt that must end by deadline. It reports false when
// ac is spent or already armed.
func (ac *attemptContext) arm(deadline time.Time) bool {
	d := deadline.UnixNano()
	if !ac.deadline.CompareAndSwap(deadlineIdle, d) {
		return false
	}
	// The deadline is stored before next is read, and fire clears next
	// before it reads the deadlines: either this sees next cleared and
	// sets the timer, or fire sees this deadline.
	if n := ac.watch.next.Load(); n == 0 || n > d {
		ac.watch.schedule(d)
	}
	return true
}

// disarm ends the attempt; a context that fired stays spent.
func (ac *attemptContext) disarm() {
	if d := ac.deadline.Load(); d != deadlineFired {
		ac.deadline.CompareAndSwap(d, deadlineIdle) // fails only if it fires meanwhile
	}
}

// spent reports whether ac fired and can serve no further attempt.
func (ac *attemptContext) spent() bool { return ac.deadline.Load() == deadlineFired }

// schedule sets the timer for d unless it is set for earlier.
func (w *deadlines) schedule(d int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if n := w.next.Load(); n != 0 && n <= d {
		return
	}
	w.next.Store(d)
	wait := time.Until(time.Unix(0, d))
	if w.timer == nil {
		w.timer = time.AfterFunc(wait, w.fire)
	} else {
		w.timer.Reset(wait)
	}
}

// fire cancels the contexts whose deadline has passed and sets the timer
// for the earliest one left.
func (w *deadlines) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.next.Store(0)
	now := time.Now().UnixNano()
	earliest := int64(0)
	for ac := range w.ctxs {
		d := ac.deadline.Load()
		switch {
		case d <= deadlineIdle:
		case d <= now:
			if ac.deadline.CompareAndSwap(d, deadlineFired) {
				ac.cancel(context.DeadlineExceeded)
			}
		case earliest == 0 || d < earliest:
			earliest = d
		}
	}
	if earliest != 0 {
		w.next.Store(earliest)
		w.timer.Reset(time.Until(time.Unix(0, earliest)))
	}
}

// attemptTimeout bounds one attempt made under ctx.
type attemptTimeout struct {
	ctx    context.Context // the attempt's
	ac     *attemptContext // nil when ctx came from context.WithTimeout
	cancel context.CancelFunc
}

// startTimeout returns the bound of an attempt under ctx that may last
// timeout: the worker's attempt context when ctx is a memory engine
// worker's, else a context.WithTimeout.
func startTimeout(ctx context.Context, timeout time.Duration) attemptTimeout {
	if ac, ok := ctx.Value(attemptContextKey{}).(*attemptContext); ok && ac.worker == ctx && ac.arm(time.Now().Add(timeout)) {
		return attemptTimeout{ctx: ac, ac: ac}
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	return attemptTimeout{ctx: actx, cancel: cancel}
}

// expired reports whether the attempt ran out of time, as opposed to
// having been cancelled from above.
func (t *attemptTimeout) expired() bool {
	if t.ac != nil {
		return t.ac.spent()
	}
	return t.ctx.Err() == context.DeadlineExceeded
}

// end releases the bound once the attempt is over.
func (t *attemptTimeout) end() {
	if t.ac != nil {
		t.ac.disarm()
		return
	}
	t.cancel()
}
