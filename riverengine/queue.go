package riverengine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/outhook/outhook/event"
)

// queue is the River client behind an Engine, with the SQL of its
// database for ordering keys.
//
// Each ordered delivery has a row in outhook_ordering, the line of its
// (webhook, key), inserted with its job and no lock. A delivery goes when
// no job ahead of it in its line is unfinished; its row goes in the
// transaction that completes its job. Jobs finished some other way
// (cancelled by an operator, say) hold no one up: the turn looks at the
// jobs' own state; their rows go at the next sweep. Who is ahead: on
// PostgreSQL, the rows given an earlier turn when jobs of the line were
// fetched (see pgQueue.claim); on SQLite, whose single writer assigns job
// ids in commit order, lower job ids.
type queue interface {
	// insert inserts the jobs of a batch of deliveries, each with its
	// place in its line when it has an ordering key, all in tx when it is
	// not nil (the caller's, of this queue's database), or else in one
	// transaction shared with the batches of concurrent calls (see
	// insertGroup). When ev is not nil it is the event of every delivery
	// of the batch, which the queue may keep once (see pgQueue.insert);
	// ref is then the id of its row, zero when it kept it in each job.
	// After stopInserts it fails with engine.ErrClosed.
	insert(ctx context.Context, tx any, batch []deliveryArgs, ev *event.Event, opts *river.InsertOpts) (ref int64, err error)
	// stopInserts fails with engine.ErrClosed the batches queued for a
	// group and not taken yet, and all later ones; waits for the group
	// being written, then for the calls in flight (calls), and releases
	// what inserts hold (SQLite's prepared statement).
	stopInserts(calls *sync.WaitGroup)
	// event returns the event JSON of the row ref; an error wrapping
	// errEventGone when there is none.
	event(ctx context.Context, ref int64) (string, error)
	// stats counts the unfinished jobs of a River queue and says when the
	// oldest was created.
	stats(ctx context.Context, queue string) (n int, oldest time.Time, err error)
	// turn reports whether a job ahead of job in its line is unfinished
	// and, if so, how long until that job is next due (zero when it is
	// running or due now).
	turn(ctx context.Context, job *river.Job[deliveryArgs]) (blocked bool, due time.Duration, err error)
	// completeOrdered completes an ordered job and takes it out of its
	// line, in one transaction.
	completeOrdered(ctx context.Context, job *river.Job[deliveryArgs]) error
	// sweep deletes the rows of jobs that ended some other way (cancelled
	// or deleted with River's tools, say), which nothing else deletes, and
	// the event rows no job refers to any more.
	sweep(ctx context.Context) error
	// queued returns up to limit of a River queue's jobs in one of states
	// (erasableStates or finishedStates), by job id, after the job id
	// after; deleteQueued deletes those of ids still in one of states,
	// and says how many.
	queued(ctx context.Context, queue, states string, after int64, limit int) ([]queuedJob, error)
	deleteQueued(ctx context.Context, ids []int64, states string) (int64, error)
	// snoozeStates returns the state, count of snoozes and attempt of the
	// jobs of ids that exist; wakeIDs makes those of ids that wait snoozed
	// (with retry, or for a retry) due now, has the queue's producers
	// fetch them, and says how many.
	snoozeStates(ctx context.Context, ids []int64) (map[int64]jobSnooze, error)
	wakeIDs(ctx context.Context, w *waker, ids []int64, retry bool) (int64, error)
	start(ctx context.Context) error
	stop(ctx context.Context) error
	stopAndCancel(ctx context.Context) error
}

// finishedStates are the states of a River job that will not run again.
const finishedStates = `('cancelled', 'completed', 'discarded')`

// sweepOrphans selects the rows of outhook_ordering whose job has ended or
// is gone. A row is committed with its job, so a row seen has its job
// seen, unless the job was deleted.
const sweepOrphans = `SELECT o.job_id FROM outhook_ordering o WHERE NOT EXISTS (
	SELECT 1 FROM river_job j WHERE j.id = o.job_id AND j.state NOT IN ` + finishedStates + `)`

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
	// inserts groups the inserts of concurrent calls (see insert).
	inserts insertGroup
}

// eventRowMin is the smallest batch whose event the PostgreSQL queue keeps
// once, in a row of outhook_event that its jobs refer to, rather than in
// each job: a batch of one carries it in its only job without another
// statement.
const eventRowMin = 2

