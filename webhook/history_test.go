package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/internal/testkit/storetest"
	"github.com/outhook/outhook/webhook"
)

// eventWithID is an event of type created carrying id.
func eventWithID(t *testing.T, id string) *event.Event {
	t.Helper()
	e, err := event.New(accessrequest.Created, map[string]any{"id": id}, event.WithID(id))
	require.NoError(t, err)
	return e
}

// fill keeps n records and n dead letters for each of tenants x hooks, at
// base + i seconds, the i-th carrying event id "e<i>".
func fill(t *testing.T, s webhook.InvocationStore, tenants, hooks []string, n int, base time.Time) {
	t.Helper()
	ctx := context.Background()
	for _, tn := range tenants {
		for _, h := range hooks {
			for i := range n {
				at := base.Add(time.Duration(i) * time.Second)
				id := fmt.Sprintf("%s/%s/%d", tn, h, i)
				require.NoError(t, s.Record(ctx, webhook.Invocation{
					ID: id, Tenant: tn, DeliveryID: id, WebhookID: h, EventID: fmt.Sprint("e", i),
					Outcome: webhook.Failed, StartedAt: at,
				}))
				require.NoError(t, s.AddDeadLetter(ctx, webhook.DeadLetter{
					DeliveryID: id, Tenant: tn, WebhookID: h, Event: eventWithID(t, fmt.Sprint("e", i)),
					Outcome: webhook.Failed, FailedAt: at,
				}))
			}
		}
	}
}

// counts returns how many records and dead letters tenant's webhook has.
func counts(t *testing.T, s webhook.QueryStore, tenant, hook string) (records, dead int) {
	t.Helper()
	ctx := context.Background()
	for q := (webhook.InvocationQuery{WebhookID: hook, Limit: webhook.MaxPageLimit}); ; {
		p, err := s.QueryInvocations(ctx, tenant, q)
		require.NoError(t, err)
		records += len(p.Invocations)
		if q.Cursor = p.Next; p.Next == "" {
			break
		}
	}
	for q := (webhook.DeadLetterQuery{WebhookID: hook, Limit: webhook.MaxPageLimit}); ; {
		p, err := s.QueryDeadLetters(ctx, tenant, q)
		require.NoError(t, err)
		dead += len(p.DeadLetters)
		if q.Cursor = p.Next; p.Next == "" {
			break
		}
	}
	return records, dead
}

func TestMemoryStoreHistory(t *testing.T) {
	storetest.RunHistory(t, func(t *testing.T, r webhook.Retention) storetest.HistoryStore {
		s := webhook.NewMemoryStore(1<<20, 1<<20, webhook.WithRetention(r))
		t.Cleanup(func() { require.NoError(t, s.Close(context.Background())) })
		return storetest.HistoryStore{Store: s, Enforce: func() webhook.Pruned {
			p, err := s.Enforce(context.Background(), r)
			require.NoError(t, err)
			return p
		}}
	})
}

func TestMemoryStoreRetention(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var now atomic.Pointer[time.Time]
	now.Store(&base)
	clock := func() time.Time { return *now.Load() }

	t.Run("by count, the store's bound unchanged", func(t *testing.T) {
		s := webhook.NewMemoryStore(8, 6, webhook.WithRetention(webhook.Retention{
			RecordsPerWebhook: 5, DeadLettersPerWebhook: 3, Interval: time.Hour, Now: clock,
		}))
		t.Cleanup(func() { require.NoError(t, s.Close(context.Background())) })
		fill(t, s, []string{"a"}, []string{"h", "i"}, 10, base)
		r, d := counts(t, s, "a", "h")
		require.Equal(t, [2]int{8, 6}, [2]int{r, d}, "the bounds apply as before")
		require.Equal(t, int64(2*4), s.EvictedDeadLetters())
		p, err := s.Enforce(context.Background(), webhook.Retention{RecordsPerWebhook: 5, DeadLettersPerWebhook: 3})
		require.NoError(t, err)
		require.Equal(t, webhook.Pruned{Invocations: 2 * 3, DeadLetters: 2 * 3}, p)
		for _, h := range []string{"h", "i"} {
			r, d := counts(t, s, "a", h)
			require.Equal(t, [2]int{5, 3}, [2]int{r, d})
		}
		dead, err := s.QueryDeadLetters(context.Background(), "a", webhook.DeadLetterQuery{WebhookID: "h"})
		require.NoError(t, err)
		require.Equal(t, "a/h/9", dead.DeadLetters[0].DeliveryID, "the latest are kept")
		require.Equal(t, "a/h/7", dead.DeadLetters[2].DeliveryID)
	})

	t.Run("in the background, until Close", func(t *testing.T) {
		leakcheck.Check(t)
		s := webhook.NewMemoryStore(0, 0, webhook.WithRetention(webhook.Retention{
			RecordAge: time.Second, Interval: time.Millisecond, Now: clock,
		}))
		later := base.Add(time.Hour)
		now.Store(&later)
		t.Cleanup(func() { now.Store(&base) })
		fill(t, s, []string{"a"}, []string{"h"}, 3, base)
		require.Eventually(t, func() bool {
			r, _ := counts(t, s, "a", "h")
			return r == 0
		}, 5*time.Second, time.Millisecond)
		require.NoError(t, s.Close(context.Background()))
		require.NoError(t, s.Close(context.Background()), "twice")
		fill(t, s, []string{"a"}, []string{"h"}, 3, base)
		r, _ := counts(t, s, "a", "h")
		require.Equal(t, 3, r, "nothing pruned after Close; the store still serves")
	})
}

