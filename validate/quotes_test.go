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

// A status code is three digits: other spellings that strconv would read
// (+200, 0200) are refused, not taken for the code.
func TestParseStatusTakesThreeDigits(t *testing.T) {
	for _, spec := range []string{"+200", "0200", "200-+204", "200-0204", "+20", "2_00"} {
		t.Run(spec, func(t *testing.T) {
			_, err := validate.ParseStatus(spec)
			require.ErrorIs(t, err, validate.ErrInvalidStatus)
		})
	}
}
