package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Attempt deadlines without a context and a timer per attempt.
//
// context.WithTimeout costs every attempt a context, a timer, a done
// channel and a registration with its parent, and the HTTP transport adds
// registrations of its own to that new context: about a microsecond and
// seven allocations of the sender's per delivery. An engine whose workers
// run deliveries one after another can spare them that: Deadlines gives
// each worker a WorkerContext, which the worker passes to Runner.Run; the
// Runner bounds each attempt with StartAttempt, which arms the worker's
// context with the attempt's deadline instead of making one. One timer per
// Deadlines, set for the earliest deadline armed, cancels the context of
// an attempt that overstays, with the cause context.DeadlineExceeded, as a
// timeout would. A context that fired is spent: its worker asks for a new
// one. Attempts under any other context (another engine's, or one derived
// from the worker's, by a span say) fall back to context.WithTimeout.

// The values of WorkerContext.deadline besides a deadline.
const (
	deadlineIdle  = 0  // no attempt is running
	deadlineFired = -1 // the deadline passed and the context was cancelled
)

// WorkerContext is what one worker of an engine holds for its attempts:
// the context it passes to Runner.Run (Context), and beneath it the
// context of its attempts, armed with each one's deadline in turn.
type WorkerContext struct {
	attempt  context.Context // a child of worker, cancelled when a deadline passes
	worker   context.Context // what the worker passes to Run: its context, carrying this one
	cancel   context.CancelCauseFunc
	deadline atomic.Int64 // UnixNano, deadlineIdle or deadlineFired
	watch    *Deadlines
}

type workerContextKey struct{}

// Deadlines is the one timer of an engine's worker contexts. Make it with
// NewDeadlines, give each worker a WorkerContext, and Stop it once every
// worker has released its own.
type Deadlines struct {
	mu    sync.Mutex
	ctxs  map[*WorkerContext]struct{}
	timer *time.Timer
	next  atomic.Int64 // UnixNano the timer is set for; 0 when it is not
}

// NewDeadlines returns a timer with no worker context yet.
func NewDeadlines() *Deadlines {
	return &Deadlines{ctxs: map[*WorkerContext]struct{}{}}
}

// Worker returns a new worker context under parent, for one worker.
func (w *Deadlines) Worker(parent context.Context) *WorkerContext {
	ac := &WorkerContext{watch: w}
	ac.worker = context.WithValue(parent, workerContextKey{}, ac)
	ac.attempt, ac.cancel = context.WithCancelCause(ac.worker)
	w.mu.Lock()
	w.ctxs[ac] = struct{}{}
	w.mu.Unlock()
	return ac
}

// Release forgets ac, whose worker is done with it, or which is spent.
func (w *Deadlines) Release(ac *WorkerContext) {
	ac.cancel(context.Canceled)
	w.mu.Lock()
	delete(w.ctxs, ac)
	w.mu.Unlock()
}

// Stop stops the timer, once every worker has released its context.
func (w *Deadlines) Stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
	w.next.Store(0)
}

// arm starts an attempt that must end by deadline. It reports false when
// ac is spent or already armed.
func (ac *WorkerContext) arm(deadline time.Time) bool {
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
func (ac *WorkerContext) disarm() {
	if d := ac.deadline.Load(); d != deadlineFired {
		ac.deadline.CompareAndSwap(d, deadlineIdle) // fails only if it fires meanwhile
	}
}

// Context is the context the worker passes to Runner.Run: its parent's,
// carrying ac for StartAttempt to find.
func (ac *WorkerContext) Context() context.Context { return ac.worker }

// Spent reports whether an attempt overstayed and ac fired: it can serve
// no further attempt, and the worker releases it and takes a new one.
func (ac *WorkerContext) Spent() bool { return ac.deadline.Load() == deadlineFired }

// schedule sets the timer for d unless it is set for earlier.
func (w *Deadlines) schedule(d int64) {
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
func (w *Deadlines) fire() {
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

// AttemptTimeout bounds one attempt made under a context.
type AttemptTimeout struct {
	ctx    context.Context // the attempt's
	ac     *WorkerContext  // nil when ctx came from context.WithTimeout
	cancel context.CancelFunc
	// bound is how long the attempt could last, when WithAttemptDeadline
	// made it shorter than its timeout (shortened).
	bound     time.Duration
	shortened bool
}

// StartAttempt returns the bound of an attempt under ctx that may last
// timeout: the worker's attempt context, armed, when ctx is a
// WorkerContext's own (Context), and a context.WithTimeout otherwise.
// Call End once the attempt is over.
//
// An attempt under a context of WithAttemptDeadline ends by that deadline
// too, when it comes first, and then expires as its timeout would.
func StartAttempt(ctx context.Context, timeout time.Duration) AttemptTimeout {
	now := time.Now()
	deadline := now.Add(timeout)
	t := AttemptTimeout{}
	if d, ok := ctx.Value(attemptDeadlineKey{}).(time.Time); ok && d.Before(deadline) {
		deadline, t.bound, t.shortened = d, max(d.Sub(now), 0), true
	}
	if ac, ok := ctx.Value(workerContextKey{}).(*WorkerContext); ok && ac.worker == ctx && ac.arm(deadline) {
		t.ctx, t.ac = ac.attempt, ac
		return t
	}
	t.ctx, t.cancel = context.WithDeadline(ctx, deadline)
	return t
}

// Shortened reports how long the attempt could last when a deadline of
// WithAttemptDeadline came before its own timeout, so that a record of
// its expiry can say which bound it met.
func (t *AttemptTimeout) Shortened() (time.Duration, bool) {
	return t.bound, t.shortened
}

type attemptDeadlineKey struct{}

// WithAttemptDeadline returns ctx bounding the attempts made under it
// (StartAttempt) by deadline as well as by their own timeout, without
// ending ctx: an attempt still running then has timed out, and counts as
// such, where one cut by the end of ctx counts for nothing. An engine that
// must have each run over by a time (a lease on the job, say) passes it to
// Runner.Run with that time less what recording the attempt takes.
func WithAttemptDeadline(ctx context.Context, deadline time.Time) context.Context {
	return context.WithValue(ctx, attemptDeadlineKey{}, deadline)
}

// Context is the attempt's context.
func (t *AttemptTimeout) Context() context.Context { return t.ctx }

// Expired reports whether the attempt ran out of time, as opposed to
// having been cancelled from above.
func (t *AttemptTimeout) Expired() bool {
	if t.ac != nil {
		return t.ac.Spent()
	}
	return t.ctx.Err() == context.DeadlineExceeded
}

// End releases the bound once the attempt is over.
func (t *AttemptTimeout) End() {
	if t.ac != nil {
		t.ac.disarm()
		return
	}
	t.cancel()
}
