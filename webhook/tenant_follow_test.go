package webhook_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
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
