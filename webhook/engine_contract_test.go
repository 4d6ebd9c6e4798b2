package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// batchEngine records each Enqueue call and keeps its deliveries, as a
// third-party engine would.
type batchEngine struct {
	mu      sync.Mutex
	runner  engine.Runner
	batches [][]*engine.Delivery
	txs     []engine.Tx
	store   webhook.InvocationStore // non-nil: the engine brings its own
	stats   engine.Stats
}

func (e *batchEngine) Start(r engine.Runner) error { e.runner = r; return nil }
func (e *batchEngine) Enqueue(_ context.Context, tx engine.Tx, batch []*engine.Delivery) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.batches = append(e.batches, batch)
	e.txs = append(e.txs, tx)
	return nil
}
func (e *batchEngine) Stats(context.Context) (engine.Stats, error) { return e.stats, nil }
func (e *batchEngine) Close(context.Context) error                 { return nil }

// storeEngine is a batchEngine with an invocation store of its own.
type storeEngine struct{ *batchEngine }

func (e storeEngine) InvocationStore() webhook.InvocationStore { return e.store }

func addHooks(t *testing.T, d *webhook.Dispatcher, n int) []webhook.Webhook {
	t.Helper()
	var out []webhook.Webhook
	for i := range n {
		w := torqLike("http://127.0.0.1:1")
		w.Name = fmt.Sprintf("hook-%d", i)
		added, err := d.Add(w)
		require.NoError(t, err)
		out = append(out, added)
	}
	return out
}

// One Publish to N webhooks is one Enqueue, whose deliveries carry their
// settings as data an engine can store.
func TestPublishIsOneBatch(t *testing.T) {
	eng := &batchEngine{}
	d, _ := newDispatcher(t, webhook.WithEngine(eng))
	hooks := addHooks(t, d, 5)
	w := hooks[2]
	w.Delivery = &webhook.DeliverySettings{Concurrency: 3, QueueSize: 7, OrderingKey: "data.id"}
	_, err := d.Update(w)
	require.NoError(t, err)

	pub, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Len(t, pub.Deliveries, 5)
	require.Len(t, eng.batches, 1, "one Enqueue for the whole event")
	require.Len(t, eng.batches[0], 5)
	require.Nil(t, eng.txs[0])
	for _, del := range eng.batches[0] {
		if del.WebhookID != w.ID {
			require.Equal(t, uint64(1), del.DefinitionVersion)
			require.Empty(t, del.OrderingKey)
			continue
		}
		require.Equal(t, 3, del.Concurrency)
		require.Equal(t, 7, del.QueueSize)
		require.NotEmpty(t, del.OrderingKey, "the value at data.id")
		require.Equal(t, uint64(2), del.DefinitionVersion, "updated once")
	}
}

// Publishing an event with an event_id again gives each webhook the same
// delivery id, so that receivers deduplicate a retried Publish; an event
// without one gets new ids each time.
func TestDeliveryIDDerivesFromEventID(t *testing.T) {
	eng := &batchEngine{}
	d, _ := newDispatcher(t, webhook.WithEngine(eng))
	addHooks(t, d, 3)
	withID, err := event.New(accessrequest.Created, map[string]any{"id": "r1"}, event.WithID("evt-42"))
	require.NoError(t, err)
	withoutID, err := event.New(accessrequest.Created, map[string]any{"id": "r1"})
	require.NoError(t, err)

	ids := func(e *event.Event) map[string]string {
		pub, err := d.Publish(context.Background(), e)
		require.NoError(t, err)
		out := map[string]string{}
		for _, q := range pub.Deliveries {
			out[q.WebhookID] = q.DeliveryID
		}
		require.Len(t, out, 3)
		return out
	}
	first, again := ids(withID), ids(withID)
	require.Equal(t, first, again, "the same event, the same delivery ids")
	distinct := map[string]bool{}
	for _, id := range first {
		require.Len(t, id, 32)
		distinct[id] = true
	}
	require.Len(t, distinct, 3, "one id per webhook")

	other, err := event.New(accessrequest.Created, map[string]any{"id": "r1"}, event.WithID("evt-43"))
	require.NoError(t, err)
	for hook, id := range ids(other) {
		require.NotEqual(t, first[hook], id, "another event, other ids")
	}
	a, b := ids(withoutID), ids(withoutID)
	for hook := range a {
		require.NotEqual(t, a[hook], b[hook], "without an event_id every publish is new")
	}
}

