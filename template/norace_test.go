//go:build !race

package template_test

// raceEnabled is set when the race detector is on: it makes sync.Pool drop
// items at random, so allocation counts do not hold.
const raceEnabled = false
