package riverengine_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/stretchr/testify/require"
	"modernc.org/sqlite"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// writeCounter is a SQLite connector that counts the write transactions
// that insert jobs: those begun, and the INSERTs into river_job run
// outside one (each its own transaction).
type writeCounter struct {
	driver.Connector
	begun, alone atomic.Int64
}

func (c *writeCounter) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &jobWriteConn{Conn: conn, c: c}, nil
}

type jobWriteConn struct {
	driver.Conn
	c    *writeCounter
	inTx bool
}

func (cc *jobWriteConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := cc.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	cc.c.begun.Add(1)
	cc.inTx = true
	return &jobWriteTx{Tx: tx, conn: cc}, nil
}

func (cc *jobWriteConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := cc.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil || !strings.HasPrefix(strings.TrimSpace(query), "INSERT INTO river_job") {
		return st, err
	}
	return &jobWriteStmt{Stmt: st, conn: cc}, nil
}

func (cc *jobWriteConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if !cc.inTx && strings.HasPrefix(strings.TrimSpace(query), "INSERT INTO river_job") {
		cc.c.alone.Add(1)
	}
	return cc.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

func (cc *jobWriteConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if !cc.inTx && strings.HasPrefix(strings.TrimSpace(query), "INSERT INTO river_job") {
		cc.c.alone.Add(1)
	}
	return cc.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

type jobWriteTx struct {
	driver.Tx
	conn *jobWriteConn
}

func (t *jobWriteTx) Commit() error   { t.conn.inTx = false; return t.Tx.Commit() }
func (t *jobWriteTx) Rollback() error { t.conn.inTx = false; return t.Tx.Rollback() }

type jobWriteStmt struct {
	driver.Stmt
	conn *jobWriteConn
}

func (s *jobWriteStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if !s.conn.inTx {
		s.conn.c.alone.Add(1)
	}
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *jobWriteStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if !s.conn.inTx {
		s.conn.c.alone.Add(1)
	}
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

// idleRunner is the Runner of a publish-only engine, which runs nothing.
type idleRunner struct{}

func (idleRunner) Run(context.Context, *engine.Delivery) engine.Result { return engine.Result{} }
func (idleRunner) Abandon(*engine.Delivery, error)                     {}

// Deliveries published at once on SQLite go in groups, far fewer write
// transactions than Publish calls; a batch the database refuses (here a
// trigger refusing one webhook's jobs) fails alone, with an
// *EnqueueError, and the others of its group are queued.
func TestSQLitePublishesAreWrittenTogether(t *testing.T) {
	ctx := context.Background()
	base, err := sqlite.NewConnector(sqliteDSN(filepath.Join(t.TempDir(), "outhook.db")))
	require.NoError(t, err)
	count := &writeCounter{Connector: base}
	db := sql.OpenDB(riverengine.ReuseStatements(count))
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, riverengine.MigrateSQLite(ctx, db))
	_, err = db.ExecContext(ctx, `CREATE TRIGGER refuse_bad BEFORE INSERT ON river_job
		WHEN json_extract(json(NEW.args), '$.webhook_id') = 'bad' BEGIN SELECT RAISE(ABORT, 'refused'); END`)
	require.NoError(t, err)
	eng, err := riverengine.NewSQLite(ctx, db, riverengine.WithPublishOnly())
	require.NoError(t, err)
	require.NoError(t, eng.Start(idleRunner{}))
	t.Cleanup(func() { require.NoError(t, eng.Close(ctx)) })
	begun, alone := count.begun.Load(), count.alone.Load()

	const n = 300
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			hook := "h"
			if i == 150 {
				hook = "bad"
			}
			d := &engine.Delivery{ID: fmt.Sprintf("d-%d", i), WebhookID: hook, Event: newEvent(t, i), Created: time.Now()}
			errs[i] = eng.Enqueue(ctx, nil, []*engine.Delivery{d})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if i == 150 {
			var ee *riverengine.EnqueueError
			require.ErrorAs(t, err, &ee, "the refused delivery fails")
			require.Equal(t, "d-150", ee.DeliveryID)
			continue
		}
		require.NoError(t, err, "delivery %d", i)
	}
	var jobs int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM river_job WHERE kind = ?", riverengine.JobKind).Scan(&jobs))
	require.Equal(t, n-1, jobs)
	writes := count.begun.Load() - begun + count.alone.Load() - alone
	t.Logf("%d deliveries in %d write transactions", n, writes)
	require.Less(t, writes, int64(n/2), "each Publish written in a transaction of its own")
}

// riverArgs are the engine's job arguments as an adopter's River client
// sees them.
type riverArgs struct {
	DeliveryID string    `json:"delivery_id"`
	WebhookID  string    `json:"webhook_id"`
	Event      string    `json:"event"`
	Created    time.Time `json:"created"`
}

func (riverArgs) Kind() string { return riverengine.JobKind }

// The engine's jobs on SQLite are the rows River's own insert makes with
// the engine's options: the same columns, with the same encodings; but
// for the nonce River's SQLite driver puts in every job's metadata to
// tell a job it inserted from a unique one it found (the engine's jobs
// are not unique).
func TestSQLiteJobsAreRiversOwn(t *testing.T) {
	ctx := context.Background()
	db, eng := newSQLiteEngine(t, riverengine.WithPublishOnly())
	require.NoError(t, eng.Start(idleRunner{}))
	t.Cleanup(func() { require.NoError(t, eng.Close(ctx)) })
	created := time.Now()
	require.NoError(t, eng.Enqueue(ctx, nil, []*engine.Delivery{{ID: "e", WebhookID: "h", Event: newEvent(t, 1), Created: created}}))
	client, err := river.NewClient(riversqlite.New(db), &river.Config{})
	require.NoError(t, err)
	_, err = client.InsertMany(ctx, []river.InsertManyParams{{
		Args:       riverArgs{DeliveryID: "r", WebhookID: "h", Event: string(newEvent(t, 1).JSON()), Created: created},
		InsertOpts: &river.InsertOpts{Queue: riverengine.DefaultQueue, MaxAttempts: 32767}}})
	require.NoError(t, err)
	const cols = `typeof(args), json(args), attempt, attempted_at, attempted_by, errors, finalized_at, kind, max_attempts,
		typeof(metadata), json_remove(json(metadata), '$."river:unique_nonce"'), priority, queue, state, typeof(tags), json(tags), unique_key, unique_states,
		length(created_at), scheduled_at = created_at`
	row := func(id string) []any {
		rows, err := db.QueryContext(ctx, "SELECT "+cols+" FROM river_job WHERE json_extract(json(args), '$.delivery_id') = ?", id)
		require.NoError(t, err)
		defer rows.Close()
		require.True(t, rows.Next(), id)
		names, err := rows.Columns()
		require.NoError(t, err)
		vals := make([]any, len(names))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		return vals
	}
	engineRow, riverRow := row("e"), row("r")
	require.Contains(t, engineRow[1], `"delivery_id":"e"`)
	engineRow[1], riverRow[1] = nil, nil // the arguments differ in the delivery id
	require.Equal(t, riverRow, engineRow)
}

// River is told of the engine's inserts on SQLite: an idle engine that
// polls once a minute delivers a Publish at once.
func TestSQLiteInsertWakesTheQueue(t *testing.T) {
	ctx := context.Background()
	_, eng := newSQLiteEngine(t, riverengine.WithPollInterval(time.Minute))
	rc := newReceiver(t, 0, nil)
	got := make(chan struct{}, 10)
	d, err := webhook.New(dispatcherOptions(eng, webhook.WithInvocationHook(func(inv webhook.Invocation) {
		if inv.Outcome == webhook.Delivered {
			got <- struct{}{}
		}
	}))...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	_, err = d.Add(hook("h", rc.URL))
	require.NoError(t, err)
	time.Sleep(time.Second) // past River's first fetches at start, so that only a notification fetches
	_, err = d.Publish(ctx, newEvent(t, 1))
	require.NoError(t, err)
	select {
	case <-got:
	case <-time.After(20 * time.Second):
		t.Fatal("the delivery waited for the poll: River was not told of the insert")
	}
}

// An Enqueue on SQLite whose ctx ends while its write waits for the
// connection (held here by an adopter's transaction) reports what
// happened: an error and no job, or no error and its job, never an error
// for a job queued.
func TestSQLiteEnqueueCutShortSaysWhatItDid(t *testing.T) {
	ctx := context.Background()
	db, eng := newSQLiteEngine(t, riverengine.WithPublishOnly())
	require.NoError(t, eng.Start(idleRunner{}))
	t.Cleanup(func() { require.NoError(t, eng.Close(ctx)) })
	for i := range 5 {
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		cctx, cancel := context.WithCancel(ctx)
		id := fmt.Sprintf("d-%d", i)
		done := make(chan error, 1)
		go func() {
			done <- eng.Enqueue(cctx, nil, []*engine.Delivery{{ID: id, WebhookID: "h", Event: newEvent(t, i), Created: time.Now()}})
		}()
		cancel()
		require.NoError(t, tx.Commit())
		err = <-done
		var n int
		require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM river_job WHERE json_extract(json(args), '$.delivery_id') = ?", id).Scan(&n))
		if err != nil {
			require.ErrorIs(t, err, context.Canceled)
			require.Zero(t, n, "%s: an error, and its job queued", id)
		} else {
			require.Equal(t, 1, n, "%s: no error, and no job", id)
		}
	}
}

// An Enqueue on SQLite whose ctx has ended returns its error and queues
// nothing.
func TestSQLiteEnqueueAfterCtxEnds(t *testing.T) {
	ctx := context.Background()
	db, eng := newSQLiteEngine(t, riverengine.WithPublishOnly())
	require.NoError(t, eng.Start(idleRunner{}))
	t.Cleanup(func() { require.NoError(t, eng.Close(ctx)) })
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err := eng.Enqueue(cctx, nil, []*engine.Delivery{{ID: "d", WebhookID: "h", Event: newEvent(t, 1), Created: time.Now()}})
	require.ErrorIs(t, err, context.Canceled)
	var n int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM river_job").Scan(&n))
	require.Zero(t, n)
}

// A Publish on SQLite waits for the connection as long as its ctx allows,
// however long an adopter's transaction holds it: the engine's write does
// not give up on its own clock while its caller still waits.
func TestSQLiteEnqueueOutwaitsALongTransaction(t *testing.T) {
	ctx := context.Background()
	db, eng := newSQLiteEngine(t, riverengine.WithPublishOnly())
	require.NoError(t, eng.Start(idleRunner{}))
	t.Cleanup(func() { require.NoError(t, eng.Close(ctx)) })
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		done <- eng.Enqueue(ctx, nil, []*engine.Delivery{{ID: "d", WebhookID: "h", Event: newEvent(t, 1), Created: time.Now()}})
	}()
	// Longer than any bound the engine puts on a write of its own.
	select {
	case err := <-done:
		t.Fatalf("Enqueue returned (%v) while the transaction held the connection", err)
	case <-time.After(6 * time.Second):
	}
	require.NoError(t, tx.Commit())
	require.NoError(t, <-done, "the caller's ctx never ended")
	var n int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM river_job").Scan(&n))
	require.Equal(t, 1, n)
}

// A Publish on SQLite whose ctx ends while an adopter's transaction holds
// the connection returns then, with its ctx's error and no job, rather
// than waiting for the transaction.
func TestSQLiteEnqueueLeavesAtItsDeadline(t *testing.T) {
	ctx := context.Background()
	db, eng := newSQLiteEngine(t, riverengine.WithPublishOnly())
	require.NoError(t, eng.Start(idleRunner{}))
	t.Cleanup(func() { require.NoError(t, eng.Close(ctx)) })
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	const deadline = 200 * time.Millisecond
	cctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	start := time.Now()
	err = eng.Enqueue(cctx, nil, []*engine.Delivery{{ID: "d", WebhookID: "h", Event: newEvent(t, 1), Created: time.Now()}})
	took := time.Since(start)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, took, deadline+time.Second, "Enqueue outlived its ctx by far")
	require.NoError(t, tx.Commit())
	var n int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM river_job").Scan(&n))
	require.Zero(t, n, "an error, and a job queued")
}

