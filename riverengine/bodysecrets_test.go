package riverengine_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/presets"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// TestPagerDutyRoutingKeyIsNowhereInTheDatabase delivers through
// presets.PagerDuty with the engine's store and the SQL definition store,
// then reads every row of every table: the key must be in none, in clear
// or hex-encoded, though the receiver got it. (An event that quotes the
// key is kept whole in the delivery's job: that is the event's data.)
func TestPagerDutyRoutingKeyIsNowhereInTheDatabase(t *testing.T) {
	const key = "R0UT1NGKEY0123456789abcdefABCDEF"
	run := func(t *testing.T, eng *riverengine.Engine, defs defstore.Store, dump func() string) {
		var mu sync.Mutex
		var got []string
		rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			got = append(got, string(body))
			mu.Unlock()
			_, _ = w.Write(body) // echoed: the response is recorded too
		}))
		t.Cleanup(rc.Close)
		d, err := webhook.New(dispatcherOptions(eng, webhook.WithDefinitionStore(defs), webhook.WithKeyring(testKeyring(t)))...)
		require.NoError(t, err)
		closeDispatcher(t, d)
		acme := d.Tenant("acme")
		w, err := presets.PagerDuty("https://events.pagerduty.com/v2/enqueue", key, presets.WithBaseURL(rc.URL))
		require.NoError(t, err)
		_, err = acme.Create(context.Background(), w, "alice@acme.example")
		require.NoError(t, err)

		e, _ := accessrequest.Mock(accessrequest.Created)
		_, err = acme.Publish(context.Background(), e)
		require.NoError(t, err)
		eventually(t, 30*time.Second, "the delivery's record", func() bool {
			page, err := acme.Invocations(context.Background(), webhook.InvocationQuery{})
			return err == nil && len(page.Invocations) == 1 && page.Invocations[0].Outcome == webhook.Delivered
		})
		mu.Lock()
		require.Len(t, got, 1)
		require.Contains(t, got[0], `"routing_key": "`+key+`"`)
		mu.Unlock()

		rows := dump()
		require.Contains(t, rows, "REDACTED", "the record's bodies are in the dump")
		for _, form := range []string{key, hex.EncodeToString([]byte(key))} {
			require.NotContains(t, rows, form)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		db, eng := newSQLiteEngine(t)
		run(t, eng, riverengine.NewSQLiteDefinitionStore(db), func() string { return dumpSQLite(t, db) })
	})
	t.Run("postgres", func(t *testing.T) {
		pool, eng := newPostgresEngine(t, needPostgres(t))
		run(t, eng, riverengine.NewDefinitionStore(pool), func() string { return dumpPostgres(t, pool) })
	})
}

// dumpSQLite returns every row of every table of db as text.
func dumpSQLite(t *testing.T, db *sql.DB) string {
	t.Helper()
	var tables []string
	rows, err := db.Query("SELECT name FROM sqlite_master WHERE type = 'table'")
	require.NoError(t, err)
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		tables = append(tables, name)
	}
	require.NoError(t, rows.Err())
	var b strings.Builder
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		require.NoError(t, err)
		cols, err := rows.Columns()
		require.NoError(t, err)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%s: %v\n", table, v)
			}
		}
		require.NoError(t, rows.Err())
	}
	return b.String()
}

// dumpPostgres returns every row of every table of the public schema as
// PostgreSQL's text form of the row (bytea in hex).
func dumpPostgres(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
	require.NoError(t, err)
	var tables []string
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		tables = append(tables, name)
	}
	require.NoError(t, rows.Err())
	var b strings.Builder
	for _, table := range tables {
		rows, err := pool.Query(ctx, `SELECT r::text FROM "`+table+`" AS r`)
		require.NoError(t, err)
		for rows.Next() {
			var row string
			require.NoError(t, rows.Scan(&row))
			fmt.Fprintf(&b, "%s: %s\n", table, row)
		}
		require.NoError(t, rows.Err())
	}
	return b.String()
}
