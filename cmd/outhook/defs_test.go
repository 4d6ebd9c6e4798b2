package main

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestValueOffsets(t *testing.T) {
	raw := "{\n \"webhooks\": [\n  {\"name\": \"a\", \"headers\": {\"X.Y\": \"v\"}, \"response_validators\": [{\"json_path\": \"$.data.x\"}]},\n  [1, {\"k\": null}]\n ]\n}"
	at := valueOffsets([]byte(raw))
	for path, starts := range map[string]string{
		"":                        "{\n",
		"webhooks":                "[\n",
		"webhooks[0]":             `{"name"`,
		"webhooks[0].name":        `"a"`,
		"webhooks[0].headers":     `{"X.Y"`,
		"webhooks[0].headers.X.Y": `"v"`,
		"webhooks[0].response_validators[0].json_path": `"$.data.x"`,
		"webhooks[1]":      "[1,",
		"webhooks[1][0]":   "1,",
		"webhooks[1][1].k": "null",
	} {
		off, ok := at[path]
		require.True(t, ok, path)
		require.True(t, strings.HasPrefix(raw[off:], starts), "%s at %d: %q", path, off, raw[off:min(off+10, len(raw))])
	}

	defs := &definitions{raw: []byte(raw), roots: []string{"webhooks[0]"}, at: at}
	require.Equal(t, at["webhooks[0].headers.X.Y"], defs.offset("webhooks[0]", "headers.X.Y"))
	require.Equal(t, at["webhooks[0].headers"], defs.offset("webhooks[0]", "headers.Nope"), "a missing header: its object")
	require.Equal(t, at["webhooks[0].response_validators[0]"], defs.offset("webhooks[0]", "response_validators[0].status"))
	require.Equal(t, at["webhooks[0]"], defs.offset("webhooks[0]", "triggers"), "a missing field: its definition")
	require.Equal(t, -1, (&definitions{at: map[string]int{}}).offset("[3]", "url"))
}

func TestStringOffset(t *testing.T) {
	for _, tc := range []struct {
		raw       string // a JSON string literal, then anything
		line, col int
		want      string // raw from the offset found
	}{
		{`"abc"`, 1, 2, `bc"`},
		{`"a\nbc"`, 2, 1, `bc"`},
		{`"a\u000abc"`, 2, 2, `c"`},
		{`"\"\\x"`, 1, 3, `x"`},
		{`"é{{x}}"`, 1, 3, `{{x}}"`},
		{`"\u00e9{{x}}"`, 1, 3, `{{x}}"`},
		{`"\ud83d\ude00{{x}}"`, 1, 5, `{{x}}"`},
		{`"\ud83dx"`, 1, 4, `x"`},
		{"\"\xff{{x}}\"", 1, 4, `{{x}}"`},
		{`"ab"`, 1, 3, `"`},
		{`"ab"`, 1, 4, `"ab"`},
		{`"ab"`, 5, 1, `"ab"`},
	} {
		off := stringOffset([]byte(tc.raw), 0, tc.line, tc.col)
		require.Equal(t, tc.want, tc.raw[off:], "%s %d:%d", tc.raw, tc.line, tc.col)
	}
}

// FuzzStringOffset checks that every position of the decoded text maps to
// where its encoding starts: the literal cut there decodes to the text up
// to that position, whichever way the string is escaped.
func FuzzStringOffset(f *testing.F) {
	for _, s := range []string{"", "a", "{\"a\": {{x}}}\n{{y}}", "é😀\u2028<&>", "\xff\xfe", "a\\\"b\r\n\tc"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, escapeAll bool) {
		if len(s) > 200 {
			return
		}
		var raw []byte
		if escapeAll {
			raw = []byte(jsonString(strings.ToValidUTF8(s, "\uFFFD")))
		} else {
			var err error
			if raw, err = json.Marshal(s); err != nil {
				t.Fatal(err)
			}
		}
		var decoded string
		if err := json.Unmarshal(raw, &decoded); err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		line, col := 1, 1
		for k := 0; k <= len(decoded); {
			off := stringOffset(raw, 0, line, col)
			var prefix string
			if err := json.Unmarshal(append(raw[:off:off], '"'), &prefix); err != nil {
				t.Fatalf("%q cut at %d for %d:%d: %v", raw, off, line, col, err)
			}
			if prefix != decoded[:k] {
				t.Fatalf("%q: %d:%d maps to %d, which decodes to %q, not %q", raw, line, col, off, prefix, decoded[:k])
			}
			if k == len(decoded) {
				break
			}
			_, n := utf8.DecodeRuneInString(decoded[k:])
			if decoded[k] == '\n' {
				line, col = line+1, 1
			} else {
				col += n
			}
			k += n
		}
	})
}
