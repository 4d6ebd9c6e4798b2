// Package memengine is the default delivery engine: everything in this
// process, nothing to operate. It implements the public engine contract
// and uses nothing else of the Dispatcher's. Its errors say "webhook:", the
// package its users call, never this one's name.
//
// Each webhook has its own bounded queue and concurrency limit, and a
// fixed pool of workers serves the webhooks that have work in turn, so a
// slow or dead endpoint holds at most its concurrency limit of workers and
// leaves the rest to the others. A run still in its exchange after
// Config.StallAfter stalls: it stops counting against the pool and a new
// worker takes its place, so that endpoints stalled together hold the
// workers for that long rather than until their attempts time out. Up to
// Config.MaxStalled stalled runs go on beside the pool, each on the
// goroutine that began it, which ends with the run; past that, a stalled
// run holds its worker until it ends or a stalled one ends and makes room
// for it. A webhook's concurrency counts a run until its exchange with
// the receiver ends: recording the attempt holds the worker, not the
// slot. MaxStalled counts a stalled run until it ends, its record
// included, since its goroutine goes on until then. A delivery
// held back (engine.Held) keeps its place among its webhook's concurrency
// until it is due, or WakeHeld wakes it (after ResetBreaker): what held
// it holds the webhook's other deliveries too, so they stay queued rather
// than each being run only to be held, which a backlog of thousands would
// turn into a loop of runs and timers.
package memengine

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/outhook/outhook/engine"
)

// Config is how an Engine runs.
type Config struct {
	// Workers is the number of deliveries run at once, across webhooks.
	Workers int
	// Reject makes Enqueue refuse a delivery whose webhook's queue is
	// full at once, rather than wait for room.
	Reject bool
	// StallAfter is how long a run may be in its exchange with the
	// receiver before it stalls: it stops counting against Workers, and
	// a new worker takes its place. Zero: runs never stall.
	StallAfter time.Duration
	// MaxStalled bounds the stalled runs going on beside the Workers, and
	// so the goroutines and connections they hold. Zero: runs never
	// stall.
	MaxStalled int
}

// Engine is the in-memory engine.
type Engine struct {
	workers    int
	reject     bool
	stallAfter time.Duration
	maxStalled int

	runner    engine.Runner
	ctx       context.Context // runs use it; cancelled when the engine stops
	cancel    context.CancelFunc
	deadlines *engine.Deadlines // of the workers' attempts
	wg        sync.WaitGroup    // workers

	mu      sync.Mutex
	work    *sync.Cond // signalled when ready gains a queue or the engine stops
	queues  map[string]*webhookQueue
	ready   []*webhookQueue // queues with work and room to run it, in turn
	timers  map[*engine.Delivery]waitTimer
	parked  map[*engine.Delivery]bool // those of timers that were held, not retrying
	runs    map[*workerRun]struct{}   // of every worker, stalled ones included
	stalled int                       // stalled runs beside the pool
	// stallTimer fires when the earliest run in its exchange would
	// stall; stallArmed says it is set. overCap says a run stalled while
	// MaxStalled others did, and waits for one of them to end.
	stallTimer *time.Timer
	stallArmed bool
	overCap    bool
	live       int           // deliveries enqueued and not yet ended
	drained    chan struct{} // closed when closing and live reaches 0
	closing    chan struct{} // closed by Close: no more intake
	stopping   bool          // workers must exit
	closed     bool
	// drainBy is the deadline of Close's ctx, zero when it has none: a
	// delivery due to run again after it is abandoned at once rather
	// than waited for; cut counts those.
	drainBy time.Time
	cut     int
}

// waitTimer runs a delivery again at due: after a retry's delay, or at the
// end of a hold.
type waitTimer struct {
	*time.Timer
	due time.Time
}

// workerRun is what a worker runs, read under the engine's lock.
type workerRun struct {
	d *engine.Delivery // nil between runs
	// since is when the run began, while it is in its exchange with the
	// receiver; zero otherwise.
	since time.Time
	// stalled: the run counts no longer against the pool, and the
	// goroutine ends with it.
	stalled bool
}

