package webhook

import (
	"context"
	"errors"
	"sync"
	"time"
)

// memoryEngine is the default Engine: everything in this process, nothing
// to operate. Each webhook has its own bounded queue and concurrency limit
// and a fixed pool of workers serves the webhooks that have work in turn,
// so a slow or dead endpoint holds at most its concurrency limit of
// workers and never delays the others.
type memoryEngine struct {
	workers int
	policy  QueuePolicy

	runner    Runner
	ctx       context.Context // attempts run under it; cancelled when the engine stops
	cancel    context.CancelFunc
	deadlines *deadlines     // of the workers' attempts
	wg        sync.WaitGroup // workers

	mu       sync.Mutex
	work     *sync.Cond // signalled when ready gains a queue or the engine stops
	queues   map[string]*webhookQueue
	ready    []*webhookQueue // queues with work and room to run it, in turn
	timers   map[*Delivery]*time.Timer
	live     int           // deliveries enqueued and not yet ended
	drained  chan struct{} // closed when closing and live reaches 0
	closing  chan struct{} // closed by Close: no more intake
	stopping bool          // workers must exit
	closed   bool
}

// webhookQueue is one webhook's share of the engine.
type webhookQueue struct {
	// held counts the webhook's live deliveries, queued, in flight or
	// waiting to retry; size bounds it.
	held, size int
	// room is closed when a full queue has room again, to wake the
	// publishers waiting for it; nil when none waits. They are woken once
	// an eighth of the queue is free, not for every slot, so that a
	// publisher held back by a busy webhook runs once per batch rather
	// than once per delivery.
	room     chan struct{}
	waiters  int
	pending  []*Delivery // ready to run
	inflight int
	limit    int
	isReady  bool
	// Ordering: a key is busy from the moment its delivery is pending until
	// it ends; later deliveries with that key wait here, in order.
	busy    map[string]bool
	waiting map[string][]*Delivery
}

func newMemoryEngine(workers int, policy QueuePolicy) *memoryEngine {
	ctx, cancel := context.WithCancel(context.Background())
	e := &memoryEngine{
		workers:   workers,
		policy:    policy,
		ctx:       ctx,
		cancel:    cancel,
		deadlines: newDeadlines(),
		queues:    map[string]*webhookQueue{},
		timers:    map[*Delivery]*time.Timer{},
		drained:   make(chan struct{}),
		closing:   make(chan struct{}),
	}
	e.work = sync.NewCond(&e.mu)
	return e
}

var _ Engine = (*memoryEngine)(nil)

func (e *memoryEngine) Start(r Runner) error {
	e.runner = r
	e.wg.Add(e.workers)
	for range e.workers {
		go e.worker()
	}
	return nil
}

// queueFor returns the webhook's queue, sized by the delivery's settings
// when it is first made; resize changes them after.
func (e *memoryEngine) queueFor(d *Delivery) *webhookQueue {
	q := e.queues[d.WebhookID]
	if q == nil {
		q = &webhookQueue{
			size: max(d.queueSize, 1), limit: max(d.limit, 1),
			busy: map[string]bool{}, waiting: map[string][]*Delivery{},
		}
		e.queues[d.WebhookID] = q
	}
	return q
}

// errNoRoomYet is enqueueNow's answer, under QueueBlock, for a full queue:
// Enqueue would wait.
var errNoRoomYet = errors.New("webhook: no room in the queue yet")

// enqueueNow queues d if its webhook's queue has room, without waiting:
// Publish queues an event to every webhook with room before it waits for
// the full ones. For a full queue it returns errNoRoomYet under QueueBlock
// and ErrQueueFull under QueueReject (Publish makes the error it returns).
func (e *memoryEngine) enqueueNow(d *Delivery) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	q := e.queueFor(d)
	if e.tryAdmitLocked(q, d) {
		return nil
	}
	if e.policy == QueueReject {
		return ErrQueueFull
	}
	return errNoRoomYet
}

// tryAdmitLocked queues d if q has room and no publisher waits for it
// (those go first), and reports whether it did.
func (e *memoryEngine) tryAdmitLocked(q *webhookQueue, d *Delivery) bool {
	if q.room != nil || q.held >= q.size {
		return false
	}
	q.held++
	e.live++
	e.admitLocked(q, d)
	return true
}

func (e *memoryEngine) Enqueue(ctx context.Context, d *Delivery) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for {
		if e.closed {
			return ErrClosed
		}
		q := e.queueFor(d)
		if e.tryAdmitLocked(q, d) {
			return nil
		}
		if e.policy == QueueReject {
			return &QueueFullError{WebhookIDs: []string{d.WebhookID}}
		}
		if q.room == nil {
			q.room = make(chan struct{})
		}
		room := q.room
		q.waiters++ // keeps q in the map while this waits
		e.mu.Unlock()
		var err error
		select {
		case <-room:
		case <-ctx.Done():
			err = ctx.Err()
		case <-e.closing:
			err = ErrClosed
		}
		e.mu.Lock()
		q.waiters--
		if err != nil {
			if q.waiters == 0 && q.room != nil { // none left to wake
				close(q.room)
				q.room = nil
			}
			e.forgetIdleLocked(q, d.WebhookID)
			return err
		}
	}
}

