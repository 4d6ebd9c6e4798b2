package webhook_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/webhook"
)

// slowRetries leaves time between attempts for the registry to change.
var slowRetries = webhook.RetryPolicy{MaxAttempts: 5, InitialInterval: webhook.Duration(200 * time.Millisecond), MaxInterval: webhook.Duration(200 * time.Millisecond)}

// waitOutcome waits for the first invocation with outcome.
func waitOutcome(t *testing.T, invs chan webhook.Invocation, outcome webhook.Outcome) webhook.Invocation {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case inv := <-invs:
			if inv.Outcome == outcome {
				return inv
			}
		case <-timeout:
			t.Fatalf("no %s invocation", outcome)
		}
	}
}

// A delivery between retries when its webhook is removed makes no further
// request: it ends Skipped, and is no dead letter.
func TestRemoveStopsRetries(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	d, invs := newDispatcher(t, webhook.WithRetryPolicy(slowRetries), webhook.WithBreaker(webhook.BreakerSettings{Threshold: -1}))
	w, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Approved))
	require.NoError(t, err)

	waitOutcome(t, invs, webhook.Retrying)
	require.NoError(t, d.Remove(w.ID))
	final := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Skipped, final.Outcome)
	require.Equal(t, "webhook was removed after 1 attempts", final.Reason)
	require.Len(t, rc.got(), 1, "no request after Remove returned")
	dls, err := d.DeadLetters(context.Background(), "", 0)
	require.NoError(t, err)
	require.Empty(t, dls, "a removed webhook's delivery is no dead letter")
}

// A delivery between retries when its webhook is updated keeps the
// definition and the body of its first attempt.
func TestUpdateKeepsRetriesOnTheirDefinition(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	d, invs := newDispatcher(t, webhook.WithRetryPolicy(slowRetries), webhook.WithBreaker(webhook.BreakerSettings{Threshold: -1}))
	w, err := d.Add(torqLike(rc.URL + "/old"))
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Approved))
	require.NoError(t, err)

	waitOutcome(t, invs, webhook.Retrying)
	w.URL, w.BodyTemplate = rc.URL+"/new", `{"changed":true}`
	_, err = d.Update(w)
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, waitFinal(t, invs, 1)[0].Outcome)
	got := rc.got()
	require.Len(t, got, 2)
	require.Equal(t, "/old", got[1].path)
	require.Equal(t, got[0].body, got[1].body)
}

// stepEngine hands deliveries to the test, which makes their attempts.
type stepEngine struct {
	runner engine.Runner
}

func (e *stepEngine) Start(r engine.Runner) error { e.runner = r; return nil }
func (e *stepEngine) Enqueue(context.Context, engine.Tx, []*engine.Delivery) error {
	return nil
}
func (e *stepEngine) Stats(context.Context) (engine.Stats, error) { return engine.Stats{}, nil }
func (e *stepEngine) Close(context.Context) error                 { return nil }

// A durable engine may hand an instance a delivery of a webhook it has not
// loaded yet. It waits, counting no attempt, for the grace period; then it
// is a dead letter that says so, and Redeliver queues it once the webhook
// is loaded.
func TestUnknownWebhookWaitsThenDeadLetters(t *testing.T) {
	rc := newReceiver(t, nil)
	eng := &stepEngine{}
	const grace = time.Second
	d, invs := newDispatcher(t, webhook.WithEngine(eng), webhook.WithUnknownWebhookGrace(grace))
	ctx := context.Background()
	del := &engine.Delivery{ID: "d1", WebhookID: "not-yet", Event: mock(t, accessrequest.Approved), Created: time.Now()}

	next := eng.runner.Run(ctx, del)
	require.Equal(t, engine.Held, next.Outcome, "an unknown webhook's delivery waits")
	require.Positive(t, next.Delay)
	require.LessOrEqual(t, next.Delay, grace)
	require.Zero(t, del.Attempts, "waiting is no attempt")
	require.Empty(t, invs)

	del.Created = time.Now().Add(-grace)
	require.Equal(t, engine.Result{}, eng.runner.Run(ctx, del))
	final := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Failed, final.Outcome)
	require.Contains(t, final.Reason, "webhook not-yet is not registered on this instance")
	dls, err := d.DeadLetters(ctx, "not-yet", 0)
	require.NoError(t, err)
	require.Len(t, dls, 1)

	w := torqLike(rc.URL)
	w.ID = "not-yet"
	_, err = d.Add(w)
	require.NoError(t, err)
	require.NoError(t, d.Redeliver(ctx, "d1"))
}

// A webhook removed is not unknown: its deliveries end at once.
func TestRemovedWebhookIsNotUnknown(t *testing.T) {
	eng := &stepEngine{}
	d, invs := newDispatcher(t, webhook.WithEngine(eng))
	w, err := d.Add(torqLike("http://127.0.0.1:1"))
	require.NoError(t, err)
	require.NoError(t, d.Remove(w.ID))
	del := &engine.Delivery{ID: "d1", WebhookID: w.ID, Event: mock(t, accessrequest.Approved), Created: time.Now()}
	require.Equal(t, engine.Result{}, eng.runner.Run(context.Background(), del))
	final := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Skipped, final.Outcome)
	require.Equal(t, "webhook was removed before the delivery started", final.Reason)
}

func TestUnknownWebhookGraceIsValidated(t *testing.T) {
	for _, grace := range []time.Duration{0, -time.Second} {
		_, err := webhook.New(webhook.WithUnknownWebhookGrace(grace))
		require.ErrorIs(t, err, webhook.ErrInvalidConfig)
	}
}

// A backlog of an unknown webhook's deliveries, each looking again and
// again while it waits, makes one warning per webhook, not one per look:
// 10,000 queued deliveries must not flood the log.
func TestUnknownWebhookWaitLogsOncePerWebhook(t *testing.T) {
	var logs bytes.Buffer
	eng := &stepEngine{}
	newDispatcher(t, webhook.WithEngine(eng), webhook.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	ctx, ev := context.Background(), mock(t, accessrequest.Approved)
	for look := 0; look < 3; look++ {
		for i := range 1000 {
			for _, id := range []string{"ghost-a", "ghost-b"} {
				del := &engine.Delivery{ID: fmt.Sprint(id, i), WebhookID: id, Event: ev, Created: time.Now()}
				require.Equal(t, engine.Held, eng.runner.Run(ctx, del).Outcome)
			}
		}
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Equal(t, 2, len(lines), "one warning per unknown webhook")
	require.Contains(t, lines[0], `"webhook_id":"ghost-a"`)
	require.Contains(t, lines[1], `"webhook_id":"ghost-b"`)
}

// An engine that does not say when a delivery was created (a zero
// Created) gets the grace from the first look, as the retry budget counts
// from the first attempt: the delivery waits rather than failing at once.
func TestUnknownWebhookGraceWithoutCreated(t *testing.T) {
	eng := &stepEngine{}
	d, invs := newDispatcher(t, webhook.WithEngine(eng))
	del := &engine.Delivery{ID: "d1", WebhookID: "not-yet", Event: mock(t, accessrequest.Approved)}
	require.Equal(t, engine.Held, eng.runner.Run(context.Background(), del).Outcome, "the delivery waits for its webhook")
	require.Empty(t, invs)
	dls, err := d.DeadLetters(context.Background(), "", 0)
	require.NoError(t, err)
	require.Empty(t, dls)
}
