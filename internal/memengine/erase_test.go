package memengine

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
)

// scriptRunner runs each delivery as its id says: "stall" waits for the
// test, "retry" and "hold" ask to run again in an hour, the others end.
type scriptRunner struct {
	ran      chan string
	stall    chan struct{}
	mu       sync.Mutex
	abandons []string
}

func (r *scriptRunner) Run(ctx context.Context, d *engine.Delivery) engine.Result {
	r.ran <- d.ID
	switch d.ID {
	case "stall", "stall-z":
		select {
		case <-r.stall:
		case <-ctx.Done():
		}
	case "retry":
		return engine.Result{Outcome: engine.Retry, Delay: time.Hour}
	case "hold":
		return engine.Result{Outcome: engine.Held, Delay: time.Hour}
	}
	return engine.Result{Outcome: engine.Done}
}

func (r *scriptRunner) Abandon(d *engine.Delivery, _ error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.abandons = append(r.abandons, d.ID)
}

func eventOf(t *testing.T, id string) *event.Event {
	e, err := event.New("test.event", map[string]any{}, event.WithID(id))
	require.NoError(t, err)
	return e
}

// Erase drops what waits in every place a delivery can wait, and leaves
// the engine's accounting as if they had ended: the key's next delivery
// goes, the held slot is free, Close abandons none of them.
func TestEraseDropsWaitingDeliveries(t *testing.T) {
	e := New(Config{Workers: 4})
	r := &scriptRunner{ran: make(chan string, 100), stall: make(chan struct{})}
	require.NoError(t, e.Start(r))
	ctx := context.Background()
	del := func(id, hook, key, ev string) *engine.Delivery {
		return &engine.Delivery{ID: id, WebhookID: hook, Event: eventOf(t, ev), QueueSize: 10, Concurrency: 1, OrderingKey: key}
	}
	next := func() string {
		select {
		case id := <-r.ran:
			return id
		case <-time.After(5 * time.Second):
			t.Fatal("no run")
			return ""
		}
	}
	// w: one running, two behind its key, one pending.
	require.NoError(t, enqueue(ctx, e, del("stall", "w", "k", "e0")))
	require.Equal(t, "stall", next())
	for _, d := range []*engine.Delivery{del("k1", "w", "k", "gone"), del("k2", "w", "k", "e2"), del("free", "w", "", "gone")} {
		require.NoError(t, enqueue(ctx, e, d))
	}
	// z: one running, one pending holding its key, one behind it.
	require.NoError(t, enqueue(ctx, e, del("stall-z", "z", "", "e0")))
	require.Equal(t, "stall-z", next())
	require.NoError(t, enqueue(ctx, e, del("z1", "z", "k", "gone")))
	require.NoError(t, enqueue(ctx, e, del("z2", "z", "k", "e2")))
	// x: between retries; y: held, one behind it.
	require.NoError(t, enqueue(ctx, e, del("retry", "x", "", "gone")))
	require.Equal(t, "retry", next())
	require.NoError(t, enqueue(ctx, e, del("hold", "y", "", "gone")))
	require.Equal(t, "hold", next())
	require.NoError(t, enqueue(ctx, e, del("y1", "y", "", "e1")))
	require.Eventually(t, func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		return len(e.timers) == 2
	}, 5*time.Second, time.Millisecond)

	n, err := e.Erase(ctx, engine.EraseFilter{EventID: "gone", Webhook: func(key string) bool { return key != "other" }})
	require.NoError(t, err)
	require.Equal(t, 5, n, "k1, free, z1, retry and hold; not the running ones")
	require.Equal(t, "y1", next(), "the held one's slot is free")
	// y1's run ends a moment after it began.
	require.Eventually(t, func() bool {
		st, err := e.Stats(ctx)
		return err == nil && st.Depth == 4
	}, 5*time.Second, time.Millisecond, "stall, k2, stall-z and z2")
	close(r.stall)
	got := []string{next(), next()}
	require.ElementsMatch(t, []string{"k2", "z2"}, got, "each key's next goes")
	require.NoError(t, e.Close(ctx))
	require.Empty(t, r.abandons, "an erased delivery is not abandoned")
	select {
	case id := <-r.ran:
		t.Fatalf("%s ran", id)
	default:
	}
}
