package riverengine

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
)

// queue is the River client behind an Engine, with the SQL of its
// database for ordering keys.
//
// Each ordered delivery has a row in outhook_ordering, the line of its
// (webhook, key), inserted with its job. A delivery's turn comes when no
// earlier job of its line is unfinished; its row goes in the transaction
// that completes its job. Jobs finished some other way (cancelled by an
// operator, say) hold no one up: the turn looks at the jobs' own state.
type queue interface {
	// insert inserts the job of a delivery, with its place in its line
	// when it has an ordering key, in the caller's transaction when
	// PublishTx put one in ctx.
	insert(ctx context.Context, args deliveryArgs, opts *river.InsertOpts) error
	// turn reports whether an earlier job of job's line is unfinished and,
	// if so, how long until that job is next due (zero when it is running
	// or due now).
	turn(ctx context.Context, job *river.Job[deliveryArgs]) (blocked bool, due time.Duration, err error)
	// completeOrdered completes an ordered job and takes it out of its
	// line, in one transaction.
	completeOrdered(ctx context.Context, job *river.Job[deliveryArgs]) error
	start(ctx context.Context) error
	stop(ctx context.Context) error
	stopAndCancel(ctx context.Context) error
}

// finishedStates are the states of a River job that will not run again.
const finishedStates = `('cancelled', 'completed', 'discarded')`

// riverClient starts and stops a River client, whatever its driver.
type riverClient[TTx any] struct {
	client *river.Client[TTx]
}

func (c riverClient[TTx]) start(ctx context.Context) error { return c.client.Start(ctx) }
func (c riverClient[TTx]) stop(ctx context.Context) error  { return c.client.Stop(ctx) }
func (c riverClient[TTx]) stopAndCancel(ctx context.Context) error {
	return c.client.StopAndCancel(ctx)
}

// pgQueue is the queue on PostgreSQL.
type pgQueue struct {
	riverClient[pgx.Tx]
	pool *pgxpool.Pool
}

// orderingLockClass namespaces the advisory locks of ordering keys: 'ordr'
// in ASCII.
const orderingLockClass = 0x6f726472

func (q *pgQueue) insert(ctx context.Context, args deliveryArgs, opts *river.InsertOpts) error {
	tx, inTx := txFrom(ctx, q.pool).(pgx.Tx)
	switch {
	case args.OrderingKey == "" && inTx:
		_, err := q.client.InsertTx(ctx, tx, args, opts)
		return err
	case args.OrderingKey == "":
		_, err := q.client.Insert(ctx, args, opts)
		return err
	case inTx:
		return q.insertOrdered(ctx, tx, args, opts)
	}
	return pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error { return q.insertOrdered(ctx, tx, args, opts) })
}

// insertOrdered inserts an ordered delivery's job and its row. The lock
// holds the other publishers of the line until tx ends, so that the
// line's job ids follow the order of commits: an instance that sees a job
// sees every earlier one.
func (q *pgQueue) insertOrdered(ctx context.Context, tx pgx.Tx, args deliveryArgs, opts *river.InsertOpts) error {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1::int4, hashtext($2::text || ' ' || $3::text))",
		int32(orderingLockClass), args.WebhookID, args.OrderingKey); err != nil {
		return err
	}
	res, err := q.client.InsertTx(ctx, tx, args, opts)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, "INSERT INTO outhook_ordering (job_id, webhook_id, ordering_key) VALUES ($1, $2, $3)",
		res.Job.ID, args.WebhookID, args.OrderingKey)
	return err
}

func (q *pgQueue) turn(ctx context.Context, job *river.Job[deliveryArgs]) (bool, time.Duration, error) {
	var seconds float64
	err := q.pool.QueryRow(ctx, `SELECT greatest(extract(epoch FROM j.scheduled_at - now()), 0)::float8
		FROM outhook_ordering o JOIN river_job j ON j.id = o.job_id
		WHERE o.webhook_id = $1 AND o.ordering_key = $2 AND o.job_id < $3 AND j.state NOT IN `+finishedStates+`
		ORDER BY o.job_id LIMIT 1`, job.Args.WebhookID, job.Args.OrderingKey, job.ID).Scan(&seconds)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, 0, nil
	}
	return err == nil, time.Duration(seconds * float64(time.Second)), err
}

func (q *pgQueue) completeOrdered(ctx context.Context, job *river.Job[deliveryArgs]) error {
	return pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM outhook_ordering WHERE job_id = $1", job.ID); err != nil {
			return err
		}
		_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
		return err
	})
}

// sqliteQueue is the queue on SQLite. SQLite has a single writer, so the
// line's job ids follow the order of commits without a lock.
type sqliteQueue struct {
	riverClient[*sql.Tx]
	db *sql.DB
}

func (q *sqliteQueue) insert(ctx context.Context, args deliveryArgs, opts *river.InsertOpts) error {
	tx, inTx := txFrom(ctx, q.db).(*sql.Tx)
	switch {
	case args.OrderingKey == "" && inTx:
		_, err := q.client.InsertTx(ctx, tx, args, opts)
		return err
	case args.OrderingKey == "":
		_, err := q.client.Insert(ctx, args, opts)
		return err
	case inTx:
		return q.insertOrdered(ctx, tx, args, opts)
	}
	return q.inTx(ctx, func(tx *sql.Tx) error { return q.insertOrdered(ctx, tx, args, opts) })
}

func (q *sqliteQueue) insertOrdered(ctx context.Context, tx *sql.Tx, args deliveryArgs, opts *river.InsertOpts) error {
	res, err := q.client.InsertTx(ctx, tx, args, opts)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO outhook_ordering (job_id, webhook_id, ordering_key) VALUES (?, ?, ?)",
		res.Job.ID, args.WebhookID, args.OrderingKey)
	return err
}

func (q *sqliteQueue) turn(ctx context.Context, job *river.Job[deliveryArgs]) (bool, time.Duration, error) {
	var seconds float64
	err := q.db.QueryRowContext(ctx, `SELECT max((julianday(j.scheduled_at) - julianday('now')) * 86400.0, 0)
		FROM outhook_ordering o JOIN river_job j ON j.id = o.job_id
		WHERE o.webhook_id = ? AND o.ordering_key = ? AND o.job_id < ? AND j.state NOT IN `+finishedStates+`
		ORDER BY o.job_id LIMIT 1`, job.Args.WebhookID, job.Args.OrderingKey, job.ID).Scan(&seconds)
	if errors.Is(err, sql.ErrNoRows) {
		return false, 0, nil
	}
	return err == nil, time.Duration(seconds * float64(time.Second)), err
}

func (q *sqliteQueue) completeOrdered(ctx context.Context, job *river.Job[deliveryArgs]) error {
	return q.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM outhook_ordering WHERE job_id = ?", job.ID); err != nil {
			return err
		}
		_, err := river.JobCompleteTx[*riversqlite.Driver](ctx, tx, job)
		return err
	})
}

// inTx runs fn in a transaction of its own, committed when fn succeeds.
func (q *sqliteQueue) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