// insert keeps the event of a batch of eventRowMin deliveries or more once,
// so that a Publish fanning out to many webhooks writes it once, and
// inserts the jobs in one statement (River's InsertManyTx). Outside the
// caller's transaction, the batches of concurrent calls are written
// together, their jobs in one statement (see insertGroup): a transaction
// per Publish costs PostgreSQL a commit, and three round trips, each.
func (q *pgQueue) insert(ctx context.Context, tx any, batch []deliveryArgs, ev *event.Event, opts *river.InsertOpts) (int64, error) {
	p := &pendingInsert{batch: batch, opts: opts}
	if ev != nil && len(batch) >= eventRowMin {
		p.row, p.eventID, p.event = true, storedKey(ev.ID()), batch[0].Event
	}
	var err error
	if t, _ := tx.(pgx.Tx); t != nil {
		err = q.insertMany(ctx, t, []*pendingInsert{p})
	} else {
		err = q.inserts.write(ctx, q, p)
	}
	if err != nil {
		return 0, err
	}
	return p.ref, nil
}

// hold waits for a connection of the pool to write a group with.
func (q *pgQueue) hold(wait context.Context) (func(context.Context, []*pendingInsert), error) {
	conn, err := q.pool.Acquire(wait)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, group []*pendingInsert) {
		w := groupConn{pool: q.pool, conn: conn}
		if len(group) > 0 {
			q.writeGroup(ctx, &w, group)
		}
		w.conn.Release()
	}, nil
}

// groupConn is the connection a group is written on, which writeGroup
// replaces once when it is lost.
type groupConn struct {
	pool     *pgxpool.Pool
	conn     *pgxpool.Conn
	replaced bool
}

// writeGroup inserts group on w's connection in one transaction and tells
// each caller how it went. A group the database refuses is written again
// in halves, so that a bad batch fails alone; the halves keep the group's
// order. A connection lost (a backend terminated, a reset) before the
// commit was sent is no batch's fault: what is left is written on another
// connection, once per group. One lost during the commit may have
// committed, so the group fails, as a lone call would, rather than be
// written twice. After the deadline, all that is left fails with it.
func (q *pgQueue) writeGroup(ctx context.Context, w *groupConn, group []*pendingInsert) {
	committing, err := q.writeTx(ctx, w.conn, group)
	if err != nil && committing && (ctx.Err() != nil || w.conn.Conn().IsClosed()) {
		// The commit was sent and its answer never came: the group may
		// be queued, and is neither written again nor said not queued.
		q.tell(group, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err))
		return
	}
	if err != nil && ctx.Err() == nil && w.conn.Conn().IsClosed() {
		if w.replaced {
			q.tell(group, err)
			return
		}
		fresh, aerr := w.pool.Acquire(ctx)
		if aerr != nil {
			q.tell(group, err)
			return
		}
		w.conn.Release()
		w.conn, w.replaced = fresh, true
		q.writeGroup(ctx, w, group)
		return
	}
	if err != nil && len(group) > 1 && ctx.Err() == nil && batchRefused(err) {
		half := len(group) / 2
		q.writeGroup(ctx, w, group[:half])
		q.writeGroup(ctx, w, group[half:])
		return
	}
	q.tell(group, err)
}

// batchRefused says whether err is the database refusing what a batch
// holds (its data, a constraint, a trigger's exception, a size limit),
// which another batch of its group need not share; any other error (the
// database read-only, out of room, shutting down) would fail every half
// too.
func batchRefused(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || len(pgErr.Code) < 2 {
		return false
	}
	switch pgErr.Code[:2] {
	case "22", "23", "54", "P0":
		return true
	}
	return false
}

// writeTx writes group in one transaction on conn; committing says the
// error, if any, came from the commit.
func (q *pgQueue) writeTx(ctx context.Context, conn *pgxpool.Conn, group []*pendingInsert) (committing bool, err error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return false, err
	}
	if err := q.insertMany(ctx, tx, group); err != nil {
		_ = tx.Rollback(ctx)
		return false, err
	}
	return true, tx.Commit(ctx)
}

// tell tells each caller of group how its write went: err, nil once
// committed.
func (*pgQueue) tell(group []*pendingInsert, err error) {
	for _, p := range group {
		p.finish(err)
	}
}

// keepEvent is the statement that keeps the event of a batch once.
const keepEvent = "INSERT INTO outhook_event (event_id, event) VALUES ($1, $2) RETURNING id"

