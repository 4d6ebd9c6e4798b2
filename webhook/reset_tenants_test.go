package webhook_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// Two tenants with a webhook of the same id and name, whose breakers are
// open on two instances following one store: a tenant's reset through
// one instance closes that tenant's breaker on both, and wakes only its
// deliveries, never the other tenant's.
func TestTenantResetBreakerReachesOnlyItsTenantOnEveryInstance(t *testing.T) {
	r := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Status: 500}))
	t.Cleanup(r.Close)
	store := defstore.NewMemory()
	start := func() (*webhook.Dispatcher, *wakingEngine) {
		eng := &wakingEngine{scriptedEngine: &scriptedEngine{}}
		d, _ := newDispatcher(t, webhook.WithEngine(eng), webhook.WithDefinitionStore(store),
			webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1, MaxElapsed: webhook.Duration(2 * time.Hour)}),
			webhook.WithBreaker(webhook.BreakerSettings{Threshold: 1, Cooldown: time.Hour}))
		return d, eng
	}
	a, engA := start()
	b, engB := start()
	ctx := context.Background()
	tenants := []string{"acme", "zeta"}
	for _, tenant := range tenants {
		_, err := a.Tenant(tenant).Create(ctx, webhook.Webhook{ID: "hook", Name: "same", Active: true, URL: r.URL + "/" + tenant, Triggers: []event.Trigger{accessrequest.Created}}, "ops")
		require.NoError(t, err)
		require.Eventually(t, func() bool { _, err := b.Tenant(tenant).Breaker("hook"); return err == nil }, 10*time.Second, time.Millisecond)
		for _, in := range []struct {
			d   *webhook.Dispatcher
			eng *wakingEngine
		}{{a, engA}, {b, engB}} {
			_, err := in.d.Tenant(tenant).Publish(ctx, mock(t, accessrequest.Created))
			require.NoError(t, err)
			require.Equal(t, engine.Done, in.eng.runner.Run(ctx, in.eng.queued[len(in.eng.queued)-1]).Outcome) // 500: opens
		}
	}

	require.NoError(t, a.Tenant("acme").ResetBreaker("hook"))
	require.Eventually(t, func() bool {
		state, err := b.Tenant("acme").Breaker("hook")
		return err == nil && state == webhook.BreakerClosed
	}, 10*time.Second, time.Millisecond, "b's breaker of acme's webhook closed as it read the reset")
	require.Eventually(t, func() bool {
		engB.mu.Lock()
		defer engB.mu.Unlock()
		return len(engB.woken) > 0
	}, 10*time.Second, time.Millisecond, "b woke acme's held deliveries")
	for _, in := range []*webhook.Dispatcher{a, b} {
		state, err := in.Tenant("zeta").Breaker("hook")
		require.NoError(t, err)
		require.Equal(t, webhook.BreakerOpen, state, "zeta's breaker untouched")
	}
	for _, eng := range []*wakingEngine{engA, engB} {
		eng.mu.Lock()
		woken := append([]string(nil), eng.woken...)
		eng.mu.Unlock()
		require.Len(t, woken, 1)
		require.Contains(t, woken[0], "acme")
		require.NotContains(t, woken[0], "zeta")
	}
	revs, err := store.History(ctx, "zeta", "hook", 0)
	require.NoError(t, err)
	require.Equal(t, defstore.Created, revs[0].Action, "zeta's history has no reset")
}
