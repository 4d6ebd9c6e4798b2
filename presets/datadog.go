package presets

import (
	"net/url"
	"strings"

	"github.com/outhook/outhook/webhook"
)

// DatadogLogsBodyTemplate is Datadog Logs' preset body, after Apono's
// guide: one log whose message is the whole event, as JSON escaped inside
// the string, which Datadog parses into attributes; a failed request is
// logged with status error. Its date is the event's time in epoch
// milliseconds: date is one of the attributes Datadog's log date remapper
// reads by default, so a delivery retried later is still logged at the
// time of the event, not of the delivery.
const DatadogLogsBodyTemplate = `[
  {
    "ddsource": "apono",
    "ddtags": "source:apono,event_type:{{event_type}}",
    "hostname": "apono",
    "service": "apono",
    "date": {{millis event_time}},
    "status": "{{#if (eq event_type "RequestFailed")}}error{{else}}info{{/if}}",
    "message": "{{json this}}"
  }
]`

// DatadogLogsOperationalBodyTemplate is Datadog Logs' body for
// ForOperationalEvents: one log from source and service outhook whose
// message is the whole operational event, as JSON escaped inside the
// string, dated at the event's time, with status critical for
// WebhookDisabled, warning for TenantLimitReached, info for
// WebhookRecovered and error otherwise.
const DatadogLogsOperationalBodyTemplate = `[
  {
    "ddsource": "outhook",
    "ddtags": "source:outhook,event_type:{{event_type}}",
    "hostname": "outhook",
    "service": "outhook",
    "date": {{millis event_time}},
    "status": "` + opsStatus + `",
    "message": "{{json this}}"
  }
]`

// opsStatus is the log status of an operational event, in the words
// Datadog's and Logz.io's log levels share.
const opsStatus = `{{#if (eq event_type "WebhookDisabled")}}critical{{else if (eq event_type "TenantLimitReached")}}warning{{else if (eq event_type "WebhookRecovered")}}info{{else}}error{{/if}}`

// The Datadog sites of the Logs API's send-logs reference: their log intake
// host is http-intake.logs.<site>.
var datadogSites = []string{
	"datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu",
	"ap1.datadoghq.com", "ap2.datadoghq.com", "uk1.datadoghq.com",
	"ddog-gov.com", "us2.ddog-gov.com",
}

var datadog = preset{
	shape: shape{
		preset: "DatadogLogs",
		hosts: func(h string) bool {
			site, ok := strings.CutPrefix(h, "http-intake.logs.")
			return ok && hostIn(datadogSites...)(site)
		},
		hostsDesc: "http-intake.logs.<site> for a Datadog site (" + strings.Join(datadogSites, ", ") + ")",
		path:      func(_ string, s []string) bool { return len(s) == 3 && s[0] == "api" && s[1] == "v2" && s[2] == "logs" },
		pathDesc:  "/api/v2/logs",
		// ddtags, the send-logs query parameter, tags every log sent.
		query: func(q url.Values) bool {
			tags, ok := q["ddtags"]
			return ok && len(q) == 1 && len(tags) == 1 && tags[0] != ""
		},
	},
	name:      "datadog-logs",
	body:      DatadogLogsBodyTemplate,
	opsBody:   DatadogLogsOperationalBodyTemplate,
	opsServed: true,
}

// DatadogLogs returns a definition of an active webhook that sends
// access-request events to Datadog Logs: rawURL is the log intake of a
// Datadog site, https://http-intake.logs.<site>/api/v2/logs, for each site
// of Datadog's Logs API reference (datadoghq.com, us3.datadoghq.com,
// us5.datadoghq.com, datadoghq.eu, ap1.datadoghq.com, ap2.datadoghq.com,
// uk1.datadoghq.com, ddog-gov.com and us2.ddog-gov.com), optionally with
// one ddtags query parameter (?ddtags=env:prod,team:sec), which Datadog
// adds to every log of the request. apiKey is sent in the DD-API-KEY
// header. The body is DatadogLogsBodyTemplate
// (DatadogLogsOperationalBodyTemplate with ForOperationalEvents). A wrong URL gives a
// *URLError, an empty apiKey ErrMissingCredential.
//
// Datadog's intake refuses a log dated more than 18 hours in the past, and
// truncates a log over 1 MB: a delivery retried for longer than that, or
// an event larger than that, is not logged whole.
func DatadogLogs(rawURL, apiKey string, opts ...Option) (webhook.Webhook, error) {
	if apiKey == "" {
		return webhook.Webhook{}, ErrMissingCredential
	}
	p := datadog
	p.headers = map[string]string{"DD-API-KEY": apiKey}
	return p.build(rawURL, opts)
}