// insertMany inserts in tx the jobs of group, in its order, after the
// rows of the events they refer to, and, when some are ordered, their
// rows in their lines, without a turn and without a lock: whatever the
// order in which concurrent transactions publish keys, none waits for
// another, and the caller's transaction cannot deadlock on Outhook's
// account. The turn is given when a worker fetches the job (see claim).
// The event rows and the jobs commit together, so a sweep that sees a
// row sees the jobs that refer to it. It sets each batch's ref, and may
// be called again with the same group after a rollback.
func (q *pgQueue) insertMany(ctx context.Context, tx pgx.Tx, group []*pendingInsert) error {
	jobs, rows := 0, 0
	for _, p := range group {
		jobs += len(p.batch)
		if p.row {
			rows++
		}
	}
	if err := q.keepEvents(ctx, tx, group, rows); err != nil {
		return fmt.Errorf("keeping the event: %w", err)
	}
	params, anyOrdered := insertParams(group[0].batch, group[0].opts), ordered(group[0].batch)
	if len(group) > 1 {
		params = slices.Grow(params[:len(params):len(params)], jobs-len(params))
		for _, p := range group[1:] {
			params = append(params, insertParams(p.batch, p.opts)...)
			anyOrdered = anyOrdered || ordered(p.batch)
		}
	}
	res, err := q.client.InsertManyTx(ctx, tx, params)
	if err != nil || !anyOrdered {
		return err
	}
	ids, hooks, keys, err := orderingRows(res)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO outhook_ordering (job_id, webhook_id, ordering_key)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])`, ids, hooks, keys)
	return err
}

// keepEvents inserts the event rows of the batches of group that keep
// theirs once (rows of them), in one round trip, and points their jobs
// at them.
func (q *pgQueue) keepEvents(ctx context.Context, tx pgx.Tx, group []*pendingInsert, rows int) error {
	var scan func(p *pendingInsert) error
	switch rows {
	case 0:
		return nil
	case 1: // a Publish's fan-out, most often: no batch to build
		scan = func(p *pendingInsert) error { return tx.QueryRow(ctx, keepEvent, p.eventID, p.event).Scan(&p.ref) }
	default:
		var b pgx.Batch
		for _, p := range group {
			if p.row {
				b.Queue(keepEvent, p.eventID, p.event)
			}
		}
		res := tx.SendBatch(ctx, &b)
		defer res.Close()
		scan = func(p *pendingInsert) error { return res.QueryRow().Scan(&p.ref) }
	}
	for _, p := range group {
		if !p.row {
			continue
		}
		if err := scan(p); err != nil {
			return err
		}
		for i := range p.batch {
			p.batch[i].Event, p.batch[i].EventRef = "", p.ref
		}
	}
	return nil
}

func (q *pgQueue) stopInserts(calls *sync.WaitGroup) {
	q.inserts.stop()
	calls.Wait()
}

func (q *pgQueue) event(ctx context.Context, ref int64) (string, error) {
	var ev string
	err := q.pool.QueryRow(ctx, "SELECT event FROM outhook_event WHERE id = $1", ref).Scan(&ev)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("event row %d: %w", ref, errEventGone)
	}
	return ev, err
}

// errEventGone is the error of a job whose event row is gone: erased, or
// swept once River had deleted the jobs that referred to it (a job River's
// tools brought back from a copy, say).
var errEventGone = errors.New("the event is gone (erased?)")

// ordered reports whether a delivery of batch has an ordering key.
func ordered(batch []deliveryArgs) bool {
	for i := range batch {
		if batch[i].OrderingKey != "" {
			return true
		}
	}
	return false
}

// insertParams makes River's insert parameters of a batch.
func insertParams(batch []deliveryArgs, opts *river.InsertOpts) []river.InsertManyParams {
	params := make([]river.InsertManyParams, len(batch))
	for i := range batch {
		params[i] = river.InsertManyParams{Args: batch[i], InsertOpts: opts}
	}
	return params
}

// orderingRows returns the rows of outhook_ordering for the ordered jobs
// among those inserted, read from each job's own arguments.
func orderingRows(res []*rivertype.JobInsertResult) (ids []int64, hooks, keys []string, err error) {
	for _, r := range res {
		var a struct {
			WebhookID   string `json:"webhook_id"`
			OrderingKey string `json:"ordering_key"`
		}
		if err := json.Unmarshal(r.Job.EncodedArgs, &a); err != nil {
			return nil, nil, nil, fmt.Errorf("reading the arguments of job %d: %w", r.Job.ID, err)
		}
		if a.OrderingKey != "" {
			ids, hooks, keys = append(ids, r.Job.ID), append(hooks, a.WebhookID), append(keys, a.OrderingKey)
		}
	}
	return ids, hooks, keys, nil
}

// pgTurn reads whether a job has its turn in its line and, if so, how long
// until the first unfinished job ahead of it is next due (NULL when none
// is ahead). A running job has no row when River's tools ended it, its row
// was swept, and they retried it.
const pgTurn = `SELECT me.turn IS NOT NULL, ahead.due
	FROM outhook_ordering me
	LEFT JOIN LATERAL (
		SELECT greatest(extract(epoch FROM j.scheduled_at - now()), 0)::float8 AS due
		FROM outhook_ordering o JOIN river_job j ON j.id = o.job_id
		WHERE o.webhook_id = me.webhook_id AND o.ordering_key = me.ordering_key
			AND (o.turn, o.job_id) < (me.turn, me.job_id) AND j.state NOT IN ` + finishedStates + `
		ORDER BY o.turn, o.job_id LIMIT 1
	) ahead ON true
	WHERE me.job_id = $1`

func (q *pgQueue) turn(ctx context.Context, job *river.Job[deliveryArgs]) (bool, time.Duration, error) {
	claimed, placed := false, false
	for {
		var hasTurn bool
		var due *float64
		err := q.pool.QueryRow(ctx, pgTurn, job.ID).Scan(&hasTurn, &due)
		switch {
		case errors.Is(err, pgx.ErrNoRows) && !placed:
			// Back in line, at the back, rather than alongside it.
			if _, err := q.pool.Exec(ctx, `INSERT INTO outhook_ordering (job_id, webhook_id, ordering_key) VALUES ($1, $2, $3)
				ON CONFLICT (job_id) DO NOTHING`, job.ID, job.Args.WebhookID, job.Args.OrderingKey); err != nil {
				return false, 0, err
			}
			placed = true
			continue
		case errors.Is(err, pgx.ErrNoRows):
			return true, 0, errors.New("ordering row is gone again")
		case err != nil:
			return false, 0, err
		case hasTurn && due == nil:
			return false, 0, nil
		case hasTurn:
			return true, time.Duration(*due * float64(time.Second)), nil
		case claimed: // cannot be: claim gives every committed row of the line a turn
			return true, 0, errors.New("ordering row has no turn after its line was claimed")
		}
		if err := q.claim(ctx, job); err != nil {
			return false, 0, err
		}
		claimed = true
	}
}

// claim gives every row of job's line that has no turn yet, and is
// committed, the same next turn; within it they go by job id. The lock on
// the line, in claim's own short transaction, makes claims of one line
// take turns, so that turns follow the order in which rows become
// visible: a row committed after a job of its line was fetched never goes
// ahead of it, and a publisher's rows, each committed before the next is
// inserted or all in one transaction, keep their order. The lock's key is
// a 64-bit hash of the line; two lines that collide only make their
// claims wait for each other, never the publishers.
func (q *pgQueue) claim(ctx context.Context, job *river.Job[deliveryArgs]) error {
	return pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lineLock(job.Args.WebhookID, job.Args.OrderingKey)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE outhook_ordering SET turn = (SELECT nextval('outhook_ordering_turn'))
			WHERE webhook_id = $1 AND ordering_key = $2 AND turn IS NULL`, job.Args.WebhookID, job.Args.OrderingKey)
		return err
	})
}

