package memengine

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/stretchr/testify/require"
)

// heldRunner makes each attempt wait until the test lets one end.
type heldRunner struct{ end chan struct{} }

func (r heldRunner) Run(ctx context.Context, _ *engine.Delivery) engine.Result {
	select {
	case <-r.end:
	case <-ctx.Done():
	}
	return engine.Result{Outcome: engine.Done}
}

func (heldRunner) Abandon(*engine.Delivery, error) {}

// enqueue queues one delivery.
func enqueue(ctx context.Context, e *Engine, d *engine.Delivery) error {
	return e.Enqueue(ctx, nil, []*engine.Delivery{d})
}

func fullEngine(t *testing.T, size int) (*Engine, heldRunner) {
	t.Helper()
	e := New(Config{Workers: 1})
	r := heldRunner{end: make(chan struct{})}
	require.NoError(t, e.Start(r))
	t.Cleanup(func() {
		close(r.end)
		require.NoError(t, e.Close(context.Background()))
	})
	for i := range size {
		require.NoError(t, enqueue(context.Background(), e, heldDelivery(i, size)))
	}
	return e, r
}

func heldDelivery(i, size int) *engine.Delivery {
	return &engine.Delivery{ID: strconv.Itoa(i), WebhookID: "w", Event: &event.Event{}, QueueSize: size, Concurrency: 1}
}

// A publisher waiting on a full queue is woken once an eighth of it is
// free, not for every slot.
func TestBlockedPublisherWakesPerBatch(t *testing.T) {
	const size = 16 // an eighth is 2
	e, r := fullEngine(t, size)
	done := make(chan error, 1)
	go func() { done <- enqueue(context.Background(), e, heldDelivery(size, size)) }()
	require.Eventually(t, func() bool { // waiting, not yet in
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.queues["w"].waiters == 1
	}, 5*time.Second, time.Millisecond)

	r.end <- struct{}{} // one slot free
	select {
	case err := <-done:
		t.Fatalf("woken with one slot free of %d (err %v)", size, err)
	case <-time.After(100 * time.Millisecond):
	}
	r.end <- struct{}{} // two
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("not woken with an eighth of the queue free")
	}
}

// A publisher that gives up waiting leaves no one to wake: the next finds
// the slot that was freed meanwhile at once.
func TestGivingUpPublisherLeavesRoom(t *testing.T) {
	const size = 16
	e, r := fullEngine(t, size)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, enqueue(ctx, e, heldDelivery(size, size)), context.DeadlineExceeded)

	r.end <- struct{}{} // one slot free: below the batch, but no one waits
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		return enqueue(ctx, e, heldDelivery(size+1, size)) == nil
	}, 5*time.Second, 10*time.Millisecond)
}

// A publisher waiting for room in two full queues takes the room of the
// first that has some: a webhook whose endpoint hangs does not hold back
// the event, and then refuse it, for another webhook that has room.
func TestWaitForRoomIsPerWebhook(t *testing.T) {
	release := map[string]chan struct{}{"dead": make(chan struct{}), "live": make(chan struct{})}
	started := make(chan string, 16)
	r := funcRunner(func(ctx context.Context, d *engine.Delivery) engine.Result {
		started <- d.ID
		select {
		case <-release[d.WebhookID]:
		case <-ctx.Done():
		}
		return engine.Result{Outcome: engine.Done}
	})
	e := New(Config{Workers: 4})
	require.NoError(t, e.Start(r))
	defer func() { require.NoError(t, e.Close(context.Background())) }()
	defer close(release["dead"])
	d := func(hook, id string) *engine.Delivery {
		return &engine.Delivery{ID: id, WebhookID: hook, Event: &event.Event{}, QueueSize: 1, Concurrency: 1}
	}
	require.NoError(t, e.Enqueue(context.Background(), nil, []*engine.Delivery{d("dead", "d0"), d("live", "l0")}))
	<-started
	<-started

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.Enqueue(ctx, nil, []*engine.Delivery{d("dead", "d1"), d("live", "l1")}) }()
	require.Eventually(t, func() bool { // waiting
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.queues["dead"].waiters == 1
	}, 5*time.Second, time.Millisecond)
	close(release["live"]) // the live webhook's queue has room again
	select {
	case id := <-started:
		require.Equal(t, "l1", id)
	case <-time.After(5 * time.Second):
		t.Fatal("the live webhook waited for the dead one's room")
	}
	cancel()
	var be *engine.BatchError
	require.ErrorAs(t, <-done, &be)
	require.ErrorIs(t, be.Errs[0], engine.ErrQueueFull)
	require.ErrorIs(t, be.Errs[0], context.Canceled)
	require.NoError(t, be.Errs[1])
}

type funcRunner func(ctx context.Context, d *engine.Delivery) engine.Result

func (f funcRunner) Run(ctx context.Context, d *engine.Delivery) engine.Result { return f(ctx, d) }
func (funcRunner) Abandon(*engine.Delivery, error)                             {}
