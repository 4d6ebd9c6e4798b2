package manage_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// An OAuth webhook through the API: the client secret is masked in every
// answer, kept when sent back masked, and a test whose first token the
// target refuses shows token_refetched.
func TestAnOAuthWebhookKeepsItsClientSecretMasked(t *testing.T) {
	const secret = "oauth-cl13nt-s3cr3t"
	var issued atomic.Int64
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if _, got, _ := r.BasicAuth(); got != secret && r.PostForm.Get("client_secret") != secret {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"access_token":"at-%d","token_type":"Bearer","expires_in":3600}`, issued.Add(1))
	}))
	defer tokens.Close()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer at-2" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer target.Close()

	s := newService(t, nil)
	acme := s.as("acme")
	acme.secrets = []string{secret, "at-1", "at-2"}
	def := s.hook("Siem")
	def["id"] = "siem"
	def["url"] = target.URL + "/in"
	def["authentication_config"] = map[string]any{"oauth": map[string]any{
		"client_id": "outhook", "client_secret": secret, "token_endpoint_url": tokens.URL + "/token", "scopes": []string{"events"},
	}}
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)
	var read webhook.Webhook
	acme.ok(http.StatusOK, &read, http.MethodGet, "/webhooks/siem", nil)
	require.Equal(t, "REDACTED", read.Authentication.OAuth.ClientSecret)
	read.Name = "Siem v2"
	acme.ok(http.StatusOK, nil, http.MethodPut, "/webhooks/siem", read, "If-Match", `"1"`)

	var inv webhook.Invocation
	acme.ok(http.StatusOK, &inv, http.MethodPost, "/webhooks/siem/test", map[string]any{})
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.True(t, inv.TokenRefetched)
	require.EqualValues(t, 2, issued.Load(), "the stored secret was kept, and used")
}
