package manage_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/manage"
)

// A ';' in a pair makes net/url drop the whole pair, as it drops one
// badly escaped: ?webhook_id=a;outcome=failed would list every webhook's
// invocations, unfiltered. It is refused, naming the parameter.
func TestQuerySemicolonIsRefused(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	for _, name := range []string{"a", "b"} {
		h := s.hook(name)
		h["id"] = name
		acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", h)
	}
	for _, tc := range []struct {
		path, field string
		invalid     bool // the document's validator, reading as net/url does, finds the required id missing
	}{
		{"/webhooks?limit=1;cursor=", "limit", false},
		{"/invocations?webhook_id=a;outcome=failed", "webhook_id", false},
		{"/summaries?id=a;id=b", "id", true},
		{"/webhooks?cursor=;", "cursor", false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			var header []string
			if tc.invalid {
				header = []string{manage.ExpectInvalid, "1"}
			}
			p := acme.in(t).problem(http.StatusBadRequest, "invalid-request", http.MethodGet, tc.path, nil, header...)
			require.Len(t, p.Errors, 1, "%+v", p)
			require.Equal(t, tc.field, p.Errors[0].Field)
			require.Contains(t, p.Detail, ";")
		})
	}
	// Escaped, a ';' is a value's: the pair is read.
	acme.problem(http.StatusBadRequest, "invalid-request", http.MethodGet, "/webhooks?limit=1%3B2", nil, manage.ExpectInvalid, "1")
}
