package riverengine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// queryOnlyStore hides the store's LatestInvocations: Tenant then reads
// the newest records webhook by webhook.
type queryOnlyStore struct{ webhook.QueryStore }

// BenchmarkLatestInvocations measures Tenant.LatestInvocations of a page
// of 1000 webhooks with 20 records each on PostgreSQL: in one statement
// (the store's), and one query per webhook (any QueryStore's).
func BenchmarkLatestInvocations(b *testing.B) {
	ctx := context.Background()
	pool := newPool(b, needPostgres(b))
	if err := riverengine.Migrate(ctx, pool); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO outhook_invocation (id, tenant, delivery_id, webhook_id, outcome, started_at, record)
		SELECT 'r' || i, 'acme', 'd' || i, 'hook-' || (i % 1000), 'delivered', timestamptz '2026-03-10' + i * interval '1 second',
			jsonb_build_object('id', 'r' || i, 'tenant', 'acme', 'webhook_id', 'hook-' || (i % 1000), 'delivery_id', 'd' || i,
				'outcome', 'delivered', 'attempt', 1, 'started_at', timestamptz '2026-03-10' + i * interval '1 second')
		FROM generate_series(1, 20000) i; ANALYZE outhook_invocation`); err != nil {
		b.Fatal(err)
	}
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprintf("hook-%d", i)
	}
	store := riverengine.NewStore(pool)
	for _, bc := range []struct {
		name  string
		store webhook.InvocationStore
	}{{"one-statement", store}, {"per-webhook", queryOnlyStore{store}}} {
		b.Run(bc.name, func(b *testing.B) {
			d, err := webhook.New(webhook.WithInvocationStore(bc.store))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() {
				cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				_ = d.Close(cctx)
			})
			acme := d.Tenant("acme")
			b.ReportAllocs()
			for b.Loop() {
				got, err := acme.LatestInvocations(ctx, ids)
				if err != nil {
					b.Fatal(err)
				}
				if got[999].ID == "" {
					b.Fatal("hook-999 has no newest record")
				}
			}
		})
	}
}
