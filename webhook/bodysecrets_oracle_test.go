package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/template"
	"github.com/outhook/outhook/webhook"
)

// TestBodySecretIsNoOracle plays an editor who may not read the stored
// routing key but may change the body and press Test: the body asks
// whether the key starts with R, and how long it is, and the target
// answers 400 to a yes. What the editor learns (the outcome, the status,
// the recorded request and response) must be the same whatever the key.
func TestBodySecretIsNoOracle(t *testing.T) {
	var rc *receiver
	rc = newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		var body struct{ Probe string }
		_ = json.Unmarshal([]byte(rc.got()[n-1].body), &body)
		if body.Probe == "yes" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	d, _ := newDispatcher(t, webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}))
	ctx := context.Background()
	tn := d.Tenant("acme")

	type seen struct {
		outcome webhook.Outcome
		status  int
		request string
	}
	var views []seen
	for _, key := range []string{"R0UTINGkey0123456789", "S0UTINGkey01234567890123"} {
		w := torqLike(rc.URL)
		w.Name = "pagerduty-" + key[:1]
		w.Secrets = map[string]string{"routing_key": key}
		w.BodyTemplate = `{"routing_key": "{{secrets.routing_key}}"}`
		stored, err := tn.Create(ctx, w, "admin")
		require.NoError(t, err)

		stored.Secrets = nil // kept, as an editor who never saw it sends it
		stored.BodyTemplate = `{"routing_key": "{{secrets.routing_key}}",
		  "probe": "{{#if (eq (truncateBytes secrets.routing_key 1 "") "R")}}yes{{else}}no{{/if}}",
		  "n": {{secrets.routing_key.length}}}`
		inv, err := tn.TestDefinition(ctx, stored, mock(t, accessrequest.Created))
		require.NoError(t, err)
		got := rc.got()
		sent := got[len(got)-1].body
		require.Contains(t, sent, key, "the target gets the key")
		require.NotContains(t, inv.Request.Body, key)
		views = append(views, seen{inv.Outcome, inv.Response.StatusCode, inv.Request.Body})
	}
	require.Equal(t, views[0], views[1], "what the editor sees does not depend on the key")
	require.Equal(t, webhook.Delivered, views[0].outcome)
}

// TestHelperOverABodySecretSendsNothingOfIt renders a body secret through
// helpers that change it, a custom one among them: the target must get
// no piece of the secret, in any case, and the record must be the body
// as sent.
func TestHelperOverABodySecretSendsNothingOfIt(t *testing.T) {
	const key = "Qk7wPz3mXv9rTy2L"
	rc := newReceiver(t, nil)
	d, invs := newDispatcher(t, webhook.WithTemplateOptions(template.WithHelpers(map[string]template.Helper{
		"rot": func(args []any) (any, error) {
			s, _ := args[0].(string)
			return s[1:] + s[:1], nil
		},
	})))
	w := torqLike(rc.URL)
	w.Secrets = map[string]string{"key": key}
	w.BodyTemplate = `{"upper": "{{upper secrets.key}}", "lower": "{{lower secrets.key}}", "cut": "{{truncate secrets.key 6}}",
	  "bytes": "{{truncateBytes secrets.key 10 ""}}", "rot": "{{rot secrets.key}}", "sub": "{{replace secrets.key "\\=" "="}}"}`
	_, err := d.Add(w)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)

	sent := rc.got()[0].body
	for i := 0; i+4 <= len(key); i++ {
		for _, piece := range []string{key[i : i+4], strings.ToLower(key[i : i+4]), strings.ToUpper(key[i : i+4])} {
			require.NotContains(t, sent, piece)
		}
	}
	require.Equal(t, sent, inv.Request.Body, "the record is the body as sent")
	require.True(t, json.Valid([]byte(sent)), sent)
}

