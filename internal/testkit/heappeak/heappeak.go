// Package heappeak samples the heap to find its peak, for the tests and
// benchmarks that hold memory to a bound: chaos runs, hostile receivers, a
// stalled endpoint beside a healthy one.
package heappeak

import (
	"runtime/metrics"
	"time"
)

// Sample records the bytes of live and not yet swept heap objects every
// interval until stop is called; stop returns the largest value seen.
func Sample(every time.Duration) (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(quit)
		<-done
		return peak
	}
}

// Now returns the bytes of heap objects, live and not yet swept, at this
// moment: after runtime.GC, the live heap, against which a peak is read.
func Now() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}
