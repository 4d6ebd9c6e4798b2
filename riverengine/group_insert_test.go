package riverengine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/riverengine"
)

// Deliveries published at once on PostgreSQL go in groups, far fewer
// transactions than Publish calls: batches of one delivery, batches
// fanning out to three webhooks (their event kept once, in a row of
// outhook_event), ordered ones. A batch the database refuses (a trigger
// refusing one webhook's jobs) fails alone with an *EnqueueError; every
// other call returns once its own jobs are committed, each fan-out's jobs
// referring to its own event row, each ordered job in its line.
func TestPostgresPublishesAreWrittenTogether(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	pool, eng := newPostgresEngine(t, url, riverengine.WithPublishOnly())
	_, err := pool.Exec(ctx, `CREATE FUNCTION refuse_bad() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.args->>'webhook_id' = 'bad' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$;
		CREATE TRIGGER refuse_bad BEFORE INSERT ON river_job FOR EACH ROW EXECUTE FUNCTION refuse_bad()`)
	require.NoError(t, err)
	require.NoError(t, eng.Start(idleRunner{}))
	t.Cleanup(func() { require.NoError(t, eng.Close(ctx)) })

	const n, bad = 300, 150
	batches := make([][]*engine.Delivery, n)
	jobs, fanOuts, ordered := 0, 0, 0
	for i := range batches {
		ev := newEvent(t, i)
		d := func(hook string) *engine.Delivery {
			return &engine.Delivery{ID: fmt.Sprintf("d-%d-%s", i, hook), WebhookID: hook, Event: ev, Created: time.Now()}
		}
		switch {
		case i == bad:
			batches[i] = []*engine.Delivery{d("bad")}
		case i%10 == 3:
			batches[i] = []*engine.Delivery{d("h1"), d("h2"), d("h3")}
			fanOuts++
		case i%10 == 7:
			o := d("h")
			o.OrderingKey = fmt.Sprint("key-", i%3)
			batches[i] = []*engine.Delivery{o}
			ordered++
		default:
			batches[i] = []*engine.Delivery{d("h")}
		}
		if i != bad {
			jobs += len(batches[i])
		}
	}
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = eng.Enqueue(ctx, nil, batches[i])
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if i == bad {
			var ee *riverengine.EnqueueError
			require.ErrorAs(t, err, &ee, "the refused delivery fails")
			require.Equal(t, batches[bad][0].ID, ee.DeliveryID)
			continue
		}
		require.NoError(t, err, "batch %d", i)
	}

	var got, txs, events, orphans, lines int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT xmin::text) FROM river_job WHERE kind = $1`,
		riverengine.JobKind).Scan(&got, &txs))
	require.Equal(t, jobs, got)
	t.Logf("%d Publish calls in %d transactions", n, txs)
	require.Less(t, txs, n/2, "each Publish written in a transaction of its own")
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM outhook_event`).Scan(&events))
	require.Equal(t, fanOuts, events, "one event row per fan-out")
	// Each fan-out's three jobs, and only they, refer to a row that keeps
	// their own event (delivery d-<i>-h, event e-<i>).
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM river_job j
		LEFT JOIN outhook_event e ON e.id = (j.args->>'event_ref')::bigint
		WHERE j.args ? 'event_ref' AND (e.id IS NULL
			OR e.event::jsonb->>'event_id' <> 'e-' || split_part(j.args->>'delivery_id', '-', 2))`).Scan(&orphans))
	require.Zero(t, orphans, "a job refers to no event row, or to another's")
	var shared int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT args->>'event_ref' FROM river_job
		WHERE args ? 'event_ref' GROUP BY 1 HAVING count(*) <> 3) x`).Scan(&shared))
	require.Zero(t, shared, "an event row not shared by exactly its batch's jobs")
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM outhook_ordering`).Scan(&lines))
	require.Equal(t, ordered, lines, "an ordered job out of its line")
}

// A Publish on PostgreSQL waits for a connection of the pool, which the
// adopter's work may hold, as long as its ctx allows; when its ctx ends
// first it returns ctx's error and queues nothing.
func TestPostgresEnqueueLeavesAtItsDeadline(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	pool, eng := newPostgresEngine(t, url, riverengine.WithPublishOnly())
	require.NoError(t, eng.Start(idleRunner{}))
	t.Cleanup(func() { require.NoError(t, eng.Close(ctx)) })
	var held []interface{ Release() }
	for range pool.Config().MaxConns {
		c, err := pool.Acquire(ctx)
		require.NoError(t, err)
		held = append(held, c)
	}
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	err := eng.Enqueue(cctx, nil, []*engine.Delivery{{ID: "d-1", WebhookID: "h", Event: newEvent(t, 1), Created: time.Now()}})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	for _, c := range held {
		c.Release()
	}
	var n int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM river_job").Scan(&n))
	require.Zero(t, n, "a job queued for a call that failed")
	require.NoError(t, eng.Enqueue(ctx, nil, []*engine.Delivery{{ID: "d-2", WebhookID: "h", Event: newEvent(t, 2), Created: time.Now()}}))
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM river_job").Scan(&n))
	require.Equal(t, 1, n)
}

// Close on SQLite while Publish calls wait for the connection (held by an
// adopter's transaction) ends them with engine.ErrClosed, and nothing is
// written after it returns: the jobs there when Close returned are all
// there are once every call has returned, and each call that returned nil
// has its job among them.
func TestSQLiteCloseWritesNothingAfterIt(t *testing.T) {
	ctx := context.Background()
	db, eng := newSQLiteEngine(t, riverengine.WithPublishOnly())
	require.NoError(t, eng.Start(idleRunner{}))
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	waits := db.Stats().WaitCount
	const n = 20
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- eng.Enqueue(ctx, nil, []*engine.Delivery{{ID: fmt.Sprint("d-", i), WebhookID: "h", Event: newEvent(t, i), Created: time.Now()}})
		}()
	}
	eventually(t, 10*time.Second, "a write waiting for the connection", func() bool { return db.Stats().WaitCount > waits })
	require.NoError(t, eng.Close(ctx))
	var atClose int
	require.NoError(t, tx.QueryRowContext(ctx, "SELECT count(*) FROM river_job").Scan(&atClose))
	require.NoError(t, tx.Rollback())
	queued := 0
	for range n {
		if err := <-errs; err != nil {
			require.ErrorIs(t, err, engine.ErrClosed)
		} else {
			queued++
		}
	}
	var after int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM river_job").Scan(&after))
	require.Equal(t, atClose, after, "jobs written after Close returned")
	require.Equal(t, queued, after, "a Publish returned nil without its job")
	require.ErrorIs(t, eng.Enqueue(ctx, nil, []*engine.Delivery{{ID: "late", WebhookID: "h", Event: newEvent(t, 99), Created: time.Now()}}), engine.ErrClosed)
}

// A group's connection lost before its commit (here its backend
// terminated while a batch's insert is under way) fails none of the
// batches written together: the group is written again on another
// connection, each job once.
func TestPostgresGroupOutlivesItsConnection(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	pool, eng := newPostgresEngine(t, url, riverengine.WithPublishOnly())
	// Jobs of webhook "first" take 0.3 s to insert, those of "slow" 1 s.
	_, err := pool.Exec(ctx, `CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN CASE NEW.args->>'webhook_id' WHEN 'first' THEN PERFORM pg_sleep(0.3);
			WHEN 'slow' THEN PERFORM pg_sleep(1); ELSE END CASE; RETURN NEW; END $$;
		CREATE TRIGGER slow BEFORE INSERT ON river_job FOR EACH ROW EXECUTE FUNCTION slow()`)
	require.NoError(t, err)
	require.NoError(t, eng.Start(idleRunner{}))
	t.Cleanup(func() { require.NoError(t, eng.Close(ctx)) })
	sleeping := func() bool {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'`).Scan(&n))
		return n > 0
	}
	d := func(i int, hook string) *engine.Delivery {
		return &engine.Delivery{ID: fmt.Sprintf("d-%d-%s", i, hook), WebhookID: hook, Event: newEvent(t, i), Created: time.Now()}
	}

	// While "first" is written, the others queue: they go in the next
	// group together.
	first := make(chan error, 1)
	go func() { first <- eng.Enqueue(ctx, nil, []*engine.Delivery{d(0, "first")}) }()
	eventually(t, 10*time.Second, "the first group's insert", sleeping)
	const n = 40
	batches := make([][]*engine.Delivery, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range batches {
		switch {
		case i == n/2:
			batches[i] = []*engine.Delivery{d(i, "slow")}
		case i%3 == 1:
			batches[i] = []*engine.Delivery{d(i, "h1"), d(i, "h2")}
		default:
			batches[i] = []*engine.Delivery{d(i, "h")}
		}
		wg.Go(func() { errs[i] = eng.Enqueue(ctx, nil, batches[i]) })
	}
	require.NoError(t, <-first)
	eventually(t, 10*time.Second, "the second group's insert", sleeping)
	_, err = pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'PgSleep'`)
	require.NoError(t, err)
	wg.Wait()

	for i, err := range errs {
		require.NoError(t, err, "batch %d", i)
	}
	rows, err := pool.Query(ctx, `SELECT args->>'delivery_id', count(*) FROM river_job GROUP BY 1`)
	require.NoError(t, err)
	got := map[string]int{}
	for rows.Next() {
		var id string
		var c int
		require.NoError(t, rows.Scan(&id, &c))
		got[id] = c
	}
	require.NoError(t, rows.Err())
	for _, b := range batches {
		for _, d := range b {
			require.Equal(t, 1, got[d.ID], "jobs of %s", d.ID)
		}
	}
}

// A commit that goes unanswered past the group's bound (a synchronous
// standby gone, say; here a deferred trigger that runs at the commit and
// sleeps) does not say "none queued": its error wraps ErrOutcomeUnknown,
// since the commit may yet land.
func TestPostgresUnansweredCommitIsOutcomeUnknown(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	pool, eng := newPostgresEngine(t, url, riverengine.WithPublishOnly())
	_, err := pool.Exec(ctx, `CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.args->>'webhook_id' = 'stall' THEN PERFORM pg_sleep(8); END IF; RETURN NULL; END $$;
		CREATE CONSTRAINT TRIGGER stall AFTER INSERT ON river_job DEFERRABLE INITIALLY DEFERRED
			FOR EACH ROW EXECUTE FUNCTION stall()`)
	require.NoError(t, err)
	require.NoError(t, eng.Start(idleRunner{}))
	t.Cleanup(func() { require.NoError(t, eng.Close(ctx)) })

	err = eng.Enqueue(ctx, nil, []*engine.Delivery{{ID: "d-1", WebhookID: "stall", Event: newEvent(t, 1), Created: time.Now()}})
	var ee *riverengine.EnqueueError
	require.ErrorAs(t, err, &ee)
	require.ErrorIs(t, err, riverengine.ErrOutcomeUnknown)
	// A batch refused before its commit is still said not queued.
	_, err = pool.Exec(ctx, `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.args->>'webhook_id' = 'refused' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$;
		CREATE TRIGGER refuse BEFORE INSERT ON river_job FOR EACH ROW EXECUTE FUNCTION refuse()`)
	require.NoError(t, err)
	err = eng.Enqueue(ctx, nil, []*engine.Delivery{{ID: "d-2", WebhookID: "refused", Event: newEvent(t, 2), Created: time.Now()}})
	require.ErrorAs(t, err, &ee)
	require.NotErrorIs(t, err, riverengine.ErrOutcomeUnknown)
}

// A group refused for a reason no batch of it has (here every insert
// fails as on a read-only database) is not written again in halves, which
// would take twice as many transactions as it has batches to fail them.
func TestPostgresGroupRefusedWholeIsNotHalved(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	pool, eng := newPostgresEngine(t, url, riverengine.WithPublishOnly())
	// tries counts the inserts tried: a sequence is not rolled back.
	_, err := pool.Exec(ctx, `CREATE SEQUENCE tries;
		CREATE FUNCTION read_only() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.args->>'webhook_id' = 'first' THEN PERFORM pg_sleep(0.3); RETURN NEW; END IF;
			PERFORM nextval('tries');
			RAISE EXCEPTION 'read only' USING ERRCODE = 'read_only_sql_transaction'; END $$;
		CREATE TRIGGER read_only BEFORE INSERT ON river_job FOR EACH ROW EXECUTE FUNCTION read_only()`)
	require.NoError(t, err)
	require.NoError(t, eng.Start(idleRunner{}))
	t.Cleanup(func() { require.NoError(t, eng.Close(ctx)) })

	first := make(chan error, 1)
	go func() {
		first <- eng.Enqueue(ctx, nil, []*engine.Delivery{{ID: "d-first", WebhookID: "first", Event: newEvent(t, 0), Created: time.Now()}})
	}()
	eventually(t, 10*time.Second, "the first group's insert", func() bool {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'`).Scan(&n))
		return n > 0
	})
	const n = 40
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			errs[i] = eng.Enqueue(ctx, nil, []*engine.Delivery{{ID: fmt.Sprint("d-", i), WebhookID: "h", Event: newEvent(t, i), Created: time.Now()}})
		})
	}
	wg.Wait()
	require.NoError(t, <-first)
	for _, err := range errs {
		var ee *riverengine.EnqueueError
		require.ErrorAs(t, err, &ee)
	}
	var tries int
	require.NoError(t, pool.QueryRow(ctx, `SELECT last_value FROM tries`).Scan(&tries))
	require.LessOrEqual(t, tries, 4, "inserts tried for 40 calls refused whole")
}
