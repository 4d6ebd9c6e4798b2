package templatetest_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/examples/templatetest"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// A fixed secret, so that the definition in the goldens' test is stable.
const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// TestAuditBody renders the body over the six mock events: the test fails
// if a body is not valid JSON, refers to a field an event lacks (Strict),
// or differs from testdata/audit.<event>.json (Golden; OUTHOOK_UPDATE_GOLDEN=1 rewrites them).
func TestAuditBody(t *testing.T) {
	w := templatetest.AuditWebhook("https://audit.example.com/apono", secret)
	bodies := webhooktest.Render(t, w, webhooktest.Strict(), webhooktest.Golden("testdata"))

	// The bodies are plain JSON, so further checks decode them.
	for _, b := range bodies {
		var got struct {
			Reason    string  `json:"reason"`
			ExpiresAt *string `json:"expires_at"`
		}
		require.NoError(t, json.Unmarshal(b.Body, &got))
		var ev accessrequest.Event
		require.NoError(t, b.Event.Decode(&ev))
		require.Equal(t, ev.Data.Justification, got.Reason, "quotes, backslashes and newlines survive")
		require.Equal(t, ev.Data.RevocationDate == nil, got.ExpiresAt == nil, "a null revocation_date gives null")
	}
}

// TestAuditBodyOverOwnEvents renders over events of the test's own, here
// one with an empty request, which must still give valid JSON.
func TestAuditBodyOverOwnEvents(t *testing.T) {
	empty, err := event.New(accessrequest.Created, accessrequest.Request{})
	require.NoError(t, err)
	w := templatetest.AuditWebhook("https://audit.example.com/apono", secret)
	out := webhooktest.Render(t, w, webhooktest.Events(empty))
	require.Contains(t, string(out[0].Body), `"access": []`)
}

// TestAuditDelivery delivers to a receiver that verifies the signature and
// fails the first attempt; the retry takes no time.
func TestAuditDelivery(t *testing.T) {
	audit := webhooktest.NewReceiver(
		webhooktest.WithSecrets(secret),
		webhooktest.Respond(webhooktest.Response{Status: 503}, webhooktest.Response{Status: 204}),
	)
	t.Cleanup(audit.Close)
	d := webhooktest.NewDispatcher(t)
	_, err := d.Add(templatetest.AuditWebhook(audit.URL+"/apono", secret))
	require.NoError(t, err)

	e, _ := accessrequest.Mock(accessrequest.Approved)
	_, err = d.Publish(context.Background(), e)
	require.NoError(t, err)

	final := d.WaitFinal(1)[0]
	require.Equal(t, webhook.Delivered, final.Outcome, final.Reason)
	require.Equal(t, 2, final.Attempt)
	got := audit.Requests()
	require.Len(t, got, 2)
	for _, r := range got {
		require.True(t, r.Verified, "signed with the secret: %v", r.SignatureErr)
		require.Equal(t, "/apono", r.Path)
	}
	require.Equal(t, got[0].Body, got[1].Body, "a retry sends the same bytes")
}
