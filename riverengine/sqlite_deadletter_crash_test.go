package riverengine_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// A dead letter left past its run while another connection keeps
// SQLite's write lock, when Close comes with its ctx already ended (a
// process stopping at once), holds Close no longer than it promises
// (River's hard stop, retrying the job's state for about 45 s at most,
// then 5 s at least for the writes left), and is not lost silently: the
// log says how many were given up.
func TestSQLiteDeadLetterLeftAtAnAbruptCloseIsLogged(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "outhook.db")
	db := openShortBusy(t, path)
	require.NoError(t, riverengine.MigrateSQLite(ctx, db))
	const rescueAfter = 2 * time.Second
	logs := &logSink{min: slog.LevelWarn}
	eng, err := riverengine.NewSQLite(ctx, db, riverengine.WithPollInterval(20*time.Millisecond),
		riverengine.WithRescueAfter(rescueAfter), riverengine.WithLogger(slog.New(logs)))
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
	time.Sleep(time.Until(at.Add(rescueAfter + 500*time.Millisecond)))

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	start := time.Now()
	_ = d.Close(cctx)
	took := time.Since(start)
	_, err = conn.ExecContext(ctx, "ROLLBACK")
	require.NoError(t, err)
	require.Less(t, took, 55*time.Second)
	found := false
	for _, m := range logs.logged() {
		if strings.Contains(m, "dead letters given up at Close") && strings.Contains(m, "dead_letters=1") {
			found = true
		}
	}
	require.True(t, found, "logged: %q", logs.logged())
	t.Logf("Close took %s; logged %q", took, logs.logged())
}
