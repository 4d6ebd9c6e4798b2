package riverengine_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // registers "sqlite" for the application's own handle

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// An application that keeps its own *sql.DB on the engine's SQLite file
// (more connections than the engine's one) publishes in its own
// transactions: rolled back, nothing is queued; committed, every delivery,
// ordered ones included, is delivered once.
func TestSQLitePublishTxOfTheApplicationsOwnDB(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "outhook.db")
	db := openSQLite(t, path)
	require.NoError(t, riverengine.MigrateSQLite(ctx, db))
	eng, err := riverengine.NewSQLite(ctx, db, riverengine.WithPollInterval(50*time.Millisecond))
	require.NoError(t, err)
	rc := newReceiver(t, 0, nil)
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	_, err = d.Add(hook("plain", rc.URL))
	require.NoError(t, err)
	addOrdered(t, d, rc.URL)

	app, err := sql.Open("sqlite", sqliteDSN(path)) // a plain handle: no ReuseStatements
	require.NoError(t, err)
	t.Cleanup(func() { _ = app.Close() })
	_, err = app.ExecContext(ctx, "CREATE TABLE access_request (id TEXT PRIMARY KEY)")
	require.NoError(t, err)

	publish := func(n int, commit bool) {
		t.Helper()
		tx, err := app.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = tx.ExecContext(ctx, "INSERT INTO access_request VALUES (?)", n)
		require.NoError(t, err)
		pub, err := d.PublishTx(ctx, tx, newEvent(t, n))
		require.NoError(t, err)
		require.Len(t, pub.Deliveries, 2)
		if commit {
			require.NoError(t, tx.Commit())
		} else {
			require.NoError(t, tx.Rollback())
		}
	}
	publish(1, false)
	publish(2, true)
	publish(3, true)

	eventually(t, 10*time.Second, "the committed deliveries", func() bool { n, _ := rc.pairs(); return n == 4 })
	require.NoError(t, d.Close(ctx))
	got := rc.snapshot()
	for _, k := range []string{"plain e-2", "ordered e-2", "plain e-3", "ordered e-3"} {
		require.Len(t, got[k], 1, k)
	}
	require.Len(t, got, 4, "the rolled-back publish delivered nothing")
	var rows int
	require.NoError(t, app.QueryRowContext(ctx, "SELECT count(*) FROM access_request").Scan(&rows))
	require.Equal(t, 2, rows)
}
