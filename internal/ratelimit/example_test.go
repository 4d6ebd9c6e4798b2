package ratelimit_test

import (
	"fmt"
	"time"

	"github.com/outhook/outhook/internal/ratelimit"
)

// Two requests per second, with bursts of two.
func Example() {
	l, err := ratelimit.New(2, time.Second, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Unix(1773134100, 0)
	fmt.Println(l.AllowAt(start), l.AllowAt(start), l.AllowAt(start))
	fmt.Println(l.ReserveAt(start))
	fmt.Println(l.AllowAt(start.Add(2 * time.Second)))
	// Output:
	// true true false
	// 500ms
	// true
}
