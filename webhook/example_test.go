package webhook_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// A receiver standing in for Torq, for the examples.
func exampleReceiver() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Printf("received %s %s\n", r.Method, body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"queued"}`)
	}))
}

func ExampleDispatcher_Publish() {
	receiver := exampleReceiver()
	defer receiver.Close()

	done := make(chan webhook.Invocation, 1)
	d, err := webhook.New(
		// The receiver is plain HTTP on a loopback port; Apono's rules would refuse it.
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"), // the loopback receiver; the SSRF guard blocks it otherwise
		webhook.WithInvocationHook(func(inv webhook.Invocation) { done <- inv }),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close(context.Background())

	_, err = d.Add(webhook.Webhook{
		Name:         "torq",
		Active:       true,
		URL:          receiver.URL,
		Headers:      map[string]string{"Authorization": "Bearer secret-token"},
		BodyTemplate: `{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}"}}`,
		Triggers:     []event.Trigger{accessrequest.Created},
		ResponseValidators: []webhook.ResponseValidator{
			{JSONPath: "$.data.status", ExpectedValues: []string{"queued"}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	event, _ := event.Parse([]byte(`{"event_type":"RequestCreated","event_time":1773134100.482913204,
		"data":{"requester":{"name":"Dana \"DL\" Levi"}}}`))
	if _, err := d.Publish(context.Background(), event); err != nil {
		fmt.Println(err)
		return
	}
	inv := <-done
	fmt.Println(inv.Outcome, inv.Response.StatusCode, inv.Request.Header.Get("Authorization"))
	// Output:
	// received POST {"body":{"event":"New Apono RequestCreated request made by Dana \"DL\" Levi"}}
	// delivered 200 REDACTED
}

func ExampleDispatcher_Test() {
	receiver := exampleReceiver()
	defer receiver.Close()
	d, _ := webhook.New(webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}), webhook.WithAllowedTargets("127.0.0.1"))
	defer d.Close(context.Background())

	inv, err := d.Test(context.Background(), webhook.Webhook{
		Name:         "teams",
		URL:          receiver.URL,
		BodyTemplate: `{"text":"{{data.friendly_id}} for {{data.grantee.name}} was {{event_type}}"}`,
		Triggers:     []event.Trigger{accessrequest.Rejected},
	}, accessrequest.Rejected)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(inv.Outcome, inv.Attempt, inv.Response.Body)
	// Output:
	// received POST {"text":"AR-2203 for Pauline Dubois was RequestRejected"}
	// delivered 1 {"status":"queued"}
}

func ExampleDispatcher_Add_error() {
	d, _ := webhook.New()
	defer d.Close(context.Background())
	_, err := d.Add(webhook.Webhook{
		Name:         "torq",
		URL:          "http://hooks.torq.io/v1/webhooks/abc",
		BodyTemplate: "{\n  \"who\": \"{{data.requestor.name}}\"\n}",
		Triggers:     []event.Trigger{accessrequest.Created},
	})
	fmt.Println(err)
	// Output:
	// webhook "torq": url: URL not allowed by the URL policy: HTTPS is required
	// webhook "torq": body_template:2:13: invalid body template: unknown field data.requestor.name; did you mean data.requester.name?
}
