package riverengine_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// BenchmarkLatency measures the time from Publish to the receiver at a
// steady 200 events a second, one webhook, on PostgreSQL with the
// engine's defaults, and with a fetch cooldown of 1 ms (the cooldown also
// spaces River's insert notifications), beside its anchor in the
// same run: a bare POST of the event to the same receiver at the same
// rate. It reports the median and the 99th percentile.
//
//	go test -run '^$' -bench Latency -benchtime 2000x
func BenchmarkLatency(b *testing.B) {
	b.Run("anchor=bare-post", func(b *testing.B) {
		lat := newLatencyReceiver(b)
		client := &http.Client{}
		ev := newEvent(b, 0)
		pace(b, func(n int) {
			lat.sent(n)
			resp, err := client.Post(lat.URL+"/bare", "application/json", strings.NewReader(strings.Replace(string(ev.JSON()), `"e-0"`, fmt.Sprintf(`"e-%d"`, n), 1)))
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
		})
		lat.report(b)
	})
	for _, cooldown := range []time.Duration{riverengine.DefaultFetchCooldown, time.Millisecond} {
		b.Run(fmt.Sprintf("engine=river-postgres/fetch-cooldown=%s", cooldown), func(b *testing.B) {
			benchLatencyPostgres(b, riverengine.WithFetchCooldown(cooldown))
		})
	}
}

func benchLatencyPostgres(b *testing.B, opts ...riverengine.Option) {
	url := needPostgres(b)
	_, eng := newPostgresEngine(b, url, opts...)
	lat := newLatencyReceiver(b)
	d, err := webhook.New(dispatcherOptions(eng)...)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close(context.Background())
	if _, err := d.Add(hook("lat", lat.URL)); err != nil {
		b.Fatal(err)
	}
	pace(b, func(n int) {
		lat.sent(n)
		if _, err := d.Publish(context.Background(), newEvent(b, n)); err != nil {
			b.Error(err)
		}
	})
	lat.report(b)
}

// BenchmarkBurst measures the time from Publish to the receiver when one
// webhook with the default settings (webhook.DefaultConcurrency, the
// engine's DefaultWorkers, the pool the tests give) gets a burst on
// PostgreSQL, and on SQLite (engine=river-sqlite/...): 500 events a
// second (rate=500), or all b.N at once from 8 publishers (rate=backlog),
// which queues them faster than 16 attempts at a time deliver them. The
// burst comes to an engine that has run a while: 100 events at 500 a
// second are delivered first, unmeasured, so that the pool holds the
// connections a burst needs (a fresh pool opens them one Publish at a
// time, and under load its first 50 Publishes took 50-190 ms) and the
// engine knows the webhook's attempt time. It reports the median, 99th
// percentile and worst latency, the deliveries a second from the first
// Publish to the last arrival, and how often River snoozed a delivery's
// job before the attempt that delivered it (over its webhook's
// concurrency), the warm-up's apart. Its anchor, in the same run, is the backlog to a webhook
// whose concurrency is the engine's workers, which is never snoozed.
//
//	go test -run '^$' -bench Burst -benchtime 2000x
func BenchmarkBurst(b *testing.B) {
	backlog := func(b *testing.B) func(send func(n int)) {
		return func(send func(n int)) {
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for range 8 {
				wg.Go(func() {
					for n := int(next.Add(1) - 1); n < b.N; n = int(next.Add(1) - 1) {
						send(n)
					}
				})
			}
			wg.Wait()
		}
	}
	b.Run("rate=500", func(b *testing.B) {
		benchBurst(b, "postgres", 0, func(send func(n int)) { paceEvery(b, 2*time.Millisecond, send) })
	})
	b.Run("rate=backlog", func(b *testing.B) { benchBurst(b, "postgres", 0, backlog(b)) })
	b.Run("rate=backlog/anchor=concurrency-100", func(b *testing.B) { benchBurst(b, "postgres", riverengine.DefaultWorkers, backlog(b)) })
	b.Run("engine=river-sqlite/rate=500", func(b *testing.B) {
		benchBurst(b, "sqlite", 0, func(send func(n int)) { paceEvery(b, 2*time.Millisecond, send) })
	})
	b.Run("engine=river-sqlite/rate=backlog", func(b *testing.B) { benchBurst(b, "sqlite", 0, backlog(b)) })
}

