package webhook_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/webhook"
)

// closeWatch counts the writes its stores take after Close returned.
type closeWatch struct {
	closed atomic.Bool
	late   atomic.Int64
}

func (w *closeWatch) write() {
	if w.closed.Load() {
		w.late.Add(1)
	}
}

// watchedDefs is the memory definition store, its breaker resets watched.
type watchedDefs struct {
	*defstore.Memory
	w *closeWatch
}

func (s watchedDefs) ResetBreaker(ctx context.Context, tenant, id, actor string) (defstore.Record, error) {
	s.w.write()
	return s.Memory.ResetBreaker(ctx, tenant, id, actor)
}

// watchedStore is the memory invocation store, its erasures watched.
type watchedStore struct {
	*webhook.MemoryStore
	w *closeWatch
}

func (s watchedStore) Erase(ctx context.Context, er webhook.Erasure) (webhook.Erasure, error) {
	s.w.write()
	return s.MemoryStore.Erase(ctx, er)
}

// Erase and ResetBreaker racing Close either finish or fail with an
// error wrapping ErrClosed; none panics, writes to a store after Close
// returned, or leaves a goroutine; after Close both return ErrClosed.
func TestEraseAndResetBreakerRaceClose(t *testing.T) {
	leakcheck.Check(t)
	rc := newReceiver(t, nil)
	for round := range 30 {
		watch := &closeWatch{}
		d, err := webhook.New(
			webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
			webhook.WithAllowedTargets("127.0.0.1"),
			webhook.WithRetryPolicy(fastRetries),
			webhook.WithBreaker(webhook.BreakerSettings{Threshold: 1, Cooldown: time.Hour}),
			webhook.WithDefinitionStore(watchedDefs{defstore.NewMemory(), watch}),
			webhook.WithInvocationStore(watchedStore{webhook.NewMemoryStore(100, 100), watch}),
		)
		require.NoError(t, err)
		ten := d.Tenant("acme")
		_, err = ten.Create(context.Background(), webhook.Webhook{ID: "hook", Name: "h", Active: true, URL: rc.URL + "/h", Triggers: []event.Trigger{accessrequest.Created}}, "")
		require.NoError(t, err)

		var wg sync.WaitGroup
		var errs sync.Map
		start := make(chan struct{})
		for g := range 4 {
			wg.Go(func() {
				<-start
				for i := 0; ; i++ {
					var err error
					switch (g + i) % 3 {
					case 0:
						_, err = ten.Erase(context.Background(), webhook.EraseSelector{WebhookID: "hook"}, "op")
					case 1:
						err = ten.ResetBreakerBy(context.Background(), "hook", "op")
					default:
						_, err = ten.Publish(context.Background(), mock(t, accessrequest.Created))
					}
					if errors.Is(err, webhook.ErrClosed) {
						return
					}
					if err != nil {
						errs.Store(err.Error(), err)
						return
					}
				}
			})
		}
		close(start)
		time.Sleep(time.Duration(round%5) * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		require.NoError(t, d.Close(ctx))
		cancel()
		watch.closed.Store(true)
		wg.Wait()
		errs.Range(func(k, _ any) bool {
			t.Errorf("round %d: %s", round, k)
			return true
		})
		require.Zero(t, watch.late.Load(), "round %d: store writes after Close returned", round)

		_, err = ten.Erase(context.Background(), webhook.EraseSelector{All: true}, "op")
		require.ErrorIs(t, err, webhook.ErrClosed)
		require.ErrorIs(t, ten.ResetBreakerBy(context.Background(), "hook", "op"), webhook.ErrClosed)
		require.ErrorIs(t, d.Tenant("").ResetBreaker("hook"), webhook.ErrClosed)
		_, err = ten.DiscardDeadLetters(context.Background(), "hook", time.Time{}, time.Time{})
		require.ErrorIs(t, err, webhook.ErrClosed)
		require.Zero(t, watch.late.Load(), "round %d: store writes after Close", round)
	}
}
