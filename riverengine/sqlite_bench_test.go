package riverengine_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// BenchmarkDeliveriesSQLite measures sustained durable deliveries per
// second on SQLite, 16 publishers at once, to a loopback receiver: the
// engine (200 workers, and a webhook of concurrency 200, as
// BenchmarkDeliveries) beside its anchor, the same durable work written
// by hand on River's schema (river_job as River's migrations make it, and
// outhook_invocation with its summary trigger, as MigrateSQLite makes
// them) on one connection with statements prepared once: each delivery a
// job row inserted in a commit of its own, fetched a batch at a time by
// River's fetch index (marked running), its event decoded from the job
// and posted, and its record written with its completion in one commit.
// The reference is the first anchor, kept for comparison with earlier
// figures: the same steps on a table of its own, two columns and one
// index, posting the event it holds in memory.
//
//	go test -run '^$' -bench DeliveriesSQLite -benchtime 10000x
func BenchmarkDeliveriesSQLite(b *testing.B) {
	b.Run("anchor=hand-written", func(b *testing.B) {
		db := openHandSQLite(b)
		if err := riverengine.MigrateSQLite(context.Background(), db); err != nil {
			b.Fatal(err)
		}
		benchHandSQLite(b, db, riverSchemaSQL())
	})
	b.Run("reference=hand-written-own-table", func(b *testing.B) {
		benchHandSQLite(b, openHandSQLite(b), ownTableSQL())
	})
	b.Run("engine=river-sqlite", func(b *testing.B) {
		_, eng := newSQLiteEngine(b, riverengine.WithWorkers(200))
		benchDeliveries(b, eng)
	})
}

// openHandSQLite opens a new database for a hand-written anchor, whose
// statements are prepared by hand: no ReuseStatements.
func openHandSQLite(b *testing.B) *sql.DB {
	db, err := sql.Open("sqlite", sqliteDSN(filepath.Join(b.TempDir(), "hand.db")))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(1)
	return db
}

// handSQL is the SQL of a hand-written anchor: the statements run once
// to make its tables, and its four prepared statements. insert takes the
// job's arguments; fetch the most jobs to take, returning their ids and
// arguments; complete a job's id; record an invocation's id, delivery
// id, webhook id, start (Unix nanoseconds) and JSON.
type handSQL struct {
	setup                           []string
	insert, fetch, complete, record string
	// engineWork: the job carries the arguments the engine gives it, a
	// fresh delivery id each, which the worker decodes to post the event,
	// and the record is the JSON the engine writes; otherwise (the first
	// anchor) every job has the same short arguments, the worker posts
	// the event it holds, and the record is a short JSON.
	engineWork bool
}

// riverSchemaSQL is a minimal queue on River's SQLite schema, with the
// columns River's insert sets and the fetch and completion River's
// driver makes, by its index river_job_prioritized_fetching_index.
func riverSchemaSQL() handSQL {
	return handSQL{
		insert: `INSERT INTO river_job (args, created_at, kind, max_attempts, priority, queue, scheduled_at, state)
			VALUES (jsonb(?), datetime('now', 'subsec'), '` + riverengine.JobKind + `', 25, 1, '` + riverengine.DefaultQueue + `', datetime('now', 'subsec'), 'available')`,
		fetch: `UPDATE river_job SET attempt = attempt + 1, attempted_at = datetime('now', 'subsec'), state = 'running'
			WHERE id IN (SELECT id FROM river_job
				WHERE priority >= 0 AND queue = '` + riverengine.DefaultQueue + `' AND scheduled_at <= datetime('now', 'subsec') AND state = 'available'
				ORDER BY priority, scheduled_at, id LIMIT ?)
			RETURNING id, json(args)`,
		complete: `UPDATE river_job SET state = 'completed', finalized_at = datetime('now', 'subsec') WHERE id = ? AND state = 'running'`,
		record: `INSERT INTO outhook_invocation (id, tenant, delivery_id, webhook_id, outcome, started_at, record)
			VALUES (?, '', ?, ?, 'delivered', ?, ?)`,
		engineWork: true,
	}
}

