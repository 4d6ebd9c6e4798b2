package riverengine_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"modernc.org/sqlite"

	"github.com/outhook/outhook/riverengine"
)

// countingConnector counts the statements its connections prepare.
type countingConnector struct {
	driver.Connector
	prepared *atomic.Int64
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return countingConn{conn.(sqliteConn), c.prepared}, nil
}

// sqliteConn is what ReuseStatements needs of the driver's connections.
type sqliteConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.ExecerContext
	driver.QueryerContext
}

type countingConn struct {
	sqliteConn
	prepared *atomic.Int64
}

func (c countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	c.prepared.Add(1)
	return c.sqliteConn.PrepareContext(ctx, q)
}

func TestReuseStatements(t *testing.T) {
	ctx := context.Background()
	base, err := sqlite.NewConnector(sqliteDSN(filepath.Join(t.TempDir(), "s.db")))
	require.NoError(t, err)
	var prepared atomic.Int64
	db := sql.OpenDB(riverengine.ReuseStatements(countingConnector{base, &prepared}))
	t.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(1)
	_, err = db.ExecContext(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)")
	require.NoError(t, err)

	t.Run("prepared once", func(t *testing.T) {
		before := prepared.Load()
		for i := range 100 {
			_, err := db.ExecContext(ctx, "INSERT INTO t (id, v) VALUES (?, ?)", i, "v"+string(rune('a'+i%26))+string(rune('A'+i/26)))
			require.NoError(t, err)
			var n int
			require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM t WHERE id <= ?", i).Scan(&n))
			require.Equal(t, i+1, n)
		}
		require.Equal(t, int64(2), prepared.Load()-before, "one prepare per text")
	})
	t.Run("a failed statement runs again", func(t *testing.T) {
		const q = "INSERT INTO t (id, v) VALUES (?, ?)"
		_, err := db.ExecContext(ctx, q, 1000, "vaA") // row 0's v, which is UNIQUE
		require.Error(t, err)
		_, err = db.ExecContext(ctx, q, 1000, "fresh")
		require.NoError(t, err)
	})
	t.Run("the same query inside its own rows", func(t *testing.T) {
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		defer func() { _ = tx.Rollback() }()
		const q = "SELECT id FROM t WHERE id < ? ORDER BY id"
		rows, err := tx.QueryContext(ctx, q, 3)
		require.NoError(t, err)
		var outer, inner []int
		for rows.Next() {
			var id int
			require.NoError(t, rows.Scan(&id))
			outer = append(outer, id)
			in, err := tx.QueryContext(ctx, q, 2)
			require.NoError(t, err)
			for in.Next() {
				require.NoError(t, in.Scan(&id))
				inner = append(inner, id)
			}
			require.NoError(t, in.Close())
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
		require.Equal(t, []int{0, 1, 2}, outer)
		require.Equal(t, []int{0, 1, 0, 1, 0, 1}, inner)
	})
	t.Run("after a change of schema", func(t *testing.T) {
		const q = "SELECT * FROM t WHERE id = 0"
		var id int
		var v string
		require.NoError(t, db.QueryRowContext(ctx, q).Scan(&id, &v))
		_, err := db.ExecContext(ctx, "ALTER TABLE t ADD COLUMN w TEXT NOT NULL DEFAULT 'w'")
		require.NoError(t, err)
		var w string
		require.NoError(t, db.QueryRowContext(ctx, q).Scan(&id, &v, &w))
		require.Equal(t, "w", w)
	})
}
