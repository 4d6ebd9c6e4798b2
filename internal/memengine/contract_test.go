package memengine_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/memengine"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
)

// ledger is a Runner that counts how each delivery ends: Done returned,
// or Abandon called. Run answers at random, and blocks the deliveries of
// webhook "stuck" until its ctx ends.
type ledger struct {
	mu    sync.Mutex
	ended map[*engine.Delivery]int
	runs  atomic.Int64
}

func (l *ledger) Run(ctx context.Context, d *engine.Delivery) engine.Result {
	l.runs.Add(1)
	if d.WebhookID == "stuck" {
		<-ctx.Done()
		return engine.Result{Outcome: engine.Interrupted}
	}
	if ctx.Err() != nil {
		return engine.Result{Outcome: engine.Interrupted}
	}
	switch rand.IntN(4) {
	case 0:
		return engine.Result{Outcome: engine.Retry, Delay: time.Duration(rand.IntN(3)) * time.Millisecond}
	case 1:
		return engine.Result{Outcome: engine.Held, Delay: time.Duration(rand.IntN(3)) * time.Millisecond}
	}
	l.end(d)
	return engine.Result{Outcome: engine.Done}
}

func (l *ledger) Abandon(d *engine.Delivery, err error) {
	if !errors.Is(err, engine.ErrClosed) {
		panic(fmt.Sprintf("abandoned for %v", err))
	}
	l.end(d)
}

func (l *ledger) end(d *engine.Delivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ended[d]++
}

func delivery(hook string, i int, key string) *engine.Delivery {
	return &engine.Delivery{
		ID: fmt.Sprintf("%s-%d", hook, i), WebhookID: hook, Event: &event.Event{}, Created: time.Now(),
		QueueSize: 4, Concurrency: 2, OrderingKey: key,
	}
}

// Publishers race with retries, holds, resizes and Close, blocking or
// rejecting: every delivery Enqueue queued ends exactly once, Done or
// abandoned, and none it refused ever runs; nothing outlives Close.
func TestEveryQueuedDeliveryEndsOnce(t *testing.T) {
	for _, reject := range []bool{false, true} {
		t.Run(fmt.Sprintf("reject=%v", reject), func(t *testing.T) {
			leakcheck.Check(t)
			l := &ledger{ended: map[*engine.Delivery]int{}}
			e := memengine.New(memengine.Config{Workers: 4, Reject: reject})
			require.NoError(t, e.Start(l))

			var mu sync.Mutex
			queued, refused := map[*engine.Delivery]bool{}, map[*engine.Delivery]bool{}
			var wg sync.WaitGroup
			for p := range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 200 {
						batch := []*engine.Delivery{
							delivery("a", p*1000+i, ""),
							delivery("b", p*1000+i, fmt.Sprint(i%3)),
							delivery("stuck", p*1000+i, ""),
						}
						ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rand.IntN(2000))*time.Microsecond)
						err := e.Enqueue(ctx, nil, batch)
						cancel()
						errs := make([]error, len(batch))
						var be *engine.BatchError
						switch {
						case errors.As(err, &be):
							errs = be.Errs
						case err != nil:
							for j := range errs {
								errs[j] = err
							}
						}
						mu.Lock()
						for j, d := range batch {
							if errs[j] == nil {
								queued[d] = true
							} else {
								refused[d] = true
							}
						}
						mu.Unlock()
						if i%50 == 0 {
							e.Resize("b", 2+rand.IntN(6), 1+rand.IntN(3))
						}
						if errors.Is(err, engine.ErrClosed) {
							return
						}
					}
				}()
			}
			// Close must find a stuck delivery queued or running: on a loaded
			// machine the publishers may not have queued one yet.
			require.Eventually(t, func() bool {
				mu.Lock()
				defer mu.Unlock()
				for d := range queued {
					if d.WebhookID == "stuck" {
						return true
					}
				}
				return false
			}, 10*time.Second, time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			defer cancel()
			require.ErrorIs(t, e.Close(ctx), context.DeadlineExceeded, "stuck never ends by itself")
			wg.Wait()

			l.mu.Lock()
			defer l.mu.Unlock()
			for d := range queued {
				require.Equal(t, 1, l.ended[d], "delivery %s queued", d.ID)
			}
			for d := range refused {
				require.Zero(t, l.ended[d], "delivery %s refused", d.ID)
			}
			require.Len(t, l.ended, len(queued))
			st, err := e.Stats(context.Background())
			require.NoError(t, err)
			require.Zero(t, st.Depth)
		})
	}
}

