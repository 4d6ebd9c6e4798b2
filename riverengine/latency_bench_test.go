package riverengine_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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

// pace calls send for 0 … b.N-1, one every 5 ms, each in its own
// goroutine so that a slow one does not hold the next back.
func pace(b *testing.B, send func(n int)) {
	tick := time.NewTicker(5 * time.Millisecond)
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
