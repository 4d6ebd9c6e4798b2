package riverengine_test

import (
	"context"
	"database/sql"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// One Publish to several ordered webhooks is one batch: every job and
// every line row commit together, and each webhook's deliveries keep their
// key's order; on PostgreSQL and on SQLite, in the caller's transaction or
// in one of the engine's own.
func TestBatchOfOrderedWebhooks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) (*riverengine.Engine, func(ctx context.Context) (engine.Tx, func(commit bool) error))
	}{
		{"postgres", func(t *testing.T) (*riverengine.Engine, func(ctx context.Context) (engine.Tx, func(bool) error)) {
			pool, eng := newPostgresEngine(t, needPostgres(t), riverengine.WithPollInterval(50*time.Millisecond))
			return eng, pgBegin(pool)
		}},
		{"sqlite", func(t *testing.T) (*riverengine.Engine, func(ctx context.Context) (engine.Tx, func(bool) error)) {
			db, eng := newSQLiteEngine(t, riverengine.WithPollInterval(50*time.Millisecond))
			return eng, sqlBegin(db)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, 5*time.Millisecond, nil)
			eng, begin := tc.start(t)
			d, err := webhook.New(webhook.WithEngine(eng), // its Store comes with it
				webhook.WithAllowedTargets("127.0.0.1"),
				webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
				webhook.WithEventType(testEvent, nil))
			require.NoError(t, err)
			closeDispatcher(t, d)
			ids := []string{"a", "b", "c"}
			for _, id := range ids {
				w := hook(id, rc.URL)
				w.Delivery = &webhook.DeliverySettings{OrderingKey: "data.key"}
				_, err = d.Add(w)
				require.NoError(t, err)
			}
			ctx := context.Background()
			for n := 1; n <= 6; n++ {
				e := keyedEvent(t, n, "K")
				if n%2 == 0 {
					pub, err := d.Publish(ctx, e)
					require.NoError(t, err)
					require.Len(t, pub.Deliveries, 3)
					continue
				}
				tx, end := begin(ctx)
				pub, err := d.PublishTx(ctx, tx, e)
				require.NoError(t, err)
				require.Len(t, pub.Deliveries, 3)
				require.NoError(t, end(true))
			}
			eventually(t, 20*time.Second, "every delivery", func() bool { _, n := rc.pairs(); return n == 18 })
			got := rc.snapshot()
			for _, id := range ids {
				for n := 1; n <= 6; n++ {
					require.Len(t, got[id+" e-"+strconv.Itoa(n)], 1, "%s got e-%d once", id, n)
				}
			}
			order := map[string][]string{}
			for _, s := range rc.answered() {
				order[s.hook] = append(order[s.hook], s.eventID)
			}
			for _, id := range ids {
				require.Equal(t, []string{"e-1", "e-2", "e-3", "e-4", "e-5", "e-6"}, order[id], "webhook %s in key order", id)
			}

			// The engine's store is the Dispatcher's: records of every instance.
			eventually(t, 10*time.Second, "the records in the engine's store", func() bool {
				invs, err := eng.Store().Invocations(ctx, "a", 0)
				require.NoError(t, err)
				return len(invs) == 6
			})

			// The queue is empty again, by the engine's own count.
			eventually(t, 10*time.Second, "an empty queue", func() bool {
				st, err := eng.Stats(ctx)
				require.NoError(t, err)
				return st.Depth == 0
			})
		})
	}
}

// Stats counts the jobs not finished and the age of the oldest, which
// the queue metrics report.
func TestStatsCountsTheBacklog(t *testing.T) {
	pool, eng := newPostgresEngine(t, needPostgres(t), riverengine.WithPublishOnly())
	ctx, before := context.Background(), backlog(t, eng)
	st, err := eng.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, 6, st.Depth, "nothing works the publish-only instance's jobs")
	require.WithinDuration(t, before, st.Oldest, 5*time.Second)
	_, err = pool.Exec(ctx, "UPDATE river_job SET state = 'completed', finalized_at = now()")
	require.NoError(t, err)
	st, err = eng.Stats(ctx)
	require.NoError(t, err)
	require.Zero(t, st.Depth)
	require.True(t, st.Oldest.IsZero())
}

// With WithRecordFiltered, PublishTx writes the records of the webhooks
// that did not match in the caller's transaction: a rollback takes them
// back with the deliveries.
func TestPublishTxRecordsRollBack(t *testing.T) {
	db, eng := newSQLiteEngine(t, riverengine.WithPublishOnly())
	d, err := webhook.New(dispatcherOptions(eng, webhook.WithRecordFiltered(true))...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	off := hook("off", "http://127.0.0.1:1")
	off.Active = false
	_, err = d.Add(off)
	require.NoError(t, err)
	ctx := context.Background()
	for _, commit := range []bool{false, true} {
		tx, end := sqlBegin(db)(ctx)
		_, err := d.PublishTx(ctx, tx, newEvent(t, 1))
		require.NoError(t, err)
		require.NoError(t, end(commit))
	}
	invs, err := eng.Store().Invocations(ctx, "off", 0)
	require.NoError(t, err)
	require.Len(t, invs, 1, "only the committed publish left its record")
	require.Equal(t, webhook.Skipped, invs[0].Outcome)
}

func pgBegin(pool *pgxpool.Pool) func(ctx context.Context) (engine.Tx, func(bool) error) {
	return func(ctx context.Context) (engine.Tx, func(bool) error) {
		tx, err := pool.Begin(ctx)
		if err != nil {
			panic(err)
		}
		return tx, func(commit bool) error {
			if commit {
				return tx.Commit(ctx)
			}
			return tx.Rollback(ctx)
		}
	}
}

func sqlBegin(db *sql.DB) func(ctx context.Context) (engine.Tx, func(bool) error) {
	return func(ctx context.Context) (engine.Tx, func(bool) error) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			panic(err)
		}
		return tx, func(commit bool) error {
			if commit {
				return tx.Commit()
			}
			return tx.Rollback()
		}
	}
}

// backlog publishes three events to two webhooks through a Dispatcher on
// eng, publish-only, so that six jobs wait; it returns when it began.
func backlog(t *testing.T, eng *riverengine.Engine) time.Time {
	t.Helper()
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	for _, id := range []string{"a", "b"} {
		_, err = d.Add(hook(id, "http://127.0.0.1:1"))
		require.NoError(t, err)
	}
	before := time.Now()
	for n := range 3 {
		_, err := d.Publish(context.Background(), newEvent(t, n))
		require.NoError(t, err)
	}
	return before
}
