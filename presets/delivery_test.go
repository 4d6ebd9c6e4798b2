package presets_test

import (
	"context"
	"encoding/json"
	"net/http"
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
		for _, secret := range []string{"dd-api-key-1", "snow-token-1", "0123abcd", "XXXXXXXXXXXXXXXXXXXXXXXX", "webhookb2"} {
			require.NotContains(t, string(record), secret, inv.WebhookName)
		}
	}
	byPath := map[string]webhooktest.Request{}
	for _, req := range r.Requests() {
		require.True(t, json.Valid([]byte(req.Body)), req.Path)
		require.Equal(t, "application/json", req.Header.Get("Content-Type"))
		byPath[req.Path] = req
	}
	require.Len(t, byPath, len(hooks))
	require.Equal(t, "dd-api-key-1", byPath["/api/v2/logs"].Header.Get("DD-API-KEY"))
	require.Equal(t, "Bearer snow-token-1", byPath["/api/now/table/incident"].Header.Get("Authorization"))
	require.Equal(t, "clientToken=0123abcd", byPath["/api/flo/a1b2c3/invoke"].Query)
	require.Equal(t, string(e.JSON()), byPath["/ingest/apono"].Body)
	var slack struct{ Text string }
	require.NoError(t, json.Unmarshal([]byte(byPath["/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX"].Body), &slack))
	require.Equal(t, "Apono access request AR-2203: RequestRejected", slack.Text)
}
