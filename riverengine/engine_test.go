package riverengine_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

func TestNewRequiresMigrate(t *testing.T) {
	url := needPostgres(t)
	pool := newPool(t, url)
	ctx := context.Background()
	_, err := riverengine.New(ctx, pool)
	require.ErrorIs(t, err, riverengine.ErrNotMigrated)
	require.NoError(t, riverengine.Migrate(ctx, pool))
	require.NoError(t, riverengine.Migrate(ctx, pool), "Migrate again is harmless")
	_, err = riverengine.New(ctx, pool)
	require.NoError(t, err)
}

// A rolled-back PublishTx delivers nothing; a committed one delivers.
func TestPublishTx(t *testing.T) {
	url := needPostgres(t)
	pool, eng := newPostgresEngine(t, url, riverengine.WithPollInterval(100*time.Millisecond))
	rc := newReceiver(t, 0, nil)
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	_, err = d.Add(hook("hooka", rc.URL))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = pool.Exec(ctx, "CREATE TABLE access_request (id text PRIMARY KEY)")
	require.NoError(t, err)

	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "INSERT INTO access_request VALUES ('r1')")
	require.NoError(t, err)
	pub, err := d.PublishTx(ctx, tx, newEvent(t, 1))
	require.NoError(t, err)
	require.Len(t, pub.Deliveries, 1)
	require.NoError(t, tx.Rollback(ctx))
	time.Sleep(time.Second)
	_, total := rc.pairs()
	require.Zero(t, total, "a rolled-back publish must deliver nothing")
	var jobs int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM river_job").Scan(&jobs))
	require.Zero(t, jobs)

	tx, err = pool.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "INSERT INTO access_request VALUES ('r2')")
	require.NoError(t, err)
	_, err = d.PublishTx(ctx, tx, newEvent(t, 2))
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	eventually(t, 10*time.Second, "the committed publish to deliver", func() bool { _, n := rc.pairs(); return n == 1 })
	require.Contains(t, rc.snapshot(), "hooka e-2")

	sqlTx, err := openSQLite(t, filepath.Join(t.TempDir(), "other.db")).BeginTx(ctx, nil)
	require.NoError(t, err)
	defer sqlTx.Rollback()
	_, err = d.PublishTx(ctx, sqlTx, newEvent(t, 3))
	require.ErrorIs(t, err, riverengine.ErrWrongDatabase)
	require.ErrorIs(t, err, engine.ErrTxUnsupported)
}

// PublishTx on SQLite: rollback delivers nothing, commit delivers.
func TestPublishSQLTx(t *testing.T) {
	db, eng := newSQLiteEngine(t, riverengine.WithPollInterval(50*time.Millisecond))
	rc := newReceiver(t, 0, nil)
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	_, err = d.Add(hook("hooka", rc.URL))
	require.NoError(t, err)
	ctx := context.Background()
	for _, commit := range []bool{false, true} {
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = d.PublishTx(ctx, tx, newEvent(t, 7))
		require.NoError(t, err)
		if commit {
			require.NoError(t, tx.Commit())
		} else {
			require.NoError(t, tx.Rollback())
			time.Sleep(500 * time.Millisecond)
			_, n := rc.pairs()
			require.Zero(t, n)
		}
	}
	eventually(t, 10*time.Second, "the committed publish to deliver", func() bool { _, n := rc.pairs(); return n == 1 })
}

