package riverengine_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// A nil transaction of the right type (a *sql.Tx or *pgxpool.Tx never
// begun) is refused like an untyped nil: nothing is written, in a
// transaction or outside one, and nothing panics.
func TestPublishTxTypedNil(t *testing.T) {
	check := func(t *testing.T, eng *riverengine.Engine, tx engine.Tx, jobs func() int) {
		d, err := webhook.New(dispatcherOptions(eng, webhook.WithRecordFiltered(true))...)
		require.NoError(t, err)
		closeDispatcher(t, d)
		_, err = d.Add(hook("on", "http://127.0.0.1:1"))
		require.NoError(t, err)
		off := hook("off", "http://127.0.0.1:1")
		off.Active = false
		_, err = d.Add(off)
		require.NoError(t, err)
		pub, err := d.PublishTx(context.Background(), tx, newEvent(t, 1))
		require.ErrorIs(t, err, engine.ErrTxUnsupported)
		require.Empty(t, pub.Deliveries)
		require.Zero(t, jobs())
		invs, err := eng.Store().Invocations(context.Background(), "off", 0)
		require.NoError(t, err)
		require.Empty(t, invs)
	}
	t.Run("sqlite", func(t *testing.T) {
		db, eng := newSQLiteEngine(t, riverengine.WithPublishOnly())
		check(t, eng, (*sql.Tx)(nil), func() (n int) {
			require.NoError(t, db.QueryRow("SELECT count(*) FROM river_job").Scan(&n))
			return n
		})
	})
	t.Run("postgres", func(t *testing.T) {
		pool, eng := newPostgresEngine(t, needPostgres(t), riverengine.WithPublishOnly())
		check(t, eng, (*pgxpool.Tx)(nil), func() (n int) {
			require.NoError(t, pool.QueryRow(context.Background(), "SELECT count(*) FROM river_job").Scan(&n))
			return n
		})
	})
}

// Close cut short while several attempts are in flight, ordered and
// unordered, with more queued behind them: no dead letter, every job
// stays, and an engine started later delivers each event exactly once
// more, under the webhook-id of its publish, the ordered ones in order.
func TestCloseCutManyThenRestart(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	pool, eng := newPostgresEngine(t, url, riverengine.WithPollInterval(50*time.Millisecond))
	stalled := newReceiver(t, time.Minute, nil)
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	add := func(d *webhook.Dispatcher, rc *receiver) {
		_, err := d.Add(hook("plain", rc.URL))
		require.NoError(t, err)
		addOrdered(t, d, rc.URL)
	}
	add(d, stalled)
	ids := map[string]string{} // "hook event" -> delivery id
	for i := range 4 {
		ev, err := event.Parse(fmt.Appendf(nil, `{"event_type":"test.event","event_time":1773134100,"event_id":"e-%d","data":{"key":"k"}}`, i))
		require.NoError(t, err)
		pub, err := d.Publish(ctx, ev)
		require.NoError(t, err)
		for _, q := range pub.Deliveries {
			ids[fmt.Sprintf("%s e-%d", q.WebhookID, i)] = q.DeliveryID
		}
	}
	eventually(t, 10*time.Second, "plain's four and ordered's first in flight", func() bool {
		stalled.mu.Lock()
		defer stalled.mu.Unlock()
		return stalled.inFlight == 5
	})
	cut, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, d.Close(cut), context.DeadlineExceeded)
	dls, err := eng.Store().DeadLetters(ctx, "", 0)
	require.NoError(t, err)
	require.Empty(t, dls)
	var jobs int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE state NOT IN ('completed','cancelled','discarded')").Scan(&jobs))
	require.Equal(t, 8, jobs)

	_, eng = newPostgresEngine(t, url, riverengine.WithPollInterval(50*time.Millisecond))
	rc := newReceiver(t, 0, nil)
	d, err = webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	add(d, rc)
	eventually(t, 20*time.Second, "every delivery after the restart", func() bool { _, n := rc.pairs(); return n == 8 })
	got := rc.snapshot()
	require.Len(t, got, 8)
	for pair, hdrs := range got {
		require.Equal(t, []string{ids[pair]}, hdrs, pair)
	}
	var order []string
	for _, s := range rc.answered() {
		if s.hook == "ordered" {
			order = append(order, s.eventID)
		}
	}
	require.Equal(t, []string{"e-0", "e-1", "e-2", "e-3"}, order)
	dls, err = eng.Store().DeadLetters(ctx, "", 0)
	require.NoError(t, err)
	require.Empty(t, dls)
}

