// Package engine is the contract between a webhook.Dispatcher and the
// engine that queues its deliveries and runs their attempts. The default
// engine keeps them in memory; the riverengine module keeps them in
// PostgreSQL or SQLite; a third engine implements the same interfaces and
// needs nothing else.
//
// The Dispatcher decides what to deliver and makes every attempt: it
// renders the body, sends it, validates the answer, records it, and keeps
// dead letters. An engine decides when: it holds deliveries, bounds them
// per webhook, orders them by key, and hands each to the Runner when it is
// due. After each run the Runner's Result says what happened, so an engine
// never has to guess it from side effects.
//
// An engine whose workers run deliveries one after another may give each
// a WorkerContext of Deadlines and pass its Context to Run: the Runner then
// bounds each attempt by arming that context (StartAttempt) rather than
// making a context and a timer per attempt. The in-memory engine does.
package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/outhook/outhook/event"
)

// Engine queues deliveries and has a Runner run them. Implementations must
// be safe for concurrent use.
type Engine interface {
	// Start hands the engine the Runner that runs deliveries. A
	// Dispatcher calls it once, before any Enqueue.
	Start(r Runner) error
	// Enqueue queues a batch of deliveries, all of one event, for their
	// first run. tx is nil, or the caller's transaction as it was given to
	// Dispatcher.PublishTx, which the engine writes the batch in; an
	// engine refuses a transaction it cannot use.
	//
	// It returns nil when every delivery is queued. When it queued some
	// and not others, it returns a *BatchError saying which; any other
	// error means it queued none. A delivery refused for want of room in
	// its webhook's queue has an error wrapping ErrQueueFull, and also the
	// reason the engine stopped waiting for room (ctx.Err(), ErrClosed)
	// when it waited. Enqueue never waits past ctx. After Close it returns
	// ErrClosed.
	Enqueue(ctx context.Context, tx Tx, batch []*Delivery) error
	// Stats reports the deliveries the engine holds, for the queue
	// metrics.
	Stats(ctx context.Context) (Stats, error)
	// Close stops intake, lets queued and running deliveries finish until
	// ctx is done, then stops, and returns ctx.Err() when it had to cut
	// the drain short. A delivery it gives up is reported to the Runner's
	// Abandon, so that none is lost silently; a durable engine may keep
	// it instead, to run after a restart. An engine may give up at once a
	// delivery due to run again only after ctx's deadline, rather than
	// wait for the deadline, and then return an error wrapping
	// context.DeadlineExceeded; it then gives up with it, unrun, the
	// deliveries waiting behind its OrderingKey, which must not overtake
	// it. An engine that had nothing left to drain should return nil,
	// even with ctx done; one whose own stop (a durable engine's client,
	// say) outlasts a done ctx returns ctx.Err() as for a cut drain.
	Close(ctx context.Context) error
}

// Tx is a transaction of the engine's own database (a pgx.Tx, a *sql.Tx),
// passed through the Dispatcher unopened.
type Tx any

// Resizer is an Engine that keeps a queue per webhook: the Dispatcher
// calls Resize when a webhook is added or updated, so that the deliveries
// already queued for it follow its new QueueSize and Concurrency at once.
// It calls it with its registry locked: Resize must not call back into
// the Dispatcher, nor wait for a run to end.
type Resizer interface {
	Resize(webhookID string, queueSize, concurrency int)
}

// HeldWaker is an Engine that can run at once the deliveries it holds for
// a webhook after a Held result, rather than when their delay is up. The
// Dispatcher calls WakeHeld when what held them may have gone: the
// webhook's circuit breaker was reset (ResetBreaker), or an update gave
// the webhook a new one while the old was not closed. An engine that is
// no HeldWaker runs them when their delay is up, and nothing else changes.
//
// WakeHeld makes the deliveries to webhookID (the queue key, as in
// Delivery.WebhookID) that wait after a Held result due now, on every
// instance the engine serves, and returns how many it woke. It may wake
// more of them than the breaker held (those the rate limit held, say):
// the Runner holds again, until its own time, any that is still held back.
// It leaves the deliveries that wait for a retry (Retry) to their delay,
// which the retry policy set. The Dispatcher calls it without its locks
// held; it may wait for a database, not past ctx.
type HeldWaker interface {
	WakeHeld(ctx context.Context, webhookID string) (int, error)
}