// webhookQueue is one webhook's share of the engine.
type webhookQueue struct {
	// held counts the webhook's live deliveries, queued, running or
	// waiting to retry; size bounds it.
	held, size int
	// room is closed when a full queue has room again, to wake the
	// publishers waiting for it; nil when none waits. They are woken once
	// an eighth of the queue is free, not for every slot, so that a
	// publisher held back by a busy webhook runs once per batch rather
	// than once per delivery.
	room     chan struct{}
	waiters  int
	pending  []*engine.Delivery // ready to run
	due      []*engine.Delivery // held, and due again: run before pending
	inflight int
	parked   int // held, waiting for their delay; counted with inflight
	limit    int
	isReady  bool
	// wakes and removals count the WakeHeld and WakeRemoved calls, so
	// that a run under way during one, which ends held (or, after a
	// removal, due for a retry), goes again at once.
	wakes, removals uint64
	// Ordering: a key is busy from the moment its delivery is pending until
	// it ends; later deliveries with that key wait here, in order.
	busy    map[string]bool
	waiting map[string][]*engine.Delivery
}

var (
	_ engine.Engine    = (*Engine)(nil)
	_ engine.Resizer   = (*Engine)(nil)
	_ engine.Eraser    = (*Engine)(nil)
	_ engine.HeldWaker = (*Engine)(nil)
)

// New returns an engine, to be started by the Dispatcher.
func New(c Config) *Engine {
	ctx, cancel := context.WithCancel(context.Background())
	e := &Engine{
		workers:   max(c.Workers, 1),
		reject:    c.Reject,
		runs:      map[*workerRun]struct{}{},
		ctx:       ctx,
		cancel:    cancel,
		deadlines: engine.NewDeadlines(),
		queues:    map[string]*webhookQueue{},
		timers:    map[*engine.Delivery]waitTimer{},
		parked:    map[*engine.Delivery]bool{},
		drained:   make(chan struct{}),
		closing:   make(chan struct{}),
	}
	if c.StallAfter > 0 && c.MaxStalled > 0 {
		e.stallAfter, e.maxStalled = c.StallAfter, c.MaxStalled
	}
	e.work = sync.NewCond(&e.mu)
	return e
}

// Start starts the workers.
func (e *Engine) Start(r engine.Runner) error {
	e.runner = r
	e.wg.Add(e.workers)
	for range e.workers {
		go e.worker()
	}
	return nil
}

// queueFor returns the webhook's queue, sized by the delivery's settings
// when it is first made; Resize changes them after.
func (e *Engine) queueFor(d *engine.Delivery) *webhookQueue {
	q := e.queues[d.WebhookID]
	if q == nil {
		q = &webhookQueue{
			size: max(d.QueueSize, 1), limit: max(d.Concurrency, 1),
			busy: map[string]bool{}, waiting: map[string][]*engine.Delivery{},
		}
		e.queues[d.WebhookID] = q
	}
	return q
}

// Enqueue queues the batch: first every delivery whose webhook's queue has
// room, then, unless the engine rejects at once, each of the others as
// its own queue has room, whatever the others' queues do, until ctx ends
// or the engine closes; the rest are then refused with that reason.
func (e *Engine) Enqueue(ctx context.Context, tx engine.Tx, batch []*engine.Delivery) error {
	if tx != nil {
		return fmt.Errorf("webhook: %w: the in-memory engine keeps deliveries in memory", engine.ErrTxUnsupported)
	}
	var errs []error
	fail := func(i int, err error) {
		if errs == nil {
			errs = make([]error, len(batch))
		}
		errs[i] = err
	}
	var full []int
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return engine.ErrClosed
	}
	for i, d := range batch {
		if e.tryAdmitLocked(e.queueFor(d), d) {
			continue
		}
		if e.reject {
			fail(i, engine.ErrQueueFull) // the Dispatcher says why, with the size
			continue
		}
		full = append(full, i)
	}
	if len(full) > 0 {
		left, stop := e.waitAdmitLocked(ctx, batch, full)
		for _, i := range left {
			fail(i, fmt.Errorf("%w: no room among %d deliveries before the wait ended: %w", engine.ErrQueueFull, e.queueFor(batch[i]).size, stop))
			e.forgetIdleLocked(e.queues[batch[i].WebhookID], batch[i].WebhookID)
		}
	}
	e.mu.Unlock()
	if errs == nil {
		return nil
	}
	if len(batch) == 1 {
		return errs[0]
	}
	return &engine.BatchError{Errs: errs}
}

