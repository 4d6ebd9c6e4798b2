package presets

import (
	"net/url"
	"strings"

	"github.com/outhook/outhook/webhook"
)

// ServiceNowBodyTemplate is ServiceNow's preset body, after Apono's guide:
// an incident whose short_description names the request and its first
// integration, whose caused_by is the requester, whose cause is the event
// type, and whose description is the request's main fields as a JSON
// document escaped inside the string.
const ServiceNowBodyTemplate = `{
  "short_description": "Apono {{event_type}} {{data.friendly_id}}: {{data.access_groups.[0].integration.name}}",
  "caused_by": "{{data.requester.name}}",
  "cause": "{{event_type}}",
  "description": "{ \"event_type\": \"{{event_type}}\", \"event_time\": {{event_time}}, \"id\": \"{{data.id}}\", \"friendly_id\": \"{{data.friendly_id}}\", \"requester\": {{json data.requester}}, \"grantee\": {{json data.grantee}}, \"justification\": \"{{data.justification}}\", \"access_flow\": \"{{data.access_flow.name}}\", \"duration_in_seconds\": {{data.access_duration_in_seconds}}, \"integrations\": [{{#each data.access_groups}}\"{{integration.name}}\"{{#unless @last}}, {{/unless}}{{/each}}] }"
}`

var serviceNow = preset{
	shape: shape{
		preset:    "ServiceNow",
		hosts:     hostUnder(".service-now.com", ".servicenowservices.com"),
		hostsDesc: "<instance>.service-now.com or <instance>.servicenowservices.com",
		path: func(_ string, s []string) bool {
			if len(s) == 5 && (s[2] == "v1" || s[2] == "v2") {
				s = append(s[:2:2], s[3:]...)
			}
			return len(s) == 4 && s[0] == "api" && s[1] == "now" && s[2] == "table" && id(s[3])
		},
		pathDesc: "/api/now/table/<table>, such as /api/now/table/incident",
		query: func(q url.Values) bool {
			for k := range q {
				if !strings.HasPrefix(k, "sysparm_") {
					return false
				}
			}
			return true
		},
	},
	name: "servicenow",
	body: ServiceNowBodyTemplate,
}

// ServiceNow returns a definition of an active webhook that opens a
// ServiceNow incident for each access-request event: rawURL is the Table
// API of an instance, such as
// https://<instance>.service-now.com/api/now/table/incident, and token, an
// OAuth access token, is sent as Authorization: Bearer <token> (for basic
// authentication, replace it on the definition:
// w.Headers["Authorization"] = "Basic …").
// The body is ServiceNowBodyTemplate. A wrong URL gives a *URLError, an
// empty token ErrMissingCredential.
func ServiceNow(rawURL, token string, opts ...Option) (webhook.Webhook, error) {
	if token == "" {
		return webhook.Webhook{}, ErrMissingCredential
	}
	p := serviceNow
	p.headers = map[string]string{"Authorization": "Bearer " + token, "Accept": "application/json"}
	return p.build(rawURL, opts)
}
