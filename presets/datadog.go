package presets

import (
	"strings"

	"github.com/outhook/outhook/webhook"
)

// DatadogLogsBodyTemplate is Datadog Logs' preset body, after Apono's
// guide: one log whose message is the whole event, as JSON escaped inside
// the string, which Datadog parses into attributes; a failed request is
// logged with status error.
const DatadogLogsBodyTemplate = `[
  {
    "ddsource": "apono",
    "ddtags": "source:apono,event_type:{{event_type}}",
    "hostname": "apono",
    "service": "apono",
    "status": "{{#if (eq event_type "RequestFailed")}}error{{else}}info{{/if}}",
    "message": "{{json this}}"
  }
]`

// The Datadog sites: their log intake host is http-intake.logs.<site>.
var datadogSites = []string{"datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu", "ap1.datadoghq.com", "ap2.datadoghq.com", "ddog-gov.com"}

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
	},
	name: "datadog-logs",
	body: DatadogLogsBodyTemplate,
}

// DatadogLogs returns a definition of an active webhook that sends
// access-request events to Datadog Logs: rawURL is the log intake of a
// Datadog site, such as https://http-intake.logs.datadoghq.com/api/v2/logs,
// and apiKey is sent in the DD-API-KEY header. The body is
// DatadogLogsBodyTemplate. A wrong URL gives a *URLError, an empty apiKey
// ErrMissingCredential.
func DatadogLogs(rawURL, apiKey string, opts ...Option) (webhook.Webhook, error) {
	if apiKey == "" {
		return webhook.Webhook{}, ErrMissingCredential
	}
	p := datadog
	p.headers = map[string]string{"DD-API-KEY": apiKey}
	return p.build(rawURL, opts)
}