// An engine that keeps its own records brings its store: WithEngine alone
// cannot send its dead letters to a memory store by mistake; an explicit
// WithInvocationStore still wins.
func TestEngineBringsItsStore(t *testing.T) {
	own := webhook.NewMemoryStore(0, 0)
	eng := storeEngine{&batchEngine{store: own}}
	d, _ := newDispatcher(t, webhook.WithEngine(eng), webhook.WithRecordFiltered(true))
	w := torqLike("http://127.0.0.1:1")
	w.Active = false
	added, err := d.Add(w)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	invs, err := own.Invocations(context.Background(), added.ID, 0)
	require.NoError(t, err)
	require.Len(t, invs, 1, "the engine's store keeps the record")

	explicit := webhook.NewMemoryStore(0, 0)
	eng2 := storeEngine{&batchEngine{store: webhook.NewMemoryStore(0, 0)}}
	d2, _ := newDispatcher(t, webhook.WithEngine(eng2), webhook.WithInvocationStore(explicit), webhook.WithRecordFiltered(true))
	added, err = d2.Add(w)
	require.NoError(t, err)
	_, err = d2.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	invs, err = explicit.Invocations(context.Background(), added.ID, 0)
	require.NoError(t, err)
	require.Len(t, invs, 1)
}

// txStore records what is written in a transaction apart.
type txStore struct {
	*webhook.MemoryStore
	mu   sync.Mutex
	inTx []engine.Tx
}

func (s *txStore) TakeDeadLetterTx(ctx context.Context, _ engine.Tx, id string) (webhook.DeadLetter, error) {
	return s.TakeDeadLetter(ctx, id)
}

func (s *txStore) RecordTx(ctx context.Context, tx engine.Tx, inv webhook.Invocation) error {
	s.mu.Lock()
	s.inTx = append(s.inTx, tx)
	s.mu.Unlock()
	return s.Record(ctx, inv)
}

// PublishTx hands the transaction, as given, to the engine and to a store
// that can write in it; the in-memory engine has none and queues nothing.
func TestPublishTxPassesTheTransaction(t *testing.T) {
	eng := &batchEngine{}
	store := &txStore{MemoryStore: webhook.NewMemoryStore(0, 0)}
	d, _ := newDispatcher(t, webhook.WithEngine(eng), webhook.WithInvocationStore(store), webhook.WithRecordFiltered(true))
	addHooks(t, d, 2)
	off := torqLike("http://127.0.0.1:1")
	off.Name, off.Active = "off", false
	_, err := d.Add(off)
	require.NoError(t, err)
	type fakeTx struct{ name string }
	tx := &fakeTx{"caller's"}
	pub, err := d.PublishTx(context.Background(), tx, mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Len(t, pub.Deliveries, 2)
	require.Equal(t, []engine.Tx{tx}, eng.txs)
	require.Equal(t, []engine.Tx{tx}, store.inTx, "the inactive webhook's record, in the transaction")

	_, err = d.PublishTx(context.Background(), nil, mock(t, accessrequest.Created))
	require.ErrorIs(t, err, engine.ErrTxUnsupported)

	mem, _ := newDispatcher(t)
	addHooks(t, mem, 1)
	pub, err = mem.PublishTx(context.Background(), tx, mock(t, accessrequest.Created))
	require.ErrorIs(t, err, engine.ErrTxUnsupported)
	require.NotContains(t, err.Error(), "memengine", "an internal package is no name users know")
	require.Empty(t, pub.Deliveries)
	dls, err := mem.DeadLetters(context.Background(), "", 0)
	require.NoError(t, err)
	require.Empty(t, dls, "refused, not queued: the caller publishes again")
}

// The queue metrics come from the engine's Stats, whatever the engine.
func TestQueueMetricsFromAnyEngine(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	eng := &batchEngine{stats: engine.Stats{Depth: 12, Oldest: time.Now().Add(-time.Minute)}}
	newDispatcher(t, webhook.WithEngine(eng), webhook.WithMeterProvider(mp))
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	got := map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch data := m.Data.(type) {
			case metricdata.Gauge[int64]:
				got[m.Name] = float64(data.DataPoints[0].Value)
			case metricdata.Gauge[float64]:
				got[m.Name] = data.DataPoints[0].Value
			}
		}
	}
	require.Equal(t, 12.0, got["outhook.queue.depth"])
	require.InDelta(t, 60, got["outhook.queue.oldest_age"], 5)
}

