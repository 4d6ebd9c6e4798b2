package webhook_test

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// A queue size no process can hold is refused as any setting out of
// range is, not a panic or an out-of-memory crash in New.
func TestOperationalQueueSizeBeyondTheMaximumIsRefused(t *testing.T) {
	for _, n := range []int{webhook.MaxOperationalQueue + 1, 1 << 40} {
		_, err := webhook.New(webhook.WithOperationalEvents(webhook.OperationalSettings{QueueSize: n}))
		var ce *webhook.ConfigError
		require.True(t, errors.As(err, &ce), "QueueSize %d: %v", n, err)
		require.Equal(t, "WithOperationalEvents", ce.Option)
		require.ErrorContains(t, err, "QueueSize")
	}
}

// The queue's room costs a pointer per event, not a whole event: the
// largest queue allowed takes a few MiB while it is empty.
func TestOperationalQueueIsCheapWhileEmpty(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d, err := webhook.New(webhook.WithOperationalEvents(webhook.OperationalSettings{QueueSize: webhook.MaxOperationalQueue}))
	require.NoError(t, err)
	runtime.ReadMemStats(&after)
	require.NoError(t, d.Close(context.Background()))
	grown := after.TotalAlloc - before.TotalAlloc
	require.Less(t, grown, uint64(16<<20), "New allocated %d MiB for an empty queue", grown>>20)
}
