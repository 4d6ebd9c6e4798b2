package riverengine_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outhook/outhook/riverengine"
)

// BenchmarkDeliveriesSQLite measures sustained durable deliveries per
// second on SQLite, 16 publishers at once, to a loopback receiver: the
// engine (200 workers, and a webhook of concurrency 200, as
// BenchmarkDeliveries) beside its anchor, the same durable work written
// by hand on one connection with statements prepared once: each delivery
// a job row inserted in a commit of its own, fetched a batch at a time
// (marked running), posted, and its record written with its completion in
// one commit.
//
//	go test -run '^$' -bench DeliveriesSQLite -benchtime 5000x
func BenchmarkDeliveriesSQLite(b *testing.B) {
	b.Run("anchor=hand-written", func(b *testing.B) {
		// Its statements are prepared by hand: no ReuseStatements.
		db, err := sql.Open("sqlite", sqliteDSN(filepath.Join(b.TempDir(), "hand.db")))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = db.Close() })
		db.SetMaxOpenConns(1)
		benchHandSQLite(b, db)
	})
	b.Run("engine=river-sqlite", func(b *testing.B) {
		_, eng := newSQLiteEngine(b, riverengine.WithWorkers(200))
		benchDeliveries(b, eng)
	})
}

func benchHandSQLite(b *testing.B, db *sql.DB) {
	ctx := context.Background()
	for _, q := range []string{
		`CREATE TABLE job (id INTEGER PRIMARY KEY, state TEXT NOT NULL, args TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)`,
		`CREATE INDEX job_state ON job (state, id)`,
		`CREATE TABLE record (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, delivery_id TEXT NOT NULL, webhook_id TEXT NOT NULL,
			outcome TEXT NOT NULL, started_at INTEGER NOT NULL, record TEXT NOT NULL)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	prepare := func(q string) *sql.Stmt {
		s, err := db.PrepareContext(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		return s
	}
	insert := prepare(`INSERT INTO job (state, args) VALUES ('available', ?)`)
	fetch := prepare(`UPDATE job SET state = 'running', attempts = attempts + 1
		WHERE id IN (SELECT id FROM job WHERE state = 'available' ORDER BY id LIMIT ?) RETURNING id, args`)
	record := prepare(`INSERT INTO record (id, delivery_id, webhook_id, outcome, started_at, record) VALUES (?, ?, ?, 'delivered', ?, ?)`)
	complete := prepare(`UPDATE job SET state = 'completed' WHERE id = ?`)

	rc := newReceiver(b, 0, nil)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200}}
	ev := newEvent(b, 1)
	args := fmt.Sprintf(`{"delivery_id":"d","webhook_id":"bench","event":%q}`, ev.JSON())
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
				start := time.Now()
				resp, err := client.Post(rc.URL+"/bench", "application/json", strings.NewReader(string(ev.JSON())))
				if err != nil {
					b.Error(err)
					return
				}
				resp.Body.Close()
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					b.Error(err)
					return
				}
				rec := fmt.Sprintf(`{"id":"i-%d","delivery_id":"d-%d","status":%d,"took":%d}`, j.id, j.id, resp.StatusCode, time.Since(start))
				if _, err := tx.StmtContext(ctx, record).ExecContext(ctx, fmt.Sprint("i-", j.id), fmt.Sprint("d-", j.id), "bench", start.UnixNano(), rec); err != nil {
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
