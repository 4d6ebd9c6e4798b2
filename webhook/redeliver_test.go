package webhook_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

// ctxStore is a MemoryStore whose AddDeadLetter honours ctx, as a database
// would, and fails with errStoreDown while down is set.
type ctxStore struct {
	*webhook.MemoryStore
	down atomic.Bool
}

func (s *ctxStore) AddDeadLetter(ctx context.Context, dl webhook.DeadLetter) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.down.Load() {
		return errStoreDown
	}
	return s.MemoryStore.AddDeadLetter(ctx, dl)
}

// deadLetterOfFullQueue fills a's queue (size 1, a stalled endpoint) and
// returns the delivery id of the dead letter a rejected Publish leaves.
func deadLetterOfFullQueue(t *testing.T, d *webhook.Dispatcher, a webhook.Webhook) string {
	t.Helper()
	_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = d.Publish(ctx, mock(t, accessrequest.Created))
	require.ErrorIs(t, err, webhook.ErrQueueFull)
	dead, err := d.DeadLetters(context.Background(), a.ID, 0)
	require.NoError(t, err)
	require.Len(t, dead, 1)
	return dead[0].DeliveryID
}

// A Redeliver that cannot queue the dead letter puts it back, and says so
// when the store fails to keep it: it is never taken and dropped.
func TestRedeliverKeepsTheDeadLetterItCannotQueue(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy webhook.QueuePolicy
		want   error
	}{
		{"queue full, QueueReject", webhook.QueueReject, webhook.ErrQueueFull},
		// Redeliver waits for room until its ctx ends; the dead letter
		// goes back all the same, though a store honours that ctx.
		{"queue full, QueueBlock", webhook.QueueBlock, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stalled, release := stalledReceiver(t)
			store := &ctxStore{MemoryStore: webhook.NewMemoryStore(0, 0)}
			d, _ := newDispatcher(t, webhook.WithInvocationStore(store), webhook.WithQueue(100, tc.policy))
			t.Cleanup(release)
			a := addNamed(t, d, "a", stalled.URL, &webhook.DeliverySettings{QueueSize: 1, Concurrency: 1})
			id := deadLetterOfFullQueue(t, d, a)

			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			err := d.Redeliver(ctx, id)
			require.ErrorIs(t, err, tc.want)
			var lost *webhook.DeadLetterError
			require.False(t, errors.As(err, &lost), "the dead letter went back: %v", err)
			dead, err := d.DeadLetters(context.Background(), a.ID, 0)
			require.NoError(t, err)
			require.Len(t, dead, 1, "the dead letter is kept")
			require.Equal(t, id, dead[0].DeliveryID)
		})
	}

	t.Run("webhook removed, store down", func(t *testing.T) {
		stalled, release := stalledReceiver(t)
		store := &ctxStore{MemoryStore: webhook.NewMemoryStore(0, 0)}
		d, _ := newDispatcher(t, webhook.WithInvocationStore(store))
		t.Cleanup(release)
		a := addNamed(t, d, "a", stalled.URL, &webhook.DeliverySettings{QueueSize: 1, Concurrency: 1})
		id := deadLetterOfFullQueue(t, d, a)
		require.NoError(t, d.Remove(a.ID))

		store.down.Store(true)
		err := d.Redeliver(context.Background(), id)
		require.ErrorIs(t, err, webhook.ErrNotFound)
		require.ErrorIs(t, err, errStoreDown, "the caller learns the dead letter was not put back")
		var lost *webhook.DeadLetterError
		require.ErrorAs(t, err, &lost)
		require.Equal(t, id, lost.DeadLetter.DeliveryID)
		require.NotNil(t, lost.DeadLetter.Event, "the caller has what the store lost")
	})
}

// blockingStore is a MemoryStore whose AddDeadLetter blocks until ctx is
// done, as a hung database would, honouring ctx as the store contract
// asks.
type blockingStore struct{ *webhook.MemoryStore }

func (blockingStore) AddDeadLetter(ctx context.Context, _ webhook.DeadLetter) error {
	<-ctx.Done()
	return ctx.Err()
}

// A Publish whose dead-letter write hangs returns about a second after its
// ctx ends, the grace Close gives the store too, with the dead letter in a
// *DeadLetterError; it is not held until Close.
func TestPublishIsNotHeldByAHungStore(t *testing.T) {
	for name, policy := range map[string]webhook.QueuePolicy{"QueueReject": webhook.QueueReject, "QueueBlock": webhook.QueueBlock} {
		t.Run(name, func(t *testing.T) {
			stalled, release := stalledReceiver(t)
			d, _ := newDispatcher(t, webhook.WithInvocationStore(blockingStore{webhook.NewMemoryStore(0, 0)}), webhook.WithQueue(100, policy))
			t.Cleanup(release)
			addNamed(t, d, "a", stalled.URL, &webhook.DeliverySettings{QueueSize: 1, Concurrency: 1})
			_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
			require.NoError(t, err)

			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			published := make(chan error, 1)
			go func() {
				_, err := d.Publish(ctx, mock(t, accessrequest.Created))
				published <- err
			}()
			select {
			case err := <-published:
				require.ErrorIs(t, err, webhook.ErrQueueFull)
				var lost *webhook.DeadLetterError
				require.ErrorAs(t, err, &lost)
			case <-time.After(5 * time.Second):
				t.Fatal("Publish held by the store long past its ctx")
			}
		})
	}
}
