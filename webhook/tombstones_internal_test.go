package webhook

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// The tombstones keep the last maxTombstones deletions, forget the
// older ones, and a key forgotten (added again) and deleted later is
// kept from its later deletion on.
func TestTombstonesKeepTheLastDeletions(t *testing.T) {
	var ts tombstones
	key := func(i int) string { return fmt.Sprint("wh-", i) }
	for i := range maxTombstones + 100 {
		ts.add(key(i), int64(i+1), uint64(i+1))
	}
	require.Len(t, ts.versions, maxTombstones)
	for i := range 100 {
		require.NotContains(t, ts.versions, key(i))
	}
	require.Equal(t, int64(maxTombstones+100), ts.versions[key(maxTombstones+99)].version)

	// Deleted again: the later deletion counts, in its place.
	ts.add(key(100), 7, 7)
	require.Equal(t, tomb{7, 7, ts.versions[key(100)].slot}, ts.versions[key(100)])

	// Added again, then deleted after the others: kept past the
	// deletions that evict its first slot.
	ts.forget(key(101))
	require.NotContains(t, ts.versions, key(101))
	ts.add(key(101), 9, 9)
	for i := range 10 {
		ts.add(key(10_000+i), 1, 1)
	}
	require.Contains(t, ts.versions, key(101), "its first slot was reused, not its tomb")
	require.NotContains(t, ts.versions, key(100), "among the oldest")
	require.Len(t, ts.versions, maxTombstones)
}
