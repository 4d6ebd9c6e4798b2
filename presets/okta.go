package presets

import (
	"net/url"
	"strings"

	"github.com/outhook/outhook/webhook"
)

// OktaClientTokenHeader is the header Okta Workflows reads a client token
// from (see WithClientToken).
const OktaClientTokenHeader = "x-api-client-token"

// OktaWorkflowsBodyTemplate is Okta Workflows' preset body, after Apono's
// guide: a "fields" object whose keys an API Endpoint card lists as its
// outputs.
const OktaWorkflowsBodyTemplate = `{
  "fields": {
    "event type": "{{event_type}}",
    "event time": "{{event_time}}",
    "request id": "{{data.friendly_id}}",
    "requestor name": "{{data.requester.name}}",
    "requestor email": "{{data.requester.email}}",
    "grantee": "{{data.grantee.name}}",
    "justification": "{{data.justification}}",
    "integration name": "{{data.access_groups.[0].[integration].name}}",
    "resource type": "{{data.access_groups.[0].[resource_types].[0].name}}",
    "access units": "{{data.access_groups.[0].access_units.[0].resource.name}}",
    "duration seconds": {{data.access_duration_in_seconds}}
  }
}`

var okta = preset{
	shape: shape{
		preset:    "OktaWorkflows",
		hosts:     hostUnder(".workflows.okta.com", ".workflows.oktapreview.com", ".workflows.okta-emea.com", ".workflows.okta-gov.com"),
		hostsDesc: "<org>.workflows.okta.com (or okta-emea.com, okta-gov.com, oktapreview.com)",
		path: func(_ string, s []string) bool {
			return len(s) == 4 && s[0] == "api" && s[1] == "flo" && id(s[2]) && s[3] == "invoke"
		},
		pathDesc: "/api/flo/<flow>/invoke",
		// One clientToken, not empty: Okta refuses the call otherwise.
		// Nor holding "{{": the URL would read it as a template over the
		// event, and send the event's field in the token's place.
		query: func(q url.Values) bool {
			t, ok := q["clientToken"]
			return ok && len(q) == 1 && len(t) == 1 && t[0] != "" && !strings.Contains(t[0], "{{")
		},
	},
	name: "okta-workflows",
	body: OktaWorkflowsBodyTemplate,
}

// OktaWorkflows returns a definition of an active webhook that starts an
// Okta Workflows flow through its API Endpoint at rawURL:
// https://<org>.workflows.okta.com/api/flo/<flow>/invoke, the invoke URL
// the API Endpoint card gives (the URL without /invoke is not one that
// starts the flow, and is refused), with the client
// token either in the URL (?clientToken=…, shown redacted in records) or,
// with WithClientToken, in the x-api-client-token header. The body is
// OktaWorkflowsBodyTemplate. A wrong URL gives a *URLError,
// ForOperationalEvents ErrInvalidOption.
func OktaWorkflows(rawURL string, opts ...Option) (webhook.Webhook, error) {
	return okta.build(rawURL, opts)
}
