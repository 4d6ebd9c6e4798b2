package presets_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/presets"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// every returns one definition of each preset, built from a valid URL.
func every(t *testing.T, opts ...presets.Option) []webhook.Webhook {
	t.Helper()
	var out []webhook.Webhook
	add := func(w webhook.Webhook, err error) {
		t.Helper()
		require.NoError(t, err)
		out = append(out, w)
	}
	add(presets.Slack("https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX", opts...))
	add(presets.Teams("https://contoso.webhook.office.com/webhookb2/1f2e@3d4c/IncomingWebhook/5b6a/7988", opts...))
	add(presets.OktaWorkflows("https://acme.workflows.okta.com/api/flo/a1b2c3/invoke?clientToken=0123abcd", opts...))
	add(presets.DatadogLogs("https://http-intake.logs.datadoghq.eu/api/v2/logs", "dd-api-key-1", opts...))
	add(presets.ServiceNow("https://acme.service-now.com/api/now/table/incident", "snow-token-1", opts...))
	add(presets.EventJSON("https://siem.example.com/ingest/apono", opts...))
	return out
}

// TestGolden renders every preset over every mock event, strictly, and
// compares with testdata; run with OUTHOOK_UPDATE_GOLDEN=1 to rewrite the
// files.
func TestGolden(t *testing.T) {
	for _, w := range every(t) {
		t.Run(w.Name, func(t *testing.T) {
			out := webhooktest.Render(t, w, webhooktest.Strict(), webhooktest.Golden("testdata"))
			require.Len(t, out, len(accessrequest.Mocks()))
			for _, r := range out {
				checkValues(t, w.Name, r)
			}
		})
	}
}

// checkValues decodes a body and checks that the values copied from the
// event decode back exactly, escaped documents included.
func checkValues(t *testing.T, preset string, r webhooktest.Rendered) {
	t.Helper()
	var ev accessrequest.Event
	require.NoError(t, r.Event.Decode(&ev))
	req := ev.Data
	var body any
	require.NoError(t, json.Unmarshal(r.Body, &body))
	switch preset {
	case "slack":
		blocks := body.(map[string]any)["blocks"].([]any)
		justification := blocks[2].(map[string]any)["text"].(map[string]any)["text"]
		require.Equal(t, "Justification: "+req.Justification, justification)
		for _, b := range blocks {
			requireNoEmptyText(t, b)
		}
	case "teams":
		card := body.(map[string]any)["attachments"].([]any)[0].(map[string]any)["content"].(map[string]any)
		facts := card["body"].([]any)[1].(map[string]any)["facts"].([]any)
		require.Len(t, facts, 4+len(req.AccessGroups))
		require.Equal(t, req.Justification, facts[2].(map[string]any)["value"])
	case "okta-workflows":
		fields := body.(map[string]any)["fields"].(map[string]any)
		require.Equal(t, req.Requester.Name, fields["requestor name"])
		require.Equal(t, req.Justification, fields["justification"])
		require.Equal(t, r.Event.Time().String(), fields["event time"])
	case "datadog-logs":
		log := body.([]any)[0].(map[string]any)
		require.JSONEq(t, string(r.Event.JSON()), log["message"].(string), "the message is the whole event")
		want := "info"
		if r.Event.Type() == accessrequest.Failed {
			want = "error"
		}
		require.Equal(t, want, log["status"])
	case "servicenow":
		incident := body.(map[string]any)
		require.Equal(t, req.Requester.Name, incident["caused_by"])
		var description map[string]any
		require.NoError(t, json.Unmarshal([]byte(incident["description"].(string)), &description), "the description is a JSON document")
		require.Equal(t, req.Justification, description["justification"])
		require.Equal(t, req.Requester.Email, description["requester"].(map[string]any)["email"])
	case "events":
		require.Equal(t, string(r.Event.JSON()), string(r.Body))
	default:
		t.Fatalf("no check for preset %q", preset)
	}
}

// requireNoEmptyText checks that no Slack text object is empty, which
// Slack rejects.
func requireNoEmptyText(t *testing.T, v any) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		if text, ok := v["text"].(string); ok {
			require.NotEmpty(t, text)
		}
		for _, x := range v {
			requireNoEmptyText(t, x)
		}
	case []any:
		for _, x := range v {
			requireNoEmptyText(t, x)
		}
	}
}
