package riverengine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/riverengine"
)

// BenchmarkDeliveriesPostgres measures sustained durable deliveries per
// second on PostgreSQL, 16 publishers at once, to a loopback receiver, in
// the same run: the engine as BenchmarkDeliveries runs it (200 workers, a
// webhook of concurrency 200), and its anchor, the same durable work
// written by hand on River's own API and schema: a River client of 200
// workers with the engine's fetch cooldown and poll interval, one job
// inserted per event, whose worker posts the event and inserts its
// invocation record, a plain row. The engine's sub-benchmark reports its
// rate as a fraction of the anchor's (x-anchor). Each reports the WAL its
// cluster wrote per delivery (WAL-B/delivery: the tests' own cluster, so
// only this run's writes) and the load average at its end (load1).
//
//	go test -run '^$' -bench DeliveriesPostgres -benchtime 10000x
//
// (-count runs each sub-benchmark n times in a row; run the command again
// instead, so that each engine run follows its anchor.)
func BenchmarkDeliveriesPostgres(b *testing.B) {
	var anchor float64
	b.Run("anchor=hand-written", func(b *testing.B) {
		pool := newPool(b, needPostgres(b))
		wal := walBytes(b, pool)
		anchor = benchHandPostgres(b, pool)
		b.ReportMetric(float64(walBytes(b, pool)-wal)/float64(b.N), "WAL-B/delivery")
		reportLoad(b)
	})
	b.Run("engine=river-postgres", func(b *testing.B) {
		pool, eng := newPostgresEngine(b, needPostgres(b), riverengine.WithWorkers(200))
		wal := walBytes(b, pool)
		rate := benchDeliveries(b, eng)
		b.ReportMetric(float64(walBytes(b, pool)-wal)/float64(b.N), "WAL-B/delivery")
		if anchor > 0 {
			b.ReportMetric(rate/anchor, "x-anchor")
		}
		reportLoad(b)
	})
}

// handArgs is the anchor's job: what a delivery must carry at least.
type handArgs struct {
	DeliveryID string          `json:"delivery_id"`
	WebhookID  string          `json:"webhook_id"`
	Event      json.RawMessage `json:"event"`
}

func (handArgs) Kind() string { return "hand_delivery" }

// handWorker posts a job's event and writes its invocation record.
type handWorker struct {
	river.WorkerDefaults[handArgs]
	pool   *pgxpool.Pool
	client *http.Client
	url    string
	done   func()
}

func (w *handWorker) Work(ctx context.Context, job *river.Job[handArgs]) error {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(job.Args.Event))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("job %d: status %d", job.ID, resp.StatusCode)
	}
	id := "i-" + strconv.FormatInt(job.ID, 10)
	rec := fmt.Sprintf(`{"id":%q,"delivery_id":%q,"webhook_id":%q,"attempt":%d,"outcome":"delivered","status":%d,"took_ns":%d,"url":%q}`,
		id, job.Args.DeliveryID, job.Args.WebhookID, job.Attempt, resp.StatusCode, time.Since(start), w.url)
	if _, err := w.pool.Exec(ctx, `INSERT INTO hand_invocation (id, delivery_id, webhook_id, outcome, started_at, record)
		VALUES ($1, $2, $3, 'delivered', $4, $5)`, id, job.Args.DeliveryID, job.Args.WebhookID, start, rec); err != nil {
		return err
	}
	w.done()
	return nil
}

// benchHandPostgres runs the anchor on pool's fresh database: River's
// migrations and a record table shaped as outhook_invocation (its columns
// and webhook index; none of Outhook's triggers). It returns deliveries/s.
func benchHandPostgres(b *testing.B, pool *pgxpool.Pool) float64 {
	ctx := context.Background()
	driver := riverpgxv5.New(pool)
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE hand_invocation (
		seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		id text NOT NULL, delivery_id text NOT NULL, webhook_id text NOT NULL,
		outcome text NOT NULL, started_at timestamptz NOT NULL, record jsonb NOT NULL);
		CREATE INDEX hand_invocation_webhook_idx ON hand_invocation (webhook_id, seq DESC)`); err != nil {
		b.Fatal(err)
	}

	rc := newReceiver(b, 0, nil)
	want := int64(b.N)
	var delivered atomic.Int64
	done := make(chan struct{})
	workers := river.NewWorkers()
	river.AddWorker(workers, &handWorker{
		pool:   pool,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200}, Timeout: 30 * time.Second},
		url:    rc.URL + "/bench",
		done: func() {
			if delivered.Add(1) == want {
				close(done)
			}
		},
	})
	client, err := river.NewClient(driver, &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 200}},
		Workers:           workers,
		FetchCooldown:     riverengine.DefaultFetchCooldown,
		FetchPollInterval: riverengine.DefaultPollInterval,
		Logger:            slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = client.Stop(ctx) }()

	events := make([]*event.Event, 1000)
	for i := range events {
		events[i] = newEvent(b, i)
	}
	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for n := next.Add(1); n <= want; n = next.Add(1) {
				args := handArgs{DeliveryID: "d-" + strconv.FormatInt(n, 10), WebhookID: "bench", Event: events[n%int64(len(events))].JSON()}
				if _, err := client.Insert(ctx, args, nil); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("only %d of %d delivered", delivered.Load(), want)
	}
	rate := float64(b.N) / time.Since(start).Seconds()
	b.ReportMetric(rate, "deliveries/s")
	b.StopTimer()
	var rows int64
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM hand_invocation`).Scan(&rows); err != nil {
		b.Fatal(err)
	}
	if rows != want {
		b.Fatalf("%d invocation records for %d deliveries", rows, want)
	}
	return rate
}

// walBytes returns the cluster's WAL position, in bytes.
func walBytes(b *testing.B, pool *pgxpool.Pool) int64 {
	var n int64
	if err := pool.QueryRow(context.Background(), `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// reportLoad reports the one-minute load average, where Linux gives it.
func reportLoad(b *testing.B) {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return
	}
	first, _, _ := strings.Cut(string(raw), " ")
	if load, err := strconv.ParseFloat(first, 64); err == nil {
		b.ReportMetric(load, "load1")
	}
}