// waitAdmitLocked waits for room in the queues of the deliveries of
// batch at the indexes full, all at once, and queues each as its own
// queue has room, so that a webhook that never frees any holds back no
// other. It returns the indexes of those it could not queue, and why it
// stopped waiting for them.
func (e *Engine) waitAdmitLocked(ctx context.Context, batch []*engine.Delivery, full []int) (left []int, stop error) {
	type waiting struct {
		q    *webhookQueue
		room chan struct{}
	}
	var waits []waiting
	var cases []reflect.SelectCase
	for {
		if e.closed {
			return full, engine.ErrClosed
		}
		waits, left = waits[:0], full[:0]
		for _, i := range full {
			q := e.queueFor(batch[i])
			if e.tryAdmitLocked(q, batch[i]) {
				continue
			}
			if q.room == nil {
				q.room = make(chan struct{})
			}
			q.waiters++ // keeps q in the map while this waits
			waits = append(waits, waiting{q, q.room})
			left = append(left, i)
		}
		full = left
		if len(full) == 0 {
			return nil, nil
		}
		e.mu.Unlock()
		var err error
		if len(waits) == 1 { // the common case, without reflection
			select {
			case <-waits[0].room:
			case <-ctx.Done():
				err = ctx.Err()
			case <-e.closing:
				err = engine.ErrClosed
			}
		} else {
			cases = cases[:0]
			for _, w := range waits {
				cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(w.room)})
			}
			cases = append(cases,
				reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())},
				reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(e.closing)})
			switch chosen, _, _ := reflect.Select(cases); chosen {
			case len(waits):
				err = ctx.Err()
			case len(waits) + 1:
				err = engine.ErrClosed
			}
		}
		e.mu.Lock()
		for _, w := range waits {
			w.q.waiters--
		}
		if err != nil {
			for _, w := range waits {
				if w.q.waiters == 0 && w.q.room != nil { // none left to wake
					close(w.q.room)
					w.q.room = nil
				}
			}
			return full, err
		}
	}
}

// tryAdmitLocked queues d if q has room and no publisher waits for it
// (those go first), and reports whether it did.
func (e *Engine) tryAdmitLocked(q *webhookQueue, d *engine.Delivery) bool {
	if q.room != nil || q.held >= q.size {
		return false
	}
	q.held++
	e.live++
	e.admitLocked(q, d)
	return true
}

// Resize applies a webhook's new queue size and concurrency to its queue,
// busy or not: a raised concurrency starts waiting deliveries now, a
// lowered one lets those running finish and starts no more until they are
// under it, a raised size lets waiting publishers in, and a lowered one
// keeps the deliveries held over it.
func (e *Engine) Resize(webhookID string, size, limit int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.queues[webhookID]
	if q == nil {
		return // made with the new settings by the next delivery
	}
	q.size, q.limit = max(size, 1), max(limit, 1)
	if q.room != nil && q.held < q.size {
		close(q.room)
		q.room = nil
	}
	e.readyLocked(q) // each worker that takes a delivery wakes the next
}

// admitLocked queues d, which holds a slot of q, behind the delivery with
// its ordering key when there is one, and wakes a worker if it can run.
func (e *Engine) admitLocked(q *webhookQueue, d *engine.Delivery) {
	if key := d.OrderingKey; key != "" {
		if q.busy[key] {
			q.waiting[key] = append(q.waiting[key], d)
			return
		}
		q.busy[key] = true
	}
	q.pending = append(q.pending, d)
	e.readyLocked(q)
}

// releaseKeyLocked lets the next delivery with d's ordering key go, now
// that d has ended.
func (e *Engine) releaseKeyLocked(q *webhookQueue, d *engine.Delivery) {
	key := d.OrderingKey
	if key == "" {
		return
	}
	next := q.waiting[key]
	if len(next) == 0 {
		delete(q.busy, key)
		return
	}
	q.pending = append(q.pending, next[0])
	if len(next) == 1 {
		delete(q.waiting, key)
	} else {
		next[0] = nil
		q.waiting[key] = next[1:]
	}
}

// readyLocked puts q in turn for a worker if it has work and room, and
// wakes one.
func (e *Engine) readyLocked(q *webhookQueue) {
	if e.queueReadyLocked(q) {
		e.work.Signal()
	}
}

// queueReadyLocked puts q in turn if it has work and room, and reports
// whether it did, without waking a worker.
func (e *Engine) queueReadyLocked(q *webhookQueue) bool {
	if q.isReady || len(q.pending)+len(q.due) == 0 || q.inflight+q.parked >= q.limit {
		return false
	}
	q.isReady = true
	e.ready = append(e.ready, q)
	return true
}

