package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

// addNamed registers a torqLike webhook named name on url with settings.
func addNamed(t *testing.T, d *webhook.Dispatcher, name, url string, settings *webhook.DeliverySettings) webhook.Webhook {
	t.Helper()
	w := torqLike(url)
	w.Name, w.Delivery = name, settings
	added, err := d.Add(w)
	require.NoError(t, err)
	return added
}

// A Publish that waits for a full webhook queues the event to the webhooks
// after it first, and what its deadline leaves unqueued is a dead letter
// named in its error.
func TestPublishDeadlineQueuesTheOthersAndKeepsTheRest(t *testing.T) {
	stalled, release := stalledReceiver(t)
	healthy := newReceiver(t, nil)
	d, _ := newDispatcher(t, webhook.WithQueue(100, webhook.QueueBlock))
	t.Cleanup(release)
	a := addNamed(t, d, "a", stalled.URL, &webhook.DeliverySettings{QueueSize: 1, Concurrency: 1})
	b := addNamed(t, d, "b", healthy.URL, nil)

	_, err := d.Publish(context.Background(), mock(t, accessrequest.Created)) // fills a's queue
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	pub, err := d.Publish(ctx, mock(t, accessrequest.Created))

	var qf *webhook.QueueFullError
	require.ErrorAs(t, err, &qf, "got %v", err)
	require.Equal(t, []string{a.ID}, qf.WebhookIDs)
	require.ErrorIs(t, err, webhook.ErrQueueFull)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Len(t, pub.Deliveries, 1)
	require.Equal(t, b.ID, pub.Deliveries[0].WebhookID)
	require.Eventually(t, func() bool { return len(healthy.got()) == 2 }, 5*time.Second, time.Millisecond, "b gets both events")

	dead, err := d.DeadLetters(context.Background(), a.ID, 0)
	require.NoError(t, err)
	require.Len(t, dead, 1, "a's copy is kept")
	require.Contains(t, dead[0].Reason, "queue full")
	require.Contains(t, dead[0].Reason, context.DeadlineExceeded.Error())
}

// By default a full queue rejects at once: a dead endpoint does not hold
// the publisher back.
func TestDefaultQueuePolicyRejects(t *testing.T) {
	stalled, release := stalledReceiver(t)
	d, _ := newDispatcher(t)
	t.Cleanup(release)
	a := addNamed(t, d, "a", stalled.URL, &webhook.DeliverySettings{QueueSize: 1, Concurrency: 1})
	_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = d.Publish(ctx, mock(t, accessrequest.Created))
	var qf *webhook.QueueFullError
	require.ErrorAs(t, err, &qf, "got %v", err)
	require.Equal(t, []string{a.ID}, qf.WebhookIDs)
	require.NoError(t, qf.Err, "rejected at once, not after waiting")
	dead, err := d.DeadLetters(context.Background(), a.ID, 0)
	require.NoError(t, err)
	require.Len(t, dead, 1)
}

// heldReceiver holds each request until the test frees one (or the
// request ends), and counts the requests it has seen.
func heldReceiver(t *testing.T) (rc *receiver, free chan struct{}) {
	free = make(chan struct{})
	rc = newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-free:
		case <-r.Context().Done():
		}
	})
	return rc, free
}

