// Package headerfold reads an http.Header under every spelling of a name.
// Header names are case-insensitive, and a map need not come from
// net/http, which makes them canonical: a Go action's answer or a
// serverless event may write its names in lower case.
package headerfold

import (
	"net/http"
	"slices"
	"strings"
)

// Values returns the values of the header name (canonical) in h under
// every spelling: the canonical one's first, then the others' in sorted
// order, so that map order never decides which come first.
func Values(h http.Header, name string) []string {
	values := h[name]
	var others []string // rare: made only when there are other spellings
	for key := range h {
		if len(key) == len(name) && key != name && strings.EqualFold(key, name) {
			others = append(others, key)
		}
	}
	slices.Sort(others)
	for _, key := range others {
		values = append(values[:len(values):len(values)], h[key]...)
	}
	return values
}
