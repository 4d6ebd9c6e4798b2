package manage_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// Every field issue 19 added, set at once, through the API: each answer
// matches the OpenAPI document (the service's check), the templated URL
// reads back as written, the secrets masked, and a definition sent back
// as read still renders, authenticates and gates.
func TestEveryNewFieldThroughTheAPI(t *testing.T) {
	const secret = "oauth-cl13nt-s3cr3t"
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprint(w, `{"access_token":"at-1","token_type":"Bearer","expires_in":3600}`)
	}))
	defer tokens.Close()
	ran := make(chan []byte, 4)
	s := newService(t, []webhook.Option{
		webhook.WithAction("list_incidents", func(_ context.Context, r *webhook.ActionRequest) (*webhook.ActionResponse, error) {
			ran <- r.Body
			return &webhook.ActionResponse{Body: []byte(`{"status":"acknowledged"}`)}, nil
		}),
	})
	acme := s.as("acme")
	acme.secrets = []string{secret, "at-1", "k3y-"}
	def := s.hook("Tickets")
	def["id"] = "tickets"
	def["url"] = s.rc.URL + "/tickets/{{data.id}}?requester={{data.requester.email}}"
	def["headers"] = map[string]string{"X-Api-Key": "k3y-{{data.id}}", "X-Request": "req {{data.id}}"}
	def["url_policy"] = map[string]any{"allow_http": true, "allow_custom_port": true}
	def["delivery"] = map[string]any{"max_redirects": 2}
	def["authentication_config"] = map[string]any{"oauth": map[string]any{
		"client_id": "outhook", "client_secret": secret, "token_endpoint_url": tokens.URL + "/token", "scopes": []string{"events", "tickets"},
	}}
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)
	var read webhook.Webhook
	acme.ok(http.StatusOK, &read, http.MethodGet, "/webhooks/tickets", nil)
	require.Equal(t, s.rc.URL+"/tickets/{{data.id}}?requester=REDACTED", read.URL)
	require.Equal(t, "REDACTED", read.Authentication.OAuth.ClientSecret)
	require.Equal(t, &webhook.DefinitionURLPolicy{AllowHTTP: true, AllowCustomPort: true}, read.URLPolicy)
	read.Name = "Tickets v2"
	acme.ok(http.StatusOK, nil, http.MethodPut, "/webhooks/tickets", read, "If-Match", `"1"`)

	var inv webhook.Invocation
	acme.ok(http.StatusOK, &inv, http.MethodPost, "/webhooks/tickets/test", map[string]any{})
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	var dec webhook.Decision
	acme.ok(http.StatusOK, &dec, http.MethodPost, "/webhooks/tickets/gate", map[string]any{"trigger": "RequestCreated"})
	require.True(t, dec.Passed, dec.Message)
	reqs, _ := s.rc.requests()
	require.Len(t, reqs, 2)
	for _, r := range reqs {
		require.True(t, strings.HasPrefix(r.URL.Path, "/tickets/"), r.URL.Path)
		require.NotContains(t, r.URL.Path, "{{")
		require.Equal(t, "Bearer at-1", r.Header.Get("Authorization"))
		require.True(t, strings.HasPrefix(r.Header.Get("X-Api-Key"), "k3y-"))
	}
	acme.ok(http.StatusOK, nil, http.MethodGet, "/invocations", nil)

	gate := s.hook("Incidents")
	delete(gate, "url")
	gate["id"] = "incidents"
	gate["action"] = "list_incidents"
	gate["response_validators"] = []map[string]any{{"json_path": "$.status", "expected_values": []string{"acknowledged"}}}
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", gate)
	acme.ok(http.StatusOK, &dec, http.MethodPost, "/webhooks/incidents/gate", map[string]any{"trigger": "RequestCreated"})
	require.True(t, dec.Passed, dec.Message)
	require.NotEmpty(t, <-ran)
	require.Equal(t, "action:list_incidents", dec.Invocation.Request.URL)

	gate["id"], gate["name"] = "incidents-oauth", "Incidents OAuth"
	gate["authentication_config"] = def["authentication_config"]
	acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPost, "/webhooks", gate)
}
