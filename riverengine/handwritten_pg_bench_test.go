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
	"syscall"
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
// invocation record, a plain row, in a commit of its own, River's completer
// marking the job completed in its batches. Two variants: complete-tx
// writes the record and marks the job completed in one transaction
// (river.JobCompleteTx), as the SQLite anchor does; grouped writes the
// records of concurrent workers in one statement and commit, one group at
// a time, as the engine does. The engine reports its rate as a fraction of
// the first anchor's (x-anchor) and of the grouped one's (x-grouped).
//
// Each sub-benchmark also reports, per delivery, the WAL the cluster wrote
// (WAL-B/delivery), the CPU time of the test process (go-µs/delivery) and
// of the PostgreSQL server's processes (pg-µs/delivery, where /proc shows
// them), setup included; and the load average at its end (load1). Under
// OUTHOOK_PG_URL the server's figures count other clients' work too.
//
//	go test -run '^$' -bench DeliveriesPostgres -benchtime 10000x
//
// (-count runs each sub-benchmark n times in a row; run the command again
// instead, so that each engine run follows its anchor.)
func BenchmarkDeliveriesPostgres(b *testing.B) {
	var anchor, grouped float64
	b.Run("anchor=hand-written", func(b *testing.B) {
		pool := newPool(b, needPostgres(b))
		m := startMeters(b, pool)
		anchor = benchHandPostgres(b, pool, recordPlain)
		m.report(b)
	})
	b.Run("anchor=hand-written-complete-tx", func(b *testing.B) {
		pool := newPool(b, needPostgres(b))
		m := startMeters(b, pool)
		benchHandPostgres(b, pool, recordCompleteTx)
		m.report(b)
	})
	b.Run("anchor=hand-written-grouped", func(b *testing.B) {
		pool := newPool(b, needPostgres(b))
		m := startMeters(b, pool)
		grouped = benchHandPostgres(b, pool, recordGrouped)
		m.report(b)
	})
	b.Run("engine=river-postgres", func(b *testing.B) {
		pool, eng := newPostgresEngine(b, needPostgres(b), riverengine.WithWorkers(200))
		m := startMeters(b, pool)
		rate := benchDeliveries(b, eng)
		m.report(b)
		if anchor > 0 {
			b.ReportMetric(rate/anchor, "x-anchor")
		}
		if grouped > 0 {
			b.ReportMetric(rate/grouped, "x-grouped")
		}
	})
}

// handArgs is the anchor's job: what a delivery must carry at least.
type handArgs struct {
	DeliveryID string          `json:"delivery_id"`
	WebhookID  string          `json:"webhook_id"`
	Event      json.RawMessage `json:"event"`
}

func (handArgs) Kind() string { return "hand_delivery" }

// recordMode is how the anchor's worker writes an invocation record.
type recordMode int

const (
	recordPlain      recordMode = iota // one INSERT, in a commit of its own
	recordCompleteTx                   // with the job's completion, in one transaction
	recordGrouped                      // with the records of concurrent workers
)

// handRecord is an invocation record waiting for its group's commit.
type handRecord struct {
	id, deliveryID, webhookID, rec string
	start                          time.Time
	written                        chan error
}

// handWorker posts a job's event and writes its invocation record as mode
// says; grouped records go to groups.
type handWorker struct {
	river.WorkerDefaults[handArgs]
	mode   recordMode
	groups chan *handRecord
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
	const insert = `INSERT INTO hand_invocation (id, delivery_id, webhook_id, outcome, started_at, record)
		VALUES ($1, $2, $3, 'delivered', $4, $5)`
	switch w.mode {
	case recordGrouped:
		r := &handRecord{id: id, deliveryID: job.Args.DeliveryID, webhookID: job.Args.WebhookID, rec: rec, start: start, written: make(chan error, 1)}
		w.groups <- r
		if err := <-r.written; err != nil {
			return err
		}
		w.done()
		return nil
	case recordPlain:
		if _, err := w.pool.Exec(ctx, insert, id, job.Args.DeliveryID, job.Args.WebhookID, start, rec); err != nil {
			return err
		}
		w.done()
		return nil
	}
	tx, err := w.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, insert, id, job.Args.DeliveryID, job.Args.WebhookID, start, rec); err != nil {
		return err
	}
	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	w.done()
	return nil
}

