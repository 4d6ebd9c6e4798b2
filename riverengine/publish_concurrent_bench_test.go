package riverengine_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// publishers is how many goroutines publish at once in
// BenchmarkPublishPostgres, as bench/peer's publishers do.
const publishers = 32

// BenchmarkPublishPostgres measures Publish without a caller's transaction
// on PostgreSQL, 32 publishers at once, each event (2.2 KB) to one
// webhook, on a publish-only instance with a pool of 40 connections: the
// calls' batches share transactions (group commit). The anchor, in the same run: the same
// job inserted by hand with River's Insert, a transaction per publish.
// Each reports publishes/s, WAL-B, go-µs and pg-µs per publish (one
// delivery each; see BenchmarkDeliveriesPostgres), and the engine its
// rate as a fraction of the anchor's (x-anchor).
//
//	go test -run '^$' -bench PublishPostgres -benchtime 20000x
func BenchmarkPublishPostgres(b *testing.B) {
	url := needPostgres(b)
	ev := bigEvent(b)
	var anchor float64
	b.Run("anchor=river-insert", func(b *testing.B) {
		pool := newPool(b, url)
		ctx := context.Background()
		if err := riverengine.Migrate(ctx, pool); err != nil {
			b.Fatal(err)
		}
		client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
		if err != nil {
			b.Fatal(err)
		}
		m := startMeters(b, pool)
		anchor = publishAll(b, func(i int) error {
			_, err := client.Insert(ctx, anchorArgs{DeliveryID: fmt.Sprint("d-", i), WebhookID: "hook", Event: string(ev.JSON()),
				Created: time.Now(), Concurrency: 16, DefinitionVersion: 1},
				&river.InsertOpts{Queue: riverengine.DefaultQueue, MaxAttempts: 32767})
			return err
		})
		m.report(b)
	})
	b.Run("engine=publish", func(b *testing.B) {
		pool, eng := newPostgresEngine(b, url, riverengine.WithPublishOnly())
		d, err := webhook.New(dispatcherOptions(eng)...)
		if err != nil {
			b.Fatal(err)
		}
		defer d.Close(context.Background())
		if _, err := d.Add(hook("hook", "http://127.0.0.1:1")); err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		m := startMeters(b, pool)
		rate := publishAll(b, func(int) error {
			_, err := d.Publish(ctx, ev)
			return err
		})
		m.report(b)
		if anchor > 0 {
			b.ReportMetric(rate/anchor, "x-anchor")
		}
	})
}

// publishAll calls publish b.N times from publishers goroutines and
// reports, and returns, the calls per second.
func publishAll(b *testing.B, publish func(i int) error) float64 {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, publishers)
	b.ResetTimer()
	start := time.Now()
	for range publishers {
		wg.Go(func() {
			for i := int(next.Add(1)); i <= b.N; i = int(next.Add(1)) {
				if err := publish(i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	rate := float64(b.N) / time.Since(start).Seconds()
	b.StopTimer()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(rate, "publishes/s")
	return rate
}
