package manage_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/manage"
)

// TestValidateAndTestRefuseAMaskAsCreateDoes: POST /validate checks a
// definition as creating it would, so a copy of another webhook's read,
// its secrets masked, is invalid there with the fields and messages the
// create's 422 names. POST /test of such a draft, with no stored webhook
// behind its id, would send the mask as the secret: it is the same 422,
// and the receiver gets nothing.
func TestValidateAndTestRefuseAMaskAsCreateDoes(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	def := s.hook("orig")
	def["id"] = "orig"
	def["headers"] = map[string]string{"Authorization": "Bearer tok_live_1"}
	def["secrets"] = map[string]string{"k": "body-secret-1"}
	def["body_template"] = `{"k": "{{secrets.k}}"}`
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)

	var read map[string]any
	acme.ok(http.StatusOK, &read, http.MethodGet, "/webhooks/orig", nil)
	read["id"], read["name"] = "copy", "copy"
	delete(read, "version")

	created := acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPost, "/webhooks", read)
	require.ElementsMatch(t, []string{"headers.Authorization", "secrets.k"}, fields(created.Errors))

	var validation struct {
		Valid  bool                `json:"valid"`
		Errors []manage.FieldError `json:"errors"`
	}
	acme.ok(http.StatusOK, &validation, http.MethodPost, "/validate", read)
	require.False(t, validation.Valid)
	require.ElementsMatch(t, created.Errors, validation.Errors)

	tested := acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPost, "/test",
		map[string]any{"webhook": read})
	require.ElementsMatch(t, created.Errors, tested.Errors)

	// The read of the stored webhook itself, under its own id, is what
	// an edit form checks before an update, which keeps the masked
	// values: valid.
	var own map[string]any
	acme.ok(http.StatusOK, &own, http.MethodGet, "/webhooks/orig", nil)
	delete(own, "version")
	acme.ok(http.StatusOK, &validation, http.MethodPost, "/validate", own)
	require.True(t, validation.Valid, "%v", validation.Errors)

	// A draft without an id is no stored webhook either.
	delete(read, "id")
	tested = acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPost, "/test",
		map[string]any{"webhook": read})
	require.ElementsMatch(t, []string{"headers.Authorization", "secrets.k"}, fields(tested.Errors))

	// The draft of the stored webhook, a header added with the mask.
	read["id"] = "orig"
	read["headers"] = map[string]string{"Authorization": "REDACTED", "X-Api-Key": "REDACTED"}
	tested = acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPost, "/test",
		map[string]any{"webhook": read})
	require.Equal(t, []string{"headers.X-Api-Key"}, fields(tested.Errors))

	reqs, _ := s.rc.requests()
	require.Empty(t, reqs, "a mask was sent as a secret")

	// Sent back as read, the stored webhook's masks keep its values.
	delete(read["headers"].(map[string]string), "X-Api-Key")
	acme.ok(http.StatusOK, nil, http.MethodPost, "/test", map[string]any{"webhook": read})
	reqs, bodies := s.rc.requests()
	require.Len(t, reqs, 1)
	require.Equal(t, "Bearer tok_live_1", reqs[0].Header.Get("Authorization"))
	require.JSONEq(t, `{"k": "body-secret-1"}`, bodies[0])
}
