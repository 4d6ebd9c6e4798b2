package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// scriptedEngine is a third engine written against package engine only:
// its Enqueue refuses the deliveries to the webhooks refuse names, with
// the error given, and keeps the others.
type scriptedEngine struct {
	mu      sync.Mutex
	runner  engine.Runner
	refuse  map[string]error // by webhook name's id, set by the test
	plain   error            // when set, Enqueue fails the whole batch with it
	queued  []*engine.Delivery
	resized map[string][2]int
}

func (e *scriptedEngine) Start(r engine.Runner) error { e.runner = r; return nil }
func (e *scriptedEngine) Enqueue(_ context.Context, _ engine.Tx, batch []*engine.Delivery) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.plain != nil {
		return e.plain
	}
	errs := make([]error, len(batch))
	failed := false
	for i, d := range batch {
		if err := e.refuse[d.WebhookID]; err != nil {
			errs[i], failed = err, true
			continue
		}
		e.queued = append(e.queued, d)
	}
	if !failed {
		return nil
	}
	return &engine.BatchError{Errs: errs}
}
func (e *scriptedEngine) Stats(context.Context) (engine.Stats, error) { return engine.Stats{}, nil }
func (e *scriptedEngine) Close(context.Context) error                 { return nil }

// resizingEngine is a scriptedEngine that keeps a queue per webhook.
type resizingEngine struct{ *scriptedEngine }

func (e resizingEngine) Resize(webhookID string, queueSize, concurrency int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.resized == nil {
		e.resized = map[string][2]int{}
	}
	e.resized[webhookID] = [2]int{queueSize, concurrency}
}

// A batch the engine queues in part: the deliveries it refused for want
// of room, and only those, become dead letters named by the
// QueueFullError; one refused for another reason gets no dead letter and
// its error is returned too; the rest are queued and listed.
func TestThirdEnginePartialBatch(t *testing.T) {
	eng := &scriptedEngine{}
	d, _ := newDispatcher(t, webhook.WithEngine(eng))
	hooks := addHooks(t, d, 4)
	broken := errors.New("disk on fire")
	eng.refuse = map[string]error{
		hooks[1].ID: fmt.Errorf("%w: no room", engine.ErrQueueFull),
		hooks[2].ID: broken,
	}
	pub, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
	var qf *webhook.QueueFullError
	require.ErrorAs(t, err, &qf)
	require.Equal(t, []string{hooks[1].ID}, qf.WebhookIDs)
	require.NoError(t, qf.Err, "the engine did not wait")
	require.ErrorIs(t, err, broken)
	var listed []string
	for _, q := range pub.Deliveries {
		listed = append(listed, q.WebhookID)
	}
	require.Equal(t, []string{hooks[0].ID, hooks[3].ID}, listed)
	require.Len(t, eng.queued, 2)
	dls, err := d.DeadLetters(context.Background(), "", 0)
	require.NoError(t, err)
	require.Len(t, dls, 1)
	require.Equal(t, hooks[1].ID, dls[0].WebhookID)
	require.Contains(t, dls[0].Reason, "queue full")

	// The dead letter goes again once there is room, under its id.
	eng.refuse = nil
	require.NoError(t, d.Redeliver(context.Background(), dls[0].DeliveryID))
	require.Equal(t, dls[0].DeliveryID, eng.queued[2].ID)

	// A plain error: nothing queued, nothing dead-lettered.
	eng.plain = errors.New("connection refused")
	pub, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.ErrorIs(t, err, eng.plain)
	require.Empty(t, pub.Deliveries)
	dls, err = d.DeadLetters(context.Background(), "", 0)
	require.NoError(t, err)
	require.Empty(t, dls)
}

// An engine that keeps a queue per webhook is told of new settings when
// it is given with WithEngine, as the in-memory engine is.
func TestThirdEngineIsResized(t *testing.T) {
	eng := resizingEngine{&scriptedEngine{}}
	d, _ := newDispatcher(t, webhook.WithEngine(eng))
	w := addHooks(t, d, 1)[0]
	w.Delivery = &webhook.DeliverySettings{QueueSize: 9, Concurrency: 4}
	_, err := d.Update(w)
	require.NoError(t, err)
	eng.mu.Lock()
	defer eng.mu.Unlock()
	require.Equal(t, [2]int{9, 4}, eng.resized[w.ID])
}

// A delivery the engine gives up becomes a dead letter that Redeliver
// queues again under the same id; Held and Interrupted runs count no
// attempt and leave none.
func TestThirdEngineAbandonAndHeld(t *testing.T) {
	rc := newReceiver(t, func(int, http.ResponseWriter, *http.Request) {})
	eng := &scriptedEngine{}
	d, invs := newDispatcher(t, webhook.WithEngine(eng))
	_, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	pub, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Len(t, pub.Deliveries, 1)

	// A delivery to a webhook this Dispatcher has never had is held.
	stray := *eng.queued[0]
	stray.WebhookID, stray.RunnerState = "not-yet", nil
	res := eng.runner.Run(context.Background(), &stray)
	require.Equal(t, engine.Held, res.Outcome)
	require.Positive(t, res.Delay)
	require.Zero(t, stray.Attempts)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.Equal(t, engine.Interrupted, eng.runner.Run(ctx, eng.queued[0]).Outcome)
	require.Zero(t, eng.queued[0].Attempts)

	eng.runner.Abandon(eng.queued[0], errors.New("attempt limit"))
	dls, err := d.DeadLetters(context.Background(), "", 0)
	require.NoError(t, err)
	require.Len(t, dls, 1)
	require.Contains(t, dls[0].Reason, "attempt limit")
	require.Equal(t, webhook.Failed, waitFinal(t, invs, 1)[0].Outcome)
	require.NoError(t, d.Redeliver(context.Background(), pub.Deliveries[0].DeliveryID))
	require.Equal(t, pub.Deliveries[0].DeliveryID, eng.queued[1].ID)
	require.Equal(t, engine.Done, eng.runner.Run(context.Background(), eng.queued[1]).Outcome)
	require.Equal(t, 1, eng.queued[1].Attempts)
}

