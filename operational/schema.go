package operational

import (
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/kindset"
)

// Schema returns the schema of operational events, the payload of all six
// triggers: what "View payload schema" shows. It is shared and immutable.
func Schema() *event.Schema {
	return schema()
}

var schema = kindset.Schema(fields)

var fields = []event.SchemaField{
	{Path: "event_type", Type: "string", Description: "The trigger: WebhookFailing, WebhookStillFailing, WebhookRecovered, WebhookDisabled, WebhookDeadLettered or TenantLimitReached."},
	{Path: "event_time", Type: "number", Description: "When the Dispatcher noticed what the event reports, in epoch seconds with nine decimals."},
	{Path: "event_id", Type: "string", Description: "Id of this operational event, unique to it."},
	{Path: "data", Type: "object", Description: "What happened, to which webhook of which tenant."},
	{Path: "data.tenant", Type: "string", Description: "The tenant whose webhook, or whose limit, the event is about; empty for a single-tenant service."},
	{Path: "data.webhook_id", Type: "string", Description: "Id of the webhook; empty when the event is about no one webhook."},
	{Path: "data.webhook_name", Type: "string", Description: "Name of the webhook, as its owner chose it; empty when the event is about no one webhook."},
	{Path: "data.target_host", Type: "string", Description: "Host of the webhook's URL, without its path or query, which may hold secrets."},
	{Path: "data.cause", Type: "string", Description: "Why, in one word: consecutive_failures or failure_rate (WebhookFailing), failing, delivered or breaker_closed (WebhookRecovered), gone or breaker (WebhookDisabled), dead_letter, limit."},
	{Path: "data.reason", Type: "string", Description: "What happened in words, such as the last failed attempt's error, redacted as invocation records are; may span several lines."},
	{Path: "data.consecutive_failures", Type: "number", Description: "How many attempts in a row have failed, up to this event."},
	{Path: "data.attempts", Type: "number", Description: "Attempts made in the window."},
	{Path: "data.failures", Type: "number", Description: "Attempts that failed in the window."},
	{Path: "data.failure_rate", Type: "number", Description: "failures divided by attempts, from 0 to 1; 0 when there were no attempts."},
	{Path: "data.window_seconds", Type: "number", Description: "Length of the window attempts and failures are counted over, in seconds."},
	{Path: "data.failing_since", Type: "number", Nullable: true, Description: "When the webhook started failing, in epoch seconds; null when it is not failing."},
	{Path: "data.last_status_code", Type: "number", Nullable: true, Description: "HTTP status of the last attempt; null when it got no response."},
	{Path: "data.breaker_state", Type: "string", Description: "State of the webhook's circuit breaker: closed, open, half-open or disabled; empty without a breaker."},
	{Path: "data.dead_letter", Type: "object", Nullable: true, Description: "The delivery that became a dead letter (WebhookDeadLettered); null otherwise."},
	{Path: "data.dead_letter.delivery_id", Type: "string", Description: "Id of the delivery, which Redeliver takes."},
	{Path: "data.dead_letter.event_id", Type: "string", Description: "event_id of the delivered event; empty when it had none."},
	{Path: "data.dead_letter.event_type", Type: "string", Description: "event_type of the delivered event."},
	{Path: "data.dead_letter.attempts", Type: "number", Description: "Attempts the delivery made."},
	{Path: "data.limit", Type: "object", Nullable: true, Description: "The limit reached (TenantLimitReached); null otherwise."},
	{Path: "data.limit.name", Type: "string", Description: "Which limit: webhooks (a webhook was refused), in_flight or rate (deliveries wait)."},
	{Path: "data.limit.max", Type: "number", Description: "The limit's value: webhooks, deliveries in flight, or requests per the rate's period."},
	{Path: "data.suppressed", Type: "number", Description: "How many events of this trigger about the same webhook (or tenant limit) were held back by the rate limit, or dropped by a full queue, since the last one sent; always 0 for WebhookStillFailing, which is periodic."},
}
