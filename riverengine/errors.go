package riverengine

import (
	"errors"
	"fmt"
)

// The conditions the engine reports; test for them with errors.Is.
var (
	// ErrNotMigrated: the database lacks River's or Outhook's tables, or
	// some of their migrations. Run Migrate (or MigrateSQLite) first.
	ErrNotMigrated = errors.New("database schema is not migrated")
	// ErrNotStarted: Enqueue was called before Start, that is, before the
	// engine was handed to webhook.New.
	ErrNotStarted = errors.New("engine is not started: pass it to webhook.New with webhook.WithEngine")
	// ErrStarted: Start was called a second time; an engine serves one
	// Dispatcher.
	ErrStarted = errors.New("engine is already started")
	// ErrWrongDatabase: the transaction given to Dispatcher.PublishTx is
	// not of the engine's kind of database (a *sql.Tx to an engine on
	// PostgreSQL, a pgx.Tx to one on SQLite).
	ErrWrongDatabase = errors.New("transaction is not of the engine's database")
	// ErrAttemptsExhausted is the reason of a dead letter whose River job
	// reached River's attempt limit while the retry policy still asked for
	// more (River counts at most 32767 attempts).
	ErrAttemptsExhausted = errors.New("attempt limit of River reached")
	// ErrRunsUnfinished is the reason of a dead letter whose runs ended
	// without a result maxUnfinishedRuns times in a row: its instance
	// stopped during each (River rescued the job), a run panicked, or a
	// run outlasted WithRescueAfter past its attempt.
	ErrRunsUnfinished = errors.New("the delivery's runs kept ending without a result (instances stopped during them, or WithRescueAfter cut them)")
	// ErrDatabaseLocked: on SQLite, another connection (another
	// process's, or the application's own) held the database's write lock
	// for longer than the engine waits for it, trying again with backoff:
	// a minute for an invocation record, the group's bound (5 s) for a
	// Publish. Nothing was written.
	ErrDatabaseLocked = errors.New("the SQLite database stayed locked by another connection")
	// ErrOutcomeUnknown: an Enqueue whose commit was sent but never
	// answered (the connection was lost, or the commit stalled past the
	// group's bound, waiting for a synchronous standby, say). Its batch
	// may be queued and delivered: publishing the event again may deliver
	// it twice, under the same webhook-id when the event has an id, which
	// receivers deduplicate on.
	ErrOutcomeUnknown = errors.New("the commit was not answered: the deliveries may be queued")
)

// EnqueueError reports a batch of deliveries that could not be queued:
// the insert of their River jobs failed, and none was queued, but when
// Err wraps ErrOutcomeUnknown: then the commit went unanswered and the
// batch may be queued. DeliveryID
// and WebhookID name the first delivery of the batch, Deliveries counts
// them, and Err is the database's error.
type EnqueueError struct {
	DeliveryID string
	WebhookID  string
	Deliveries int
	Err        error
}

func (e *EnqueueError) Error() string {
	if e.Deliveries > 1 {
		return fmt.Sprintf("riverengine: queueing %d deliveries (the first %s, of webhook %s): %v", e.Deliveries, e.DeliveryID, e.WebhookID, e.Err)
	}
	return fmt.Sprintf("riverengine: queueing delivery %s of webhook %s: %v", e.DeliveryID, e.WebhookID, e.Err)
}

func (e *EnqueueError) Unwrap() error { return e.Err }

// StoreError reports a store operation that failed in the database. Op is
// the InvocationStore method ("Record", "TakeDeadLetter", ...), Err the
// database's error.
type StoreError struct {
	Op  string
	Err error
}

func (e *StoreError) Error() string { return fmt.Sprintf("riverengine: store: %s: %v", e.Op, e.Err) }

func (e *StoreError) Unwrap() error { return e.Err }
