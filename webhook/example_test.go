package webhook_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/outhook/outhook/webhook"
)

func ExampleParseEvent() {
	e, err := webhook.ParseEvent([]byte(`{
		"event_type": "AccessRequestGranted",
		"event_time": 1696263265.851898000,
		"data": {"friendly_id": "AR-7"}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Type(), e.Type().Canonical(), e.Type().Matches(webhook.RequestGranted))
	fmt.Println(e.Time(), e.Time().Time())
	// Output:
	// AccessRequestGranted RequestGranted true
	// 1696263265.851898000 2023-10-02 16:14:25.851898 +0000 UTC
}

func ExampleParseEvent_error() {
	_, err := webhook.ParseEvent([]byte(`{"event_type": "RequestCreated", "event_time": "now"}`))
	fmt.Println(err)
	// Output:
	// webhook: event: event_time: want epoch seconds: digits with at most 9 decimals, not a string
}

func ExampleNewEvent() {
	created, _ := webhook.ParseTimestamp("1773134100.471220518")
	e, err := webhook.NewEvent(webhook.RequestCreated, webhook.AccessRequest{
		ID:           "8c1f4e2a",
		FriendlyID:   "AR-1042",
		Requester:    webhook.User{ID: "usr-1", Name: "Dana Levi", Email: "dana@example.com"},
		CreationDate: created,
	}, webhook.WithTime(created), webhook.WithID("evt-1"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Type(), e.ID(), e.Time())
	// Output:
	// RequestCreated evt-1 1773134100.471220518
}

func ExampleMockEvent() {
	e, _ := webhook.MockEvent(webhook.RequestRejected)
	var req webhook.AccessRequestEvent
	_ = e.Decode(&req)
	fmt.Println(e.Type(), req.Data.FriendlyID, req.Data.Requester.Name, "for", req.Data.Grantee.Name)
	// Output:
	// RequestRejected AR-2203 Marcus Whitfield for Pauline Dubois
}

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
		Triggers:     []webhook.Trigger{webhook.RequestCreated},
		ResponseValidators: []webhook.ResponseValidator{
			{JSONPath: "$.data.status", ExpectedValues: []string{"queued"}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	event, _ := webhook.ParseEvent([]byte(`{"event_type":"RequestCreated","event_time":1773134100.482913204,
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
		Triggers:     []webhook.Trigger{webhook.RequestRejected},
	}, webhook.RequestRejected)
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
		Triggers:     []webhook.Trigger{webhook.RequestCreated},
	})
	fmt.Println(err)
	// Output:
	// webhook "torq": url: URL not allowed by the URL policy: HTTPS is required
	// webhook "torq": body_template:2:13: invalid body template: unknown field data.requestor.name; did you mean data.requester.name?
}
