package riverengine_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
)

// Migrate needs one connection of the pool: a deploy step's pool of one,
// or two instances of a process migrating at once on a shared pool of
// two, migrate rather than wait on each other until ctx ends.
func TestMigrateOnASmallPool(t *testing.T) {
	for _, tc := range []struct {
		name      string
		conns     int32
		migrators int
	}{
		{"one connection", 1, 1},
		{"two migrators on two connections", 2, 2},
		{"three migrators on one connection", 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := pgxpool.ParseConfig(needPostgres(t))
			require.NoError(t, err)
			cfg.MaxConns = tc.conns
			pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
			require.NoError(t, err)
			t.Cleanup(pool.Close)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			errs := make([]error, tc.migrators)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = riverengine.Migrate(ctx, pool)
				}()
			}
			wg.Wait()
			for i, err := range errs {
				require.NoError(t, err, "migrator %d", i)
			}
			eng, err := riverengine.New(context.Background(), pool, riverengine.WithPublishOnly())
			require.NoError(t, err, "the database is migrated")
			require.NoError(t, eng.Close(context.Background()))
		})
	}
}

// Processes starting together on one SQLite file (an old and a new one
// during a restart) migrate it at once: every call succeeds, no step is
// applied twice, and the engine starts on the result.
func TestMigrateSQLiteConcurrently(t *testing.T) {
	for round := range 4 {
		path := filepath.Join(t.TempDir(), "outhook.db")
		// One handle per "process", two callers on one of them.
		a, b := openSQLite(t, path), openSQLite(t, path)
		callers := []*sql.DB{a, b, a}
		errs := make([]error, len(callers))
		var wg sync.WaitGroup
		for i, db := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = riverengine.MigrateSQLite(context.Background(), db)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "round %d, caller %d", round, i)
		}
		var steps, distinct int
		require.NoError(t, a.QueryRow("SELECT count(*), count(DISTINCT version) FROM outhook_migration").Scan(&steps, &distinct))
		require.Equal(t, distinct, steps)
		eng, err := riverengine.NewSQLite(context.Background(), b, riverengine.WithPublishOnly())
		require.NoError(t, err, "the database is migrated")
		require.NoError(t, eng.Close(context.Background()))
	}
}
