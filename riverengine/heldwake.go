package riverengine

import (
	"context"
	"database/sql"
	"encoding/json"
	"sync"
	"time"

	"github.com/riverqueue/river/riverdriver"
)

// flights tracks, per webhook, this instance's delivery jobs from the
// start of their run until River has written the snooze of one held
// back, or the retry of one that failed, so that WakeHeld and WakeRemoved
// miss none of them: a job whose run began before a WakeHeld and ends
// held is snoozed for no time (its next run finds the breaker closed);
// one whose snooze River may not have written when WakeHeld looks is
// woken by WakeHeld once it is written; and likewise for WakeRemoved and
// a job that ends due for a retry.
type flights struct {
	mu    sync.Mutex
	wakes uint64 // WakeHeld calls begun
	hooks map[string]*flightState
	swept time.Time
}

type flightState struct {
	running int    // runs begun, not ended
	woken   uint64 // flights.wakes when WakeHeld last began for the webhook
	removed uint64 // and WakeRemoved
	// snoozing are the jobs whose run ended held or due for a retry, by
	// id, until River has written that.
	snoozing map[int64]pendingSnooze
	swept    time.Time // when snoozing was last looked through
}

// pendingSnooze is a job whose run ended held (the count of snoozes its
// metadata has once River has written this one) or, with retry, due for
// a retry (its attempt, which River keeps until the job runs again).
type pendingSnooze struct {
	snoozes int
	attempt int
	retry   bool
	at      time.Time
}

// snoozeWritten bounds how long after a run ends River's completer takes
// to write its snooze, for forgetting the snoozes no WakeHeld asked for.
const snoozeWritten = 30 * time.Second

func newFlights() *flights { return &flights{hooks: map[string]*flightState{}} }

// begin notes the start of a run of job id for webhook, and returns the
// mark its end gives back.
func (f *flights) begin(webhook string, id int64) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.hooks[webhook]
	if s == nil {
		s = &flightState{}
		f.hooks[webhook] = s
	}
	s.running++
	delete(s.snoozing, id)
	return f.wakes
}

// end notes the end of a run of attempt attempt begun at mark. For a
// run that ended held (snoozes: the count its job's metadata had), it
// reports whether a WakeHeld or WakeRemoved began for the webhook since
// mark, in which case the job is to run again now; otherwise the job
// waits for River to write its snooze. For one that ended due for a
// retry, it reports whether a WakeRemoved began since mark; otherwise
// the job waits for River to write the retry.
func (f *flights) end(webhook string, id int64, mark uint64, held, retry bool, snoozes, attempt int) (again bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	s := f.hooks[webhook]
	s.running--
	again = held && s.woken > mark || retry && s.removed > mark
	if !again && (held || retry) {
		if s.snoozing == nil {
			s.snoozing = map[int64]pendingSnooze{}
		}
		p := pendingSnooze{snoozes: snoozes, attempt: attempt, retry: retry, at: now}
		if held {
			p.snoozes++
		}
		s.snoozing[id] = p
	}
	f.forget(webhook, s, now)
	if now.Sub(f.swept) > snoozeWritten {
		f.swept = now
		for k, s := range f.hooks {
			f.forget(k, s, now)
		}
	}
	return again
}

// forget drops the snoozes written long ago, looking through them once
// per snoozeWritten at most so that a run's end costs the same however
// many wait (each is kept at most twice as long), and the webhook once
// it has nothing to track; f.mu is held.
func (f *flights) forget(webhook string, s *flightState, now time.Time) {
	if len(s.snoozing) > 0 && now.Sub(s.swept) > snoozeWritten {
		s.swept = now
		for id, p := range s.snoozing {
			if now.Sub(p.at) > snoozeWritten {
				delete(s.snoozing, id)
			}
		}
	}
	if s.running == 0 && len(s.snoozing) == 0 {
		delete(f.hooks, webhook)
	}
}

// wake notes a WakeHeld (a WakeRemoved when removed) of webhook
// beginning, and takes the snoozes, and with removed the retries, River
// may not have written yet, which it is to wake once written.
func (f *flights) wake(webhook string, removed bool) map[int64]pendingSnooze {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.wakes++
	s := f.hooks[webhook]
	if s == nil {
		return nil
	}
	s.woken = f.wakes
	var pending map[int64]pendingSnooze
	if removed {
		s.removed = f.wakes
		pending, s.snoozing = s.snoozing, nil
	} else {
		// The retries keep their delay, and their place here for a
		// WakeRemoved.
		for id, p := range s.snoozing {
			if !p.retry {
				if pending == nil {
					pending = map[int64]pendingSnooze{}
				}
				pending[id] = p
				delete(s.snoozing, id)
			}
		}
	}
	f.forget(webhook, s, time.Now())
	return pending
}

// jobMetadata is what a delivery job's metadata tells the engine.
type jobMetadata struct {
	Snoozes int `json:"snoozes"`
}

