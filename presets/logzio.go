package presets

import (
	"net/url"
	"strings"

	"github.com/outhook/outhook/webhook"
)

// LogzioBodyTemplate is Logz.io's preset body: one log for the bulk HTTP
// listener, on a single line as the listener's newline-delimited format
// requires, whose @timestamp is the event's time (so a delivery retried
// later is logged at the time of the event), whose message names the
// event and the request, and whose apono field is the whole event as JSON.
// Logz.io's shipping reference limits a log line to 500,000 bytes, and the
// listener refuses a longer one: the message is cut with a "…" at 1,000
// bytes, and an event whose JSON passes 480,000 bytes is sent as the start
// of its JSON text, cut with a "…", in an apono_json field instead, so that
// the line keeps within the limit whatever the event holds.
const LogzioBodyTemplate = `{"@timestamp": {{time event_time layout="RFC3339Nano"}}, "message": "Apono access request {{truncateBytes data.friendly_id 200}}: {{truncateBytes event_type 100}} by {{truncateBytes data.requester.name 600}}", "event_type": "{{truncateBytes event_type 100}}", ` + logzioTooLong + `"apono_json": "` + logzioCut + `"` + logzioElseFits + `"apono": {{json @root}}{{else}}"apono_json": "` + logzioCut + `"{{/if}}{{else}}"apono": {{json @root}}{{/with}}}`

// The parts of a Logz.io log that hold the whole event: its JSON, made
// once as j, is written as an object when it keeps within 480,000 bytes,
// and otherwise its start, cut with a "…" and counting the bytes escaping
// adds, is written as a string under another name, which keeps the first
// one an object in Logz.io's index mapping. logzioTooLong opens the blocks
// on an event of over 480,000 UTF-16 units, whose JSON is too long without
// the copy that logzioElseFits makes to measure its bytes: each copy counts
// against the Dispatcher's render limit. (The {{else}} of the with, which
// JSON mode asks for, is never taken: an event's JSON is never empty.)
const (
	logzioTooLong  = `{{#with (json this) as |j|}}{{#if (lookup j 480000)}}`
	logzioElseFits = `{{else if (eq (truncateBytes j 480000 "") j)}}`
	logzioCut      = `{{truncateBytes j 480000 " …" true}}`
)

// LogzioOperationalBodyTemplate is Logz.io's body for
// ForOperationalEvents: one log on a single line, dated at the event's
// time, whose message says what happened to which webhook of which
// tenant and why (line breaks turned into spaces, each value cut with a
// "…", the whole within 800 bytes), whose level is critical for WebhookDisabled, warning for
// TenantLimitReached, info for WebhookRecovered and error otherwise, and
// whose outhook field is the whole operational event as JSON (past
// 480,000 bytes, its JSON text cut with a "…" in outhook_json, as in
// LogzioBodyTemplate).
const LogzioOperationalBodyTemplate = `{"@timestamp": {{time event_time layout="RFC3339Nano"}}, "message": "Outhook: {{#if (eq event_type "TenantLimitReached")}}tenant {{replace (truncateBytes (default data.tenant "—") 200) ` + oneLine + `}} reached its {{replace (truncateBytes data.limit.name 40) ` + oneLine + `}} limit ({{data.limit.max}}){{else}}webhook {{replace (truncateBytes (default data.webhook_name data.webhook_id) 200) ` + oneLine + `}}{{#if data.tenant}} of tenant {{replace (truncateBytes data.tenant 200) ` + oneLine + `}}{{/if}} ` + opsVerb + `{{/if}}: {{replace (truncateBytes data.reason 300) ` + oneLine + `}}", "level": "` + opsStatus + `", "event_type": "{{truncateBytes event_type 100}}", ` + logzioTooLong + `"outhook_json": "` + logzioCut + `"` + logzioElseFits + `"outhook": {{json @root}}{{else}}"outhook_json": "` + logzioCut + `"{{/if}}{{else}}"outhook": {{json @root}}{{/with}}}`

// LogzioPort is the port of Logz.io's HTTPS listeners.
const LogzioPort = "8071"

// The listener hosts of Logz.io's regions.
var logzioHosts = []string{
	"listener.logz.io", "listener-au.logz.io", "listener-ca.logz.io", "listener-eu.logz.io",
	"listener-nl.logz.io", "listener-uk.logz.io", "listener-wa.logz.io",
}

var logzio = preset{
	shape: shape{
		preset:    "Logzio",
		hosts:     hostIn(logzioHosts...),
		hostsDesc: "a Logz.io listener (" + strings.Join(logzioHosts, ", ") + ")",
		path:      func(_ string, s []string) bool { return len(s) == 1 && s[0] == "" },
		pathDesc:  "no path, or /",
		query: func(q url.Values) bool {
			t, ok := q["type"]
			return ok && len(q) == 1 && len(t) == 1 && id(t[0])
		},
		ports:        []string{LogzioPort},
		portsDesc:    "port " + LogzioPort,
		portRequired: true,
	},
	name:      "logzio",
	body:      LogzioBodyTemplate,
	opsBody:   LogzioOperationalBodyTemplate,
	opsServed: true,
}

// Logzio returns a definition of an active webhook that ships
// access-request events to Logz.io as logs: rawURL is the account region's
// listener on its HTTPS port, such as https://listener.logz.io:8071 (or
// listener-eu.logz.io and the others), optionally with ?type=<log type>;
// token, the account's log shipping token, is added to the URL's query as
// the listener requires (records and logs show query values redacted).
// The body is LogzioBodyTemplate (LogzioOperationalBodyTemplate with
// ForOperationalEvents). A wrong URL gives a *URLError (port 8071
// is required), an empty token ErrMissingCredential.
//
// Port 8071 is one Apono's other guides do not allow: the definition's
// url_policy asks for it (AllowCustomPort), which a Dispatcher accepts
// when its URL policy lets definitions use that port
// (webhook.URLPolicy{DefinitionPorts: []int{8071}}) or accepts custom
// ports for all (AllowCustomPorts).
func Logzio(rawURL, token string, opts ...Option) (webhook.Webhook, error) {
	if token == "" {
		return webhook.Webhook{}, ErrMissingCredential
	}
	p := logzio
	p.query = url.Values{"token": {token}}
	return withCustomPort(p.build(rawURL, opts))
}