// RemovedWaker is an Engine that can run at once every delivery it holds
// back for a webhook, those waiting for a retry included. The Dispatcher
// calls WakeRemoved when it reads the webhook's deletion, so that its
// deliveries end now (the Runner skips them) rather than when their wait
// is up; with an engine that is no RemovedWaker it calls WakeHeld, and
// the deliveries waiting for a retry end when their delay is up. Like
// WakeHeld it acts on every instance the engine serves, returns how many
// it woke, and may wait for a database, not past ctx.
type RemovedWaker interface {
	WakeRemoved(ctx context.Context, webhookID string) (int, error)
}

// Runner runs deliveries for an Engine. The Dispatcher provides it.
type Runner interface {
	// Run makes the next attempt of d, or decides that none is due yet,
	// records what happened and says what the engine is to do with d.
	// When Run returns, d's exported fields hold what an engine that
	// keeps deliveries outside memory must store. When it made an
	// attempt, it called d.EndExchange once the exchange with the
	// receiver was over, before recording it (see Delivery.OnExchangeEnd).
	// A d without its Event (a stored delivery whose event did not
	// decode) is recorded as failed and ends, Done, with no dead letter.
	Run(ctx context.Context, d *Delivery) Result
	// Abandon ends d, which the engine gives up (it is closing, or its
	// own attempt limit is reached): d becomes a dead letter whose reason
	// is err, or, without its Event, a failed record only.
	Abandon(d *Delivery, err error)
}

// Outcome is what a run of a delivery came to.
type Outcome int

const (
	// Done: the delivery ended (delivered, failed for good and kept as a
	// dead letter, or skipped). The engine forgets it.
	Done Outcome = iota
	// Retry: an attempt was made and failed; run the delivery again after
	// Result.Delay. Delivery.Attempts counts the attempt.
	Retry
	// Held: no attempt was made (its tenant's limits, the webhook's rate
	// limit, its open circuit breaker, or a webhook not registered yet);
	// run it again after Result.Delay. It counts no attempt. What held it
	// holds the webhook's other deliveries too, so an engine does well to
	// count it against the webhook's Concurrency until it is due rather
	// than start others meanwhile, as the in-memory engine does.
	Held
	// Interrupted: ctx ended before or during the attempt, which counts
	// for nothing and left no dead letter. The engine keeps the delivery
	// to run later, or gives it to Abandon. The attempt's record says why
	// ctx ended: the engine is stopping when it was cancelled, and its
	// cause (context.WithDeadlineCause) when a deadline ended it.
	Interrupted
)

