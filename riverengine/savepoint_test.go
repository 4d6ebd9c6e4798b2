package riverengine_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// PublishTx inside a savepoint of the caller's transaction: rolled back to
// the savepoint, the publish queues nothing though the transaction
// commits; released, it is delivered with the transaction. Ordered
// deliveries included, whose line rows go with their jobs.
func TestPublishTxInASavepoint(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, eng *riverengine.Engine, inSavepoint func(rollback bool, fn func(tx engine.Tx) error) error) {
		rc := newReceiver(t, 0, nil)
		d, err := webhook.New(dispatcherOptions(eng)...)
		require.NoError(t, err)
		closeDispatcher(t, d)
		_, err = d.Add(hook("plain", rc.URL))
		require.NoError(t, err)
		addOrdered(t, d, rc.URL)
		publish := func(n int, rollback bool) {
			require.NoError(t, inSavepoint(rollback, func(tx engine.Tx) error {
				pub, err := d.PublishTx(ctx, tx, keyedEvent(t, n, "k"))
				require.Len(t, pub.Deliveries, 2)
				return err
			}))
		}
		publish(1, true)
		publish(2, false)
		publish(3, true)
		publish(4, false)
		eventually(t, 10*time.Second, "the released publishes", func() bool { n, _ := rc.pairs(); return n == 4 })
		require.NoError(t, d.Close(ctx))
		got := rc.snapshot()
		require.Len(t, got, 4, "rolled back to their savepoints, events 1 and 3 queued nothing")
		for _, k := range []string{"plain e-2", "ordered e-2", "plain e-4", "ordered e-4"} {
			require.Len(t, got[k], 1, k)
		}
	}
	t.Run("postgres", func(t *testing.T) {
		pool, eng := newPostgresEngine(t, needPostgres(t), riverengine.WithPollInterval(50*time.Millisecond))
		check(t, eng, func(rollback bool, fn func(tx engine.Tx) error) error {
			return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				sp, err := tx.Begin(ctx) // a savepoint
				if err != nil {
					return err
				}
				if err := fn(sp); err != nil {
					return err
				}
				if rollback {
					return sp.Rollback(ctx)
				}
				return sp.Commit(ctx)
			})
		})
	})
	t.Run("sqlite", func(t *testing.T) {
		db, eng := newSQLiteEngine(t, riverengine.WithPollInterval(50*time.Millisecond))
		check(t, eng, func(rollback bool, fn func(tx engine.Tx) error) error {
			return inSQLiteTx(ctx, db, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, "SAVEPOINT publish"); err != nil {
					return err
				}
				if err := fn(tx); err != nil {
					return err
				}
				end := "RELEASE publish"
				if rollback {
					end = "ROLLBACK TO publish"
				}
				_, err := tx.ExecContext(ctx, end)
				return err
			})
		})
	})
}

func inSQLiteTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
