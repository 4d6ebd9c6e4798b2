package presets

import "github.com/outhook/outhook/webhook"

// SlackBodyTemplate is Slack's preset body: a message whose notification
// text names the request and its event, and whose blocks show the
// requester, grantee, access flow, duration, justification and resources.
// Every value from the request stands in a plain_text element, which Slack
// shows as it is: a justification holding "<!channel>" or "*bold*" neither
// notifies anyone nor changes the formatting.
const SlackBodyTemplate = `{
  "text": "Apono access request {{data.friendly_id}}: {{event_type}}",
  "blocks": [
    {"type": "header", "text": {"type": "plain_text", "text": "{{event_type}}: {{data.friendly_id}}"}},
    {"type": "section", "fields": [
      {"type": "plain_text", "text": "Requester: {{data.requester.name}}"},
      {"type": "plain_text", "text": "Grantee: {{data.grantee.name}}"},
      {"type": "plain_text", "text": "Access flow: {{data.access_flow.name}}"},
      {"type": "plain_text", "text": "Duration: {{data.access_duration_in_seconds}} s"}
    ]},
    {"type": "section", "text": {"type": "plain_text", "text": "Justification: {{data.justification}}"}},
    {"type": "context", "elements": [
      {"type": "plain_text", "text": "Resources: {{#each data.access_groups}}{{integration.name}} ({{#each access_units}}{{resource.name}} {{permission.name}}{{#unless @last}}, {{/unless}}{{/each}}){{#unless @last}}; {{/unless}}{{else}}none{{/each}}"}
    ]}
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
}

// Slack returns a definition of an active webhook that posts access-request
// events to a Slack incoming webhook, rawURL: https://hooks.slack.com (or
// hooks.slack-gov.com) followed by /services/<team>/<channel>/<secret>. A
// workflow webhook's URL (/triggers/…) is accepted too; a workflow expects
// its own variables, so set the definition's BodyTemplate. The body is
// SlackBodyTemplate. A wrong URL gives a *URLError.
func Slack(rawURL string, opts ...Option) (webhook.Webhook, error) {
	return slack.build(rawURL, opts)
}
