package riverengine_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/riverengine"
)

// historyScript makes the same changes in s as in every other store it is
// given: definitions with long lives, a deletion and a creation again
// under one id, another tenant's definition with that id, a short one.
func historyScript(t *testing.T, s defstore.Store) {
	t.Helper()
	ctx := context.Background()
	create := func(tenant, id string) {
		_, err := s.Create(ctx, defstore.Record{Tenant: tenant, ID: id, Name: id, Active: true, Definition: []byte(`{}`)}, "creator", 0)
		require.NoError(t, err)
	}
	update := func(tenant, id string, n int) {
		for i := range n {
			_, err := s.Update(ctx, defstore.Record{Tenant: tenant, ID: id, Name: id, Active: true, Definition: []byte(fmt.Sprintf(`{"n":%d}`, i))},
				defstore.AnyVersion, fmt.Sprintf("%s-editor-%d", tenant, i))
			require.NoError(t, err)
		}
	}
	create("acme", "long")
	update("acme", "long", defstore.HistoryKept+50)
	require.NoError(t, s.ReplaceSecrets(ctx, "acme", "long", defstore.AnyVersion, []byte("sealed"), "rotator"))
	require.NoError(t, s.Delete(ctx, "acme", "long", defstore.AnyVersion, "remover"))
	create("acme", "long")
	update("acme", "long", 20)
	create("zeta", "long")
	update("zeta", "long", defstore.HistoryKept+1)
	create("acme", "short")
	update("acme", "short", 3)
}

// historyOf returns the definition's history as History gives it with
// limit, times left out (each store takes its own).
func historyOf(t *testing.T, s defstore.Store, tenant, id string, limit int) []defstore.Revision {
	t.Helper()
	h, err := s.History(context.Background(), tenant, id, limit)
	require.NoError(t, err)
	if len(h) == 0 {
		return nil // none, however a store says it
	}
	for i := range h {
		h[i].At = time.Time{}
	}
	return h
}

// The SQL definition stores keep what Memory keeps of a definition's
// history, the HistoryKept newest revisions, and History gives the same
// as Memory's after the same changes, whatever the limit; the revisions
// beyond them are deleted as each is written, so that a definition
// edited for years costs its HistoryKept rows.
func TestDefinitionHistoryIsBoundedAsMemorys(t *testing.T) {
	ctx := context.Background()
	memory := defstore.NewMemory()
	historyScript(t, memory)
	type sqlStore struct {
		store defstore.Store
		rows  func(tenant, id string) int
	}
	stores := map[string]func(t *testing.T) sqlStore{
		"postgres": func(t *testing.T) sqlStore {
			url := needPostgres(t)
			pool := newPool(t, url)
			require.NoError(t, riverengine.Migrate(ctx, pool))
			return sqlStore{riverengine.NewDefinitionStore(pool), func(tenant, id string) int {
				return pgRevisionRows(t, pool, tenant, id)
			}}
		},
		"sqlite": func(t *testing.T) sqlStore {
			db := openSQLite(t, filepath.Join(t.TempDir(), "defs.db"))
			require.NoError(t, riverengine.MigrateSQLite(ctx, db))
			return sqlStore{riverengine.NewSQLiteDefinitionStore(db), func(tenant, id string) int {
				return sqliteRevisionRows(t, db, tenant, id)
			}}
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			historyScript(t, s.store)
			for _, def := range [][2]string{{"acme", "long"}, {"zeta", "long"}, {"acme", "short"}, {"acme", "never"}} {
				for _, limit := range []int{0, 7, defstore.HistoryKept, 1000} {
					want := historyOf(t, memory, def[0], def[1], limit)
					require.Equal(t, want, historyOf(t, s.store, def[0], def[1], limit), "%s/%s, limit %d", def[0], def[1], limit)
				}
				require.LessOrEqual(t, s.rows(def[0], def[1]), defstore.HistoryKept, "%s/%s: revisions kept", def[0], def[1])
			}
		})
	}
}

func pgRevisionRows(t *testing.T, pool *pgxpool.Pool, tenant, id string) int {
	var n int
	require.NoError(t, pool.QueryRow(context.Background(), "SELECT count(*) FROM outhook_definition_revision WHERE tenant = $1 AND id = $2", tenant, id).Scan(&n))
	return n
}

func sqliteRevisionRows(t *testing.T, db *sql.DB, tenant, id string) int {
	var n int
	require.NoError(t, db.QueryRow("SELECT count(*) FROM outhook_definition_revision WHERE tenant = ? AND id = ?", tenant, id).Scan(&n))
	return n
}
