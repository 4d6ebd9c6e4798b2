package manage_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// If-Match: * matches whatever version the webhook has now (RFC 9110,
// 13.1.1), so a PUT that sends back a definition as it was read, its
// version included, replaces the current one even after the webhook has
// moved on: the version in the body is what was read, not a second
// precondition. A numbered If-Match still holds the body to its version.
func TestPutWithIfMatchAnyTakesTheDefinitionAsRead(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	def := s.hook("a")
	def["id"] = "a"
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)

	var read map[string]any
	acme.ok(http.StatusOK, &read, http.MethodGet, "/webhooks/a", nil)
	require.EqualValues(t, 1, read["version"])
	acme.ok(http.StatusOK, nil, http.MethodPost, "/webhooks/a/deactivate", nil, "If-Match", `"1"`)

	read["name"] = "renamed"
	var got map[string]any
	resp := acme.ok(http.StatusOK, &got, http.MethodPut, "/webhooks/a", read, "If-Match", "*")
	require.EqualValues(t, 3, got["version"])
	require.Equal(t, "renamed", got["name"])
	require.Equal(t, `"3"`, resp.Header.Get("ETag"))

	// The same body under a numbered If-Match must agree with it.
	p := acme.problem(http.StatusBadRequest, "invalid-request", http.MethodPut, "/webhooks/a", read, "If-Match", `"3"`)
	require.Equal(t, "version", p.Errors[0].Field)
	read["version"] = 3
	acme.ok(http.StatusOK, nil, http.MethodPut, "/webhooks/a", read, "If-Match", `"3"`)
	acme.problem(http.StatusPreconditionFailed, "version-conflict", http.MethodPut, "/webhooks/a", read, "If-Match", `"3"`)
}
