package presets

import (
	"net/url"

	"github.com/outhook/outhook/webhook"
)

// SplunkHECBodyTemplate is Splunk HTTP Event Collector's preset body: one
// event in HEC's JSON event protocol whose event is the whole Apono event,
// as JSON (sourcetype _json, so Splunk extracts its fields), and whose time
// is the event's time in epoch seconds, the envelope's time that HEC's
// event formatting reference says takes priority over any time found in
// the event: a delivery retried later is indexed at the time of the event.
const SplunkHECBodyTemplate = `{
  "time": {{event_time}},
  "host": "apono",
  "source": "apono",
  "sourcetype": "_json",
  "event": {{json this}}
}`

// SplunkHECOperationalBodyTemplate is Splunk HTTP Event Collector's body
// for ForOperationalEvents: SplunkHECBodyTemplate with outhook as its
// host and source, whose event is the whole operational event.
const SplunkHECOperationalBodyTemplate = `{
  "time": {{event_time}},
  "host": "outhook",
  "source": "outhook",
  "sourcetype": "_json",
  "event": {{json this}}
}`

// SplunkHECPort is the port HTTP Event Collector listens on by default.
const SplunkHECPort = "8088"

var splunkHEC = preset{
	shape: shape{
		preset:    "SplunkHEC",
		hosts:     func(string) bool { return true },
		hostsDesc: "a host name or IPv4 address",
		// /services/collector/event/1.0 and /services/collector take the
		// same JSON events as /services/collector/event.
		path: func(_ string, s []string) bool {
			ok := len(s) >= 2 && s[0] == "services" && s[1] == "collector"
			return ok && (len(s) == 2 || len(s) == 3 && s[2] == "event" || len(s) == 4 && s[2] == "event" && s[3] == "1.0")
		},
		pathDesc: "/services/collector/event (or /services/collector, /services/collector/event/1.0)",
		// The event's metadata may be given in the query; the token may
		// not: it goes in the Authorization header.
		query: func(q url.Values) bool {
			for k := range q {
				switch k {
				case "channel", "index", "host", "source", "sourcetype":
				default:
					return false
				}
			}
			return true
		},
		ports:     []string{SplunkHECPort},
		portsDesc: "port " + SplunkHECPort + " or the default",
	},
	name:      "splunk-hec",
	body:      SplunkHECBodyTemplate,
	opsBody:   SplunkHECOperationalBodyTemplate,
	opsServed: true,
}

// SplunkHEC returns a definition of an active webhook that sends
// access-request events to a Splunk HTTP Event Collector, after Apono's
// Splunk guide: rawURL is the collector's event endpoint, such as
// https://splunk.example.com:8088/services/collector/event (the host is
// the Splunk deployment's own; Splunk Cloud Platform's is
// http-inputs-<stack>.splunkcloud.com on the default port), and token, a
// HEC token, is sent as Authorization: Splunk <token>. The body is
// SplunkHECBodyTemplate (SplunkHECOperationalBodyTemplate with
// ForOperationalEvents). A wrong URL gives a *URLError, an empty token
// ErrMissingCredential.
//
// HEC listens on port 8088, which Apono's other guides do not allow: a URL
// with a port gives a definition whose url_policy asks for it
// (AllowCustomPort), which a Dispatcher accepts when its URL policy lets
// definitions use that port (webhook.URLPolicy{DefinitionPorts:
// []int{8088}}) or accepts custom ports for all (AllowCustomPorts).
func SplunkHEC(rawURL, token string, opts ...Option) (webhook.Webhook, error) {
	if token == "" {
		return webhook.Webhook{}, ErrMissingCredential
	}
	p := splunkHEC
	p.headers = map[string]string{"Authorization": "Splunk " + token}
	return withCustomPort(p.build(rawURL, opts))
}

// withCustomPort makes w ask for its URL's explicit port, the one thing
// the presets that need one relax.
func withCustomPort(w webhook.Webhook, err error) (webhook.Webhook, error) {
	if err != nil {
		return w, err
	}
	if u, perr := url.Parse(w.URL); perr == nil && u.Port() != "" {
		w.URLPolicy = &webhook.DefinitionURLPolicy{AllowCustomPort: true}
	}
	return w, nil
}