// ownTableSQL is the first anchor's: a table of its own.
func ownTableSQL() handSQL {
	return handSQL{
		setup: []string{
			`CREATE TABLE job (id INTEGER PRIMARY KEY, state TEXT NOT NULL, args TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)`,
			`CREATE INDEX job_state ON job (state, id)`,
			`CREATE TABLE record (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, delivery_id TEXT NOT NULL, webhook_id TEXT NOT NULL,
				outcome TEXT NOT NULL, started_at INTEGER NOT NULL, record TEXT NOT NULL)`,
		},
		insert: `INSERT INTO job (state, args) VALUES ('available', ?)`,
		fetch: `UPDATE job SET state = 'running', attempts = attempts + 1
			WHERE id IN (SELECT id FROM job WHERE state = 'available' ORDER BY id LIMIT ?) RETURNING id, args`,
		complete: `UPDATE job SET state = 'completed' WHERE id = ?`,
		record:   `INSERT INTO record (id, delivery_id, webhook_id, outcome, started_at, record) VALUES (?, ?, ?, 'delivered', ?, ?)`,
	}
}

func benchHandSQLite(b *testing.B, db *sql.DB, q handSQL) {
	ctx := context.Background()
	for _, s := range q.setup {
		if _, err := db.ExecContext(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	prepare := func(s string) *sql.Stmt {
		st, err := db.PrepareContext(ctx, s)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = st.Close() })
		return st
	}
	insert, fetch, complete, record := prepare(q.insert), prepare(q.fetch), prepare(q.complete), prepare(q.record)

	rc := newReceiver(b, 0, nil)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200}}
	ev := newEvent(b, 1)
	// The arguments the engine gives a job of this delivery.
	type jobArgs struct {
		DeliveryID string    `json:"delivery_id"`
		WebhookID  string    `json:"webhook_id"`
		Event      string    `json:"event"`
		Created    time.Time `json:"created"`
	}
	fixedArgs := fmt.Sprintf(`{"delivery_id":"d","webhook_id":"bench","event":%q}`, ev.JSON())
	want := int64(b.N)
	var delivered atomic.Int64
	done := make(chan struct{})
	type job struct {
		id   int64
		args string
	}
	jobs := make(chan job, 200)
	var workers sync.WaitGroup
	for range 200 {
		workers.Go(func() {
			for j := range jobs {
				a := jobArgs{DeliveryID: fmt.Sprint("d-", j.id), WebhookID: "bench", Event: string(ev.JSON())}
				if q.engineWork {
					if err := json.Unmarshal([]byte(j.args), &a); err != nil {
						b.Error(err)
						return
					}
				}
				start := time.Now()
				url := rc.URL + "/" + a.WebhookID
				resp, err := client.Post(url, "application/json", strings.NewReader(a.Event))
				if err != nil {
					b.Error(err)
					return
				}
				resp.Body.Close()
				rec := fmt.Appendf(nil, `{"id":"i-%d","delivery_id":"d-%d","status":%d,"took":%d}`, j.id, j.id, resp.StatusCode, time.Since(start))
				inv := webhook.Invocation{ID: fmt.Sprint("i-", j.id), DeliveryID: a.DeliveryID, WebhookID: a.WebhookID, WebhookName: a.WebhookID,
					EventType: testEvent, EventID: ev.ID(), Attempt: 1, Outcome: webhook.Delivered,
					Request:   &webhook.RecordedRequest{Method: http.MethodPost, URL: url, Header: http.Header{}, Body: a.Event},
					Response:  &webhook.RecordedResponse{StatusCode: resp.StatusCode, Header: resp.Header},
					StartedAt: start, Duration: time.Since(start)}
				if q.engineWork {
					if rec, err = json.Marshal(&inv); err != nil {
						b.Error(err)
						return
					}
				}
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					b.Error(err)
					return
				}
				if _, err := tx.StmtContext(ctx, record).ExecContext(ctx, inv.ID, inv.DeliveryID, inv.WebhookID, start.UnixNano(), string(rec)); err != nil {
					b.Error(err)
				}
				if _, err := tx.StmtContext(ctx, complete).ExecContext(ctx, j.id); err != nil {
					b.Error(err)
				}
				if err := tx.Commit(); err != nil {
					b.Error(err)
				}
				if delivered.Add(1) == want {
					close(done)
				}
			}
		})
	}
	stop := make(chan struct{})
	var fetcher sync.WaitGroup
	fetcher.Go(func() { // fetches what the workers have room for
		defer close(jobs)
		for {
			select {
			case <-stop:
				return
			default:
			}
			room := cap(jobs) - len(jobs)
			var got []job
			if room > 0 {
				rows, err := fetch.QueryContext(ctx, room)
				if err != nil {
					b.Error(err)
					return
				}
				for rows.Next() {
					var j job
					if err := rows.Scan(&j.id, &j.args); err != nil {
						b.Error(err)
					}
					got = append(got, j)
				}
				rows.Close()
			}
			for _, j := range got {
				jobs <- j
			}
			if len(got) == 0 {
				time.Sleep(time.Millisecond) // as a fetch cooldown
			}
		}
	})
	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var pubs sync.WaitGroup
	for range 16 {
		pubs.Go(func() {
			for n := next.Add(1); n <= want; n = next.Add(1) {
				args := fixedArgs
				if q.engineWork {
					a, err := json.Marshal(jobArgs{DeliveryID: fmt.Sprint("d-", n), WebhookID: "bench", Event: string(ev.JSON()), Created: time.Now()})
					if err != nil {
						b.Error(err)
						return
					}
					args = string(a)
				}
				if _, err := insert.ExecContext(ctx, args); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	pubs.Wait()
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("only %d of %d delivered", delivered.Load(), want)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
	b.StopTimer()
	close(stop)
	fetcher.Wait()
	workers.Wait()
}

// BenchmarkSQLitePublishTx measures publishing one event to 1 and 10
// matching webhooks in the caller's transaction on SQLite, commit
// included, on a publish-only engine: the transaction of the engine's own
// *sql.DB (through ReuseStatements, as the README says) and of the
// application's own plain handle on the same file.
//
//	go test -run '^$' -bench SQLitePublishTx -benchtime 5000x
func BenchmarkSQLitePublishTx(b *testing.B) {
	for _, handle := range []string{"engine", "application"} {
		for _, n := range []int{1, 10} {
			b.Run(fmt.Sprintf("tx=%s/hooks=%d", handle, n), func(b *testing.B) {
				path := filepath.Join(b.TempDir(), "outhook.db")
				db := openSQLite(b, path)
				ctx := context.Background()
				if err := riverengine.MigrateSQLite(ctx, db); err != nil {
					b.Fatal(err)
				}
				eng, err := riverengine.NewSQLite(ctx, db, riverengine.WithPublishOnly())
				if err != nil {
					b.Fatal(err)
				}
				d, err := webhook.New(dispatcherOptions(eng)...)
				if err != nil {
					b.Fatal(err)
				}
				defer d.Close(ctx)
				for i := range n {
					if _, err := d.Add(hook(fmt.Sprintf("hook%d", i), "http://127.0.0.1:1")); err != nil {
						b.Fatal(err)
					}
				}
				txDB := db
				if handle == "application" {
					if txDB, err = sql.Open("sqlite", sqliteDSN(path)); err != nil {
						b.Fatal(err)
					}
					defer txDB.Close()
				}
				ev := newEvent(b, 1)
				b.ReportAllocs()
				for b.Loop() {
					tx, err := txDB.BeginTx(ctx, nil)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := d.PublishTx(ctx, tx, ev); err != nil {
						b.Fatal(err)
					}
					if err := tx.Commit(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
