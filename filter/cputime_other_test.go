//go:build !linux

package filter_test

import (
	"testing"
	"time"
)

// threadCPU returns the wall time f took: elsewhere than on Linux there is
// no portable per-thread CPU clock, so a loaded machine inflates it.
func threadCPU(_ testing.TB, f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}