// lineLock is the key of the advisory lock of a line: FNV-1a of the
// webhook id and the key, 64 bits.
func lineLock(webhookID, key string) int64 {
	h := fnv.New64a()
	h.Write([]byte(webhookID))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return int64(h.Sum64())
}

// unfinishedStates are the states of a River job that will run (again).
const unfinishedStates = `('available', 'pending', 'retryable', 'running', 'scheduled')`

func (q *pgQueue) stats(ctx context.Context, queue string) (int, time.Time, error) {
	var n int
	var oldest *time.Time
	err := q.pool.QueryRow(ctx, `SELECT count(*), min(created_at) FROM river_job
		WHERE kind = $1 AND queue = $2 AND state IN `+unfinishedStates, JobKind, queue).Scan(&n, &oldest)
	if err != nil || oldest == nil {
		return n, time.Time{}, err
	}
	return n, *oldest, nil
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

// sweep skips the rows another transaction holds (a claim, a completion),
// so that it neither waits for nor deadlocks with them. An event row goes
// once no job refers to it, whatever the jobs' states, so that a job
// River's tools retry after it completed still finds its event; River's
// cleaner deletes finished jobs (completed ones after a day, by default).
// A row is committed with its jobs: the statement that sees it sees them.
func (q *pgQueue) sweep(ctx context.Context) error {
	if _, err := q.pool.Exec(ctx, "DELETE FROM outhook_ordering WHERE job_id IN ("+sweepOrphans+" FOR UPDATE OF o SKIP LOCKED)"); err != nil {
		return err
	}
	for {
		tag, err := q.pool.Exec(ctx, `DELETE FROM outhook_event WHERE id IN (
			SELECT e.id FROM outhook_event e
			WHERE NOT EXISTS (SELECT 1 FROM river_job j WHERE j.args @> jsonb_build_object('event_ref', e.id))
			LIMIT $1 FOR UPDATE SKIP LOCKED)`, pruneBatch)
		if err != nil || tag.RowsAffected() < pruneBatch {
			return err
		}
	}
}

// sqliteQueue is the queue on SQLite. SQLite has a single writer, so the
// line's job ids follow the order of commits without a lock.
type sqliteQueue struct {
	riverClient[*sql.Tx]
	db     *sql.DB
	driver *riversqlite.Driver
	// insertJob inserts a job (sqliteInsertJob), prepared once.
	insertJob *sql.Stmt
	// inserts groups the inserts of concurrent calls (see insert).
	inserts insertGroup
	// notified is when the queue was last told of an insert.
	notified insertNotes
	payload  string // of the notifications
}

// newSQLiteQueue prepares the queue's statements; db is not in use by a
// transaction, which would hold its one connection.
func newSQLiteQueue(ctx context.Context, db *sql.DB, client *river.Client[*sql.Tx], queue string, cooldown time.Duration) (*sqliteQueue, error) {
	stmt, err := db.PrepareContext(ctx, sqliteInsertJob)
	if err != nil {
		return nil, fmt.Errorf("riverengine: preparing the insert of jobs: %w", err)
	}
	return &sqliteQueue{riverClient: riverClient[*sql.Tx]{client}, db: db, driver: riversqlite.New(db), insertJob: stmt,
		notified: insertNotes{every: cooldown}, payload: fmt.Sprintf(`{"queue": %q}`, queue)}, nil
}

// sqliteInsertJob inserts a job on River's schema as River's batch insert
// does with the engine's options (no schedule, tags, metadata, priority
// or uniqueness): its arguments as jsonb, created and due now, available.
// Its parameters are the arguments' JSON, the kind, the attempt limit
// and the queue.
const sqliteInsertJob = `INSERT INTO river_job (args, created_at, kind, max_attempts, metadata, priority, queue, scheduled_at, state, tags)
	VALUES (jsonb(?1), datetime('now', 'subsec'), ?2, ?3, jsonb('{}'), 1, ?4, datetime('now', 'subsec'), 'available', jsonb('[]'))`

// insert writes the jobs itself, with a statement prepared once, rather
// than through River's batch insert, whose JSON round trip (the batch
// encoded into one document, unpacked by json_each, every column of the
// rows returned and decoded) and transaction per call cost the single
// connection two to four times the write itself. Outside a transaction,
// the batches of concurrent calls are written together (see insertGroup).
// As River does, it tells the queue's producers of inserts (River's
// insert notification, in the same transaction) at most once per fetch
// cooldown. The event stays in each job: SQLite's single writer makes the
// statements of a batch cheap beside a commit.
func (q *sqliteQueue) insert(ctx context.Context, tx any, batch []deliveryArgs, _ *event.Event, opts *river.InsertOpts) (int64, error) {
	p := &pendingInsert{batch: batch, opts: opts, jobs: make([]string, len(batch))}
	for i := range batch {
		b, err := json.Marshal(&batch[i])
		if err != nil {
			return 0, fmt.Errorf("encoding the arguments of delivery %s: %w", batch[i].DeliveryID, err)
		}
		p.jobs[i] = string(b)
	}
	if t, _ := tx.(*sql.Tx); t != nil {
		// The caller's transaction may be of another *sql.DB on the same
		// file (an application's own, with more connections), which a
		// statement prepared on db cannot run in.
		return 0, q.insertMany(ctx, t, p, q.notified.due(time.Now()), false)
	}
	return 0, q.inserts.write(ctx, q, p)
}

// hold waits for the database's one connection to write a group with,
// with the queue's notification when one is due.
func (q *sqliteQueue) hold(wait context.Context) (func(context.Context, []*pendingInsert), error) {
	conn, err := q.db.Conn(wait)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, group []*pendingInsert) {
		if len(group) > 0 {
			q.writeGroup(ctx, conn, group, q.notified.due(time.Now()))
		}
		_ = conn.Close() // back to the pool, for River and the adopter between groups
	}, nil
}

