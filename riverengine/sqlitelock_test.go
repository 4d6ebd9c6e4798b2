package riverengine_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"modernc.org/sqlite"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// openShortBusy opens the SQLite file at path as the README says, but
// with a busy timeout of 100 ms, so that a write lock held longer than
// that fails statements with SQLITE_BUSY.
func openShortBusy(t *testing.T, path string) *sql.DB {
	t.Helper()
	c, err := sqlite.NewConnector("file:" + path + "?_pragma=busy_timeout(100)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	require.NoError(t, err)
	db := sql.OpenDB(riverengine.ReuseStatements(c))
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// holdWriteLock has another *sql.DB on the file take SQLite's write lock
// (BEGIN IMMEDIATE) and keep it for d; the returned channel is closed
// once it let it go.
func holdWriteLock(t *testing.T, path string, d time.Duration) <-chan struct{} {
	t.Helper()
	other := openSQLite(t, path)
	conn, err := other.Conn(context.Background())
	require.NoError(t, err)
	_, err = conn.ExecContext(context.Background(), "BEGIN IMMEDIATE")
	require.NoError(t, err)
	released := make(chan struct{})
	go func() {
		defer close(released)
		time.Sleep(d)
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		_ = conn.Close()
	}()
	t.Cleanup(func() { <-released })
	return released
}

func testInvocation(i int) webhook.Invocation {
	return webhook.Invocation{ID: fmt.Sprint("inv-", i), DeliveryID: fmt.Sprint("d-", i), WebhookID: "hook", Outcome: webhook.Delivered,
		Attempt: 1, StartedAt: time.Now()}
}

// Records written while another process holds SQLite's write lock longer
// than the busy timeout wait for it, and none is lost; with the lock held
// past the store's bound, Record fails with ErrDatabaseLocked, which the
// caller can report, and writes again once the lock is let go.
func TestSQLiteRecordsOutwaitAWriteLock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "outhook.db")
	db := openShortBusy(t, path)
	require.NoError(t, riverengine.MigrateSQLite(ctx, db))
	eng, err := riverengine.NewSQLite(ctx, db, riverengine.WithPublishOnly())
	require.NoError(t, err)
	store := eng.Store()

	holdWriteLock(t, path, 1500*time.Millisecond)
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = store.Record(ctx, testInvocation(i)) })
		time.Sleep(10 * time.Millisecond) // several groups
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "record %d", i)
	}
	var rows int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM outhook_invocation").Scan(&rows))
	require.Equal(t, n, rows)

	riverengine.SetLockWait(t, 400*time.Millisecond)
	released := holdWriteLock(t, path, 1500*time.Millisecond)
	err = store.Record(ctx, testInvocation(n))
	var se *riverengine.StoreError
	require.ErrorAs(t, err, &se)
	require.ErrorIs(t, err, riverengine.ErrDatabaseLocked)
	<-released
	require.NoError(t, store.Record(ctx, testInvocation(n+1)))
}

// Publishes while another process holds SQLite's write lock longer than
// the busy timeout wait for it (within the group's bound) and are all
// queued, each group tried again whole rather than in halves, which would
// not take the lock any sooner.
func TestSQLitePublishesOutwaitAWriteLock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "outhook.db")
	db := openShortBusy(t, path)
	require.NoError(t, riverengine.MigrateSQLite(ctx, db))
	eng, err := riverengine.NewSQLite(ctx, db, riverengine.WithPublishOnly())
	require.NoError(t, err)
	require.NoError(t, eng.Start(idleRunner{}))
	t.Cleanup(func() { require.NoError(t, eng.Close(ctx)) })

	holdWriteLock(t, path, time.Second)
	const n = 40
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = eng.Enqueue(ctx, nil, []*engine.Delivery{{ID: fmt.Sprint("d-", i), WebhookID: "h", Event: newEvent(t, i), Created: time.Now()}})
		})
		time.Sleep(5 * time.Millisecond)
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "delivery %d", i)
	}
	var jobs int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM river_job WHERE kind = ?", riverengine.JobKind).Scan(&jobs))
	require.Equal(t, n, jobs)
}

