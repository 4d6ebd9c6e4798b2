package memengine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/internal/memengine"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
)

// firstRuns is a Runner whose first run of each delivery returns the
// Result its test set for it, and later runs Done, each reported on ran.
type firstRuns struct {
	mu    sync.Mutex
	first map[string]engine.Result
	runs  map[string]int
	ran   chan string
}

func (f *firstRuns) Run(_ context.Context, d *engine.Delivery) engine.Result {
	f.mu.Lock()
	f.runs[d.ID]++
	n := f.runs[d.ID]
	f.mu.Unlock()
	defer func() { f.ran <- d.ID }()
	if n == 1 {
		return f.first[d.ID]
	}
	return engine.Result{Outcome: engine.Done}
}

func (f *firstRuns) Abandon(*engine.Delivery, error) {}

func (f *firstRuns) count(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.runs[id]
}

// WakeHeld runs now the webhook's deliveries held for an hour, and
// neither those waiting an hour for a retry nor another webhook's held
// ones.
func TestWakeHeldRunsOnlyTheWebhooksHeldDeliveries(t *testing.T) {
	leakcheck.Check(t)
	hour := time.Hour
	f := &firstRuns{
		first: map[string]engine.Result{
			"a-0": {Outcome: engine.Held, Delay: hour},
			"a-1": {Outcome: engine.Retry, Delay: hour},
			"b-0": {Outcome: engine.Held, Delay: hour},
		},
		runs: map[string]int{}, ran: make(chan string, 16),
	}
	e := memengine.New(memengine.Config{Workers: 2})
	require.NoError(t, e.Start(f))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		_ = e.Close(ctx) // abandons those still waiting
	})
	ctx := context.Background()
	require.NoError(t, e.Enqueue(ctx, nil, []*engine.Delivery{delivery("a", 0, ""), delivery("a", 1, "")}))
	require.NoError(t, e.Enqueue(ctx, nil, []*engine.Delivery{delivery("b", 0, "")}))
	for range 3 {
		<-f.ran
	}
	// Parked once Run has returned: asked until it is. A call while its
	// run is still returning wakes it too, counting none: the run goes
	// again at once.
	require.Eventually(t, func() bool {
		n, err := e.WakeHeld(ctx, "a")
		require.NoError(t, err)
		return n == 1 || f.count("a-0") == 2
	}, 5*time.Second, time.Millisecond)
	select {
	case id := <-f.ran:
		require.Equal(t, "a-0", id)
	case <-time.After(5 * time.Second):
		t.Fatal("the held delivery did not run after WakeHeld")
	}
	require.Equal(t, 2, f.count("a-0"))
	require.Equal(t, 1, f.count("a-1"), "a retry keeps its delay")
	require.Equal(t, 1, f.count("b-0"), "another webhook's held delivery keeps its delay")
	n, err := e.WakeHeld(ctx, "nobody")
	require.NoError(t, err)
	require.Zero(t, n)
}
