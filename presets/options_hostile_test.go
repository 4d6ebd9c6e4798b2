package presets_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/presets"
)

// An option's value the caller passed wrong is refused by the preset, with
// ErrInvalidOption, not by the Dispatcher later; and the error quotes it
// cut, so that a 100 KB value does not make a 100 KB error. A client
// token holding a line break (a token read from a file with its newline)
// would be a header the Dispatcher refuses, or a split header.
func TestHostileOptionValues(t *testing.T) {
	huge := strings.Repeat("x", 100_000)
	_, err := presets.Jira("https://acme.atlassian.net/rest/api/3/issue", "a@acme.example", "tok", "SEC", presets.WithIssueType(huge))
	require.ErrorIs(t, err, presets.ErrInvalidOption)
	require.Less(t, len(err.Error()), 400, "%.300s", err)
	require.Contains(t, err.Error(), "100000 bytes")

	for _, tok := range []string{"ct\n", "c\r\nX-Injected: 1", "c\x00t", " ct", "ct\t"} {
		_, err := presets.OktaWorkflows("https://acme.workflows.okta.com/api/flo/f1/invoke", presets.WithClientToken(tok))
		require.ErrorIs(t, err, presets.ErrInvalidOption, "%q", tok)
	}
	_, err = presets.OktaWorkflows("https://acme.workflows.okta.com/api/flo/f1/invoke", presets.WithClientToken(huge))
	require.NoError(t, err, "a long token is the target's to judge")
}
