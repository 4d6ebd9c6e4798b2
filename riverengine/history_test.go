package riverengine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// depth is how many deliveries the engines on the database hold.
func depth(t *testing.T, in *instance) int {
	t.Helper()
	st, err := in.eng.Stats(context.Background())
	require.NoError(t, err)
	return st.Depth
}

// TestTenantEraseDeletesQueuedJobs erases a tenant's queued deliveries,
// by event id and by webhook: their River jobs go, another tenant's stay,
// and the erasures are recorded in the database.
func TestTenantEraseDeletesQueuedJobs(t *testing.T) {
	eachSharedDatabase(t, func(t *testing.T, db sharedDatabase) {
		ctx := context.Background()
		// Publish-only: the jobs stay queued.
		a := startInstance(t, db, testKeyring(t), "a", instanceConfig{engine: []riverengine.Option{riverengine.WithPublishOnly()}})
		acme, globex := a.d.Tenant("acme"), a.d.Tenant("globex")
		for _, tn := range []*webhook.Tenant{acme, globex} {
			for _, id := range []string{"h", "g"} {
				_, err := tn.Create(ctx, hook(id, "http://127.0.0.1:1"), "alice")
				require.NoError(t, err)
			}
			for i := range 5 {
				_, err := tn.Publish(ctx, newEvent(t, i))
				require.NoError(t, err)
			}
		}
		require.Equal(t, 20, depth(t, a))

		er, err := acme.Erase(ctx, webhook.EraseSelector{EventID: "e-2"}, "dpo")
		require.NoError(t, err)
		require.Equal(t, int64(2), er.Deliveries, "both webhooks' deliveries of the event")
		er2, err := acme.Erase(ctx, webhook.EraseSelector{WebhookID: "h"}, "dpo")
		require.NoError(t, err)
		require.Equal(t, int64(4), er2.Deliveries)
		require.Equal(t, 20-6, depth(t, a), "globex's ten and acme's g's four stay")

		list, err := acme.Erasures(ctx, 0)
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, []string{er2.ID, er.ID}, []string{list[0].ID, list[1].ID})
		require.Equal(t, "dpo", list[0].Actor)
		require.Equal(t, webhook.EraseSelector{WebhookID: "h"}, list[0].EraseSelector)
		require.Equal(t, int64(4), list[0].Deliveries)
		list, err = globex.Erasures(ctx, 0)
		require.NoError(t, err)
		require.Empty(t, list)

		er3, err := globex.Erase(ctx, webhook.EraseSelector{All: true}, "dpo")
		require.NoError(t, err)
		require.Equal(t, int64(10), er3.Deliveries)
		require.Equal(t, 4, depth(t, a))
	})
}

