package riverengine_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// TestEraseByEventReachesOperationalEvents publishes, with operational
// events published, an event whose delivery dead-letters: the
// WebhookDeadLettered about it names its id, and that event's records,
// dead letter and queued retry hold it. Erasing the event's id must reach
// them too, on both databases, and leave another event's as they were:
// nothing of the id is left in the records, dead letters, queued jobs or
// summaries (the erasures' own log names it by design), nor in what the
// tenant's API returns.
func TestEraseByEventReachesOperationalEvents(t *testing.T) {
	ctx := context.Background()
	type database struct {
		eng *riverengine.Engine
		// holding counts, per table, the rows whose text holds s.
		holding func(s string) map[string]int
	}
	open := map[string]func(t *testing.T) database{
		"postgres": func(t *testing.T) database {
			pool := newPool(t, needPostgres(t))
			require.NoError(t, riverengine.Migrate(ctx, pool))
			eng, err := riverengine.New(ctx, pool, riverengine.WithPollInterval(20*time.Millisecond))
			require.NoError(t, err)
			return database{eng: eng, holding: func(s string) map[string]int {
				out := map[string]int{}
				for table, q := range map[string]string{
					"records":      "SELECT count(*) FROM outhook_invocation WHERE strpos(record::text, $1) > 0",
					"dead letters": "SELECT count(*) FROM outhook_dead_letter WHERE strpos(event, $1) > 0",
					"queued jobs": `SELECT count(*) FROM river_job j LEFT JOIN outhook_event e ON e.id = (j.args->>'event_ref')::bigint
						WHERE j.state IN ('available', 'pending', 'retryable', 'scheduled') AND strpos(j.args::text || coalesce(e.event, ''), $1) > 0`,
					"summaries": "SELECT count(*) FROM outhook_summary WHERE strpos(last_reason, $1) > 0",
				} {
					var n int
					require.NoError(t, pool.QueryRow(ctx, q, s).Scan(&n), table)
					out[table] = n
				}
				return out
			}}
		},
		"sqlite": func(t *testing.T) database {
			db := openSQLite(t, filepath.Join(t.TempDir(), "erase.db"))
			require.NoError(t, riverengine.MigrateSQLite(ctx, db))
			eng, err := riverengine.NewSQLite(ctx, db, riverengine.WithPollInterval(20*time.Millisecond))
			require.NoError(t, err)
			return database{eng: eng, holding: func(s string) map[string]int {
				return sqliteHolding(t, db, s)
			}}
		},
	}
	for name, open := range open {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			rcv := newBodyReceiver(t, func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) })
			d, err := webhook.New(dispatcherOptions(db.eng,
				webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}),
				webhook.WithBreaker(webhook.BreakerSettings{Threshold: -1}),
				// Every dead letter told, not one per webhook per 15m.
				webhook.WithOperationalEvents(webhook.OperationalSettings{Publish: true, DeadLetterEvery: time.Nanosecond}),
			)...)
			require.NoError(t, err)
			closeDispatcher(t, d)
			acme := d.Tenant("acme")
			_, err = acme.Create(ctx, hook("dead", rcv.URL), "alice")
			require.NoError(t, err)
			// admin's delivery of each operational event waits an hour for
			// its next attempt; admin-dead's dead-letters.
			admin := hook("admin", rcv.URL)
			admin.Triggers = []event.Trigger{operational.DeadLettered}
			admin.Delivery = &webhook.DeliverySettings{Retry: &webhook.RetryPolicy{
				MaxAttempts: 3, InitialInterval: webhook.Duration(time.Hour), MaxInterval: webhook.Duration(time.Hour), MaxElapsed: webhook.Duration(3 * time.Hour),
			}}
			_, err = acme.Create(ctx, admin, "alice")
			require.NoError(t, err)
			adminDead := hook("admin-dead", rcv.URL)
			adminDead.Triggers = []event.Trigger{operational.DeadLettered}
			_, err = acme.Create(ctx, adminDead, "alice")
			require.NoError(t, err)

			// The kept event first, so that the erased one's records are
			// each webhook's last, which the summary must then forget.
			want := map[string]int{"records": 3, "dead letters": 2, "queued jobs": 1, "summaries": 0}
			for _, id := range []string{"e-keep", "e-erase"} {
				e, err := event.New(testEvent, map[string]any{"n": 1}, event.WithID(id))
				require.NoError(t, err)
				_, err = acme.Publish(ctx, e)
				require.NoError(t, err)
				eventually(t, 10*time.Second, id+"'s operational event delivered", func() bool {
					got := db.holding(id)
					return got["records"] == want["records"] && got["dead letters"] == want["dead letters"] && got["queued jobs"] == want["queued jobs"]
				})
			}
			require.Equal(t, want, db.holding("e-erase"))

			er, err := acme.Erase(ctx, webhook.EraseSelector{EventID: "e-erase"}, "dpo")
			require.NoError(t, err)
			require.EqualValues(t, 3, er.Invocations, "dead's, and admin's and admin-dead's of the operational event")
			require.EqualValues(t, 2, er.DeadLetters, "dead's, and admin-dead's of the operational event")
			require.EqualValues(t, 1, er.Deliveries, "admin's retry of the operational event")
			require.Equal(t, map[string]int{"records": 0, "dead letters": 0, "queued jobs": 0, "summaries": 0}, db.holding("e-erase"))
			require.Equal(t, want, db.holding("e-keep"), "another event's are kept")

			// The tenant's API: its records and dead letters, and each
			// webhook's last outcome that of its latest record kept.
			invs, err := acme.Invocations(ctx, webhook.InvocationQuery{Limit: 100})
			require.NoError(t, err)
			require.Len(t, invs.Invocations, 3)
			latest := map[string]webhook.Invocation{}
			for _, inv := range invs.Invocations {
				b, err := json.Marshal(inv)
				require.NoError(t, err)
				require.NotContains(t, string(b), "e-erase")
				if l, ok := latest[inv.WebhookID]; !ok || inv.StartedAt.After(l.StartedAt) {
					latest[inv.WebhookID] = inv
				}
			}
			dls, err := acme.DeadLetters(ctx, webhook.DeadLetterQuery{Limit: 100})
			require.NoError(t, err)
			require.Len(t, dls.DeadLetters, 2)
			for _, dl := range dls.DeadLetters {
				require.NotContains(t, string(dl.Event.JSON()), "e-erase")
			}
			for _, id := range []string{"dead", "admin", "admin-dead"} {
				sum, err := acme.Summary(ctx, id)
				require.NoError(t, err)
				require.Equal(t, latest[id].Outcome, sum.LastOutcome, id)
				require.True(t, sum.LastAt.Equal(latest[id].StartedAt), "%s: last at %s, latest record kept at %s", id, sum.LastAt, latest[id].StartedAt)
			}
		})
	}
}

