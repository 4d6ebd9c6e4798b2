package torq_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/torq"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

func ExampleNew() {
	w, err := torq.New("https://hooks.torq.io/v1/webhooks/0f9a1c/workflows/7d3e/sync", "torq-token")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Name, w.Method, w.URL)
	fmt.Println(w.BodyTemplate)
	fmt.Println(w.Triggers, w.TimeoutInSec, "s")
	// Output:
	// torq POST https://hooks.torq.io/v1/webhooks/0f9a1c/workflows/7d3e/sync
	// {"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}"}}
	// [RequestCreated RequestApproved RequestRejected RequestGranted RequestExpired RequestFailed] 120 s
}

// The definition New returns is plain data: fields it has no option for are
// set on it, and the Dispatcher checks them when the webhook is added.
func ExampleNew_fields() {
	w, err := torq.New("https://hooks.torq.io/v1/webhooks/0f9a1c", "torq-token", torq.WithAuthHeader("X-Torq-Token"))
	if err != nil {
		fmt.Println(err)
		return
	}
	w.Name = "torq-aws"
	w.Triggers = []event.Trigger{accessrequest.Granted}
	w.Filters = filter.Must(filter.New(filter.IntegrationType("AWS")))
	w.ResponseValidators = []webhook.ResponseValidator{{JSONPath: "$.data.status", ExpectedValues: []string{"ok"}}}
	w.BodyTemplate = "" // the whole event, as its JSON

	d, err := webhook.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close(context.Background())
	added, err := d.Add(w)
	fmt.Println(added.Name, added.Triggers, added.BodyTemplate == "", err)

	w.Name, w.TimeoutInSec = "torq-slow", 3600
	_, err = d.Add(w)
	fmt.Println(err)
	// Output:
	// torq-aws [RequestGranted] true <nil>
	// webhook "torq-slow": timeout_in_sec: timeout out of range: 3600 is not between 1 and 600
}

func ExampleNew_error() {
	for _, url := range []string{
		"http://hooks.torq.io/v1/webhooks/0f9a1c",
		"https://hooks.torq.io:8443/v1/webhooks/0f9a1c",
		"https://hooks.torq.example/v1/webhooks/0f9a1c",
		"https://hooks.torq.io/v1/webhooks/0f9a1c/workflows",
	} {
		_, err := torq.New(url, "torq-token")
		fmt.Println(errors.Is(err, torq.ErrPath), err)
	}
	// Output:
	// false torq: webhook URL: the scheme must be https; not "http"
	// false torq: webhook URL: no port may be given; found port 8443
	// false torq: webhook URL: the host must be hooks.torq.io or hooks.eu.torq.io; not "hooks.torq.example"
	// true torq: webhook URL: the path must be /v1/webhooks/<id>, optionally followed by /workflows/<workflow-id> or /workflows/<workflow-id>/sync; the workflow id is missing or holds characters other than letters, digits, '-', '_', '.' and '~'
}

func ExampleParseURL() {
	ep, err := torq.ParseURL("https://hooks.eu.torq.io/v1/webhooks/0f9a1c/workflows/7d3e/sync/")
	fmt.Printf("%+v %v\n", ep, err)
	// Output:
	// {Host:hooks.eu.torq.io WebhookID:0f9a1c WorkflowID:7d3e Sync:true} <nil>
}

// WithBaseURL points the preset at a local stand-in for Torq, here a
// webhooktest.Receiver; the Dispatcher must be allowed to reach it.
func ExampleWithBaseURL() {
	receiver := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Body: `{"status":"ok"}`}))
	defer receiver.Close()

	w, err := torq.New("https://hooks.torq.io/v1/webhooks/0f9a1c", "torq-token",
		torq.WithBaseURL(receiver.URL),
		torq.WithAuthHeader("X-Torq-Token"),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close(context.Background())

	inv, err := d.Test(context.Background(), w, accessrequest.Rejected)
	if err != nil {
		fmt.Println(err)
		return
	}
	got := receiver.Requests()[0]
	fmt.Println(inv.Outcome, inv.Response.StatusCode, inv.Request.Header.Get("X-Torq-Token"))
	fmt.Println(got.Path, got.Header.Get("X-Torq-Token"))
	fmt.Println(got.Body)
	// Output:
	// delivered 200 REDACTED
	// /v1/webhooks/0f9a1c torq-token
	// {"body":{"event":"New Apono RequestRejected request made by Marcus Whitfield"}}
}
