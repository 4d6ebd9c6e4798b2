package memengine

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
)

// stallRunner holds the runs to webhook "dead" until the test lets one
// end (or the engine stops), and ends the others at once.
type stallRunner struct {
	end       chan struct{}
	ok        chan string
	running   atomic.Int64
	abandoned atomic.Int64
}

func newStallRunner() *stallRunner {
	return &stallRunner{end: make(chan struct{}), ok: make(chan string, 100)}
}

func (r *stallRunner) Run(ctx context.Context, d *engine.Delivery) engine.Result {
	if d.WebhookID != "dead" {
		r.ok <- d.ID
		return engine.Result{Outcome: engine.Done}
	}
	r.running.Add(1)
	defer r.running.Add(-1)
	select {
	case <-r.end:
		return engine.Result{Outcome: engine.Done}
	case <-ctx.Done():
		return engine.Result{Outcome: engine.Interrupted}
	}
}

func (r *stallRunner) Abandon(*engine.Delivery, error) { r.abandoned.Add(1) }

func stallDelivery(webhook string, i, concurrency int) *engine.Delivery {
	return &engine.Delivery{ID: webhook + strconv.Itoa(i), WebhookID: webhook, Event: &event.Event{}, QueueSize: 100, Concurrency: concurrency}
}

// goroutines reports the engine's workers, stalled ones included, and how
// many runs stalled.
func goroutines(e *Engine) (workers, stalled int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.runs), e.stalled
}

// A run that stalls leaves its worker's place to a new one, which runs the
// other webhooks' deliveries; when it ends, its goroutine ends with it.
func TestStalledRunLeavesThePool(t *testing.T) {
	e := New(Config{Workers: 1, StallAfter: 10 * time.Millisecond, MaxStalled: 1})
	r := newStallRunner()
	require.NoError(t, e.Start(r))
	defer func() { require.NoError(t, e.Close(context.Background())) }()

	require.NoError(t, enqueue(context.Background(), e, stallDelivery("dead", 0, 1)))
	require.Eventually(t, func() bool { return r.running.Load() == 1 }, 5*time.Second, time.Millisecond)
	require.NoError(t, enqueue(context.Background(), e, stallDelivery("ok", 0, 1)))
	select {
	case <-r.ok:
	case <-time.After(5 * time.Second):
		t.Fatal("a stalled run held the only worker")
	}
	workers, stalled := goroutines(e)
	require.Equal(t, 2, workers)
	require.Equal(t, 1, stalled)

	r.end <- struct{}{}
	require.Eventually(t, func() bool { w, s := goroutines(e); return w == 1 && s == 0 }, 5*time.Second, time.Millisecond,
		"the stalled run's goroutine outlived it")
}

