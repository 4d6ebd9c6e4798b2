package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// What the README promises of a shared pool: one stalled endpoint holds
// its concurrency limit of workers and leaves the rest; endpoints stalled
// together hold them all until their attempts time out and their breakers
// open, and from then on hold none but their probes.
func TestStalledEndpointsHoldWorkersUntilTheirBreakersOpen(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 100)
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer dead.Close()
	defer close(release)
	delivered := make(chan struct{}, 100)
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { delivered <- struct{}{} }))
	defer healthy.Close()

	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1/32"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithWorkers(4), webhook.WithConcurrency(2),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 2, Cooldown: time.Hour}),
	)
	require.NoError(t, err)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = d.Close(ctx)
	}()
	var deadIDs []string
	deadOn := func(tr event.Trigger, name string) {
		h, err := d.Add(webhook.Webhook{Name: name, Active: true, URL: dead.URL, TimeoutInSec: 1, Triggers: []event.Trigger{tr}})
		require.NoError(t, err)
		deadIDs = append(deadIDs, h.ID)
	}
	deadOn(accessrequest.Created, "dead-1")
	deadOn(accessrequest.Approved, "dead-2a")
	deadOn(accessrequest.Approved, "dead-2b")
	_, err = d.Add(webhook.Webhook{Name: "healthy", Active: true, URL: healthy.URL, Triggers: []event.Trigger{accessrequest.Granted}})
	require.NoError(t, err)
	publish := func(tr event.Trigger, n int) {
		e, ok := accessrequest.Mock(tr)
		require.True(t, ok)
		for range n {
			_, err := d.Publish(context.Background(), e)
			require.NoError(t, err)
		}
	}
	// healthyWait publishes to the healthy webhook and says how long its
	// request took to arrive.
	healthyWait := func() time.Duration {
		start := time.Now()
		publish(accessrequest.Granted, 1)
		select {
		case <-delivered:
			return time.Since(start)
		case <-time.After(10 * time.Second):
			t.Fatal("the healthy webhook got nothing")
			return 0
		}
	}

	// One stalled endpoint holds 2 of the 4 workers.
	publish(accessrequest.Created, 10)
	for range 2 {
		<-arrived
	}
	require.Less(t, healthyWait(), 500*time.Millisecond, "one stalled endpoint delayed another")

	// Three hold them all, until their attempts time out and their
	// breakers open; from then on they hold none.
	publish(accessrequest.Approved, 10)
	tenant := d.Tenant("")
	require.Eventually(t, func() bool {
		for _, id := range deadIDs {
			if st, err := tenant.Breaker(id); err != nil || st != webhook.BreakerOpen {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond)
	publish(accessrequest.Created, 10)
	publish(accessrequest.Approved, 10)
	require.Less(t, healthyWait(), 500*time.Millisecond, "open breakers left workers held")
}