func TestUpdateResizesABusyQueue(t *testing.T) {
	t.Run("raised concurrency starts waiting deliveries", func(t *testing.T) {
		rc, release := stalledReceiver(t)
		d, _ := newDispatcher(t)
		t.Cleanup(release)
		w := addNamed(t, d, "a", rc.URL, &webhook.DeliverySettings{QueueSize: 10, Concurrency: 1})
		for range 3 {
			_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
			require.NoError(t, err)
		}
		require.Eventually(t, func() bool { return len(rc.got()) == 1 }, 5*time.Second, time.Millisecond)

		w.Delivery = &webhook.DeliverySettings{QueueSize: 10, Concurrency: 3}
		_, err := d.Update(w)
		require.NoError(t, err)
		require.Eventually(t, func() bool { return len(rc.got()) == 3 }, 5*time.Second, time.Millisecond,
			"the two waiting deliveries start while the first is stuck")
	})

	t.Run("lowered concurrency holds after the ones in flight", func(t *testing.T) {
		rc, free := heldReceiver(t)
		d, _ := newDispatcher(t)
		t.Cleanup(func() { close(free) })
		w := addNamed(t, d, "a", rc.URL, &webhook.DeliverySettings{QueueSize: 10, Concurrency: 2})
		for range 4 {
			_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
			require.NoError(t, err)
		}
		require.Eventually(t, func() bool { return len(rc.got()) == 2 }, 5*time.Second, time.Millisecond)

		w.Delivery = &webhook.DeliverySettings{QueueSize: 10, Concurrency: 1}
		_, err := d.Update(w)
		require.NoError(t, err)
		free <- struct{}{} // one of the two ends: one stays in flight, at the new bound
		free <- struct{}{} // the other ends: the third may start
		require.Eventually(t, func() bool { return len(rc.got()) >= 3 }, 5*time.Second, time.Millisecond)
		time.Sleep(100 * time.Millisecond) // the fourth must not start beside it
		require.Len(t, rc.got(), 3, "at most one in flight after the Update")
	})

	t.Run("lowered queue size drops nothing and takes no more until under it", func(t *testing.T) {
		rc, free := heldReceiver(t)
		d, invs := newDispatcher(t)
		t.Cleanup(func() { close(free) })
		w := addNamed(t, d, "a", rc.URL, &webhook.DeliverySettings{QueueSize: 4, Concurrency: 1, OrderingKey: "data.id"})
		for range 4 {
			_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
			require.NoError(t, err)
		}
		require.Eventually(t, func() bool { return len(rc.got()) == 1 }, 5*time.Second, time.Millisecond)

		w.Delivery = &webhook.DeliverySettings{QueueSize: 2, Concurrency: 1, OrderingKey: "data.id"}
		_, err := d.Update(w)
		require.NoError(t, err)
		_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.ErrorIs(t, err, webhook.ErrQueueFull, "four held, over the new two")
		free <- struct{}{}
		free <- struct{}{}
		free <- struct{}{} // one left: under the new size
		require.Eventually(t, func() bool { return len(rc.got()) == 4 }, 5*time.Second, time.Millisecond)
		_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.NoError(t, err)
		free <- struct{}{}
		free <- struct{}{}
		var delivered int
		for _, inv := range waitFinal(t, invs, 6) {
			if inv.Outcome == webhook.Delivered {
				delivered++
			}
		}
		require.Equal(t, 5, delivered, "the four held when the queue shrank, and the one after")
	})

	t.Run("raised queue size lets a waiting publisher in", func(t *testing.T) {
		rc, release := stalledReceiver(t)
		d, _ := newDispatcher(t, webhook.WithQueue(100, webhook.QueueBlock))
		t.Cleanup(release)
		w := addNamed(t, d, "a", rc.URL, &webhook.DeliverySettings{QueueSize: 1, Concurrency: 1})
		_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		published := make(chan error, 1)
		go func() {
			_, err := d.Publish(ctx, mock(t, accessrequest.Created))
			published <- err
		}()
		select {
		case err := <-published:
			t.Fatalf("Publish did not wait for room: %v", err)
		case <-time.After(50 * time.Millisecond):
		}

		w.Delivery = &webhook.DeliverySettings{QueueSize: 2, Concurrency: 1}
		_, err = d.Update(w)
		require.NoError(t, err)
		select {
		case err := <-published:
			require.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Fatal("the waiting Publish was not let in by the larger queue")
		}
	})
}

// failingStore is a MemoryStore whose AddDeadLetter runs addDead first and
// fails with its error.
type failingStore struct {
	*webhook.MemoryStore
	addDead func(ctx context.Context) error
}

func (s failingStore) AddDeadLetter(ctx context.Context, dl webhook.DeadLetter) error {
	if err := s.addDead(ctx); err != nil {
		return err
	}
	return s.MemoryStore.AddDeadLetter(ctx, dl)
}

var errStoreDown = errors.New("store down")

