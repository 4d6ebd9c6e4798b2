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
