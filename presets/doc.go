// Package presets builds webhook definitions for the targets of Apono's
// published webhook guides other than Torq (which has package torq): Slack
// incoming webhooks, Microsoft Teams, Okta Workflows, Datadog Logs,
// ServiceNow incidents, Splunk HTTP Event Collector, PagerDuty Events API
// v2, Jira Cloud issues, Coralogix and Logz.io logs, and a generic webhook
// that sends the whole event as JSON.
//
// Each constructor checks that the URL has the target's known shape, with an
// error that says what is wrong, and returns a ready, active
// webhook.Webhook to pass to Dispatcher.Add:
//
//	w, err := presets.DatadogLogs("https://http-intake.logs.datadoghq.eu/api/v2/logs", apiKey)
//	...
//	w, err = d.Add(w)
//
// Every preset sends every access-request trigger, with a body template
// made for its target (the exported …BodyTemplate constants), under the
// name of its target: "slack", "teams", "okta-workflows", "datadog-logs",
// "servicenow", "splunk-hec", "pagerduty", "jira", "coralogix", "logzio"
// or "events"; names are unique within a Dispatcher, so a second webhook
// of a kind needs its own (w.Name = …). Options cover what a constructor
// checks: WithClientToken sends an Okta Workflows client token,
// WithIssueType names Jira's issue type, ForOperationalEvents sends the
// operational events instead (see below), and WithBaseURL points a preset
// at a local stand-in for tests. The definition is plain data: set any
// other field on it before adding it, and the Dispatcher checks it then:
//
//	w, err := presets.Slack(url)
//	...
//	w.Name = "slack-prod-access"
//	w.Triggers = []event.Trigger{accessrequest.Granted, accessrequest.Failed}
//	w.Filters = filter.Must(filter.New(filter.Environment("production")))
//	w.BodyTemplate = "" // the whole event, as its JSON
//
// A preset's headers are in w.Headers under the names its documentation
// gives (DD-API-KEY, Authorization, Accept, x-api-client-token,
// Content-Type): replace a value under the same name, or add a header
// beside them; a preset without headers (Slack, PagerDuty, Logzio,
// EventJSON, and OktaWorkflows without WithClientToken) returns nil
// Headers, so assign a map there. The Dispatcher refuses a second spelling
// of a name (authorization beside Authorization) rather than send either.
//
// # Operational events
//
// With ForOperationalEvents, a preset sends the six operational triggers
// of package operational, which a Dispatcher publishes into each tenant
// with webhook.WithOperationalEvents and Publish set, so that a tenant's
// admins hear of its failing webhooks where they hear of the rest:
//
//	w, err := presets.PagerDuty(url, routingKey, presets.ForOperationalEvents())
//	...
//	w, err = d.Tenant("acme").Create(ctx, w, actor)
//
// The body is made for the target over the operational payload (the
// …OperationalBodyTemplate constants), with the same escaping and limits
// as its access-request body, and the definition is named after the
// target with "-operational" added ("pagerduty-operational"). Slack and
// Teams post a message saying what happened to which webhook of which
// tenant, and why; PagerDuty triggers one alert per webhook, which
// WebhookRecovered resolves, and one per tenant limit, which nothing
// resolves; Datadog Logs, Splunk HEC, Coralogix and Logz.io log the whole
// event at a level that follows its trigger; EventJSON sends the event's
// JSON. ServiceNow, Jira and Okta Workflows refuse the option
// (ErrInvalidOption): each event would create a record that no later
// event closes.
//
// # Limits
//
// Where a target limits a field (Slack's block texts, Teams' 28 KB,
// ServiceNow's short_description and description, PagerDuty's summary,
// Jira's summary), the body template cuts each value to fit with the
// template helpers truncate and truncateBytes, counting UTF-8 bytes (never
// fewer than the characters or UTF-16 units a target counts) and, with
// escaped=true, the bytes JSON escaping adds, so the body keeps within the
// limit whatever the event holds; a list of resources is joined and then
// cut, so it costs the Dispatcher's render limit (4 MB by default) as
// much as its whole text. Logz.io and Coralogix, which refuse a log line
// over 500,000 bytes and a request over 2 MB, get the whole event as JSON
// while it fits, and the start of its JSON text, cut with a "…", past that
// (LogzioBodyTemplate, CoralogixBodyTemplate). Each constructor's
// documentation names the target's reference its limits come from.
//
// Splunk HEC (port 8088) and Logz.io (port 8071) listen on ports that
// Apono's other guides do not allow: their definitions ask for their port
// (URLPolicy.AllowCustomPort), which a Dispatcher grants when its
// webhook.URLPolicy lists the port in DefinitionPorts
// (webhook.URLPolicy{DefinitionPorts: []int{8088, 8071}}) or allows custom
// ports to all (AllowCustomPorts).
//
// Credentials are header values (DD-API-KEY, Authorization,
// x-api-client-token), which invocation records and logs show as
// REDACTED, and so are query values such as Okta's clientToken and
// Logz.io's token. Slack and Teams put their secret in the URL's path:
// their presets set SecretURLPath, so records, logs and errors show that
// path redacted too. Events API v2 takes PagerDuty's routing key in the
// body: the preset makes it a body secret (webhook.Webhook.Secrets), which
// records, logs and errors show as REDACTED wherever it stands.
//
// Presets are plain constructors: there is no registry and nothing happens
// at init.
package presets
