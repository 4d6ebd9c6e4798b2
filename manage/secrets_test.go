package manage_test

import (
	"net/http"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// TestAWebhookGivenAnotherURLNeedsItsSecretsAgain plays an admin who
// reads a webhook, points it at an endpoint of their own and sends back
// the masked secrets: were they kept, the next test would hand the stored
// Authorization header to that endpoint.
func TestAWebhookGivenAnotherURLNeedsItsSecretsAgain(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	acme.secrets = []string{"sk_live_51abc", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	thief := newReceiver(t) // 127.0.0.1 too, on another port

	def := s.hook("Payroll")
	def["id"] = "payroll"
	def["url"] = s.rc.URL + "/hooks/payroll"
	def["headers"] = map[string]string{"Authorization": "Bearer sk_live_51abc", "Content-Type": "application/json"}
	def["signing_secrets"] = []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)

	var read webhook.Webhook
	acme.ok(http.StatusOK, &read, http.MethodGet, "/webhooks/payroll", nil)
	moved := read
	moved.URL = thief.URL + "/hooks/payroll"
	p := acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPut, "/webhooks/payroll", moved, "If-Match", `"1"`)
	var fields []string
	for _, e := range p.Errors {
		fields = append(fields, e.Field)
	}
	sort.Strings(fields)
	require.Equal(t, []string{"headers.Authorization", "signing_secrets[0]"}, fields,
		"each masked secret is named; Content-Type is shown as it is, so it is no secret")

	// Omitting them is no way round.
	moved.Headers, moved.SigningSecrets = nil, nil
	acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPut, "/webhooks/payroll", moved, "If-Match", `"1"`)
	// Nor is another scheme, host name or path: a host may serve many
	// customers, each on its own path.
	port := s.rc.URL[len("http://127.0.0.1"):]
	for _, u := range []string{"https://127.0.0.1" + port + "/hooks/payroll", "http://localhost" + port + "/hooks/payroll", s.rc.URL + "/hooks/mallory"} {
		moved := read
		moved.URL = u
		acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPut, "/webhooks/payroll", moved, "If-Match", `"1"`)
	}

	acme.ok(http.StatusOK, nil, http.MethodPost, "/webhooks/payroll/test", map[string]any{})
	got, _ := thief.requests()
	require.Empty(t, got, "the other host received nothing")
	sent, _ := s.rc.requests()
	require.Len(t, sent, 1)
	require.Equal(t, "Bearer sk_live_51abc", sent[0].Header.Get("Authorization"))

	// The same URL keeps them, as before.
	renamed := read
	renamed.Name = "Payroll v2"
	acme.ok(http.StatusOK, &read, http.MethodPut, "/webhooks/payroll", renamed, "If-Match", `"1"`)

	// Given again, the secrets move with the webhook.
	moved = read
	moved.URL = thief.URL + "/hooks/payroll"
	moved.Headers = map[string]string{"Authorization": "Bearer for-the-new-host"}
	moved.SigningSecrets = []string{"whsec_dGhpcyBpcyBhIG5ldyBzZWNyZXQgZm9yIHRlc3Q="}
	acme.ok(http.StatusOK, nil, http.MethodPut, "/webhooks/payroll", moved, "If-Match", `"2"`)
	acme.ok(http.StatusOK, nil, http.MethodPost, "/webhooks/payroll/test", map[string]any{})
	got, _ = thief.requests()
	require.Len(t, got, 1)
	require.Equal(t, "Bearer for-the-new-host", got[0].Header.Get("Authorization"))
}

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

// TestASecretURLPathStaysSecret sends back the masked URL of a Slack-like
// webhook with secret_url_path turned off: kept as it was, the URL would
// be shown whole from then on, its secret path with it.
func TestASecretURLPathStaysSecret(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	acme.secrets = []string{"XXXXSECRETPATH"}
	def := s.hook("Slack")
	def["id"] = "slack"
	def["url"] = s.rc.URL + "/services/T000/B000/XXXXSECRETPATH"
	def["secret_url_path"] = true
	var w webhook.Webhook
	acme.ok(http.StatusCreated, &w, http.MethodPost, "/webhooks", def)
	w.SecretURLPath = false
	p := acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPut, "/webhooks/slack", w, "If-Match", `"1"`)
	require.Equal(t, "secret_url_path", p.Errors[0].Field)

	// Given whole, the URL may be shown whole: its owner knows it.
	w.URL = s.rc.URL + "/services/T000/B000/XXXXSECRETPATH"
	acme.secrets = nil
	var shown webhook.Webhook
	acme.ok(http.StatusOK, &shown, http.MethodPut, "/webhooks/slack", w, "If-Match", `"1"`)
	require.Equal(t, w.URL, shown.URL)
}
