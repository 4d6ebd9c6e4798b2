package manage_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/manage"
)

// TestGateIsRateLimitedPerTenant calls the gate route more often than its
// rate allows: each call sends a request to the webhook's endpoint, so
// one tenant may not use the service to flood it, and the refusal
// says when to come back. Another tenant's gates are not held back.
func TestGateIsRateLimitedPerTenant(t *testing.T) {
	s := newService(t, nil, manage.WithGateRate(2, time.Hour))
	for _, tenant := range []string{"acme", "globex"} {
		a := s.as(tenant)
		w := s.hook("gate")
		w["id"] = "gate"
		a.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", w)
	}
	acme := s.as("acme")
	gate := map[string]any{"trigger": "RequestCreated"}
	acme.ok(http.StatusOK, nil, http.MethodPost, "/webhooks/gate/gate", gate)
	acme.ok(http.StatusOK, nil, http.MethodPost, "/webhooks/gate/gate", gate)
	resp, raw := acme.do(http.MethodPost, "/webhooks/gate/gate", gate)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "%s", raw)
	after, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After: %q", resp.Header.Get("Retry-After"))
	require.Positive(t, after)
	got, _ := s.rc.requests()
	require.Len(t, got, 2, "the refused call sent nothing")

	s.as("globex").ok(http.StatusOK, nil, http.MethodPost, "/webhooks/gate/gate", gate)
	// Tests count on their own.
	acme.ok(http.StatusOK, nil, http.MethodPost, "/webhooks/gate/test", map[string]any{})
}
