// Package leakcheck fails a test that leaves goroutines behind. The project
// keeps its four dependencies, so this small check stands in for a
// goroutine-leak library: it compares the goroutines alive when the test
// ends with those alive when it began.
package leakcheck

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Check records the goroutines alive now and, when t ends, fails it if new
// ones are still alive after a grace period in which they may finish.
// Call it first in a test, before anything starts goroutines; it must not
// be used in parallel tests, which would see each other's goroutines.
func Check(t testing.TB) {
	t.Helper()
	before := ids(snapshot())
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			leaked := leftover(before)
			if len(leaked) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("leakcheck: %d goroutine(s) outlived the test:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// snapshot returns the stack of every goroutine, one string each.
func snapshot() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Split(string(bytes.TrimSpace(buf[:n])), "\n\n")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// id returns "goroutine 12" from a stack's first line.
func id(stack string) string {
	head, _, _ := strings.Cut(stack, " [")
	return head
}

func ids(stacks []string) map[string]bool {
	out := make(map[string]bool, len(stacks))
	for _, s := range stacks {
		out[id(s)] = true
	}
	return out
}

// leftover lists the goroutines that are new since before, leaving out the
// test machinery's own.
func leftover(before map[string]bool) []string {
	var out []string
	for _, s := range snapshot() {
		if before[id(s)] || strings.Contains(s, "leakcheck.snapshot") || strings.Contains(s, "testing.tRunner") {
			continue
		}
		out = append(out, s)
	}
	return out
}
