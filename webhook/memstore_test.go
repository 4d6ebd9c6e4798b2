package webhook_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/internal/testkit/storetest"
	"github.com/outhook/outhook/webhook"
)

func TestMemoryStoreQueries(t *testing.T) {
	storetest.Run(t, func(*testing.T) webhook.QueryStore { return webhook.NewMemoryStore(1<<20, 1<<20) })
}

// Random adds, late arrivals, replacements and takes against a model of
// the store: each webhook of each tenant keeps its latest records and dead
// letters in the order of pages, up to the bounds, whatever order they
// arrive in.
func TestMemoryStoreKeepsTheLatestOfEachWebhook(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	ctx := context.Background()
	ev := mock(t, accessrequest.Created)
	const perWebhook, deadPerWebhook = 5, 9
	s := webhook.NewMemoryStore(perWebhook, deadPerWebhook)

	type key struct{ tenant, hook string }
	records := map[key][]webhook.Invocation{}
	dead := map[key][]webhook.DeadLetter{}
	deadKey := map[string]key{} // delivery id -> where the model keeps it
	var evicted int64
	newer := func(a, b webhook.Position) int { // newest first
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return cmpString(b.ID, a.ID)
	}
	invAt := func(x webhook.Invocation) webhook.Position { return webhook.Position{Time: x.StartedAt, ID: x.ID} }
	dlAt := func(x webhook.DeadLetter) webhook.Position {
		return webhook.Position{Time: x.FailedAt, ID: x.DeliveryID}
	}
	tenants, hooks := []string{"", "a"}, []string{"w", "v"}
	now := time.Unix(1000, 0)
	for i := range 4000 {
		k := key{tenants[rng.IntN(2)], hooks[rng.IntN(2)]}
		now = now.Add(time.Second)
		at := now.Add(-time.Duration(rng.IntN(20)) * time.Second) // late by up to 20s
		switch op := rng.IntN(10); {
		case op < 4:
			x := webhook.Invocation{ID: fmt.Sprint("r", i), Tenant: k.tenant, WebhookID: k.hook, StartedAt: at, Outcome: allOutcomes[rng.IntN(len(allOutcomes))]}
			require.NoError(t, s.Record(ctx, x))
			l := append(records[k], x)
			slices.SortStableFunc(l, func(a, b webhook.Invocation) int { return newer(invAt(a), invAt(b)) })
			records[k] = l[:min(len(l), perWebhook)]
		case op < 8:
			id := fmt.Sprint("d", rng.IntN(300)) // some again: replaced
			x := webhook.DeadLetter{DeliveryID: id, Tenant: k.tenant, WebhookID: k.hook, Event: ev, FailedAt: at}
			err := s.AddDeadLetter(ctx, x)
			if old, ok := deadKey[id]; ok && old.tenant != k.tenant {
				require.ErrorIs(t, err, webhook.ErrTenantMismatch)
				continue
			}
			require.NoError(t, err)
			if old, ok := deadKey[id]; ok {
				dead[old] = slices.DeleteFunc(dead[old], func(d webhook.DeadLetter) bool { return d.DeliveryID == id })
			}
			l := append(dead[k], x)
			slices.SortFunc(l, func(a, b webhook.DeadLetter) int { return newer(dlAt(a), dlAt(b)) })
			deadKey[id] = k
			if len(l) > deadPerWebhook {
				evicted++
				delete(deadKey, l[deadPerWebhook].DeliveryID)
				l = l[:deadPerWebhook]
			}
			dead[k] = l
		default:
			id := fmt.Sprint("d", rng.IntN(300))
			old, ok := deadKey[id]
			var err error
			if rng.IntN(2) == 0 {
				_, err = s.TakeDeadLetter(ctx, id)
			} else {
				_, err = s.TakeDeadLetterFor(ctx, k.tenant, id)
				ok = ok && old.tenant == k.tenant
			}
			if !ok {
				require.ErrorIs(t, err, webhook.ErrNotFound)
				continue
			}
			require.NoError(t, err)
			dead[old] = slices.DeleteFunc(dead[old], func(d webhook.DeadLetter) bool { return d.DeliveryID == id })
			delete(deadKey, id)
		}
		if i%50 != 0 {
			continue
		}
		for _, tenant := range tenants {
			var allDead []webhook.DeadLetter
			for _, hook := range hooks {
				k := key{tenant, hook}
				p, err := s.QueryInvocations(ctx, tenant, webhook.InvocationQuery{WebhookID: hook, Limit: webhook.MaxPageLimit})
				require.NoError(t, err)
				require.Equal(t, ids(records[k], invAt), ids(p.Invocations, invAt), "records of %v after op %d", k, i)
				for _, o := range allOutcomes {
					p, err := s.QueryInvocations(ctx, tenant, webhook.InvocationQuery{WebhookID: hook, Outcome: o, Limit: webhook.MaxPageLimit})
					require.NoError(t, err)
					want := slices.DeleteFunc(slices.Clone(records[k]), func(x webhook.Invocation) bool { return x.Outcome != o })
					require.Equal(t, ids(want, invAt), ids(p.Invocations, invAt), "%s records of %v after op %d", o, k, i)
				}
				dp, err := s.QueryDeadLetters(ctx, tenant, webhook.DeadLetterQuery{WebhookID: hook, Limit: webhook.MaxPageLimit})
				require.NoError(t, err)
				require.Equal(t, ids(dead[k], dlAt), ids(dp.DeadLetters, dlAt), "dead letters of %v after op %d", k, i)
				allDead = append(allDead, dead[k]...)
			}
			slices.SortFunc(allDead, func(a, b webhook.DeadLetter) int { return newer(dlAt(a), dlAt(b)) })
			dp, err := s.QueryDeadLetters(ctx, tenant, webhook.DeadLetterQuery{Limit: webhook.MaxPageLimit})
			require.NoError(t, err)
			require.Equal(t, ids(allDead, dlAt), ids(dp.DeadLetters, dlAt), "dead letters of %q after op %d", tenant, i)
		}
		require.Equal(t, evicted, s.EvictedDeadLetters())
	}
}

