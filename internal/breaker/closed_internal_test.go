package breaker

import (
	"testing"
	"time"
)

// A closed breaker's attempts take no lock: Allow, a success's Report and
// State go through while another goroutine holds the breaker's lock (as a
// failing attempt does while it counts), and still see every change made
// under it.
func TestClosedPathTakesNoLock(t *testing.T) {
	b := New(WithThreshold(2))
	p, err := b.Allow() // publishes the state, as the first call of any breaker
	if err != nil {
		t.Fatal(err)
	}
	p.Report(true)

	b.mu.Lock()
	done := make(chan State)
	go func() {
		p, err := b.Allow()
		if err != nil {
			t.Error(err)
		}
		p.Report(true)
		done <- b.State()
	}()
	select {
	case s := <-done:
		if s != Closed {
			t.Errorf("state %v, want closed", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a closed breaker's Allow, Report(true) or State waits for the lock")
	}
	b.mu.Unlock()

	// A failure counted makes the next success take the lock and reset the
	// count: two more failures are needed to open.
	p1, _ := b.Allow()
	p1.Report(false)
	p2, _ := b.Allow()
	p2.Report(true)
	p3, _ := b.Allow()
	p3.Report(false)
	if s := b.State(); s != Closed {
		t.Fatalf("state %v after failure, success, failure with threshold 2, want closed", s)
	}
	p4, _ := b.Allow()
	p4.Report(false)
	if s := b.State(); s != Open {
		t.Fatalf("state %v after two failures in a row, want open", s)
	}
	if _, err := b.Allow(); err == nil {
		t.Fatal("an open breaker allowed an attempt")
	}
}

// A success allowed while closed, reported after the breaker opened and was
// reset, counts for nothing: its generation has passed, on the lock-free
// path as on the locked one.
func TestClosedStragglerAfterReset(t *testing.T) {
	b := New(WithThreshold(1))
	straggler, _ := b.Allow()
	p, _ := b.Allow()
	p.Report(false) // opens
	b.Reset()
	q, _ := b.Allow()
	q.Report(false) // opens again, in a new generation
	straggler.Report(true)
	if s := b.State(); s != Open {
		t.Fatalf("state %v: a straggler's success closed the breaker", s)
	}
}