// A run the engine's ctx cuts short is Interrupted: it counts no attempt
// and leaves no dead letter, so a durable engine can keep the delivery.
func TestInterruptedRunCountsForNothing(t *testing.T) {
	started := make(chan struct{})
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 { // held until the attempt is cut
			close(started)
			<-r.Context().Done()
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	eng := &batchEngine{}
	d, invs := newDispatcher(t, webhook.WithEngine(eng))
	_, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	del := eng.batches[0][0]

	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	res := eng.runner.Run(ctx, del)
	require.Equal(t, engine.Interrupted, res.Outcome)
	require.Zero(t, del.Attempts, "the cut attempt counts for nothing")
	inv := <-invs
	require.Equal(t, webhook.Retrying, inv.Outcome)
	require.Contains(t, inv.Reason, "interrupted")
	dls, err := d.DeadLetters(context.Background(), "", 0)
	require.NoError(t, err)
	require.Empty(t, dls)

	// Run again later, it is delivered as attempt 1.
	require.Equal(t, engine.Result{}, eng.runner.Run(context.Background(), del))
	require.Equal(t, 1, del.Attempts)
	require.Equal(t, webhook.Delivered, (<-invs).Outcome)
	require.True(t, errors.Is(engine.ErrClosed, webhook.ErrClosed))
}

// badBatchEngine answers a batch with a BatchError of the wrong length.
type badBatchEngine struct{ batchEngine }

func (e *badBatchEngine) Enqueue(context.Context, engine.Tx, []*engine.Delivery) error {
	return &engine.BatchError{Errs: []error{engine.ErrQueueFull}}
}

// An engine's malformed BatchError leaves no dead letter (which deliveries
// it queued is unknown) and Publish reports the fault.
func TestMalformedBatchErrorKeepsNoDeadLetter(t *testing.T) {
	eng := &badBatchEngine{}
	d, _ := newDispatcher(t, webhook.WithEngine(eng))
	addHooks(t, d, 3)
	pub, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.ErrorContains(t, err, "BatchError has 1 errors for 3 deliveries")
	require.NotErrorIs(t, err, webhook.ErrQueueFull)
	require.Empty(t, pub.Deliveries)
	dls, err := d.DeadLetters(context.Background(), "", 0)
	require.NoError(t, err)
	require.Empty(t, dls)
}

// The store's index of delivery ids follows evictions, replacements and
// takes: a dead letter evicted is gone, one added again is found once.
func TestMemoryStoreDeadLetterIndex(t *testing.T) {
	ctx := context.Background()
	s := webhook.NewMemoryStore(0, 2)
	ev := mock(t, accessrequest.Created)
	// Each fails after the one before: the oldest is the one added first.
	failed := time.Unix(0, 0)
	add := func(id string) {
		failed = failed.Add(time.Second)
		require.NoError(t, s.AddDeadLetter(ctx, webhook.DeadLetter{DeliveryID: id, WebhookID: "w", Event: ev, FailedAt: failed}))
	}
	add("a")
	add("b")
	add("c") // evicts a
	_, err := s.TakeDeadLetter(ctx, "a")
	require.ErrorIs(t, err, webhook.ErrNotFound)
	add("b") // replaces b
	dls, err := s.DeadLetters(ctx, "w", 0)
	require.NoError(t, err)
	require.Len(t, dls, 2)
	dl, err := s.TakeDeadLetter(ctx, "b")
	require.NoError(t, err)
	require.Equal(t, "b", dl.DeliveryID)
	_, err = s.TakeDeadLetter(ctx, "b")
	require.ErrorIs(t, err, webhook.ErrNotFound, "taken once")
	add("a")
	add("d") // evicts c
	dls, err = s.DeadLetters(ctx, "", 0)
	require.NoError(t, err)
	require.Equal(t, []string{"d", "a"}, []string{dls[0].DeliveryID, dls[1].DeliveryID})
	_, err = s.TakeDeadLetter(ctx, "c")
	require.ErrorIs(t, err, webhook.ErrNotFound)
}