// A failed attempt is a River error (an attempt); a rate-limited wait is a
// snooze (none). River's attempt count matches the HTTP attempts.
func TestAttemptAccounting(t *testing.T) {
	url := needPostgres(t)
	pool, eng := newPostgresEngine(t, url, riverengine.WithPollInterval(50*time.Millisecond))
	rc := newReceiver(t, 0, func(hook, _ string, n int) int {
		if hook == "flaky" && n == 1 {
			return 503
		}
		return 200
	})
	fast := webhook.RetryPolicy{InitialInterval: webhook.Duration(20 * time.Millisecond), MaxInterval: webhook.Duration(50 * time.Millisecond)}
	d, err := webhook.New(dispatcherOptions(eng, webhook.WithRetryPolicy(fast), webhook.WithBreaker(webhook.BreakerSettings{Threshold: -1}))...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	_, err = d.Add(hook("flaky", rc.URL))
	require.NoError(t, err)
	limited := hook("limited", rc.URL)
	limited.Delivery = &webhook.DeliverySettings{RateLimit: &webhook.RateLimit{Requests: 20, Per: webhook.Duration(time.Second), Burst: 1}}
	_, err = d.Add(limited)
	require.NoError(t, err)
	for i := range 10 {
		_, err := d.Publish(context.Background(), newEvent(t, i))
		require.NoError(t, err)
	}
	ctx := context.Background()
	defer func() {
		if t.Failed() {
			rows, _ := pool.Query(ctx, "SELECT args->>'webhook_id', state, attempt, scheduled_at - now(), errors::text FROM river_job WHERE state <> 'completed' LIMIT 5")
			for rows.Next() {
				var id, state string
				var a int
				var due time.Duration
				var errs *string
				_ = rows.Scan(&id, &state, &a, &due, &errs)
				t.Logf("%s %s attempt=%d due in %s %v", id, state, a, due, errs)
			}
		}
	}()
	eventually(t, 20*time.Second, "every job to complete", func() bool {
		var n int
		require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE state = 'completed'").Scan(&n))
		return n == 20
	})
	rows, err := pool.Query(ctx, `SELECT args->>'webhook_id', attempt, coalesce((metadata->>'snoozes')::int, 0) FROM river_job`)
	require.NoError(t, err)
	snoozes := 0
	for rows.Next() {
		var id string
		var attempt, snoozed int
		require.NoError(t, rows.Scan(&id, &attempt, &snoozed))
		if id == "flaky" {
			require.Equal(t, 2, attempt, "one failed attempt, one delivered")
		} else {
			require.Equal(t, 1, attempt, "rate-limit waits are no attempts")
			snoozes += snoozed
		}
	}
	require.NoError(t, rows.Err())
	require.Positive(t, snoozes, "the rate limit held some deliveries back")
	invs, err := d.Invocations(ctx, "flaky", 0)
	require.NoError(t, err)
	require.Len(t, invs, 20)
	require.Equal(t, webhook.Delivered, invs[0].Outcome)
}

// A retry due at once (FastRetries' nanosecond) is made at once, not on
// River's schedule for a retry time already past (1 s, then 16 s).
func TestShortRetryDelay(t *testing.T) {
	url := needPostgres(t)
	_, eng := newPostgresEngine(t, url, riverengine.WithPollInterval(50*time.Millisecond))
	rc := newReceiver(t, 0, func(_, _ string, n int) int {
		if n <= 2 {
			return 503
		}
		return 200
	})
	d, err := webhook.New(dispatcherOptions(eng, webhook.WithRetryPolicy(webhooktest.FastRetries),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: -1}))...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	_, err = d.Add(hook("hooka", rc.URL))
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), newEvent(t, 1))
	require.NoError(t, err)
	eventually(t, 3*time.Second, "the third attempt", func() bool { _, n := rc.pairs(); return n == 3 })
}

// Three Dispatchers on one database share the work.
func TestMultiInstance(t *testing.T) {
	url := needPostgres(t)
	rc := newReceiver(t, 10*time.Millisecond, nil)
	const instances, events = 3, 600
	var mu sync.Mutex
	spread := make([]int, instances)
	var ds []*webhook.Dispatcher
	for i := range instances {
		_, eng := newPostgresEngine(t, url, riverengine.WithWorkers(8))
		d, err := webhook.New(dispatcherOptions(eng, webhook.WithInvocationHook(func(inv webhook.Invocation) {
			if inv.Outcome == webhook.Delivered {
				mu.Lock()
				spread[i]++
				mu.Unlock()
			}
		}))...)
		require.NoError(t, err)
		closeDispatcher(t, d)
		_, err = d.Add(hook("hooka", rc.URL))
		require.NoError(t, err)
		ds = append(ds, d)
	}
	start := time.Now()
	for n := range events {
		_, err := ds[n%instances].Publish(context.Background(), newEvent(t, n))
		require.NoError(t, err)
	}
	eventually(t, time.Minute, "every delivery", func() bool { distinct, _ := rc.pairs(); return distinct == events })
	mu.Lock()
	defer mu.Unlock()
	_, total := rc.pairs()
	t.Logf("%d deliveries in %s across %d instances: %v (%d requests)", events, time.Since(start).Round(time.Millisecond), instances, spread, total)
	for i, n := range spread {
		require.Positive(t, n, "instance %d did no work", i)
	}
}

// A dead letter is shared: two instances redeliver it at once, one wins,
// and the receiver gets it again under the same webhook-id.
func TestDeadLetterRedeliverOnce(t *testing.T) {
	url := needPostgres(t)
	rc := newReceiver(t, 0, func(_, _ string, n int) int {
		if n == 1 {
			return 400
		}
		return 200
	})
	var ds []*webhook.Dispatcher
	for range 2 {
		_, eng := newPostgresEngine(t, url)
		d, err := webhook.New(dispatcherOptions(eng)...)
		require.NoError(t, err)
		closeDispatcher(t, d)
		_, err = d.Add(hook("hooka", rc.URL))
		require.NoError(t, err)
		ds = append(ds, d)
	}
	ctx := context.Background()
	pub, err := ds[0].Publish(ctx, newEvent(t, 1))
	require.NoError(t, err)
	var dls []webhook.DeadLetter
	eventually(t, 10*time.Second, "the dead letter", func() bool {
		dls, err = ds[1].DeadLetters(ctx, "", 0)
		require.NoError(t, err)
		return len(dls) == 1
	})
	require.Equal(t, pub.Deliveries[0].DeliveryID, dls[0].DeliveryID)
	require.Equal(t, string(newEvent(t, 1).JSON()), string(dls[0].Event.JSON()), "the event is kept byte for byte")

	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Go(func() { errs[i] = d.Redeliver(ctx, dls[0].DeliveryID) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			require.ErrorIs(t, err, webhook.ErrNotFound)
		}
	}
	require.Equal(t, 1, won)
	eventually(t, 10*time.Second, "the redelivery", func() bool { _, n := rc.pairs(); return n == 2 })
	ids := rc.snapshot()["hooka e-1"]
	require.Equal(t, ids[0], ids[1])
	require.Equal(t, pub.Deliveries[0].DeliveryID, ids[0])
}

