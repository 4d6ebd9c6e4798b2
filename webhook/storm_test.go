package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/webhook"
)

// outcomes counts, per delivery id, the final invocations the hook saw.
type outcomes struct {
	mu    sync.Mutex
	final map[string][]webhook.Outcome
}

func (o *outcomes) hook(inv webhook.Invocation) {
	if !inv.Outcome.Final() || inv.DeliveryID == "" {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.final[inv.DeliveryID] = append(o.final[inv.DeliveryID], inv.Outcome)
}

// Many publishers, Update and Remove storms and a Close mid-way: no
// deadlock, no goroutine left, and every delivery Publish made ends as
// exactly one of delivered, dead letter or skipped.
func TestStormEveryDeliveryEndsOnce(t *testing.T) {
	for name, policy := range map[string]webhook.QueuePolicy{"QueueReject": webhook.QueueReject, "QueueBlock": webhook.QueueBlock} {
		t.Run(name, func(t *testing.T) { storm(t, policy) })
	}
}

func storm(t *testing.T, policy webhook.QueuePolicy) {
	leakcheck.Check(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch n % 4 {
		case 0:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 1:
			select { // slow
			case <-time.After(time.Duration(n%7) * time.Millisecond):
			case <-r.Context().Done():
			}
		}
	})
	out := &outcomes{final: map[string][]webhook.Outcome{}}
	store := webhook.NewMemoryStore(0, 1<<20)
	d, err := webhook.New(
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithRetryPolicy(fastRetries),
		webhook.WithInvocationStore(store),
		webhook.WithQueue(4, policy),
		webhook.WithInvocationHook(out.hook),
	)
	require.NoError(t, err)

	var hooks []webhook.Webhook
	for i := range 4 {
		w := torqLike(rc.URL)
		w.Name = fmt.Sprint("w", i)
		w.Delivery = &webhook.DeliverySettings{QueueSize: 1 + i, Concurrency: 1}
		if i%2 == 0 {
			w.Delivery.OrderingKey = "data.id"
		}
		added, err := d.Add(w)
		require.NoError(t, err)
		hooks = append(hooks, added)
	}

	var mu sync.Mutex
	queued := map[string]bool{}
	fullCopies := 0
	var publishers sync.WaitGroup
	for p := range 8 {
		publishers.Add(1)
		go func() {
			defer publishers.Done()
			for i := 0; ; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(p%3)*5*time.Millisecond)
				if p%4 == 0 {
					ctx, cancel = context.WithCancel(context.Background()) // waits until Close
				}
				pub, err := d.Publish(ctx, mock(t, accessrequest.Created))
				cancel()
				mu.Lock()
				for _, q := range pub.Deliveries {
					require.False(t, queued[q.DeliveryID])
					queued[q.DeliveryID] = true
				}
				var qf *webhook.QueueFullError
				if errors.As(err, &qf) {
					fullCopies += len(qf.WebhookIDs)
				}
				mu.Unlock()
				var lost *webhook.DeadLetterError
				require.False(t, errors.As(err, &lost), "%v", err)
				if errors.Is(err, webhook.ErrClosed) {
					return
				}
				if err != nil && !errors.Is(err, webhook.ErrQueueFull) {
					t.Errorf("Publish: %v", err)
					return
				}
				time.Sleep(100 * time.Microsecond) // room for the workers
			}
		}()
	}
	stop := make(chan struct{})
	var stormers sync.WaitGroup
	stormers.Add(2)
	go func() { // Update storm
		defer stormers.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			w := hooks[i%len(hooks)]
			w.Delivery = &webhook.DeliverySettings{QueueSize: 1 + rand.IntN(4), Concurrency: 1 + rand.IntN(3), OrderingKey: w.Delivery.OrderingKey}
			if _, err := d.Update(w); err != nil && !errors.Is(err, webhook.ErrClosed) && !errors.Is(err, webhook.ErrNotFound) {
				t.Errorf("Update: %v", err)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	go func() { // Remove and add back
		defer stormers.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			w := hooks[3]
			if err := d.Remove(w.ID); err != nil {
				t.Errorf("Remove: %v", err)
				return
			}
			time.Sleep(2 * time.Millisecond)
			if _, err := d.Add(w); err != nil {
				if !errors.Is(err, webhook.ErrClosed) {
					t.Errorf("Add: %v", err)
				}
				return
			}
			time.Sleep(3 * time.Millisecond)
		}
	}()

	time.Sleep(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	closed := make(chan error, 1)
	go func() { closed <- d.Close(ctx) }()
	select {
	case err := <-closed:
		if err != nil {
			require.ErrorIs(t, err, context.DeadlineExceeded)
			var lost *webhook.DeadLetterError
			require.False(t, errors.As(err, &lost), "%v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close deadlocked")
	}
	close(stop)
	stormers.Wait()
	publishers.Wait()

	dead, err := store.DeadLetters(context.Background(), "", 0)
	require.NoError(t, err)
	deadByID := map[string]int{}
	for _, dl := range dead {
		deadByID[dl.DeliveryID]++
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	counts := map[webhook.Outcome]int{}
	for id := range queued {
		ends := out.final[id]
		require.Len(t, ends, 1, "delivery %s ended %v", id, ends)
		counts[ends[0]]++
		switch ends[0] {
		case webhook.Delivered, webhook.Skipped:
			require.Zero(t, deadByID[id], "delivery %s is %s and a dead letter", id, ends[0])
		default:
			require.Equal(t, 1, deadByID[id], "delivery %s failed: one dead letter", id)
		}
	}
	unqueued := 0
	for id, ends := range out.final {
		if queued[id] {
			continue
		}
		unqueued++
		require.Equal(t, []webhook.Outcome{webhook.Failed}, ends, "delivery %s was not queued", id)
		require.Equal(t, 1, deadByID[id], "delivery %s was not queued: one dead letter", id)
	}
	require.Equal(t, fullCopies, unqueued, "each copy Publish named in a QueueFullError is a dead letter")
	t.Logf("queued %d %v, full %d, dead letters %d", len(queued), counts, fullCopies, len(dead))
}
