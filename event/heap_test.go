package event_test

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/sharedtest"
)

// liveHeap returns the bytes of live heap objects after a collection.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// eventHeap returns the heap each of n parsed copies of raw holds.
func eventHeap(tb testing.TB, raw []byte, n int) int64 {
	events := make([]*event.Event, n)
	before := liveHeap()
	for i := range events {
		e, err := event.Parse(raw)
		if err != nil {
			tb.Fatal(err)
		}
		events[i] = e
	}
	perEvent := (liveHeap() - before) / int64(n)
	runtime.KeepAlive(events)
	return perEvent
}

// TestEventHeap holds a parsed event, its JSON included, to at most twice
// the size of that JSON: a stalled webhook's queue keeps thousands.
func TestEventHeap(t *testing.T) {
	for name, raw := range sharedtest.Events(t) {
		if len(raw) < 1024 {
			continue // the fixed costs of a tiny event dominate
		}
		perEvent := eventHeap(t, raw, 200)
		require.LessOrEqual(t, perEvent, 2*int64(len(raw)), "%s: %d bytes for a %d-byte event", name, perEvent, len(raw))
	}
}

// BenchmarkEventHeap reports the heap a parsed 3 KB event holds
// (B/event) and its ratio to the JSON's size (x-raw).
func BenchmarkEventHeap(b *testing.B) {
	raw := sharedtest.Events(b)["fixture/request-created.json"]
	if raw == nil {
		b.Fatal("no request-created fixture")
	}
	var perEvent int64
	for b.Loop() {
		perEvent = eventHeap(b, raw, 1000)
	}
	b.ReportMetric(float64(perEvent), "B/event")
	b.ReportMetric(float64(perEvent)/float64(len(raw)), "x-raw")
}
