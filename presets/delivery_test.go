package presets_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
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
