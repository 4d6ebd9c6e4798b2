package webhook_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/signature"
	"github.com/outhook/outhook/webhook"
)

// A definition stored before signers were held to signature.MaxSignatures
// secrets, with more, still loads: it alone is set apart and reported on
// every event it misses, naming signing_secrets, while the tenant's other
// webhooks deliver; its admin trims the list by an Update that gives the
// kept secrets masked, as Get shows them (masked secrets keep the one at
// their position, so the list is cut at its end).
func TestStoredDefinitionWithTooManySigningSecrets(t *testing.T) {
	leakcheck.Check(t)
	ctx := context.Background()
	rc := newReceiver(t, nil)
	importer, _ := newDispatcher(t)

	many := tenantHook(rc, "many secrets", accessrequest.Created)
	for range signature.MaxSignatures {
		many.SigningSecrets = append(many.SigningSecrets, signature.NewSecret())
	}
	rec, err := importer.Tenant("acme").Encode(many)
	require.NoError(t, err)
	// As an older version stored it: eight secrets more.
	var full map[string]any
	require.NoError(t, json.Unmarshal(rec.Secrets, &full))
	secrets := full["signing_secrets"].([]any)
	for range 8 {
		secrets = append(secrets, signature.NewSecret())
	}
	full["signing_secrets"] = secrets
	rec.Secrets, err = json.Marshal(full)
	require.NoError(t, err)
	var masked map[string]any
	require.NoError(t, json.Unmarshal(rec.Definition, &masked))
	shownSecrets := masked["signing_secrets"].([]any)
	for range 8 {
		shownSecrets = append(shownSecrets, shownSecrets[0])
	}
	masked["signing_secrets"] = shownSecrets
	rec.Definition, err = json.Marshal(masked)
	require.NoError(t, err)

	other, err := importer.Tenant("acme").Encode(tenantHook(rc, "other", accessrequest.Created))
	require.NoError(t, err)
	store := defstore.NewMemory()
	for _, r := range []defstore.Record{rec, other} {
		_, err = store.Create(ctx, r, "import", 0)
		require.NoError(t, err)
	}

	d, invs := newDispatcher(t, webhook.WithDefinitionStore(store))
	tenant := d.Tenant("acme")
	pub, err := tenant.Publish(ctx, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Len(t, pub.Deliveries, 1, "the other webhook delivers")
	require.Equal(t, 1, pub.Inactive)
	var skipped, delivered int
	for _, inv := range waitFinal(t, invs, 2) {
		switch inv.WebhookID {
		case rec.ID:
			require.Equal(t, webhook.Skipped, inv.Outcome)
			require.Contains(t, inv.Reason, "signing_secrets")
			for _, s := range secrets {
				require.NotContains(t, inv.Reason, strings.TrimPrefix(s.(string), "whsec_"))
			}
			skipped++
		case other.ID:
			require.Equal(t, webhook.Delivered, inv.Outcome)
			delivered++
		}
	}
	require.Equal(t, 1, skipped)
	require.Equal(t, 1, delivered)

	shown, err := tenant.Get(ctx, rec.ID)
	require.NoError(t, err)
	require.Len(t, shown.SigningSecrets, signature.MaxSignatures+8)
	shown.SigningSecrets = shown.SigningSecrets[:signature.MaxSignatures]
	_, err = tenant.Update(ctx, shown, "admin")
	require.NoError(t, err)

	pub, err = tenant.Publish(ctx, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Len(t, pub.Deliveries, 2)
	for _, inv := range waitFinal(t, invs, 2) {
		require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	}
	verifier, err := signature.ParseVerifier(0, secrets[signature.MaxSignatures-1].(string))
	require.NoError(t, err)
	var verified int
	for _, r := range rc.got()[1:] {
		if strings.HasSuffix(r.path, "many_secrets") {
			require.NoError(t, verifier.Verify(r.header, []byte(r.body), time.Now()))
			verified++
		}
	}
	require.Equal(t, 1, verified)
}
