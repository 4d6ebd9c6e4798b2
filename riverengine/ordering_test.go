package riverengine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// orderedSetup returns a pool, an engine on it and a Dispatcher with the
// webhook "ordered", ordered by data.key, posting to rc.
func orderedSetup(t *testing.T, rc *receiver) (*pgxpool.Pool, *webhook.Dispatcher) {
	t.Helper()
	pool, _, d := startOrdered(t, needPostgres(t), rc)
	return pool, d
}

// startOrdered starts an engine on the database at url and a Dispatcher
// on it with the webhook "ordered", ordered by data.key, posting to rc.
func startOrdered(t *testing.T, url string, rc *receiver) (*pgxpool.Pool, *riverengine.Engine, *webhook.Dispatcher) {
	t.Helper()
	pool, eng := newPostgresEngine(t, url, riverengine.WithPollInterval(50*time.Millisecond))
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	addOrdered(t, d, rc.URL)
	return pool, eng, d
}

// requireInOrder checks that the receiver got want, in that order, one at
// a time.
func requireInOrder(t *testing.T, rc *receiver, want ...string) {
	t.Helper()
	got := rc.answered()
	require.Len(t, got, len(want))
	for i, req := range got {
		require.Equal(t, want[i], req.eventID, "request %d", i)
		if i > 0 {
			require.False(t, req.start.Before(got[i-1].end), "%s overlapped %s", req.eventID, got[i-1].eventID)
		}
	}
}

