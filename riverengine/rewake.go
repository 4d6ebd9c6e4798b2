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
// a snooze: that retry comes a few seconds early. A job of this
// instance's whose run was under way when WakeHeld began and ends held
// runs again at once, and one whose snooze River had not written yet
// when WakeHeld began is woken once it is written (WakeHeld waits for
// that, within ctx); another instance's such jobs are its own WakeHeld's,
// which the Dispatcher calls as it reads the reset from the definition
// store. The jobs are found
// through indexes River has: on PostgreSQL its index of job arguments
// (webhook_id) or of jobs by state and queue, whichever the planner
// takes; on SQLite, which has no index of arguments, the latter, among
// the queue's jobs that wait. They are woken in batches, each committed
// on its own, so that a backlog of any size is woken in steps that end
// well within a caller's deadline: when ctx ends midway, those woken stay
// woken, and the count and the error say so. After Close it returns
// engine.ErrClosed.
func (e *Engine) WakeHeld(ctx context.Context, webhookID string) (int, error) {
	return e.wakeWaiting(ctx, webhookID, false)
}

var _ engine.RemovedWaker = (*Engine)(nil)

// WakeRemoved is WakeHeld for a deleted webhook, waking its jobs that
// wait for a retry too (retryable, or available later), so that the
// Runner ends them now: the Dispatcher calls it when it reads the
// deletion. A job of this instance's whose attempt was under way when
// WakeRemoved began, and ends due for a retry, is retried at once; one
// whose attempt had ended so but whose retry River had not written yet
// is woken once it is written (WakeRemoved waits for that, within ctx).
func (e *Engine) WakeRemoved(ctx context.Context, webhookID string) (int, error) {
	return e.wakeWaiting(ctx, webhookID, true)
}

// wakeWaiting wakes the webhook's snoozed jobs, and with all those that
// wait for a retry too.
func (e *Engine) wakeWaiting(ctx context.Context, webhookID string, all bool) (int, error) {
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return 0, engine.ErrClosed
	}
	// Taken first: a snooze River writes after the batches looked is
	// woken below, and a run ending held from now on runs again.
	pending := e.flights.wake(webhookID, all)
	var n int64
	// Batch by batch in the order of job ids, each batch committed on
	// its own, so that a backlog of any size is woken in steps that each
	// end well within a caller's deadline, those woken going meanwhile;
	// and so that jobs snoozed again while the rest are woken are not
	// woken over and over.
	for after := int64(0); ; {
		var found int
		var last, woken int64
		var err error
		switch q := e.queue.(type) {
		case *pgQueue:
			cond := snoozedPG
			if all {
				cond = waitingPG
			}
			if found, last, err = q.heldBatch(ctx, cond, e.cfg.queue, webhookID, after, wakeBatch); err == nil && found > 0 {
				woken, err = q.wake(ctx, cond, e.cfg.queue, webhookID, after, last)
			}
			if err == nil && woken > 0 && e.waker != nil {
				err = e.waker.notify(ctx)
			}
		case *sqliteQueue:
			found, last, woken, err = q.wakeHeld(ctx, all, e.cfg.queue, webhookID, after, wakeBatch)
		}
		n += woken
		if err != nil {
			return int(n), fmt.Errorf("riverengine: waking the held deliveries of a webhook (%d woken): %w", n, err)
		}
		if found < wakeBatch {
			break
		}
		after = last
	}
	woken, err := e.wakePending(ctx, pending)
	n += woken
	if err != nil {
		return int(n), fmt.Errorf("riverengine: waking the held deliveries of a webhook (%d woken): %w", n, err)
	}
	return int(n), nil
}

// wakeBatch is how many jobs one step of WakeHeld wakes at most.
var wakeBatch = 5000

// snoozedPG selects the snoozed jobs of a webhook: $1 the kind, $2 the
// queue, $3 the webhook's queue key, and of ids past $4.
const snoozedPG = `kind = $1 AND queue = $2 AND args @> jsonb_build_object('webhook_id', $3::text)
	AND (state = 'scheduled' OR state = 'available' AND scheduled_at > now()) AND metadata ? 'snoozes' AND id > $4`

// waitingPG selects, as snoozedPG does, the jobs of a webhook that wait,
// snoozed or for a retry.
const waitingPG = `kind = $1 AND queue = $2 AND args @> jsonb_build_object('webhook_id', $3::text)
	AND (state IN ('scheduled', 'retryable') OR state = 'available' AND scheduled_at > now()) AND id > $4`

// heldBatch finds the next batch of up to limit snoozed jobs of a webhook
// past job id after: how many, and the last one's id.
func (q *pgQueue) heldBatch(ctx context.Context, cond, queue, webhookID string, after int64, limit int) (n int, last int64, err error) {
	err = q.pool.QueryRow(ctx, `SELECT count(*), coalesce(max(id), 0) FROM (SELECT id FROM river_job WHERE `+cond+`
		ORDER BY id LIMIT $5) AS held`, JobKind, queue, webhookID, after, limit).Scan(&n, &last)
	return n, last, err
}

// wake makes the snoozed jobs of a webhook of ids in (after, last] due now.
func (q *pgQueue) wake(ctx context.Context, cond, queue, webhookID string, after, last int64) (int64, error) {
	tag, err := q.pool.Exec(ctx, `UPDATE river_job SET state = 'available', scheduled_at = now() WHERE `+cond+` AND id <= $5`,
		JobKind, queue, webhookID, after, last)
	return tag.RowsAffected(), err
}

// wakeHeld wakes the next batch of up to limit snoozed jobs of a webhook
// past job id after, and has the queue's producers fetch them, in one
// transaction: how many it found, the last one's id, and how many it woke.
func (q *sqliteQueue) wakeHeld(ctx context.Context, all bool, queue, webhookID string, after int64, limit int) (found int, last, woken int64, err error) {
	// A scheduled job is held whatever its time: one already due waits
	// for River's scheduler, every few seconds, to make it available.
	snoozed := `kind = ? AND queue = ? AND (state = 'scheduled' OR state = 'available' AND julianday(scheduled_at) > julianday('now'))
		AND json_extract(metadata, '$.snoozes') IS NOT NULL AND json_extract(args, '$.webhook_id') = ? AND id > ?`
	if all {
		snoozed = `kind = ? AND queue = ? AND (state IN ('scheduled', 'retryable') OR state = 'available' AND julianday(scheduled_at) > julianday('now'))
		AND json_extract(args, '$.webhook_id') = ? AND id > ?`
	}
	err = q.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(max(id), 0) FROM (SELECT id FROM river_job WHERE `+snoozed+`
			ORDER BY id LIMIT ?)`, JobKind, queue, webhookID, after, limit).Scan(&found, &last)
		if err != nil || found == 0 {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE river_job SET state = 'available', scheduled_at = datetime('now', 'subsec')
			WHERE `+snoozed+` AND id <= ?`, JobKind, queue, webhookID, after, last)
		if err != nil {
			return err
		}
		if woken, err = res.RowsAffected(); err != nil || woken == 0 {
			return err
		}
		return q.driver.UnwrapExecutor(tx).NotifyMany(ctx, &riverdriver.NotifyManyParams{Topic: riverInsertTopic, Payload: []string{q.payload}})
	})
	return found, last, woken, err
}
