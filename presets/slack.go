package presets

import "github.com/outhook/outhook/webhook"

// slackEscape is the replace arguments that escape &, < and > for Slack's
// mrkdwn, the three characters its formatting reference says to escape:
// after them, a value of "<!channel>" is text, not a mention.
const slackEscape = `"&" "&amp;" "<" "&lt;" ">" "&gt;"`

// SlackBodyTemplate is Slack's preset body: a message whose notification
// text names the request and its event, and whose blocks show the
// requester, grantee, access flow, duration, justification and resources.
//
// The notification text is mrkdwn: each value in it has &, < and >
// escaped, so a friendly id of "<!channel>" notifies no one. Every value
// in the blocks stands in a plain_text element, which Slack shows as it
// is: a justification holding "<!channel>" or "*bold*" neither notifies
// anyone nor changes the formatting.
//
// Each text keeps within the limit of Slack's Block Kit reference: a header
// block's text 150 characters, a section's text 3,000 and each of its
// fields 2,000. Values are cut with a "…" to fit, counting UTF-8 bytes,
// which are never fewer than the characters or UTF-16 units Slack may
// count. The resources are listed as their paths, after their number, and
// the list ends with "… and more" when it is cut, so a request for
// hundreds of resources stays one message Slack accepts.
const SlackBodyTemplate = `{
  "text": "Apono access request {{replace (truncateBytes data.friendly_id 100) ` + slackEscape + `}}: {{replace (truncateBytes event_type 40) ` + slackEscape + `}}",
  "blocks": [
    {"type": "header", "text": {"type": "plain_text", "text": "{{truncateBytes event_type 40}}: {{truncateBytes data.friendly_id 100}}"}},
    {"type": "section", "fields": [
      {"type": "plain_text", "text": "Requester: {{truncateBytes data.requester.name 1900}}"},
      {"type": "plain_text", "text": "Grantee: {{truncateBytes data.grantee.name 1900}}"},
      {"type": "plain_text", "text": "Access flow: {{truncateBytes data.access_flow.name 1900}}"},
      {"type": "plain_text", "text": "Duration: {{truncateBytes data.access_duration_in_seconds 100}} s"}
    ]},
    {"type": "section", "text": {"type": "plain_text", "text": "Justification: {{truncateBytes data.justification 2900}}"}},
    {"type": "section", "text": {"type": "plain_text", "text": "Resources ({{count (flatten data.access_groups "access_units")}}): {{truncateBytes (join (flatten (flatten data.access_groups "access_units") "resource.path") ", ") 2900 " … and more"}}"}}
  ]
}`

var slack = preset{
	shape: shape{
		preset:    "Slack",
		hosts:     hostIn("hooks.slack.com", "hooks.slack-gov.com"),
		hostsDesc: "hooks.slack.com or hooks.slack-gov.com",
		path: func(_ string, s []string) bool {
			return len(s) == 4 && (s[0] == "services" || s[0] == "triggers") && ids(s[1:]...)
		},
		pathDesc: "/services/<team>/<channel>/<secret> (an incoming webhook) or /triggers/<team>/<id>/<secret>",
	},
	name:       "slack",
	body:       SlackBodyTemplate,
	secretPath: true,
	opsBody:    SlackOperationalBodyTemplate,
	opsServed:  true,
}

// Slack returns a definition of an active webhook that posts access-request
// events to a Slack incoming webhook, rawURL: https://hooks.slack.com (or
// hooks.slack-gov.com) followed by /services/<team>/<channel>/<secret>. A
// workflow webhook's URL (/triggers/…) is accepted too; a workflow expects
// its own variables, so set the definition's BodyTemplate. The body is
// SlackBodyTemplate, or SlackOperationalBodyTemplate with
// ForOperationalEvents. A wrong URL gives a *URLError.
func Slack(rawURL string, opts ...Option) (webhook.Webhook, error) {
	return slack.build(rawURL, opts)
}

