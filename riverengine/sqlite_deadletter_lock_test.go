package riverengine_test

import (
	"context"
	"net/http"
	"net/http/httptest"
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

// A delivery that fails for good while another connection holds SQLite's
// write lock past its run's bound (the busy timeout short, so that no
// single try waits the lock out) keeps its dead letter all the same: it
// is written once the lock goes, after the run, or by Close, which waits
// for it within its ctx.
func TestSQLiteDeadLetterHeldPastTheRunIsKept(t *testing.T) {
	for _, viaClose := range []bool{false, true} {
		t.Run(map[bool]string{false: "after the run", true: "by Close"}[viaClose], func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "outhook.db")
			db := openShortBusy(t, path)
			require.NoError(t, riverengine.MigrateSQLite(ctx, db))
			const rescueAfter = 2 * time.Second
			eng, err := riverengine.NewSQLite(ctx, db, riverengine.WithPollInterval(20*time.Millisecond), riverengine.WithRescueAfter(rescueAfter))
			require.NoError(t, err)

			conn, err := openSQLite(t, path).Conn(ctx)
			require.NoError(t, err)
			t.Cleanup(func() { _ = conn.Close() })
			locked := make(chan time.Time, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
					t.Errorf("taking the write lock: %v", err)
				}
				locked <- time.Now()
				w.WriteHeader(http.StatusBadRequest)
			}))
			t.Cleanup(srv.Close)

			d, err := webhook.New(dispatcherOptions(eng, webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}))...)
			require.NoError(t, err)
			closeDispatcher(t, d)
			_, err = d.Add(hook("hook", srv.URL))
			require.NoError(t, err)
			_, err = d.Publish(ctx, newEvent(t, 1))
			require.NoError(t, err)

			var at time.Time
			select {
			case at = <-locked:
			case <-time.After(10 * time.Second):
				t.Fatal("no request arrived")
			}
			// Past the run's end: its dead letter has waited all it may.
			time.Sleep(time.Until(at.Add(rescueAfter + 500*time.Millisecond)))
			if viaClose {
				go func() {
					time.Sleep(700 * time.Millisecond)
					_, _ = conn.ExecContext(ctx, "COMMIT")
				}()
				cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
				defer cancel()
				require.NoError(t, d.Close(cctx))
				dls, err := eng.Store().DeadLetters(ctx, "hook", 0)
				require.NoError(t, err)
				require.Len(t, dls, 1, "written before Close returned")
				return
			}
			_, err = conn.ExecContext(ctx, "COMMIT")
			require.NoError(t, err)
			eventually(t, 20*time.Second, "the dead letter", func() bool {
				dls, err := eng.Store().DeadLetters(ctx, "hook", 0)
				require.NoError(t, err)
				return len(dls) == 1
			})
		})
	}
}
