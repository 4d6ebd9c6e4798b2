package riverengine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// River notifies an insert only when its last notification for the queue
// is a fetch cooldown old, and sends none later for those it skipped: a
// delivery published within the cooldown after one that was fetched
// waited for the poll (a minute here; a second by default, the worst
// latencies at a steady rate). The engine notifies the queue two
// cooldowns after River's last notification: the delivery arrives then.
func TestSkippedInsertNotificationIsSentLater(t *testing.T) {
	const cooldown = 2 * time.Second
	url := needPostgres(t)
	_, eng := newPostgresEngine(t, url, riverengine.WithFetchCooldown(cooldown), riverengine.WithPollInterval(time.Minute))
	rc := newReceiver(t, 0, nil)
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	_, err = d.Add(hook("wake", rc.URL))
	require.NoError(t, err)

	// River fetches once at start, which holds its fetches to one per
	// cooldown until then: an insert notified meanwhile waits for its end.
	time.Sleep(cooldown)

	first := time.Now()
	_, err = d.Publish(context.Background(), newEvent(t, 0))
	require.NoError(t, err)
	// Notified by River: fetched and delivered at once. The fetch is over
	// before the second delivery is published.
	eventually(t, cooldown, "the first delivery", func() bool { n, _ := rc.pairs(); return n == 1 })
	second := time.Now()
	_, err = d.Publish(context.Background(), newEvent(t, 1))
	require.NoError(t, err)
	require.Less(t, time.Since(first), cooldown, "the second insert came within River's cooldown, which skips its notification")
	eventually(t, 4*cooldown, "the second delivery", func() bool { n, _ := rc.pairs(); return n == 2 })
	t.Logf("second delivery %s after its Publish", time.Since(second).Round(time.Millisecond))
}

// runRecorder is a Runner that reports the deliveries it runs, each done
// at its first run.
type runRecorder chan string

func (r runRecorder) Run(_ context.Context, d *engine.Delivery) engine.Result {
	r <- d.ID
	return engine.Result{Outcome: engine.Done}
}
func (runRecorder) Abandon(*engine.Delivery, error) {}

// A service's web servers publish on a publish-only instance and its
// workers deliver: River on the publishing instance skips the
// notification of an insert within its cooldown of the last one, and
// the working instances, told of nothing, would wait for their poll (a
// minute here). The publishing instance notifies two cooldowns after
// River's last notification, as a working one does.
func TestPublishOnlyInstanceSendsSkippedInsertNotificationLater(t *testing.T) {
	const cooldown = 2 * time.Second
	url := needPostgres(t)
	ctx := context.Background()
	_, worker := newPostgresEngine(t, url, riverengine.WithPollInterval(time.Minute))
	runs := make(runRecorder, 10)
	require.NoError(t, worker.Start(runs))
	t.Cleanup(func() { require.NoError(t, worker.Close(ctx)) })
	_, publisher := newPostgresEngine(t, url, riverengine.WithPublishOnly(), riverengine.WithFetchCooldown(cooldown), riverengine.WithPollInterval(time.Minute))
	require.NoError(t, publisher.Start(idleRunner{}))
	t.Cleanup(func() { require.NoError(t, publisher.Close(ctx)) })

	enqueue := func(id string) {
		require.NoError(t, publisher.Enqueue(ctx, nil, []*engine.Delivery{{ID: id, WebhookID: "h", Event: newEvent(t, 1), Created: time.Now()}}))
	}
	first := time.Now()
	enqueue("first") // River notifies it
	select {
	case id := <-runs:
		require.Equal(t, "first", id)
	case <-time.After(cooldown):
		t.Fatal("the first delivery was not fetched at its insert")
	}
	second := time.Now()
	enqueue("second")
	require.Less(t, time.Since(first), cooldown, "the second insert came within River's cooldown, which skips its notification")
	select {
	case id := <-runs:
		require.Equal(t, "second", id)
		t.Logf("second delivery run %s after its Enqueue", time.Since(second).Round(time.Millisecond))
	case <-time.After(4 * cooldown):
		t.Fatal("the second delivery waited for the poll: no one told the queue of its insert")
	}
}

// River decides whether to notify an insert inside its transaction,
// before the commit; a commit that takes long (a synchronous standby, a
// deferred trigger) returns a cooldown after the insert River notified,
// though River skipped it. The engine must not take it for one River
// notified: its job, committed after the fetch River's notification
// caused, would wait for the poll (a minute here).
func TestSlowCommitOfASkippedInsertIsNotified(t *testing.T) {
	const cooldown = time.Second
	url := needPostgres(t)
	ctx := context.Background()
	pool, eng := newPostgresEngine(t, url, riverengine.WithFetchCooldown(cooldown), riverengine.WithPollInterval(time.Minute))
	_, err := pool.Exec(ctx, `CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.args->>'delivery_id' = 'slow' THEN PERFORM pg_sleep(1.5); END IF; RETURN NULL; END $$`)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON river_job
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()`)
	require.NoError(t, err)
	runs := make(runRecorder, 10)
	require.NoError(t, eng.Start(runs))
	t.Cleanup(func() { require.NoError(t, eng.Close(ctx)) })
	// River fetches once at start, which holds its fetches to one per
	// cooldown until then.
	time.Sleep(cooldown)

	enqueue := func(id string) {
		require.NoError(t, eng.Enqueue(ctx, nil, []*engine.Delivery{{ID: id, WebhookID: "h", Event: newEvent(t, 1), Created: time.Now()}}))
	}
	first := time.Now()
	enqueue("first") // River notifies it
	select {
	case id := <-runs:
		require.Equal(t, "first", id)
	case <-time.After(cooldown):
		t.Fatal("the first delivery was not fetched at its insert")
	}
	require.Less(t, time.Since(first), cooldown/2)
	enqueue("slow") // River skips it, within its cooldown; committed 1.5 s later
	committed := time.Now()
	require.Greater(t, committed.Sub(first), cooldown, "the commit came back within the cooldown")
	select {
	case id := <-runs:
		require.Equal(t, "slow", id)
		t.Logf("slow delivery run %s after its commit", time.Since(committed).Round(time.Millisecond))
	case <-time.After(4 * cooldown):
		t.Fatal("the slow delivery waited for the poll: no one told the queue of its insert")
	}
}
