package manage_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// A trigger given twice says nothing the first did not, and was stored:
// 60,000 copies of one made a definition of a megabyte, read back and
// matched on every load. Each copy is a 422 naming its place; more
// triggers than the service has event types is one problem, however
// many there are.
func TestATriggerGivenTwiceIsRefused(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")

	def := s.hook("twice")
	def["triggers"] = []string{"RequestCreated", "RequestApproved", "RequestCreated"}
	p := acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPost, "/webhooks", def)
	require.Equal(t, []string{"triggers[2]"}, fields(p.Errors))
	require.Contains(t, p.Errors[0].Message, "triggers[0]")

	var validation struct {
		Valid  bool `json:"valid"`
		Errors []struct{ Field string }
	}
	acme.ok(http.StatusOK, &validation, http.MethodPost, "/validate", def)
	require.False(t, validation.Valid)
	require.Len(t, validation.Errors, 1)
	require.Equal(t, "triggers[2]", validation.Errors[0].Field)

	many := make([]string, 60000)
	for i := range many {
		many[i] = "RequestCreated"
	}
	def["triggers"] = many
	p = acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPost, "/webhooks", def)
	require.Equal(t, []string{"triggers"}, fields(p.Errors))

	var got struct{ Webhooks []any }
	acme.ok(http.StatusOK, &got, http.MethodGet, "/webhooks", nil)
	require.Empty(t, got.Webhooks)

	def["triggers"] = []string{"RequestCreated", "RequestApproved"}
	acme.ok(http.StatusCreated, nil, http.MethodPost, "/webhooks", def)
}
