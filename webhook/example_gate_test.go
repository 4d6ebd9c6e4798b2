package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// An access flow's condition: Apono's PagerDuty recipe, which lets a
// request through once its incident is acknowledged.
func ExampleTenant_Gate() {
	status := "triggered"
	pagerDuty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"incidents":[{"id":"PT4KHLK","status":%q}]}`, status)
	}))
	defer pagerDuty.Close()

	d, err := webhook.New(
		// The stand-in is plain HTTP on a loopback port; Apono's rules would refuse it.
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close(context.Background())

	ctx := context.Background()
	tenant := d.Tenant("acme")
	gate, err := tenant.Create(ctx, webhook.Webhook{
		Name: "pagerduty-ack", Active: true, Method: "GET", URL: pagerDuty.URL + "/incidents",
		Headers:  map[string]string{"Authorization": "Token token=y_NbAkKc66ryYTWUXYEu"},
		Triggers: []event.Trigger{accessrequest.Created},
		ResponseValidators: []webhook.ResponseValidator{
			{JSONPath: "$.incidents[0].status", ExpectedValues: []string{"acknowledged"}},
		},
		CustomValidationErrorMessage: "Acknowledge your PagerDuty incident first",
	}, "ada@example.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	request, _ := accessrequest.Mock(accessrequest.Created)

	for _, status = range []string{"triggered", "acknowledged"} {
		dec, err := tenant.Gate(ctx, gate.ID, request)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: passed=%t %q (%s)\n", status, dec.Passed, dec.Message, dec.Invocation.Outcome)
	}
	// Output:
	// triggered: passed=false "Acknowledge your PagerDuty incident first" (validation_failed)
	// acknowledged: passed=true "" (delivered)
}

// An integration action runs Go code of the host's instead of sending a
// request; the body template, validators and records apply to it.
func ExampleWithAction() {
	listIncidents := func(ctx context.Context, req *webhook.ActionRequest) (*webhook.ActionResponse, error) {
		fmt.Printf("%s got %s\n", req.Action, req.Body)
		// Here the host would ask its PagerDuty integration.
		return &webhook.ActionResponse{Body: []byte(`{"incidents":[{"status":"acknowledged"}]}`)}, nil
	}
	d, err := webhook.New(webhook.WithAction("list_pagerduty_incidents", listIncidents))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close(context.Background())

	gate, err := d.Add(webhook.Webhook{
		Name: "pagerduty-ack", Active: true, Action: "list_pagerduty_incidents",
		BodyTemplate: `{"user_email": "{{data.requester.email}}", "statuses": ["acknowledged"]}`,
		Triggers:     []event.Trigger{accessrequest.Created},
		ResponseValidators: []webhook.ResponseValidator{
			{JSONPath: "$.incidents[0].status", ExpectedValues: []string{"acknowledged"}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	request, _ := accessrequest.Mock(accessrequest.Created)
	dec, err := d.Gate(context.Background(), gate.ID, request)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("passed:", dec.Passed, dec.Invocation.Request.URL)
	// Output:
	// list_pagerduty_incidents got {"user_email": "zoe.angstrom@northwind.example", "statuses": ["acknowledged"]}
	// passed: true action:list_pagerduty_incidents
}
