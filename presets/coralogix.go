package presets

import (
	"strings"

	"github.com/outhook/outhook/webhook"
)

// CoralogixBodyTemplate is Coralogix's preset body: one log for its REST
// API /singles endpoint, with application apono and subsystem
// access-requests, whose timestamp is the event's time in epoch
// milliseconds (so a delivery retried later is logged at the time of the
// event), whose severity is 5 (error) for a failed request and 3 (info)
// otherwise, and whose text is the whole event as JSON, which Coralogix
// parses. Coralogix's /singles reference limits a request to 2 MB, and a
// larger one is refused: an event whose JSON passes 1,300,000 bytes is
// sent as the start of its JSON text, 500,000 bytes cut with a "…", as a
// text string instead, so that the request keeps within the limit whatever
// the event holds.
const CoralogixBodyTemplate = `[
  {
    "timestamp": {{millis event_time}},
    "applicationName": "apono",
    "subsystemName": "access-requests",
    "computerName": "apono",
    "severity": {{#if (eq event_type "RequestFailed")}}5{{else}}3{{/if}},
    "category": "{{truncateBytes event_type 100}}",
    "text": ` + coralogixText + `
  }
]`

// coralogixText is a log's text: the whole event as JSON when its JSON,
// made once as j, keeps within 1,300,000 bytes, or else the start of its
// JSON text, 500,000 bytes counted as escaped, cut with a "…". Each copy of
// the JSON counts against the Dispatcher's render limit (4 MB by default):
// with these sizes an event of up to 1.3 MB is sent whole, and one of up to
// about 2.8 MB is sent cut rather than failing to render; an event of over
// 1,300,000 UTF-16 units skips the copy that measures its bytes. (The
// {{else}} of the with, which JSON mode asks for, is never taken: an
// event's JSON is never empty.)
const coralogixText = `{{#with (json this) as |j|}}{{#if (lookup j 1300000)}}"{{truncateBytes j 500000 " …" true}}"{{else if (eq (truncateBytes j 1300000 "") j)}}{{json @root}}{{else}}"{{truncateBytes j 500000 " …" true}}"{{/if}}{{else}}{{json @root}}{{/with}}`

// CoralogixOperationalBodyTemplate is Coralogix's body for
// ForOperationalEvents: one log with application outhook and subsystem
// webhook-operations, dated at the event's time, whose severity is 6
// (critical) for WebhookDisabled, 4 (warning) for TenantLimitReached, 3
// (info) for WebhookRecovered and 5 (error) otherwise, and whose text is
// the whole operational event as JSON (past 1,300,000 bytes, the start of
// its JSON text cut with a "…", as in CoralogixBodyTemplate).
const CoralogixOperationalBodyTemplate = `[
  {
    "timestamp": {{millis event_time}},
    "applicationName": "outhook",
    "subsystemName": "webhook-operations",
    "computerName": "outhook",
    "severity": {{#if (eq event_type "WebhookDisabled")}}6{{else if (eq event_type "TenantLimitReached")}}4{{else if (eq event_type "WebhookRecovered")}}3{{else}}5{{/if}},
    "category": "{{truncateBytes event_type 100}}",
    "text": ` + coralogixText + `
  }
]`

// The roots of Coralogix's domains: each region's ingress host is
// ingress.<domain>, such as ingress.eu2.coralogix.com.
var coralogixRoots = []string{"coralogix.com", "coralogix.us", "coralogix.in", "coralogixsg.com"}

var coralogix = preset{
	shape: shape{
		preset: "Coralogix",
		hosts: func(h string) bool {
			domain, ok := strings.CutPrefix(h, "ingress.")
			if !ok {
				return false
			}
			for _, r := range coralogixRoots {
				if domain == r || strings.HasSuffix(domain, "."+r) {
					return true
				}
			}
			return false
		},
		hostsDesc: "ingress.<domain> for a Coralogix domain (under " + strings.Join(coralogixRoots, ", ") + ")",
		path: func(_ string, s []string) bool {
			return len(s) == 3 && s[0] == "logs" && s[1] == "v1" && s[2] == "singles"
		},
		pathDesc: "/logs/v1/singles",
	},
	name:      "coralogix",
	body:      CoralogixBodyTemplate,
	opsBody:   CoralogixOperationalBodyTemplate,
	opsServed: true,
}

// Coralogix returns a definition of an active webhook that sends
// access-request events to Coralogix as logs: rawURL is the REST API
// /singles endpoint of the account's domain,
// https://ingress.<domain>/logs/v1/singles (such as
// https://ingress.eu2.coralogix.com/logs/v1/singles), and apiKey, a
// Send-Your-Data API key, is sent as Authorization: Bearer <apiKey>. The
// body is CoralogixBodyTemplate (CoralogixOperationalBodyTemplate with
// ForOperationalEvents). A wrong URL gives a *URLError, an empty
// apiKey ErrMissingCredential.
func Coralogix(rawURL, apiKey string, opts ...Option) (webhook.Webhook, error) {
	if apiKey == "" {
		return webhook.Webhook{}, ErrMissingCredential
	}
	p := coralogix
	p.headers = map[string]string{"Authorization": "Bearer " + apiKey}
	return p.build(rawURL, opts)
}