// A batch whose webhooks are some full and some not reaches those with
// room at once, while the publisher still waits for the others, and
// Close ends that wait.
func TestBatchReachesWebhooksWithRoomAtOnce(t *testing.T) {
	leakcheck.Check(t)
	started := make(chan string, 16)
	release := make(chan struct{})
	r := runnerFunc(func(ctx context.Context, d *engine.Delivery) engine.Result {
		started <- d.ID
		select {
		case <-release:
		case <-ctx.Done():
		}
		return engine.Result{Outcome: engine.Done}
	})
	e := memengine.New(memengine.Config{Workers: 4})
	require.NoError(t, e.Start(r))
	full := &engine.Delivery{ID: "f0", WebhookID: "full", Event: &event.Event{}, QueueSize: 1, Concurrency: 1}
	require.NoError(t, e.Enqueue(context.Background(), nil, []*engine.Delivery{full}))
	require.Equal(t, "f0", <-started)

	done := make(chan error, 1)
	go func() {
		done <- e.Enqueue(context.Background(), nil, []*engine.Delivery{
			{ID: "f1", WebhookID: "full", Event: &event.Event{}, QueueSize: 1, Concurrency: 1},
			{ID: "o1", WebhookID: "other", Event: &event.Event{}, QueueSize: 1, Concurrency: 1},
		})
	}()
	select {
	case id := <-started:
		require.Equal(t, "o1", id, "the webhook with room runs while the publisher waits")
	case <-time.After(5 * time.Second):
		t.Fatal("the webhook with room waited for the full one")
	}
	closed := make(chan error, 1)
	go func() { closed <- e.Close(context.Background()) }()
	err := <-done
	var be *engine.BatchError
	require.ErrorAs(t, err, &be)
	require.Len(t, be.Errs, 2)
	require.ErrorIs(t, be.Errs[0], engine.ErrQueueFull)
	require.ErrorIs(t, be.Errs[0], engine.ErrClosed)
	require.NoError(t, be.Errs[1])
	close(release)
	require.NoError(t, <-closed)
}

// Stats counts running deliveries in Depth, and in Oldest too.
func TestStatsOldestCountsRunning(t *testing.T) {
	leakcheck.Check(t)
	release := make(chan struct{})
	running := make(chan struct{})
	r := runnerFunc(func(ctx context.Context, d *engine.Delivery) engine.Result {
		close(running)
		<-release
		return engine.Result{Outcome: engine.Done}
	})
	e := memengine.New(memengine.Config{Workers: 1})
	require.NoError(t, e.Start(r))
	defer func() { require.NoError(t, e.Close(context.Background())) }()
	defer close(release)
	created := time.Now().Add(-time.Hour)
	require.NoError(t, e.Enqueue(context.Background(), nil, []*engine.Delivery{
		{ID: "x", WebhookID: "w", Event: &event.Event{}, Created: created, QueueSize: 1, Concurrency: 1},
	}))
	<-running
	st, err := e.Stats(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, st.Depth)
	require.True(t, st.Oldest.Equal(created), "oldest %v, want %v", st.Oldest, created)
}

type runnerFunc func(ctx context.Context, d *engine.Delivery) engine.Result

func (f runnerFunc) Run(ctx context.Context, d *engine.Delivery) engine.Result { return f(ctx, d) }
func (runnerFunc) Abandon(*engine.Delivery, error)                             {}