func (o Outcome) String() string {
	switch o {
	case Done:
		return "done"
	case Retry:
		return "retry"
	case Held:
		return "held"
	case Interrupted:
		return "interrupted"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Result is what a Runner says after running a delivery.
type Result struct {
	Outcome Outcome
	// Delay is how long to wait before the next run, for Retry and Held.
	Delay time.Duration
}

// Delivery is one event on its way to one webhook, across its attempts.
// Its exported fields but RunnerState are all an engine stores to rebuild
// it elsewhere; encoding/json writes exactly those, the Event as its JSON.
type Delivery struct {
	// ID is stable across attempts and redeliveries: receivers see it as
	// the webhook-id header and deduplicate on it. For an event with an
	// event_id it derives from that id and the webhook's, so that
	// publishing the same event again reuses it.
	ID string
	// WebhookID is the key of the webhook's queue, opaque to engines: the
	// webhook's id, joined with its tenant's for a webhook of a tenant
	// other than "" (package webhook), so that two tenants' webhooks with
	// one id are two queues.
	WebhookID string
	Event     *event.Event
	// Attempts counts the attempts made so far.
	Attempts int
	// Created is when the delivery was queued; the retry policy's time
	// budget counts from it.
	Created time.Time
	// TraceContext is the W3C trace context (traceparent, tracestate) of
	// the span that queued the delivery, so that the spans of its runs
	// join the publisher's trace; nil when it was not traced.
	TraceContext map[string]string

	// QueueSize bounds how many deliveries to the webhook an engine holds
	// at once, running and between retries included.
	QueueSize int
	// Concurrency bounds how many deliveries to the webhook are in their
	// exchange with the receiver at once: a run counts from its start
	// until the Runner calls EndExchange, or until Run returns when it
	// does not. The limit protects the receiver; recording an attempt
	// that has ended holds none of it.
	Concurrency int
	// OrderingKey is the value at the webhook's ordering-key path in the
	// event; "" when the webhook is unordered or the event has no value
	// there. Deliveries to one webhook with the same key run one at a
	// time, in the order they were queued.
	OrderingKey string
	// DefinitionVersion is the version of the webhook's definition when
	// the delivery was queued: 1 when it was added, one more at each
	// update.
	DefinitionVersion uint64

	// RunnerState is the Runner's, opaque to engines: what it keeps
	// between attempts in this process (the body rendered at the first
	// attempt, the retry schedule). An engine that holds the delivery in
	// memory keeps it; one that rebuilds the delivery leaves it nil. It
	// is no part of what an engine stores: encoding/json leaves it out.
	RunnerState any `json:"-"`

	exchangeEnd func() // set by OnExchangeEnd for the run in progress
}

// OnExchangeEnd has the Runner call f when the attempt of the run the
// engine is about to start has ended its exchange with the receiver (see
// EndExchange), so that the engine can give the webhook's Concurrency
// slot to another delivery while this run records the attempt. An engine
// calls it before Run, on the goroutine that calls Run, and with nil once
// Run has returned; f is called at most once, on the goroutine running
// Run, and not at all by a run that makes no attempt. A nil f sets none.
func (d *Delivery) OnExchangeEnd(f func()) { d.exchangeEnd = f }

// EndExchange tells the engine that the attempt in progress has ended its
// exchange with the receiver: the response was read, or the request
// failed or ran out of time. A Runner calls it then, before it records the
// attempt. It calls what the engine set with OnExchangeEnd, once; it does
// nothing when the engine set nothing or it was called already.
func (d *Delivery) EndExchange() {
	if f := d.exchangeEnd; f != nil {
		d.exchangeEnd = nil
		f()
	}
}

// Stats is the state of an engine's queues.
type Stats struct {
	// Depth counts the deliveries held: waiting, running and between
	// retries.
	Depth int
	// Oldest is when the oldest of them was created; zero when there are
	// none.
	Oldest time.Time
	// Stalled counts the attempts in their exchange with the receiver for
	// longer than the engine's stall threshold: those going on beside
	// its workers, and those holding a worker because StalledLimit others
	// already go on beside them. One beside the workers counts until its
	// run ends, its record included, as it holds its place beside them
	// until then. Zero for an engine that stalls none.
	Stalled int
	// StalledLimit is how many stalled attempts may go on beside the
	// workers: Stalled at it means the next to stall holds its worker,
	// and above it, that Stalled - StalledLimit workers are held. Zero
	// for an engine that stalls none.
	StalledLimit int
}

// Errors an engine returns. Test with errors.Is.
var (
	// ErrClosed is returned by Enqueue once Close has begun.
	ErrClosed = errors.New("outhook: closed")
	// ErrQueueFull is wrapped by the error of a delivery refused for want
	// of room in its webhook's queue.
	ErrQueueFull = errors.New("outhook: delivery queue full")
	// ErrTxUnsupported is returned by Enqueue, queueing nothing, for a
	// transaction the engine cannot write in: one of another database, or
	// any at all for an engine without one.
	ErrTxUnsupported = errors.New("outhook: the engine cannot write in this transaction")
)

// BatchError reports an Enqueue that queued some deliveries of a batch and
// not others.
type BatchError struct {
	// Errs has one entry per delivery of the batch, in order: nil for a
	// delivery queued, the reason for one not.
	Errs []error
}

func (e *BatchError) Error() string {
	n, first := 0, error(nil)
	for _, err := range e.Errs {
		if err != nil {
			if first == nil {
				first = err
			}
			n++
		}
	}
	return fmt.Sprintf("engine: %d of %d deliveries not queued: %v", n, len(e.Errs), first)
}

// Unwrap returns the errors of the deliveries not queued.
func (e *BatchError) Unwrap() []error {
	var out []error
	for _, err := range e.Errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}
