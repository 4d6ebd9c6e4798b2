package redact

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzJSONPlain: a string jsonPlain lets skip the encoder is what the
// encoder writes, with HTML escaping and without.
func FuzzJSONPlain(f *testing.F) {
	for _, s := range []string{"MIIBYTCCAQig+/=", "a<b", `q"`, "\u2028", "\x7f", "tab\t", "plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !jsonPlain(s) {
			return
		}
		for _, html := range []bool{true, false} {
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(html)
			if err := enc.Encode(s); err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSuffix(b.String(), "\n"); got != `"`+s+`"` {
				t.Fatalf("%q encodes as %s", s, got)
			}
		}
	})
}
