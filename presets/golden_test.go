package presets_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

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
	add(presets.SplunkHEC("https://splunk.example.com:8088/services/collector/event", "hec-token-1", opts...))
	add(presets.PagerDuty("https://events.pagerduty.com/v2/enqueue", "R0UT1NGKEY0123456789abcdefABCDEF", opts...))
	add(presets.Jira("https://acme.atlassian.net/rest/api/3/issue", "bot@acme.example", "jira-token-1", "SEC", opts...))
	add(presets.Coralogix("https://ingress.eu2.coralogix.com/logs/v1/singles", "cx-key-1", opts...))
	add(presets.Logzio("https://listener-eu.logz.io:8071/?type=apono", "logzio-token-1", opts...))
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
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&body))
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
		require.Len(t, facts, 6)
		justification := facts[2].(map[string]any)["value"].(string)
		require.Equal(t, req.Justification, unescapeMarkdown(justification), "the value is the justification, escaped")
		requireNoMarkdown(t, justification)
	case "okta-workflows":
		fields := body.(map[string]any)["fields"].(map[string]any)
		require.Equal(t, req.Requester.Name, fields["requestor name"])
		require.Equal(t, req.Justification, fields["justification"])
		require.Equal(t, r.Event.Time().String(), fields["event time"])
	case "datadog-logs":
		log := body.([]any)[0].(map[string]any)
		require.JSONEq(t, string(r.Event.JSON()), log["message"].(string), "the message is the whole event")
		require.Equal(t, json.Number(millis(t, r.Event)), log["date"], "the log's date is the event's")
		want := "info"
		if r.Event.Type() == accessrequest.Failed {
			want = "error"
		}
		require.Equal(t, want, log["status"])
	case "servicenow":
		incident := body.(map[string]any)
		require.NotContains(t, incident, "caused_by", "a reference to a change, not a person")
		require.Contains(t, incident["short_description"], req.Requester.Name)
		require.Equal(t, req.ID, incident["correlation_id"])
		var description map[string]any
		require.NoError(t, json.Unmarshal([]byte(incident["description"].(string)), &description), "the description is a JSON document")
		require.Equal(t, req.Justification, description["justification"])
		require.Equal(t, req.Requester.Email, description["requester"].(map[string]any)["email"])
	case "events":
		require.Equal(t, string(r.Event.JSON()), string(r.Body))
	case "splunk-hec":
		hec := body.(map[string]any)
		require.Equal(t, json.Number(r.Event.Time().String()), hec["time"])
		require.Equal(t, "_json", hec["sourcetype"])
		event, err := json.Marshal(hec["event"])
		require.NoError(t, err)
		require.JSONEq(t, string(r.Event.JSON()), string(event), "the event is the whole event")
	case "pagerduty":
		alert := body.(map[string]any)
		require.Equal(t, "R0UT1NGKEY0123456789abcdefABCDEF", alert["routing_key"])
		require.Equal(t, "trigger", alert["event_action"])
		require.Equal(t, "apono-"+req.ID+"-"+string(r.Event.Type()), alert["dedup_key"])
		payload := alert["payload"].(map[string]any)
		require.Contains(t, payload["summary"], req.Justification)
		require.Equal(t, r.Event.Time().Time().UTC().Format(time.RFC3339Nano), payload["timestamp"])
		require.Equal(t, req.Justification, payload["custom_details"].(map[string]any)["justification"])
	case "jira":
		fields := body.(map[string]any)["fields"].(map[string]any)
		require.Equal(t, map[string]any{"key": "SEC"}, fields["project"])
		require.Equal(t, map[string]any{"name": "Task"}, fields["issuetype"])
		require.NotContains(t, fields["summary"], "\n")
		requireADF(t, fields["description"])
		require.Contains(t, adfText(fields["description"]), "Justification: "+req.Justification)
	case "coralogix":
		log := body.([]any)[0].(map[string]any)
		require.Equal(t, json.Number(millis(t, r.Event)), log["timestamp"])
		text, err := json.Marshal(log["text"])
		require.NoError(t, err)
		require.JSONEq(t, string(r.Event.JSON()), string(text), "the text is the whole event")
	case "logzio":
		require.NotContains(t, string(r.Body), "\n", "one line: the listener reads one log a line")
		log := body.(map[string]any)
		require.Equal(t, r.Event.Time().Time().UTC().Format(time.RFC3339Nano), log["@timestamp"])
		event, err := json.Marshal(log["apono"])
		require.NoError(t, err)
		require.JSONEq(t, string(r.Event.JSON()), string(event))
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
