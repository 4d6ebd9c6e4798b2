package riverengine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// Remove stops a delivery's retries on the durable engine too: the
// delivery held between retries ends Skipped, with no request after Remove
// returned and no dead letter.
func TestRemoveStopsRetries(t *testing.T) {
	url := needPostgres(t)
	_, eng := newPostgresEngine(t, url, riverengine.WithPollInterval(50*time.Millisecond))
	rc := newReceiver(t, 0, func(string, string, int) int { return 503 })
	invs := make(chan webhook.Invocation, 100)
	slow := webhook.RetryPolicy{MaxAttempts: 5, InitialInterval: webhook.Duration(300 * time.Millisecond), MaxInterval: webhook.Duration(300 * time.Millisecond)}
	d, err := webhook.New(dispatcherOptions(eng, webhook.WithRetryPolicy(slow), webhook.WithBreaker(webhook.BreakerSettings{Threshold: -1}),
		webhook.WithInvocationHook(func(inv webhook.Invocation) { invs <- inv }))...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	_, err = d.Add(hook("hooka", rc.URL))
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), newEvent(t, 1))
	require.NoError(t, err)

	require.Equal(t, webhook.Retrying, (<-invs).Outcome)
	require.NoError(t, d.Remove("hooka"))
	final := <-invs
	require.Equal(t, webhook.Skipped, final.Outcome)
	require.Equal(t, "webhook was removed after 1 attempts", final.Reason)
	_, requests := rc.pairs()
	require.Equal(t, 1, requests, "no request after Remove returned")
	dls, err := d.DeadLetters(context.Background(), "", 0)
	require.NoError(t, err)
	require.Empty(t, dls)
}

// An instance that runs a delivery of a webhook it has not loaded yet
// holds it, counting no attempt, and delivers it once the webhook is
// loaded; one that never loads it makes it a dead letter that says why,
// after the grace period, and another instance can redeliver it.
func TestUnknownWebhookWaitsForIt(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	rc := newReceiver(t, 0, nil)
	// A publishes and runs no job: B runs them all.
	_, engA := newPostgresEngine(t, url, riverengine.WithPublishOnly())
	a, err := webhook.New(dispatcherOptions(engA)...)
	require.NoError(t, err)
	closeDispatcher(t, a)
	_, err = a.Add(hook("late", rc.URL))
	require.NoError(t, err)
	_, err = a.Add(hook("never", rc.URL))
	require.NoError(t, err)

	const grace = 2 * time.Second
	pool, engB := newPostgresEngine(t, url, riverengine.WithPollInterval(50*time.Millisecond))
	b, err := webhook.New(dispatcherOptions(engB, webhook.WithUnknownWebhookGrace(grace))...)
	require.NoError(t, err)
	closeDispatcher(t, b)

	start := time.Now()
	_, err = a.Publish(ctx, newEvent(t, 1))
	require.NoError(t, err)
	eventually(t, 10*time.Second, "B to run both jobs", func() bool {
		var snoozed int
		require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE (metadata->>'snoozes')::int > 0").Scan(&snoozed))
		return snoozed == 2
	})
	_, err = b.Add(hook("late", rc.URL))
	require.NoError(t, err)
	eventually(t, 10*time.Second, "the delivery once B has the webhook", func() bool { n, _ := rc.pairs(); return n == 1 })
	require.Contains(t, rc.snapshot(), "late e-1")

	var dls []webhook.DeadLetter
	eventually(t, 10*time.Second, "the dead letter of the webhook B never loads", func() bool {
		dls, err = b.DeadLetters(ctx, "never", 0)
		require.NoError(t, err)
		return len(dls) == 1
	})
	require.GreaterOrEqual(t, time.Since(start), grace, "not before the grace period")
	require.Contains(t, dls[0].Reason, "webhook never is not registered on this instance")
	require.Zero(t, dls[0].Attempts, "no attempt was made")
	var attempts int
	require.NoError(t, pool.QueryRow(ctx, "SELECT max(attempt) FROM river_job").Scan(&attempts))
	require.Equal(t, 1, attempts, "waiting for the webhook counts no River attempt: each job ran once")

	// A has the webhook, and redelivers it (B takes the job, and now has it too).
	_, err = b.Add(hook("never", rc.URL))
	require.NoError(t, err)
	require.NoError(t, a.Redeliver(ctx, dls[0].DeliveryID))
	eventually(t, 10*time.Second, "the redelivery", func() bool { n, _ := rc.pairs(); return n == 2 })
}
