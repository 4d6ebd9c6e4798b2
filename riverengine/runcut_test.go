package riverengine_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// stuckTransport holds its first request past any deadline, heeding no
// ctx, then fails it; it answers the others 200 at once.
type stuckTransport struct {
	hold  time.Duration
	calls atomic.Int32
}

func (s *stuckTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if s.calls.Add(1) == 1 {
		time.Sleep(s.hold)
		return nil, errors.New("the transport stalled")
	}
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
}

// The record of an attempt cut by River's job timeout (WithRescueAfter),
// which it outlasted with its margin, says so, naming the bound; it does
// not say that the engine is stopping, which the record of an attempt cut
// by Close still says.
func TestRecordOfARunCutByTheJobTimeoutSaysSo(t *testing.T) {
	ctx := context.Background()
	// The transport, heeding no ctx, holds the run past its cut, a
	// quarter of its 1 s margin before River's rescue horizon, and lets
	// it go before the horizon, so that River's completion of the
	// cut run beats River's rescuer, whose first look may fall then: a
	// rescued run counts as an attempt.
	_, eng := newSQLiteEngine(t, riverengine.WithPollInterval(20*time.Millisecond), riverengine.WithRescueAfter(4*time.Second))
	tr := &stuckTransport{hold: 3800 * time.Millisecond}
	d, err := webhook.New(dispatcherOptions(eng, webhook.WithHTTPClient(&http.Client{Transport: tr}),
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 3, InitialInterval: webhook.Duration(10 * time.Millisecond)}))...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	_, err = d.Add(hook("hook", "http://127.0.0.1:1/hook"))
	require.NoError(t, err)
	_, err = d.Publish(ctx, newEvent(t, 1))
	require.NoError(t, err)

	var invs []webhook.Invocation
	eventually(t, 20*time.Second, "the cut attempt recorded, then the delivery", func() bool {
		invs, err = eng.Store().Invocations(ctx, "hook", 0)
		require.NoError(t, err)
		return len(invs) == 2
	})
	cut := invs[1]
	require.Equal(t, webhook.Retrying, cut.Outcome)
	require.NotContains(t, cut.Reason, "the engine is stopping")
	require.Contains(t, cut.Reason, "job timeout")
	require.Contains(t, cut.Reason, "4s")
	require.Contains(t, cut.Reason, "counts for nothing")
	require.Equal(t, webhook.Delivered, invs[0].Outcome)
	require.Equal(t, 1, invs[0].Attempt, "the cut attempt is uncounted")
}

// The record of an attempt cut by Close says that the engine is stopping.
func TestRecordOfARunCutByCloseSaysTheEngineIsStopping(t *testing.T) {
	ctx := context.Background()
	_, eng := newSQLiteEngine(t, riverengine.WithPollInterval(20*time.Millisecond))
	stalled := newReceiver(t, time.Minute, nil)
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	_, err = d.Add(hook("hook", stalled.URL))
	require.NoError(t, err)
	_, err = d.Publish(ctx, newEvent(t, 1))
	require.NoError(t, err)
	eventually(t, 10*time.Second, "an attempt in flight", func() bool { return stalled.peakInFlight() == 1 })
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, d.Close(short), context.DeadlineExceeded)
	invs, err := eng.Store().Invocations(ctx, "hook", 0)
	require.NoError(t, err)
	require.Len(t, invs, 1)
	require.Contains(t, invs[0].Reason, "the engine is stopping")
}

// lockingTransport takes SQLite's write lock through conn when its first
// request arrives, then holds that request past any deadline, heeding no
// ctx, and fails it; it answers the others 200 at once.
type lockingTransport struct {
	conn   *sql.Conn
	hold   time.Duration
	calls  atomic.Int32
	locked chan time.Time
}

func (l *lockingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if l.calls.Add(1) == 1 {
		if _, err := l.conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
			return nil, err
		}
		l.locked <- time.Now()
		time.Sleep(l.hold)
		return nil, errors.New("the transport stalled")
	}
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
}

// A run cut by River's job timeout has reached the rescue horizon
// already: its attempt's record, kept out by another connection's write
// lock, is left to be written after the run rather than holding it there
// (up to a minute), where River's rescuer would run the job again while
// the cut run's late end is still to be written over the new run's state.
func TestSQLiteRunCutWhileTheWriteLockIsHeldEndsAtOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "outhook.db")
	db := openSQLite(t, path)
	require.NoError(t, riverengine.MigrateSQLite(ctx, db))
	logs := &logSink{min: slog.LevelWarn}
	eng, err := riverengine.NewSQLite(ctx, db, riverengine.WithPollInterval(20*time.Millisecond),
		riverengine.WithRescueAfter(600*time.Millisecond), riverengine.WithLogger(slog.New(logs)))
	require.NoError(t, err)
	conn, err := openSQLite(t, path).Conn(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	tr := &lockingTransport{conn: conn, hold: 900 * time.Millisecond, locked: make(chan time.Time, 1)}
	d, err := webhook.New(dispatcherOptions(eng, webhook.WithHTTPClient(&http.Client{Transport: tr}),
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 3, InitialInterval: webhook.Duration(10 * time.Millisecond)}))...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	_, err = d.Add(hook("hook", "http://127.0.0.1:1/hook"))
	require.NoError(t, err)
	_, err = d.Publish(ctx, newEvent(t, 1))
	require.NoError(t, err)

	var at time.Time
	select {
	case at = <-tr.locked:
	case <-time.After(10 * time.Second):
		t.Fatal("no request arrived")
	}
	cut := func() bool {
		for _, m := range logs.logged() {
			if strings.Contains(m, "was cut") {
				return true
			}
		}
		return false
	}
	// The run is cut 600 ms in; the lock is held until 3 s in.
	for time.Since(at) < 3*time.Second && !cut() {
		time.Sleep(20 * time.Millisecond)
	}
	ended := cut()
	_, err = conn.ExecContext(ctx, "COMMIT")
	require.NoError(t, err)
	require.True(t, ended, "the cut run waited for the lock to end; logged: %v", logs.logged())

	eventually(t, 20*time.Second, "the cut attempt recorded, then the delivery", func() bool {
		invs, err := eng.Store().Invocations(ctx, "hook", 0)
		require.NoError(t, err)
		return len(invs) == 2 && invs[0].Outcome == webhook.Delivered
	})
}
