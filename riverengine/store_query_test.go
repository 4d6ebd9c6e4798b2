package riverengine_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/internal/testkit/storetest"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// The conformance suite of webhook.QueryStore, on both databases (the
// memory store runs it in package webhook): one migrated database each,
// emptied before every test.
func TestStoreQueries(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		pool := newPool(t, needPostgresLocale(t))
		require.NoError(t, riverengine.Migrate(context.Background(), pool))
		storetest.Run(t, func(t *testing.T) webhook.QueryStore {
			_, err := pool.Exec(context.Background(), "TRUNCATE outhook_invocation, outhook_dead_letter")
			require.NoError(t, err)
			return riverengine.NewStore(pool)
		})
	})
	t.Run("sqlite", func(t *testing.T) {
		db := migratedSQLite(t)
		storetest.Run(t, func(t *testing.T) webhook.QueryStore {
			_, err := db.Exec("DELETE FROM outhook_invocation; DELETE FROM outhook_dead_letter")
			require.NoError(t, err)
			return riverengine.NewSQLiteStore(db)
		})
	})
}

func migratedSQLite(t *testing.T) *sql.DB {
	t.Helper()
	db := openSQLite(t, filepath.Join(t.TempDir(), "outhook.db"))
	require.NoError(t, riverengine.MigrateSQLite(context.Background(), db))
	return db
}

// needPostgresLocale is needPostgres with a database whose text sorts by
// a language's rules (ICU's en-US), not by bytes: "B" before "a" in bytes,
// after it in English. The store must page in byte order all the same.
func needPostgresLocale(t *testing.T) string {
	t.Helper()
	url := needPostgres(t) // skips or fails without a server; dropped at the end
	name := url[strings.LastIndex(url, "/")+1:]
	name, _, _ = strings.Cut(name, "?")
	ctx := context.Background()
	admin, err := pgxpool.New(ctx, pgServer)
	require.NoError(t, err)
	defer admin.Close()
	_, err = admin.Exec(ctx, "DROP DATABASE "+name)
	require.NoError(t, err)
	_, err = admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
	require.NoError(t, err, "PostgreSQL built without ICU?")
	var less bool
	require.NoError(t, admin.QueryRow(ctx, `SELECT 'a' < 'B' COLLATE "en-US-x-icu"`).Scan(&less))
	require.True(t, less, "en-US sorts a before B")
	return url
}

// Every combination of filters reads its page from an index, in the
// index's order: no sort, and so no more rows read than the page holds.
func TestStoreQueriesUseAnIndex(t *testing.T) {
	type combo struct {
		dead                bool
		webhook, outcome    string
		since, until, after bool
		index               string
	}
	var combos []combo
	for _, hook := range []string{"", "w1"} {
		for _, outcome := range []string{"", "failed"} {
			for _, bounds := range [][3]bool{{}, {true, false, false}, {false, true, false}, {false, false, true}, {true, true, false}, {true, false, true}, {true, true, true}} {
				index := "outhook_invocation_tenant"
				if hook != "" {
					index += "_webhook"
				}
				if outcome != "" {
					index += "_outcome"
				}
				combos = append(combos, combo{false, hook, outcome, bounds[0], bounds[1], bounds[2], index + "_idx"})
				if outcome == "" {
					index := strings.Replace(index, "invocation", "dead_letter", 1)
					combos = append(combos, combo{true, hook, "", bounds[0], bounds[1], bounds[2], index + "_idx"})
				}
			}
		}
	}
	at := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	sqlOf := func(postgres bool, c combo) (string, []any) {
		var since, until time.Time
		var after *webhook.Position
		if c.since {
			since = at.Add(-time.Hour)
		}
		if c.until {
			until = at.Add(time.Hour)
		}
		if c.after {
			after = &webhook.Position{Time: at, ID: "x"}
		}
		return riverengine.PageSQL(postgres, c.dead, "t1", c.webhook, c.outcome, since, until, after, webhook.DefaultPageLimit+1)
	}

	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		pool := newPool(t, needPostgres(t))
		require.NoError(t, riverengine.Migrate(ctx, pool))
		// Rows of many tenants, webhooks and outcomes, and statistics.
		_, err := pool.Exec(ctx, `INSERT INTO outhook_invocation (id, tenant, delivery_id, webhook_id, outcome, started_at, record)
			SELECT 'r' || i, 't' || (i % 20), 'd' || i, 'w' || (i % 7), (ARRAY['delivered','failed','retrying'])[i % 3 + 1],
				timestamptz '2026-03-10' + i * interval '1 second', '{}'
			FROM generate_series(1, 20000) i`)
		require.NoError(t, err)
		_, err = pool.Exec(ctx, `INSERT INTO outhook_dead_letter (delivery_id, tenant, webhook_id, outcome, reason, attempts, failed_at, event)
			SELECT 'd' || i, 't' || (i % 20), 'w' || (i % 7), 'failed', '', 1, timestamptz '2026-03-10' + i * interval '1 second', '{}'
			FROM generate_series(1, 20000) i`)
		require.NoError(t, err)
		_, err = pool.Exec(ctx, "ANALYZE outhook_invocation; ANALYZE outhook_dead_letter")
		require.NoError(t, err)
		conn, err := pool.Acquire(ctx)
		require.NoError(t, err)
		defer conn.Release()
		// Only what an index cannot avoid is left: a sort or a scan of the
		// table would show.
		_, err = conn.Exec(ctx, "SET enable_sort = off; SET enable_seqscan = off; SET enable_bitmapscan = off")
		require.NoError(t, err)
		for _, c := range combos {
			q, args := sqlOf(true, c)
			rows, err := conn.Query(ctx, "EXPLAIN "+q, args...)
			require.NoError(t, err)
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			require.NoError(t, err)
			plan := strings.Join(lines, "\n")
			require.Contains(t, plan, "Index Scan using "+c.index+" ", "%+v:\n%s", c, plan)
			require.NotContains(t, plan, "Sort", "%+v:\n%s", c, plan)
		}
	})
	t.Run("sqlite", func(t *testing.T) {
		db := migratedSQLite(t)
		for _, c := range combos {
			q, args := sqlOf(false, c)
			rows, err := db.Query("EXPLAIN QUERY PLAN "+q, args...)
			require.NoError(t, err)
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
				plan = append(plan, detail)
			}
			require.NoError(t, rows.Err())
			text := strings.Join(plan, "\n")
			require.Contains(t, text, "USING INDEX "+c.index+" ", "%+v:\n%s", c, text)
			require.NotContains(t, text, "TEMP B-TREE", "%+v:\n%s", c, text)
		}
	})
}

