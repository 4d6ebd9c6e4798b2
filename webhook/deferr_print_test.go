package webhook_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// A definition's error names the field at fault without writing its
// control characters into the text, which goes to logs: a header name
// with a line break would start a forged log line.
func TestDefinitionErrorTextHasNoControlCharacters(t *testing.T) {
	d, _ := newDispatcher(t)
	w := torqLike("https://example.com/hook")
	w.Headers = map[string]string{"X Torq\r\nlevel=error msg=forged": "v", "X\x1b[31mRed": "v"}
	_, err := d.Add(w)
	require.Error(t, err)
	var errs webhook.DefinitionErrors
	require.ErrorAs(t, err, &errs)
	require.Len(t, errs, 2)
	fields := map[string]bool{}
	for _, e := range errs {
		fields[e.Field] = true
		require.False(t, strings.ContainsAny(e.Error(), "\r\n\x1b"), "error text %q", e.Error())
	}
	require.True(t, fields["headers.X Torq\r\nlevel=error msg=forged"], "the Field keeps the name as given, for programs: %v", fields)
}