// TestBodySecretIsSentAsTheTemplateEscapesItsPlace renders a secret that
// needs escaping in every place a JSON body has: as a value, inside a
// string, as a member name, in raw tags, and inside a JSON document
// embedded in a string. The target must read the exact value in each.
func TestBodySecretIsSentAsTheTemplateEscapesItsPlace(t *testing.T) {
	rc := newReceiver(t, nil)
	d, invs := newDispatcher(t)
	w := torqLike(rc.URL)
	w.Secrets = map[string]string{"k": hostileSecret}
	w.BodyTemplate = `{"value": {{secrets.k}}, "in": "<{{secrets.k}}>", "raw": "{{{secrets.k}}}", "{{secrets.k}}": 1,
	  "doc": "{ \"k\": \"{{secrets.k}}\", \"v\": {{secrets.k}} }", "json": "{{json secrets.k}}"}`
	_, err := d.Add(w)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)

	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(rc.got()[0].body), &got))
	require.Equal(t, hostileSecret, got["value"])
	require.Equal(t, "<"+hostileSecret+">", got["in"])
	require.Equal(t, hostileSecret, got["raw"])
	require.Equal(t, 1.0, got[hostileSecret])
	var inJSON string
	require.NoError(t, json.Unmarshal([]byte(got["json"].(string)), &inJSON))
	require.Equal(t, hostileSecret, inJSON)
	var doc map[string]string
	require.NoError(t, json.Unmarshal([]byte(got["doc"].(string)), &doc))
	require.Equal(t, map[string]string{"k": hostileSecret, "v": hostileSecret}, doc)
	require.NotContains(t, inv.Request.Body, "e\\\\y", "no form of the secret is recorded")
	require.Contains(t, inv.Request.Body, `"REDACTED": 1`)
}

// TestEventCannotStandForABodySecret learns a delivery's stand-in for the
// key from its record, where a helper left it lower-cased, and publishes
// it in the next event's text: that delivery must not put the key there.
func TestEventCannotStandForABodySecret(t *testing.T) {
	const key = "Qk7wPz3mXv9rTy2L"
	rc := newReceiver(t, nil)
	d, invs := newDispatcher(t)
	w := torqLike(rc.URL)
	w.Secrets = map[string]string{"key": key}
	w.BodyTemplate = `{"stand_in": "{{lower secrets.key}}", "said": "{{data.justification}}"}`
	_, err := d.Add(w)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	first := waitFinal(t, invs, 1)[0]
	var recorded map[string]string
	require.NoError(t, json.Unmarshal([]byte(first.Request.Body), &recorded))
	lowered := recorded["stand_in"]
	require.NotEmpty(t, lowered)
	forged := strings.ToUpper(lowered[:1]) + lowered[1:] // the stand-in as the template saw it

	var doc map[string]any
	require.NoError(t, json.Unmarshal(mock(t, accessrequest.Created).JSON(), &doc))
	doc["id"] = "ev-forged"
	doc["data"].(map[string]any)["justification"] = forged
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	e, err := event.Parse(raw)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), e)
	require.NoError(t, err)
	second := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, second.Outcome, second.Reason)
	var sent map[string]string
	require.NoError(t, json.Unmarshal([]byte(rc.got()[1].body), &sent))
	require.Equal(t, forged, sent["said"], "the event's text is sent as it is")
	require.NotContains(t, rc.got()[1].body, key)
}

// TestRenderLimitBoundsTheBodyWithSecrets repeats a long body secret past
// the render limit: the body must be refused unsent, as it is when the
// template writes a value that long itself, not rendered short and then
// sent long.
func TestRenderLimitBoundsTheBodyWithSecrets(t *testing.T) {
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t, webhook.WithTemplateOptions(template.WithRenderLimit(10000)))
	w := torqLike(rc.URL)
	w.Secrets = map[string]string{"k": strings.Repeat("k3y-", 500)}
	w.BodyTemplate = `{"a": "{{secrets.k}}{{secrets.k}}{{secrets.k}}", "b": "{{secrets.k}}{{secrets.k}}{{secrets.k}}"}`
	inv, err := d.TestEvent(context.Background(), w, mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Contains(t, inv.Reason, "rendering the body")
	require.Empty(t, rc.got(), "nothing is sent")
}
