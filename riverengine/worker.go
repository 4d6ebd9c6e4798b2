package riverengine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
)

// deliveryArgs are a delivery job's arguments: what an instance needs to
// make the delivery's next attempt.
type deliveryArgs struct {
	DeliveryID string `json:"delivery_id"`
	WebhookID  string `json:"webhook_id"`
	// Event is the event's JSON as text: River keeps args as jsonb, which
	// would reorder an object's keys, and a webhook without a body template
	// sends the event byte for byte. Empty when EventRef is set.
	Event string `json:"event,omitempty"`
	// EventRef is the id of the row of outhook_event that keeps the event
	// of the job's batch once, on PostgreSQL, when the batch has several
	// deliveries; zero when the job carries its event.
	EventRef int64     `json:"event_ref,omitempty"`
	Created  time.Time `json:"created"`
	// Attempts counts the attempts made before the job was inserted; River
	// counts the job's own.
	Attempts int `json:"attempts,omitempty"`
	// Concurrency is the webhook's limit of attempts in flight on one
	// instance, as published; zero is none.
	Concurrency int `json:"concurrency,omitempty"`
	// QueueSize is the webhook's queue bound as published, kept so that
	// the delivery is rebuilt whole; the engine does not apply it (see
	// Engine).
	QueueSize int `json:"queue_size,omitempty"`
	// DefinitionVersion is the version of the webhook's definition when
	// the delivery was published.
	DefinitionVersion uint64 `json:"definition_version,omitempty"`
	// OrderingKey puts the delivery in line behind the webhook's earlier
	// deliveries with the same key, in the form storedKey gives it; empty
	// when unordered.
	OrderingKey string `json:"ordering_key,omitempty"`
	// Trace is the W3C trace context of the span that queued the
	// delivery, so that the spans of its runs, on any instance, join the
	// publisher's trace.
	Trace map[string]string `json:"trace,omitempty"`
}

// Kind implements river.JobArgs.
func (deliveryArgs) Kind() string { return JobKind }

// orderingPoll is how long a delivery whose turn has not come waits
// before it looks again, when the delivery ahead of it is running.
const orderingPoll = 200 * time.Millisecond

// eventRetry is how long a delivery whose event could not be read waits
// before it tries again.
const eventRetry = time.Second

// detachedTimeout bounds the database call a job makes with its ctx's
// cancellation removed, so that a hard stop does not cut it: ending an
// ordered delivery's job. Close waits for it; a database that stops
// answering would hold it for ever.
const detachedTimeout = 5 * time.Second

// heldMax bounds the deliveries an instance holds between runs: past it,
// stale ones are dropped (at most once per heldSweepEvery, so that a
// backlog of live ones does not make every hold scan them all), and when
// none is stale a delivery is not held but rebuilt from its job's
// arguments at its next run, which costs a render. heldStale is how long
// after its due time a held delivery is taken for picked up by another
// instance.
const (
	heldMax        = 16384
	heldStale      = time.Minute
	heldSweepEvery = time.Second
)

// worker runs delivery jobs through the engine's Runner.
type worker struct {
	river.WorkerDefaults[deliveryArgs]
	engine *Engine
	slots  *slots
	events *eventCache

	mu sync.Mutex
	// due passes the Runner's retry time from Work to NextRetry, which
	// River calls right after Work returns the attempt's error.
	due map[int64]time.Time
	// held keeps the deliveries waiting for their next attempt, by job id,
	// so that when this instance runs the job again the Delivery keeps what
	// the Runner stored in it: the rendered body, the definition it was
	// rendered from, a reserved rate-limit slot. A job another instance
	// runs is rebuilt from its args there.
	held  map[int64]heldDelivery
	swept time.Time // when held was last swept of stale deliveries
	// ended keeps, by job id, the runs that ended their delivery while its
	// record was left to be written after them (see recordBy): SQLite's
	// write lock held them up, and may keep River's completion of the job
	// out past the rescue horizon, so that River's rescuer runs the job
	// again (see rescuedAfterEnd).
	ended map[int64]endedRun
	// runCut is the cause of a run's end at River's job timeout, wrapping
	// errRunCut.
	runCut error
}

