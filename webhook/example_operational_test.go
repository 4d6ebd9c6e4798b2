package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/webhook"
)

func ExampleWithOperationalEvents() {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()

	var told []operational.Event // the Hook runs on one goroutine, and Close waits for it
	d, err := webhook.New(
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}),
		// One delivery at a time, recorded and dead-lettered before the
		// next starts, for the output's order and counts.
		webhook.WithWorkers(1),
		webhook.WithOperationalEvents(webhook.OperationalSettings{
			FailureThreshold: 3,
			Hook:             func(ev operational.Event) { told = append(told, ev) },
		}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	_, err = d.Tenant("acme").Create(ctx, webhook.Webhook{
		Name: "Jira Zürich", Active: true, URL: down.URL + "/hooks?token=secret",
		Triggers: []event.Trigger{accessrequest.Created},
	}, "dana")
	if err != nil {
		fmt.Println(err)
		return
	}
	e, _ := accessrequest.Mock(accessrequest.Created)
	for range 3 {
		_, _ = d.Tenant("acme").Publish(ctx, e)
	}
	_ = d.Close(ctx) // drains the deliveries, then hands over the events

	for _, ev := range told {
		fmt.Printf("%s %s on %s: %s (%d in a row, %d held back)\n", ev.EventType, ev.Data.WebhookName,
			ev.Data.TargetHost, ev.Data.Reason, ev.Data.ConsecutiveFailures, ev.Data.Suppressed)
	}
	// Output:
	// WebhookDeadLettered Jira Zürich on 127.0.0.1: status 503 Service Unavailable (1 in a row, 0 held back)
	// WebhookFailing Jira Zürich on 127.0.0.1: status 503 Service Unavailable (3 in a row, 0 held back)
}
