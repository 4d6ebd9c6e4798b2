package manage_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// TestHostileIDsRoundTrip creates webhooks whose ids hold what paths
// treat specially, and reaches each through the Location it was given.
func TestHostileIDsRoundTrip(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	for i, id := range []string{"a/b", "x y", "100%", "é ü", "q?x=1", "h#frag", `quo"te`, "...", "a/../b", strings.Repeat("z", 256)} {
		def := s.hook("hook " + string(rune('a'+i)))
		def["id"] = id
		var w webhook.Webhook
		resp := acme.ok(http.StatusCreated, &w, http.MethodPost, "/webhooks", def)
		require.Equal(t, id, w.ID)
		loc := resp.Header.Get("Location")
		var got webhook.Webhook
		acme.ok(http.StatusOK, &got, http.MethodGet, "/"+loc, nil)
		require.Equal(t, id, got.ID)
		acme.ok(http.StatusNoContent, nil, http.MethodDelete, "/"+loc, nil, "If-Match", `"1"`)
	}
	for _, id := range []string{".", ".."} {
		def := s.hook("dots")
		def["id"] = id
		p := acme.problem(http.StatusBadRequest, "invalid-request", http.MethodPost, "/webhooks", def)
		require.Equal(t, "id", p.Errors[0].Field)
	}
}
