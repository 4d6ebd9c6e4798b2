package riverengine_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// An operator who resets the breaker of a tenant's fixed endpoint sees
// the deliveries it held go now, not an hour later when the cool-down
// ends, whichever instance holds them; another tenant's webhook with the
// same id, whose breaker is open too, keeps its held delivery.
func TestResetBreakerWakesHeldJobs(t *testing.T) {
	for _, db := range []string{"postgres", "sqlite"} {
		t.Run(db, func(t *testing.T) {
			var eng *riverengine.Engine
			var heldKeys func() []string // the webhooks with a job due in over ten minutes
			switch db {
			case "postgres":
				p, e := newPostgresEngine(t, needPostgres(t))
				eng = e
				heldKeys = func() []string {
					rows, err := p.Query(context.Background(), `SELECT args->>'webhook_id' FROM river_job
						WHERE state NOT IN ('completed', 'cancelled', 'discarded') AND scheduled_at > now() + interval '10 minutes' ORDER BY 1`)
					require.NoError(t, err)
					defer rows.Close()
					var keys []string
					for rows.Next() {
						var k string
						require.NoError(t, rows.Scan(&k))
						keys = append(keys, k)
					}
					require.NoError(t, rows.Err())
					return keys
				}
			case "sqlite":
				s, e := newSQLiteEngine(t)
				eng = e
				heldKeys = func() []string { return sqliteHeldKeys(t, s) }
			}
			r := newReceiver(t, 0, func(_, eventID string, _ int) int {
				if eventID == "e-1" {
					return 500
				}
				return 200
			})
			opened := make(chan string, 4)
			d, err := webhook.New(dispatcherOptions(eng,
				webhook.WithBreaker(webhook.BreakerSettings{Threshold: 1, Cooldown: time.Hour}),
				webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1, MaxElapsed: webhook.Duration(2 * time.Hour)}),
				webhook.WithTenantBreakerHook(func(tenant, _ string, _, to webhook.BreakerState) {
					if to == webhook.BreakerOpen {
						opened <- tenant
					}
				}))...)
			require.NoError(t, err)
			closeDispatcher(t, d)
			ctx := context.Background()
			tenants := []string{"acme", "zeta"}
			for _, ten := range tenants {
				_, err := d.Tenant(ten).Create(ctx, webhook.Webhook{ID: "hook", Name: "hook", Active: true, URL: r.URL + "/" + ten, Triggers: []event.Trigger{testEvent}}, "")
				require.NoError(t, err)
				_, err = d.Tenant(ten).Publish(ctx, newEvent(t, 1))
				require.NoError(t, err)
			}
			for range tenants {
				select {
				case <-opened:
				case <-time.After(30 * time.Second):
					t.Fatal("a breaker did not open")
				}
			}
			// More held than a step of WakeHeld wakes: woken in steps.
			riverengine.SetWakeBatch(t, 2)
			for _, ten := range tenants {
				for i := 2; i <= 6; i++ {
					_, err := d.Tenant(ten).Publish(ctx, newEvent(t, i))
					require.NoError(t, err)
				}
			}
			eventually(t, 30*time.Second, "every delivery held by the open breakers", func() bool { return len(heldKeys()) == 10 })

			require.NoError(t, d.Tenant("acme").ResetBreaker("hook"))
			eventually(t, 10*time.Second, "acme's held deliveries sent after the reset", func() bool {
				got := r.snapshot()
				for i := 2; i <= 6; i++ {
					if len(got[fmt.Sprintf("acme e-%d", i)]) != 1 {
						return false
					}
				}
				return true
			})
			keys := heldKeys()
			require.Len(t, keys, 5)
			for _, k := range keys {
				require.True(t, strings.Contains(k, "zeta"), k)
			}
			require.Empty(t, r.snapshot()["zeta e-2"])
		})
	}
}

func sqliteHeldKeys(t *testing.T, db *sql.DB) []string {
	rows, err := db.Query(`SELECT json_extract(args, '$.webhook_id') FROM river_job
		WHERE state NOT IN ('completed', 'cancelled', 'discarded') AND julianday(scheduled_at) > julianday('now', '+10 minutes') ORDER BY 1`)
	require.NoError(t, err)
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		require.NoError(t, rows.Scan(&k))
		keys = append(keys, k)
	}
	require.NoError(t, rows.Err())
	return keys
}

// A held delivery whose snooze has run out, but which River's scheduler
// has not made available yet (it looks every few seconds), is woken by
// WakeHeld as one still waiting is: due now, and counted.
func TestWakeHeldWakesASnoozePastDue(t *testing.T) {
	for _, db := range []string{"postgres", "sqlite"} {
		t.Run(db, func(t *testing.T) {
			ctx := context.Background()
			var eng *riverengine.Engine
			var exec func(q string, args ...any)
			var state func() string
			switch db {
			case "postgres":
				p, e := newPostgresEngine(t, needPostgres(t), riverengine.WithPublishOnly())
				eng = e
				exec = func(q string, args ...any) {
					_, err := p.Exec(ctx, strings.NewReplacer("PAST", "now() - interval '1 minute'", "FUTURE", "now() + interval '1 hour'", "?", "$1").Replace(q), args...)
					require.NoError(t, err)
				}
				state = func() string {
					var s string
					require.NoError(t, p.QueryRow(ctx, `SELECT state::text || CASE WHEN scheduled_at <= now() THEN ' due' ELSE '' END FROM river_job`).Scan(&s))
					return s
				}
			case "sqlite":
				s, e := newSQLiteEngine(t, riverengine.WithPublishOnly())
				eng = e
				exec = func(q string, args ...any) {
					_, err := s.ExecContext(ctx, strings.NewReplacer("PAST", "datetime('now', '-1 minute')", "FUTURE", "datetime('now', '+1 hour')").Replace(q), args...)
					require.NoError(t, err)
				}
				state = func() string {
					var st string
					require.NoError(t, s.QueryRowContext(ctx, `SELECT state || CASE WHEN julianday(scheduled_at) <= julianday('now') THEN ' due' ELSE '' END FROM river_job`).Scan(&st))
					return st
				}
			}
			require.NoError(t, eng.Start(idleRunner{}))
			t.Cleanup(func() { require.NoError(t, eng.Close(ctx)) })
			require.NoError(t, eng.Enqueue(ctx, nil, []*engine.Delivery{{ID: "d-1", WebhookID: "hook", Event: newEvent(t, 1), Created: time.Now()}}))
			for _, when := range []string{"PAST", "FUTURE"} {
				// As River leaves a snoozed job: scheduled, its snoozes counted.
				exec(`UPDATE river_job SET state = 'scheduled', scheduled_at = ` + when + `, metadata = '{"snoozes": 1}'`)
				n, err := eng.WakeHeld(ctx, "hook")
				require.NoError(t, err)
				require.Equal(t, 1, n, "snooze due %s", when)
				require.Equal(t, "available due", state())
			}
		})
	}
}
