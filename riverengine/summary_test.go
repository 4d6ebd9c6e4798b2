package riverengine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
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
					if db == "postgres" {
						drop("outhook_summary_records")
					} else {
						drop("outhook_summary_record")
					}
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

// BenchmarkRecordConcurrent is BenchmarkRecord with 8 callers per core
// recording at once, as a busy engine's workers do: Store writes their
// records a group per statement.
//
//	go test -run '^$' -bench RecordConcurrent -benchtime 20000x
func BenchmarkRecordConcurrent(b *testing.B) {
	for _, counted := range []bool{false, true} {
		b.Run(fmt.Sprintf("postgres/counters=%v", counted), func(b *testing.B) {
			pool := newPool(b, needPostgres(b))
			ctx := context.Background()
			require.NoError(b, riverengine.Migrate(ctx, pool))
			if !counted {
				_, err := pool.Exec(ctx, "DROP TRIGGER outhook_summary_records ON outhook_invocation")
				require.NoError(b, err)
			}
			s := riverengine.NewStore(pool)
			at := time.Date(2026, 3, 10, 9, 15, 0, 0, time.UTC)
			var seq atomic.Int64
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := seq.Add(1)
					id := fmt.Sprint(i)
					if err := s.Record(ctx, webhook.Invocation{
						ID: id, Tenant: "acme", DeliveryID: id, WebhookID: fmt.Sprint("h", i%10), Attempt: 1,
						Outcome: webhook.Delivered, StartedAt: at.Add(time.Duration(i) * time.Millisecond), Duration: time.Duration(i%1000) * time.Millisecond,
					}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
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
		// By the primary key, as an index scan or, as the planner may
		// choose for a batch of keys, a bitmap scan of it.
		byKey := strings.Contains(plan, "Index Scan using "+tc.key) || strings.Contains(plan, "Bitmap Index Scan on "+tc.key)
		require.True(t, byKey, "deleted by key:\n%s", plan)
		require.NotContains(t, plan, "Seq Scan on "+tc.table, plan)
	}
}

// TestSummaryOfGroupedRecords records at once, which Store writes a group
// per statement: the counters are those of the same records counted one
// by one (webhook.MemoryStore's), with two tenants and four webhooks in
// a group, outcomes that count and that do not, attempts 0, latencies of
// every bucket and their bounds, several slots; and PostgreSQL runs the
// summary's trigger once per statement, not once per record.
func TestSummaryOfGroupedRecords(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	admin := newPool(t, url)
	require.NoError(t, riverengine.Migrate(ctx, admin))
	var super bool
	require.NoError(t, admin.QueryRow(ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super))
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	if super { // counting a function's calls takes a superuser
		cfg.ConnConfig.RuntimeParams["track_functions"] = "pl"
	}
	var count insertCounter
	cfg.ConnConfig.Tracer = &count
	cfg.MaxConns = 40
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	defer pool.Close()
	s := riverengine.NewStore(pool)
	mem := webhook.NewMemoryStore(0, 0)

	outcomes := []webhook.Outcome{webhook.Delivered, webhook.Retrying, webhook.Failed,
		webhook.ValidationFailed, webhook.Filtered, webhook.Skipped, webhook.Delivered}
	ms := time.Millisecond
	durations := []time.Duration{0, 5 * ms, 5*ms + 1, 10 * ms, 20 * ms, 30 * ms, 100 * ms, 200 * ms, 250*ms + 1, 700 * ms,
		time.Second, 2 * time.Second, 3 * time.Second, 5 * time.Second, 8 * time.Second, 20 * time.Second,
		time.Minute, time.Minute + 1, time.Hour}
	at := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	const n = 600
	invs := make([]webhook.Invocation, n)
	for i := range invs {
		id := fmt.Sprint("r", i)
		invs[i] = webhook.Invocation{ID: id, Tenant: []string{"acme", "globex"}[i%2], DeliveryID: id,
			WebhookID: fmt.Sprint("h", i/2%4), Attempt: i % 5, Outcome: outcomes[i%len(outcomes)],
			Reason:    fmt.Sprint("reason ", i),
			StartedAt: at.Add(time.Duration(i*7%23)*time.Minute + time.Duration(i)*time.Microsecond),
			Duration:  durations[i%len(durations)]}
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, inv := range invs {
		wg.Go(func() {
			<-start
			errs[i] = s.Record(ctx, inv)
		})
	}
	close(start)
	wg.Wait()
	for i, inv := range invs {
		require.NoError(t, errs[i])
		require.NoError(t, mem.Record(ctx, inv))
	}
	statements := count.n.Load()
	require.Less(t, statements, int64(n/2), "records went in groups")

	ids := []string{"h0", "h1", "h2", "h3", "none"}
	for _, tenant := range []string{"acme", "globex", "other"} {
		want, err := mem.SummaryCounts(ctx, tenant, ids, time.Time{})
		require.NoError(t, err)
		got, err := s.SummaryCounts(ctx, tenant, ids, time.Time{})
		require.NoError(t, err)
		require.Equal(t, inUTC(want), inUTC(got), "tenant %s", tenant)
		if tenant == "other" {
			continue
		}
		for _, c := range got[:4] {
			require.NotEmpty(t, c.LastOutcome)
			var buckets [webhook.LatencyBuckets]int64
			for _, sl := range c.Slots {
				for b, n := range sl.Latency {
					buckets[b] += n
				}
			}
			require.NotContains(t, buckets, int64(0), "%s %s: every bucket counted", tenant, c.WebhookID)
		}
	}

	if !super {
		t.Logf("calls of the trigger not counted: %s is no superuser", url)
		return
	}
	pool.Close() // a backend reports its functions' calls as it exits
	var calls int64
	eventually(t, 10*time.Second, "the trigger's calls reported", func() bool {
		require.NoError(t, admin.QueryRow(ctx, `SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions
			WHERE funcname LIKE 'outhook\_summary\_record%'`).Scan(&calls))
		return calls >= statements
	})
	require.Equal(t, statements, calls, "one call per statement, %d records", n)
}

// inUTC is counts with their times in UTC, to compare with Equal.
func inUTC(counts []webhook.SummaryCounts) []webhook.SummaryCounts {
	for i := range counts {
		if !counts[i].LastAt.IsZero() {
			counts[i].LastAt = counts[i].LastAt.UTC()
		}
		for j := range counts[i].Slots {
			counts[i].Slots[j].Start = counts[i].Slots[j].Start.UTC()
		}
	}
	return counts
}

// TestSummaryLastOfEqualTimes writes records of one webhook started at
// the same time in one statement, as a group is written, small and large
// (the trigger takes rows one by one below 16): the last outcome is the
// one written last, as when they are recorded one by one.
func TestSummaryLastOfEqualTimes(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	pool := newPool(t, url)
	require.NoError(t, riverengine.Migrate(ctx, pool))
	at := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	for _, n := range []int{2, 40} {
		for _, order := range [][]string{{"failed", "delivered"}, {"delivered", "failed"}} {
			hook := fmt.Sprint("h-", n, "-", order[1])
			outcomes := make([]string, n)
			for i := range outcomes {
				outcomes[i] = order[0]
			}
			outcomes[n-1] = order[1]
			_, err := pool.Exec(ctx, `INSERT INTO outhook_invocation (id, tenant, delivery_id, webhook_id, outcome, started_at, record)
				SELECT o || i, 'acme', o || i, $2, o, $3, jsonb_build_object('reason', 'r-' || o, 'attempt', 1)
				FROM unnest($1::text[]) WITH ORDINALITY AS u (o, i)`, outcomes, hook, at)
			require.NoError(t, err)
			got, err := riverengine.NewStore(pool).SummaryCounts(ctx, "acme", []string{hook}, time.Time{})
			require.NoError(t, err)
			require.Equal(t, webhook.Outcome(order[1]), got[0].LastOutcome, "%d records", n)
			require.Equal(t, "r-"+order[1], got[0].LastReason)
			delivered := int64(1)
			if order[0] == "delivered" {
				delivered = int64(n - 1)
			}
			require.Equal(t, delivered, got[0].Slots[0].Delivered)
			require.Equal(t, int64(n), got[0].Slots[0].Latency[0])
		}
	}
}