// TestRedeliverDeadLettersRace has two instances redeliver the same
// range of dead letters at once: each is taken and queued once.
func TestRedeliverDeadLettersRace(t *testing.T) {
	eachSharedDatabase(t, func(t *testing.T, db sharedDatabase) {
		ctx := context.Background()
		ring := testKeyring(t)
		only := instanceConfig{engine: []riverengine.Option{riverengine.WithPublishOnly()}}
		a := startInstance(t, db, ring, "a", only)
		b := startInstance(t, db, ring, "b", only)
		_, err := a.d.Tenant("acme").Create(ctx, hook("h", "http://127.0.0.1:1"), "alice")
		require.NoError(t, err)
		eventually(t, 10*time.Second, "b loads the webhook", func() bool {
			_, err := b.d.Tenant("acme").Get(ctx, "h")
			return err == nil
		})
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range 250 {
			for _, tn := range []string{"acme", "globex"} {
				require.NoError(t, a.eng.Store().AddDeadLetter(ctx, webhook.DeadLetter{
					DeliveryID: fmt.Sprintf("%s-%d", tn, i), Tenant: tn, WebhookID: "h", Event: newEvent(t, i),
					Outcome: webhook.Failed, FailedAt: base.Add(time.Duration(i) * time.Second),
				}))
			}
		}
		var mu sync.Mutex
		total := 0
		var wg sync.WaitGroup
		for _, in := range []*instance{a, b} {
			wg.Go(func() {
				r, err := in.d.Tenant("acme").RedeliverDeadLetters(ctx, "h", base.Add(50*time.Second), base.Add(200*time.Second))
				require.NoError(t, err)
				require.Empty(t, r.Failed)
				mu.Lock()
				total += r.Redelivered
				mu.Unlock()
			})
		}
		wg.Wait()
		require.Equal(t, 150, total)
		require.Equal(t, 150, depth(t, a), "each dead letter queued once")
		left, err := a.d.Tenant("acme").DeadLetters(ctx, webhook.DeadLetterQuery{WebhookID: "h", Limit: webhook.MaxPageLimit})
		require.NoError(t, err)
		require.Len(t, left.DeadLetters, 100)
		other, err := a.d.Tenant("globex").DeadLetters(ctx, webhook.DeadLetterQuery{Limit: webhook.MaxPageLimit})
		require.NoError(t, err)
		require.Len(t, other.DeadLetters, 250, "another tenant's are left")

		var discarded [2]int
		for i, in := range []*instance{a, b} {
			wg.Go(func() {
				n, err := in.d.Tenant("acme").DiscardDeadLetters(ctx, "h", time.Time{}, base.Add(50*time.Second))
				require.NoError(t, err)
				discarded[i] = n
			})
		}
		wg.Wait()
		require.Equal(t, 50, discarded[0]+discarded[1])
		left, err = a.d.Tenant("acme").DeadLetters(ctx, webhook.DeadLetterQuery{WebhookID: "h", Limit: webhook.MaxPageLimit})
		require.NoError(t, err)
		require.Len(t, left.DeadLetters, 50)
	})
}

// TestEngineRetentionRunsUntilClose has a working engine enforce its
// retention in the background, by its clock, and stop at Close.
func TestEngineRetentionRunsUntilClose(t *testing.T) {
	eachSharedDatabase(t, func(t *testing.T, db sharedDatabase) {
		ctx := context.Background()
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		eng := db.engine(t, riverengine.WithRetention(webhook.Retention{
			RecordAge: time.Hour, DeadLetterAge: time.Hour, Interval: 5 * time.Millisecond,
			Now: func() time.Time { return base.Add(24 * time.Hour) },
		}))
		d, err := webhook.New(dispatcherOptions(eng)...)
		require.NoError(t, err)
		s := eng.Store()
		for i := range 3 {
			at := base.Add(time.Duration(i) * 12 * time.Hour) // the last is not an hour old
			id := fmt.Sprint("r", i)
			require.NoError(t, s.Record(ctx, webhook.Invocation{ID: id, DeliveryID: id, WebhookID: "h", Outcome: webhook.Failed, StartedAt: at}))
			require.NoError(t, s.AddDeadLetter(ctx, webhook.DeadLetter{DeliveryID: id, WebhookID: "h", Event: newEvent(t, i), Outcome: webhook.Failed, FailedAt: at}))
		}
		eventually(t, 10*time.Second, "the old records pruned", func() bool {
			invs, err := s.Invocations(ctx, "h", 0)
			require.NoError(t, err)
			dls, err := s.DeadLetters(ctx, "h", 0)
			require.NoError(t, err)
			return len(invs) == 1 && len(dls) == 1
		})
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		require.NoError(t, d.Close(cctx))
		require.NoError(t, s.Record(ctx, webhook.Invocation{ID: "old", DeliveryID: "old", WebhookID: "h", Outcome: webhook.Failed, StartedAt: base}))
		invs, err := s.Invocations(ctx, "h", 0)
		require.NoError(t, err)
		require.Len(t, invs, 2, "nothing pruned after Close")
	})
}
