package manage_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/webhook"
)

// TestNullIsRefusedWhereTheDocumentGivesAType sends null where the
// document wants a string, an array or an object: encoding/json would
// leave the member as it was (a body of null is an empty definition, and
// a test of the webhook's first mock) or make a null header value an
// empty header sent with every delivery. Each is a 400 naming the member,
// and nothing is stored.
func TestNullIsRefusedWhereTheDocumentGivesAType(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	def := s.hook("one")
	def["id"] = "one"
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)

	good := `"name": "two", "url": "` + s.rc.URL + `/two", "triggers": ["RequestCreated"]`
	for _, tc := range []struct{ path, body, field string }{
		{"/webhooks", `null`, ""},
		{"/webhooks", `{` + good + `, "headers": null}`, "headers"},
		{"/webhooks", `{` + good + `, "headers": {"X-Team": null}}`, "headers.X-Team"},
		{"/webhooks", `{` + good + `, "secrets": {"token": null}}`, "secrets.token"},
		{"/webhooks", `{` + good + `, "signing_secrets": null}`, "signing_secrets"},
		{"/webhooks", `{"name": null, "url": "` + s.rc.URL + `/two", "triggers": ["RequestCreated"]}`, "name"},
		{"/webhooks", `{"name": "two", "url": "` + s.rc.URL + `/two", "triggers": [null]}`, "triggers[0]"},
		{"/webhooks", `{` + good + `, "active": null}`, "active"},
		{"/webhooks", `{` + good + `, "delivery": {"rate_limit": {"requests": 1, "per": null}}}`, "delivery.rate_limit.per"},
		{"/webhooks/one/test", `null`, ""},
		{"/webhooks/one/test", `{"trigger": null}`, "trigger"},
		{"/webhooks/one/gate", `{"trigger": "RequestCreated", "event": null}`, "event"},
		{"/preview", `{"body_template": null, "trigger": "RequestCreated"}`, "body_template"},
		{"/erasures", `{"webhook_id": null}`, "webhook_id"},
		{"/webhooks/one/dead-letters/discard", `null`, ""},
		{"/webhooks/one/recover", `{"since": null}`, "since"},
	} {
		p := acme.problem(http.StatusBadRequest, "invalid-request", http.MethodPost, tc.path, tc.body, manage.ExpectInvalid, "1")
		require.Len(t, p.Errors, 1, "%s %s", tc.path, tc.body)
		require.Equal(t, tc.field, p.Errors[0].Field, "%s %s", tc.path, tc.body)
		require.Contains(t, p.Errors[0].Message, "null", "%s %s", tc.path, tc.body)
		require.Equal(t, 1, p.Errors[0].Line)
	}
	var list struct{ Webhooks []webhook.Webhook }
	acme.ok(http.StatusOK, &list, http.MethodGet, "/webhooks", nil)
	require.Len(t, list.Webhooks, 1, "a refused create stored nothing")
	reqs, _ := s.rc.requests()
	require.Empty(t, reqs, "a refused test sent nothing")
}

// TestNullIsNoneWhereTheDocumentAllowsIt sends null for each member the
// document declares nullable: it is read as the member left out.
func TestNullIsNoneWhereTheDocumentAllowsIt(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	body := `{"name": "nulls", "url": "` + s.rc.URL + `/n", "triggers": ["RequestCreated"], "filters": null, "delivery": {"retry": null, "rate_limit": null}, "url_policy": null, "authentication_config": null, "tls": null}`
	var w webhook.Webhook
	acme.ok(http.StatusCreated, &w, http.MethodPost, "/webhooks", body)
	require.Nil(t, w.Filters)
	require.Nil(t, w.URLPolicy)
	require.Nil(t, w.Authentication)
	require.Nil(t, w.TLS)
}