// opsVerb says, in a template, what an operational event tells of its
// webhook; TenantLimitReached, which is about a tenant, has a sentence of
// its own in each template.
const opsVerb = `{{#if (eq event_type "WebhookFailing")}}is failing{{else if (eq event_type "WebhookStillFailing")}}is still failing{{else if (eq event_type "WebhookRecovered")}}recovered{{else if (eq event_type "WebhookDisabled")}}was disabled{{else if (eq event_type "WebhookDeadLettered")}}has a new dead letter{{else}}reported an operational event{{/if}}`

// SlackOperationalBodyTemplate is Slack's body for ForOperationalEvents: a
// message whose notification text says what happened to which webhook of
// which tenant ("Outhook: webhook PagerDuty Zürich of tenant acme is
// failing"), and whose blocks show the tenant, the webhook's name and id,
// its target's host, the cause and breaker state, the last status, the
// failure counts, when it started failing, how many events were held
// back, the reason, and the dead letter or the limit when there is one.
//
// It takes the same care as SlackBodyTemplate: the notification text is
// mrkdwn with &, < and > escaped in each value, so a webhook named
// "<!channel>" notifies no one; every value in the blocks stands in a
// plain_text element; each text keeps within Block Kit's limits (header
// 150 characters, section text 3,000, field 2,000), values cut with a
// "…", counting UTF-8 bytes.
const SlackOperationalBodyTemplate = `{
  "text": "Outhook: {{#if (eq event_type "TenantLimitReached")}}tenant {{replace (truncateBytes (default data.tenant "—") 200) ` + slackEscape + `}} reached its {{replace (truncateBytes data.limit.name 40) ` + slackEscape + `}} limit ({{data.limit.max}}){{else}}webhook {{replace (truncateBytes (default data.webhook_name data.webhook_id) 200) ` + slackEscape + `}}{{#if data.tenant}} of tenant {{replace (truncateBytes data.tenant 200) ` + slackEscape + `}}{{/if}} ` + opsVerb + `{{/if}}",
  "blocks": [
    {"type": "header", "text": {"type": "plain_text", "text": "{{truncateBytes event_type 40}}: {{truncateBytes (default (default data.webhook_name data.tenant) "—") 100}}"}},
    {"type": "section", "fields": [
      {"type": "plain_text", "text": "Tenant: {{truncateBytes (default data.tenant "—") 1900}}"},
      {"type": "plain_text", "text": "Webhook: {{truncateBytes (default data.webhook_name "—") 900}} ({{truncateBytes (default data.webhook_id "—") 900}})"},
      {"type": "plain_text", "text": "Target: {{truncateBytes (default data.target_host "—") 1900}}"},
      {"type": "plain_text", "text": "Cause: {{truncateBytes (default data.cause "—") 900}}, breaker {{truncateBytes (default data.breaker_state "—") 900}}"},
      {"type": "plain_text", "text": "Last status: {{default data.last_status_code "none"}}"},
      {"type": "plain_text", "text": "Failures: {{data.consecutive_failures}} in a row, {{data.failures}} of {{data.attempts}} attempts in {{data.window_seconds}} s"},
      {"type": "plain_text", "text": "Failing since: {{#if data.failing_since}}{{time data.failing_since}}{{else}}—{{/if}}"},
      {"type": "plain_text", "text": "Held back since the last: {{data.suppressed}}"}{{#with data.dead_letter}},
      {"type": "plain_text", "text": "Dead letter: {{truncateBytes delivery_id 600}} of {{truncateBytes event_type 100}} {{truncateBytes event_id 600}} after {{attempts}} attempts"}{{/with}}{{#with data.limit}},
      {"type": "plain_text", "text": "Limit: {{truncateBytes name 100}}, at most {{max}}"}{{/with}}
    ]},
    {"type": "section", "text": {"type": "plain_text", "text": "Reason: {{truncateBytes (default data.reason "—") 2900}}"}}
  ]
}`
