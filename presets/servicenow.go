package presets

import (
	"net/url"
	"strings"

	"github.com/outhook/outhook/webhook"
)

// ServiceNowBodyTemplate is ServiceNow's preset body, after Apono's guide:
// an incident whose short_description names the event, the request, its
// requester and its first integration, whose cause is the event type,
// whose correlation_id is the request's id (so that the incidents of one
// request can be found together), and whose description is the request's
// main fields as a JSON document escaped inside the string.
//
// The requester is named in short_description and described in
// description: the incident's caller_id, like caused_by (the change that
// caused it), is a reference that takes a sys_user sys_id, which an Apono
// event does not hold; a host that maps requesters to sys_ids can set
// caller_id in its own template.
//
// Each value is cut with a "…" so that short_description keeps within its
// 160 characters and description within its 4,000 (the incident table's
// field lengths), counting UTF-8 bytes, which are never fewer than the
// characters ServiceNow counts, and, in description, counting each
// character as escaped in the document (\" as 2), so that the document
// stays whole and within the limit whatever the event holds.
const ServiceNowBodyTemplate = `{
  "short_description": "Apono {{truncateBytes event_type 20 ""}} {{truncateBytes data.friendly_id 30}} by {{truncateBytes data.requester.name 40}}: {{truncateBytes data.access_groups.[0].integration.name 40}}",
  "cause": "{{truncateBytes event_type 100}}",
  "correlation_id": "{{truncateBytes data.id 100 ""}}",
  "correlation_display": "Apono",
  "description": "{ \"event_type\": \"{{truncateBytes event_type 40 \"…\" true}}\", \"event_time\": {{event_time}}, \"id\": \"{{truncateBytes data.id 100 \"…\" true}}\", \"friendly_id\": \"{{truncateBytes data.friendly_id 100 \"…\" true}}\", \"requester\": {\"id\": \"{{truncateBytes data.requester.id 100 \"…\" true}}\", \"name\": \"{{truncateBytes data.requester.name 150 \"…\" true}}\", \"email\": \"{{truncateBytes data.requester.email 150 \"…\" true}}\"}, \"grantee\": {\"id\": \"{{truncateBytes data.grantee.id 100 \"…\" true}}\", \"name\": \"{{truncateBytes data.grantee.name 150 \"…\" true}}\", \"type\": \"{{truncateBytes data.grantee.type 30 \"…\" true}}\"}, \"justification\": \"{{truncateBytes data.justification 1700 \"…\" true}}\", \"access_flow\": \"{{truncateBytes data.access_flow.name 150 \"…\" true}}\", \"duration_in_seconds\": {{data.access_duration_in_seconds}}, \"integrations\": \"{{truncateBytes (join (flatten data.access_groups \"integration.name\") \", \") 500 \" … and more\" true}}\" }"
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
// empty token ErrMissingCredential, ForOperationalEvents ErrInvalidOption.
func ServiceNow(rawURL, token string, opts ...Option) (webhook.Webhook, error) {
	if token == "" {
		return webhook.Webhook{}, ErrMissingCredential
	}
	p := serviceNow
	p.headers = map[string]string{"Authorization": "Bearer " + token, "Accept": "application/json"}
	return p.build(rawURL, opts)
}
