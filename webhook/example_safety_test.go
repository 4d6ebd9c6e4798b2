package webhook_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/signature"
	"github.com/outhook/outhook/webhook"
)

// A receiver verifies Standard Webhooks signatures with the secret it was
// given; rotating secrets means listing both for a while.
func Example_signatureVerifiedByTheReceiver() {
	secret := signature.NewSecret()
	verifier, _ := signature.ParseVerifier(5*time.Minute, secret)
	received := make(chan error, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		received <- verifier.Verify(r.Header, body, time.Now())
	}))
	defer receiver.Close()

	d, _ := webhook.New(
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"),
	)
	defer d.Close(context.Background())
	_, _ = d.Test(context.Background(), webhook.Webhook{
		Name: "signed", URL: receiver.URL, Triggers: []event.Trigger{accessrequest.Granted},
		SigningSecrets: []string{secret},
	}, accessrequest.Granted)
	fmt.Println("signature verified:", <-received == nil)
	// Output:
	// signature verified: true
}

// The SSRF guard is on by default: loopback, private, link-local and cloud
// metadata addresses are refused at dial time unless allowed by name.
func ExampleWithAllowedTargets() {
	d, _ := webhook.New(webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true}))
	defer d.Close(context.Background())
	inv, _ := d.Test(context.Background(), webhook.Webhook{
		Name: "metadata", URL: "http://169.254.169.254/latest/meta-data/", Triggers: []event.Trigger{accessrequest.Created},
	}, accessrequest.Created)
	fmt.Println(inv.Outcome)
	fmt.Println(inv.Reason)
	// Output:
	// failed
	// blocked by the SSRF guard: netguard: 169.254.169.254 is blocked: cloud metadata
}

// Delivery settings order deliveries per request, cap the rate, and follow
// a redirect; a breaker hook tells the admins when an endpoint fails.
func ExampleDeliverySettings() {
	d, _ := webhook.New(
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 5, Cooldown: 30 * time.Second}),
		webhook.WithBreakerHook(func(webhookID string, from, to webhook.BreakerState) {
			fmt.Printf("webhook %s: breaker %s -> %s\n", webhookID, from, to)
		}),
	)
	defer d.Close(context.Background())
	w, err := d.Add(webhook.Webhook{
		ID: "servicenow", Name: "ServiceNow", Active: true,
		URL:      "https://acme.service-now.com/api/now/table/incident",
		Triggers: accessrequest.Triggers(),
		Delivery: &webhook.DeliverySettings{
			OrderingKey:  "data.id", // Created, Approved, Granted of one request arrive in order
			RateLimit:    &webhook.RateLimit{Requests: 10, Per: webhook.Duration(time.Second), Burst: 5},
			MaxRedirects: 1,
		},
	})
	fmt.Println(w.ID, err)
	// Output:
	// servicenow <nil>
}
