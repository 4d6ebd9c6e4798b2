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

// A webhook that authenticates with OAuth 2.0 client credentials: the
// Dispatcher fetches a token from the token endpoint, sends it as a
// bearer token, and reuses it until shortly before it expires.
func ExampleOAuth() {
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		id, _, _ := r.BasicAuth()
		fmt.Printf("token request: %s %s scope=%q\n", r.FormValue("grant_type"), id, r.FormValue("scope"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"eyJ-example","token_type":"Bearer","expires_in":3600}`)
	}))
	defer tokens.Close()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("received", r.Header.Get("Authorization"))
	}))
	defer receiver.Close()

	done := make(chan webhook.Invocation, 2)
	d, _ := webhook.New(
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithInvocationHook(func(inv webhook.Invocation) { done <- inv }),
	)
	defer d.Close(context.Background())
	_, err := d.Add(webhook.Webhook{
		Name:     "siem",
		Active:   true,
		URL:      receiver.URL,
		Triggers: []event.Trigger{accessrequest.Created},
		Authentication: &webhook.Authentication{OAuth: &webhook.OAuth{
			ClientID:         "outhook",
			ClientSecret:     "s3cr3t",
			TokenEndpointURL: tokens.URL + "/oauth2/token",
			Scopes:           []string{"events.write"},
		}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	e, _ := accessrequest.Mock(accessrequest.Created)
	for range 2 {
		_, _ = d.Publish(context.Background(), e)
		inv := <-done
		fmt.Println(inv.Outcome, inv.Request.Header.Get("Authorization"))
	}
	// Output:
	// token request: client_credentials outhook scope="events.write"
	// received Bearer eyJ-example
	// delivered REDACTED
	// received Bearer eyJ-example
	// delivered REDACTED
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