// writeGroups writes the records sent to groups, all that are waiting in
// one statement and commit, until groups is closed.
func writeGroups(pool *pgxpool.Pool, groups chan *handRecord) {
	for first := range groups {
		group := []*handRecord{first}
	more:
		for len(group) < 500 {
			select {
			case r, ok := <-groups:
				if !ok {
					break more
				}
				group = append(group, r)
			default:
				break more
			}
		}
		cols := make([][]string, 4)
		starts := make([]time.Time, len(group))
		for i, r := range group {
			cols[0], cols[1] = append(cols[0], r.id), append(cols[1], r.deliveryID)
			cols[2], cols[3] = append(cols[2], r.webhookID), append(cols[3], r.rec)
			starts[i] = r.start
		}
		_, err := pool.Exec(context.Background(), `INSERT INTO hand_invocation (id, delivery_id, webhook_id, outcome, started_at, record)
			SELECT i, d, w, 'delivered', s, r::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[]) AS t (i, d, w, s, r)`,
			cols[0], cols[1], cols[2], starts, cols[3])
		for _, r := range group {
			r.written <- err
		}
	}
}

// benchHandPostgres runs the anchor on pool's fresh database: River's
// migrations and a record table shaped as outhook_invocation (its columns
// and webhook index; none of Outhook's triggers). It returns deliveries/s.
func benchHandPostgres(b *testing.B, pool *pgxpool.Pool, mode recordMode) float64 {
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
	groups := make(chan *handRecord, 200)
	defer close(groups) // after the client's Stop: no worker is left to send
	go writeGroups(pool, groups)
	river.AddWorker(workers, &handWorker{
		mode:   mode,
		groups: groups,
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

// meters are the WAL position and CPU times at a sub-benchmark's start.
type meters struct {
	pool          *pgxpool.Pool
	postmaster    int
	wal           int64
	goCPU, pgCPU  time.Duration
	pgCPUMeasured bool
}

func startMeters(b *testing.B, pool *pgxpool.Pool) *meters {
	m := &meters{pool: pool, wal: walBytes(b, pool), goCPU: selfCPU()}
	var backend int
	if err := pool.QueryRow(context.Background(), `SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		b.Fatal(err)
	}
	if procs := readProcs(); procs[backend].pid != 0 {
		m.postmaster = procs[backend].ppid
		m.pgCPU, m.pgCPUMeasured = treeCPU(procs, m.postmaster), true
	}
	return m
}

func (m *meters) report(b *testing.B) {
	n := float64(b.N)
	b.ReportMetric(float64(walBytes(b, m.pool)-m.wal)/n, "WAL-B/delivery")
	b.ReportMetric(float64((selfCPU()-m.goCPU).Microseconds())/n, "go-µs/delivery")
	if m.pgCPUMeasured {
		b.ReportMetric(float64((treeCPU(readProcs(), m.postmaster)-m.pgCPU).Microseconds())/n, "pg-µs/delivery")
	}
	reportLoad(b)
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

// selfCPU returns the CPU time, user and system, of this process.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// proc is what /proc/<pid>/stat says of a process: its parent, and its CPU
// time and that of its children it has waited for, in clock ticks.
type proc struct {
	pid, ppid int
	ticks     int64
}

// readProcs reads every process's stat, by pid; empty without /proc.
func readProcs() map[int]proc {
	out := map[int]proc{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// The fields after the command, which may hold spaces: state,
		// ppid, ..., utime, stime, cutime, cstime (fields 3 to 17).
		_, rest, ok := strings.Cut(string(raw), ") ")
		f := strings.Fields(rest)
		if !ok || len(f) < 15 {
			continue
		}
		p := proc{pid: pid}
		p.ppid, _ = strconv.Atoi(f[1])
		for _, s := range f[11:15] {
			t, _ := strconv.ParseInt(s, 10, 64)
			p.ticks += t
		}
		out[pid] = p
	}
	return out
}

// treeCPU sums the CPU time of root and its descendants. A backend that
// has exited counts in its postmaster's children's time.
func treeCPU(procs map[int]proc, root int) time.Duration {
	children := map[int][]int{}
	for _, p := range procs {
		children[p.ppid] = append(children[p.ppid], p.pid)
	}
	var ticks int64
	for todo := []int{root}; len(todo) > 0; {
		pid := todo[len(todo)-1]
		todo = append(todo[:len(todo)-1], children[pid]...)
		ticks += procs[pid].ticks
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// clockTicks is Linux's USER_HZ, the unit of /proc's CPU times, 100 on
// every architecture Go supports.
const clockTicks = 100
