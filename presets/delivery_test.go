package presets_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/presets"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// TestDelivery delivers one event through every preset to a receiver
// standing in for the targets, and checks what arrived and what was
// recorded.
func TestDelivery(t *testing.T) {
	leakcheck.Check(t)
	r := webhooktest.NewReceiver(
		webhooktest.Route("/api/now/table/incident", webhooktest.Response{Status: http.StatusCreated, Body: `{"result":{"number":"INC0010001"}}`}),
		webhooktest.Route("/api/v2/logs", webhooktest.Response{Status: http.StatusAccepted, Body: `{}`}),
	)
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t)
	hooks := every(t, presets.WithBaseURL(r.URL))
	for _, w := range hooks {
		_, err := d.Add(w)
		require.NoError(t, err)
	}
	e, _ := accessrequest.Mock(accessrequest.Rejected)
	pub, err := d.Publish(context.Background(), e)
	require.NoError(t, err)
	require.Len(t, pub.Deliveries, len(hooks))

	for _, inv := range d.WaitFinal(len(hooks)) {
		require.Equal(t, webhook.Delivered, inv.Outcome, "%s: %s", inv.WebhookName, inv.Reason)
		record, err := json.Marshal(inv)
		require.NoError(t, err)
		// The Slack and Teams credentials are their URLs' paths.
		basic := base64.StdEncoding.EncodeToString([]byte("bot@acme.example:jira-token-1"))
		for _, secret := range []string{"dd-api-key-1", "snow-token-1", "0123abcd", "XXXXXXXXXXXXXXXXXXXXXXXX", "webhookb2", "hec-token-1", basic, "cx-key-1", "logzio-token-1"} {
			require.NotContains(t, string(record), secret, inv.WebhookName)
		}
	}
	byPath := map[string]webhooktest.Request{}
	for _, req := range r.Requests() {
		require.True(t, json.Valid([]byte(req.Body)), req.Path)
		byPath[req.Path] = req
	}
	require.Len(t, byPath, len(hooks))
	for path, req := range byPath {
		want := "application/json"
		if strings.HasPrefix(path, "/webhookb2/") {
			want = "application/json; charset=utf-8" // Teams
		}
		require.Equal(t, want, req.Header.Get("Content-Type"), path)
	}
	require.Equal(t, "Splunk hec-token-1", byPath["/services/collector/event"].Header.Get("Authorization"))
	require.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte("bot@acme.example:jira-token-1")), byPath["/rest/api/3/issue"].Header.Get("Authorization"))
	require.Equal(t, "Bearer cx-key-1", byPath["/logs/v1/singles"].Header.Get("Authorization"))
	require.Equal(t, "token=logzio-token-1&type=apono", byPath["/"].Query)
	require.Contains(t, byPath["/v2/enqueue"].Body, `"routing_key": "R0UT1NGKEY0123456789abcdefABCDEF"`)
	require.Equal(t, "dd-api-key-1", byPath["/api/v2/logs"].Header.Get("DD-API-KEY"))
	require.Equal(t, "Bearer snow-token-1", byPath["/api/now/table/incident"].Header.Get("Authorization"))
	require.Equal(t, "clientToken=0123abcd", byPath["/api/flo/a1b2c3/invoke"].Query)
	require.Equal(t, string(e.JSON()), byPath["/ingest/apono"].Body)
	var slack struct{ Text string }
	require.NoError(t, json.Unmarshal([]byte(byPath["/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX"].Body), &slack))
	require.Equal(t, "Apono access request AR-2203: RequestRejected", slack.Text)
}

// TestHostileDelivery delivers the hostile events to stand-ins that answer
// as the targets do when a limit is passed (Slack's 400 invalid_blocks,
// Teams' 413, ServiceNow's, Jira's and PagerDuty's 400), so a body over a
// limit would end as a dead letter.
func TestHostileDelivery(t *testing.T) {
	leakcheck.Check(t)
	over := func(s any, n int) bool { str, _ := s.(string); return units(str) > n }
	judge := func(path string, body map[string]any) (int, string) {
		switch {
		case strings.HasPrefix(path, "/services/T"): // Slack
			if strings.ContainsAny(body["text"].(string), "<>") {
				return http.StatusBadRequest, "unescaped mrkdwn"
			}
			for _, b := range body["blocks"].([]any) {
				b := b.(map[string]any)
				limit := 3000
				if b["type"] == "header" {
					limit = 150
				}
				if tx, ok := b["text"].(map[string]any); ok && over(tx["text"], limit) {
					return http.StatusBadRequest, "invalid_blocks"
				}
				for _, f := range func() []any { fs, _ := b["fields"].([]any); return fs }() {
					if over(f.(map[string]any)["text"], 2000) {
						return http.StatusBadRequest, "invalid_blocks"
					}
				}
			}
		case path == "/api/now/table/incident":
			if over(body["short_description"], 160) || over(body["description"], 4000) {
				return http.StatusBadRequest, "field too long"
			}
			if !json.Valid([]byte(body["description"].(string))) {
				return http.StatusBadRequest, "description is not JSON"
			}
			return http.StatusCreated, `{"result":{}}`
		case path == "/rest/api/3/issue":
			f := body["fields"].(map[string]any)
			if over(f["summary"], 255) || strings.ContainsAny(f["summary"].(string), "\r\n") {
				return http.StatusBadRequest, `{"errors":{"summary":"invalid"}}`
			}
			return http.StatusCreated, `{"id":"10001"}`
		case path == "/v2/enqueue":
			if over(body["payload"].(map[string]any)["summary"], 1024) || over(body["dedup_key"], 255) {
				return http.StatusBadRequest, `{"status":"invalid event"}`
			}
			return http.StatusAccepted, `{"status":"success"}`
		}
		return http.StatusOK, "ok"
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/webhookb2/") && len(raw) > 28*1024 { // Teams
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		status, answer := judge(r.URL.Path, body)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)

	d := webhooktest.NewDispatcher(t)
	n := 0
	for _, w := range every(t, presets.WithBaseURL(srv.URL)) {
		switch w.Name {
		case "slack", "teams", "servicenow", "jira", "pagerduty":
			_, err := d.Add(w)
			require.NoError(t, err)
			n++
		}
	}
	events := hostile(t)
	for _, e := range events {
		_, err := d.Publish(context.Background(), e)
		require.NoError(t, err)
	}
	for _, inv := range d.WaitFinal(n * len(events)) {
		require.Equal(t, webhook.Delivered, inv.Outcome, "%s: %s", inv.WebhookName, inv.Reason)
	}
}
