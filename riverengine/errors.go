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
	// ErrWrongDatabase: PublishTx was called on an engine on SQLite, or
	// PublishSQLTx on one on PostgreSQL.
	ErrWrongDatabase = errors.New("transaction is not of the engine's database")
	// ErrNoPublisher: the engine's Runner is not a *webhook.Dispatcher (or
	// anything else with its Publish method), so PublishTx cannot publish.
	ErrNoPublisher = errors.New("engine's runner cannot publish")
	// ErrAttemptsExhausted is the reason of a dead letter whose River job
	// reached River's attempt limit while the retry policy still asked for
	// more (River counts at most 32767 attempts).
	ErrAttemptsExhausted = errors.New("attempt limit of River reached")
)

// EnqueueError reports a delivery that could not be queued: the insert of
// its River job failed. Err is the database's error.
type EnqueueError struct {
	DeliveryID string
	WebhookID  string
	Err        error
}

func (e *EnqueueError) Error() string {
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
