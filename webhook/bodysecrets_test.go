package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/template"
	"github.com/outhook/outhook/webhook"
)

// hostileSecret needs escaping in a JSON string in every way: a quote, a
// backslash, a slash, HTML's characters, a control character, a line
// separator and non-ASCII text.
const hostileSecret = "k\"e\\y/<&>\x01\u2028é-9f3a"

// escapedForms returns the forms value takes in JSON by the encoders a
// body or its echo may have gone through.
func escapedForms(t *testing.T, value string) []string {
	t.Helper()
	forms := []string{value}
	for _, html := range []bool{true, false} {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		require.NoError(t, enc.Encode(value))
		s := strings.TrimSpace(b.String())
		forms = append(forms, s[1:len(s)-1])
	}
	return forms
}

// TestBodySecretIsRedactedInEveryForm renders a secret that needs escaping
// into a body, in a string, as a value of its own, and, through the
// event's justification, inside ordinary text, to a receiver that echoes
// the body back: the receiver must get the secret itself, and the record
// must show REDACTED in each place, its request and response bodies
// still JSON.
func TestBodySecretIsRedactedInEveryForm(t *testing.T) {
	var rc *receiver
	rc = newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, rc.got()[n-1].body) // the echo, recorded as the response
	})
	var logs lockedBuffer
	d, invs := newDispatcher(t, webhook.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	w := torqLike(rc.URL)
	w.Headers = nil
	w.Secrets = map[string]string{"api_key": hostileSecret}
	w.BodyTemplate = `{"key": "{{secrets.api_key}}", "alone": {{secrets.api_key}}, "note": "{{data.justification}}"}`
	_, err := d.Add(w)
	require.NoError(t, err)

	var doc map[string]any
	require.NoError(t, json.Unmarshal(mock(t, accessrequest.Created).JSON(), &doc))
	doc["data"].(map[string]any)["justification"] = "my key is " + hostileSecret + ", oops"
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	e, err := event.Parse(raw)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), e)
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)

	var sent struct{ Key, Alone, Note string }
	require.NoError(t, json.Unmarshal([]byte(rc.got()[0].body), &sent))
	require.Equal(t, hostileSecret, sent.Key, "the receiver gets the secret as given")
	require.Equal(t, hostileSecret, sent.Alone)

	for what, body := range map[string]string{"request": inv.Request.Body, "response": inv.Response.Body} {
		var shown struct{ Key, Alone, Note string }
		require.NoError(t, json.Unmarshal([]byte(body), &shown), "the %s body is still JSON: %s", what, body)
		require.Equal(t, "REDACTED", shown.Key, what)
		require.Equal(t, "REDACTED", shown.Alone, what)
		require.Equal(t, "my key is REDACTED, oops", shown.Note, what)
	}
	record, err := json.Marshal(inv)
	require.NoError(t, err)
	printed := fmt.Sprintf("%v %+v %#v %s", w, w, w, w)
	for _, form := range escapedForms(t, hostileSecret) {
		require.NotContains(t, string(record), form)
		require.NotContains(t, logs.String(), form)
		require.NotContains(t, printed, form)
	}
	// The record's ids are random hex, which may hold the piece by chance.
	withoutIDs := strings.NewReplacer(inv.ID, "", inv.DeliveryID, "", inv.WebhookID, "").Replace(string(record))
	require.NotContains(t, withoutIDs, "9f3a", "no piece of the secret is left")
}

// TestBodySecretsAreChecked refuses body secrets that could not be sent
// or redacted as promised, and templates naming a secret the definition
// lacks, each with its field, and never quotes a value.
func TestBodySecretsAreChecked(t *testing.T) {
	d, _ := newDispatcher(t, webhook.WithEventType("thing.changed", nil))
	for _, tt := range []struct {
		name     string
		secrets  map[string]string
		body     string
		triggers []event.Trigger
		field    string
		line     int
		column   int
	}{
		{name: "unknown name", secrets: map[string]string{"routing_key": "R0UTINGKEY"},
			body: "{\n  \"k\": \"{{secrets.routing_kee}}\"\n}", field: "body_template", line: 2, column: 11},
		{name: "no secrets at all", body: `{"k": "{{secrets.token}}"}`, field: "body_template", line: 1, column: 10},
		{name: "unknown name, event without a schema", secrets: map[string]string{"token": "t0ken-value"},
			body: `{"k": "{{secrets.tokn}}", "x": "{{whatever.goes}}"}`, triggers: []event.Trigger{"thing.changed"},
			field: "body_template", line: 1, column: 10},
		{name: "empty value", secrets: map[string]string{"token": ""}, body: `{"k": "{{secrets.token}}"}`, field: "secrets.token"},
		{name: "too short", secrets: map[string]string{"token": "k3y"}, body: `{"k": "{{secrets.token}}"}`, field: "secrets.token"},
		{name: "not UTF-8", secrets: map[string]string{"token": "t0k\xffen"}, body: `{"k": "{{secrets.token}}"}`, field: "secrets.token"},
		{name: "name a template cannot say", secrets: map[string]string{"routing-key": "R0UTINGKEY"}, body: `{"k": 1}`, field: "secrets"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := torqLike("http://127.0.0.1:1/hook")
			w.Secrets, w.BodyTemplate = tt.secrets, tt.body
			if tt.triggers != nil {
				w.Triggers = tt.triggers
			}
			_, err := d.Add(w)
			require.ErrorIs(t, err, webhook.ErrInvalidSecret)
			var derrs webhook.DefinitionErrors
			require.ErrorAs(t, err, &derrs)
			require.Len(t, derrs, 1, err.Error())
			require.Equal(t, tt.field, derrs[0].Field)
			require.Equal(t, tt.line, derrs[0].Line)
			require.Equal(t, tt.column, derrs[0].Column)
			if tt.line > 0 {
				require.ErrorIs(t, err, template.ErrUnknownField)
			}
			for _, v := range tt.secrets {
				if v != "" {
					require.NotContains(t, err.Error(), v)
				}
			}
		})
	}

	// Names the template does not use are allowed, and a template may use
	// a secret in any event type's body.
	w := torqLike("http://127.0.0.1:1/hook")
	w.Secrets = map[string]string{"token": "t0ken-value", "spare": "sp4re-value"}
	w.BodyTemplate = `{"k": "{{secrets.token}}", "x": "{{#if data.id}}{{secrets.token}}{{/if}}"}`
	_, err := d.Add(w)
	require.NoError(t, err)
	require.False(t, errors.Is(err, webhook.ErrInvalidSecret))
}
