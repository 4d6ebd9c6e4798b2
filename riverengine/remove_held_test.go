package riverengine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// An operator who deletes a webhook whose endpoint is down sees its
// deliveries end at once, skipped, on the instance that works the queue:
// the one waiting an hour for a retry and those its open breaker holds
// for an hour, rather than lingering until their wait is up.
func TestDeleteEndsHeldAndRetryingDeliveries(t *testing.T) {
	eachSharedDatabase(t, func(t *testing.T, db sharedDatabase) {
		ctx := context.Background()
		r := newReceiver(t, 0, func(string, string, int) int { return 503 })
		var mu sync.Mutex
		outcomes := map[string]webhook.Outcome{} // by event id, the last
		ring := testKeyring(t)
		api := startInstance(t, db, ring, "api", instanceConfig{engine: []riverengine.Option{riverengine.WithPublishOnly()}})
		startInstance(t, db, ring, "a", instanceConfig{dispatch: []webhook.Option{
			webhook.WithBreaker(webhook.BreakerSettings{Threshold: 1, Cooldown: time.Hour}),
			webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 5, InitialInterval: webhook.Duration(time.Hour),
				MaxInterval: webhook.Duration(time.Hour), MaxElapsed: webhook.Duration(10 * time.Hour)}),
			webhook.WithInvocationHook(func(inv webhook.Invocation) {
				mu.Lock()
				defer mu.Unlock()
				outcomes[inv.EventID] = inv.Outcome
			}),
		}})
		w := webhook.Webhook{ID: "hook", Name: "hook", Active: true, URL: r.URL + "/hook", Triggers: []event.Trigger{testEvent}}
		_, err := api.d.Tenant("acme").Create(ctx, w, "ops")
		require.NoError(t, err)
		outcome := func(id string) webhook.Outcome {
			mu.Lock()
			defer mu.Unlock()
			return outcomes[id]
		}
		_, err = api.d.Tenant("acme").Publish(ctx, newEvent(t, 1))
		require.NoError(t, err)
		eventually(t, 30*time.Second, "the first attempt, failed, to open the breaker", func() bool { return outcome("e-1") != "" })
		for i := 2; i <= 4; i++ {
			_, err = api.d.Tenant("acme").Publish(ctx, newEvent(t, i))
			require.NoError(t, err)
		}
		eventually(t, 30*time.Second, "every delivery waiting: one for its retry, three held", func() bool {
			states, err := db.jobs(ctx)
			require.NoError(t, err)
			return states["available"]+states["running"] == 0 && states["scheduled"]+states["retryable"] == 4
		})

		require.NoError(t, api.d.Tenant("acme").Delete(ctx, "hook", defstore.AnyVersion, "ops"))
		eventually(t, 15*time.Second, "every delivery of the deleted webhook ended", func() bool {
			states, err := db.jobs(ctx)
			require.NoError(t, err)
			return states["scheduled"]+states["retryable"]+states["available"]+states["running"] == 0
		})
		for _, id := range []string{"e-1", "e-2", "e-3", "e-4"} {
			require.Equal(t, webhook.Skipped, outcome(id), id)
		}
		require.Len(t, r.answered(), 1, "no request after the first")
	})
}
