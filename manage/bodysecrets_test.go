package manage_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// TestBodySecretsAreWriteOnly gives a webhook a routing key in its body,
// as PagerDuty takes it, through the API: the receiver gets the key, and
// no answer of the API shows it, neither the webhook as stored, nor its
// test's record, nor the records listed, nor a problem; sent back masked,
// it is kept, and a new name is a new secret.
func TestBodySecretsAreWriteOnly(t *testing.T) {
	const key = "pd-R0UTINGKEY-7c1e"
	s := newService(t, nil)
	acme := s.as("acme")
	acme.secrets = []string{key}
	def := s.hook("Paging")
	def["id"] = "paging"
	def["secrets"] = map[string]string{"routing_key": key}
	def["body_template"] = `{"routing_key": "{{secrets.routing_key}}", "summary": "{{data.justification}}"}`
	var created webhook.Webhook
	acme.ok(http.StatusCreated, &created, http.MethodPost, "/webhooks", def)
	require.Equal(t, map[string]string{"routing_key": "REDACTED"}, created.Secrets)
	acme.ok(http.StatusOK, nil, http.MethodPost, "/webhooks/paging/test", map[string]any{})
	acme.ok(http.StatusOK, nil, http.MethodGet, "/invocations", nil)
	_, bodies := s.rc.requests()
	require.Len(t, bodies, 1)
	require.Contains(t, bodies[0], `"routing_key": "`+key+`"`)

	// A name the template lacks is refused, naming the place; the
	// value is in no problem.
	bad := s.hook("Paging2")
	bad["secrets"] = map[string]string{"routing_key": key}
	bad["body_template"] = `{"k": "{{secrets.routing}}"}`
	p := acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPost, "/webhooks", bad)
	require.Equal(t, "body_template", p.Errors[0].Field)
	bad["body_template"] = `{"k": "{{secrets.routing_key}}"}`
	bad["secrets"] = map[string]string{"routing_key": ""}
	p = acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPost, "/webhooks", bad)
	require.Equal(t, "secrets.routing_key", p.Errors[0].Field)

	// Sent back as read, the key is kept.
	var read webhook.Webhook
	acme.ok(http.StatusOK, &read, http.MethodGet, "/webhooks/paging", nil)
	read.Name = "Paging v2"
	acme.ok(http.StatusOK, &read, http.MethodPut, "/webhooks/paging", read, "If-Match", `"1"`)
	acme.ok(http.StatusOK, nil, http.MethodPost, "/webhooks/paging/test", map[string]any{})
	_, bodies = s.rc.requests()
	require.Contains(t, bodies[1], `"routing_key": "`+key+`"`)

	// A new value replaces it, and is shown masked too.
	read.Secrets = map[string]string{"routing_key": "pd-NEWKEY-2b9d"}
	acme.secrets = append(acme.secrets, "pd-NEWKEY-2b9d")
	acme.ok(http.StatusOK, &read, http.MethodPut, "/webhooks/paging", read, "If-Match", `"2"`)
	require.Equal(t, map[string]string{"routing_key": "REDACTED"}, read.Secrets)
	acme.ok(http.StatusOK, nil, http.MethodPost, "/webhooks/paging/test", map[string]any{})
	acme.ok(http.StatusOK, nil, http.MethodGet, "/invocations", nil)
	_, bodies = s.rc.requests()
	require.Contains(t, bodies[2], `"routing_key": "pd-NEWKEY-2b9d"`)
}

// TestBodySecretIsNotReadBackThroughAHelper plays an editor who keeps the
// stored routing key but passes it through helpers in the template, then
// tests the webhook and previews the template: no answer may show the
// key, changed or not. Helpers work on a stand-in for the key: what they
// change of it holds nothing of the key, sent or shown; what they leave
// whole is the key, sent, and REDACTED, shown.
func TestBodySecretIsNotReadBackThroughAHelper(t *testing.T) {
	const key = "R0UTINGkey0123456789abcdefABCDEF"
	s := newService(t, nil)
	acme := s.as("acme")
	acme.secrets = []string{key, strings.ToLower(key), strings.ToUpper(key), key[:31]}
	def := s.hook("Paging")
	def["id"] = "paging"
	def["secrets"] = map[string]string{"routing_key": key}
	def["body_template"] = `{"routing_key": "{{secrets.routing_key}}"}`
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)

	var read webhook.Webhook
	acme.ok(http.StatusOK, &read, http.MethodGet, "/webhooks/paging", nil)
	read.BodyTemplate = `{"a": "{{lower secrets.routing_key}}", "b": "{{upper secrets.routing_key}}", "c": "{{truncateBytes secrets.routing_key 1000 ""}}"}`
	acme.ok(http.StatusOK, nil, http.MethodPut, "/webhooks/paging", read, "If-Match", `"1"`)
	var inv webhook.Invocation
	acme.ok(http.StatusOK, &inv, http.MethodPost, "/webhooks/paging/test", map[string]any{})
	acme.ok(http.StatusOK, nil, http.MethodGet, "/invocations", nil)
	_, bodies := s.rc.requests()
	var sent, recorded, previewed map[string]string
	require.NoError(t, json.Unmarshal([]byte(bodies[0]), &sent))
	require.NoError(t, json.Unmarshal([]byte(inv.Request.Body), &recorded))
	require.Equal(t, key, sent["c"], "cut past its length, the stand-in is whole: the key is sent")
	require.Equal(t, "REDACTED", recorded["c"])
	require.Equal(t, sent["a"], recorded["a"], "the record is the body as sent")
	require.Equal(t, sent["b"], recorded["b"])

	var preview struct{ Body string }
	acme.ok(http.StatusOK, &preview, http.MethodPost, "/preview", map[string]any{"trigger": "RequestCreated", "body_template": read.BodyTemplate})
	require.NoError(t, json.Unmarshal([]byte(preview.Body), &previewed))
	require.Equal(t, "REDACTED", previewed["c"])
	for _, body := range []map[string]string{sent, recorded, previewed} {
		for _, f := range []string{"a", "b"} {
			require.NotContains(t, strings.ToLower(body[f]), strings.ToLower(key[:8]), f)
			require.NotContains(t, strings.ToLower(body[f]), "redacted", f)
		}
	}
}