func snoozesOf(metadata []byte) int {
	var m jobMetadata
	_ = json.Unmarshal(metadata, &m) // River's own JSON
	return m.Snoozes
}

// pendingPoll is how often WakeHeld looks at snoozes not written yet.
const pendingPoll = 10 * time.Millisecond

// wakePending wakes each job of pending once River has written its
// snooze or retry, looking every pendingPoll until none is left or ctx
// ends; a job no longer running without the snooze (rescued, say), or
// that ran again since its retry, is left as it is. It returns how many
// it woke.
func (e *Engine) wakePending(ctx context.Context, pending map[int64]pendingSnooze) (int64, error) {
	var n int64
	tick := time.NewTicker(pendingPoll)
	defer tick.Stop()
	for len(pending) > 0 {
		ids := make([]int64, 0, len(pending))
		for id := range pending {
			ids = append(ids, id)
		}
		states, err := e.queue.snoozeStates(ctx, ids)
		if err != nil {
			return n, err
		}
		var due, retries []int64
		for _, id := range ids {
			st, found := states[id]
			p := pending[id]
			switch {
			case !found:
				delete(pending, id)
			case p.retry && st.attempt > p.attempt:
				delete(pending, id) // it ran again
			case p.retry && st.state != "running":
				retries = append(retries, id)
				delete(pending, id)
			case p.retry:
			case st.snoozes >= p.snoozes:
				due = append(due, id)
				delete(pending, id)
			case st.state != "running":
				delete(pending, id)
			}
		}
		for _, w := range []struct {
			ids   []int64
			retry bool
		}{{due, false}, {retries, true}} {
			if len(w.ids) == 0 {
				continue
			}
			woken, err := e.queue.wakeIDs(ctx, e.waker, w.ids, w.retry)
			n += woken
			if err != nil {
				return n, err
			}
		}
		if len(pending) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case <-tick.C:
		}
	}
	return n, nil
}

// jobSnooze is a job's state, count of snoozes, and attempt.
type jobSnooze struct {
	state   string
	snoozes int
	attempt int
}

// snoozeRows are the rows of a snoozeStates query, of pgx or database/sql.
type snoozeRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// scanSnoozes reads rows of id, state, snoozes and attempt.
func scanSnoozes(rows snoozeRows, n int) (map[int64]jobSnooze, error) {
	out := make(map[int64]jobSnooze, n)
	for rows.Next() {
		var id int64
		var s jobSnooze
		if err := rows.Scan(&id, &s.state, &s.snoozes, &s.attempt); err != nil {
			return nil, err
		}
		out[id] = s
	}
	return out, rows.Err()
}

func (q *pgQueue) snoozeStates(ctx context.Context, ids []int64) (map[int64]jobSnooze, error) {
	rows, err := q.pool.Query(ctx, `SELECT id, state::text, coalesce((metadata->>'snoozes')::int, 0), attempt FROM river_job WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanSnoozes(rows, len(ids))
}

// wakeIDs makes the jobs of ids that wait snoozed, or with retry for a
// retry, due now, and has the queue's producers fetch them.
func (q *pgQueue) wakeIDs(ctx context.Context, w *waker, ids []int64, retry bool) (int64, error) {
	tag, err := q.pool.Exec(ctx, `UPDATE river_job SET state = 'available', scheduled_at = now()
		WHERE id = ANY($1) AND (state = 'scheduled' OR $2 AND state = 'retryable' OR state = 'available' AND scheduled_at > now())`, ids, retry)
	if err != nil {
		return 0, err
	}
	if tag.RowsAffected() > 0 && w != nil {
		err = w.notify(ctx)
	}
	return tag.RowsAffected(), err
}

func (q *sqliteQueue) snoozeStates(ctx context.Context, ids []int64) (map[int64]jobSnooze, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := q.db.QueryContext(ctx, `SELECT id, state, coalesce(json_extract(metadata, '$.snoozes'), 0), attempt FROM river_job
		WHERE id IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanSnoozes(rows, len(ids))
}

func (q *sqliteQueue) wakeIDs(ctx context.Context, _ *waker, ids []int64, retry bool) (woken int64, err error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return 0, err
	}
	err = q.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE river_job SET state = 'available', scheduled_at = datetime('now', 'subsec')
			WHERE id IN (SELECT value FROM json_each(?))
			AND (state = 'scheduled' OR ? AND state = 'retryable' OR state = 'available' AND julianday(scheduled_at) > julianday('now'))`, string(list), retry)
		if err != nil {
			return err
		}
		if woken, err = res.RowsAffected(); err != nil || woken == 0 {
			return err
		}
		return q.driver.UnwrapExecutor(tx).NotifyMany(ctx, &riverdriver.NotifyManyParams{Topic: riverInsertTopic, Payload: []string{q.payload}})
	})
	return woken, err
}
