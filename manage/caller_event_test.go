package manage_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCallerEventCannotSteerStoredSecrets sends, through the test and gate
// routes, an event of the caller's choosing to a webhook whose URL is
// templated over the event: its stored header must not reach the path the
// event picks (another customer's hook on a host that serves them all).
func TestCallerEventCannotSteerStoredSecrets(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	w := s.hook("torq")
	w["id"] = "torq"
	w["url"] = s.rc.URL + "/v1/webhooks/{{data.friendly_id}}"
	w["headers"] = map[string]string{"X-Torq-Token": "Bearer s3cr3t-token"}
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", w)

	hostile := map[string]any{"event": map[string]any{
		"event_type": "RequestCreated", "event_time": 1, "data": map[string]any{"friendly_id": "mallorys-own-hook"},
	}}
	for _, path := range []string{"/webhooks/torq/test", "/webhooks/torq/gate"} {
		p := acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPost, path, hostile)
		require.Len(t, p.Errors, 1, path)
		require.Equal(t, "url", p.Errors[0].Field, path)
	}
	got, _ := s.rc.requests()
	require.Empty(t, got, "nothing was sent")

	var dec struct {
		Passed bool `json:"passed"`
	}
	acme.ok(http.StatusOK, &dec, http.MethodPost, "/webhooks/torq/gate", map[string]any{"trigger": "RequestCreated"})
	require.True(t, dec.Passed)
	got, _ = s.rc.requests()
	require.Len(t, got, 1)
	require.Equal(t, "Bearer s3cr3t-token", got[0].Header.Get("X-Torq-Token"))
}

// TestAnotherTriggersMockCannotSteerStoredSecrets asks the test and gate
// routes for the mock of a trigger the webhook lacks: RequestExpired's is
// another request, whose path the stored header was not given for.
func TestAnotherTriggersMockCannotSteerStoredSecrets(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	w := s.hook("torq")
	w["id"] = "torq"
	w["url"] = s.rc.URL + "/v1/webhooks/{{data.friendly_id}}"
	w["headers"] = map[string]string{"X-Torq-Token": "Bearer s3cr3t-token"}
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", w)

	other := map[string]any{"trigger": "RequestExpired"}
	for _, path := range []string{"/webhooks/torq/test", "/webhooks/torq/gate"} {
		p := acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPost, path, other)
		require.Len(t, p.Errors, 1, path)
		require.Equal(t, "url", p.Errors[0].Field, path)
		require.NotContains(t, p.Errors[0].Message, "s3cr3t-token", path)
	}
	got, _ := s.rc.requests()
	require.Empty(t, got, "nothing was sent")
}
