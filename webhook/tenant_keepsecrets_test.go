package webhook_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

// TestTenantKeepsSecretsOnlyForTheirURL checks that a secret left masked
// or omitted is kept only while the URL stays the one it was given for:
// otherwise Update and TestDefinition would send the stored Authorization
// header, or sign with the stored secret, for an endpoint the caller
// chose, on another host or on another path of a host that serves every
// customer (hooks.zapier.com, webhook.site).
func TestTenantKeepsSecretsOnlyForTheirURL(t *testing.T) {
	home, thief := newReceiver(t, nil), newReceiver(t, nil)
	d, _ := newDispatcher(t)
	ctx := context.Background()
	ten := d.Tenant("acme")
	w := tenantHook(home, "payroll", accessrequest.Created)
	w.Headers = map[string]string{"Authorization": "Bearer s3cr3t-token", "User-Agent": "payroll/1"}
	w.SigningSecrets = []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	created, err := ten.Create(ctx, w, "alice")
	require.NoError(t, err)

	for _, to := range []string{thief.URL + "/payroll", home.URL + "/customers/mallory"} {
		moved := created
		moved.URL = to
		_, err = ten.TestDefinition(ctx, moved, mustMock(t, accessrequest.Created))
		requireSecretsRequired(t, err, "headers.Authorization", "signing_secrets[0]")
		_, err = ten.Update(ctx, moved, "mallory")
		requireSecretsRequired(t, err, "headers.Authorization", "signing_secrets[0]")
		moved.Headers, moved.SigningSecrets = nil, nil
		_, err = ten.Update(ctx, moved, "mallory")
		requireSecretsRequired(t, err, "headers.Authorization", "signing_secrets[0]")
	}
	require.Empty(t, thief.got(), "the other host was sent nothing")
	require.Empty(t, home.got(), "nor the other path")

	// The same URL keeps them; a safe header, shown as it is, is no
	// secret and moves along.
	renamed := created
	renamed.Name = "payroll v2"
	updated, err := ten.Update(ctx, renamed, "alice")
	require.NoError(t, err)
	moved := updated
	moved.URL = thief.URL + "/payroll"
	moved.Headers = map[string]string{"Authorization": "Bearer new-host-token", "User-Agent": "payroll/1"}
	moved.SigningSecrets = nil
	_, err = ten.Update(ctx, moved, "alice")
	requireSecretsRequired(t, err, "signing_secrets[0]")
	moved.SigningSecrets = []string{}
	_, err = ten.Update(ctx, moved, "alice")
	require.NoError(t, err, "secrets given again, or dropped, move with the webhook")
	inv, err := ten.Test(ctx, created.ID, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	sent := thief.got()
	require.Len(t, sent, 1)
	require.Equal(t, "Bearer new-host-token", sent[0].header.Get("Authorization"))
	require.Equal(t, "payroll/1", sent[0].header.Get("User-Agent"))
	require.Empty(t, sent[0].header.Get("Webhook-Signature"))
}

func requireSecretsRequired(t *testing.T, err error, fields ...string) {
	t.Helper()
	var defs webhook.DefinitionErrors
	require.ErrorAs(t, err, &defs)
	var got []string
	for _, e := range defs {
		require.ErrorIs(t, e, webhook.ErrSecretRequired)
		got = append(got, e.Field)
	}
	require.ElementsMatch(t, fields, got)
	require.True(t, errors.Is(err, webhook.ErrSecretRequired))
}

// TestTenantKeepsAMaskedURLOnlyAsSecret sends back the masked URL of a
// webhook whose path is secret, with SecretURLPath off: Update would then
// show the stored path, and TestDefinition record it, in clear.
func TestTenantKeepsAMaskedURLOnlyAsSecret(t *testing.T) {
	home := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	ctx := context.Background()
	ten := d.Tenant("acme")
	w := tenantHook(home, "slack", accessrequest.Created)
	w.URL = home.URL + "/services/T000/B000/s3cr3tpath"
	w.SecretURLPath = true
	created, err := ten.Create(ctx, w, "alice")
	require.NoError(t, err)
	require.NotContains(t, created.URL, "s3cr3tpath")

	shown := created
	shown.SecretURLPath = false
	inv, err := ten.TestDefinition(ctx, shown, mustMock(t, accessrequest.Created))
	requireSecretsRequired(t, err, "secret_url_path")
	require.Nil(t, inv.Request, "nothing was sent, nor recorded")
	_, err = ten.Update(ctx, shown, "mallory")
	requireSecretsRequired(t, err, "secret_url_path")
	got, err := ten.Get(ctx, created.ID)
	require.NoError(t, err)
	require.NotContains(t, got.URL, "s3cr3tpath")
}

// TestTenantKeepsSecretsForTheURLAsShown sends back a URL as Get shows
// it, which is the stored one printed again (a space as %20): it is the
// same URL, and keeps the secrets.
func TestTenantKeepsSecretsForTheURLAsShown(t *testing.T) {
	home := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	ctx := context.Background()
	ten := d.Tenant("acme")
	w := tenantHook(home, "spaced", accessrequest.Created)
	w.URL = home.URL + "/a path/with spaces"
	w.Headers = map[string]string{"Authorization": "Bearer s3cr3t-token"}
	created, err := ten.Create(ctx, w, "alice")
	require.NoError(t, err)
	require.NotEqual(t, w.URL, created.URL, "shown spelt otherwise")
	created.Name = "renamed"
	_, err = ten.Update(ctx, created, "alice")
	require.NoError(t, err)
	_, err = ten.Test(ctx, created.ID, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Equal(t, "Bearer s3cr3t-token", home.got()[0].header.Get("Authorization"))
}
