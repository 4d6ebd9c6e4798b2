package breaker_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/outhook/outhook/internal/breaker"
)

// Three failures in a row open the breaker; after the cool-down one probe
// goes through, and its success closes the breaker again.
func Example() {
	now := time.Unix(1773134100, 0)
	b := breaker.New(
		breaker.WithThreshold(3),
		breaker.WithCooldown(30*time.Second, 10*time.Minute),
		breaker.WithClock(func() time.Time { return now }),
		breaker.WithOnChange(func(from, to breaker.State) { fmt.Println(from, "->", to) }),
	)
	for range 3 {
		done, _ := b.Allow()
		done.Report(false) // say, a 503
	}
	_, err := b.Allow()
	fmt.Println(errors.Is(err, breaker.ErrOpen))

	now = now.Add(30 * time.Second)
	done, err := b.Allow()
	fmt.Println(err)
	done.Report(true)
	// Output:
	// closed -> open
	// true
	// open -> half-open
	// <nil>
	// half-open -> closed
}