type endedRun struct {
	attempt int // River's attempt of the run
	at      time.Time
}

type heldDelivery struct {
	del *engine.Delivery
	due time.Time
}

func newWorker(e *Engine) *worker {
	return &worker{engine: e, slots: newSlots(e.cfg.workers), events: newEventCache(eventCacheSize), due: map[int64]time.Time{}, held: map[int64]heldDelivery{}, ended: map[int64]endedRun{},
		runCut: fmt.Errorf("riverengine: %w, WithRescueAfter (%s), and was cut", errRunCut, e.cfg.rescueAfter)}
}

// Timeout bounds a job by the rescue horizon, past which River's rescuer
// takes it for lost (it leaves jobs without a timeout alone). Each
// attempt is bounded by its webhook's timeout, and by recordMargin before
// the horizon (see Work).
func (w *worker) Timeout(*river.Job[deliveryArgs]) time.Duration { return w.engine.cfg.rescueAfter }

// NextRetry returns when the Runner asked for the next attempt. A time
// already past (a delay shorter than the time since Work returned) is now:
// River takes a past time for a broken policy and applies its own,
// attempt⁴ seconds.
func (w *worker) NextRetry(job *river.Job[deliveryArgs]) time.Time {
	w.mu.Lock()
	t, ok := w.due[job.ID]
	delete(w.due, job.ID)
	w.mu.Unlock()
	if now := time.Now(); ok && t.Before(now) {
		return now
	}
	return t
}

