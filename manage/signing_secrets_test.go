package manage_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/signature"
)

// A webhook signs with at most signature.MaxSignatures secrets: the
// document says so, so that a client checking its requests against it
// learns the limit before it sends, and a definition with more is refused
// naming signing_secrets, no secret shown.
func TestTooManySigningSecretsAreRefusedAsDocumented(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	def := s.hook("Signed")
	var secrets []string
	for range signature.MaxSignatures + 1 {
		secrets = append(secrets, signature.NewSecret())
	}
	def["signing_secrets"] = secrets
	p := acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPost, "/webhooks", def, manage.ExpectInvalid, "true")
	require.Len(t, p.Errors, 1)
	require.Equal(t, "signing_secrets", p.Errors[0].Field)
	require.Contains(t, p.Errors[0].Message, "at most 32")
	for _, sec := range secrets {
		require.NotContains(t, p.Detail+p.Errors[0].Message, strings.TrimPrefix(sec, "whsec_"))
	}

	def["signing_secrets"] = secrets[:signature.MaxSignatures]
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)
}
