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
// parses. Coralogix's /singles reference limits a request to 2 MB; the
// event is sent whole.
const CoralogixBodyTemplate = `[
  {
    "timestamp": {{millis event_time}},
    "applicationName": "apono",
    "subsystemName": "access-requests",
    "computerName": "apono",
    "severity": {{#if (eq event_type "RequestFailed")}}5{{else}}3{{/if}},
    "category": "{{truncateBytes event_type 100}}",
    "text": {{json this}}
  }
]`

// CoralogixOperationalBodyTemplate is Coralogix's body for
// ForOperationalEvents: one log with application outhook and subsystem
// webhook-operations, dated at the event's time, whose severity is 6
// (critical) for WebhookDisabled, 4 (warning) for TenantLimitReached, 3
// (info) for WebhookRecovered and 5 (error) otherwise, and whose text is
// the whole operational event as JSON.
const CoralogixOperationalBodyTemplate = `[
  {
    "timestamp": {{millis event_time}},
    "applicationName": "outhook",
    "subsystemName": "webhook-operations",
    "computerName": "outhook",
    "severity": {{#if (eq event_type "WebhookDisabled")}}6{{else if (eq event_type "TenantLimitReached")}}4{{else if (eq event_type "WebhookRecovered")}}3{{else}}5{{/if}},
    "category": "{{truncateBytes event_type 100}}",
    "text": {{json this}}
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
