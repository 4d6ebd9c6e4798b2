package webhook

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// The redactor of a templated URL's view knows the text of its query
// values, not their tags.
func TestWithoutTagsKeepsTheQueryTextOnly(t *testing.T) {
	for raw, want := range map[string]string{
		"env={{env}}":                    "env=",
		"k=tok-{{a}}-x&plain=static-x":   "k=tok--x&plain=static-x",
		"k={{{a}}}z&f={{#if a}}y{{/if}}": "k=z&f=y",
		"a=1&b=t{{x":                     "a=1&b=t",
		"flag&e=":                        "flag&e=",
	} {
		full := "https://h.example/p/{{id}}?" + raw
		u, err := url.Parse(full)
		require.NoError(t, err)
		before := *u
		got := withoutTags(full, u)
		require.Equal(t, want, got.RawQuery, raw)
		require.Empty(t, got.Fragment, "a '#' in a tag makes no fragment")
		require.Equal(t, "/p/{{id}}", got.Path, "the path is left to the caller")
		require.Equal(t, before, *u, "u is not modified")
	}
}
