package riverengine_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/defstore/defstoretest"
	"github.com/outhook/outhook/riverengine"
)

// The definition stores pass the conformance suite every defstore.Store
// runs. Each clause gets the definitions emptied, on a database migrated
// once.
func TestDefinitionStoreConformance(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		url := needPostgres(t)
		admin := newPool(t, url)
		require.NoError(t, riverengine.Migrate(ctx, admin))
		defstoretest.Run(t, func(t *testing.T) defstore.Store {
			_, err := admin.Exec(ctx, "TRUNCATE outhook_definition, outhook_definition_revision")
			require.NoError(t, err)
			pool, err := pgxpool.New(ctx, url)
			require.NoError(t, err)
			t.Cleanup(pool.Close)
			return riverengine.NewDefinitionStore(pool)
		})
	})
	t.Run("sqlite", func(t *testing.T) {
		ctx := context.Background()
		db := openSQLite(t, filepath.Join(t.TempDir(), "defs.db"))
		require.NoError(t, riverengine.MigrateSQLite(ctx, db))
		defstoretest.Run(t, func(t *testing.T) defstore.Store {
			_, err := db.ExecContext(ctx, "DELETE FROM outhook_definition; DELETE FROM outhook_definition_revision")
			require.NoError(t, err)
			return riverengine.NewSQLiteDefinitionStore(db)
		})
	})
}