// endLocked accounts for a delivery of q that left the engine.
func (e *Engine) endLocked(q *webhookQueue, webhookID string) {
	q.held--
	e.live--
	if q.room != nil && q.held <= q.size-max(q.size/8, 1) {
		close(q.room)
		q.room = nil
	}
	e.forgetIdleLocked(q, webhookID)
	if e.live == 0 && e.closed {
		select {
		case <-e.drained:
		default:
			close(e.drained)
		}
	}
}

// forgetIdleLocked drops q, once it holds no delivery and no publisher
// waits for it, so that idle and removed webhooks cost nothing.
func (e *Engine) forgetIdleLocked(q *webhookQueue, webhookID string) {
	if q != nil && q.held == 0 && q.waiters == 0 && e.queues[webhookID] == q {
		delete(e.queues, webhookID)
	}
}

func (e *Engine) worker() {
	defer e.wg.Done()
	// Each run's context registers with its parent: a context per worker
	// keeps the workers from contending for the engine's. Runs get the
	// worker's context of engine.Deadlines, renewed when an attempt ran
	// out of time, so that an attempt's timeout costs no context of its own.
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	wc := e.deadlines.Worker(ctx)
	defer func() { e.deadlines.Release(wc) }()
	r := &workerRun{}
	// The run's slot of its webhook's concurrency is given back when its
	// exchange with the receiver ends (engine.Delivery.OnExchangeEnd),
	// while it records the attempt, or else when Run returns. One func per
	// worker, so that a run allocates none.
	var running *webhookQueue
	gave := false
	endExchange := func() {
		e.mu.Lock()
		gave = true
		r.since = time.Time{}
		running.inflight--
		e.readyLocked(running) // this worker is busy recording: wake another
		e.mu.Unlock()
	}
	e.mu.Lock()
	e.runs[r] = struct{}{}
	for {
		for len(e.ready) == 0 && !e.stopping {
			e.work.Wait()
		}
		if e.stopping {
			delete(e.runs, r)
			e.mu.Unlock()
			return
		}
		q := e.ready[0]
		running = q
		e.ready[0] = nil
		e.ready = e.ready[1:]
		q.isReady = false
		d := q.next()
		wakes, removals := q.wakes, q.removals
		q.inflight++
		r.d = d
		if e.maxStalled > 0 {
			r.since = time.Now()
			e.watchStallLocked()
		}
		e.readyLocked(q) // more work and room: back in turn, behind the others
		e.mu.Unlock()

		d.OnExchangeEnd(endExchange)
		res := e.runner.Run(wc.Context(), d)
		d.OnExchangeEnd(nil)
		if wc.Spent() {
			e.deadlines.Release(wc)
			wc = e.deadlines.Worker(ctx)
		}

		e.mu.Lock()
		r.d, r.since = nil, time.Time{}
		if !gave {
			q.inflight--
		}
		gave = false
		woken := res.Outcome == engine.Held && q.wakes != wakes || q.removals != removals
		due := time.Now().Add(res.Delay)
		late := (res.Outcome == engine.Held || res.Outcome == engine.Retry) && e.lateLocked(due)
		switch {
		case woken && (res.Outcome == engine.Held || res.Outcome == engine.Retry) && !e.stopping:
			q.due = append(q.due, d) // what held it may have gone
		case res.Outcome == engine.Held && !e.stopping && !late:
			q.parked++
			e.parked[d] = true
			e.timers[d] = waitTimer{time.AfterFunc(res.Delay, func() { e.resume(q, d) }), due}
		case res.Outcome == engine.Retry && !e.stopping && !late:
			e.timers[d] = waitTimer{time.AfterFunc(res.Delay, func() { e.retry(q, d) }), due}
		default:
			var behind []*engine.Delivery
			keyFreed := false
			if res.Outcome != engine.Done {
				// Closing: a delivery due again, or cut short, has nowhere
				// to wait.
				why := engine.ErrClosed
				if late && !e.stopping {
					why = e.lateErrLocked(due)
					behind, keyFreed = e.takeBehindLocked(q, d), true
				}
				e.mu.Unlock()
				e.runner.Abandon(d, why)
				e.abandonBehind(d, behind)
				e.mu.Lock()
				e.endBehindLocked(q, behind)
			}
			if !keyFreed {
				e.releaseKeyLocked(q, d)
			}
			e.endLocked(q, d.WebhookID)
		}
		if r.stalled {
			// Its place in the pool was taken when it stalled: the pool
			// is at size without it.
			e.stalled--
			delete(e.runs, r)
			if e.overCap && !e.stopping {
				e.sweepStalledLocked(time.Now())
			}
			e.readyLocked(q)
			e.mu.Unlock()
			return
		}
		// No other worker is woken: this one goes round and takes the
		// next delivery itself.
		e.queueReadyLocked(q)
	}
}

