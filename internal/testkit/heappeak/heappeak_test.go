package heappeak_test

import (
	"testing"
	"time"

	"github.com/outhook/outhook/internal/testkit/heappeak"
)

var keep [][]byte

func TestSampleSeesAnAllocation(t *testing.T) {
	stop := heappeak.Sample(time.Millisecond)
	keep = append(keep, make([]byte, 64<<20))
	time.Sleep(20 * time.Millisecond)
	peak := stop()
	keep = nil
	if peak < 64<<20 {
		t.Fatalf("peak %d bytes, below the 64 MiB held while sampling", peak)
	}
}
