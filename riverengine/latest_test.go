package riverengine_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// statementCounter counts the statements a pool sends.
type statementCounter struct{ n atomic.Int64 }

func (c *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// recordLatestFixture writes the records of 1000 webhooks of acme: a
// quarter with none, the others with up to three, among them two at one
// time whose ids order differently as bytes and in English, Filtered and
// Skipped ones, and a header the Dispatcher would have masked; and
// globex's newer records under the same ids and others. It returns the
// ids to ask for: all of acme's, some twice, ids with no record, and
// ids no database text holds.
func recordLatestFixture(t *testing.T, store *riverengine.Store) []string {
	t.Helper()
	ctx := context.Background()
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	outcomes := []webhook.Outcome{webhook.Delivered, webhook.Filtered, webhook.Skipped, webhook.Failed}
	var ids []string
	for i := range 1000 {
		id := fmt.Sprintf("hook-%04d", i)
		ids = append(ids, id)
		for j := range i % 4 {
			at := start.Add(time.Duration(i%7) * time.Second)
			recID := fmt.Sprintf("%s-%d", id, j)
			if i%5 == 0 {
				// One time for all: the id decides, "B" before "a" in bytes.
				recID = []string{"a", "B", "c"}[j] + id
			} else {
				at = at.Add(time.Duration(j) * time.Millisecond)
			}
			require.NoError(t, store.Record(ctx, webhook.Invocation{
				ID: recID, Tenant: "acme", WebhookID: id, DeliveryID: "d-" + recID,
				Outcome: outcomes[(i+j)%len(outcomes)], StartedAt: at, Attempt: 1,
				Request: &webhook.RecordedRequest{Method: "POST", URL: "https://hooks.example/" + id,
					Header: map[string][]string{"Authorization": {"••••••"}}},
			}))
		}
		if i%3 == 0 {
			require.NoError(t, store.Record(ctx, webhook.Invocation{
				ID: "globex-" + id, Tenant: "globex", WebhookID: id, DeliveryID: "g-" + id,
				Outcome: webhook.Delivered, StartedAt: start.Add(time.Hour), Attempt: 1,
			}))
		}
	}
	require.NoError(t, store.Record(ctx, webhook.Invocation{
		ID: "globex-only", Tenant: "globex", WebhookID: "globex-hook", DeliveryID: "g", Outcome: webhook.Delivered, StartedAt: start, Attempt: 1,
	}))
	return append(ids, "hook-0001", "nope", "globex-hook", "hook-0001", "nul\x00id", "\xff\xfe")
}

// checkLatest asks store for the newest records of ids, and checks them
// against QueryInvocations of each webhook alone.
func checkLatest(t *testing.T, store *riverengine.Store, ids []string) {
	t.Helper()
	ctx := context.Background()
	ls, ok := any(store).(webhook.LatestStore)
	require.True(t, ok, "riverengine's Store is a webhook.LatestStore")
	got, err := ls.LatestInvocations(ctx, "acme", ids)
	require.NoError(t, err)
	require.Len(t, got, len(ids))
	found := 0
	for i, id := range ids {
		if strings.ContainsRune(id, 0) || id == "\xff\xfe" {
			require.Empty(t, got[i].ID, "%q", id)
			continue
		}
		want, err := store.QueryInvocations(ctx, "acme", webhook.InvocationQuery{WebhookID: id, Limit: 1})
		require.NoError(t, err)
		if len(want.Invocations) == 0 {
			require.Empty(t, got[i].ID, id)
			continue
		}
		require.Equal(t, want.Invocations[0], got[i], id)
		found++
	}
	require.Equal(t, 750+2, found, "three quarters of the webhooks, hook-0001 three times")
	require.Equal(t, "ahook-0010", got[10].ID, "of two at one time, the greater id in bytes (\"a\" > \"B\"), not in English")
	require.Equal(t, []string{"••••••"}, got[1].Request.Header["Authorization"], "the record as stored")
	// Each record has headers of its own, as the memory store's have.
	got[1].Request.Header["Authorization"][0] = "changed"
	require.Equal(t, []string{"••••••"}, got[1003].Request.Header["Authorization"])

	none, err := ls.LatestInvocations(ctx, "acme", nil)
	require.NoError(t, err)
	require.Empty(t, none)
	other, err := ls.LatestInvocations(ctx, "initech", ids[:10])
	require.NoError(t, err)
	require.Equal(t, make([]webhook.Invocation, 10), other)
}

// The newest records of a page of 1000 webhooks, read in one statement,
// are each webhook's first of QueryInvocations: the same tie-break, the
// same outcomes, never another tenant's record of the same id, none for
// a webhook without records, on both databases.
func TestLatestInvocationsAreQueryInvocationsFirst(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		cfg, err := pgxpool.ParseConfig(needPostgresLocale(t))
		require.NoError(t, err)
		counter := &statementCounter{}
		cfg.ConnConfig.Tracer = counter
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		require.NoError(t, err)
		t.Cleanup(pool.Close)
		require.NoError(t, riverengine.Migrate(ctx, pool))
		store := riverengine.NewStore(pool)
		ids := recordLatestFixture(t, store)

		ls, ok := any(store).(webhook.LatestStore)
		require.True(t, ok, "riverengine's Store is a webhook.LatestStore")
		before := counter.n.Load()
		_, err = ls.LatestInvocations(ctx, "acme", ids)
		require.NoError(t, err)
		require.EqualValues(t, 1, counter.n.Load()-before, "one statement for 1000 webhooks")
		checkLatest(t, store, ids)
	})
	t.Run("sqlite", func(t *testing.T) {
		db := migratedSQLite(t)
		store := riverengine.NewSQLiteStore(db)
		checkLatest(t, store, recordLatestFixture(t, store))
	})
}