// lateLocked reports whether a run due at due comes too late for Close,
// whose deadline it is after.
func (e *Engine) lateLocked(due time.Time) bool {
	return e.closed && !e.drainBy.IsZero() && !due.Before(e.drainBy)
}

// lateErrLocked counts a delivery abandoned because its next run, due at
// due, comes after Close's deadline, and says so.
func (e *Engine) lateErrLocked(due time.Time) error {
	e.cut++
	after := due.Sub(e.drainBy)
	if after >= time.Second {
		after = after.Round(time.Second)
	} else {
		after = after.Round(time.Millisecond) // not "0s" for a close call
	}
	return fmt.Errorf("%w: its next run was due %s after Close's deadline", engine.ErrClosed, after)
}

// takeBehindLocked takes out the deliveries waiting behind the ordering
// key of d, which Close gives up for its deadline: run, they would reach
// the receiver before d, which can only be redelivered later. It frees
// the key; each taken still counts as live until endBehindLocked.
func (e *Engine) takeBehindLocked(q *webhookQueue, d *engine.Delivery) []*engine.Delivery {
	key := d.OrderingKey
	if key == "" {
		return nil
	}
	behind := q.waiting[key]
	delete(q.waiting, key)
	delete(q.busy, key)
	e.cut += len(behind)
	return behind
}

// abandonBehind gives up the deliveries taken from behind d's key.
func (e *Engine) abandonBehind(d *engine.Delivery, behind []*engine.Delivery) {
	for _, b := range behind {
		e.runner.Abandon(b, fmt.Errorf("%w: it waited behind delivery %s, given up as due after Close's deadline", engine.ErrClosed, d.ID))
	}
}

// endBehindLocked accounts for the deliveries abandonBehind gave up.
func (e *Engine) endBehindLocked(q *webhookQueue, behind []*engine.Delivery) {
	for _, b := range behind {
		e.endLocked(q, b.WebhookID)
	}
}

// watchStallLocked sets the stall timer for a run that has just begun,
// unless it is set for an earlier one.
func (e *Engine) watchStallLocked() {
	if e.stallArmed || e.stopping {
		return
	}
	e.stallArmed = true
	if e.stallTimer == nil {
		e.stallTimer = time.AfterFunc(e.stallAfter, e.stallCheck)
		return
	}
	e.stallTimer.Reset(e.stallAfter)
}

// stallCheck is the stall timer's: it counts out of the pool the runs in
// their exchange for StallAfter, and sets itself for the next.
func (e *Engine) stallCheck() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stallArmed = false
	if !e.stopping {
		e.sweepStalledLocked(time.Now())
	}
}

// sweepStalledLocked counts out of the pool each run in its exchange for
// StallAfter at now, while fewer than MaxStalled others are, and starts a
// worker in its place; it sets the stall timer for the earliest run that
// will stall later.
func (e *Engine) sweepStalledLocked(now time.Time) {
	e.overCap = false
	var next time.Time
	for r := range e.runs {
		if r.stalled || r.since.IsZero() {
			continue
		}
		due := r.since.Add(e.stallAfter)
		switch {
		case due.After(now):
			if next.IsZero() || due.Before(next) {
				next = due
			}
		case e.stalled < e.maxStalled:
			r.stalled = true
			e.stalled++
			e.wg.Add(1)
			go e.worker()
		default:
			// Counted against the pool as before, until a stalled run
			// ends and makes room (see worker).
			e.overCap = true
		}
	}
	if next.IsZero() || e.stallArmed {
		return
	}
	e.stallArmed = true
	if e.stallTimer == nil {
		e.stallTimer = time.AfterFunc(next.Sub(now), e.stallCheck)
		return
	}
	e.stallTimer.Reset(next.Sub(now))
}

