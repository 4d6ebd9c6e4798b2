package presets

import (
	"net/url"

	"github.com/outhook/outhook/webhook"
)

// teamsMarkdown is the replace arguments that put a backslash before each
// character that starts Markdown in an Adaptive Card's TextBlock and
// FactSet text (bold, italic, lists, links, code, HTML-like autolinks),
// which CommonMark, whose subset Adaptive Cards read, shows as the
// character itself.
const teamsMarkdown = `"\\" "\\\\" "*" "\\*" "_" "\\_" "[" "\\[" "]" "\\]" "(" "\\(" ")" "\\)" "<" "\\<" ">" "\\>" "` + "`" + `" "\\` + "`" + `" "~" "\\~" "#" "\\#" "-" "\\-" "+" "\\+" "!" "\\!" "|" "\\|"`

// TeamsBodyTemplate is Teams' preset body: a message holding an adaptive
// card with the request, its event, and a fact for the requester, the
// grantee, the justification, the access flow, the integrations and the
// resources. Teams incoming webhooks and the Power Automate workflows that
// replace them both read this form.
//
// Teams renders Markdown in a TextBlock and in a fact's title and value
// (Teams' card formatting reference): each value from the event has the
// characters that start Markdown escaped with a backslash, so a
// justification of "[Approve now](https://evil.example) **URGENT**" shows
// as written, not as a link in bold. A client may still turn a bare URL
// into a link, which no escaping prevents.
//
// Teams refuses a message over 28 KB (Teams' incoming webhook limits): each
// value is cut with a "…", counting the bytes it takes once escaped for
// JSON, so that the whole body stays under 22 KB whatever the event holds;
// the resources are listed as their paths, after their number, ending
// with "… and more" when cut. A value that is empty, null or missing
// (no grantee name, no resources) shows as "—", so that no fact is
// left without a value.
const TeamsBodyTemplate = `{
  "type": "message",
  "attachments": [
    {
      "contentType": "application/vnd.microsoft.card.adaptive",
      "content": {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
          {"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true, "text": "Access request {{truncateBytes (replace data.friendly_id ` + teamsMarkdown + `) 200 "…" true}}: {{truncateBytes (replace event_type ` + teamsMarkdown + `) 100 "…" true}}"},
          {
            "type": "FactSet",
            "facts": [
              {"title": "Requester", "value": "{{truncateBytes (replace (default data.requester.name "—") ` + teamsMarkdown + `) 500 "…" true}}, {{truncateBytes (replace (default data.requester.email "—") ` + teamsMarkdown + `) 500 "…" true}}"},
              {"title": "Grantee", "value": "{{truncateBytes (replace (default data.grantee.name "—") ` + teamsMarkdown + `) 500 "…" true}}"},
              {"title": "Justification", "value": "{{truncateBytes (replace (default data.justification "—") ` + teamsMarkdown + `) 8000 "…" true}}"},
              {"title": "Access flow", "value": "{{truncateBytes (replace (default data.access_flow.name "—") ` + teamsMarkdown + `) 500 "…" true}}"},
              {"title": "Integrations", "value": "{{truncateBytes (replace (default (join (flatten data.access_groups "integration.name") ", ") "—") ` + teamsMarkdown + `) 2000 " … and more" true}}"},
              {"title": "Resources ({{count (flatten data.access_groups "access_units")}})", "value": "{{truncateBytes (replace (default (join (flatten (flatten data.access_groups "access_units") "resource.path") ", ") "—") ` + teamsMarkdown + `) 8000 " … and more" true}}"}
            ]
          }
        ]
      }
    }
  ]
}`