// The SQLite engine writes River's job rows itself only with the River it
// was checked against (TestSQLiteJobsAreRiversOwn). When River is
// upgraded, check the rows again and update riverSchemaVersion.
func TestSQLiteHandInsertIsForThisRiver(t *testing.T) {
	require.True(t, riverengine.HandInsertSQLite(), "this build's River migrates SQLite past the schema the engine's insert was checked against")
}

// Built with another River, the SQLite engine inserts through River's own
// insert: ordered and unordered deliveries, in and out of a transaction,
// arrive once each.
func TestSQLiteWithAnotherRiverInsertsThroughRiver(t *testing.T) {
	riverengine.InsertThroughRiver(t)
	ctx := context.Background()
	db, eng := newSQLiteEngine(t)
	rc := newReceiver(t, 0, nil)
	var delivered atomic.Int64
	d, err := webhook.New(dispatcherOptions(eng, webhook.WithInvocationHook(func(inv webhook.Invocation) {
		if inv.Outcome == webhook.Delivered {
			delivered.Add(1)
		}
	}))...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	_, err = d.Add(hook("plain", rc.URL))
	require.NoError(t, err)
	addOrdered(t, d, rc.URL)
	const n = 20
	for i := range n {
		ev, err := event.Parse(fmt.Appendf(nil, `{"event_type":%q,"event_time":1773134100,"event_id":"e-%d","data":{"key":"k%d"}}`, testEvent, i, i%3))
		require.NoError(t, err)
		if i%2 == 0 {
			_, err = d.Publish(ctx, ev)
			require.NoError(t, err)
			continue
		}
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = d.PublishTx(ctx, tx, ev)
		require.NoError(t, err)
		require.NoError(t, tx.Commit())
	}
	require.Eventually(t, func() bool { return delivered.Load() >= 2*n }, 30*time.Second, 10*time.Millisecond)
	distinct, total := rc.pairs()
	require.Equal(t, 2*n, distinct)
	require.Equal(t, 2*n, total, "no delivery twice")
}
