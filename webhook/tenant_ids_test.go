package webhook_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
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
