package ratelimit_test

import (
	"fmt"
	"time"

	"github.com/outhook/outhook/internal/ratelimit"
)

// Two requests per second, with bursts of two; a request must start
// within 600ms.
func Example() {
	l, err := ratelimit.New(2, time.Second, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Unix(1773134100, 0)
	for range 4 {
		fmt.Println(l.ReserveWithinAt(start, 600*time.Millisecond))
	}
	fmt.Println(l.ReserveWithinAt(start.Add(2*time.Second), 0))
	// Output:
	// 0s true
	// 0s true
	// 500ms true
	// 1s false
	// 0s true
}
