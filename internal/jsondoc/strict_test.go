package jsondoc

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestParseStrictRefusesInvalidUTF8(t *testing.T) {
	tests := []struct {
		name, in string
		offset   int
		line     int
		col      int
		path     string
	}{
		{"top-level string", "\"ab\xffc\"", 3, 1, 4, "$"},
		{"member", "{\"a\": {\"name\": \"Zo\xeb\"}}", 18, 1, 19, "$.a.name"},
		{"after an escape", "{\"a\": \"\\n\xc3\x28\"}", 9, 1, 10, "$.a"},
		{"array element", "{\"items\": [\"ok\",\n \"bad\xfe\"]}", 22, 2, 6, "$.items[1]"},
		{"odd key", "{\"a b\": [\"\xff\"]}", 10, 1, 11, `$["a b"][0]`},
		{"object key", "{\"data\": {\"k\xff\": 1}}", 12, 1, 13, "$.data"},
		{"truncated rune", "[\"\xe2\x82\"]", 2, 1, 3, "$[0]"},
		{"lone surrogate escape", `{"a": "x\ud800y"}`, 8, 1, 9, "$.a"},
		{"surrogates reversed", `["\udc00\ud800"]`, 2, 1, 3, "$[0]"},
		{"high surrogate, then no low one", `["ab\ud83d\u0041"]`, 4, 1, 5, "$[0]"},
		{"lone surrogate in a key", `{"k\udfff": 1}`, 3, 1, 4, "$"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseStrict([]byte(tt.in))
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			require.Equal(t, MsgInvalidUTF8, se.Msg)
			require.Equal(t, tt.offset, se.Offset, "offset")
			require.Equal(t, []int{tt.line, tt.col}, []int{se.Line, se.Column}, "line, column")
			require.Equal(t, tt.path, se.Path)

			v, err := Parse([]byte(tt.in))
			require.NoError(t, err, "Parse replaces what ParseStrict refuses")
			require.NotNil(t, v)
		})
	}
	for _, ok := range []string{`"Zoë ✓ 😀"`, `"\u00e9\ud83d\ude00"`, `{"é": ["ü"]}`} {
		_, err := ParseStrict([]byte(ok))
		require.NoError(t, err, ok)
	}
}

func TestSyntaxErrorPath(t *testing.T) {
	_, err := Parse([]byte(`{"data": {"items": [1, 2, tru]}}`))
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	require.Equal(t, "$.data.items[2]", se.Path)
	require.EqualError(t, err, `json: line 1, column 27, at $.data.items[2]: invalid literal, expected "true"`)
}

// TestSyntaxErrorPathIsBounded puts an error under long keys and deep
// nesting: the path names where it is, but its length does not grow with
// the document, whose author may be hostile (a receiver's response).
func TestSyntaxErrorPathIsBounded(t *testing.T) {
	long := strings.Repeat("k", 100_000)
	tests := []struct {
		name, in       string
		prefix, suffix string
	}{
		{"a long key", `{"` + long + `": tru}`, `$["kkkk`, `kkkk…"]`},
		{"a long plain key", `{"data": {"` + long + `": [1, tru]}}`, `$.data["kkkk`, `…"][1]`},
		{"deep nesting", strings.Repeat("[", MaxDepth+1), "$[0][0][0][0][0][0][0][0]…", "[0][0][0][0][0][0][0][0]"},
		{"deep long keys", strings.Repeat(`{"`+strings.Repeat("é", 500)+`":`, 50) + "tru", `$["éé`, `é…"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			require.LessOrEqual(t, len(se.Path), 2048, "%.300s", se.Path)
			require.LessOrEqual(t, len(err.Error()), 2200)
			require.True(t, strings.HasPrefix(se.Path, tt.prefix), "%.300s", se.Path)
			require.True(t, strings.HasSuffix(se.Path, tt.suffix), "%.300s", se.Path)
			require.True(t, utf8.ValidString(se.Path))
		})
	}
}
