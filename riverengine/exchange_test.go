package riverengine_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
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

// A webhook's concurrency bounds the requests its receiver holds on an
// instance, not the writing of the records: with a store slow to write,
// attempts that have ended record beside each other while the next ones
// go out, rather than the store cutting the webhook to Concurrency records
// at a time.
func TestConcurrencyEndsWithTheExchange(t *testing.T) {
	for _, db := range []string{"postgres", "sqlite"} {
		t.Run(db, func(t *testing.T) {
			var eng *riverengine.Engine
			opts := []riverengine.Option{riverengine.WithWorkers(8), riverengine.WithPollInterval(50 * time.Millisecond)}
			if db == "postgres" {
				_, eng = newPostgresEngine(t, needPostgres(t), opts...)
			} else {
				_, eng = newSQLiteEngine(t, opts...)
			}
			const limit, events = 2, 12
			rc := newReceiver(t, time.Millisecond, nil)
			store := &overlapStore{InvocationStore: eng.Store(), want: 2 * limit, overlap: make(chan struct{})}
			var delivered atomic.Int32
			d, err := webhook.New(dispatcherOptions(eng, webhook.WithInvocationStore(store), webhook.WithInvocationHook(func(inv webhook.Invocation) {
				if inv.Outcome == webhook.Delivered {
					delivered.Add(1)
				}
			}))...)
			require.NoError(t, err)
			closeDispatcher(t, d)
			h := hook("limited", rc.URL)
			h.Delivery = &webhook.DeliverySettings{Concurrency: limit}
			_, err = d.Add(h)
			require.NoError(t, err)

			start := time.Now()
			for n := range events {
				_, err := d.Publish(context.Background(), newEvent(t, n))
				require.NoError(t, err)
			}
			select {
			case <-store.overlap:
			case <-time.After(10 * time.Second):
				t.Fatalf("at most %d records were written at once: the webhook's slots were held while recording", store.writing.Load())
			}
			eventually(t, 10*time.Second, "every delivery", func() bool { return delivered.Load() == events })
			require.LessOrEqual(t, rc.peakInFlight(), limit, "requests the receiver held at once")
			require.Less(t, time.Since(start), 5*time.Second, "each record waited for the store's 2 s")
		})
	}
}