// Close waits for the attempts in flight.
func TestClose(t *testing.T) {
	url := needPostgres(t)
	_, eng := newPostgresEngine(t, url)
	rc := newReceiver(t, 2*time.Second, nil)
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	_, err = d.Add(hook("hooka", rc.URL))
	require.NoError(t, err)
	for i := range 5 {
		_, err := d.Publish(context.Background(), newEvent(t, i))
		require.NoError(t, err)
	}
	eventually(t, 10*time.Second, "attempts in flight", func() bool { rc.mu.Lock(); defer rc.mu.Unlock(); return rc.inFlight == 5 })
	require.NoError(t, d.Close(context.Background()))
	distinct, _ := rc.pairs()
	require.Equal(t, 5, distinct, "Close drains the attempts in flight")
	require.ErrorIs(t, eng.Enqueue(context.Background(), nil, []*engine.Delivery{{}}), webhook.ErrClosed)
}

// Close cut short by its ctx cancels the attempt in flight but keeps its
// job, counting no attempt and making no dead letter; an engine started
// later on the same database delivers it, under the same webhook-id.
func TestCloseCutKeepsDelivery(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	pool, eng := newPostgresEngine(t, url)
	stalled := newReceiver(t, time.Minute, nil)
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	_, err = d.Add(hook("hooka", stalled.URL))
	require.NoError(t, err)
	pub, err := d.Publish(ctx, newEvent(t, 9))
	require.NoError(t, err)
	eventually(t, 10*time.Second, "an attempt in flight", func() bool { return stalled.peakInFlight() == 1 })
	cut, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, d.Close(cut), context.DeadlineExceeded)

	dls, err := eng.Store().DeadLetters(ctx, "", 0)
	require.NoError(t, err)
	require.Empty(t, dls, "a cut attempt is no failure")
	var state string
	var attempt int
	require.NoError(t, pool.QueryRow(ctx, "SELECT state, attempt FROM river_job").Scan(&state, &attempt))
	require.Equal(t, "available", state, "the job stays queued")
	require.Zero(t, attempt, "the cut attempt counts for nothing")

	_, eng = newPostgresEngine(t, url, riverengine.WithPollInterval(50*time.Millisecond))
	rc := newReceiver(t, 0, nil)
	d, err = webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	_, err = d.Add(hook("hooka", rc.URL))
	require.NoError(t, err)
	eventually(t, 10*time.Second, "the delivery after the restart", func() bool { _, n := rc.pairs(); return n == 1 })
	require.Equal(t, []string{pub.Deliveries[0].DeliveryID}, rc.snapshot()["hooka e-9"], "the same webhook-id")
	// The receiver answers before the record is written.
	var invs []webhook.Invocation
	eventually(t, 10*time.Second, "the delivery's record", func() bool {
		invs, err = d.Invocations(ctx, "hooka", 0)
		return err == nil && len(invs) > 0 && invs[0].Outcome == webhook.Delivered
	})
	require.Equal(t, 1, invs[0].Attempt, "the cut attempt is not counted against the retry policy")
	for _, inv := range invs[1:] {
		t.Logf("earlier record: attempt %d %s %q", inv.Attempt, inv.Outcome, inv.Reason)
	}
	dls, err = eng.Store().DeadLetters(ctx, "", 0)
	require.NoError(t, err)
	require.Empty(t, dls)
}

// A fetch cooldown longer than the default poll makes the poll as long,
// on both databases: River refuses a poll shorter than the cooldown.
func TestLongFetchCooldownAlone(t *testing.T) {
	ctx := context.Background()
	opt := riverengine.WithFetchCooldown(2 * riverengine.DefaultPollInterval)
	pool := newPool(t, needPostgres(t))
	require.NoError(t, riverengine.Migrate(ctx, pool))
	_, err := riverengine.New(ctx, pool, opt)
	require.NoError(t, err, "PostgreSQL")
	db := openSQLite(t, filepath.Join(t.TempDir(), "outhook.db"))
	require.NoError(t, riverengine.MigrateSQLite(ctx, db))
	_, err = riverengine.NewSQLite(ctx, db, opt)
	require.NoError(t, err, "SQLite")
}