// No more runs stall than MaxStalled: the next holds its worker, and
// stalls in turn when one of them ends.
func TestStalledRunsAreCapped(t *testing.T) {
	e := New(Config{Workers: 1, StallAfter: 5 * time.Millisecond, MaxStalled: 2})
	r := newStallRunner()
	require.NoError(t, e.Start(r))
	defer func() {
		close(r.end)
		require.NoError(t, e.Close(context.Background()))
	}()
	for i := range 10 {
		require.NoError(t, enqueue(context.Background(), e, stallDelivery("dead", i, 10)))
	}
	require.Eventually(t, func() bool { return r.running.Load() == 3 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * 5 * time.Millisecond)
	require.EqualValues(t, 3, r.running.Load(), "more runs than the worker and the stalled ones")
	workers, stalled := goroutines(e)
	require.Equal(t, 3, workers)
	require.Equal(t, 2, stalled)
	st, err := e.Stats(context.Background())
	require.NoError(t, err)
	require.Equal(t, 3, st.Stalled, "the two beside the pool and the one over the cap, holding its worker")
	require.Equal(t, 2, st.StalledLimit)

	// One ends: the run over the cap stalls in its place, and a new worker
	// takes the next delivery.
	r.end <- struct{}{}
	require.Eventually(t, func() bool {
		w, s := goroutines(e)
		return r.running.Load() == 3 && w == 3 && s == 2
	}, 5*time.Second, time.Millisecond)
	time.Sleep(20 * 5 * time.Millisecond)
	require.EqualValues(t, 3, r.running.Load())
}

// Close cancels the stalled runs with the others once its ctx ends, waits
// for their goroutines, and abandons what is left.
func TestCloseEndsStalledRuns(t *testing.T) {
	e := New(Config{Workers: 1, StallAfter: 5 * time.Millisecond, MaxStalled: 4})
	r := newStallRunner()
	require.NoError(t, e.Start(r))
	for i := range 8 {
		require.NoError(t, enqueue(context.Background(), e, stallDelivery("dead", i, 8)))
	}
	require.Eventually(t, func() bool { return r.running.Load() == 5 }, 5*time.Second, time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, e.Close(ctx), context.DeadlineExceeded)
	require.Zero(t, r.running.Load(), "Close returned before a stalled run ended")
	require.EqualValues(t, 8, r.abandoned.Load(), "a delivery was neither run to its end nor abandoned")
	workers, stalled := goroutines(e)
	require.Zero(t, workers)
	require.Zero(t, stalled)
}

// With no StallAfter, runs never stall: the engine is as it was.
func TestNoStallWithoutThreshold(t *testing.T) {
	e := New(Config{Workers: 1, MaxStalled: 4})
	r := newStallRunner()
	require.NoError(t, e.Start(r))
	defer func() {
		close(r.end)
		require.NoError(t, e.Close(context.Background()))
	}()
	require.NoError(t, enqueue(context.Background(), e, stallDelivery("dead", 0, 1)))
	require.Eventually(t, func() bool { return r.running.Load() == 1 }, 5*time.Second, time.Millisecond)
	require.NoError(t, enqueue(context.Background(), e, stallDelivery("ok", 0, 1)))
	select {
	case id := <-r.ok:
		t.Fatalf("%s ran beside a run holding the only worker", id)
	case <-time.After(100 * time.Millisecond):
	}
	st, err := e.Stats(context.Background())
	require.NoError(t, err)
	require.Zero(t, st.Stalled, "nothing stalls, however long it runs")
	require.Zero(t, st.StalledLimit)
}

// A stalled run whose exchange has ended still counts in Stats.Stalled
// while it records its attempt: it keeps its place beside the workers,
// and its goroutine, until the run ends.
func TestStalledRunCountsUntilItEnds(t *testing.T) {
	leakcheck.Check(t)
	exchange, record := make(chan struct{}), make(chan struct{})
	recording := make(chan struct{})
	e := New(Config{Workers: 1, StallAfter: 10 * time.Millisecond, MaxStalled: 1})
	require.NoError(t, e.Start(runnerFunc(func(ctx context.Context, d *engine.Delivery) engine.Result {
		<-exchange
		d.EndExchange()
		close(recording)
		<-record
		return engine.Result{Outcome: engine.Done}
	})))
	require.NoError(t, e.Enqueue(context.Background(), nil, []*engine.Delivery{stallDelivery("w", 0, 1)}))
	require.Eventually(t, func() bool { _, stalled := goroutines(e); return stalled == 1 }, 5*time.Second, time.Millisecond)
	close(exchange)
	<-recording
	st, err := e.Stats(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, st.Stalled, "recording, it holds its place beside the workers")
	close(record)
	require.Eventually(t, func() bool {
		st, err := e.Stats(context.Background())
		return err == nil && st.Stalled == 0 && st.Depth == 0
	}, 5*time.Second, time.Millisecond)
	require.NoError(t, e.Close(context.Background()))
}

type runnerFunc func(ctx context.Context, d *engine.Delivery) engine.Result

func (f runnerFunc) Run(ctx context.Context, d *engine.Delivery) engine.Result { return f(ctx, d) }
func (runnerFunc) Abandon(*engine.Delivery, error)                             {}