// Records and dead letters written before the tenant column existed are
// the empty tenant's once Migrate has added it: a service that upgrades
// sees its history as it was, through the old methods and the new.
func TestMigrationKeepsEarlierRecordsAsTheEmptyTenant(t *testing.T) {
	ctx := context.Background()
	// The schema as Outhook's first steps left it, River's too.
	earlier := func(t *testing.T, dialect string, exec func(string) error) {
		entries, err := os.ReadDir(filepath.Join("migrations", dialect))
		require.NoError(t, err)
		for _, e := range entries {
			var v int
			_, err := fmt.Sscanf(e.Name(), "%d_", &v)
			require.NoError(t, err)
			if v >= map[string]int{"postgres": 4, "sqlite": 3}[dialect] {
				continue
			}
			b, err := os.ReadFile(filepath.Join("migrations", dialect, e.Name()))
			require.NoError(t, err)
			require.NoError(t, exec(string(b)))
			require.NoError(t, exec(fmt.Sprintf("INSERT INTO outhook_migration (version, name) VALUES (%d, '%s')", v, strings.TrimSuffix(e.Name(), ".sql"))))
		}
	}
	const table = `CREATE TABLE outhook_migration (version integer PRIMARY KEY, name text NOT NULL, applied_at text)`
	rows := []string{
		`INSERT INTO outhook_invocation (id, delivery_id, webhook_id, outcome, started_at, record)
			VALUES ('r1', 'd1', 'w', 'failed', %s, '{"id":"r1","delivery_id":"d1","webhook_id":"w","outcome":"failed","started_at":"2026-03-10T09:00:00Z"}')`,
		`INSERT INTO outhook_dead_letter (delivery_id, webhook_id, outcome, reason, attempts, failed_at, event)
			VALUES ('d1', 'w', 'failed', '503', 3, %s, '{"event_type":"test.event","event_time":1773134100,"event_id":"e-1","data":{}}')`,
	}
	check := func(t *testing.T, s *riverengine.Store) {
		invs, err := s.Invocations(ctx, "w", 0)
		require.NoError(t, err)
		require.Len(t, invs, 1)
		p, err := s.QueryInvocations(ctx, "", webhook.InvocationQuery{Outcome: webhook.Failed})
		require.NoError(t, err)
		require.Len(t, p.Invocations, 1)
		require.Equal(t, "r1", p.Invocations[0].ID)
		dp, err := s.QueryDeadLetters(ctx, "", webhook.DeadLetterQuery{WebhookID: "w"})
		require.NoError(t, err)
		require.Len(t, dp.DeadLetters, 1)
		require.Empty(t, dp.DeadLetters[0].Tenant)
		_, err = s.TakeDeadLetterFor(ctx, "other", "d1")
		require.ErrorIs(t, err, webhook.ErrNotFound)
		_, err = s.TakeDeadLetterFor(ctx, "", "d1")
		require.NoError(t, err)
	}
	t.Run("postgres", func(t *testing.T) {
		pool := newPool(t, needPostgres(t))
		exec := func(q string) error { _, err := pool.Exec(ctx, q); return err }
		require.NoError(t, exec(table))
		earlier(t, "postgres", exec)
		for _, q := range rows {
			require.NoError(t, exec(fmt.Sprintf(q, "timestamptz '2026-03-10 09:00:00Z'")))
		}
		require.NoError(t, riverengine.Migrate(ctx, pool))
		check(t, riverengine.NewStore(pool))
	})
	t.Run("sqlite", func(t *testing.T) {
		db := openSQLite(t, filepath.Join(t.TempDir(), "outhook.db"))
		exec := func(q string) error { _, err := db.ExecContext(ctx, q); return err }
		require.NoError(t, exec(table))
		earlier(t, "sqlite", exec)
		for _, q := range rows {
			require.NoError(t, exec(fmt.Sprintf(q, fmt.Sprint(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC).UnixNano()))))
		}
		require.NoError(t, riverengine.MigrateSQLite(ctx, db))
		check(t, riverengine.NewSQLiteStore(db))
	})
}

