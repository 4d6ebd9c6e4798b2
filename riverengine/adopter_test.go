package riverengine_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
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
