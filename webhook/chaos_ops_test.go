package webhook_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/chaos"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// TestChaosWithOperationalEvents is TestChaos (a quarter of its events)
// with operational events on and published to an admin webhook of the
// same tenant on every operational trigger: chaos.Check's invariants
// still hold for the chaos webhooks, the admin webhook gets every event
// the Hook is given and nothing else, none is about the admin webhook
// itself, and there are a handful per webhook (the failings are
// rate-limited per RepeatEvery, dead letters per DeadLetterEvery), not
// one per failed attempt.
func TestChaosWithOperationalEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos takes seconds")
	}
	leakcheck.Check(t)
	rcv := chaos.NewReceiver(*chaosSeed)
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	admin := webhooktest.NewReceiver()
	defer admin.Close()

	got := &opsEvents{}
	ledger := chaos.NewLedger()
	d, err := webhook.New(append(ledger.Options(),
		webhook.WithWorkers(96), webhook.WithConcurrency(32),
		webhook.WithQueue(512, webhook.QueueBlock),
		webhook.WithOperationalEvents(webhook.OperationalSettings{Publish: true, Hook: got.hook}),
	)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := d.AddAll(chaos.Webhooks(srv.URL)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Add(webhook.Webhook{ID: "admin", Name: "admin", Active: true, URL: admin.URL + "/admin", Triggers: operational.Triggers()}); err != nil {
		t.Fatal(err)
	}
	if err := ledger.Publish(ctx, d, max(*chaosEvents/4, 100)); err != nil {
		t.Fatal(err)
	}
	// Every delivery ended, then every event the Hook was given reached
	// the admin webhook, before Close.
	deadline := time.Now().Add(5 * time.Minute)
	for ledger.Pending() > 0 || len(admin.Requests()) < len(got.all()) {
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries pending, %d of %d operational events at the admin webhook", ledger.Pending(), len(admin.Requests()), len(got.all()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	closeCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := d.Close(closeCtx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	srv.Close()
	sum := chaos.Check(ctx, t, d, ledger, rcv)

	events := got.all()
	perWebhook := map[string]int{}
	for _, ev := range events {
		perWebhook[ev.Data.WebhookID]++
		if ev.Data.WebhookID == "admin" {
			t.Errorf("%s about the admin webhook itself", ev.EventType)
		}
	}
	for id, n := range perWebhook {
		// Failing, Recovered and DeadLettered once each within the run's
		// seconds, Failing again at most once more if held back.
		if n > 4 {
			t.Errorf("%d operational events about %s, want a handful: %v", n, id, perWebhook)
		}
	}
	if len(events) == 0 {
		t.Error("a run with dead letters told nothing")
	}
	seen := map[string]bool{}
	for _, q := range admin.Requests() {
		e, err := event.Parse([]byte(q.Body))
		if err != nil {
			t.Fatalf("admin got %q: %v", q.Body, err)
		}
		var ev operational.Event
		if err := json.Unmarshal(e.JSON(), &ev); err != nil || !operational.Is(ev.EventType) {
			t.Fatalf("admin got %q: %v", q.Body, err)
		}
		seen[ev.EventID] = true
	}
	for id := range seen {
		found := false
		for _, ev := range events {
			found = found || ev.EventID == id
		}
		if !found {
			t.Errorf("admin got %s, which the Hook was never given", id)
		}
	}
	if len(seen) != len(events) {
		t.Errorf("the admin webhook got %d operational events, the Hook %d", len(seen), len(events))
	}
	t.Logf("%s; %d operational events (%v), %d published to the admin webhook", sum, len(events), perWebhook, len(seen))
}
