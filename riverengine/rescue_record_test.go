package riverengine_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// A delivery whose invocation record waits for SQLite's write lock,
// which another connection holds past the run's margin and past River's
// rescue horizon, is not sent again when River's rescuer, taking the
// lock first once it goes, makes the job available again before its
// completion is written. The record is written once the lock goes, and
// the delivery has one request and one record. River's rescuer looks
// every 30 s; the test runs its UPDATE itself, in the transaction that
// holds the lock, as a look falling right then would.
func TestSQLiteDeliveryRescuedWhileItsRecordWaitsIsSentOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "outhook.db")
	db := openSQLite(t, path)
	require.NoError(t, riverengine.MigrateSQLite(ctx, db))
	const rescueAfter = 2 * time.Second
	eng, err := riverengine.NewSQLite(ctx, db, riverengine.WithPollInterval(20*time.Millisecond), riverengine.WithRescueAfter(rescueAfter))
	require.NoError(t, err)

	other := openSQLite(t, path)
	conn, err := other.Conn(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	var mu sync.Mutex
	var ids []string
	locked := make(chan time.Time, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ids = append(ids, r.Header.Get("webhook-id"))
		first := len(ids) == 1
		mu.Unlock()
		if first {
			// The write lock is taken before the answer, so that the
			// attempt's record finds it held.
			_, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE")
			if err != nil {
				t.Errorf("taking the write lock: %v", err)
			}
			locked <- time.Now()
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)

	d, err := webhook.New(dispatcherOptions(eng)...)
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
	time.Sleep(time.Until(at.Add(rescueAfter + 300*time.Millisecond)))
	res, err := conn.ExecContext(ctx, `UPDATE river_job SET
		errors = jsonb(json_insert(json(coalesce(errors, jsonb('[]'))), '$[#]',
			json_object('at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'attempt', attempt, 'error', 'Stuck job rescued by JobRescuer', 'trace', ''))),
		state = 'retryable', scheduled_at = attempted_at
		WHERE state = 'running'`)
	require.NoError(t, err)
	rescued, err := res.RowsAffected()
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, "COMMIT")
	require.NoError(t, err)
	require.EqualValues(t, 1, rescued, "the job was still running at the rescue horizon, its completion kept out by the lock")

	// The record left queued past the run is written by the group's
	// writer, which waits with backoff for the lock: River's completion
	// of the job may land first.
	var invs []webhook.Invocation
	eventually(t, 20*time.Second, "the job ended and its record written", func() bool {
		var n int
		require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE state IN ('completed', 'discarded', 'cancelled')`).Scan(&n))
		invs, err = eng.Store().Invocations(ctx, "hook", 0)
		require.NoError(t, err)
		return n == 1 && len(invs) > 0
	})
	require.Len(t, invs, 1)
	require.Equal(t, webhook.Delivered, invs[0].Outcome)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, ids, 1, "requests under webhook-ids %v", ids)
}

// A delivery that fails for good while another connection holds SQLite's
// write lock makes its dead letter once the lock goes, past the run's
// bound: the attempt's record, made after, is still written, although
// the run's ctx has ended by then.
func TestSQLiteRecordAfterADeadLetterHeldPastTheRunIsWritten(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "outhook.db")
	db := openSQLite(t, path)
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
	// Past the run's end, short of SQLite's busy timeout (10 s), which
	// the dead letter's write waits.
	time.Sleep(time.Until(at.Add(rescueAfter + 500*time.Millisecond)))
	_, err = conn.ExecContext(ctx, "COMMIT")
	require.NoError(t, err)

	eventually(t, 20*time.Second, "the dead letter and the attempt's record", func() bool {
		dls, err := eng.Store().DeadLetters(ctx, "hook", 0)
		require.NoError(t, err)
		invs, err := eng.Store().Invocations(ctx, "hook", 0)
		require.NoError(t, err)
		return len(dls) == 1 && len(invs) == 1 && invs[0].Outcome == webhook.Failed
	})
}