// next takes the delivery to run: a held one due again first, then the
// first pending.
func (q *webhookQueue) next() *engine.Delivery {
	from := &q.pending
	if len(q.due) > 0 {
		from = &q.due
	}
	d := (*from)[0]
	(*from)[0] = nil
	*from = (*from)[1:]
	return d
}

// resume runs d, held, again once its delay has passed, ahead of the
// deliveries that waited behind it.
func (e *Engine) resume(q *webhookQueue, d *engine.Delivery) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.timers[d]; !ok {
		return // stopped by Close, which abandons it
	}
	delete(e.timers, d)
	delete(e.parked, d)
	q.parked--
	q.due = append(q.due, d)
	e.readyLocked(q)
}

// WakeHeld runs now, ahead of the deliveries waiting behind them, the
// webhook's deliveries held back (engine.Held) and waiting for their
// delay; those waiting for a retry keep theirs.
func (e *Engine) WakeHeld(_ context.Context, webhookID string) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.queues[webhookID]
	if q == nil {
		return 0, nil
	}
	q.wakes++
	if q.parked == 0 {
		return 0, nil
	}
	n := 0
	for d := range e.parked {
		if d.WebhookID != webhookID || !e.timers[d].Stop() {
			continue // another webhook's, or firing: due soon
		}
		delete(e.timers, d)
		delete(e.parked, d)
		q.parked--
		q.due = append(q.due, d)
		n++
	}
	e.readyLocked(q)
	return n, nil
}

// WakeRemoved runs now every delivery of the webhook that waits, held or
// for a retry: the webhook was deleted, and the Runner ends them.
func (e *Engine) WakeRemoved(ctx context.Context, webhookID string) (int, error) {
	n, _ := e.WakeHeld(ctx, webhookID)
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.queues[webhookID]
	if q == nil {
		return n, nil
	}
	q.removals++
	for d, t := range e.timers {
		if d.WebhookID != webhookID || e.parked[d] || !t.Stop() {
			continue // another webhook's, held (firing), or firing: due soon
		}
		delete(e.timers, d)
		q.pending = append(q.pending, d)
		n++
	}
	e.readyLocked(q)
	return n, nil
}

// retry queues d again once its delay has passed.
func (e *Engine) retry(q *webhookQueue, d *engine.Delivery) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.timers[d]; !ok {
		return // stopped by Close, which abandons it
	}
	delete(e.timers, d)
	q.pending = append(q.pending, d)
	e.readyLocked(q)
}

// Erase drops the deliveries f picks that no worker runs: pending, due
// again, waiting behind their ordering key, or waiting for a retry or the
// end of a hold. Each dropped delivery frees its slot of the queue and,
// ordered, lets the next with its key go.
func (e *Engine) Erase(_ context.Context, f engine.EraseFilter) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	var ended []*engine.Delivery // they held their key; released below
	for key, q := range e.queues {
		if f.Webhook != nil && !f.Webhook(key) {
			continue
		}
		// Those waiting behind a key hold no key: drop them first, so that
		// releasing a key below lets only a delivery that stays go.
		for k, ws := range q.waiting {
			kept := ws[:0]
			for _, d := range ws {
				if f.Match(d) {
					n++
					e.endLocked(q, d.WebhookID)
				} else {
					kept = append(kept, d)
				}
			}
			clear(ws[len(kept):])
			if len(kept) == 0 {
				delete(q.waiting, k)
			} else {
				q.waiting[k] = kept
			}
		}
		for _, l := range []*[]*engine.Delivery{&q.pending, &q.due} {
			kept := (*l)[:0]
			for _, d := range *l {
				if f.Match(d) {
					ended = append(ended, d)
				} else {
					kept = append(kept, d)
				}
			}
			clear((*l)[len(kept):])
			*l = kept
		}
	}
	for d, t := range e.timers {
		if !f.Match(d) || !t.Stop() {
			continue // not picked, or firing: it will be pending soon
		}
		delete(e.timers, d)
		if e.parked[d] {
			delete(e.parked, d)
			e.queues[d.WebhookID].parked--
		}
		ended = append(ended, d)
	}
	for _, d := range ended {
		q := e.queues[d.WebhookID]
		n++
		e.releaseKeyLocked(q, d)
		e.endLocked(q, d.WebhookID)
		e.readyLocked(q)
	}
	// A queue in turn with nothing left to run would hand a worker none.
	ready := e.ready[:0]
	for _, q := range e.ready {
		if len(q.pending)+len(q.due) > 0 {
			ready = append(ready, q)
		} else {
			q.isReady = false
		}
	}
	clear(e.ready[len(ready):])
	e.ready = ready
	return n, nil
}

