package riverengine_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// An operator who fixes a tenant's endpoint and resets its breaker through
// one instance (here the management API's, which only publishes) sees
// every delivery the open breakers held go at once: each instance that
// works the queue closes its own breaker as it reads the reset from the
// definition store, rather than holding them again for its hour of
// cool-down.
func TestResetBreakerReachesEveryInstance(t *testing.T) {
	eachSharedDatabase(t, func(t *testing.T, db sharedDatabase) {
		ctx := context.Background()
		var fixed atomic.Bool
		r := newReceiver(t, 0, func(string, string, int) int {
			if fixed.Load() {
				return 200
			}
			return 503
		})
		var mu sync.Mutex
		open := map[string]bool{} // the instances whose breaker is open
		ring := testKeyring(t)
		start := func(name string, opts ...riverengine.Option) *instance {
			return startInstance(t, db, ring, name, instanceConfig{engine: opts, dispatch: []webhook.Option{
				webhook.WithBreaker(webhook.BreakerSettings{Threshold: 1, Cooldown: time.Hour}),
				webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1, MaxElapsed: webhook.Duration(2 * time.Hour)}),
				webhook.WithTenantBreakerHook(func(_, _ string, _, to webhook.BreakerState) {
					mu.Lock()
					defer mu.Unlock()
					open[name] = to == webhook.BreakerOpen
				}),
			}})
		}
		api, a, b := start("api", riverengine.WithPublishOnly()), start("a"), start("b")
		w := webhook.Webhook{ID: "hook", Name: "hook", Active: true, URL: r.URL + "/hook", Triggers: []event.Trigger{testEvent}}
		_, err := api.d.Tenant("acme").Create(ctx, w, "ops")
		require.NoError(t, err)
		eventually(t, 10*time.Second, "the workers to load the webhook", func() bool {
			_, aerr := a.d.Tenant("acme").Breaker("hook")
			_, berr := b.d.Tenant("acme").Breaker("hook")
			return aerr == nil && berr == nil
		})
		bothOpen := func() bool {
			mu.Lock()
			defer mu.Unlock()
			return open["a"] && open["b"]
		}
		// Each failed delivery opens the breaker of the instance that ran
		// it: published until both are open.
		n := 0
		for deadline := time.Now().Add(30 * time.Second); !bothOpen(); {
			require.True(t, time.Now().Before(deadline), "both breakers open")
			n++
			_, err := api.d.Tenant("acme").Publish(ctx, newEvent(t, n))
			require.NoError(t, err)
			time.Sleep(50 * time.Millisecond)
		}
		first := n + 1
		for range 12 {
			n++
			_, err := api.d.Tenant("acme").Publish(ctx, newEvent(t, n))
			require.NoError(t, err)
		}
		eventually(t, 30*time.Second, "the last deliveries held by the open breakers", func() bool {
			states, err := db.jobs(ctx)
			require.NoError(t, err)
			return states["available"]+states["running"] == 0
		})

		fixed.Store(true)
		require.NoError(t, api.d.Tenant("acme").ResetBreaker("hook"))
		eventually(t, 15*time.Second, "every held delivery sent after the reset, whichever instance ran it", func() bool {
			got := r.snapshot()
			for i := first; i <= n; i++ {
				if len(got[fmt.Sprintf("hook e-%d", i)]) == 0 {
					return false
				}
			}
			return true
		})
		for _, in := range []*instance{a, b} {
			state, err := in.d.Tenant("acme").Breaker("hook")
			require.NoError(t, err)
			require.Equal(t, webhook.BreakerClosed, state, in.name)
		}
		revs, err := api.eng.DefinitionStore().History(ctx, "acme", "hook", 1)
		require.NoError(t, err)
		require.Equal(t, defstore.BreakerReset, revs[0].Action)
	})
}
