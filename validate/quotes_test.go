package validate_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/validate"
)

// JSONPath writes member names and filter operands in single quotes as
// often as in double ones ($['status'], [?(@.state=='done')]); both must
// reach the same values.
func TestJSONPathSingleQuotedStrings(t *testing.T) {
	body := decodeBody(t, `{"status": "ok", "it's": "apostrophe", "say \"hi\"": "quoted",
		"items": [{"state": "done", "n": 1}, {"state": "failed", "n": 2}],
		"data": {"nested": "yes"}}`)
	tests := []struct {
		path string
		want string
	}{
		{`$['status']`, "ok"},
		{`$['data']['status']`, "ok"},
		{`$.data['status']`, "ok"},
		{`['status']`, "ok"},
		{`$['data']['data']['nested']`, "yes"},
		{`$['it\'s']`, "apostrophe"},
		{`$['say "hi"']`, "quoted"},
		{`$.items[?(@.state=='failed')].n`, "2"},
		{`$.data.items[?(@.state == 'done')].state`, "done"},
		{`$["items"][?(@.state=="failed")]['n']`, "2"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			v, err := validate.JSONPath(tt.path, []string{tt.want})
			require.NoError(t, err)
			r := v.Check(body)
			require.True(t, r.Passed, r.String())
		})
	}
}

func TestJSONPathUnclosedSingleQuote(t *testing.T) {
	for _, path := range []string{`$['status`, `$.items[?(@.state=='done)]`, `$['it\']`} {
		t.Run(path, func(t *testing.T) {
			_, err := validate.JSONPath(path, nil)
			require.ErrorIs(t, err, validate.ErrInvalidPath)
			var pe *validate.PathError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, path, pe.Path)
			require.Contains(t, err.Error(), "no closing quote")
		})
	}
}
