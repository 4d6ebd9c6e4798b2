package riverengine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// oldArgs are a delivery job's arguments as a release before event rows
// wrote them: the event in the job.
type oldArgs struct {
	DeliveryID string    `json:"delivery_id"`
	WebhookID  string    `json:"webhook_id"`
	Event      string    `json:"event"`
	Created    time.Time `json:"created"`
}

func (oldArgs) Kind() string { return riverengine.JobKind }

// A database an earlier release migrated (Outhook's steps before the
// summary counters and event rows; 005 on SQLite), holding dead letters
// and a delivery job queued by that release, carrying its event: Migrate
// brings it up to date, the job is delivered under its delivery id, and
// the summary counts the dead letters kept before.
func TestMigrateFromAnEarlierReleaseWithRowsInIt(t *testing.T) {
	ctx := context.Background()
	upTo := map[string]int{"postgres": 6, "sqlite": 5}
	run := func(t *testing.T, dialect string, exec func(q string, args ...any) error, insertJob func(oldArgs) error,
		migrate func() error, newEngine func() (*riverengine.Engine, error)) {
		require.NoError(t, exec(`CREATE TABLE outhook_migration (version integer PRIMARY KEY, name text NOT NULL, applied_at text)`))
		entries, err := os.ReadDir(filepath.Join("migrations", dialect))
		require.NoError(t, err)
		for _, e := range entries {
			var v int
			_, err := fmt.Sscanf(e.Name(), "%d_", &v)
			require.NoError(t, err)
			if v > upTo[dialect] {
				continue
			}
			b, err := os.ReadFile(filepath.Join("migrations", dialect, e.Name()))
			require.NoError(t, err)
			require.NoError(t, exec(string(b)))
			require.NoError(t, exec(fmt.Sprintf("INSERT INTO outhook_migration (version, name) VALUES (%d, '%s')", v, strings.TrimSuffix(e.Name(), ".sql"))))
		}
		for i := range 2 {
			require.NoError(t, exec(fmt.Sprintf(`INSERT INTO outhook_dead_letter (delivery_id, tenant, webhook_id, outcome, reason, attempts, failed_at, event)
				VALUES ('d%d', 't', 'w', 'failed', '503', 3, %s, '{"event_type":"test.event","event_time":1773134100,"event_id":"e-1","data":{}}')`,
				i, map[string]string{"postgres": "now()", "sqlite": fmt.Sprint(time.Now().UnixNano())}[dialect])))
		}
		ev := newEvent(t, 7)
		require.NoError(t, insertJob(oldArgs{DeliveryID: "old-1", WebhookID: "hook", Event: string(ev.JSON()), Created: time.Now()}))

		require.NoError(t, migrate())
		eng, err := newEngine()
		require.NoError(t, err)
		rc := newReceiver(t, 0, nil)
		d, err := webhook.New(dispatcherOptions(eng)...)
		require.NoError(t, err)
		closeDispatcher(t, d)
		_, err = d.Add(hook("hook", rc.URL))
		require.NoError(t, err)
		eventually(t, 10*time.Second, "the earlier release's job", func() bool { n, _ := rc.pairs(); return n == 1 })
		require.Equal(t, []string{"old-1"}, rc.snapshot()["hook e-7"])
		since := time.Now().Add(-time.Hour)
		sc, err := eng.Store().SummaryCounts(ctx, "t", []string{"w"}, since)
		require.NoError(t, err)
		require.EqualValues(t, 2, sc[0].DeadLetters)
		_, err = eng.Store().TakeDeadLetterFor(ctx, "t", "d0")
		require.NoError(t, err)
		sc, err = eng.Store().SummaryCounts(ctx, "t", []string{"w"}, since)
		require.NoError(t, err)
		require.EqualValues(t, 1, sc[0].DeadLetters)
	}
	opts := &river.InsertOpts{Queue: riverengine.DefaultQueue, MaxAttempts: 32767}
	t.Run("postgres", func(t *testing.T) {
		pool := newPool(t, needPostgres(t))
		m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
		require.NoError(t, err)
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		require.NoError(t, err)
		client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
		require.NoError(t, err)
		run(t, "postgres",
			func(q string, args ...any) error { _, err := pool.Exec(ctx, q, args...); return err },
			func(a oldArgs) error { _, err := client.Insert(ctx, a, opts); return err },
			func() error { return riverengine.Migrate(ctx, pool) },
			func() (*riverengine.Engine, error) {
				return riverengine.New(ctx, pool, riverengine.WithPollInterval(50*time.Millisecond))
			})
	})
	t.Run("sqlite", func(t *testing.T) {
		db := openSQLite(t, filepath.Join(t.TempDir(), "outhook.db"))
		m, err := rivermigrate.New(riversqlite.New(db), nil)
		require.NoError(t, err)
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		require.NoError(t, err)
		client, err := river.NewClient(riversqlite.New(db), &river.Config{})
		require.NoError(t, err)
		run(t, "sqlite",
			func(q string, args ...any) error { _, err := db.ExecContext(ctx, q, args...); return err },
			func(a oldArgs) error { _, err := client.Insert(ctx, a, opts); return err },
			func() error { return riverengine.MigrateSQLite(ctx, db) },
			func() (*riverengine.Engine, error) {
				return riverengine.NewSQLite(ctx, db, riverengine.WithPollInterval(50*time.Millisecond))
			})
	})
}