// Two transactions, a batch job's say, that publish ordering keys A then
// B and B then A, interleaved, both commit: Outhook takes no lock in the
// caller's transaction, so it cannot deadlock it (SQLSTATE 40P01) nor make
// it wait.
func TestPublishTxInAnyKeyOrderNeverDeadlocks(t *testing.T) {
	rc := newReceiver(t, 10*time.Millisecond, nil)
	pool, d := orderedSetup(t, rc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var txs [2]pgx.Tx
	for i := range txs {
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		defer tx.Rollback(context.Background())
		txs[i] = tx
	}
	publish := func(tx pgx.Tx, n int, key string) error {
		_, err := d.PublishTx(ctx, tx, keyedEvent(t, n, key))
		return err
	}
	require.NoError(t, publish(txs[0], 1, "A"))
	require.NoError(t, publish(txs[1], 2, "B"))
	var wg sync.WaitGroup
	var errs [2]error
	wg.Go(func() { errs[0] = publish(txs[0], 3, "B") })
	wg.Go(func() { errs[1] = publish(txs[1], 4, "A") })
	wg.Wait()
	require.NoError(t, errs[0], "transaction 1 publishing B")
	require.NoError(t, errs[1], "transaction 2 publishing A")
	require.NoError(t, txs[0].Commit(ctx))
	require.NoError(t, txs[1].Commit(ctx))

	eventually(t, 10*time.Second, "every delivery", func() bool { n, _ := rc.pairs(); return n == 4 })
	byKey := map[string][]served{}
	for _, req := range rc.answered() {
		key := map[string]string{"e-1": "A", "e-4": "A", "e-2": "B", "e-3": "B"}[req.eventID]
		if prev := byKey[key]; len(prev) > 0 {
			require.False(t, req.start.Before(prev[len(prev)-1].end), "key %s: two in flight", key)
		}
		byKey[key] = append(byKey[key], req)
	}
	require.Len(t, byKey["A"], 2)
	require.Len(t, byKey["B"], 2)
}

// A delivery published in a transaction still open holds no later one of
// its key up: that one commits, and goes, first. The earlier one,
// committed while the later is in flight, waits for it rather than going
// alongside it for its lower job id: a key's deliveries go in the order
// their transactions commit.
func TestOrderingKeyFollowsCommitOrder(t *testing.T) {
	rc := newReceiver(t, 500*time.Millisecond, nil)
	pool, d := orderedSetup(t, rc)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	open, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer open.Rollback(context.Background())
	_, err = d.PublishTx(ctx, open, keyedEvent(t, 1, "K"))
	require.NoError(t, err)

	later, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer later.Rollback(context.Background())
	publishCtx, cancelPublish := context.WithTimeout(ctx, 3*time.Second)
	defer cancelPublish()
	_, err = d.PublishTx(publishCtx, later, keyedEvent(t, 2, "K"))
	require.NoError(t, err, "a publisher never waits for another's transaction")
	require.NoError(t, later.Commit(ctx))
	eventually(t, 10*time.Second, "the delivery committed first in flight", func() bool { return rc.peakInFlight() == 1 })

	require.NoError(t, open.Commit(ctx))
	eventually(t, 10*time.Second, "both deliveries", func() bool { n, _ := rc.pairs(); return n == 2 })
	requireInOrder(t, rc, "e-2", "e-1")
}

// An operator who has River run a completed ordered job again (River's
// UI "retry", to resend it) puts it at the back of its key's line: it
// waits for the key's delivery in flight rather than going alongside it.
func TestRetriedJobGoesToTheBackOfItsLine(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	rc := newReceiver(t, 700*time.Millisecond, nil)
	start := func() (*pgxpool.Pool, *riverengine.Engine, *webhook.Dispatcher) { return startOrdered(t, url, rc) }
	pool, _, d := start()
	publishCommitted(t, pool, d, keyedEvent(t, 1, "K"))
	eventually(t, 10*time.Second, "the first delivery", func() bool { n, _ := rc.pairs(); return n == 1 })
	// Closed, so that River has recorded all it will about the job.
	require.NoError(t, d.Close(ctx))
	var first int64
	require.NoError(t, pool.QueryRow(ctx, "SELECT id FROM river_job WHERE state = 'completed'").Scan(&first))

	pool, _, d = start()
	publishCommitted(t, pool, d, keyedEvent(t, 2, "K"))
	eventually(t, 5*time.Second, "the second delivery in flight", func() bool {
		_, total := rc.pairs()
		return rc.inFlightNow() == 1 && total == 1
	})
	ops, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	_, err = ops.JobRetry(ctx, first)
	require.NoError(t, err)
	eventually(t, 10*time.Second, "the resent delivery", func() bool { _, total := rc.pairs(); return total == 3 })
	requireInOrder(t, rc, "e-1", "e-2", "e-1")
}

// publishCommitted publishes ev in a transaction of its own.
func publishCommitted(t *testing.T, pool *pgxpool.Pool, d *webhook.Dispatcher, ev *event.Event) {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	_, err = d.PublishTx(ctx, tx, ev)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
}

// inFlightNow reports the requests the receiver holds.
func (r *receiver) inFlightNow() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inFlight
}

// A dead letter of an ordered webhook, redelivered, goes to the back of
// its key's line, as a delivery published then would: it waits for the
// key's delivery in flight.
func TestRedeliveredDeadLetterGoesToTheBackOfItsLine(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	rc := newReceiver(t, 500*time.Millisecond, func(_, eventID string, n int) int {
		if eventID == "e-1" && n == 1 {
			return 400 // not retried: a dead letter
		}
		return 200
	})
	_, _, d := startOrdered(t, url, rc)
	pub, err := d.Publish(ctx, keyedEvent(t, 1, "K"))
	require.NoError(t, err)
	eventually(t, 10*time.Second, "the dead letter", func() bool {
		dls, err := d.DeadLetters(ctx, "ordered", 0)
		require.NoError(t, err)
		return len(dls) == 1
	})
	_, err = d.Publish(ctx, keyedEvent(t, 2, "K"))
	require.NoError(t, err)
	eventually(t, 5*time.Second, "the second delivery in flight", func() bool { return rc.inFlightNow() == 1 })
	require.NoError(t, d.Redeliver(ctx, pub.Deliveries[0].DeliveryID))
	eventually(t, 10*time.Second, "the redelivery", func() bool { _, total := rc.pairs(); return total == 3 })
	requireInOrder(t, rc, "e-1", "e-2", "e-1")
}
