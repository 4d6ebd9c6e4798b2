package filter_test

import (
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// clockThreadCPUTime is Linux's CLOCK_THREAD_CPUTIME_ID, which package
// syscall does not name.
const clockThreadCPUTime = 3

// threadCPU runs f on one OS thread and returns the CPU time that thread
// spent in it. Unlike the wall clock, it does not count the time the
// thread waited for a core, so it stays near f's cost on a loaded machine.
func threadCPU(t testing.TB, f func()) time.Duration {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	now := func() time.Duration {
		var ts syscall.Timespec
		if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
			t.Fatalf("clock_gettime: %v", errno)
		}
		return time.Duration(ts.Nano())
	}
	start := now()
	f()
	return now() - start
}
