package redact

import (
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// replacerOf is what scrubbing must equal: a strings.Replacer of the
// forms, longest first.
func replacerOf(r *Redactor) *strings.Replacer {
	forms := slices.Clone(r.forms)
	slices.SortStableFunc(forms, func(a, b string) int { return len(b) - len(a) })
	pairs := []string{}
	for _, f := range forms {
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

// TestScrubCostsNoMoreThanReplacer holds scrubbing a 64 KB body with the
// forms of a client certificate's lines (dozens of forms that start with
// every byte of base64 between them) to the time of a strings.Replacer
// of the same forms, in the same run: a body of other base64, and one
// made of the secrets' starts. Each figure is the fastest of several
// runs, so that a loaded machine delays both alike.
func TestScrubCostsNoMoreThanReplacer(t *testing.T) {
	lines, body := certLines(24, 64<<10)
	var hostile strings.Builder
	for hostile.Len() < 64<<10 {
		hostile.WriteString(lines[hostile.Len()%len(lines)][:63])
	}
	r := New(WithSecrets(lines...))
	rep := replacerOf(r)
	fastest := func(f func()) time.Duration {
		best := time.Duration(1 << 62)
		for range 7 {
			start := time.Now()
			f()
			best = min(best, time.Since(start))
		}
		return best
	}
	for name, s := range map[string]string{"base64": body, "secrets' starts": hostile.String()} {
		require.Equal(t, rep.Replace(s), r.scrub(s), name)
		scrub := fastest(func() { r.scrub(s) })
		replacer := fastest(func() { rep.Replace(s) })
		t.Logf("%s: scrub %v, Replacer %v", name, scrub, replacer)
		require.LessOrEqual(t, scrub, 3*replacer+time.Millisecond, "%s: scrub %v, Replacer %v", name, scrub, replacer)
	}
}
