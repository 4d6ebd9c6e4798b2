package riverengine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/riverengine"
)

// BenchmarkDefinitionStore measures a write (Create, and Update of a
// definition with the revisions kept, which prunes one) and a full page of
// Changes, the read of an instance that loads or catches up, on each
// database (PostgreSQL with fsync and synchronous commit on; SQLite in WAL
// mode, synchronous NORMAL):
//
//	go test -run '^$' -bench DefinitionStore -benchtime 2000x
func BenchmarkDefinitionStore(b *testing.B) {
	stores := map[string]func(b *testing.B) *riverengine.DefinitionStore{
		"db=postgres": func(b *testing.B) *riverengine.DefinitionStore {
			url := needPostgres(b)
			pool := newPool(b, url)
			require.NoError(b, riverengine.Migrate(context.Background(), pool))
			return riverengine.NewDefinitionStore(pool)
		},
		"db=sqlite": func(b *testing.B) *riverengine.DefinitionStore {
			db := openSQLite(b, filepath.Join(b.TempDir(), "defs.db"))
			require.NoError(b, riverengine.MigrateSQLite(context.Background(), db))
			return riverengine.NewSQLiteDefinitionStore(db)
		},
	}
	for _, name := range []string{"db=postgres", "db=sqlite"} {
		b.Run("op=create/"+name, func(b *testing.B) {
			s, ctx := stores[name](b), context.Background()
			i := 0
			for b.Loop() {
				id := fmt.Sprint("hook-", i)
				if _, err := s.Create(ctx, definition(fmt.Sprint("tenant-", i%100), id, id), "bench", 0); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		// Past the revisions kept, each update deletes the oldest one.
		b.Run("op=update-past-history/"+name, func(b *testing.B) {
			s, ctx := stores[name](b), context.Background()
			_, err := s.Create(ctx, definition("tenant", "hook", "hook"), "bench", 0)
			require.NoError(b, err)
			for range defstore.HistoryKept {
				_, err := s.Update(ctx, definition("tenant", "hook", "hook"), defstore.AnyVersion, "bench")
				require.NoError(b, err)
			}
			for b.Loop() {
				if _, err := s.Update(ctx, definition("tenant", "hook", "hook"), defstore.AnyVersion, "bench"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("op=changes-page-1000/"+name, func(b *testing.B) {
			s, ctx := stores[name](b), context.Background()
			for i := range 1000 {
				id := fmt.Sprint("hook-", i)
				_, err := s.Create(ctx, definition(fmt.Sprint("tenant-", i%100), id, id), "bench", 0)
				require.NoError(b, err)
			}
			for b.Loop() {
				cs, err := s.Changes(ctx, 0, 1000)
				if err != nil || len(cs) != 1000 {
					b.Fatal(len(cs), err)
				}
			}
		})
	}
}
