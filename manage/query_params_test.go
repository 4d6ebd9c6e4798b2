package manage_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/manage"
)

// A query parameter given empty, unknown to the operation, repeated, or
// badly escaped is refused with a 400 naming it, never read as absent: a
// client that writes ?active= or ?trigger=RequestCreated would otherwise
// get every webhook and believe the list filtered.
func TestQueryParametersEmptyUnknownOrRepeatedAreRefused(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	a := s.hook("a")
	a["id"] = "a"
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", a)

	for _, tc := range []struct {
		path, field string
		invalid     bool // the document's validator refuses it too
	}{
		{"/webhooks?limit=", "limit", true},
		{"/webhooks?trigger=", "trigger", false},
		{"/webhooks?active=", "active", false},
		{"/webhooks?active=true", "active", false},
		{"/webhooks?trigger=RequestCreated", "trigger", false},
		{"/webhooks?limit=5&limit=6", "limit", false},
		{"/webhooks?limit=5&Limit=6", "Limit", false},
		{"/webhooks/a/history?limit=", "limit", true},
		{"/invocations?webhook_id=", "webhook_id", false},
		{"/invocations?outcome=", "outcome", true},
		{"/invocations?since=", "since", true},
		{"/invocations?until=", "until", true},
		{"/invocations?limit=", "limit", true},
		{"/invocations?webhook=a", "webhook", false},
		{"/dead-letters?webhook_id=", "webhook_id", false},
		{"/dead-letters?outcome=failed", "outcome", false},
		{"/erasures?limit=", "limit", true},
		{"/summaries?id=a&id=", "id", false},
		{"/webhooks/a?version=3", "version", false},
		{"/event-types?kind=", "kind", false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			var header []string
			if tc.invalid {
				header = []string{manage.ExpectInvalid, "1"}
			}
			p := acme.in(t).problem(http.StatusBadRequest, "invalid-request", http.MethodGet, tc.path, nil, header...)
			require.Len(t, p.Errors, 1, "%+v", p)
			require.Equal(t, tc.field, p.Errors[0].Field)
			require.Contains(t, p.Detail, tc.field)
		})
	}

	// Badly escaped: net/url would drop the pair without a word.
	p := acme.problem(http.StatusBadRequest, "invalid-request", http.MethodGet, "/webhooks?limit=%zz", nil)
	require.Contains(t, p.Detail, "limit")

	// A name the caller chose is shown quoted when it is not text, and cut
	// when long.
	p = acme.problem(http.StatusBadRequest, "invalid-request", http.MethodGet, "/webhooks?%ff%fe=1", nil)
	require.Equal(t, `"\xff\xfe"`, p.Errors[0].Field)
	p = acme.problem(http.StatusBadRequest, "invalid-request", http.MethodGet, "/webhooks?"+strings.Repeat("x", 5000)+"=1", nil)
	require.Less(t, len(p.Errors[0].Field), 100)
	require.Less(t, len(p.Detail), 300)

	// Parameters given with values are read as before.
	var page struct {
		Webhooks []map[string]any `json:"webhooks"`
	}
	acme.ok(http.StatusOK, &page, http.MethodGet, "/webhooks?limit=1", nil)
	require.Len(t, page.Webhooks, 1)
	// An empty cursor is the first page's, as a client's loop over
	// next_cursor starts.
	acme.ok(http.StatusOK, &page, http.MethodGet, "/webhooks?limit=1&cursor=", nil)
	require.Len(t, page.Webhooks, 1)
	acme.ok(http.StatusOK, nil, http.MethodGet, "/summaries?id=a&id=a", nil)
	acme.ok(http.StatusOK, nil, http.MethodGet, "/invocations?webhook_id=a&outcome=failed&limit=3", nil)
	acme.ok(http.StatusOK, nil, http.MethodGet, "/webhooks?&limit=1&", nil)
	s.anon.ok(http.StatusOK, nil, http.MethodGet, "/openapi.json?v=2", nil)
}

// in returns a copy of a that fails t, a subtest's.
func (a *api) in(t *testing.T) *api {
	c := *a
	c.t = t
	return &c
}
