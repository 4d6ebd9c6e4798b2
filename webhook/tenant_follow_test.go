package webhook_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/webhook"
)

// deafStore is a definition store whose notifications are lost, as a
// durable store's may be: its followers learn of changes when they read.
type deafStore struct{ *defstore.Memory }

func (deafStore) Subscribe(func()) (func(), error) { return func() {}, nil }

// TestRecreatedWebhookIsNotTakenForRemoved: a delivery queued for a
// webhook created again under a deleted one's id, run by an instance
// that knows of the deletion only, waits for that instance to load it
// rather than end as if the webhook were gone.
func TestRecreatedWebhookIsNotTakenForRemoved(t *testing.T) {
	rc := newReceiver(t, nil)
	mem := defstore.NewMemory()
	engA, engB := &batchEngine{}, &batchEngine{}
	a, _ := newDispatcher(t, webhook.WithDefinitionStore(mem), webhook.WithEngine(engA))
	ctx := context.Background()
	w := tenantHook(rc, "phoenix", accessrequest.Created)
	w.ID = "phoenix"
	_, err := a.Tenant("acme").Create(ctx, w, "alice")
	require.NoError(t, err)
	require.NoError(t, a.Tenant("acme").Delete(ctx, w.ID, 0, "alice"))
	_, invs := newDispatcher(t, webhook.WithDefinitionStore(deafStore{mem}), webhook.WithEngine(engB), webhook.WithSyncInterval(time.Hour))
	again, err := a.Tenant("acme").Create(ctx, w, "alice")
	require.NoError(t, err)
	require.Equal(t, int64(3), again.Version)
	_, err = a.Tenant("acme").Publish(ctx, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	queued := *engA.batches[0][0]
	queued.RunnerState = nil // as a durable engine rebuilds it on another instance

	res := engB.runner.Run(ctx, &queued)
	require.Equal(t, engine.Held, res.Outcome, "a delivery of version 3 ended on an instance that knew version 2 deleted")
	require.Eventually(t, func() bool { return engB.runner.Run(ctx, &queued).Outcome == engine.Done }, 2*time.Second, time.Millisecond)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
}

// startRacer is a definition store on which another instance writes just
// after a Dispatcher's first read of the changes.
type startRacer struct {
	*defstore.Memory
	after func()
}

func (s *startRacer) Changes(ctx context.Context, after uint64, limit int) ([]defstore.Change, error) {
	changes, err := s.Memory.Changes(ctx, after, limit)
	if f := s.after; f != nil {
		s.after = nil
		f()
	}
	return changes, err
}

// TestNewFollowsWritesMadeWhileItStarts: a change made while New reads
// the store is followed at once, not left for the sync interval.
func TestNewFollowsWritesMadeWhileItStarts(t *testing.T) {
	rc := newReceiver(t, nil)
	mem := defstore.NewMemory()
	writer, _ := newDispatcher(t, webhook.WithDefinitionStore(mem))
	ctx := context.Background()
	store := &startRacer{Memory: mem, after: func() {
		_, err := writer.Tenant("acme").Create(ctx, tenantHook(rc, "early", accessrequest.Created), "alice")
		require.NoError(t, err)
	}}
	d, _ := newDispatcher(t, webhook.WithDefinitionStore(store), webhook.WithSyncInterval(time.Hour))
	require.Eventually(t, func() bool { return published(t, d, "acme") == 1 }, 2*time.Second, time.Millisecond)
}

// TestRemoveAfterClose: a deletion after Close is refused, as every
// other write is, and changes nothing in the store other instances
// follow.
func TestRemoveAfterClose(t *testing.T) {
	store := defstore.NewMemory()
	d, err := webhook.New(webhook.WithDefinitionStore(store))
	require.NoError(t, err)
	w, err := d.Add(webhook.Webhook{Name: "x", Active: true, URL: "https://example.com/x", Triggers: []event.Trigger{accessrequest.Created}})
	require.NoError(t, err)
	require.NoError(t, d.Close(context.Background()))
	require.ErrorIs(t, d.Tenant("").Delete(context.Background(), w.ID, 0, "x"), webhook.ErrClosed)
	require.ErrorIs(t, d.Remove(w.ID), webhook.ErrClosed)
	_, err = store.Get(context.Background(), "", w.ID)
	require.NoError(t, err, "deleted through a closed Dispatcher")
	_, err = d.Tenant("").SetActive(context.Background(), w.ID, false, 0, "x")
	require.ErrorIs(t, err, webhook.ErrClosed)
	_, err = d.Tenant("").Update(context.Background(), w, "x")
	require.ErrorIs(t, err, webhook.ErrClosed)
}

// TestInstancesConvergeUnderRacingWrites: three instances on one store
// take racing creations, updates, switches and deletions of the same
// few ids; once the writes stop, each has every definition the store
// has, active as there, and none it deleted.
func TestInstancesConvergeUnderRacingWrites(t *testing.T) {
	rc := newReceiver(t, nil)
	mem := defstore.NewMemory()
	var ds []*webhook.Dispatcher
	for range 3 {
		d, _ := newDispatcher(t, webhook.WithDefinitionStore(mem), webhook.WithSyncInterval(time.Hour))
		ds = append(ds, d)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for i := range 200 {
				ten := ds[rng.IntN(len(ds))].Tenant("t")
				id := fmt.Sprint("id", rng.IntN(5))
				w := tenantHook(rc, fmt.Sprintf("n%d %d", g, i), accessrequest.Created)
				w.ID = id
				switch rng.IntN(4) {
				case 0:
					_, _ = ten.Create(ctx, w, "x")
				case 1:
					_, _ = ten.Update(ctx, w, "x")
				case 2:
					_ = ten.Delete(ctx, id, 0, "x")
				default:
					_, _ = ten.SetActive(ctx, id, rng.IntN(2) == 0, 0, "x")
				}
			}
		})
	}
	wg.Wait()
	page, err := mem.List(ctx, "t", defstore.ListOptions{})
	require.NoError(t, err)
	active := 0
	for _, r := range page.Records {
		if r.Active {
			active++
		}
	}
	for i, d := range ds {
		require.Eventually(t, func() bool { return published(t, d, "t") == active }, 2*time.Second, time.Millisecond, "instance %d", i)
		for n := range 5 {
			id := fmt.Sprint("id", n)
			_, stored := mem.Get(ctx, "t", id)
			require.Eventually(t, func() bool {
				_, loaded := d.Tenant("t").Breaker(id)
				return (stored == nil) == (loaded == nil)
			}, 5*time.Second, time.Millisecond, "instance %d, %s: store %v", i, id, stored)
		}
	}
}

// TestCloseWhileFollowingLeavesNoGoroutine closes Dispatchers while
// another instance writes to their store, so that their followers are
// reading or notified as they stop.
func TestCloseWhileFollowingLeavesNoGoroutine(t *testing.T) {
	leakcheck.Check(t)
	mem := defstore.NewMemory()
	writer, err := webhook.New(webhook.WithDefinitionStore(mem))
	require.NoError(t, err)
	ctx := context.Background()
	for round := range 10 {
		d, err := webhook.New(webhook.WithDefinitionStore(mem), webhook.WithSyncInterval(time.Millisecond))
		require.NoError(t, err)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := range 30 {
				w := webhook.Webhook{Name: fmt.Sprintf("w%d %d", round, i), Active: true, URL: "https://example.com/", Triggers: []event.Trigger{accessrequest.Created}}
				_, err := writer.Tenant("t").Create(ctx, w, "x")
				assert.NoError(t, err)
			}
		}()
		require.NoError(t, d.Close(ctx))
		<-done
	}
	require.NoError(t, writer.Close(ctx))
}