// A group SQLite refuses for a reason none of its batches has (here the
// database is read-only) fails whole, at one try per group, rather than
// being written again in halves down to single batches (about two tries
// per batch).
func TestSQLiteGroupRefusedWholeIsNotHalved(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "outhook.db")
	require.NoError(t, riverengine.MigrateSQLite(ctx, openSQLite(t, path)))
	base, err := sqlite.NewConnector("file:" + path + "?mode=ro&_pragma=busy_timeout(1000)")
	require.NoError(t, err)
	count := &writeCounter{Connector: base}
	db := sql.OpenDB(riverengine.ReuseStatements(count))
	t.Cleanup(func() { _ = db.Close() })
	eng, err := riverengine.NewSQLite(ctx, db, riverengine.WithPublishOnly())
	require.NoError(t, err)
	require.NoError(t, eng.Start(idleRunner{}))
	t.Cleanup(func() { require.NoError(t, eng.Close(ctx)) })
	begun, alone := count.begun.Load(), count.alone.Load()

	const n = 64
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = eng.Enqueue(ctx, nil, []*engine.Delivery{{ID: fmt.Sprint("d-", i), WebhookID: "h", Event: newEvent(t, i), Created: time.Now()}})
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		var ee *riverengine.EnqueueError
		require.ErrorAs(t, err, &ee)
	}
	tries := count.begun.Load() - begun + count.alone.Load() - alone
	t.Logf("%d publishes refused in %d tries", n, tries)
	require.Less(t, tries, int64(n), "a group refused whole was written again in halves")
}

// A record still waiting for another connection's write lock when the
// engine closes does not outlive Close, writing to a database its owner
// may close next: Close waits for it until its ctx ends (and for at least
// 5 s), then gives it up, and the engine's log says how many records were
// lost. (A working
// engine's Close waits for the lock anyway, River writing the jobs'
// states; a publish-only one, recording the events that matched no
// webhook, does not.)
func TestSQLiteRecordWaitEndsWithClose(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "outhook.db")
	db := openShortBusy(t, path)
	require.NoError(t, riverengine.MigrateSQLite(ctx, db))
	var logs syncBuffer
	eng, err := riverengine.NewSQLite(ctx, db, riverengine.WithPublishOnly(),
		riverengine.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	require.NoError(t, err)
	require.NoError(t, eng.Start(idleRunner{}))

	holdWriteLock(t, path, 12*time.Second)
	rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, eng.Store().Record(rctx, testInvocation(1)), context.DeadlineExceeded)

	cctx, cancelClose := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelClose()
	start := time.Now()
	_ = eng.Close(cctx)
	require.Less(t, time.Since(start), 9*time.Second, "Close waited out the lock")
	// The writer is gone at once (it returns as Close learns it ended),
	// while the lock is still held.
	require.Eventually(t, func() bool { return len(recordWriters()) == 0 }, time.Second, 10*time.Millisecond,
		"a record write outlived Close")
	require.Contains(t, logs.String(), "records=1")
}

// recordWriters returns the stacks of the goroutines writing records.
func recordWriters() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, s := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(s, "recordGroup).flush") {
			out = append(out, s)
		}
	}
	return out
}

// A batch refused by a trigger that ends the whole transaction
// (RAISE(ROLLBACK)), so that its savepoint is gone too, fails alone,
// with an *EnqueueError naming it: the other batches of its group are
// written again without it, each once, and their publishers told so.
func TestSQLiteBatchRefusedWithItsTransactionFailsAlone(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t, filepath.Join(t.TempDir(), "outhook.db"))
	require.NoError(t, riverengine.MigrateSQLite(ctx, db))
	_, err := db.ExecContext(ctx, `CREATE TRIGGER refuse_bad BEFORE INSERT ON river_job
		WHEN json_extract(json(NEW.args), '$.webhook_id') = 'bad' BEGIN SELECT RAISE(ROLLBACK, 'refused'); END`)
	require.NoError(t, err)
	eng, err := riverengine.NewSQLite(ctx, db, riverengine.WithPublishOnly())
	require.NoError(t, err)
	require.NoError(t, eng.Start(idleRunner{}))
	t.Cleanup(func() { require.NoError(t, eng.Close(ctx)) })

	const n = 200
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			hook := "h"
			if i%50 == 25 {
				hook = "bad"
			}
			d := &engine.Delivery{ID: fmt.Sprintf("d-%d", i), WebhookID: hook, Event: newEvent(t, i), Created: time.Now()}
			errs[i] = eng.Enqueue(ctx, nil, []*engine.Delivery{d})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if i%50 == 25 {
			var ee *riverengine.EnqueueError
			require.ErrorAs(t, err, &ee, "the refused delivery fails")
			require.Equal(t, fmt.Sprintf("d-%d", i), ee.DeliveryID)
			continue
		}
		require.NoError(t, err, "delivery %d", i)
	}
	var jobs, distinct int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT json_extract(args, '$.delivery_id'))
		FROM river_job WHERE kind = ?`, riverengine.JobKind).Scan(&jobs, &distinct))
	require.Equal(t, n-4, jobs)
	require.Equal(t, n-4, distinct)
}
