package manage_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// TestAnUpdateCanDropEverySecret sends an empty headers object and an
// empty signing_secrets array, which say "none", unlike members left out.
func TestAnUpdateCanDropEverySecret(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	def := s.hook("Signed")
	def["id"] = "signed"
	def["headers"] = map[string]string{"Authorization": "Bearer sk_live_51abc"}
	def["signing_secrets"] = []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	var w webhook.Webhook
	acme.ok(http.StatusCreated, &w, http.MethodPost, "/webhooks", def)

	def["headers"] = map[string]string{}
	def["signing_secrets"] = []string{}
	var updated webhook.Webhook
	acme.ok(http.StatusOK, &updated, http.MethodPut, "/webhooks/signed", def, "If-Match", `"1"`)
	require.Empty(t, updated.Headers)
	require.Empty(t, updated.SigningSecrets, "the signing secrets are gone")
	acme.ok(http.StatusOK, nil, http.MethodPost, "/webhooks/signed/test", map[string]any{})
	sent, _ := s.rc.requests()
	require.Len(t, sent, 1)
	require.Empty(t, sent[0].Header.Get("Authorization"))
	require.Empty(t, sent[0].Header.Get("Webhook-Signature"), "nor is the request signed")
}
