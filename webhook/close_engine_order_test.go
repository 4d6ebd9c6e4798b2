package webhook_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/webhook"
)

// closingEngine is a scriptedEngine that erases and wakes, holding its
// first Erase until release is closed, and counts the calls it took
// once its Close began.
type closingEngine struct {
	*scriptedEngine
	erasing chan struct{} // closed as the first Erase begins
	release chan struct{}
	once    sync.Once
	closed  atomic.Bool
	late    atomic.Int64
}

func (e *closingEngine) called() {
	if e.closed.Load() {
		e.late.Add(1)
	}
}

func (e *closingEngine) Erase(ctx context.Context, _ engine.EraseFilter) (int, error) {
	e.called()
	first := false
	e.once.Do(func() { first = true })
	if first {
		close(e.erasing)
		select {
		case <-e.release:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	return 0, nil
}

func (e *closingEngine) WakeHeld(context.Context, string) (int, error) {
	e.called()
	return 0, nil
}

func (e *closingEngine) Close(context.Context) error {
	e.closed.Store(true)
	return nil
}

// An erasure in progress as Close begins ends before Close closes the
// engine, rather than reach a closed engine with its later steps (an
// engine need not take calls after its Close): it finishes whole, and
// the deliveries Close then gives up cannot land after it erased.
func TestCloseLetsAnErasureEndBeforeTheEngineCloses(t *testing.T) {
	leakcheck.Check(t)
	eng := &closingEngine{scriptedEngine: &scriptedEngine{}, erasing: make(chan struct{}), release: make(chan struct{})}
	d, err := webhook.New(webhook.WithEngine(eng), webhook.WithInvocationStore(webhook.NewMemoryStore(10, 10)))
	require.NoError(t, err)

	type result struct {
		er  webhook.Erasure
		err error
	}
	erased := make(chan result, 1)
	go func() {
		er, err := d.Tenant("acme").Erase(context.Background(), webhook.EraseSelector{All: true}, "op")
		erased <- result{er, err}
	}()
	<-eng.erasing
	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		closed <- d.Close(ctx)
	}()
	time.Sleep(50 * time.Millisecond) // Close under way
	close(eng.release)
	r := <-erased
	require.NoError(t, r.err)
	require.Equal(t, "op", r.er.Actor)
	require.NoError(t, <-closed)
	require.Zero(t, eng.late.Load(), "engine calls after its Close began")
}

// stallingDefs is a definition store that notifies no change, so that
// one reaches the Dispatcher only by its sync, and whose Get waits for
// its ctx to end.
type stallingDefs struct{ defstore.Store }

func (stallingDefs) Subscribe(func()) (func(), error) { return func() {}, nil }

func (s stallingDefs) Get(ctx context.Context, _, _ string) (defstore.Record, error) {
	<-ctx.Done()
	return defstore.Record{}, ctx.Err()
}

// A reset of a webhook this instance has not read yet, whose look into
// the definition store Close's end cuts short, returns ErrClosed as other
// calls cut so do, not ErrNotFound: nothing said the webhook was unknown.
func TestResetBreakerCutByCloseIsClosedNotNotFound(t *testing.T) {
	leakcheck.Check(t)
	mem := defstore.NewMemory()
	other, err := webhook.New(webhook.WithDefinitionStore(mem))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, other.Close(context.Background())) })
	d, err := webhook.New(webhook.WithDefinitionStore(stallingDefs{mem}), webhook.WithSyncInterval(time.Hour))
	require.NoError(t, err)
	_, err = other.Tenant("acme").Create(context.Background(), webhook.Webhook{ID: "hook", Name: "h", Active: true,
		URL: "https://example.com/h", Triggers: []event.Trigger{accessrequest.Created}}, "")
	require.NoError(t, err)

	reset := make(chan error, 1)
	go func() { reset <- d.Tenant("acme").ResetBreakerBy(context.Background(), "hook", "op") }()
	time.Sleep(50 * time.Millisecond) // the look under way
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = d.Close(ctx)
	err = <-reset
	require.ErrorIs(t, err, webhook.ErrClosed)
	require.NotErrorIs(t, err, webhook.ErrNotFound)
}

// slowEraseStore is the memory store whose Erase takes a while and does
// not heed its ctx.
type slowEraseStore struct {
	*webhook.MemoryStore
	entered chan struct{}
}

func (s slowEraseStore) Erase(ctx context.Context, er webhook.Erasure) (webhook.Erasure, error) {
	close(s.entered)
	time.Sleep(1500 * time.Millisecond) // past Close's grace of a second
	return s.MemoryStore.Erase(ctx, er)
}

// An erasure that Close's end cut short starts no step after it, even
// when a step in progress then returns without heeding its ctx: it
// returns an error wrapping ErrClosed, and the engine hears nothing more.
func TestEraseCutByCloseStartsNoStepAfter(t *testing.T) {
	leakcheck.Check(t)
	eng := &closingEngine{scriptedEngine: &scriptedEngine{}, erasing: make(chan struct{}), release: make(chan struct{})}
	close(eng.release)
	store := slowEraseStore{webhook.NewMemoryStore(10, 10), make(chan struct{})}
	d, err := webhook.New(webhook.WithEngine(eng), webhook.WithInvocationStore(store))
	require.NoError(t, err)
	erased := make(chan error, 1)
	go func() {
		_, err := d.Tenant("acme").Erase(context.Background(), webhook.EraseSelector{All: true}, "op")
		erased <- err
	}()
	<-store.entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = d.Close(ctx)
	require.ErrorIs(t, <-erased, webhook.ErrClosed)
	require.Zero(t, eng.late.Load(), "engine calls after its Close began")
}

// slowDiscardStore is the memory store whose DiscardDeadLetters takes a
// while, does not heed its ctx, and says it discarded a full batch; it
// counts the calls made after closed is set.
type slowDiscardStore struct {
	*webhook.MemoryStore
	entered chan struct{}
	once    *sync.Once
	closed  *atomic.Bool
	late    *atomic.Int64
}

func (s slowDiscardStore) DiscardDeadLetters(context.Context, string, string, time.Time, time.Time, int) (int, error) {
	if s.closed.Load() {
		s.late.Add(1)
	}
	s.once.Do(func() {
		close(s.entered)
		time.Sleep(1500 * time.Millisecond) // past Close's grace of a second
	})
	return 100, nil
}

// A bulk discard that Close's end cut short starts no batch after it,
// even when the batch in progress returns without heeding its ctx, and
// returns an error wrapping ErrClosed.
func TestDiscardCutByCloseStartsNoBatchAfter(t *testing.T) {
	leakcheck.Check(t)
	store := slowDiscardStore{webhook.NewMemoryStore(10, 10), make(chan struct{}), &sync.Once{}, &atomic.Bool{}, &atomic.Int64{}}
	d, err := webhook.New(webhook.WithInvocationStore(store))
	require.NoError(t, err)
	discarded := make(chan error, 1)
	go func() {
		_, err := d.Tenant("acme").DiscardDeadLetters(context.Background(), "hook", time.Time{}, time.Time{})
		discarded <- err
	}()
	<-store.entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = d.Close(ctx)
	store.closed.Store(true)
	require.ErrorIs(t, <-discarded, webhook.ErrClosed)
	require.Zero(t, store.late.Load(), "batches after Close returned")
}
