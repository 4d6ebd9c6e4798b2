package webhook_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

// TestReadsOfAnotherTenantsWebhookAreNotFound asks one tenant for every
// read of another tenant's webhook: each answers not found, as for an id
// no tenant has, so that no answer tells whether the id exists elsewhere.
func TestReadsOfAnotherTenantsWebhookAreNotFound(t *testing.T) {
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t, webhook.WithInvocationStore(webhook.NewMemoryStore(100, 100)))
	ctx := context.Background()
	theirs, err := d.Tenant("globex").Create(ctx, tenantHook(rc, "payroll", accessrequest.Created), "bob")
	require.NoError(t, err)
	acme := d.Tenant("acme")
	for _, id := range []string{theirs.ID, "no-such-webhook"} {
		_, err = acme.Get(ctx, id)
		require.ErrorIs(t, err, webhook.ErrNotFound, id)
		_, err = acme.History(ctx, id, 10)
		require.ErrorIs(t, err, webhook.ErrNotFound, "history of %s", id)
		_, err = acme.Summary(ctx, id)
		require.ErrorIs(t, err, webhook.ErrNotFound, "summary of %s", id)
		_, err = acme.Breaker(id)
		require.ErrorIs(t, err, webhook.ErrNotFound, "breaker of %s", id)
	}
	revs, err := d.Tenant("globex").History(ctx, theirs.ID, 10)
	require.NoError(t, err)
	require.Len(t, revs, 1)

	// A deleted webhook's history is still its tenant's to read.
	require.NoError(t, d.Tenant("globex").Delete(ctx, theirs.ID, 0, "bob"))
	revs, err = d.Tenant("globex").History(ctx, theirs.ID, 10)
	require.NoError(t, err)
	require.Len(t, revs, 2)
	_, err = acme.History(ctx, theirs.ID, 10)
	require.ErrorIs(t, err, webhook.ErrNotFound)
}
