package webhook_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/signature"
	"github.com/outhook/outhook/webhook"
)

// Each bad signing secret is its own problem, on its own index, as a
// kept secret is (signing_secrets[1]) and as validators are.
func TestEachBadSigningSecretNamesItsIndex(t *testing.T) {
	d, err := webhook.New()
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(t.Context()) })
	_, public := signature.NewKeyPair()
	w := webhook.Webhook{Name: "signed", Active: true, URL: "https://hooks.example.com/x", Triggers: []event.Trigger{accessrequest.Created},
		SigningSecrets: []string{signature.NewSecret(), strings.TrimRight(signature.NewSecret(), "="), signature.NewSecret(), public}}
	err = d.Tenant("").Validate(w)
	var list webhook.DefinitionErrors
	require.True(t, errors.As(err, &list), "%v", err)
	var fields []string
	for _, de := range list {
		fields = append(fields, de.Field)
		require.ErrorIs(t, de, signature.ErrInvalidSecret)
	}
	require.Equal(t, []string{"signing_secrets[1]", "signing_secrets[3]"}, fields)
	require.NotContains(t, err.Error(), strings.TrimPrefix(w.SigningSecrets[1], "whsec_"))
	require.NotContains(t, err.Error(), strings.TrimPrefix(public, "whpk_"))
}