// benchBurst has publish send the burst to one webhook of the given
// concurrency (zero: the default), on db: "postgres" or "sqlite".
func benchBurst(b *testing.B, db string, concurrency int, publish func(send func(n int))) {
	var eng *riverengine.Engine
	var snoozes func() (mean float64, most int, err error)
	if db == "postgres" {
		var pool *pgxpool.Pool
		pool, eng = newPostgresEngine(b, needPostgres(b))
		snoozes = func() (mean float64, most int, err error) {
			err = pool.QueryRow(context.Background(), `SELECT coalesce(avg(coalesce((metadata->>'snoozes')::int, 0)), 0), coalesce(max((metadata->>'snoozes')::int), 0)
				FROM river_job WHERE kind = $1 AND args->>'event' NOT LIKE '%"event_id":"w-%'`, riverengine.JobKind).Scan(&mean, &most)
			return mean, most, err
		}
	} else {
		var sdb *sql.DB
		sdb, eng = newSQLiteEngine(b)
		snoozes = func() (mean float64, most int, err error) {
			err = sdb.QueryRow(`SELECT coalesce(avg(coalesce(json_extract(metadata, '$.snoozes'), 0)), 0), coalesce(max(json_extract(metadata, '$.snoozes')), 0)
				FROM river_job WHERE kind = ? AND json_extract(args, '$.event') NOT LIKE '%"event_id":"w-%'`, riverengine.JobKind).Scan(&mean, &most)
			return mean, most, err
		}
	}
	lat := newLatencyReceiver(b)
	d, err := webhook.New(dispatcherOptions(eng)...)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close(context.Background())
	h := hook("burst", lat.URL)
	if concurrency > 0 {
		h.Delivery = &webhook.DeliverySettings{Concurrency: concurrency}
	}
	if _, err := d.Add(h); err != nil {
		b.Fatal(err)
	}
	lat.warmUp(b, burstWarmUp, func(ev *event.Event) {
		if _, err := d.Publish(context.Background(), ev); err != nil {
			b.Error(err)
		}
	})
	start := time.Now()
	publish(func(n int) {
		lat.sent(n)
		if _, err := d.Publish(context.Background(), newEvent(b, n)); err != nil {
			b.Error(err)
		}
	})
	lat.report(b)
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
	mean, most, err := snoozes()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(mean, "snoozes/delivery")
	b.ReportMetric(float64(most), "max-snoozes")
}

// burstWarmUp is how many events BenchmarkBurst delivers before the
// burst it measures.
const burstWarmUp = 100

// warmUp publishes n events with ids w-0 … w-(n-1), one every 2 ms, and
// waits for the receiver to have them all; they count in no figure.
func (r *latencyReceiver) warmUp(b *testing.B, n int, publish func(*event.Event)) {
	r.mu.Lock()
	r.warm, r.warmArrived, r.warmed = n, map[string]bool{}, make(chan struct{})
	r.mu.Unlock()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	var wg sync.WaitGroup
	for i := range n {
		<-tick.C
		ev, err := event.Parse(fmt.Appendf(nil, `{"event_type":"test.event","event_time":1773134100,"event_id":"w-%d","data":{"n":%d}}`, i, i))
		if err != nil {
			b.Fatal(err)
		}
		wg.Go(func() { publish(ev) })
	}
	wg.Wait()
	select {
	case <-r.warmed:
	case <-time.After(time.Minute):
		b.Fatalf("the warm-up's %d events did not all arrive", n)
	}
}

// pace calls send for 0 … b.N-1, one every 5 ms, each in its own
// goroutine so that a slow one does not hold the next back.
func pace(b *testing.B, send func(n int)) { paceEvery(b, 5*time.Millisecond, send) }

// paceEvery is pace with one call every interval.
func paceEvery(b *testing.B, interval time.Duration, send func(n int)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var wg sync.WaitGroup
	b.ResetTimer()
	for n := range b.N {
		<-tick.C
		wg.Go(func() { send(n) })
	}
	wg.Wait()
}

// latencyReceiver notes when each event was sent and when it arrived.
type latencyReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	sentAt  map[string]time.Time
	arrived map[string]time.Duration
	done    chan struct{}
	want    int
	// warm is how many events the warm-up (see warmUp) sends, and
	// warmArrived those that arrived; warmed is closed when all have.
	warm        int
	warmArrived map[string]bool
	warmed      chan struct{}
}

func newLatencyReceiver(b *testing.B) *latencyReceiver {
	r := &latencyReceiver{sentAt: map[string]time.Time{}, arrived: map[string]time.Duration{}, done: make(chan struct{}), want: b.N}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		now := time.Now()
		raw, _ := io.ReadAll(req.Body)
		s := string(raw)
		i := strings.Index(s, `"event_id":"`)
		if i < 0 {
			return
		}
		id, _, _ := strings.Cut(s[i+len(`"event_id":"`):], `"`)
		r.mu.Lock()
		defer r.mu.Unlock()
		if strings.HasPrefix(id, "w-") {
			if _, dup := r.warmArrived[id]; !dup {
				r.warmArrived[id] = true
				if len(r.warmArrived) == r.warm {
					close(r.warmed)
				}
			}
			return
		}
		if _, dup := r.arrived[id]; dup {
			return
		}
		r.arrived[id] = now.Sub(r.sentAt[id])
		if len(r.arrived) == r.want {
			close(r.done)
		}
	}))
	b.Cleanup(r.Close)
	return r
}

func (r *latencyReceiver) sent(n int) {
	r.mu.Lock()
	r.sentAt[fmt.Sprintf("e-%d", n)] = time.Now()
	r.mu.Unlock()
}

func (r *latencyReceiver) report(b *testing.B) {
	select {
	case <-r.done:
	case <-time.After(time.Minute):
		b.Fatalf("%d of %d arrived", len(r.arrived), r.want)
	}
	b.StopTimer()
	r.mu.Lock()
	defer r.mu.Unlock()
	lat := make([]time.Duration, 0, len(r.arrived))
	for _, d := range r.arrived {
		lat = append(lat, d)
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/1e6, "max-ms")
}
