package redact

import (
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// A Redactor extended with secrets knows what one made with all of them
// knows, in the order formAt relies on, whatever secrets the two share;
// and the one extended is left as it was.
func TestExtendKnowsWhatNewKnows(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 21))
	pool := []string{"tok", "t0ken-aa", "t0ken-aab", "a/b c", "x<y>&z", "ab", "hunter2", "Bearer t0ken-aa", "ümlaut-ß", `q"uote`, "t0ken-ab"}
	pick := func() []string {
		var out []string
		for range rng.IntN(5) {
			out = append(out, pool[rng.IntN(len(pool))])
		}
		return out
	}
	u, err := url.Parse("https://u:pw-1234@h.example/p?k=qv-5678")
	if err != nil {
		t.Fatal(err)
	}
	for range 500 {
		a, b := pick(), pick()
		h := http.Header{"Authorization": {"Bearer " + pool[rng.IntN(len(pool))]}, "Content-Type": {"text/plain"}}
		base := New(WithSecrets(a...))
		baseForms := slices.Clone(base.forms)
		got := base.Extend(WithSecrets(b...), WithSecretsFrom(u, h))
		want := New(WithSecrets(a...), WithSecrets(b...), WithSecretsFrom(u, h))
		if !slices.Equal(sorted(got.forms), sorted(want.forms)) {
			t.Fatalf("%q + %q: forms %q, want %q", a, b, got.forms, want.forms)
		}
		if !slices.IsSortedFunc(got.forms, func(x, y string) int { return order(x, y) }) {
			t.Fatalf("forms out of order: %q", got.forms)
		}
		if got.starts != want.starts {
			t.Fatalf("%q + %q: starts differ", a, b)
		}
		if !slices.Equal(base.forms, baseForms) {
			t.Fatalf("the base's forms changed: %q, were %q", base.forms, baseForms)
		}
	}
}

func TestExtendKeepsTheSafeHeaders(t *testing.T) {
	base := New(WithSafeHeaders("X-Shown"))
	h := http.Header{"X-Shown": {"v"}, "Content-Type": {"text/plain"}}
	got := base.Extend(WithSecrets("s3cret")).Header(h)
	if got["X-Shown"][0] != "v" || got["Content-Type"][0] != Redacted {
		t.Fatalf("extended redactor shows %v", got)
	}
	if s := (*Redactor)(nil).Extend(WithSecrets("s3cret")).String("a s3cret b"); s != "a "+Redacted+" b" {
		t.Fatalf("nil extended: %q", s)
	}
}

func sorted(fs []string) []string {
	out := slices.Clone(fs)
	slices.Sort(out)
	return out
}

// order is the order forms lists its forms in, up to forms of one first
// byte and one length, which may come in any order.
func order(a, b string) int {
	if a[0] != b[0] {
		return int(a[0]) - int(b[0])
	}
	return len(b) - len(a)
}
