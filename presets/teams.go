package presets

import (
	"net/url"

	"github.com/outhook/outhook/webhook"
)

// TeamsBodyTemplate is Teams' preset body: a message holding an adaptive
// card with the request, its event, and a fact for the requester, the
// justification, the access flow and each access group's resources. Teams
// incoming webhooks and the Power Automate workflows that replace them both
// read this form.
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
          {"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true, "text": "Access request {{data.friendly_id}}: {{event_type}}"},
          {
            "type": "FactSet",
            "facts": [
              {"title": "Requester", "value": "{{data.requester.name}} ({{data.requester.email}})"},
              {"title": "Grantee", "value": "{{data.grantee.name}}"},
              {"title": "Justification", "value": "{{data.justification}}"},
              {"title": "Access flow", "value": "{{data.access_flow.name}}"}
              {{~#each data.access_groups}},
              {"title": "{{integration.type}}", "value": "{{integration.name}}: {{#each access_units}}{{resource.name}} ({{permission.name}}){{#unless @last}}, {{/unless}}{{else}}no resources{{/each}}"}
              {{~/each}}
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
	secretPath: true, // an incoming webhook's path is its credential
}

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
// TeamsBodyTemplate. A wrong URL gives a *URLError.
func Teams(rawURL string, opts ...Option) (webhook.Webhook, error) {
	return teams.build(rawURL, opts)
}
