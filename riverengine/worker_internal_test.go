package riverengine

import (
	"testing"
	"time"

	"github.com/outhook/outhook/engine"
)

// A backlog larger than heldMax holds no more deliveries than that, and
// holding stays cheap: the live ones are not scanned at every hold.
func TestHeldDeliveriesAreBounded(t *testing.T) {
	w := newWorker(&Engine{})
	due := time.Now().Add(time.Hour) // none goes stale
	start := time.Now()
	for id := range int64(5 * heldMax) {
		w.hold(id, &engine.Delivery{}, due, true)
	}
	if n := len(w.held); n != heldMax {
		t.Fatalf("%d deliveries held, want the bound %d", n, heldMax)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("holding %d deliveries took %s", 5*heldMax, took)
	}
	// Stale ones make room at the next sweep.
	w.swept = time.Time{}
	for id := range w.held {
		w.held[id] = heldDelivery{due: time.Now().Add(-2 * heldStale)}
	}
	w.hold(-1, &engine.Delivery{}, due, true)
	if _, ok := w.held[-1]; !ok || len(w.held) != 1 {
		t.Fatalf("after the sweep: %d held, new one held: %v", len(w.held), ok)
	}
}
