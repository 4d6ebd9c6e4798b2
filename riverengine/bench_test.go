package riverengine_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// BenchmarkDeliveries measures sustained deliveries per second to a
// loopback receiver, 16 publishers at once: the durable engine on the
// PostgreSQL cluster of this run (fsync and synchronous commit on) beside
// the in-memory engine. Run it with a fixed count, e.g.
//
//	go test -run '^$' -bench Deliveries -benchtime 20000x
func BenchmarkDeliveries(b *testing.B) {
	b.Run("engine=memory", func(b *testing.B) {
		benchDeliveries(b, nil)
	})
	b.Run("engine=river-postgres", func(b *testing.B) {
		url := needPostgres(b)
		_, eng := newPostgresEngine(b, url, riverengine.WithWorkers(200))
		benchDeliveries(b, eng)
	})
}

// benchDeliveries reports, and returns, deliveries/s.
func benchDeliveries(b *testing.B, eng *riverengine.Engine) float64 {
	rc := newReceiver(b, 0, nil)
	var delivered atomic.Int64
	done := make(chan struct{})
	want := int64(b.N)
	opts := []webhook.Option{
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithEventType(testEvent, nil),
		webhook.WithWorkers(200), webhook.WithConcurrency(200),
		webhook.WithInvocationHook(func(inv webhook.Invocation) {
			if inv.Outcome == webhook.Delivered && delivered.Add(1) == want {
				close(done)
			}
		}),
	}
	if eng != nil {
		opts = append(opts, webhook.WithEngine(eng), webhook.WithInvocationStore(eng.Store()))
	}
	d, err := webhook.New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close(context.Background())
	if _, err := d.Add(hook("bench", rc.URL)); err != nil {
		b.Fatal(err)
	}
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
				if _, err := d.Publish(context.Background(), events[n%int64(len(events))]); err != nil {
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
	return rate
}