// A webhook whose deliveries are held back (by its tenant's limits, its
// rate limit, its open breaker) has at most its concurrency of them
// started, running or held: the rest of its backlog stays queued, in
// order, rather than each being run to be held again and again; and a
// held delivery, due again, goes before those queued behind it. Every
// delivery ends.
func TestHeldDeliveriesKeepTheirPlace(t *testing.T) {
	leakcheck.Check(t)
	const n, concurrency, holds = 200, 2, 3
	var mu sync.Mutex
	runs := map[string]int{} // by delivery, its runs so far
	var started []string     // deliveries in the order of their first run
	active, most := 0, 0     // started and not ended
	ended := make(chan string, n)
	r := runnerFunc(func(ctx context.Context, d *engine.Delivery) engine.Result {
		mu.Lock()
		defer mu.Unlock()
		if runs[d.ID] == 0 {
			started = append(started, d.ID)
			active++
			most = max(most, active)
		}
		runs[d.ID]++
		if runs[d.ID] <= holds {
			return engine.Result{Outcome: engine.Held, Delay: time.Millisecond}
		}
		active--
		ended <- d.ID
		return engine.Result{Outcome: engine.Done}
	})
	e := memengine.New(memengine.Config{Workers: 8})
	require.NoError(t, e.Start(r))
	defer func() { require.NoError(t, e.Close(context.Background())) }()
	batch := make([]*engine.Delivery, 0, n)
	for i := range n {
		batch = append(batch, &engine.Delivery{ID: fmt.Sprintf("d%03d", i), WebhookID: "w", Event: &event.Event{}, QueueSize: n, Concurrency: concurrency})
	}
	for _, d := range batch {
		require.NoError(t, e.Enqueue(context.Background(), nil, []*engine.Delivery{d}))
	}
	for range n {
		select {
		case <-ended:
		case <-time.After(10 * time.Second):
			t.Fatal("deliveries left unended")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	require.LessOrEqual(t, most, concurrency, "deliveries started and not ended at once")
	// Deliveries let run together may reach the runner in either order;
	// none may pass more than the concurrency ahead of its place.
	for i, id := range started {
		var place int
		_, err := fmt.Sscanf(id, "d%03d", &place)
		require.NoError(t, err)
		require.Less(t, max(i-place, place-i), concurrency, "first runs in queue order: %s ran %dth", id, i)
	}
	total := 0
	for _, k := range runs {
		total += k
	}
	require.Equal(t, n*(holds+1), total, "runs")
}

// Deliveries held for longer than Close waits, with the webhook's
// concurrency lowered meanwhile, are abandoned with ErrClosed when
// Close's ctx, which has no deadline, ends, each once, with those queued behind them; a publisher
// waiting for room is told the engine closed; no timer or goroutine is
// left.
func TestCloseAbandonsHeldDeliveries(t *testing.T) {
	leakcheck.Check(t)
	const n, concurrency = 20, 4
	var mu sync.Mutex
	abandoned := map[string]int{}
	held := make(chan string, n)
	r := &holdRunner{held: held, abandon: func(d *engine.Delivery, err error) {
		require.ErrorIs(t, err, engine.ErrClosed)
		mu.Lock()
		defer mu.Unlock()
		abandoned[d.ID]++
	}}
	e := memengine.New(memengine.Config{Workers: 2})
	require.NoError(t, e.Start(r))
	for i := range n {
		require.NoError(t, e.Enqueue(context.Background(), nil, []*engine.Delivery{{ID: fmt.Sprint(i), WebhookID: "w", Event: &event.Event{}, QueueSize: n, Concurrency: concurrency}}))
	}
	for range concurrency {
		<-held
	}
	e.Resize("w", n, 1)
	publisher := make(chan error, 1)
	go func() {
		publisher <- e.Enqueue(context.Background(), nil, []*engine.Delivery{{ID: "late", WebhookID: "w", Event: &event.Event{}, QueueSize: n, Concurrency: concurrency}})
	}()
	// A ctx with no deadline: Close cannot know the holds outlast it.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(50*time.Millisecond, cancel)
	require.ErrorIs(t, e.Close(ctx), context.Canceled)
	require.ErrorIs(t, <-publisher, engine.ErrClosed)
	require.Empty(t, held, "no more than the concurrency were run")
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, abandoned, n)
	for id, k := range abandoned {
		require.Equal(t, 1, k, id)
	}
	st, err := e.Stats(context.Background())
	require.NoError(t, err)
	require.Zero(t, st.Depth)
}

// holdRunner holds every delivery for an hour.
type holdRunner struct {
	held    chan string
	abandon func(*engine.Delivery, error)
}

func (r *holdRunner) Run(_ context.Context, d *engine.Delivery) engine.Result {
	r.held <- d.ID
	return engine.Result{Outcome: engine.Held, Delay: time.Hour}
}

func (r *holdRunner) Abandon(d *engine.Delivery, err error) { r.abandon(d, err) }

// With a deadline, Close knows that deliveries held past it cannot run
// before then: it abandons them at once, with those queued behind them,
// unrun, and those waiting behind their ordering keys, which would
// otherwise overtake them; it returns, saying the drain was cut short,
// without waiting for the deadline.
func TestCloseAbandonsAtOnceWhatIsDueAfterItsDeadline(t *testing.T) {
	leakcheck.Check(t)
	const n, concurrency = 20, 4
	var mu sync.Mutex
	abandoned := map[string]int{}
	held := make(chan string, n)
	r := &holdRunner{held: held, abandon: func(d *engine.Delivery, err error) {
		require.ErrorIs(t, err, engine.ErrClosed)
		require.ErrorContains(t, err, "after Close's deadline")
		mu.Lock()
		defer mu.Unlock()
		abandoned[d.ID]++
	}}
	e := memengine.New(memengine.Config{Workers: 2})
	require.NoError(t, e.Start(r))
	for i := range n {
		require.NoError(t, e.Enqueue(context.Background(), nil, []*engine.Delivery{{ID: fmt.Sprint(i), WebhookID: "w", Event: &event.Event{}, QueueSize: n, Concurrency: concurrency, OrderingKey: fmt.Sprint(i % 3)}}))
	}
	for range 3 { // one per ordering key
		<-held
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	require.ErrorIs(t, e.Close(ctx), context.DeadlineExceeded)
	// Well short of the minute Close would wait for them, whatever the load.
	require.Less(t, time.Since(start), 30*time.Second)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, abandoned, n)
	for id, k := range abandoned {
		require.Equal(t, 1, k, id)
	}
	require.Empty(t, held, "none behind a given-up key ran")
	st, err := e.Stats(context.Background())
	require.NoError(t, err)
	require.Zero(t, st.Depth)
}

// orderLedger is a Runner that checks, for one ordering key, that no
// delivery runs after an earlier one was abandoned, nor once it ended,
// nor while Abandon is told of it; it retries and holds for delays on
// both sides of Close's deadline.
type orderLedger struct {
	mu        sync.Mutex
	ended     map[*engine.Delivery]int
	running   map[*engine.Delivery]bool
	abandoned int // the highest index abandoned so far, -1 for none
	faults    []string
}

func (l *orderLedger) Run(ctx context.Context, d *engine.Delivery) engine.Result {
	i := indexOf(d)
	l.mu.Lock()
	if l.abandoned >= 0 && i > l.abandoned {
		l.faults = append(l.faults, fmt.Sprintf("%s ran after %d, before it, was abandoned", d.ID, l.abandoned))
	}
	if l.ended[d] > 0 || l.running[d] {
		l.faults = append(l.faults, fmt.Sprintf("%s ran again", d.ID))
	}
	l.running[d] = true
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.running, d)
		l.mu.Unlock()
	}()
	if ctx.Err() != nil {
		return engine.Result{Outcome: engine.Interrupted}
	}
	delay := time.Duration(rand.IntN(40)) * time.Millisecond
	switch rand.IntN(3) {
	case 0:
		return engine.Result{Outcome: engine.Retry, Delay: delay}
	case 1:
		return engine.Result{Outcome: engine.Held, Delay: delay}
	}
	l.mu.Lock()
	l.ended[d]++
	l.mu.Unlock()
	return engine.Result{Outcome: engine.Done}
}

