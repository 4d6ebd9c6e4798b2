package riverengine_test

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// TestTenantRecordsAreTheTenants runs Tenant's queries, Redeliver and
// Recover on the durable engine's Store, for two tenants whose webhooks
// have one id: each tenant's records and dead letters list its own only,
// a cursor of one tenant's query is refused for the other's, a tenant
// cannot redeliver or recover another's dead letter (nor its webhook),
// and recovering one tenant's webhook leaves the other's dead letters
// where they are. Instance A queries, redelivers and recovers; instance
// B runs every job.
func TestTenantRecordsAreTheTenants(t *testing.T) {
	eachSharedDatabase(t, func(t *testing.T, db sharedDatabase) {
		ctx := context.Background()
		ring := testKeyring(t)
		var failing atomic.Bool
		failing.Store(true)
		rcv := newBodyReceiver(t, func(w http.ResponseWriter) {
			if failing.Load() {
				w.WriteHeader(http.StatusInternalServerError)
			}
		})
		a := startInstance(t, db, ring, "a", instanceConfig{engine: []riverengine.Option{riverengine.WithPublishOnly()}})
		ended := make(chan webhook.Invocation, 100)
		startInstance(t, db, ring, "b", instanceConfig{
			engine: []riverengine.Option{riverengine.WithPollInterval(50 * time.Millisecond)},
			dispatch: []webhook.Option{
				webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}),
				webhook.WithBreaker(webhook.BreakerSettings{Threshold: -1}),
				webhook.WithInvocationHook(func(inv webhook.Invocation) { ended <- inv }),
			},
		})
		// waitEnded waits for n deliveries to end, and returns them by
		// delivery id.
		waitEnded := func(n int, want webhook.Outcome) map[string]webhook.Invocation {
			t.Helper()
			out := map[string]webhook.Invocation{}
			for len(out) < n {
				select {
				case inv := <-ended:
					require.Equal(t, want, inv.Outcome, inv.Reason)
					out[inv.DeliveryID] = inv
				case <-time.After(10 * time.Second):
					t.Fatalf("%d of %d deliveries ended", len(out), n)
				}
			}
			return out
		}

		acme, globex, initech := a.d.Tenant("acme"), a.d.Tenant("globex"), a.d.Tenant("initech")
		for _, tn := range []*webhook.Tenant{acme, globex} {
			_, err := tn.Create(ctx, hook("h", rcv.URL+"/"+tn.ID()), "alice")
			require.NoError(t, err)
		}
		for i := range 5 {
			tn := acme
			if i >= 3 {
				tn = globex
			}
			_, err := tn.Publish(ctx, newEvent(t, i))
			require.NoError(t, err)
		}
		failed := waitEnded(5, webhook.Failed)

		// Each tenant's records, a page of two at a time.
		all := func(tn *webhook.Tenant, q webhook.InvocationQuery) []webhook.Invocation {
			t.Helper()
			var out []webhook.Invocation
			for {
				page, err := tn.Invocations(ctx, q)
				require.NoError(t, err)
				out = append(out, page.Invocations...)
				if q.Cursor = page.Next; q.Cursor == "" {
					return out
				}
			}
		}
		deadLetters := func(tn *webhook.Tenant) []webhook.DeadLetter {
			t.Helper()
			var out []webhook.DeadLetter
			for q := (webhook.DeadLetterQuery{Limit: 2}); ; {
				page, err := tn.DeadLetters(ctx, q)
				require.NoError(t, err)
				out = append(out, page.DeadLetters...)
				if q.Cursor = page.Next; q.Cursor == "" {
					return out
				}
			}
		}
		ids := func(invs []webhook.Invocation) []string {
			var out []string
			for _, inv := range invs {
				out = append(out, inv.DeliveryID)
			}
			slices.Sort(out)
			return out
		}
		byTenant := map[string][]string{}
		for id, inv := range failed {
			byTenant[inv.Tenant] = append(byTenant[inv.Tenant], id)
		}
		for _, ids := range byTenant {
			slices.Sort(ids)
		}
		require.Len(t, byTenant["acme"], 3)
		require.Len(t, byTenant["globex"], 2)
		for _, tn := range []*webhook.Tenant{acme, globex} {
			got := all(tn, webhook.InvocationQuery{Limit: 2})
			require.Equal(t, byTenant[tn.ID()], ids(got), "tenant %s's records", tn.ID())
			for _, inv := range got {
				require.Equal(t, tn.ID(), inv.Tenant)
				require.Equal(t, "h", inv.WebhookID)
			}
			require.Equal(t, byTenant[tn.ID()], ids(all(tn, webhook.InvocationQuery{WebhookID: "h", Outcome: webhook.Failed})))
			require.Empty(t, all(tn, webhook.InvocationQuery{Outcome: webhook.Delivered}))
			dls := deadLetters(tn)
			require.Len(t, dls, len(byTenant[tn.ID()]))
			for _, dl := range dls {
				require.Equal(t, tn.ID(), dl.Tenant)
				require.Contains(t, byTenant[tn.ID()], dl.DeliveryID)
			}
		}
		require.Empty(t, all(initech, webhook.InvocationQuery{}))
		require.Empty(t, deadLetters(initech))
		page, err := acme.Invocations(ctx, webhook.InvocationQuery{Limit: 1})
		require.NoError(t, err)
		_, err = globex.Invocations(ctx, webhook.InvocationQuery{Limit: 1, Cursor: page.Next})
		var qerr *webhook.QueryError
		require.ErrorAs(t, err, &qerr, "a cursor of acme's query is no cursor of globex's")
		require.ErrorIs(t, err, webhook.ErrInvalidCursor)

		// Another tenant's dead letter and webhook are not found.
		theirs := byTenant["globex"][0]
		require.ErrorIs(t, acme.Redeliver(ctx, theirs), webhook.ErrNotFound)
		require.ErrorIs(t, initech.Redeliver(ctx, theirs), webhook.ErrNotFound)
		_, err = initech.Recover(ctx, "h", time.Time{})
		require.ErrorIs(t, err, webhook.ErrNotFound, "initech has no webhook h")
		require.Len(t, deadLetters(globex), 2, "globex's dead letters are where they were")

		failing.Store(false)
		mine := byTenant["acme"][0]
		require.NoError(t, acme.Redeliver(ctx, mine))
		require.Contains(t, waitEnded(1, webhook.Delivered), mine)
		require.Len(t, deadLetters(acme), 2)

		rec, err := acme.Recover(ctx, "h", time.Time{})
		require.NoError(t, err)
		require.Equal(t, webhook.Recovered{Redelivered: 2}, rec)
		recovered := waitEnded(2, webhook.Delivered)
		require.ElementsMatch(t, byTenant["acme"][1:], slices.Collect(maps.Keys(recovered)))
		require.Empty(t, deadLetters(acme))
		require.Len(t, deadLetters(globex), 2, "recovering acme's h leaves globex's h alone")
		require.Len(t, rcv.requests("/globex/h"), 2)

		rec, err = globex.Recover(ctx, "h", time.Now())
		require.NoError(t, err)
		require.Zero(t, rec.Redelivered, "none failed since now")
		rec, err = globex.Recover(ctx, "h", time.Time{})
		require.NoError(t, err)
		require.Equal(t, 2, rec.Redelivered)
		waitEnded(2, webhook.Delivered)

		// Each record of a redelivery is its tenant's, under the delivery's id.
		for _, tn := range []*webhook.Tenant{acme, globex} {
			require.Equal(t, byTenant[tn.ID()], ids(all(tn, webhook.InvocationQuery{Outcome: webhook.Delivered, Limit: 2})))
			require.Len(t, all(tn, webhook.InvocationQuery{}), 2*len(byTenant[tn.ID()]))
			require.Empty(t, deadLetters(tn))
		}
	})
}