// stopInserts also closes the prepared insert once no call uses it.
func (q *sqliteQueue) stopInserts(calls *sync.WaitGroup) {
	q.inserts.stop()
	calls.Wait()
	_ = q.insertJob.Close()
}

// writeGroup inserts group on conn in one transaction, with the queue's
// notification when notify is set, and tells each caller how it went.
// Each batch of a group of several goes in a savepoint of its own: one
// SQLite refuses for what it holds (a constraint, a trigger's RAISE) is
// rolled back to it and fails alone, and the others commit. A group kept
// out by another connection's write lock is tried again whole, with
// backoff (see whileLocked): halves would not take the lock sooner. A
// refusal that ends the whole transaction (a trigger's RAISE(ROLLBACK))
// has the group written again without the batch refused. Any other error
// fails the group. After the deadline, all that is left fails with it.
func (q *sqliteQueue) writeGroup(ctx context.Context, conn *sql.Conn, group []*pendingInsert, notify bool) {
	// A batch refused stays so in the later tries, which leave it out.
	refused := make([]error, len(group))
	err := whileLocked(ctx, func() error {
		for {
			err := q.writeOnce(ctx, conn, group, notify, refused)
			if !errors.Is(err, errBatchEndedTx) {
				return err
			}
		}
	})
	for i, p := range group {
		if refused[i] != nil {
			p.finish(refused[i])
		} else {
			p.finish(err)
		}
	}
}