func (l *orderLedger) Abandon(d *engine.Delivery, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !errors.Is(err, engine.ErrClosed) {
		l.faults = append(l.faults, fmt.Sprintf("%s abandoned for %v", d.ID, err))
	}
	if l.running[d] {
		l.faults = append(l.faults, fmt.Sprintf("%s abandoned while it ran", d.ID))
	}
	l.ended[d]++
	l.abandoned = max(l.abandoned, indexOf(d))
}

func indexOf(d *engine.Delivery) int {
	var i int
	_, _ = fmt.Sscanf(d.ID, "k-%d", &i)
	return i
}

// Close's deadline falls among the retries and holds of deliveries of one
// ordering key: each ends once, and none reaches the receiver after one
// before it was given up, whether Close gave that one up while it waited
// or as its run ended.
func TestCloseKeepsAKeysOrderWhenItGivesUpEarly(t *testing.T) {
	leakcheck.Check(t)
	for round := range 20 {
		l := &orderLedger{ended: map[*engine.Delivery]int{}, running: map[*engine.Delivery]bool{}, abandoned: -1}
		e := memengine.New(memengine.Config{Workers: 2})
		require.NoError(t, e.Start(l))
		var queued []*engine.Delivery
		for i := range 30 {
			d := &engine.Delivery{ID: fmt.Sprintf("k-%d", i), WebhookID: "w", Event: &event.Event{}, QueueSize: 30, Concurrency: 2, OrderingKey: "k"}
			require.NoError(t, e.Enqueue(context.Background(), nil, []*engine.Delivery{d}))
			queued = append(queued, d)
		}
		time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		err := e.Close(ctx)
		cancel()
		if err != nil {
			require.ErrorIs(t, err, context.DeadlineExceeded)
		}
		l.mu.Lock()
		require.Empty(t, l.faults, "round %d", round)
		for _, d := range queued {
			require.Equal(t, 1, l.ended[d], "round %d: %s", round, d.ID)
		}
		l.mu.Unlock()
		st, err := e.Stats(context.Background())
		require.NoError(t, err)
		require.Zero(t, st.Depth)
	}
}

