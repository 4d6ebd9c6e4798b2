package webhook_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

// overlapStore is an InvocationStore whose Record waits until want records
// are being written at once (or a while has passed), so that a test can
// tell whether attempts of one webhook record beside each other.
type overlapStore struct {
	webhook.InvocationStore
	want    int32
	writing atomic.Int32
	once    sync.Once
	overlap chan struct{} // closed once want records were written at once
}

func newOverlapStore(want int) *overlapStore {
	return &overlapStore{InvocationStore: webhook.NewMemoryStore(0, 0), want: int32(want), overlap: make(chan struct{})}
}

func (s *overlapStore) Record(ctx context.Context, inv webhook.Invocation) error {
	if s.writing.Add(1) >= s.want {
		s.once.Do(func() { close(s.overlap) })
	}
	defer s.writing.Add(-1)
	select {
	case <-s.overlap:
	case <-time.After(2 * time.Second): // what a slow store would cost each record
	case <-ctx.Done():
	}
	return s.InvocationStore.Record(ctx, inv)
}

// concurrencyReceiver counts the requests it holds at once.
func concurrencyReceiver(t *testing.T) (rc *receiver, most *atomic.Int32) {
	var now atomic.Int32
	most = new(atomic.Int32)
	rc = newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		n32 := now.Add(1)
		defer now.Add(-1)
		for m := most.Load(); n32 > m && !most.CompareAndSwap(m, n32); m = most.Load() {
		}
		time.Sleep(time.Millisecond) // an answer that takes a while, so that requests meet
		w.WriteHeader(http.StatusOK)
	})
	return rc, most
}

// A webhook's concurrency bounds the requests its receiver holds, not the
// writing of the records: with a store slow to write, the attempts that
// have ended record beside each other while the next ones go out, rather
// than the store's latency cutting the webhook to Concurrency records at
// a time.
func TestConcurrencyEndsWithTheExchange(t *testing.T) {
	const limit, events = 2, 12
	rc, most := concurrencyReceiver(t)
	store := newOverlapStore(2 * limit)
	d, invs := newDispatcher(t, webhook.WithWorkers(8), webhook.WithConcurrency(limit), webhook.WithInvocationStore(store))
	_, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)

	start := time.Now()
	for range events {
		_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	select {
	case <-store.overlap:
	case <-time.After(10 * time.Second):
		t.Fatalf("at most %d records were written at once: the webhook's slots were held while recording", store.writing.Load())
	}
	for _, inv := range waitFinal(t, invs, events) {
		require.Equal(t, webhook.Delivered, inv.Outcome)
	}
	require.LessOrEqual(t, most.Load(), int32(limit), "requests the receiver held at once")
	require.Less(t, time.Since(start), 5*time.Second, "each record waited for the store's 2 s")
}