// resize applies a webhook's new queue size and concurrency to its queue,
// busy or not: a raised concurrency starts waiting deliveries now, a
// lowered one lets those in flight finish and starts no more until they
// are under it, a raised size lets waiting publishers in, and a lowered
// one keeps the deliveries held over it.
func (e *memoryEngine) resize(webhookID string, size, limit int) {
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
func (e *memoryEngine) admitLocked(q *webhookQueue, d *Delivery) {
	if d.key != "" {
		if q.busy[d.key] {
			q.waiting[d.key] = append(q.waiting[d.key], d)
			return
		}
		q.busy[d.key] = true
	}
	q.pending = append(q.pending, d)
	e.readyLocked(q)
}

// releaseKeyLocked lets the next delivery with d's ordering key go, now
// that d has ended.
func (e *memoryEngine) releaseKeyLocked(q *webhookQueue, d *Delivery) {
	if d.key == "" {
		return
	}
	next := q.waiting[d.key]
	if len(next) == 0 {
		delete(q.busy, d.key)
		return
	}
	q.pending = append(q.pending, next[0])
	if len(next) == 1 {
		delete(q.waiting, d.key)
	} else {
		next[0] = nil
		q.waiting[d.key] = next[1:]
	}
}

// readyLocked puts q in turn for a worker if it has work and room, and
// wakes one.
func (e *memoryEngine) readyLocked(q *webhookQueue) {
	if e.queueReadyLocked(q) {
		e.work.Signal()
	}
}

// queueReadyLocked puts q in turn if it has work and room, and reports
// whether it did, without waking a worker.
func (e *memoryEngine) queueReadyLocked(q *webhookQueue) bool {
	if q.isReady || len(q.pending) == 0 || q.inflight >= q.limit {
		return false
	}
	q.isReady = true
	e.ready = append(e.ready, q)
	return true
}

// endLocked accounts for a delivery of q that left the engine.
func (e *memoryEngine) endLocked(q *webhookQueue, webhookID string) {
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
func (e *memoryEngine) forgetIdleLocked(q *webhookQueue, webhookID string) {
	if q.held == 0 && q.waiters == 0 && e.queues[webhookID] == q {
		delete(e.queues, webhookID)
	}
}

func (e *memoryEngine) worker() {
	defer e.wg.Done()
	// Each attempt's context registers with its parent: a context per
	// worker keeps the workers from contending for the engine's. Attempts
	// run in the worker's attempt context (see deadlines), renewed when
	// one ran out of time.
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	actx := e.deadlines.context(ctx)
	defer func() { e.deadlines.release(actx) }()
	e.mu.Lock()
	for {
		for len(e.ready) == 0 && !e.stopping {
			e.work.Wait()
		}
		if e.stopping {
			e.mu.Unlock()
			return
		}
		q := e.ready[0]
		e.ready[0] = nil
		e.ready = e.ready[1:]
		q.isReady = false
		d := q.pending[0]
		q.pending[0] = nil
		q.pending = q.pending[1:]
		q.inflight++
		e.readyLocked(q) // more work and room: back in turn, behind the others
		e.mu.Unlock()

		next := e.runner.Attempt(actx.worker, d)
		if actx.spent() {
			e.deadlines.release(actx)
			actx = e.deadlines.context(ctx)
		}

		e.mu.Lock()
		q.inflight--
		if next.Retry && !e.stopping {
			e.timers[d] = time.AfterFunc(next.Delay, func() { e.retry(q, d) })
		} else {
			if next.Retry {
				e.mu.Unlock()
				e.runner.Abandon(d, ErrClosed)
				e.mu.Lock()
			}
			e.releaseKeyLocked(q, d)
			e.endLocked(q, d.WebhookID)
		}
		// No other worker is woken: this one goes round and takes the
		// next delivery itself.
		e.queueReadyLocked(q)
	}
}

// retry queues d again once its delay has passed.
func (e *memoryEngine) retry(q *webhookQueue, d *Delivery) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.timers[d]; !ok {
		return // stopped by Close, which abandons it
	}
	delete(e.timers, d)
	q.pending = append(q.pending, d)
	e.readyLocked(q)
}

// stats reports the deliveries not yet ended and when the oldest of them
// was created, for the queue metrics.
func (e *memoryEngine) stats() (live int, oldest time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	consider := func(d *Delivery) {
		if oldest.IsZero() || d.Created.Before(oldest) {
			oldest = d.Created
		}
	}
	for _, q := range e.queues {
		for _, d := range q.pending {
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
	return e.live, oldest
}

func (e *memoryEngine) Close(ctx context.Context) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	close(e.closing)
	if e.live == 0 {
		close(e.drained)
	}
	e.mu.Unlock()

	var err error
	select {
	case <-e.drained:
	case <-ctx.Done():
		err = ctx.Err()
	}

	// Stop: cancel attempts in flight, stop waiting retries, let the
	// workers go, then account for every delivery left behind.
	e.mu.Lock()
	e.stopping = true
	e.cancel()
	var left []*Delivery
	for d, t := range e.timers {
		t.Stop()
		left = append(left, d)
	}
	clear(e.timers)
	for _, q := range e.ready {
		q.isReady = false
	}
	e.ready = nil
	for _, q := range e.queues {
		left = append(left, q.pending...)
		q.pending = nil
		for _, waiting := range q.waiting {
			left = append(left, waiting...)
		}
		clear(q.waiting)
	}
	e.work.Broadcast()
	e.mu.Unlock()
	e.wg.Wait()
	e.deadlines.stop()

	for _, d := range left {
		e.runner.Abandon(d, errors.Join(ErrClosed, err))
	}
	return err
}
