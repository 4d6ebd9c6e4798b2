package presets

import (
	"net/url"

	"github.com/outhook/outhook/webhook"
)

var eventJSON = preset{
	shape: shape{
		preset:    "EventJSON",
		hosts:     func(string) bool { return true },
		hostsDesc: "a host name or IPv4 address",
		query:     func(url.Values) bool { return true },
	},
	name:      "events",
	opsServed: true, // the body is the event's JSON, whatever its kind
}

// EventJSON returns a definition of an active webhook that posts the whole
// event, as JSON, to any HTTPS endpoint on the default port: Apono's
// custom webhook with every field. Its Headers are nil; authentication
// goes in headers set on the definition (w.Headers =
// map[string]string{"X-Api-Key": key}), which records show redacted, not
// in the URL's userinfo; a query is allowed, and its values are redacted
// too. With ForOperationalEvents it sends the operational events, as
// JSON too. A wrong URL gives a *URLError.
func EventJSON(rawURL string, opts ...Option) (webhook.Webhook, error) {
	return eventJSON.build(rawURL, opts)
}