// An event whose ordering key holds a NUL character (which PostgreSQL's
// text and jsonb refuse) is still queued, for the ordered webhook and for
// the others of the batch, and keeps its key's order.
func TestOrderingKeyWithNUL(t *testing.T) {
	ctx := context.Background()
	rc := newReceiver(t, 0, nil)
	for _, db := range []string{"postgres", "sqlite"} {
		t.Run(db, func(t *testing.T) {
			var eng *riverengine.Engine
			if db == "postgres" {
				_, eng = newPostgresEngine(t, needPostgres(t), riverengine.WithPollInterval(50*time.Millisecond))
			} else {
				_, eng = newSQLiteEngine(t, riverengine.WithPollInterval(50*time.Millisecond))
			}
			d, err := webhook.New(dispatcherOptions(eng)...)
			require.NoError(t, err)
			closeDispatcher(t, d)
			_, err = d.Add(hook("plain-"+db, rc.URL))
			require.NoError(t, err)
			ordered := hook("ordered-"+db, rc.URL)
			ordered.Delivery = &webhook.DeliverySettings{OrderingKey: "data.key"}
			_, err = d.Add(ordered)
			require.NoError(t, err)
			for i := range 3 {
				ev, err := event.Parse(fmt.Appendf(nil, `{"event_type":"test.event","event_time":1773134100,"event_id":"n-%d","data":{"key":"a\u0000b"}}`, i))
				require.NoError(t, err)
				pub, err := d.Publish(ctx, ev)
				require.NoError(t, err)
				require.Len(t, pub.Deliveries, 2)
			}
			eventually(t, 10*time.Second, "all six", func() bool {
				n := 0
				for _, s := range rc.answered() {
					if s.hook == "plain-"+db || s.hook == "ordered-"+db {
						n++
					}
				}
				return n == 6
			})
			var order []string
			for _, s := range rc.answered() {
				if s.hook == "ordered-"+db {
					order = append(order, s.eventID)
				}
			}
			require.Equal(t, []string{"n-0", "n-1", "n-2"}, order)
		})
	}
}

// A response body holding NUL bytes (a binary answer), which PostgreSQL's
// jsonb refuses as \u0000, still leaves its invocation record; so does an
// event whose id holds one, published in the caller's transaction with
// the record of the webhook it did not go to, and that transaction still
// commits.
func TestRecordsWithNUL(t *testing.T) {
	ctx := context.Background()
	pool, eng := newPostgresEngine(t, needPostgres(t), riverengine.WithPollInterval(50*time.Millisecond))
	rc := newReceiver(t, 0, nil)
	binary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\x00\x01\x02"))
	}))
	t.Cleanup(binary.Close)
	d, err := webhook.New(dispatcherOptions(eng, webhook.WithRecordFiltered(true))...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	bin := hook("bin", binary.URL)
	_, err = d.Add(bin)
	require.NoError(t, err)
	off := hook("off", rc.URL)
	off.Active = false
	_, err = d.Add(off)
	require.NoError(t, err)

	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }() // after a failure, for the pool to close
	ev, err := event.Parse([]byte(`{"event_type":"test.event","event_time":1773134100,"event_id":"nul\u0000id","data":{}}`))
	require.NoError(t, err)
	_, err = d.PublishTx(ctx, tx, ev)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	eventually(t, 10*time.Second, "the binary answer's record", func() bool {
		invs, err := d.Invocations(ctx, "bin", 0)
		return err == nil && len(invs) == 1
	})
	invs, err := d.Invocations(ctx, "bin", 0)
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, invs[0].Outcome)
	require.Contains(t, invs[0].Response.Body, "ok")
	offs, err := d.Invocations(ctx, "off", 0)
	require.NoError(t, err)
	require.Len(t, offs, 1)
}

