package breaker

import (
	"testing"
	"time"
	"unsafe"
)

// A service holds a breaker per webhook and most never open: one that
// has not changed state holds no more than its settings and counters,
// and what it needs once open is made when it opens.
func TestClosedBreakerIsSmall(t *testing.T) {
	if size := unsafe.Sizeof(Breaker{}); size > 80 {
		t.Errorf("a Breaker is %d bytes, want at most 80", size)
	}
	now := time.Unix(0, 0)
	b := New(WithThreshold(2), WithClock(func() time.Time { return now }))
	for range 10 {
		p, err := b.Allow()
		if err != nil {
			t.Fatal(err)
		}
		p.Report(true)
	}
	p, _ := b.Allow()
	p.Report(false)
	if b.trip != nil {
		t.Errorf("a breaker that has not opened made its trip state")
	}
	p, _ = b.Allow()
	p.Report(false)
	if b.State() != Open || b.trip == nil {
		t.Errorf("state %v after two failures, want open with its trip state", b.State())
	}
}
