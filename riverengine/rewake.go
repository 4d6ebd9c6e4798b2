package riverengine

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/riverqueue/river/riverdriver"

	"github.com/outhook/outhook/engine"
)

var _ engine.HeldWaker = (*Engine)(nil)

// WakeHeld makes the deliveries to webhookID (the queue key the
// Dispatcher gives it) that wait snoozed due now, on every instance
// working the engine's queue, and has the queue's producers fetch them;
// it returns how many it woke. The Dispatcher calls it after
// ResetBreaker, and after an update replaced a breaker that was not
// closed.
//
// A snooze is how the engine holds a delivery without an attempt (see
// Engine): River counts it in the job's metadata and leaves the job
// scheduled, or available with a later scheduled_at when the snooze is
// shorter than River's scheduler interval. The snoozed jobs of the
// webhook are the ones woken: those the breaker or the rate limit held,
// and those waiting for a slot of its concurrency or their ordering key's
// turn, which the worker snoozes again when they are still held back.
// Jobs waiting for a retry keep their delay, but for one River made
// available later rather than retryable (a retry due within River's
// scheduler interval) of a job snoozed before, which it cannot tell from
// a snooze: that retry comes a few seconds early. A job whose snooze River has not written yet
// (its Work returned a moment ago) is not woken. The jobs are found
// through indexes River has: on PostgreSQL its index of job arguments
// (webhook_id) or of jobs by state and queue, whichever the planner
// takes; on SQLite, which has no index of arguments, the latter, among
// the queue's jobs that wait. After Close it returns engine.ErrClosed.
func (e *Engine) WakeHeld(ctx context.Context, webhookID string) (int, error) {
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return 0, engine.ErrClosed
	}
	var n int64
	var err error
	switch q := e.queue.(type) {
	case *pgQueue:
		if n, err = q.wakeHeld(ctx, e.cfg.queue, webhookID); err == nil && n > 0 && e.waker != nil {
			err = e.waker.notify(ctx)
		}
	case *sqliteQueue:
		n, err = q.wakeHeld(ctx, e.cfg.queue, webhookID)
	}
	if err != nil {
		return int(n), fmt.Errorf("riverengine: waking the held deliveries of a webhook: %w", err)
	}
	return int(n), nil
}

// snoozedPG selects the snoozed jobs of a webhook: $1 the kind, $2 the
// queue, $3 the webhook's queue key.
const snoozedPG = `kind = $1 AND queue = $2 AND args @> jsonb_build_object('webhook_id', $3::text)
	AND (state = 'scheduled' OR state = 'available' AND scheduled_at > now()) AND metadata ? 'snoozes'`

func (q *pgQueue) wakeHeld(ctx context.Context, queue, webhookID string) (int64, error) {
	tag, err := q.pool.Exec(ctx, `UPDATE river_job SET state = 'available', scheduled_at = now() WHERE `+snoozedPG,
		JobKind, queue, webhookID)
	return tag.RowsAffected(), err
}

func (q *sqliteQueue) wakeHeld(ctx context.Context, queue, webhookID string) (int64, error) {
	var n int64
	err := q.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE river_job SET state = 'available', scheduled_at = datetime('now', 'subsec')
			WHERE kind = ? AND queue = ? AND state IN ('scheduled', 'available') AND julianday(scheduled_at) > julianday('now')
				AND json_extract(metadata, '$.snoozes') IS NOT NULL AND json_extract(args, '$.webhook_id') = ?`,
			JobKind, queue, webhookID)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return q.driver.UnwrapExecutor(tx).NotifyMany(ctx, &riverdriver.NotifyManyParams{Topic: riverInsertTopic, Payload: []string{q.payload}})
	})
	return n, err
}
