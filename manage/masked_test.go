package manage_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/webhook"
)

// TestAMaskWithNothingToKeepIsRefused: a secret is shown as REDACTED,
// and sent back so it keeps the stored value. Where nothing is stored to
// keep (a webhook copied from another's GET, a header or a body secret
// added with the mask, a URL whose path was changed around the mask), the
// mask would be stored as the secret itself and sent with every
// delivery: each is a 422 naming the field, and nothing is stored.
func TestAMaskWithNothingToKeepIsRefused(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	def := s.hook("orig")
	def["id"] = "orig"
	def["headers"] = map[string]string{"Authorization": "Bearer tok_live_1"}
	def["secrets"] = map[string]string{"k": "body-secret-1"}
	def["body_template"] = `{"k": "{{secrets.k}}"}`
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)

	// A copy of the webhook as read, under another id and name.
	var read map[string]any
	acme.ok(http.StatusOK, &read, http.MethodGet, "/webhooks/orig", nil)
	read["id"], read["name"] = "copy", "copy"
	delete(read, "version")
	p := acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPost, "/webhooks", read)
	require.ElementsMatch(t, []string{"headers.Authorization", "secrets.k"}, fields(p.Errors))

	for _, tc := range []struct {
		change func(def map[string]any)
		field  string
	}{
		{func(d map[string]any) { d["url"] = s.rc.URL + "/REDACTED" }, "url"},
		{func(d map[string]any) { d["url"] = s.rc.URL + "/x?token=REDACTED" }, "url"},
		{func(d map[string]any) {
			d["authentication_config"] = map[string]any{"oauth": map[string]any{
				"client_id": "id", "client_secret": "REDACTED", "token_endpoint_url": s.rc.URL + "/token"}}
		}, "authentication_config.oauth.client_secret"},
	} {
		d := s.hook("new")
		tc.change(d)
		p := acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPost, "/webhooks", d)
		require.Equal(t, []string{tc.field}, fields(p.Errors), "%v", d)
	}

	// An update that adds a header or a body secret with the mask.
	upd := s.hook("orig")
	upd["headers"] = map[string]string{"Authorization": "REDACTED", "X-Api-Key": "REDACTED"}
	upd["secrets"] = map[string]string{"k": "REDACTED", "k2": "REDACTED"}
	upd["body_template"] = `{"k": "{{secrets.k}}"}`
	p = acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPut, "/webhooks/orig", upd, "If-Match", `"1"`)
	require.ElementsMatch(t, []string{"headers.X-Api-Key", "secrets.k2"}, fields(p.Errors))

	var list struct{ Webhooks []webhook.Webhook }
	acme.ok(http.StatusOK, &list, http.MethodGet, "/webhooks", nil)
	require.Len(t, list.Webhooks, 1)
	require.EqualValues(t, 1, list.Webhooks[0].Version)

	// Sent back as read, the masks keep the stored values.
	acme.ok(http.StatusOK, &read, http.MethodGet, "/webhooks/orig", nil)
	acme.ok(http.StatusOK, nil, http.MethodPut, "/webhooks/orig", read, "If-Match", `"1"`)
	acme.ok(http.StatusOK, nil, http.MethodPost, "/webhooks/orig/test", map[string]any{})
	reqs, bodies := s.rc.requests()
	require.Len(t, reqs, 1)
	require.Equal(t, "Bearer tok_live_1", reqs[0].Header.Get("Authorization"))
	require.JSONEq(t, `{"k": "body-secret-1"}`, bodies[0])
}

func fields(errs []manage.FieldError) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Field
	}
	return out
}