var allOutcomes = []webhook.Outcome{webhook.Delivered, webhook.Retrying, webhook.Failed, webhook.ValidationFailed, webhook.Filtered, webhook.Skipped}

func ids[T any](xs []T, at func(T) webhook.Position) []string {
	out := []string{}
	for _, x := range xs {
		out = append(out, at(x).ID)
	}
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// A page's cost with the store full: hooks webhooks of one tenant, each
// with its bound of records, one in ten failed.
func BenchmarkMemoryStoreQuery(b *testing.B) {
	ctx := context.Background()
	for _, hooks := range []int{10, 1000} {
		s := webhook.NewMemoryStore(0, 0)
		start := time.Unix(1_700_000_000, 0)
		for i := range hooks * webhook.DefaultRecordsPerWebhook {
			o := webhook.Delivered
			if (i/hooks)%10 == 0 { // one record in ten of each webhook
				o = webhook.Failed
			}
			require.NoError(b, s.Record(ctx, webhook.Invocation{
				ID: fmt.Sprint(i), Tenant: "t", WebhookID: fmt.Sprint("w", i%hooks), Outcome: o, StartedAt: start.Add(time.Duration(i) * time.Millisecond),
			}))
		}
		second, err := s.QueryInvocations(ctx, "t", webhook.InvocationQuery{})
		require.NoError(b, err)
		for name, q := range map[string]webhook.InvocationQuery{
			"tenant":         {},
			"tenant/next":    {Cursor: second.Next},
			"tenant/failed":  {Outcome: webhook.Failed},
			"webhook":        {WebhookID: "w1"},
			"webhook/failed": {WebhookID: "w1", Outcome: webhook.Failed},
		} {
			b.Run(fmt.Sprintf("hooks=%d/%s", hooks, name), func(b *testing.B) {
				for b.Loop() {
					if _, err := s.QueryInvocations(ctx, "t", q); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	b.Run("record", func(b *testing.B) {
		s := webhook.NewMemoryStore(0, 0)
		start := time.Unix(1_700_000_000, 0)
		i := 0
		for b.Loop() {
			i++
			_ = s.Record(ctx, webhook.Invocation{ID: "r", Tenant: "t", WebhookID: "w", StartedAt: start.Add(time.Duration(i))})
		}
	})
}
