package manage_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/webhook"
)

// BenchmarkListWebhooks measures GET /webhooks of a page of 1000
// webhooks, each with an invocation record: the list reads each
// webhook's newest record, one store query per webhook.
func BenchmarkListWebhooks(b *testing.B) {
	ctx := context.Background()
	store := webhook.NewMemoryStore(100, 100)
	d, err := webhook.New(webhook.WithInvocationStore(store))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = d.Close(ctx) })
	acme := d.Tenant("acme")
	for i := range 1000 {
		w, err := acme.Create(ctx, webhook.Webhook{
			Name: fmt.Sprintf("hook-%d", i), Active: true, URL: fmt.Sprintf("https://hooks.example/%d", i),
			Triggers: []event.Trigger{accessrequest.Created},
		}, "admin")
		if err != nil {
			b.Fatal(err)
		}
		if err := store.Record(ctx, webhook.Invocation{
			ID: fmt.Sprintf("inv-%d", i), Tenant: "acme", WebhookID: w.ID, DeliveryID: fmt.Sprintf("dl-%d", i),
			Outcome: webhook.Delivered, StartedAt: time.Now(), Attempt: 1,
		}); err != nil {
			b.Fatal(err)
		}
	}
	h, err := manage.New(d, func(*http.Request) (string, string, error) { return "acme", "admin", nil })
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/webhooks?limit=1000", nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("%d: %s", rec.Code, rec.Body)
		}
	}
}