// errBatchEndedTx is writeOnce's answer when a batch's refusal ended the
// transaction, savepoints and all: nothing was written, and the batch is
// among those refused.
var errBatchEndedTx = errors.New("a refused batch ended the transaction")

// writeOnce is one try of writeGroup, leaving out the batches refused
// already: refused gets the error of each batch refused alone.
func (q *sqliteQueue) writeOnce(ctx context.Context, conn *sql.Conn, group []*pendingInsert, notify bool, refused []error) error {
	if p := group[0]; handInsertSQLite && len(group) == 1 && len(p.batch) == 1 && p.batch[0].OrderingKey == "" && !notify {
		// One statement is its own transaction. On conn, it is sent as
		// text: a connection of ReuseStatements prepares it once.
		_, err := conn.ExecContext(ctx, sqliteInsertJob, p.jobs[0], JobKind, p.opts.MaxAttempts, p.opts.Queue)
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // after Commit, a no-op
	alone := len(group) == 1
	written := false
	for i, p := range group {
		if refused[i] != nil {
			continue
		}
		if !alone {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT batch"); err != nil {
				return err
			}
		}
		err := q.insertMany(ctx, tx, p, false, true)
		if err != nil && !alone && sqliteRefused(err) {
			refused[i] = err
			// ROLLBACK TO fails too when the refusal ended the whole
			// transaction (a RAISE(ROLLBACK)): then nothing is written.
			if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO batch"); rerr != nil {
				return errBatchEndedTx
			}
		} else if err != nil {
			return err
		} else {
			written = true
		}
		if !alone {
			if _, err := tx.ExecContext(ctx, "RELEASE batch"); err != nil {
				return err
			}
		}
	}
	if notify && written {
		if err := q.notifyInserts(ctx, tx); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// notifyInserts tells the queue's producers, in tx, that jobs were
// inserted.
func (q *sqliteQueue) notifyInserts(ctx context.Context, tx *sql.Tx) error {
	return q.driver.UnwrapExecutor(tx).NotifyMany(ctx, &riverdriver.NotifyManyParams{Topic: riverInsertTopic, Payload: []string{q.payload}})
}

// insertMany inserts in tx the jobs of p, each ordered one's row in its
// line after it, and the queue's notification when notify is set. ours
// says tx is of q's db, where the insert is prepared; otherwise it is
// sent as text, which a connection of ReuseStatements prepares once.
func (q *sqliteQueue) insertMany(ctx context.Context, tx *sql.Tx, p *pendingInsert, notify, ours bool) error {
	if !handInsertSQLite {
		return q.insertWithRiver(ctx, tx, p.batch, p.opts)
	}
	insert := func(job string) (sql.Result, error) {
		return tx.ExecContext(ctx, sqliteInsertJob, job, JobKind, p.opts.MaxAttempts, p.opts.Queue)
	}
	if ours {
		stmt := tx.StmtContext(ctx, q.insertJob)
		insert = func(job string) (sql.Result, error) {
			return stmt.ExecContext(ctx, job, JobKind, p.opts.MaxAttempts, p.opts.Queue)
		}
	}
	batch := p.batch
	for i := range batch {
		res, err := insert(p.jobs[i])
		if err != nil {
			return err
		}
		if batch[i].OrderingKey == "" {
			continue
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO outhook_ordering (job_id, webhook_id, ordering_key) VALUES (?, ?, ?)",
			id, batch[i].WebhookID, batch[i].OrderingKey); err != nil {
			return err
		}
	}
	if !notify {
		return nil
	}
	return q.notifyInserts(ctx, tx)
}

// insertWithRiver inserts the batch through River's own insert, which
// notifies the queue itself.
func (q *sqliteQueue) insertWithRiver(ctx context.Context, tx *sql.Tx, batch []deliveryArgs, opts *river.InsertOpts) error {
	res, err := q.client.InsertManyTx(ctx, tx, insertParams(batch, opts))
	if err != nil || !ordered(batch) {
		return err
	}
	ids, hooks, keys, err := orderingRows(res)
	if err != nil {
		return err
	}
	for i := range ids {
		if _, err := tx.ExecContext(ctx, "INSERT INTO outhook_ordering (job_id, webhook_id, ordering_key) VALUES (?, ?, ?)",
			ids[i], hooks[i], keys[i]); err != nil {
			return err
		}
	}
	return nil
}

// riverSchemaVersion is the version of River's last SQLite migration in
// the River whose job rows sqliteInsertJob writes (TestSQLiteJobsAreRiversOwn
// compares them with River's own). With a River whose migrations go
// further, and whose rows may differ, the engine inserts through River.
const riverSchemaVersion = 8

// handInsertSQLite says whether the River built in migrates SQLite to
// riverSchemaVersion and no further.
var handInsertSQLite = riverSQLiteSchema() == riverSchemaVersion

// riverSQLiteSchema returns the version of the last SQLite migration of
// the River built in.
func riverSQLiteSchema() int {
	m, err := rivermigrate.New[*sql.Tx](riversqlite.New(nil), nil)
	if err != nil {
		return 0
	}
	all := m.AllVersions()
	if len(all) == 0 {
		return 0
	}
	return all[len(all)-1].Version
}

// insertNotes spaces the notifications of inserts as River's insert does:
// one per fetch cooldown, as a producer fetches no more often.
type insertNotes struct {
	every time.Duration
	mu    sync.Mutex
	last  time.Time
}

// due reports whether an insert at now notifies, and if so counts it.
func (n *insertNotes) due(now time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if now.Sub(n.last) < n.every {
		return false
	}
	n.last = now
	return true
}

// event: the SQLite queue writes no event rows.
func (q *sqliteQueue) event(_ context.Context, ref int64) (string, error) {
	return "", fmt.Errorf("event row %d: %w", ref, errEventGone)
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

func (q *sqliteQueue) stats(ctx context.Context, queue string) (int, time.Time, error) {
	var n int
	var oldest sql.NullFloat64 // unix seconds
	err := q.db.QueryRowContext(ctx, `SELECT count(*), (julianday(min(created_at)) - 2440587.5) * 86400.0 FROM river_job
		WHERE kind = ? AND queue = ? AND state IN `+unfinishedStates, JobKind, queue).Scan(&n, &oldest)
	if err != nil || !oldest.Valid {
		return n, time.Time{}, err
	}
	return n, time.UnixMicro(int64(oldest.Float64 * 1e6)), nil
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

func (q *sqliteQueue) sweep(ctx context.Context) error {
	_, err := q.db.ExecContext(ctx, "DELETE FROM outhook_ordering WHERE job_id IN ("+sweepOrphans+")")
	return err
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
