package riverengine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
)

// Migration 010 replaces the record trigger of 009 (its small-statement
// branch takes 009's per-row upserts again): a database Migrate brings up
// from 009, or from 010, has the schema of a fresh one, with one record
// trigger, and counts each record once, whether written alone or in a
// group of the aggregated branch's size.
func TestMigrationPathsGiveOneSchema(t *testing.T) {
	ctx := context.Background()
	var fresh string
	for _, upTo := range []int{0, 9, 10} {
		t.Run(fmt.Sprint("from ", upTo), func(t *testing.T) {
			pool := newPool(t, needPostgres(t))
			m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
			require.NoError(t, err)
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
			require.NoError(t, err)
			if upTo > 0 {
				// As an earlier release's Migrate left it.
				_, err = pool.Exec(ctx, `CREATE TABLE outhook_migration (
					version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
				require.NoError(t, err)
				entries, err := os.ReadDir(filepath.Join("migrations", "postgres"))
				require.NoError(t, err)
				for _, e := range entries {
					var v int
					_, err := fmt.Sscanf(e.Name(), "%d_", &v)
					require.NoError(t, err)
					if v > upTo {
						continue
					}
					b, err := os.ReadFile(filepath.Join("migrations", "postgres", e.Name()))
					require.NoError(t, err)
					_, err = pool.Exec(ctx, string(b))
					require.NoError(t, err, e.Name())
					_, err = pool.Exec(ctx, "INSERT INTO outhook_migration (version, name) VALUES ($1, $2)", v, strings.TrimSuffix(e.Name(), ".sql"))
					require.NoError(t, err)
				}
			}
			require.NoError(t, riverengine.Migrate(ctx, pool))
			schema := pgSchema(t, pool)
			if upTo == 0 {
				fresh = schema
			} else {
				require.Equal(t, fresh, schema)
			}
			var triggers int
			require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM pg_trigger WHERE tgrelid = 'outhook_invocation'::regclass
				AND NOT tgisinternal AND tgname LIKE 'outhook_summary_record%'`).Scan(&triggers))
			require.Equal(t, 1, triggers, "record triggers on outhook_invocation")

			eng, err := riverengine.New(ctx, pool, riverengine.WithPublishOnly())
			require.NoError(t, err)
			require.NoError(t, eng.Store().Record(ctx, testInvocation(0)))
			var wg sync.WaitGroup
			for i := 1; i <= 40; i++ {
				wg.Go(func() { require.NoError(t, eng.Store().Record(ctx, testInvocation(i))) })
			}
			wg.Wait()
			var delivered int
			require.NoError(t, pool.QueryRow(ctx, `SELECT coalesce(sum(delivered), 0) FROM outhook_summary_slot`).Scan(&delivered))
			require.Equal(t, 41, delivered)
		})
	}
}

// pgSchema describes the public schema's tables, columns, constraints,
// indexes, functions and triggers, one per line, in order.
func pgSchema(t *testing.T, pool *pgxpool.Pool) string {
	rows, err := pool.Query(context.Background(), `
		SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
			FROM information_schema.columns WHERE table_schema = 'public'
		UNION ALL SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
			FROM pg_constraint WHERE connamespace = 'public'::regnamespace
		UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
		UNION ALL SELECT 'function ' || proname || ' ' || md5(prosrc) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
		UNION ALL SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
		ORDER BY 1`)
	require.NoError(t, err)
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		require.NoError(t, rows.Scan(&l))
		lines = append(lines, l)
	}
	require.NoError(t, rows.Err())
	return strings.Join(lines, "\n")
}