// Work makes the delivery's next attempt.
func (w *worker) Work(ctx context.Context, job *river.Job[deliveryArgs]) error {
	if err := ctx.Err(); err != nil {
		// The engine is stopping: River makes the job available again,
		// counting no attempt, for another instance.
		return err
	}
	if w.rescuedAfterEnd(job) {
		w.engine.cfg.logger.WarnContext(ctx, "riverengine: River ran again a job whose run had ended its delivery before its completion was written; "+
			"it ends without another attempt", "job_id", job.ID, "webhook_id", job.Args.WebhookID, "delivery_id", job.Args.DeliveryID)
		return w.end(ctx, job)
	}
	// Flow control, like the rate limit, counts no attempt and holds no
	// worker for long: a delivery over its webhook's concurrency waits in
	// its line briefly or is snoozed (see slots), and one behind an
	// earlier one with its ordering key is snoozed.
	args, start := &job.Args, time.Now()
	// River counts a job's snoozes in its metadata: one that has some
	// waited before and comes back at its turn.
	back := bytes.Contains(job.Metadata, []byte(`"snoozes"`))
	line, wait := w.slots.take(args.WebhookID, args.Concurrency, back, start)
	if line != nil {
		var ok bool
		if start, wait, ok = w.slots.wait(args.WebhookID, args.Concurrency, line, ctx.Done()); !ok && ctx.Err() != nil {
			return ctx.Err() // stopping: as at the top
		}
	}
	if wait > 0 {
		return w.snooze(wait)
	}
	// The slot is given back when the attempt's exchange with the
	// receiver ends (engine.Delivery.OnExchangeEnd), before the Runner
	// records it, or else when Work returns; took is the time it was held
	// by an attempt, zero when none was made.
	gave := false
	give := func(took time.Duration) {
		if !gave {
			gave = true
			w.slots.give(args.WebhookID, start, took, time.Now())
		}
	}
	defer give(0)
	if args.OrderingKey != "" {
		blocked, due, err := w.engine.queue.turn(ctx, job)
		if err != nil && ctx.Err() == nil {
			w.engine.cfg.logger.WarnContext(ctx, "riverengine: looking up an ordering key's line", "job_id", job.ID, "error", err)
		}
		if blocked || err != nil {
			return w.snooze(max(due, orderingPoll))
		}
	}

	del, err := w.delivery(ctx, job)
	switch {
	case err != nil && ctx.Err() != nil:
		return river.JobSnooze(0) // stopping: as Interrupted below
	case errors.Is(err, errEventGone), errors.Is(err, errBadEvent):
		return river.JobCancel(fmt.Errorf("riverengine: job %d: %w", job.ID, err))
	case err != nil:
		// Reading the event failed (the database): try again soon,
		// counting no attempt.
		w.engine.cfg.logger.WarnContext(ctx, "riverengine: reading a delivery's event", "job_id", job.ID, "error", err)
		return river.JobSnooze(eventRetry)
	}
	if unfinishedRuns(job) >= maxUnfinishedRuns {
		w.engine.runner.Abandon(del, ErrRunsUnfinished)
		return w.end(ctx, job)
	}
	// The attempt must be over, and recorded, before River's job timeout
	// ends the run: a cut run counts for nothing, and an attempt that
	// always outlasts it would be made again for ever. Ended earlier, it
	// has timed out, and counts as any attempt that timed out.
	// The record, in turn, holds the run until half the margin is left at
	// most, the other half being for River's completion of the job.
	runCtx, attemptBy, records := ctx, time.Time{}, (*recordBy)(nil)
	if runBy, ok := ctx.Deadline(); ok {
		// River's rescuer measures from the job's fetch, which may come
		// well before the run on a busy instance.
		if at := job.AttemptedAt; at != nil {
			runBy = minTime(runBy, at.Add(w.engine.cfg.rescueAfter))
		}
		margin := recordMargin(w.engine.cfg.rescueAfter)
		attemptBy = runBy.Add(-margin)
		records = &recordBy{at: runBy.Add(-margin / 2)}
		// The run ends with a cause, before River's timeout would end it
		// without one, so that a cut attempt's record says what ended it
		// rather than that the engine is stopping; and with a quarter of
		// the margin left, so that River's completion of the job is
		// written before its rescuer may take the job for lost (the
		// horizon is the timeout, give or take the fetch) and the run's
		// timer does not race River's.
		var cancel context.CancelFunc
		runCtx, cancel = context.WithDeadlineCause(ctx, runBy.Add(-margin/4), w.runCut)
		defer cancel()
		runCtx = withRecordBy(engine.WithAttemptDeadline(runCtx, attemptBy), records)
	}
	attempted := time.Now()
	del.OnExchangeEnd(func() { give(time.Since(attempted)) })
	mark := w.engine.flights.begin(args.WebhookID, job.ID)
	res := w.engine.runner.Run(runCtx, del)
	if !attemptBy.IsZero() && res.Outcome != engine.Held && res.Outcome != engine.Interrupted && !time.Now().Before(attemptBy) {
		w.engine.cfg.logger.WarnContext(ctx, "riverengine: an attempt ran until WithRescueAfter's bound and timed out there: "+
			"raise WithRescueAfter above the webhook's timeout",
			"job_id", job.ID, "webhook_id", args.WebhookID, "rescue_after", w.engine.cfg.rescueAfter)
	}
	del.OnExchangeEnd(nil)
	if w.engine.flights.end(args.WebhookID, job.ID, mark, res.Outcome == engine.Held, res.Outcome == engine.Retry, snoozesOf(job.Metadata), job.Attempt) {
		// Held by a breaker that a WakeHeld, begun during the run, may
		// have reset since, or due for a retry of a webhook deleted
		// since: run again now.
		res.Delay = 0
	}
	if res.Outcome != engine.Held {
		give(time.Since(attempted))
	}
	if res.Outcome == engine.Done && records != nil && records.left.Load() {
		w.remember(job)
	}
	switch res.Outcome {
	case engine.Interrupted:
		// The engine is stopping (or River's job timeout struck): the
		// attempt counts for nothing, neither as a River attempt (a
		// snooze is none) nor against the retry policy, and the job stays
		// queued for this instance's next start or another instance.
		if errors.Is(context.Cause(runCtx), errRunCut) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// River's job timeout, not a stop (which cancels): the run
			// outlasted even its margin for recording. River's own timer
			// may still end the run first (a run starved of the CPU):
			// a cut all the same. It stays
			// uncounted by the Runner, but River keeps it among the
			// job's errors, which bound such runs (unfinishedRuns).
			w.engine.cfg.logger.WarnContext(ctx, "riverengine: a run outlasted WithRescueAfter and was cut, uncounted, to be made again",
				"job_id", job.ID, "webhook_id", args.WebhookID, "rescue_after", w.engine.cfg.rescueAfter)
			return w.runCut
		}
		return river.JobSnooze(0)
	case engine.Held:
		// Held back by the rate limit or an open breaker, without an
		// attempt: a snooze, which River does not count as one.
		w.hold(job.ID, del, time.Now().Add(res.Delay), false)
		return w.snooze(max(res.Delay, 0))
	case engine.Retry:
		if job.Attempt >= job.MaxAttempts {
			w.engine.runner.Abandon(del, ErrAttemptsExhausted)
			return w.end(ctx, job)
		}
		w.hold(job.ID, del, time.Now().Add(res.Delay), true)
		return &retryError{attempt: del.Attempts, delay: res.Delay}
	}
	return w.end(ctx, job) // the Runner recorded how it ended
}