// Each webhook's newest record is one step of the tenant/webhook index,
// with nothing to sort, however many records the webhooks have.
func TestLatestInvocationsPlan(t *testing.T) {
	ids := []string{"w1", "w2", "w3"}
	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		pool := newPool(t, needPostgres(t))
		require.NoError(t, riverengine.Migrate(ctx, pool))
		_, err := pool.Exec(ctx, `INSERT INTO outhook_invocation (id, tenant, delivery_id, webhook_id, outcome, started_at, record)
			SELECT 'r' || i, 't' || (i % 20), 'd' || i, 'w' || (i % 7), 'delivered',
				timestamptz '2026-03-10' + i * interval '1 second', '{}'
			FROM generate_series(1, 20000) i`)
		require.NoError(t, err)
		_, err = pool.Exec(ctx, "ANALYZE outhook_invocation")
		require.NoError(t, err)
		q, args := riverengine.LatestSQL(true, "t1", ids)
		rows, err := pool.Query(ctx, "EXPLAIN "+q, args...)
		require.NoError(t, err)
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		plan := strings.Join(lines, "\n")
		require.Contains(t, plan, "Index Scan using outhook_invocation_tenant_webhook_idx ", plan)
		require.Contains(t, plan, "Limit", plan)
		require.NotContains(t, plan, "Sort", plan)
		require.NotContains(t, plan, "Seq Scan on outhook_invocation", plan)
	})
	t.Run("sqlite", func(t *testing.T) {
		db := migratedSQLite(t)
		q, args := riverengine.LatestSQL(false, "t1", ids)
		text := sqlitePlan(t, db, q, args...)
		require.Contains(t, text, "USING INDEX outhook_invocation_tenant_webhook_idx (tenant=? AND webhook_id=?)", text)
		require.NotContains(t, text, "TEMP B-TREE", text)
	})
}

func sqlitePlan(t *testing.T, db *sql.DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.Query("EXPLAIN QUERY PLAN "+q, args...)
	require.NoError(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	require.NoError(t, rows.Err())
	return strings.Join(plan, "\n")
}