// TakeDeadLetterForTx takes a dead letter of its tenant in the caller's
// transaction: rolled back, the dead letter is back; another tenant's is
// never taken.
func TestTakeDeadLetterForTx(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, eng *riverengine.Engine, otherDB engine.Tx) {
		s := eng.Store()
		require.NoError(t, s.AddDeadLetter(ctx, webhook.DeadLetter{DeliveryID: "d1", Tenant: "a", WebhookID: "w", Event: newEvent(t, 1), FailedAt: time.Now()}))
		errRollback := errors.New("roll back")
		err := eng.InTx(ctx, func(tx engine.Tx) error {
			_, err := s.TakeDeadLetterForTx(ctx, tx, "b", "d1")
			require.ErrorIs(t, err, webhook.ErrNotFound)
			dl, err := s.TakeDeadLetterForTx(ctx, tx, "a", "d1")
			require.NoError(t, err)
			require.Equal(t, "a", dl.Tenant)
			return errRollback
		})
		require.ErrorIs(t, err, errRollback)
		p, err := s.QueryDeadLetters(ctx, "a", webhook.DeadLetterQuery{})
		require.NoError(t, err)
		require.Len(t, p.DeadLetters, 1, "back with the rollback")
		require.NoError(t, eng.InTx(ctx, func(tx engine.Tx) error {
			_, err := s.TakeDeadLetterForTx(ctx, tx, "a", "d1")
			return err
		}))
		p, err = s.QueryDeadLetters(ctx, "a", webhook.DeadLetterQuery{})
		require.NoError(t, err)
		require.Empty(t, p.DeadLetters)
		_, err = s.TakeDeadLetterForTx(ctx, otherDB, "a", "d1")
		require.ErrorIs(t, err, riverengine.ErrWrongDatabase)
	}
	t.Run("postgres", func(t *testing.T) {
		_, eng := newPostgresEngine(t, needPostgres(t), riverengine.WithPublishOnly())
		check(t, eng, (*sql.Tx)(nil))
	})
	t.Run("sqlite", func(t *testing.T) {
		_, eng := newSQLiteEngine(t, riverengine.WithPublishOnly())
		check(t, eng, pgx.Tx(nil))
	})
}

// The conformance suite of webhook.EraseStore and of retention
// (Store.Enforce), on both databases.
func TestStoreHistory(t *testing.T) {
	enforce := func(t *testing.T, s *riverengine.Store, r webhook.Retention) func() webhook.Pruned {
		return func() webhook.Pruned {
			p, err := s.Enforce(context.Background(), r)
			require.NoError(t, err)
			return p
		}
	}
	t.Run("postgres", func(t *testing.T) {
		pool := newPool(t, needPostgres(t))
		require.NoError(t, riverengine.Migrate(context.Background(), pool))
		storetest.RunHistory(t, func(t *testing.T, r webhook.Retention) storetest.HistoryStore {
			_, err := pool.Exec(context.Background(), "TRUNCATE outhook_invocation, outhook_dead_letter, outhook_erasure, outhook_summary, outhook_summary_slot")
			require.NoError(t, err)
			s := riverengine.NewStore(pool)
			return storetest.HistoryStore{Store: s, Enforce: enforce(t, s, r)}
		})
	})
	t.Run("sqlite", func(t *testing.T) {
		db := migratedSQLite(t)
		storetest.RunHistory(t, func(t *testing.T, r webhook.Retention) storetest.HistoryStore {
			_, err := db.Exec("DELETE FROM outhook_invocation; DELETE FROM outhook_dead_letter; DELETE FROM outhook_erasure; DELETE FROM outhook_summary; DELETE FROM outhook_summary_slot")
			require.NoError(t, err)
			s := riverengine.NewSQLiteStore(db)
			return storetest.HistoryStore{Store: s, Enforce: enforce(t, s, r)}
		})
	})
}