// snooze snoozes a job held back by flow control for d, and has the
// queue notified when it comes due, so that it is fetched then rather than
// at the next poll.
func (w *worker) snooze(d time.Duration) error {
	w.engine.waker.after(d)
	return river.JobSnooze(d)
}

// end ends the job of a delivery that ended. An ordered one leaves its
// line in the transaction that completes it; should that fail, River
// completes the job and its row stays behind, holding no one up.
func (w *worker) end(ctx context.Context, job *river.Job[deliveryArgs]) error {
	if job.Args.OrderingKey == "" {
		return nil
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), detachedTimeout)
	defer cancel()
	if err := w.engine.queue.completeOrdered(cctx, job); err != nil {
		w.engine.cfg.logger.WarnContext(ctx, "riverengine: completing an ordered delivery", "job_id", job.ID, "error", err)
	}
	return nil
}

// delivery returns the job's delivery: the one this instance held since
// its last attempt, or one rebuilt from the args and, when the job refers
// to its event's row, the event read from it (or from the events this
// instance read or inserted lately).
func (w *worker) delivery(ctx context.Context, job *river.Job[deliveryArgs]) (*engine.Delivery, error) {
	// River counts this run among the job's attempts already, and the
	// runs its job timeout cut, whose attempts counted for nothing.
	attempts := job.Args.Attempts + job.Attempt - 1 - cutRuns(job)
	w.mu.Lock()
	h, ok := w.held[job.ID]
	delete(w.held, job.ID)
	w.mu.Unlock()
	if ok && h.del.Attempts == attempts {
		return h.del, nil
	}
	var ev *event.Event
	var err error
	if ref := job.Args.EventRef; ref != 0 && job.Args.Event == "" {
		ev, err = w.events.get(ref, func() (*event.Event, error) {
			raw, err := w.engine.queue.event(ctx, ref)
			if err != nil {
				return nil, err
			}
			return parseEvent(raw)
		})
	} else {
		ev, err = parseEvent(job.Args.Event)
	}
	if err != nil {
		return nil, err
	}
	return &engine.Delivery{
		ID: job.Args.DeliveryID, WebhookID: job.Args.WebhookID, Event: ev,
		Attempts: attempts, Created: job.Args.Created, TraceContext: job.Args.Trace,
		QueueSize: job.Args.QueueSize, Concurrency: job.Args.Concurrency, OrderingKey: job.Args.OrderingKey,
		DefinitionVersion: job.Args.DefinitionVersion,
	}, nil
}

// errBadEvent is the error of a job whose event does not parse.
var errBadEvent = errors.New("the event does not parse")

func parseEvent(raw string) (*event.Event, error) {
	ev, err := event.Parse([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadEvent, err)
	}
	return ev, nil
}

func (w *worker) hold(id int64, del *engine.Delivery, due time.Time, retry bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if retry {
		w.due[id] = due
	}
	if _, ok := w.held[id]; !ok && len(w.held) >= heldMax {
		if now := time.Now(); now.After(w.swept.Add(heldSweepEvery)) {
			w.swept = now
			stale := now.Add(-heldStale)
			for id, h := range w.held {
				if h.due.Before(stale) {
					delete(w.held, id)
				}
			}
		}
		if len(w.held) >= heldMax {
			return
		}
	}
	w.held[id] = heldDelivery{del: del, due: due}
}

