package riverengine

import "testing"

// BenchmarkFlightsHeldBacklog ends the runs of a webhook whose breaker
// holds every job, as River runs a backlog of them: each end is to cost
// the same however many snoozes wait to be written.
func BenchmarkFlightsHeldBacklog(b *testing.B) {
	f := newFlights()
	for i := range b.N {
		id := int64(i)
		mark := f.begin("hook", id)
		f.end("hook", id, mark, true, false, 0, 1)
	}
}