// Stats reports the deliveries not yet ended, when the oldest of them
// was created, and the stalled runs.
func (e *Engine) Stats(context.Context) (engine.Stats, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var oldest time.Time
	consider := func(d *engine.Delivery) {
		if oldest.IsZero() || d.Created.Before(oldest) {
			oldest = d.Created
		}
	}
	for _, q := range e.queues {
		for _, d := range q.pending {
			consider(d)
		}
		for _, d := range q.due {
			consider(d)
		}
		for _, ds := range q.waiting {
			for _, d := range ds {
				consider(d)
			}
		}
	}
	for d := range e.timers {
		consider(d)
	}
	stalled, now := e.stalled, time.Now()
	for r := range e.runs {
		if r.d != nil {
			consider(r.d)
		}
		// Past its threshold but not beside the pool: over the limit, or
		// not yet swept.
		if !r.stalled && !r.since.IsZero() && now.Sub(r.since) >= e.stallAfter {
			stalled++
		}
	}
	return engine.Stats{Depth: e.live, Oldest: oldest, Stalled: stalled, StalledLimit: e.maxStalled}, nil
}

// Close drains the queues until ctx ends, then cancels the runs in
// progress and abandons every delivery left. A delivery waiting for a
// retry or the end of a hold that is due after ctx's deadline could not
// run before then: Close abandons it at once rather than wait for it, and
// returns an error wrapping context.DeadlineExceeded once the rest has
// drained, as it would have at the deadline.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	close(e.closing)
	if deadline, ok := ctx.Deadline(); ok {
		e.drainBy = deadline
	}
	type given struct {
		d      *engine.Delivery
		why    error
		behind []*engine.Delivery
	}
	var late []given
	for d, t := range e.timers {
		if !e.lateLocked(t.due) || !t.Stop() {
			continue // due in time, or firing: it runs
		}
		delete(e.timers, d)
		q := e.queues[d.WebhookID]
		if e.parked[d] {
			delete(e.parked, d)
			q.parked--
		}
		late = append(late, given{d, e.lateErrLocked(t.due), e.takeBehindLocked(q, d)})
	}
	if e.live == 0 {
		close(e.drained)
	}
	e.mu.Unlock()
	for _, g := range late {
		e.runner.Abandon(g.d, g.why)
		e.abandonBehind(g.d, g.behind)
		e.mu.Lock()
		q := e.queues[g.d.WebhookID]
		e.endBehindLocked(q, g.behind)
		e.endLocked(q, g.d.WebhookID)
		e.readyLocked(q)
		e.mu.Unlock()
	}

	var err error
	select {
	case <-e.drained:
	case <-ctx.Done():
		// Both may be ready (a ctx done before Close): drained wins, as
		// nothing was cut short.
		select {
		case <-e.drained:
		default:
			err = ctx.Err()
		}
	}
	e.mu.Lock()
	if err == nil && e.cut > 0 {
		err = fmt.Errorf("webhook: the in-memory engine abandoned %d deliveries that could not run before Close's deadline: %w", e.cut, context.DeadlineExceeded)
	}
	e.mu.Unlock()

	// Stop: cancel runs in progress, stop waiting retries, let the workers
	// go, then account for every delivery left behind.
	e.mu.Lock()
	e.stopping = true
	if e.stallTimer != nil {
		e.stallTimer.Stop()
	}
	e.cancel()
	var left []*engine.Delivery
	for d, t := range e.timers {
		t.Stop()
		left = append(left, d)
	}
	clear(e.timers)
	clear(e.parked)
	for _, q := range e.ready {
		q.isReady = false
	}
	e.ready = nil
	for _, q := range e.queues {
		left = append(left, q.due...)
		left = append(left, q.pending...)
		q.due, q.pending, q.parked = nil, nil, 0
		for _, waiting := range q.waiting {
			left = append(left, waiting...)
		}
		clear(q.waiting)
	}
	for _, d := range left { // ended below: Stats no longer counts them
		e.endLocked(e.queues[d.WebhookID], d.WebhookID)
	}
	e.work.Broadcast()
	e.mu.Unlock()
	e.wg.Wait()
	e.deadlines.Stop()

	for _, d := range left {
		e.runner.Abandon(d, errors.Join(engine.ErrClosed, err))
	}
	return err
}
