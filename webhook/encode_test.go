package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/keyring"
	"github.com/outhook/outhook/webhook"
)

// A host importing definitions in bulk encodes them with Tenant.Encode and
// writes the records into the store itself: every Dispatcher following
// the store loads and delivers them as it does Create's, the store holds
// no secret in clear, and nothing is stored by Encode.
func TestEncodedRecordsLoadLikeCreated(t *testing.T) {
	key, err := keyring.GenerateKey("k1")
	require.NoError(t, err)
	ring, err := keyring.New(key)
	require.NoError(t, err)
	rc := newReceiver(t, nil)
	ctx := context.Background()

	importer, _ := newDispatcher(t, webhook.WithKeyring(ring))
	w := tenantHook(rc, "imported", accessrequest.Created)
	w.Headers = map[string]string{"Authorization": "Bearer header-secret-42"}
	w.SigningSecrets = []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	rec, err := importer.Tenant("acme").Encode(w)
	require.NoError(t, err)
	require.NotEmpty(t, rec.ID, "an id is given")
	require.Equal(t, "acme", rec.Tenant)
	for _, secret := range []string{"header-secret-42", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"} {
		require.False(t, bytes.Contains(rec.Definition, []byte(secret)), secret)
		require.False(t, bytes.Contains(rec.Secrets, []byte(secret)), secret)
	}
	page, err := importer.Tenant("acme").List(ctx, defstore.ListOptions{})
	require.NoError(t, err)
	require.Empty(t, page.Webhooks, "Encode stores nothing")

	store := defstore.NewMemory()
	_, err = store.Create(ctx, rec, "import", 0)
	require.NoError(t, err)
	d, invs := newDispatcher(t, webhook.WithDefinitionStore(store), webhook.WithKeyring(ring))
	got, err := d.Tenant("acme").Get(ctx, rec.ID)
	require.NoError(t, err)
	require.Equal(t, "imported", got.Name)
	require.NotContains(t, got.Headers["Authorization"], "header-secret-42", "masked")
	pub, err := d.Tenant("acme").Publish(ctx, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Len(t, pub.Deliveries, 1)
	require.Equal(t, webhook.Delivered, waitFinal(t, invs, 1)[0].Outcome)
	require.Equal(t, "Bearer header-secret-42", rc.got()[0].header.Get("Authorization"), "the sender opens the secrets")

	// Sealed for acme's webhook, the record does not open as another
	// tenant's: its webhook is reported, never sent to.
	moved := rec
	moved.Tenant = "globex"
	_, err = store.Create(ctx, moved, "mallory", 0)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		pub, err := d.Tenant("globex").Publish(ctx, mustMock(t, accessrequest.Created))
		require.NoError(t, err)
		return pub.Inactive == 1 && len(pub.Deliveries) == 0
	}, 5*time.Second, time.Millisecond)
	require.Len(t, rc.got(), 1, "none queued for globex")
}

// Encode refuses what Create refuses, saying where, and a tenant id that
// is not one.
func TestEncodeRefusesWhatCreateRefuses(t *testing.T) {
	d, _ := newDispatcher(t)
	_, err := d.Tenant("acme").Encode(webhook.Webhook{Name: "bad", URL: "ftp://x", BodyTemplate: "{{#each}}"})
	var defErrs webhook.DefinitionErrors
	require.ErrorAs(t, err, &defErrs)
	fields := map[string]bool{}
	for _, e := range defErrs {
		fields[e.Field] = true
	}
	require.True(t, fields["url"] && fields["triggers"] && fields["body_template"], "fields %v", fields)

	_, err = d.Tenant("acme").Encode(webhook.Webhook{ID: "a\x00b", Name: "ok", URL: "https://hooks.example/x", Triggers: []event.Trigger{accessrequest.Created}})
	require.ErrorIs(t, err, webhook.ErrInvalidID)

	_, err = d.Tenant("bad\ntenant").Encode(webhook.Webhook{Name: "ok"})
	require.True(t, errors.Is(err, webhook.ErrInvalidTenant), "%v", err)
}
