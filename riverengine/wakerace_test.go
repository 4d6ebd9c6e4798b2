package riverengine_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/riverengine"
)

// holdingRunner holds every run of a delivery for an hour, as an open
// breaker does, until open is closed; it tells each run's start on
// started, and waits for release before it returns.
type holdingRunner struct {
	started chan int // the run's number, from 1
	release chan struct{}
	open    chan struct{} // closed: the breaker is closed, runs end
	runs    atomic.Int32
	// outcome is what a run returns until open is closed: Held, or
	// Retry (an endpoint down).
	outcome engine.Outcome
}

func (r *holdingRunner) Run(ctx context.Context, d *engine.Delivery) engine.Result {
	// The run decides before it tells its start, so that a run told
	// started before open closed always waits for release.
	n := int(r.runs.Add(1))
	select {
	case <-r.open:
		r.started <- n
		return engine.Result{Outcome: engine.Done}
	default:
	}
	r.started <- n
	<-r.release
	return engine.Result{Outcome: r.outcome, Delay: time.Hour}
}

// releaseRun lets the run waiting for release return, or fails the test
// when none waits.
func releaseRun(t *testing.T, r *holdingRunner) {
	t.Helper()
	select {
	case r.release <- struct{}{}:
	case <-time.After(15 * time.Second):
		t.Fatal("no run waits to be released")
	}
}

func (*holdingRunner) Abandon(*engine.Delivery, error) {}

// A breaker reset whose WakeHeld comes while a held delivery's run is
// under way, or just after it ended held, before River has written its
// snooze, still has that delivery run again at once rather than after
// the hour it was held for.
func TestWakeHeldCatchesARunEndingHeld(t *testing.T) {
	for _, when := range []string{"during the run", "after the run"} {
		t.Run(when, func(t *testing.T) {
			for _, db := range []string{"postgres", "sqlite"} {
				t.Run(db, func(t *testing.T) {
					var eng *riverengine.Engine
					if db == "postgres" {
						_, eng = newPostgresEngine(t, needPostgres(t))
					} else {
						_, eng = newSQLiteEngine(t)
					}
					r := &holdingRunner{started: make(chan int, 4), release: make(chan struct{}), open: make(chan struct{}), outcome: engine.Held}
					require.NoError(t, eng.Start(r))
					t.Cleanup(func() {
						ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
						defer cancel()
						_ = eng.Close(ctx)
					})
					ctx := context.Background()
					require.NoError(t, eng.Enqueue(ctx, nil, []*engine.Delivery{{ID: "d-1", WebhookID: "hook", Event: newEvent(t, 1), Created: time.Now()}}))
					waitRun(t, r.started, 1)
					close(r.open) // the breaker reset: later runs deliver
					if when == "during the run" {
						_, err := eng.WakeHeld(ctx, "hook")
						require.NoError(t, err)
						releaseRun(t, r)
					} else {
						releaseRun(t, r)
						_, err := eng.WakeHeld(ctx, "hook")
						require.NoError(t, err)
					}
					waitRun(t, r.started, 2)
				})
			}
		})
	}
}

func waitRun(t *testing.T, started <-chan int, want int) {
	t.Helper()
	select {
	case n := <-started:
		require.Equal(t, want, n)
	case <-time.After(15 * time.Second):
		t.Fatalf("run %d did not start", want)
	}
}

// A webhook deleted while an attempt of one of its deliveries is under
// way, which ends due for a retry in an hour, has that delivery run again
// at once (the Dispatcher's Runner then ends it, skipped).
func TestWakeRemovedCatchesAnAttemptEndingInRetry(t *testing.T) {
	for _, db := range []string{"postgres", "sqlite"} {
		t.Run(db, func(t *testing.T) {
			var eng *riverengine.Engine
			if db == "postgres" {
				_, eng = newPostgresEngine(t, needPostgres(t))
			} else {
				_, eng = newSQLiteEngine(t)
			}
			r := &holdingRunner{started: make(chan int, 4), release: make(chan struct{}), open: make(chan struct{}), outcome: engine.Retry}
			require.NoError(t, eng.Start(r))
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = eng.Close(ctx)
			})
			ctx := context.Background()
			require.NoError(t, eng.Enqueue(ctx, nil, []*engine.Delivery{{ID: "d-1", WebhookID: "hook", Event: newEvent(t, 1), Created: time.Now()}}))
			waitRun(t, r.started, 1)
			close(r.open)
			_, err := eng.WakeRemoved(ctx, "hook")
			require.NoError(t, err)
			releaseRun(t, r)
			waitRun(t, r.started, 2)
		})
	}
}

// A webhook deleted just after an attempt of one of its deliveries ended
// due for a retry in an hour, before River has written that retry (its
// completer is held up), still has the delivery run again at once.
func TestWakeRemovedCatchesARetryNotWrittenYet(t *testing.T) {
	pool, eng := newPostgresEngine(t, needPostgres(t))
	r := &holdingRunner{started: make(chan int, 4), release: make(chan struct{}), open: make(chan struct{}), outcome: engine.Retry}
	require.NoError(t, eng.Start(r))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Close(ctx)
	})
	ctx := context.Background()
	require.NoError(t, eng.Enqueue(ctx, nil, []*engine.Delivery{{ID: "d-1", WebhookID: "hook", Event: newEvent(t, 1), Created: time.Now()}}))
	waitRun(t, r.started, 1)
	// The job's row locked: River's completer waits to write the retry.
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	var id int64
	require.NoError(t, tx.QueryRow(ctx, `SELECT id FROM river_job WHERE state = 'running' FOR UPDATE`).Scan(&id))
	close(r.open)
	releaseRun(t, r)
	eventually(t, 15*time.Second, "the completer waiting for the job's row", func() bool {
		var waiting int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype IN ('tuple', 'transactionid')`).Scan(&waiting))
		return waiting > 0
	})

	woke := make(chan error, 1)
	go func() {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, err := eng.WakeRemoved(wctx, "hook")
		woke <- err
	}()
	// The completer held up for a while, or until WakeRemoved returns.
	select {
	case err := <-woke:
		woke <- err
	case <-time.After(time.Second):
	}
	require.NoError(t, tx.Commit(ctx))
	require.NoError(t, <-woke)
	waitRun(t, r.started, 2)
}
