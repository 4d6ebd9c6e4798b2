package riverengine

import (
	"encoding/json"
	"testing"
)

// jsonbSafe replaces NUL escapes, and only those: an escaped backslash
// followed by "u0000" is text, and stays.
func TestJSONBSafe(t *testing.T) {
	for in, want := range map[string]string{
		"a\x00b":      "a\ufffdb",
		`\u0000`:      `\u0000`,
		"\\\x00":      "\\\ufffd",
		"\x00\x00end": "\ufffd\ufffdend",
		"plain":       "plain",
	} {
		rec, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if err := json.Unmarshal(jsonbSafe(rec), &got); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got != want {
			t.Errorf("jsonbSafe(%q) = %q, want %q", in, got, want)
		}
	}
}
