package manage_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAnIDNoWebhookCanHaveIsTheCallersFault passes ids with a NUL or bytes
// that are not UTF-8 in query strings and paths: a store on PostgreSQL
// failed on them, a 500. A page's filter is a 400 naming webhook_id, a
// dead letter or a discard finds nothing.
func TestAnIDNoWebhookCanHaveIsTheCallersFault(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	for _, id := range []string{"%00", "a%00b", "%FF"} {
		for _, path := range []string{"/invocations", "/dead-letters"} {
			p := acme.problem(http.StatusBadRequest, "invalid-request", http.MethodGet, path+"?webhook_id="+id, nil)
			require.Equal(t, "webhook_id", p.Errors[0].Field, "%s %s", path, id)
		}
		acme.problem(http.StatusNotFound, "not-found", http.MethodPost, "/dead-letters/"+id+"/redeliver", nil)
		var out struct{ Discarded int }
		acme.ok(http.StatusOK, &out, http.MethodPost, "/webhooks/"+id+"/dead-letters/discard", map[string]any{})
		require.Zero(t, out.Discarded)
	}
	p := acme.problem(http.StatusBadRequest, "invalid-request", http.MethodPost, "/erasures", `{"webhook_id": "a\u0000b"}`)
	require.Equal(t, "webhook_id", p.Errors[0].Field)
}
