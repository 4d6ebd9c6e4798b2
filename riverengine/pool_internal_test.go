package riverengine

import (
	"testing"
	"time"
)

func TestStarved(t *testing.T) {
	const interval = 30 * time.Second
	base := poolSample{acquires: 1000, empty: 10, wait: time.Second, max: 4}
	for _, tc := range []struct {
		name string
		cur  poolSample
		want bool
	}{
		{"idle", base, false},
		{"no waits", poolSample{acquires: 50_000, empty: 10, wait: time.Second}, false},
		{"waits but short", poolSample{acquires: 50_000, empty: 20_000, wait: time.Second + 100*time.Millisecond}, false},
		{"few waits however long", poolSample{acquires: 50_000, empty: 1000, wait: time.Minute}, false},
		{"one in ten waits, 1% of the time", poolSample{acquires: 11_000, empty: 1010, wait: time.Second + 300*time.Millisecond}, true},
		{"every acquire waits", poolSample{acquires: 2000, empty: 1010, wait: 20 * time.Second}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := starved(base, tc.cur, interval); got != tc.want {
				t.Fatalf("starved = %v, want %v", got, tc.want)
			}
		})
	}
}