// Stats on SQLite counts the backlog and dates its oldest job as on
// PostgreSQL.
func TestStatsSQLite(t *testing.T) {
	_, eng := newSQLiteEngine(t, riverengine.WithPublishOnly())
	before := backlog(t, eng)
	st, err := eng.Stats(context.Background())
	require.NoError(t, err)
	require.Equal(t, 6, st.Depth)
	require.WithinDuration(t, before, st.Oldest, 2*time.Second)
}

// Redeliver takes the dead letter and queues its job in one transaction:
// when the job cannot be inserted and the dead letter cannot be put back
// either (the database refusing both), the dead letter is still there,
// and a later Redeliver queues it.
func TestRedeliverIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	pool, eng := newPostgresEngine(t, needPostgres(t), riverengine.WithPublishOnly())
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	_, err = d.Add(hook("a", "http://127.0.0.1:1"))
	require.NoError(t, err)
	require.NoError(t, eng.Store().AddDeadLetter(ctx, webhook.DeadLetter{
		DeliveryID: "dl-1", WebhookID: "a", Event: newEvent(t, 1), Outcome: webhook.Failed, Reason: "x", Attempts: 3, FailedAt: time.Now(),
	}))
	_, err = pool.Exec(ctx, `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$;
		CREATE TRIGGER refuse_job BEFORE INSERT ON river_job FOR EACH ROW EXECUTE FUNCTION refuse();
		CREATE TRIGGER refuse_dead BEFORE INSERT ON outhook_dead_letter FOR EACH ROW EXECUTE FUNCTION refuse();`)
	require.NoError(t, err)
	require.Error(t, d.Redeliver(ctx, "dl-1"))
	dls, err := eng.Store().DeadLetters(ctx, "", 0)
	require.NoError(t, err)
	require.Len(t, dls, 1, "the dead letter was never out of the store")

	_, err = pool.Exec(ctx, "DROP TRIGGER refuse_job ON river_job; DROP TRIGGER refuse_dead ON outhook_dead_letter")
	require.NoError(t, err)
	require.NoError(t, d.Redeliver(ctx, "dl-1"))
	var jobs int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM river_job").Scan(&jobs))
	require.Equal(t, 1, jobs)
	dls, err = eng.Store().DeadLetters(ctx, "", 0)
	require.NoError(t, err)
	require.Empty(t, dls)
	require.ErrorIs(t, d.Redeliver(ctx, "dl-1"), webhook.ErrNotFound)
}

// On SQLite's single connection, Redeliver's transaction holds the
// connection, and nothing it does waits for another: the dead letter is
// queued once, whoever else asks for it, and delivered.
func TestRedeliverSQLite(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, eng := newSQLiteEngine(t, riverengine.WithPollInterval(50*time.Millisecond))
	rc := newReceiver(t, 0, nil)
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	_, err = d.Add(hook("a", rc.URL))
	require.NoError(t, err)
	require.NoError(t, eng.Store().AddDeadLetter(ctx, webhook.DeadLetter{
		DeliveryID: "dl-1", WebhookID: "a", Event: newEvent(t, 1), Outcome: webhook.Failed, Reason: "x", Attempts: 3, FailedAt: time.Now(),
	}))
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = d.Redeliver(ctx, "dl-1") })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		require.ErrorIs(t, err, webhook.ErrNotFound)
	}
	require.Equal(t, 1, ok)
	eventually(t, 10*time.Second, "the redelivery", func() bool { _, n := rc.pairs(); return n == 1 })
	require.Equal(t, []string{"dl-1"}, rc.snapshot()["a e-1"])
}
