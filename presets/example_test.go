package presets_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/presets"
	"github.com/outhook/outhook/webhook"
)

func ExampleDatadogLogs() {
	w, err := presets.DatadogLogs("https://http-intake.logs.datadoghq.eu/api/v2/logs", "dd-api-key")
	if err != nil {
		fmt.Println(err)
		return
	}
	w.Triggers = []event.Trigger{accessrequest.Granted, accessrequest.Failed}
	fmt.Println(w.Name, w.Method, w.URL, w.Triggers)
	fmt.Println(w.Headers["DD-API-KEY"])
	// Output:
	// datadog-logs POST https://http-intake.logs.datadoghq.eu/api/v2/logs [RequestGranted RequestFailed]
	// dd-api-key
}

func ExampleSlack() {
	w, err := presets.Slack("https://hooks.slack.com/services/T0001/B0002/XXXXXXXX")
	if err != nil {
		fmt.Println(err)
		return
	}
	w.Name = "slack-prod-access"
	w.Filters = filter.Must(filter.New(filter.Environment("production")))
	for _, e := range accessrequest.Mocks() {
		fmt.Println(w.Name, e.Type(), w.Filters.Match(e.Document()))
	}
	// Output:
	// slack-prod-access RequestCreated true
	// slack-prod-access RequestApproved true
	// slack-prod-access RequestRejected true
	// slack-prod-access RequestGranted true
	// slack-prod-access RequestExpired false
	// slack-prod-access RequestFailed false
}

func ExampleOktaWorkflows() {
	w, err := presets.OktaWorkflows("https://acme.workflows.okta.com/api/flo/a1b2c3/invoke",
		presets.WithClientToken("okta-client-token"),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Headers[presets.OktaClientTokenHeader])
	// Output:
	// okta-client-token
}

func ExampleEventJSON() {
	w, err := presets.EventJSON("https://siem.example.com/ingest/apono")
	if err != nil {
		fmt.Println(err)
		return
	}
	w.Headers = map[string]string{"X-Api-Key": "siem-key"}
	fmt.Printf("%s %q %v\n", w.Name, w.BodyTemplate, w.Headers)
	// Output:
	// events "" map[X-Api-Key:siem-key]
}

// A ServiceNow instance that takes basic authentication: the preset's
// Authorization header is replaced on the definition.
func ExampleServiceNow() {
	w, err := presets.ServiceNow("https://acme.service-now.com/api/now/table/incident", "unused")
	if err != nil {
		fmt.Println(err)
		return
	}
	w.Headers["Authorization"] = "Basic dXNlcjpwdw=="
	fmt.Println(w.Headers)
	// Output:
	// map[Accept:application/json Authorization:Basic dXNlcjpwdw==]
}

func ExampleURLError() {
	for _, url := range []string{
		"https://acme.service-now.com/api/now/import/incident",
		"https://hooks.slack.com:444/services/T1/B1/x",
		"https://http-intake.logs.datadoghq.co/api/v2/logs",
	} {
		_, err := presets.ServiceNow(url, "token")
		var ue *presets.URLError
		if errors.As(err, &ue) {
			fmt.Println(errors.Is(err, presets.ErrPath), ue)
		}
	}
	// Output:
	// true presets: ServiceNow URL: unexpected path; want /api/now/table/<table>, such as /api/now/table/incident
	// false presets: ServiceNow URL: unexpected port; found port 444
	// false presets: ServiceNow URL: unexpected host; want <instance>.service-now.com or <instance>.servicenowservices.com, not "http-intake.logs.datadoghq.co"
}

// Splunk HEC listens on port 8088: the definition asks for it, and the
// Dispatcher lets definitions use that port (and no other).
func ExampleSplunkHEC() {
	w, err := presets.SplunkHEC("https://splunk.example.com:8088/services/collector/event", "hec-token")
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := webhook.New(webhook.WithURLPolicy(webhook.URLPolicy{DefinitionPorts: []int{8088}}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close(context.Background())
	added, err := d.Add(w)
	fmt.Println(added.Name, added.URL, added.Headers["Authorization"], err)
	// Output:
	// splunk-hec https://splunk.example.com:8088/services/collector/event Splunk hec-token <nil>
}

func ExamplePagerDuty() {
	w, err := presets.PagerDuty("https://events.eu.pagerduty.com/v2/enqueue", "R0UT1NGKEY0123456789abcdefABCDEF")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Name, w.URL, strings.Contains(w.BodyTemplate, `"routing_key": "{{secrets.routing_key}}"`))
	// Printed or logged, the definition shows the key masked.
	fmt.Println(strings.Contains(fmt.Sprint(w), "R0UT1NGKEY"), strings.Contains(fmt.Sprint(w), `"routing_key":"REDACTED"`))
	// Output:
	// pagerduty https://events.eu.pagerduty.com/v2/enqueue true
	// false true
}

func ExampleJira() {
	w, err := presets.Jira("https://acme.atlassian.net/rest/api/3/issue", "bot@acme.example", "api-token", "SEC",
		presets.WithIssueType("Service Request"),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Name, w.Headers["Authorization"])
	fmt.Println(strings.Contains(w.BodyTemplate, `"issuetype": {"name": "Service Request"}`))
	// Output:
	// jira Basic Ym90QGFjbWUuZXhhbXBsZTphcGktdG9rZW4=
	// true
}

func ExampleCoralogix() {
	w, err := presets.Coralogix("https://ingress.eu2.coralogix.com/logs/v1/singles", "send-your-data-key")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Name, w.Headers["Authorization"])
	// Output:
	// coralogix Bearer send-your-data-key
}

// The token goes in the URL's query, where the listener reads it; records
// show it redacted.
func ExampleLogzio() {
	w, err := presets.Logzio("https://listener-eu.logz.io:8071/?type=apono", "logzio-token")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Name, w.URL)
	_, err = presets.Logzio("https://listener-eu.logz.io/", "logzio-token")
	fmt.Println(err)
	// Output:
	// logzio https://listener-eu.logz.io:8071/?token=logzio-token&type=apono
	// presets: Logzio URL: unexpected port; want port 8071
}

// A tenant's admins hear of its failing webhooks in Slack: the Dispatcher
// publishes its operational events into the tenant, where this webhook
// takes them.
func ExampleForOperationalEvents() {
	d, err := webhook.New(webhook.WithOperationalEvents(webhook.OperationalSettings{Publish: true}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close(context.Background())

	w, err := presets.Slack("https://hooks.slack.com/services/T0001/B0002/XXXXXXXX", presets.ForOperationalEvents())
	if err != nil {
		fmt.Println(err)
		return
	}
	w, err = d.Tenant("acme").Create(context.Background(), w, "admin@acme.example")
	fmt.Println(w.Name, w.Triggers, err)

	_, err = presets.Jira("https://acme.atlassian.net/rest/api/3/issue", "bot@acme.example", "token", "OPS", presets.ForOperationalEvents())
	fmt.Println(errors.Is(err, presets.ErrInvalidOption))
	// Output:
	// slack-operational [WebhookFailing WebhookStillFailing WebhookRecovered WebhookDisabled WebhookDeadLettered TenantLimitReached] <nil>
	// true
}
