package webhook_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/outhook/outhook/webhook"
)

// countingEngine accepts deliveries and drops them, so that a benchmark
// measures publishing alone: matching, filtering and queueing.
type countingEngine struct{ n atomic.Int64 }

func (e *countingEngine) Start(webhook.Runner) error { return nil }
func (e *countingEngine) Enqueue(_ context.Context, d *webhook.Delivery) error {
	e.n.Add(1)
	return nil
}
func (e *countingEngine) Close(context.Context) error { return nil }

// BenchmarkPublish publishes the 3 KB access-request event with 10 matching
// webhooks among 10, 1,000 and 10,000 registered: the others listen to an
// event type of the service's own. The cost must follow the matches, not
// the registrations (registered=10 is the anchor).
func BenchmarkPublish(b *testing.B) {
	event := mustMock(b, webhook.RequestCreated)
	for _, registered := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("registered=%d", registered), func(b *testing.B) {
			engine := &countingEngine{}
			d, err := webhook.New(webhook.WithEngine(engine), webhook.WithEventType("invoice.paid", nil))
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close(context.Background())
			hooks := make([]webhook.Webhook, registered)
			for i := range hooks {
				trigger := webhook.Trigger("invoice.paid")
				if i < 10 {
					trigger = webhook.RequestCreated
				}
				hooks[i] = webhook.Webhook{
					Name: fmt.Sprintf("hook%d", i), Active: true, URL: "https://hooks.example/x",
					BodyTemplate: `{"who":"{{data.requester.name}}"}`, Triggers: []webhook.Trigger{trigger},
				}
			}
			if _, err := d.AddAll(hooks); err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.Publish(ctx, event); err != nil {
					b.Fatal(err)
				}
			}
			if got := engine.n.Load(); got != int64(b.N)*10 {
				b.Fatalf("queued %d deliveries, want %d", got, b.N*10)
			}
		})
	}
}

func mustMock(tb testing.TB, t webhook.Trigger) *webhook.Event {
	e, ok := webhook.MockEvent(t)
	if !ok {
		tb.Fatalf("no mock event for %s", t)
	}
	return e
}
