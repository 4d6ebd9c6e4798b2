package webhook_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// TestTenantIDsCannotBeSmuggledInWebhookIDs: the empty tenant's calls
// given an id holding another tenant's queue key reach nothing of it.
func TestTenantIDsCannotBeSmuggledInWebhookIDs(t *testing.T) {
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	ctx := context.Background()
	w := tenantHook(rc, "theirs", accessrequest.Created)
	w.ID = "hook"
	w.Headers = map[string]string{"Authorization": "Bearer of-b"}
	_, err := d.Tenant("b").Create(ctx, w, "bob")
	require.NoError(t, err)
	smuggled := "b\x1fhook"
	_, err = d.Tenant("").Breaker(smuggled)
	require.ErrorIs(t, err, webhook.ErrNotFound)
	require.ErrorIs(t, d.Tenant("").ResetBreaker(smuggled), webhook.ErrNotFound)
	require.ErrorIs(t, d.ResetBreaker(smuggled), webhook.ErrNotFound)
	_, ok := d.Get(smuggled)
	require.False(t, ok, "Get returned tenant b's webhook, secrets and all")
	_, err = d.Tenant("").Recover(ctx, smuggled, time.Time{})
	require.ErrorIs(t, err, webhook.ErrNotFound)
}

// TestBreakerHookSaysWhoseWebhook: two tenants' webhooks share an id;
// a breaker's change is told with the tenant it concerns, and the
// single-tenant hook hears of the single-tenant service's webhook only.
func TestBreakerHookSaysWhoseWebhook(t *testing.T) {
	gone := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) })
	var mu sync.Mutex
	var single, all []string
	d, invs := newDispatcher(t,
		webhook.WithBreakerHook(func(id string, from, to webhook.BreakerState) {
			mu.Lock()
			defer mu.Unlock()
			single = append(single, id+" "+string(to))
		}),
		webhook.WithTenantBreakerHook(func(tenant, id string, from, to webhook.BreakerState) {
			mu.Lock()
			defer mu.Unlock()
			all = append(all, tenant+"/"+id+" "+string(to))
		}))
	ctx := context.Background()
	for _, tenant := range []string{"", "b"} {
		w := tenantHook(gone, "gone", accessrequest.Created)
		w.ID = "hook"
		_, err := d.Tenant(tenant).Create(ctx, w, "x")
		require.NoError(t, err)
		_, err = d.Tenant(tenant).Publish(ctx, mustMock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	waitFinal(t, invs, 2)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"hook disabled"}, single, "tenant b's breaker told as the single-tenant service's")
	require.ElementsMatch(t, []string{"/hook disabled", "b/hook disabled"}, all)
}

// TestDeliveryIDsOfTenantsNeverCollide: an event id may hold any
// character, NUL included; the deliveries of two tenants' webhooks still
// get two ids.
func TestDeliveryIDsOfTenantsNeverCollide(t *testing.T) {
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	ctx := context.Background()
	a := tenantHook(rc, "a", accessrequest.Created)
	a.ID = "W2"
	_, err := d.Tenant("").Create(ctx, a, "x")
	require.NoError(t, err)
	b := tenantHook(rc, "b", accessrequest.Created)
	b.ID = "W"
	_, err = d.Tenant("W2").Create(ctx, b, "x")
	require.NoError(t, err)
	e1, err := event.New(accessrequest.Created, map[string]any{}, event.WithID("E\x00W"))
	require.NoError(t, err)
	e2, err := event.New(accessrequest.Created, map[string]any{}, event.WithID("E"))
	require.NoError(t, err)
	p1, err := d.Publish(ctx, e1)
	require.NoError(t, err)
	p2, err := d.Tenant("W2").Publish(ctx, e2)
	require.NoError(t, err)
	require.NotEqual(t, p1.Deliveries[0].DeliveryID, p2.Deliveries[0].DeliveryID)
}
