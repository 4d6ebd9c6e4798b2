package manage_test

import (
	"net/http"
	"net/url"
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

// TestForgedCursorsAreTheCallersFault sends cursors no page gave: each is
// a 400 naming the cursor, never a 500 the service is paged for.
func TestForgedCursorsAreTheCallersFault(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", s.hook("one"))
	for _, cursor := range []string{"%00", "zzz%FF", "not*base64!", "%E2%80%AE"} {
		for _, path := range []string{"/webhooks", "/invocations", "/dead-letters"} {
			p := acme.problem(http.StatusBadRequest, "invalid-request", http.MethodGet, path+"?cursor="+cursor, nil)
			require.Len(t, p.Errors, 1, "%s %s", path, cursor)
			require.Equal(t, "cursor", p.Errors[0].Field, "%s %s", path, cursor)
		}
	}
}

// TestPathsThatAreNotCleanAreNotFound sends paths with empty and dot
// segments: net/http's mux would redirect them with an HTML page, to a
// path that is wrong under a prefix; an API answers them with a problem.
func TestPathsThatAreNotCleanAreNotFound(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	def := s.hook("one")
	def["id"] = "one"
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)
	for _, path := range []string{"/webhooks//one", "/webhooks/./one", "/webhooks/x/../one", "//webhooks", "/webhooks/one/.", "/./event-types"} {
		p := acme.problem(http.StatusNotFound, "not-found", http.MethodGet, path, nil)
		require.Equal(t, path, p.Instance)
		acme.problem(http.StatusNotFound, "not-found", http.MethodDelete, path, nil, "If-Match", "*")
	}
	acme.ok(http.StatusOK, nil, http.MethodGet, "/webhooks/one", nil)
}

// TestAProblemsInstanceIsTheURIReferenceRequested checks that instance
// is a URI reference (RFC 9457) naming the path as requested: decoded,
// /webhooks/a%2Fb would name another resource, and a NUL or a space would
// make it no URI at all.
func TestAProblemsInstanceIsTheURIReferenceRequested(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	for _, path := range []string{"/webhooks/no%2Fsuch", "/webhooks/on%00e", "/webhooks/a%20b", "/webhooks/%C3%A9t%C3%A9", "/no%2Fsuch/path"} {
		p := acme.problem(http.StatusNotFound, "not-found", http.MethodGet, path, nil)
		require.Equal(t, path, p.Instance)
		_, err := url.Parse(p.Instance)
		require.NoError(t, err)
	}
}

// TestAKeyGivenTwiceIsRefusedAtAnyDepth sends objects with a key twice
// where the body holds a map or a value decoded on its own (a header,
// the event): encoding/json would take the last, a proxy or a validator
// in front may read the first.
func TestAKeyGivenTwiceIsRefusedAtAnyDepth(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	for _, tc := range []struct{ path, body, field string }{
		{"/webhooks", `{"name": "a", "url": "` + s.rc.URL + `/a", "triggers": ["RequestCreated"], "headers": {"X-Team": "a", "X-Team": "b"}}`, "headers.X-Team"},
		{"/preview", `{"body_template": "{}", "event": {"event_type": "RequestCreated", "event_time": 1, "event_type": "RequestApproved", "data": {}}}`, "event.event_type"},
		{"/preview", `{"body_template": "{}", "event": {"event_type": "RequestCreated", "event_time": 1, "data": {"id": "a", "x": [{"id": 1, "id": 2}]}}}`, "event.data.x[0].id"},
		{"/webhooks", `{"name": "b", "url": "` + s.rc.URL + `/b", "triggers": ["RequestCreated"], "filters": {"data.id": "a", "data.id": "b"}}`, "filters.data.id"},
	} {
		p := acme.problem(http.StatusBadRequest, "invalid-request", http.MethodPost, tc.path, tc.body)
		require.Len(t, p.Errors, 1, "%s", tc.body)
		require.Equal(t, tc.field, p.Errors[0].Field)
		require.Contains(t, p.Errors[0].Message, "twice")
		require.Equal(t, 1, p.Errors[0].Line)
	}
}
