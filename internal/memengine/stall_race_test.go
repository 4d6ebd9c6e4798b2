package memengine

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
)

// edgeRunner ends each exchange at about the stall threshold, some a
// little before and some a little after, so that the sweep and the end of
// the exchange meet; some runs are held or retried once.
type edgeRunner struct {
	around   time.Duration
	mu       sync.Mutex
	runs     map[string]int // by delivery, its runs
	ended    map[string]int // by delivery, Done or abandoned
	inFlight atomic.Int64
	most     atomic.Int64
}

func (r *edgeRunner) Run(ctx context.Context, d *engine.Delivery) engine.Result {
	r.mu.Lock()
	r.runs[d.ID]++
	n := r.runs[d.ID]
	r.mu.Unlock()
	in := r.inFlight.Add(1)
	for m := r.most.Load(); in > m && !r.most.CompareAndSwap(m, in); m = r.most.Load() {
	}
	wait := r.around/2 + rand.N(r.around)
	select {
	case <-time.After(wait):
	case <-ctx.Done():
	}
	r.inFlight.Add(-1)
	d.EndExchange()
	if ctx.Err() != nil {
		return engine.Result{Outcome: engine.Interrupted}
	}
	switch i, _ := strconv.Atoi(d.ID[1:]); {
	case n == 1 && i%7 == 0:
		return engine.Result{Outcome: engine.Held, Delay: time.Millisecond}
	case n == 1 && i%5 == 0:
		return engine.Result{Outcome: engine.Retry, Delay: time.Millisecond}
	}
	r.mu.Lock()
	r.ended[d.ID]++
	r.mu.Unlock()
	return engine.Result{Outcome: engine.Done}
}

func (r *edgeRunner) Abandon(d *engine.Delivery, _ error) {
	r.mu.Lock()
	r.ended[d.ID]++
	r.mu.Unlock()
}

// Runs that end about when they would stall: the pool never grows past
// the workers and the stalled runs, is back to the workers once they end,
// and every delivery ends once.
func TestRunsEndingAtTheStallThreshold(t *testing.T) {
	const workers, maxStalled, hooks, each = 2, 3, 4, 40
	stallAfter := 3 * time.Millisecond
	e := New(Config{Workers: workers, StallAfter: stallAfter, MaxStalled: maxStalled})
	r := &edgeRunner{around: stallAfter, runs: map[string]int{}, ended: map[string]int{}}
	require.NoError(t, e.Start(r))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			w, s := goroutines(e)
			if w > workers+maxStalled || s > maxStalled {
				t.Errorf("%d workers, %d stalled", w, s)
				return
			}
			// What the gauges read: every stalled run, beside the pool or
			// holding a worker, and never one that is not.
			st, err := e.Stats(context.Background())
			if err != nil || st.Stalled < 0 || st.Stalled > workers+maxStalled || st.StalledLimit != maxStalled {
				t.Errorf("Stats: %+v, %v", st, err)
				return
			}
			select {
			case <-time.After(100 * time.Microsecond):
			case <-e.closing:
				return
			}
		}
	}()
	for i := range hooks * each {
		d := &engine.Delivery{ID: "d" + strconv.Itoa(i), WebhookID: "w" + strconv.Itoa(i%hooks), Event: &event.Event{}, QueueSize: each, Concurrency: 3}
		require.NoError(t, enqueue(context.Background(), e, d))
	}
	require.Eventually(t, func() bool {
		st, err := e.Stats(context.Background())
		return err == nil && st.Depth == 0
	}, 20*time.Second, time.Millisecond)
	require.Eventually(t, func() bool { w, s := goroutines(e); return w == workers && s == 0 }, 5*time.Second, time.Millisecond,
		"the pool did not shrink back")
	require.NoError(t, e.Close(context.Background()))
	<-done
	require.LessOrEqual(t, r.most.Load(), int64(workers+maxStalled))
	require.Greater(t, r.most.Load(), int64(workers), "no run stalled: the probe missed its mark")
	r.mu.Lock()
	defer r.mu.Unlock()
	require.Len(t, r.ended, hooks*each)
	for id, n := range r.ended {
		require.Equal(t, 1, n, id)
	}
}

// Stats counts a stalled run's delivery, and its age, as any other's.
func TestStatsCountStalledRuns(t *testing.T) {
	e := New(Config{Workers: 1, StallAfter: 5 * time.Millisecond, MaxStalled: 2})
	r := newStallRunner()
	require.NoError(t, e.Start(r))
	defer func() {
		close(r.end)
		require.NoError(t, e.Close(context.Background()))
	}()
	created := time.Now().Add(-time.Hour)
	for i := range 3 {
		d := stallDelivery("dead", i, 3)
		if i == 0 {
			d.Created = created
		} else {
			d.Created = time.Now()
		}
		require.NoError(t, enqueue(context.Background(), e, d))
	}
	require.Eventually(t, func() bool { _, s := goroutines(e); return s == 2 && r.running.Load() == 3 }, 5*time.Second, time.Millisecond)
	st, err := e.Stats(context.Background())
	require.NoError(t, err)
	require.Equal(t, 3, st.Depth)
	require.True(t, st.Oldest.Equal(created), "oldest %s, want %s", st.Oldest, created)
}

// Close at any moment of runs stalling: no run stalls or starts a worker
// once the engine stops, and every delivery ends once, run or abandoned.
func TestCloseWhileRunsStall(t *testing.T) {
	for i := range 40 {
		stallAfter := time.Millisecond
		e := New(Config{Workers: 2, StallAfter: stallAfter, MaxStalled: 3})
		r := &edgeRunner{around: stallAfter, runs: map[string]int{}, ended: map[string]int{}}
		require.NoError(t, e.Start(r))
		const n = 30
		for j := range n {
			d := &engine.Delivery{ID: "d" + strconv.Itoa(j), WebhookID: "w" + strconv.Itoa(j%3), Event: &event.Event{}, QueueSize: n, Concurrency: 4}
			require.NoError(t, enqueue(context.Background(), e, d))
		}
		time.Sleep(time.Duration(i%8) * stallAfter / 2)
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%4)*stallAfter)
		_ = e.Close(ctx)
		cancel()
		w, s := goroutines(e)
		require.Zero(t, w)
		require.Zero(t, s)
		st, err := e.Stats(context.Background())
		require.NoError(t, err)
		require.Zero(t, st.Stalled, "after Close")
		require.Zero(t, st.Depth)
		r.mu.Lock()
		require.Len(t, r.ended, n)
		for id, k := range r.ended {
			require.Equal(t, 1, k, id)
		}
		r.mu.Unlock()
	}
}
