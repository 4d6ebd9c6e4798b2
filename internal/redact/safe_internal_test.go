package redact

import (
	"net/http"
	"strings"
	"testing"
)

// The switch that answers for the default safe headers shows exactly
// the names DefaultSafeHeaders lists, in any case, and no other.
func TestDefaultSafeSwitchIsTheList(t *testing.T) {
	listed := map[string]bool{}
	for _, name := range defaultSafe {
		listed[name] = true
	}
	var r *Redactor
	for _, name := range defaultSafe {
		for _, form := range []string{name, strings.ToLower(name), strings.ToUpper(name)} {
			if !r.isSafe(form) {
				t.Errorf("%q is listed as safe, and isSafe says it is not", form)
			}
		}
	}
	// Every canonical name a letter away from a listed one, and those
	// that must never show.
	others := []string{"Authorization", "Cookie", "Set-Cookie", "Location", "Webhook-Signature", "X-Api-Key", "Proxy-Authorization", ""}
	for _, name := range defaultSafe {
		for i := range len(name) + 1 {
			others = append(others, name[:i]+"x"+name[i:], name[:i]+name[min(i+1, len(name)):])
		}
	}
	for _, name := range others {
		if listed[http.CanonicalHeaderKey(name)] {
			continue
		}
		if r.isSafe(name) {
			t.Errorf("%q is not listed as safe, and isSafe says it is", name)
		}
	}
}