// sqliteHolding counts, per table of the SQLite database, the rows whose
// text holds s.
func sqliteHolding(t *testing.T, db *sql.DB, s string) map[string]int {
	out := map[string]int{}
	for table, q := range map[string]string{
		"records":      "SELECT count(*) FROM outhook_invocation WHERE instr(record, ?) > 0",
		"dead letters": "SELECT count(*) FROM outhook_dead_letter WHERE instr(event, ?) > 0",
		"queued jobs":  "SELECT count(*) FROM river_job WHERE state IN ('available', 'pending', 'retryable', 'scheduled') AND instr(json(args), ?) > 0",
		"summaries":    "SELECT count(*) FROM outhook_summary WHERE instr(last_reason, ?) > 0",
	} {
		var n int
		require.NoError(t, db.QueryRowContext(context.Background(), q, s).Scan(&n), table)
		out[table] = n
	}
	return out
}

// TestEraseByEventUsesTheTenantsIndex: erasing by event id on PostgreSQL
// reads the tenant's records and dead letters through its index, the
// conditions on the events about the id included, never the whole table.
func TestEraseByEventUsesTheTenantsIndex(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, needPostgres(t))
	require.NoError(t, riverengine.Migrate(ctx, pool))
	// Every fifth dead letter is an operational event about another.
	_, err := pool.Exec(ctx, `INSERT INTO outhook_dead_letter (delivery_id, tenant, webhook_id, outcome, reason, attempts, failed_at, event)
		SELECT 'd' || i, 't' || (i % 20), 'w' || (i % 7), 'failed', '', 1, timestamptz '2026-03-10' + i * interval '1 second',
			CASE WHEN i % 5 = 0 THEN '{"event_type":"WebhookDeadLettered","event_id":"op-' || i || '","data":{"dead_letter":{"event_id":"e-' || (i - 1) || '"}}}'
			ELSE '{"event_type":"test.event","event_id":"e-' || i || '","data":{}}' END
		FROM generate_series(1, 50000) i`)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `INSERT INTO outhook_invocation (id, tenant, delivery_id, webhook_id, outcome, started_at, record)
		SELECT 'r' || i, 't' || (i % 20), 'd' || i, 'w' || (i % 7), 'failed', timestamptz '2026-03-10' + i * interval '1 second',
			jsonb_build_object('event_id', 'e-' || i, 'subject_event_id', CASE WHEN i % 5 = 0 THEN 'e-' || (i - 1) END)
		FROM generate_series(1, 50000) i`)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, "ANALYZE outhook_dead_letter; ANALYZE outhook_invocation")
	require.NoError(t, err)
	records, deadLetters, args := riverengine.PGEraseByEventSQL("t4", "e-4")
	for _, tc := range []struct{ table, q string }{
		{"outhook_invocation", records},
		{"outhook_dead_letter", deadLetters},
	} {
		rows, err := pool.Query(ctx, "EXPLAIN "+tc.q, args...)
		require.NoError(t, err)
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		plan := strings.Join(lines, "\n")
		require.Regexp(t, `Index (Only )?Scan (on|using) `+tc.table+`_tenant`, plan)
		require.NotContains(t, plan, "Seq Scan on "+tc.table, plan)
	}
}

