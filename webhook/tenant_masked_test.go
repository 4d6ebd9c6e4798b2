package webhook_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

// TestTenantRefusesAMaskWithNothingBehindIt: Create and Update store no
// secret that is the mask a read shows, where no stored secret stands
// behind it, as a body secret copied from another webhook's read, or a
// header added with the mask.
func TestTenantRefusesAMaskWithNothingBehindIt(t *testing.T) {
	home := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	ctx := context.Background()
	ten := d.Tenant("acme")

	w := tenantHook(home, "copied", accessrequest.Created)
	w.Secrets = map[string]string{"routing_key": "REDACTED"}
	_, err := ten.Create(ctx, w, "alice")
	requireSecretsRequired(t, err, "secrets.routing_key")

	w = tenantHook(home, "plain", accessrequest.Created)
	created, err := ten.Create(ctx, w, "alice")
	require.NoError(t, err)
	created.Headers = map[string]string{"X-Api-Key": "REDACTED"}
	_, err = ten.Update(ctx, created, "alice")
	requireSecretsRequired(t, err, "headers.X-Api-Key")
	got, err := ten.Get(ctx, created.ID)
	require.NoError(t, err)
	require.Equal(t, created.Version, got.Version, "nothing was stored")
}

// TestAddRefusesAMask: Add, AddAll and a file of definitions loaded refuse
// a secret given as the mask, as Create does (Add is Create for the empty
// tenant): a definition copied from a read has lost its secrets, and the
// mask would go out as the token.
func TestAddRefusesAMask(t *testing.T) {
	home := newReceiver(t, nil)
	d, _ := newDispatcher(t)

	w := tenantHook(home, "copied", accessrequest.Created)
	w.Headers = map[string]string{"Authorization": "REDACTED"}
	_, err := d.Add(w)
	requireSecretsRequired(t, err, "headers.Authorization")

	ok := tenantHook(home, "fine", accessrequest.Created)
	_, err = d.AddAll([]webhook.Webhook{ok, w})
	requireSecretsRequired(t, err, "headers.Authorization")
	require.Empty(t, d.List(), "nothing was registered")
}

// TestUpdateRefusesAMask: Dispatcher.Update checks w "as Add checks it",
// and keeps no stored secret behind a mask (it replaces the definition
// whole): a mask copied from a read would go out as the token.
func TestUpdateRefusesAMask(t *testing.T) {
	home := newReceiver(t, nil)
	d, _ := newDispatcher(t)

	w := tenantHook(home, "copied", accessrequest.Created)
	w.Headers = map[string]string{"Authorization": "Bearer real"}
	added, err := d.Add(w)
	require.NoError(t, err)

	added.Headers = map[string]string{"Authorization": "REDACTED"}
	_, err = d.Update(added)
	requireSecretsRequired(t, err, "headers.Authorization")
	got, ok := d.Get(added.ID)
	require.True(t, ok)
	require.Equal(t, "Bearer real", got.Headers["Authorization"], "nothing was stored")
}