// TeamsOperationalBodyTemplate is Teams' body for ForOperationalEvents: a
// message holding an adaptive card that says what happened to which
// webhook of which tenant, with a fact for the tenant, the webhook's name,
// its id, its target's host, the cause, the breaker state, the last
// status, the failure counts, when it started failing, how many events
// were held back, the reason, and the dead letter or the limit.
//
// It takes the same care as TeamsBodyTemplate: each value from the event
// has the characters that start Markdown escaped with a backslash, is cut
// with a "…" counting the bytes it takes once escaped for JSON (the whole
// body stays under 16 KB, within Teams' 28 KB), and shows as "—" when
// empty or null.
const TeamsOperationalBodyTemplate = `{
  "type": "message",
  "attachments": [
    {
      "contentType": "application/vnd.microsoft.card.adaptive",
      "content": {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
          {"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true, "text": "{{#if (eq event_type "TenantLimitReached")}}Tenant {{truncateBytes (replace (default data.tenant "—") ` + teamsMarkdown + `) 500 "…" true}} reached its {{truncateBytes (replace data.limit.name ` + teamsMarkdown + `) 100 "…" true}} limit of {{data.limit.max}}{{else}}Webhook {{truncateBytes (replace (default (default data.webhook_name data.webhook_id) "—") ` + teamsMarkdown + `) 500 "…" true}} ` + opsVerb + `{{/if}}"},
          {
            "type": "FactSet",
            "facts": [
              {"title": "Event", "value": "{{truncateBytes (replace event_type ` + teamsMarkdown + `) 100 "…" true}}"},
              {"title": "Tenant", "value": "{{truncateBytes (replace (default data.tenant "—") ` + teamsMarkdown + `) 600 "…" true}}"},
              {"title": "Webhook", "value": "{{truncateBytes (replace (default data.webhook_name "—") ` + teamsMarkdown + `) 600 "…" true}}"},
              {"title": "Webhook id", "value": "{{truncateBytes (replace (default data.webhook_id "—") ` + teamsMarkdown + `) 600 "…" true}}"},
              {"title": "Target", "value": "{{truncateBytes (replace (default data.target_host "—") ` + teamsMarkdown + `) 600 "…" true}}"},
              {"title": "Cause", "value": "{{truncateBytes (replace (default data.cause "—") ` + teamsMarkdown + `) 200 "…" true}}"},
              {"title": "Breaker", "value": "{{truncateBytes (replace (default data.breaker_state "—") ` + teamsMarkdown + `) 200 "…" true}}"},
              {"title": "Last status", "value": "{{default data.last_status_code "none"}}"},
              {"title": "Failures", "value": "{{data.consecutive_failures}} in a row, {{data.failures}} of {{data.attempts}} attempts in {{data.window_seconds}} s"},
              {"title": "Failing since", "value": "{{#if data.failing_since}}{{replace (time data.failing_since) ` + teamsMarkdown + `}}{{else}}—{{/if}}"},
              {"title": "Held back", "value": "{{data.suppressed}}"},
              {"title": "Reason", "value": "{{truncateBytes (replace (default data.reason "—") ` + teamsMarkdown + `) 8000 "…" true}}"}{{#with data.dead_letter}},
              {"title": "Dead letter", "value": "{{truncateBytes (replace delivery_id ` + teamsMarkdown + `) 600 "…" true}} of {{truncateBytes (replace event_type ` + teamsMarkdown + `) 200 "…" true}} {{truncateBytes (replace event_id ` + teamsMarkdown + `) 600 "…" true}} after {{attempts}} attempts"}{{/with}}{{#with data.limit}},
              {"title": "Limit", "value": "{{truncateBytes (replace name ` + teamsMarkdown + `) 200 "…" true}}, at most {{max}}"}{{/with}}
            ]
          }
        ]
      }
    }
  ]
}`

var teams = preset{
	shape: shape{
		preset:    "Teams",
		hosts:     hostUnder(".webhook.office.com", ".logic.azure.com", ".environment.api.powerplatform.com"),
		hostsDesc: "<tenant>.webhook.office.com, a *.logic.azure.com or a *.environment.api.powerplatform.com host",
		path:      teamsPath,
		pathDesc:  "/webhookb2/… on webhook.office.com, or a workflow's /…/workflows/<id>/triggers/manual/paths/invoke",
		query: func(q url.Values) bool {
			for k := range q {
				switch k {
				case "api-version", "sp", "sv", "sig":
				default:
					return false
				}
			}
			return true
		},
	},
	name:       "teams",
	body:       TeamsBodyTemplate,
	headers:    map[string]string{"Content-Type": teamsContentType},
	secretPath: true, // an incoming webhook's path is its credential
	opsBody:    TeamsOperationalBodyTemplate,
	opsServed:  true,
}

// teamsContentType names the body's charset, which Teams' incoming
// webhooks otherwise may not take as UTF-8.
const teamsContentType = "application/json; charset=utf-8"

func teamsPath(host string, s []string) bool {
	invoke := func(s []string) bool {
		return len(s) == 6 && s[0] == "workflows" && id(s[1]) && s[2] == "triggers" && s[3] == "manual" && s[4] == "paths" && s[5] == "invoke"
	}
	switch {
	case hostUnder(".webhook.office.com")(host):
		if len(s) < 2 || s[0] != "webhookb2" {
			return false
		}
		for _, seg := range s[1:] {
			if !id(stripAt(seg)) {
				return false
			}
		}
		return true
	case hostUnder(".logic.azure.com")(host):
		return invoke(s)
	default:
		return len(s) == 9 && s[0] == "powerautomate" && s[1] == "automations" && s[2] == "direct" && invoke(s[3:])
	}
}

// stripAt removes the '@' that joins two ids in a Teams webhook path.
func stripAt(seg string) string {
	out := make([]byte, 0, len(seg))
	for i := range len(seg) {
		if seg[i] != '@' || i == 0 || i == len(seg)-1 {
			out = append(out, seg[i])
		}
	}
	return string(out)
}

// Teams returns a definition of an active webhook that posts access-request
// events to a Microsoft Teams channel as an adaptive card, through rawURL:
// an incoming webhook (https://<tenant>.webhook.office.com/webhookb2/…) or
// the Power Automate workflow that replaces it
// (https://…logic.azure.com/workflows/<id>/triggers/manual/paths/invoke?…
// or https://….environment.api.powerplatform.com/powerautomate/automations/direct/workflows/<id>/triggers/manual/paths/invoke?…;
// the :443 that Power Automate writes is removed). The body is
// TeamsBodyTemplate (TeamsOperationalBodyTemplate with
// ForOperationalEvents), sent with Content-Type: application/json;
// charset=utf-8. A wrong URL gives a *URLError.
func Teams(rawURL string, opts ...Option) (webhook.Webhook, error) {
	return teams.build(rawURL, opts)
}
