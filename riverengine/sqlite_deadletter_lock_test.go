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

// A dead letter written while another process holds SQLite's write lock
// longer than the busy timeout waits for it, as a record does: it is the
// last copy of a delivery that failed, and the job that held it is gone
// once its run ends. Past the store's bound it fails with
// ErrDatabaseLocked, so that the Dispatcher reports it as lost.
func TestSQLiteDeadLetterOutwaitsAWriteLock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "outhook.db")
	db := openShortBusy(t, path)
	require.NoError(t, riverengine.MigrateSQLite(ctx, db))
	eng, err := riverengine.NewSQLite(ctx, db, riverengine.WithPublishOnly())
	require.NoError(t, err)
	store := eng.Store()
	dead := func(id string) webhook.DeadLetter {
		return webhook.DeadLetter{DeliveryID: id, WebhookID: "hook", Event: newEvent(t, 1), Outcome: webhook.Failed,
			Reason: "status 503", Attempts: 3, FailedAt: time.Now()}
	}

	holdWriteLock(t, path, time.Second)
	require.NoError(t, store.AddDeadLetter(ctx, dead("d-1")))
	got, err := store.DeadLetters(ctx, "hook", 0)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, "status 503", got[0].Reason)

	riverengine.SetLockWait(t, 300*time.Millisecond)
	released := holdWriteLock(t, path, 1500*time.Millisecond)
	err = store.AddDeadLetter(ctx, dead("d-2"))
	var se *riverengine.StoreError
	require.ErrorAs(t, err, &se)
	require.ErrorIs(t, err, riverengine.ErrDatabaseLocked)
	<-released
	require.NoError(t, store.AddDeadLetter(ctx, dead("d-2")))
}
