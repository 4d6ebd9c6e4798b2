package presets

import (
	"strings"

	"github.com/outhook/outhook/webhook"
)

// pagerDutyBody is PagerDuty's preset body, the routing key taken from
// the definition's secrets: a trigger event of Events API v2 whose dedup_key is the
// request's id and the event type (so that each event of a request is its
// own alert, and a retried delivery does not open a second one). An event
// without data.id is keyed by its event_id ("apono-event-<event_id>"),
// and one with neither by its event_time, digit for digit, and type
// ("apono-at-<event_time>-<event_type>"): a key shared by every such
// event of a type would drop all their alerts but the first while it is
// open, and a key is still there to acknowledge or resolve it by. Its
// severity is error for a failed request and info otherwise, and its
// custom_details hold the request's main fields.
//
// The Events API v2 reference limits payload.summary to 1,024 characters
// and dedup_key to 255, and the whole event to 512 KB: every value is cut
// with a "…" to keep within them, counting UTF-8 bytes (never fewer than
// characters), those of custom_details as escaped in JSON.
const pagerDutyBody = `{
  "routing_key": "{{secrets.routing_key}}",
  "event_action": "trigger",{{#if data.id}}
  "dedup_key": "apono-{{truncateBytes data.id 100 ""}}-{{truncateBytes event_type 40 ""}}",{{else if event_id}}
  "dedup_key": "apono-event-{{truncateBytes event_id 200 ""}}",{{else}}
  "dedup_key": "apono-at-{{truncateBytes event_time 40 ""}}-{{truncateBytes event_type 40 ""}}",{{/if}}
  "payload": {
    "summary": "Apono {{truncateBytes event_type 40}} {{truncateBytes data.friendly_id 100}} by {{truncateBytes data.requester.name 200}}: {{truncateBytes data.justification 600}}",
    "source": "apono",
    "severity": "{{#if (eq event_type "RequestFailed")}}error{{else}}info{{/if}}",
    "timestamp": {{time event_time layout="RFC3339Nano"}},
    "component": "{{truncateBytes data.access_groups.[0].integration.name 200}}",
    "group": "{{truncateBytes data.access_flow.name 200}}",
    "class": "{{truncateBytes event_type 100}}",
    "custom_details": {
      "request": "{{truncateBytes data.friendly_id 200 "…" true}}",
      "requester": "{{truncateBytes data.requester.name 500 "…" true}} <{{truncateBytes data.requester.email 500 "…" true}}>",
      "grantee": "{{truncateBytes data.grantee.name 500 "…" true}}",
      "justification": "{{truncateBytes data.justification 20000 "…" true}}",
      "access_flow": "{{truncateBytes data.access_flow.name 500 "…" true}}",
      "duration_in_seconds": "{{truncateBytes data.access_duration_in_seconds 30}}",
      "resources": "{{truncateBytes (join (flatten (flatten data.access_groups "access_units") "resource.path") ", ") 100000 " … and more" true}}"
    }
  }
}`

