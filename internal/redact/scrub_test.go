package redact

import (
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// replacerOf is what scrubbing must equal: a strings.Replacer of the
// forms, longest first.
func replacerOf(r *Redactor) *strings.Replacer {
	pairs := []string{}
	for _, f := range r.forms {
		pairs = append(pairs, f, Redacted)
	}
	return strings.NewReplacer(pairs...)
}

var scrubSecrets = []string{"abcd", "abcdef", "cdefgh", "s3cr3t/+&=\"<>", "ababab"}

// TestScrubMatchesReplacer holds scrubbing to a strings.Replacer of the
// same forms: overlapping, nested and adjacent secrets, and secrets cut at
// either end.
func TestScrubMatchesReplacer(t *testing.T) {
	r := New(WithSecrets(scrubSecrets...))
	want := replacerOf(r)
	for _, s := range []string{
		"", "abc", "abcd", "abcdefgh", "xxabcdefghxx", "abababab", "ababababab", "cdefghabcd",
		"s3cr3t%2F%2B%26%3D%22%3C%3E", `s3cr3t\/+&=\"\u003c\u003e`, "abcabcdabcdeabcdef",
		strings.Repeat("ab", 50) + "cd",
	} {
		require.Equal(t, want.Replace(s), r.scrub(s), s)
	}
}

func FuzzScrub(f *testing.F) {
	f.Add("xxabcdefghxx", "abcd")
	f.Add("abababab", "ababab")
	f.Fuzz(func(t *testing.T, s, secret string) {
		r := New(WithSecrets(append([]string{secret}, scrubSecrets...)...))
		if want := replacerOf(r).Replace(s); r.scrub(s) != want {
			t.Fatalf("scrub(%q) = %q, want %q", s, r.scrub(s), want)
		}
	})
}

// TestRedactorHeap bounds what a webhook's Redactor holds once used:
// scrubbing needs no tables beside the forms of its secrets.
func TestRedactorHeap(t *testing.T) {
	const n = 500
	keep := make([]*Redactor, n)
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	before := m.HeapAlloc
	for i := range keep {
		keep[i] = New(WithSecrets(strings.Repeat(string(rune('a'+i%26)), 20)+"0123456789abcdef0123", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
		keep[i].String("a body that echoes nothing secret")
	}
	runtime.GC()
	runtime.ReadMemStats(&m)
	per := int64(m.HeapAlloc-before) / n
	runtime.KeepAlive(keep)
	t.Logf("%d bytes per Redactor", per)
	require.LessOrEqual(t, per, int64(768), "bytes per Redactor")
}