// The same event published twice to a webhook that fails for good gives
// one dead letter, under the delivery id both deliveries shared, as the
// SQL stores keep it, and Redeliver queues it once.
func TestRepublishedEventIsOneDeadLetter(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadRequest) })
	d, invs := newDispatcher(t)
	w := torqLike(rc.URL)
	w.Delivery = &webhook.DeliverySettings{Retry: &webhook.RetryPolicy{MaxAttempts: 1}}
	w.BodyTemplate = ""
	_, err := d.Add(w)
	require.NoError(t, err)
	e, err := event.New(accessrequest.Created, map[string]any{"id": "r1"}, event.WithID("evt-1"))
	require.NoError(t, err)
	first, err := d.Publish(context.Background(), e)
	require.NoError(t, err)
	again, err := d.Publish(context.Background(), e)
	require.NoError(t, err)
	require.Equal(t, first.Deliveries[0].DeliveryID, again.Deliveries[0].DeliveryID)
	waitFinal(t, invs, 2)
	dls, err := d.DeadLetters(context.Background(), "", 0)
	require.NoError(t, err)
	require.Len(t, dls, 1)
	require.NoError(t, d.Redeliver(context.Background(), dls[0].DeliveryID))
	waitFinal(t, invs, 1) // failed again
	dls, err = d.DeadLetters(context.Background(), "", 0)
	require.NoError(t, err)
	require.Len(t, dls, 1)
	require.Len(t, rc.got(), 3)
}

// deadlineStore is a MemoryStore that, as a database would, writes nothing
// once the ctx of the write has ended.
type deadlineStore struct{ *webhook.MemoryStore }

func (s deadlineStore) Record(ctx context.Context, inv webhook.Invocation) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.MemoryStore.Record(ctx, inv)
}

func (s deadlineStore) AddDeadLetter(ctx context.Context, dl webhook.DeadLetter) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.MemoryStore.AddDeadLetter(ctx, dl)
}

// A delivery refused for want of room after Publish's ctx ended (the
// publisher waited for room until then) keeps its dead letter and its
// record: both are written past ctx, within the store's grace.
func TestQueueFullAfterCtxKeepsRecord(t *testing.T) {
	eng := &scriptedEngine{}
	store := deadlineStore{webhook.NewMemoryStore(0, 0)}
	d, _ := newDispatcher(t, webhook.WithEngine(eng), webhook.WithInvocationStore(store))
	w := addHooks(t, d, 1)[0]
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	eng.refuse = map[string]error{w.ID: fmt.Errorf("%w: waited: %w", engine.ErrQueueFull, ctx.Err())}
	_, err := d.Publish(ctx, mock(t, accessrequest.Created))
	var qf *webhook.QueueFullError
	require.ErrorAs(t, err, &qf)
	require.ErrorIs(t, qf.Err, context.Canceled)
	dls, err := d.DeadLetters(context.Background(), "", 0)
	require.NoError(t, err)
	require.Len(t, dls, 1)
	invs, err := d.Invocations(context.Background(), w.ID, 0)
	require.NoError(t, err)
	require.Len(t, invs, 1, "the queue-full record")
	require.Equal(t, webhook.Failed, invs[0].Outcome)
}

// failingTxStore refuses every write in a transaction.
type failingTxStore struct{ *webhook.MemoryStore }

var errTxBroken = errors.New("transaction aborted")

func (failingTxStore) RecordTx(context.Context, engine.Tx, webhook.Invocation) error {
	return errTxBroken
}

func (failingTxStore) TakeDeadLetterTx(context.Context, engine.Tx, string) (webhook.DeadLetter, error) {
	return webhook.DeadLetter{}, errTxBroken
}

// A record PublishTx cannot write in the caller's transaction fails it,
// naming the store's error, and queues nothing, even when the event went
// to no webhook: the caller must not commit a transaction the database
// may have aborted, thinking all went well.
func TestPublishTxRecordFailureFailsIt(t *testing.T) {
	eng := &scriptedEngine{}
	d, _ := newDispatcher(t, webhook.WithEngine(eng), webhook.WithInvocationStore(failingTxStore{webhook.NewMemoryStore(0, 0)}), webhook.WithRecordFiltered(true))
	off := torqLike("http://127.0.0.1:1")
	off.Name, off.Active = "off", false
	_, err := d.Add(off)
	require.NoError(t, err)
	type fakeTx struct{}
	_, err = d.PublishTx(context.Background(), &fakeTx{}, mock(t, accessrequest.Created))
	require.ErrorIs(t, err, errTxBroken)

	addHooks(t, d, 2)
	pub, err := d.PublishTx(context.Background(), &fakeTx{}, mock(t, accessrequest.Created))
	require.ErrorIs(t, err, errTxBroken)
	require.Empty(t, pub.Deliveries)
	require.Empty(t, eng.queued)
}