// pagerDutyOperationalBody is PagerDuty's body for ForOperationalEvents,
// the routing key taken from the definition's secrets: an Events API v2 event
// whose dedup_key names the tenant and the webhook
// ("outhook/<tenant>/webhook/<webhook_id>", '%' and '/' percent-encoded
// in each), so that WebhookFailing, WebhookStillFailing, WebhookDisabled
// and WebhookDeadLettered trigger or add to one alert per webhook, and
// WebhookRecovered resolves it. WebhookRecovered follows only a
// WebhookFailing, so an alert that a WebhookDeadLettered or
// WebhookDisabled opened on a webhook never told failing stays open until
// someone resolves it. TenantLimitReached triggers an alert of the
// tenant's limit ("outhook/<tenant>/limit/<name>"), which nothing
// resolves: a limit reached has no event for its end.
//
// The severity is critical for WebhookDisabled (its deliveries stopped),
// warning for TenantLimitReached (deliveries wait) and error otherwise;
// the summary says what happened to which webhook of which tenant, and
// why, on one line. Values are cut as in the access-request body: the
// summary within 1,024 characters, dedup_key within 255 (a tenant or
// webhook id of over 100 bytes is cut, so two that differ only past
// there share an alert), custom_details as escaped in JSON.
const pagerDutyOperationalBody = `{{#if (eq event_type "WebhookRecovered")}}{
  "routing_key": "{{secrets.routing_key}}",
  "event_action": "resolve",
  "dedup_key": "outhook/{{truncateBytes (replace data.tenant "%" "%25" "/" "%2F") 110 ""}}/webhook/{{truncateBytes (replace data.webhook_id "%" "%25" "/" "%2F") 110 ""}}"
}{{else}}{
  "routing_key": "{{secrets.routing_key}}",
  "event_action": "trigger",
  "dedup_key": "outhook/{{truncateBytes (replace data.tenant "%" "%25" "/" "%2F") 110 ""}}/{{#if (eq event_type "TenantLimitReached")}}limit/{{truncateBytes data.limit.name 20 ""}}{{else}}webhook/{{truncateBytes (replace data.webhook_id "%" "%25" "/" "%2F") 110 ""}}{{/if}}",
  "payload": {
    "summary": "Outhook: {{#if (eq event_type "TenantLimitReached")}}tenant {{replace (truncateBytes (default data.tenant "—") 200) ` + oneLine + `}} reached its {{truncateBytes data.limit.name 40}} limit ({{data.limit.max}}){{else}}webhook {{replace (truncateBytes (default data.webhook_name data.webhook_id) 200) ` + oneLine + `}}{{#if data.tenant}} of tenant {{replace (truncateBytes data.tenant 200) ` + oneLine + `}}{{/if}} ` + opsVerb + `{{/if}}: {{replace (truncateBytes data.reason 450) ` + oneLine + `}}",
    "source": "{{truncateBytes (default data.target_host "outhook") 200}}",
    "severity": "{{#if (eq event_type "WebhookDisabled")}}critical{{else if (eq event_type "TenantLimitReached")}}warning{{else}}error{{/if}}",
    "timestamp": {{time event_time layout="RFC3339Nano"}},
    "component": "{{truncateBytes (default (default data.webhook_name data.webhook_id) "(no webhook)") 200}}",
    "group": "{{truncateBytes (default data.tenant "(no tenant)") 200}}",
    "class": "{{truncateBytes event_type 100}}",
    "custom_details": {
      "tenant": "{{truncateBytes data.tenant 1000 "…" true}}",
      "webhook_id": "{{truncateBytes data.webhook_id 1000 "…" true}}",
      "webhook_name": "{{truncateBytes data.webhook_name 1000 "…" true}}",
      "target_host": "{{truncateBytes data.target_host 1000 "…" true}}",
      "cause": "{{truncateBytes data.cause 200 "…" true}}",
      "reason": "{{truncateBytes data.reason 20000 "…" true}}",
      "consecutive_failures": {{data.consecutive_failures}},
      "attempts": {{data.attempts}},
      "failures": {{data.failures}},
      "failure_rate": {{data.failure_rate}},
      "window_seconds": {{data.window_seconds}},
      "failing_since": {{time data.failing_since layout="RFC3339Nano"}},
      "last_status_code": {{data.last_status_code}},
      "breaker_state": "{{truncateBytes data.breaker_state 100 "…" true}}",
      "dead_letter": {{#with data.dead_letter}}{"delivery_id": "{{truncateBytes delivery_id 1000 "…" true}}", "event_id": "{{truncateBytes event_id 1000 "…" true}}", "event_type": "{{truncateBytes event_type 200 "…" true}}", "attempts": {{attempts}}}{{else}}null{{/with}},
      "limit": {{#with data.limit}}{"name": "{{truncateBytes name 200 "…" true}}", "max": {{max}}}{{else}}null{{/with}},
      "suppressed": {{data.suppressed}}
    }
  }
}{{/if}}`

// The hosts of PagerDuty's Events API v2: its US and EU service regions.
var pagerDutyHosts = []string{"events.pagerduty.com", "events.eu.pagerduty.com"}

var pagerDuty = preset{
	shape: shape{
		preset:    "PagerDuty",
		hosts:     hostIn(pagerDutyHosts...),
		hostsDesc: strings.Join(pagerDutyHosts, " or "),
		path:      func(_ string, s []string) bool { return len(s) == 2 && s[0] == "v2" && s[1] == "enqueue" },
		pathDesc:  "/v2/enqueue",
	},
	name:      "pagerduty",
	opsServed: true,
}

// PagerDuty returns a definition of an active webhook that triggers a
// PagerDuty alert for each access-request event through Events API v2:
// rawURL is https://events.pagerduty.com/v2/enqueue (or
// events.eu.pagerduty.com), and routingKey is the integration key of an
// Events API v2 integration, made of letters and digits. With
// ForOperationalEvents it triggers and resolves an alert per webhook
// instead (see ForOperationalEvents and the package documentation).
//
// Events API v2 takes the routing key in the body, not in a header: it
// is the definition's secret routing_key (webhook.Webhook.Secrets), which
// the body template refers to, so that the key is sent but shown
// REDACTED in invocation records, errors, logs, spans and the
// definition as read back, and sealed in the definition store. A wrong
// URL gives a *URLError, an empty routingKey ErrMissingCredential, one
// with other characters than letters and digits ErrInvalidOption; a
// Dispatcher refuses a key shorter than 4 bytes (webhook.ErrInvalidSecret),
// which could not be told from the body's other text.
func PagerDuty(rawURL, routingKey string, opts ...Option) (webhook.Webhook, error) {
	if routingKey == "" {
		return webhook.Webhook{}, ErrMissingCredential
	}
	if !alnum(routingKey) {
		return webhook.Webhook{}, invalidArg("PagerDuty's routing key must be letters and digits")
	}
	p := pagerDuty
	p.body, p.opsBody = pagerDutyBody, pagerDutyOperationalBody
	p.secrets = map[string]string{"routing_key": routingKey}
	return p.build(rawURL, opts)
}

// alnum reports whether s is a non-empty run of ASCII letters and digits,
// as PagerDuty's integration keys are.
func alnum(s string) bool {
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}