// Erase drops the tenant's queued deliveries, not another tenant's nor the
// one being attempted, erases its history and records the erasure.
func TestTenantEraseDropsQueuedDeliveries(t *testing.T) {
	stalled, release := stalledReceiver(t)
	release = sync.OnceFunc(release)
	store := webhook.NewMemoryStore(0, 0)
	d, invs := newDispatcher(t, webhook.WithInvocationStore(store))
	t.Cleanup(release)
	ctx := context.Background()
	settings := &webhook.DeliverySettings{QueueSize: 100, Concurrency: 1}
	var hooks []webhook.Webhook
	for _, tn := range []string{"acme", "other"} {
		w := tenantHook(stalled, "h", accessrequest.Created)
		w.Delivery = settings
		w, err := d.Tenant(tn).Create(ctx, w, "alice")
		require.NoError(t, err)
		hooks = append(hooks, w)
		for i := range 5 {
			_, err := d.Tenant(tn).Publish(ctx, eventWithID(t, fmt.Sprint("e", i)))
			require.NoError(t, err)
		}
	}
	// One delivery of each tenant is being attempted, the others queued.
	require.Eventually(t, func() bool { return len(stalled.got()) == 2 }, 5*time.Second, time.Millisecond)

	er, err := d.Tenant("acme").Erase(ctx, webhook.EraseSelector{EventID: "e3"}, "dpo")
	require.NoError(t, err)
	require.Equal(t, int64(1), er.Deliveries)
	require.Equal(t, "acme", er.Tenant)
	require.Equal(t, "dpo", er.Actor)
	er2, err := d.Tenant("acme").Erase(ctx, webhook.EraseSelector{WebhookID: hooks[0].ID}, "dpo")
	require.NoError(t, err)
	require.Equal(t, int64(3), er2.Deliveries, "the attempted one is left to end")

	release()
	got := waitFinal(t, invs, 1+5)
	perTenant := map[string]int{}
	for _, inv := range got {
		perTenant[inv.Tenant]++
	}
	require.Equal(t, map[string]int{"acme": 1, "other": 5}, perTenant)
	select {
	case inv := <-invs:
		if inv.Outcome.Final() {
			t.Fatalf("an erased delivery ran: %+v", inv)
		}
	case <-time.After(50 * time.Millisecond):
	}
	list, err := d.Tenant("acme").Erasures(ctx, 0)
	require.NoError(t, err)
	require.Equal(t, []webhook.Erasure{er2, er}, list)
	list, err = d.Tenant("other").Erasures(ctx, 0)
	require.NoError(t, err)
	require.Empty(t, list)
}

// Two instances sharing a store redeliver the same dead letters at once:
// each is redelivered once.
func TestTenantRedeliverDeadLettersRace(t *testing.T) {
	rc := newReceiver(t, nil)
	store := webhook.NewMemoryStore(0, 0)
	defs := defstore.NewMemory()
	ctx := context.Background()
	var ds []*webhook.Dispatcher
	for range 2 {
		d, _ := newDispatcher(t, webhook.WithInvocationStore(store), webhook.WithDefinitionStore(defs))
		ds = append(ds, d)
	}
	w, err := ds[0].Tenant("acme").Create(ctx, tenantHook(rc, "h", accessrequest.Created), "alice")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := ds[1].Tenant("acme").Get(ctx, w.ID)
		return err == nil && published(t, ds[1], "acme") == 1
	}, 5*time.Second, time.Millisecond)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 250 {
		for _, tn := range []string{"acme", "other"} {
			require.NoError(t, store.AddDeadLetter(ctx, webhook.DeadLetter{
				DeliveryID: fmt.Sprintf("%s-%d", tn, i), Tenant: tn, WebhookID: w.ID,
				Event: eventWithID(t, fmt.Sprint("e", i)), Outcome: webhook.Failed, FailedAt: base.Add(time.Duration(i) * time.Second),
			}))
		}
	}
	// The one delivery published above arrives before the count starts.
	require.Eventually(t, func() bool { return len(rc.got()) == 1 }, 5*time.Second, time.Millisecond)
	before := len(rc.got())
	var total atomic.Int64
	var wg sync.WaitGroup
	for _, d := range ds {
		wg.Go(func() {
			r, err := d.Tenant("acme").RedeliverDeadLetters(ctx, w.ID, base.Add(50*time.Second), base.Add(200*time.Second))
			require.NoError(t, err)
			require.Empty(t, r.Failed)
			total.Add(int64(r.Redelivered))
		})
	}
	wg.Wait()
	require.Equal(t, int64(150), total.Load())
	require.Eventually(t, func() bool { return len(rc.got()) == before+150 }, 30*time.Second, 5*time.Millisecond)
	seen := map[string]int{}
	for _, r := range rc.got()[before:] {
		seen[r.header.Get("webhook-id")]++
	}
	require.Len(t, seen, 150, "each redelivered once")
	_, dead := counts(t, store, "acme", w.ID)
	require.Equal(t, 100, dead)
	_, dead = counts(t, store, "other", w.ID)
	require.Equal(t, 250, dead, "another tenant's are left")

	n, err := ds[1].Tenant("acme").DiscardDeadLetters(ctx, w.ID, time.Time{}, base.Add(50*time.Second))
	require.NoError(t, err)
	require.Equal(t, 50, n)
	_, dead = counts(t, store, "acme", w.ID)
	require.Equal(t, 50, dead)
}

