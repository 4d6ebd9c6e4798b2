package filter_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/filter"
)

// A compiled filter is few objects for the collector to mark, however many
// a service holds: a webhook's filter of one comparison, or of two, loaded
// from its JSON form as a definition store hands it over.
func TestCompiledFilterObjects(t *testing.T) {
	const n = 10_000
	forms := make([][]byte, n)
	for i := range forms {
		var c filter.Clause
		switch i % 4 {
		case 0:
			c = filter.Requester(fmt.Sprintf("usr-%d", i))
		case 1:
			c = filter.Integration(fmt.Sprintf("int-%d", i), fmt.Sprintf("int-%d-replica", i))
		case 2:
			c = filter.All(filter.Environment(fmt.Sprintf("env-%d", i)), filter.IntegrationType("Postgresql"))
		default:
			c = filter.ResourceType(fmt.Sprintf("rt-%d", i))
		}
		b, err := filter.Must(filter.New(c)).MarshalJSON()
		require.NoError(t, err)
		forms[i] = b
	}
	held := make([]*filter.Filter, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i, b := range forms {
		f, err := filter.Parse(b)
		require.NoError(t, err)
		held[i] = f
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapObjects-before.HeapObjects) / n
	t.Logf("%.2f objects per filter", per)
	require.LessOrEqual(t, per, 11.5, "was 13")
	// They match as the filters they were built from.
	for i, f := range held {
		g, err := filter.Parse(forms[i])
		require.NoError(t, err)
		require.Equal(t, g.String(), f.String())
	}
	runtime.KeepAlive(held)
}