// Close with a ctx already done cuts nothing short when nothing is left
// to drain: it returns nil, every time, not ctx.Err() at the toss of the
// select.
func TestCloseWithNothingLeftIgnoresADoneCtx(t *testing.T) {
	leakcheck.Check(t)
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	for i := range 50 {
		e := memengine.New(memengine.Config{Workers: 1})
		require.NoError(t, e.Start(runnerFunc(func(context.Context, *engine.Delivery) engine.Result {
			return engine.Result{Outcome: engine.Done}
		})))
		if i%2 == 1 { // one that ran and ended, or none at all
			require.NoError(t, e.Enqueue(context.Background(), nil, []*engine.Delivery{{ID: "d", WebhookID: "w", Event: &event.Event{}}}))
			require.Eventually(t, func() bool {
				st, err := e.Stats(context.Background())
				return err == nil && st.Depth == 0
			}, 5*time.Second, time.Millisecond)
		}
		require.NoError(t, e.Close(expired), "close %d", i)
	}
}

// retryOnce retries each delivery once, after Delay, and passes on why
// it was abandoned.
type retryOnce struct {
	delay time.Duration
	ran   chan struct{}
	why   chan error
}

func (r *retryOnce) Run(context.Context, *engine.Delivery) engine.Result {
	r.ran <- struct{}{}
	return engine.Result{Outcome: engine.Retry, Delay: r.delay}
}

func (r *retryOnce) Abandon(_ *engine.Delivery, err error) { r.why <- err }

// A retry due less than a second after Close's deadline is said to be due
// that many milliseconds after it, not "0s after".
func TestCloseSaysHowLateInMilliseconds(t *testing.T) {
	leakcheck.Check(t)
	r := &retryOnce{delay: 600 * time.Millisecond, ran: make(chan struct{}, 1), why: make(chan error, 1)}
	e := memengine.New(memengine.Config{Workers: 1})
	require.NoError(t, e.Start(r))
	require.NoError(t, e.Enqueue(context.Background(), nil, []*engine.Delivery{{ID: "d", WebhookID: "w", Event: &event.Event{}}}))
	<-r.ran
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, e.Close(ctx), context.DeadlineExceeded)
	err := <-r.why
	require.ErrorContains(t, err, "ms after Close's deadline")
	require.NotContains(t, err.Error(), " 0s after")
}