// TestEraseByEventReachesDeadLettersAboutAnIDWithNUL: the dead letter of
// a WebhookDeadLettered about an event whose id holds a NUL (which
// PostgreSQL reads in Go, not as JSON) is erased with the event's, and
// one about another id is kept.
func TestEraseByEventReachesDeadLettersAboutAnIDWithNUL(t *testing.T) {
	ctx := context.Background()
	stores := map[string]func(t *testing.T) *riverengine.Store{
		"postgres": func(t *testing.T) *riverengine.Store {
			pool := newPool(t, needPostgres(t))
			require.NoError(t, riverengine.Migrate(ctx, pool))
			return riverengine.NewStore(pool)
		},
		"sqlite": func(t *testing.T) *riverengine.Store {
			db := openSQLite(t, filepath.Join(t.TempDir(), "nul.db"))
			require.NoError(t, riverengine.MigrateSQLite(ctx, db))
			return riverengine.NewSQLiteStore(db)
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			at := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
			for i, about := range []string{"e-\x00ada", "e-\x00kept"} {
				e, err := event.New(operational.DeadLettered, map[string]any{"dead_letter": map[string]any{"event_id": about}},
					event.WithID(fmt.Sprint("op-", i)))
				require.NoError(t, err)
				require.NoError(t, s.AddDeadLetter(ctx, webhook.DeadLetter{
					DeliveryID: fmt.Sprint("d-", i), Tenant: "acme", WebhookID: "admin", Event: e, Outcome: webhook.Failed, FailedAt: at,
				}))
			}
			er, err := s.Erase(ctx, webhook.Erasure{ID: "er-1", Tenant: "acme", EraseSelector: webhook.EraseSelector{EventID: "e-\x00ada"}, Actor: "dpo", At: at})
			require.NoError(t, err)
			require.EqualValues(t, 1, er.DeadLetters)
			left, err := s.QueryDeadLetters(ctx, "acme", webhook.DeadLetterQuery{Limit: 10})
			require.NoError(t, err)
			require.Len(t, left.DeadLetters, 1)
			require.Equal(t, "op-1", left.DeadLetters[0].Event.ID())
		})
	}
}