// An erasure must say what it picks: a zero selector, as an empty request
// body decodes to, erases nothing; All erases the whole tenant, and not
// together with a narrower field.
func TestTenantEraseNeedsASelector(t *testing.T) {
	store := webhook.NewMemoryStore(0, 0)
	d, _ := newDispatcher(t, webhook.WithInvocationStore(store))
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fill(t, store, []string{"acme"}, []string{"h"}, 3, base)

	_, err := d.Tenant("acme").Erase(ctx, webhook.EraseSelector{}, "dpo")
	var se *webhook.EraseSelectorError
	require.ErrorAs(t, err, &se)
	require.Equal(t, "all", se.Field)
	_, err = d.Tenant("acme").Erase(ctx, webhook.EraseSelector{All: true, WebhookID: "h"}, "dpo")
	require.ErrorAs(t, err, &se)
	require.Equal(t, "webhook_id", se.Field)
	r, _ := counts(t, store, "acme", "h")
	require.Equal(t, 3, r, "nothing erased")

	er, err := d.Tenant("acme").Erase(ctx, webhook.EraseSelector{All: true}, "dpo")
	require.NoError(t, err)
	require.Equal(t, int64(3), er.Invocations)
	list, err := d.Tenant("acme").Erasures(ctx, 0)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.True(t, list[0].All, "the record says the whole tenant was picked")
}

// redeliveringStore redelivers a dead letter just before its first
// erasure, as another instance may between Erase's queue and store steps.
type redeliveringStore struct {
	*webhook.MemoryStore
	before func()
}

func (s *redeliveringStore) Erase(ctx context.Context, er webhook.Erasure) (webhook.Erasure, error) {
	if f := s.before; f != nil {
		s.before = nil
		f()
	}
	return s.MemoryStore.Erase(ctx, er)
}

func TestTenantEraseCatchesADeadLetterRedeliveredMeanwhile(t *testing.T) {
	// The first delivery's request is answered at the end only: with a
	// concurrency of one, the redelivery stays queued behind it, where
	// no worker holds it while Erase reads the queue. (Held by a rate
	// limit instead, it would pass through a worker each time it is
	// tried, and a read of the queue at that moment would miss it.)
	answer := make(chan struct{})
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-answer:
		case <-r.Context().Done():
		}
	})
	store := &redeliveringStore{MemoryStore: webhook.NewMemoryStore(0, 0)}
	d, _ := newDispatcher(t, webhook.WithInvocationStore(store))
	t.Cleanup(func() { close(answer) }) // before the Dispatcher's Close
	ctx := context.Background()
	w := tenantHook(rc, "held", accessrequest.Created)
	w.Delivery = &webhook.DeliverySettings{Concurrency: 1}
	w, err := d.Tenant("acme").Create(ctx, w, "alice")
	require.NoError(t, err)
	_, err = d.Tenant("acme").Publish(ctx, eventWithID(t, "first"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(rc.got()) == 1 }, 10*time.Second, time.Millisecond)
	require.NoError(t, store.AddDeadLetter(ctx, webhook.DeadLetter{
		DeliveryID: "dl-1", Tenant: "acme", WebhookID: w.ID, Event: eventWithID(t, "second"),
		Outcome: webhook.Failed, FailedAt: time.Now(),
	}))
	store.before = func() { require.NoError(t, d.Tenant("acme").Redeliver(ctx, "dl-1")) }

	er, err := d.Tenant("acme").Erase(ctx, webhook.EraseSelector{All: true}, "dpo")
	require.NoError(t, err)
	require.Equal(t, int64(1), er.Deliveries, "the redelivered dead letter was erased from the queue")
	list, err := d.Tenant("acme").Erasures(ctx, 0)
	require.NoError(t, err)
	require.Len(t, list, 2, "the second pass is recorded")
	require.Equal(t, int64(1), list[0].Deliveries)
}
