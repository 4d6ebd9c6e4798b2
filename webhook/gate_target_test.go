package webhook_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// TestGateRendersATemplatedTarget calls a gate whose URL and header hold
// the event's values: they are rendered and escaped for where they stand,
// as a delivery's are, and a header that would carry a line break is
// refused unsent.
func TestGateRendersATemplatedTarget(t *testing.T) {
	receiver := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Body: `{"ok": true}`}))
	defer receiver.Close()
	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
	)
	require.NoError(t, err)
	defer d.Close(context.Background())
	added, err := d.Add(webhook.Webhook{
		Name: "gate", Active: true, URL: receiver.URL + "/requests/{{data.friendly_id}}/check",
		Headers:  map[string]string{"X-Requester": "{{data.requester.email}}"},
		Triggers: accessrequest.Triggers(),
	})
	require.NoError(t, err)

	e, _ := accessrequest.Mock(accessrequest.Created)
	var req struct {
		FriendlyID string `json:"friendly_id"`
		Requester  struct {
			Email string `json:"email"`
		} `json:"requester"`
	}
	require.NoError(t, e.Decode(&struct {
		Data any `json:"data"`
	}{Data: &req}))

	decision, err := d.Gate(context.Background(), added.ID, e)
	require.NoError(t, err)
	require.True(t, decision.Passed, decision.Message)
	got := receiver.Requests()
	require.Len(t, got, 1)
	require.Equal(t, "/requests/"+req.FriendlyID+"/check", got[0].Path)
	require.Equal(t, req.Requester.Email, got[0].Header.Get("X-Requester"))

	hostile, err := event.Parse([]byte(`{"event_type": "RequestCreated", "event_time": 1, "data": {"friendly_id": "AR-1", "requester": {"email": "a@b\r\nX-Evil: 1"}}}`))
	require.NoError(t, err)
	decision, err = d.Gate(context.Background(), added.ID, hostile)
	require.NoError(t, err)
	require.False(t, decision.Passed)
	require.Len(t, receiver.Requests(), 1, "nothing sent")
}
