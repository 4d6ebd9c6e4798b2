// Package sharedtest finds the material that lives beside the repository in
// ../shared (the Apono fixtures, the mustache spec, the signing test vector)
// for tests. Someone who cloned the repository alone has no ../shared, so
// tests that need it skip with a message; in CI (CI=true) they fail instead,
// so the conformance suites cannot silently stop running.
package sharedtest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// EnvDir names the environment variable that overrides where shared/ is.
const EnvDir = "OUTHOOK_SHARED_DIR"

// Dir returns the path of sub inside shared/, such as "fixtures/apono" or
// "spec/mustache". It looks at $OUTHOOK_SHARED_DIR, then for a folder named
// shared beside the module root. When sub is not found it skips the test, or
// fails it when CI=true.
func Dir(t testing.TB, sub string) string {
	t.Helper()
	if dir := os.Getenv(EnvDir); dir != "" {
		return found(t, filepath.Join(dir, sub))
	}
	root, err := moduleRoot()
	if err == nil {
		p := filepath.Join(filepath.Dir(root), "shared", sub)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	missing(t, "../shared/"+sub+" (beside the repository, or set "+EnvDir+")")
	return ""
}

func found(t testing.TB, p string) string {
	t.Helper()
	if _, err := os.Stat(p); err != nil {
		missing(t, p)
	}
	return p
}

func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing; CI requires it", what)
	}
	t.Skipf("%s not found; skipping (CI=true makes this a failure)", what)
}

// moduleRoot walks up from the working directory (a test runs in its
// package's folder) to the folder holding the root go.mod, the one whose
// parent holds shared/.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	var last string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			last = d
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(d), "shared")); err == nil && last != "" {
			return last, nil
		}
		if filepath.Dir(d) == d {
			return last, nil
		}
	}
}

// Files returns the files in shared/sub that match pattern, such as
// "*.json", sorted; it skips or fails as Dir does when there are none.
func Files(t testing.TB, sub, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(Dir(t, sub), pattern))
	if err != nil || len(files) == 0 {
		missing(t, "../shared/"+sub+"/"+pattern)
	}
	return files
}

// Events returns the shared Apono fixtures by name
// ("fixture/request-created.json").
func Events(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range Files(t, "fixtures/apono", "*.json") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out["fixture/"+filepath.Base(f)] = b
	}
	return out
}

// DecodeExact decodes JSON keeping every number's literal (json.Number),
// so that comparing two results compares digits, not float64
// approximations.
func DecodeExact(t testing.TB, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		t.Fatal(err)
	}
	return x
}
