package manage_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/manage"
)

// TestAnAnswerListsAtMostAHundredProblems: a body of 200 KB naming an
// unknown trigger 40 000 times was answered with 40 000 errors, some 5 MB
// for a client to read and a service to write. The answer lists the first
// hundred and says how many there were. (So many triggers are now one
// problem, more than the event types; 40 000 invalid header names are
// still 40 000.)
func TestAnAnswerListsAtMostAHundredProblems(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	headers := make([]string, 40000)
	for i := range headers {
		headers[i] = fmt.Sprintf(`"bad name %d": "v"`, i)
	}
	def := `{"name": "many", "url": "` + s.rc.URL + `/m", "triggers": ["RequestCreated"], "headers": {` + strings.Join(headers, ", ") + `}}`

	p := acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPost, "/webhooks", def)
	require.Len(t, p.Errors, 100)
	require.Contains(t, p.Detail, "40000 problems")
	require.True(t, strings.HasPrefix(p.Errors[0].Field, "headers.bad name "), p.Errors[0].Field)

	var v struct {
		Valid  bool
		Errors []struct{ Field string }
	}
	acme.ok(http.StatusOK, &v, http.MethodPost, "/validate", def)
	require.False(t, v.Valid)
	require.Len(t, v.Errors, 100)

	// The problems of the body itself are counted past the hundred listed.
	unknown := make([]string, 150)
	for i := range unknown {
		unknown[i] = fmt.Sprintf(`"x%d": 1`, i)
	}
	p = acme.problem(http.StatusBadRequest, "invalid-request", http.MethodPost, "/webhooks", "{"+strings.Join(unknown, ", ")+"}", manage.ExpectInvalid, "1")
	require.Len(t, p.Errors, 100)
	require.Contains(t, p.Detail, "150 problems")
}