// endedKept is how long after a run that ended its delivery, its record
// left to be written after it, the worker remembers it: past River's
// rescue horizon (rescueAfter) by two looks of its rescuer, every 30 s.
const endedKept = time.Minute

// remember keeps job's run among those that ended their delivery with
// its record left to be written after the run.
func (w *worker) remember(job *river.Job[deliveryArgs]) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	if len(w.ended) >= heldMax {
		stale := now.Add(-w.engine.cfg.rescueAfter - endedKept)
		for id, e := range w.ended {
			if e.at.Before(stale) {
				delete(w.ended, id)
			}
		}
		if len(w.ended) >= heldMax {
			return
		}
	}
	w.ended[job.ID] = endedRun{attempt: job.Attempt, at: now}
}

// rescuedAfterEnd says whether job is run again after River's rescuer took
// it from a run of this instance that had ended its delivery (remember):
// its completion had not been written by the rescue horizon. Run again,
// the delivery would be sent twice under the same webhook-id. River's
// rescuer keeps the job's attempt and adds an error at it; this run is
// the next attempt.
func (w *worker) rescuedAfterEnd(job *river.Job[deliveryArgs]) bool {
	if len(job.Errors) == 0 {
		return false
	}
	last := job.Errors[len(job.Errors)-1]
	if last.Attempt != job.Attempt-1 || last.Error != riverRescued {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	e, ok := w.ended[job.ID]
	if ok {
		delete(w.ended, job.ID)
	}
	return ok && e.attempt == last.Attempt
}

// riverRescued is the error River's rescuer keeps for the run of a job it
// took for lost.
const riverRescued = "Stuck job rescued by JobRescuer"

func (w *worker) forgetAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	clear(w.held)
	clear(w.due)
	clear(w.ended)
}

// maxUnfinishedRuns bounds the runs in a row of a delivery that end
// without a result (see unfinishedRuns): past it, the delivery becomes a
// dead letter, whose redelivery starts the count again.
const maxUnfinishedRuns = 5

// unfinishedRuns counts the last runs of job that ended without a result,
// as River keeps them among its errors, since its last attempt that
// failed: those River's rescuer ended (the instance stopped during the
// run), those that panicked, and those cut by the job timeout
// (errRunCut). A failed attempt's error is a retryError, which has its
// own bound, the retry policy, and shows the delivery is not stuck: a
// delivery retried for days outlives instances that stop during it.
func unfinishedRuns(job *river.Job[deliveryArgs]) int {
	n := 0
	for _, e := range slices.Backward(job.Errors) {
		if strings.HasPrefix(e.Error, retryErrorPrefix) {
			break
		}
		n++
	}
	return n
}

// cutRuns counts the runs of job that River's job timeout cut (errRunCut).
func cutRuns(job *river.Job[deliveryArgs]) int {
	n := 0
	for _, e := range job.Errors {
		if strings.HasPrefix(e.Error, runCutPrefix) {
			n++
		}
	}
	return n
}

// runCutPrefix begins the text of every worker's runCut, as River keeps
// it among a job's errors.
const runCutPrefix = "riverengine: the run reached River's job timeout"

// errRunCut is the error of a run that River's job timeout cut after its
// attempt's margin (worker.runCut): River counts it and runs the job
// again at once.
var errRunCut = errors.New("the run reached River's job timeout")

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// recordMargin is how long before River's job timeout (rescueAfter) an
// attempt is ended, so that its record is written within the run.
func recordMargin(rescueAfter time.Duration) time.Duration {
	return min(rescueAfter/4, detachedTimeout)
}

// retryError is the error a delivery job returns after a failed attempt
// that the retry policy retries; River records it among the job's errors.
// The invocation record holds the reason.
type retryError struct {
	attempt int
	delay   time.Duration
}

// retryErrorPrefix begins every retryError's text, as River keeps it.
const retryErrorPrefix = "riverengine: attempt "

func (e *retryError) Error() string {
	return fmt.Sprintf(retryErrorPrefix+"%d failed; the next one is due in %s (see the invocation record)", e.attempt, e.delay)
}
