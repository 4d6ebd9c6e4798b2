package riverengine_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// Prune deletes exactly the records that started before its time, on
// both databases: not one started at it, one started a nanosecond before
// it (the database keeps microseconds), and all of them for a time past
// what PostgreSQL's timestamps hold.
func TestPruneDeletesWhatStartedBefore(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, s *riverengine.Store) {
		at := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
		record := func(id string) {
			require.NoError(t, s.Record(ctx, webhook.Invocation{ID: id, WebhookID: "w", Outcome: webhook.Delivered, StartedAt: at}))
		}
		left := func() int {
			invs, err := s.Invocations(ctx, "w", 0)
			require.NoError(t, err)
			return len(invs)
		}
		record("r1")
		for _, c := range []struct {
			before time.Time
			want   int64
		}{
			{at.Add(-time.Nanosecond), 0},
			{at, 0},
			{at.Add(time.Nanosecond), 1},
		} {
			n, err := s.Prune(ctx, c.before)
			require.NoError(t, err)
			require.Equal(t, c.want, n, "Prune(%s)", c.before.Format(time.RFC3339Nano))
		}
		require.Zero(t, left())
		record("r2")
		record("r3")
		n, err := s.Prune(ctx, time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC))
		require.NoError(t, err)
		require.EqualValues(t, 2, n)
		require.Zero(t, left())
	}
	t.Run("postgres", func(t *testing.T) {
		pool := newPool(t, needPostgres(t))
		require.NoError(t, riverengine.Migrate(ctx, pool))
		check(t, riverengine.NewStore(pool))
	})
	t.Run("sqlite", func(t *testing.T) {
		db := openSQLite(t, filepath.Join(t.TempDir(), "outhook.db"))
		require.NoError(t, riverengine.MigrateSQLite(ctx, db))
		check(t, riverengine.NewSQLiteStore(db))
	})
}
