package riverengine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// TestSummaryAcrossInstances records from two stores on one PostgreSQL
// database at once, each with its own pool, as two instances of a service
// do: the counters add up to every attempt, none lost to a race between
// the two, and a record whose transaction rolls back counts nothing.
func TestSummaryAcrossInstances(t *testing.T) {
	url := needPostgres(t)
	first := newPool(t, url)
	require.NoError(t, riverengine.Migrate(context.Background(), first))
	stores := []*riverengine.Store{riverengine.NewStore(first), riverengine.NewStore(newPool(t, url))}
	ctx := context.Background()
	at := time.Date(2026, 3, 10, 9, 15, 0, 0, time.UTC)
	const perWriter = 200
	var wg sync.WaitGroup
	errs := make(chan error, 8*perWriter)
	for w := range 8 {
		s := stores[w%2]
		wg.Go(func() {
			for i := range perWriter {
				o := webhook.Delivered
				if i%4 == 0 {
					o = webhook.Retrying
				}
				errs <- s.Record(ctx, webhook.Invocation{
					ID: fmt.Sprint(w, "/", i), Tenant: "acme", DeliveryID: fmt.Sprint(w, "/", i), WebhookID: "h",
					Attempt: 1, Outcome: o, StartedAt: at.Add(time.Duration(i) * time.Second), Duration: 30 * time.Millisecond,
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	tx, err := first.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, stores[0].RecordTx(ctx, tx, webhook.Invocation{
		ID: "rolled-back", Tenant: "acme", DeliveryID: "rb", WebhookID: "h", Attempt: 1, Outcome: webhook.Delivered, StartedAt: at.Add(time.Hour),
	}))
	require.NoError(t, tx.Rollback(ctx))

	for _, s := range stores {
		got, err := s.SummaryCounts(ctx, "acme", []string{"h"}, time.Time{})
		require.NoError(t, err)
		var attempts, delivered int64
		for _, sl := range got[0].Slots {
			delivered += sl.Delivered
			var n int64
			for _, c := range sl.Latency {
				n += c
			}
			require.Equal(t, n, sl.Latency[3], "30 ms: all in the bucket 25-50 ms")
			attempts += n
		}
		require.Equal(t, int64(8*perWriter), attempts)
		require.Equal(t, int64(8*perWriter*3/4), delivered)
		require.True(t, got[0].LastAt.Equal(at.Add((perWriter-1)*time.Second)), "%v: the rolled-back record is not the last", got[0].LastAt)
	}
}

// BenchmarkRecord measures Store.Record of an attempt, whose counters the
// database updates in the same statement (triggers), against the same
// database with the counters' triggers dropped.
//
//	go test -run '^$' -bench Record -benchtime 3000x
func BenchmarkRecord(b *testing.B) {
	for _, db := range []string{"postgres", "sqlite"} {
		for _, counted := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/counters=%v", db, counted), func(b *testing.B) {
				var s *riverengine.Store
				var drop func(string)
				if db == "postgres" {
					pool := newPool(b, needPostgres(b))
					require.NoError(b, riverengine.Migrate(context.Background(), pool))
					s = riverengine.NewStore(pool)
					drop = func(name string) {
						_, err := pool.Exec(context.Background(), "DROP TRIGGER "+name+" ON outhook_invocation")
						require.NoError(b, err)
					}
				} else {
					sq := openSQLite(b, filepath.Join(b.TempDir(), "bench.db"))
					require.NoError(b, riverengine.MigrateSQLite(context.Background(), sq))
					s = riverengine.NewSQLiteStore(sq)
					drop = func(name string) {
						_, err := sq.Exec("DROP TRIGGER " + name)
						require.NoError(b, err)
					}
				}
				if !counted {
					drop("outhook_summary_record")
				}
				at := time.Date(2026, 3, 10, 9, 15, 0, 0, time.UTC)
				ctx := context.Background()
				i := 0
				for b.Loop() {
					i++
					id := fmt.Sprint(i)
					if err := s.Record(ctx, webhook.Invocation{
						ID: id, Tenant: "acme", DeliveryID: id, WebhookID: fmt.Sprint("h", i%10), Attempt: 1,
						Outcome: webhook.Delivered, Reason: "", StartedAt: at.Add(time.Duration(i) * time.Second), Duration: time.Duration(i) * time.Millisecond,
					}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestRetentionByAgeUsesIndexes: a batch of retention by age finds the
// rows old enough through the index on their time, and deletes them by
// key, without reading the whole table, on tables of many tenants with
// statistics.
func TestRetentionByAgeUsesIndexes(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, needPostgres(t))
	require.NoError(t, riverengine.Migrate(ctx, pool))
	_, err := pool.Exec(ctx, `INSERT INTO outhook_dead_letter (delivery_id, tenant, webhook_id, outcome, reason, attempts, failed_at, event)
		SELECT 'd' || i, 't' || (i % 20), 'w' || (i % 7), 'failed', '', 1, timestamptz '2026-03-10' + i * interval '1 second', '{}'
		FROM generate_series(1, 50000) i`)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `INSERT INTO outhook_invocation (id, tenant, delivery_id, webhook_id, outcome, started_at, record)
		SELECT 'r' || i, 't' || (i % 20), 'd' || i, 'w' || (i % 7), 'filtered', timestamptz '2026-03-10' + i * interval '1 second', '{}'
		FROM generate_series(1, 50000) i`)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, "ANALYZE outhook_dead_letter; ANALYZE outhook_invocation")
	require.NoError(t, err)
	for _, tc := range []struct{ table, q, index, key string }{
		{"outhook_dead_letter", riverengine.PGPruneDeadAge, "outhook_dead_letter_failed_idx", "outhook_dead_letter_pkey"},
		{"outhook_invocation", riverengine.PGPruneRecordAge, "outhook_invocation_started_idx", "outhook_invocation_pkey"},
	} {
		rows, err := pool.Query(ctx, "EXPLAIN "+tc.q, time.Date(2026, 3, 10, 0, 5, 0, 0, time.UTC), 1000)
		require.NoError(t, err)
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		plan := strings.Join(lines, "\n")
		require.Contains(t, plan, "Bitmap Index Scan on "+tc.index, plan)
		require.Contains(t, plan, "Index Scan using "+tc.key, "deleted by key:\n%s", plan)
		require.NotContains(t, plan, "Seq Scan on "+tc.table, plan)
	}
}