func TestFailedDeadLetterWritesAreReported(t *testing.T) {
	t.Run("to the publisher", func(t *testing.T) {
		stalled, release := stalledReceiver(t)
		store := failingStore{webhook.NewMemoryStore(0, 0), func(context.Context) error { return errStoreDown }}
		reader := sdkmetric.NewManualReader()
		d, _ := newDispatcher(t, webhook.WithInvocationStore(store), webhook.WithQueue(100, webhook.QueueReject),
			webhook.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
		t.Cleanup(release)
		a := addNamed(t, d, "a", stalled.URL, &webhook.DeliverySettings{QueueSize: 1, Concurrency: 1})
		_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.NoError(t, err)

		_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.ErrorIs(t, err, webhook.ErrQueueFull)
		require.ErrorIs(t, err, errStoreDown)
		var lost *webhook.DeadLetterError
		require.ErrorAs(t, err, &lost)
		require.Equal(t, a.ID, lost.DeadLetter.WebhookID)
		require.NotEmpty(t, lost.DeadLetter.DeliveryID)
		require.NotNil(t, lost.DeadLetter.Event, "the caller has what the store lost")

		var rm metricdata.ResourceMetrics
		require.NoError(t, reader.Collect(context.Background(), &rm))
		var failed int64
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name == "outhook.dead_letters.failed" {
					for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
						failed += p.Value
					}
				}
			}
		}
		require.EqualValues(t, 1, failed, "the failed write is counted")
	})

	t.Run("by Close, which a blocking store holds at most a second past its ctx", func(t *testing.T) {
		stalled, release := stalledReceiver(t)
		unblock := make(chan struct{})
		store := failingStore{webhook.NewMemoryStore(0, 0), func(ctx context.Context) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-unblock: // at the end of the test, should Close not have returned
				return errStoreDown
			}
		}}
		d, err := webhook.New(
			webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
			webhook.WithAllowedTargets("127.0.0.1"),
			webhook.WithInvocationStore(store),
		)
		require.NoError(t, err)
		defer release()
		defer close(unblock)
		addNamed(t, d, "a", stalled.URL, &webhook.DeliverySettings{Concurrency: 1})
		queued := map[string]bool{}
		for range 3 {
			pub, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
			require.NoError(t, err)
			queued[pub.Deliveries[0].DeliveryID] = true
		}

		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		closed := make(chan error, 1)
		start := time.Now()
		go func() { closed <- d.Close(ctx) }()
		select {
		case err = <-closed:
		case <-time.After(5 * time.Second):
			t.Fatal("Close blocked on the store past its ctx")
		}
		// The store has a second after ctx, for all its writes together.
		require.Less(t, time.Since(start), 100*time.Millisecond+3*time.Second)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		var lost []string
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			var dle *webhook.DeadLetterError
			if errors.As(e, &dle) {
				lost = append(lost, dle.DeadLetter.DeliveryID)
			}
		}
		require.Len(t, lost, 3, "every abandoned delivery the store did not keep: %v", err)
		for _, id := range lost {
			require.True(t, queued[id], id)
		}
	})
}

// A webhook removed and added again under its id, while a delivery of the
// old one is still in flight, gets the queue size and concurrency of the
// new definition at once, as Update would give them.
func TestAddAgainResizesTheBusyQueue(t *testing.T) {
	rc, release := stalledReceiver(t)
	d, _ := newDispatcher(t)
	t.Cleanup(release)
	w := addNamed(t, d, "a", rc.URL, &webhook.DeliverySettings{QueueSize: 1, Concurrency: 1})
	_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(rc.got()) == 1 }, 5*time.Second, time.Millisecond)

	require.NoError(t, d.Remove(w.ID))
	w.Delivery = &webhook.DeliverySettings{QueueSize: 10, Concurrency: 3}
	_, err = d.Add(w)
	require.NoError(t, err)
	for range 3 {
		_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.NoError(t, err, "the new definition's queue size")
	}
	require.Eventually(t, func() bool { return len(rc.got()) == 3 }, 5*time.Second, time.Millisecond,
		"the new definition's concurrency: two start beside the old one's stuck delivery")
}
