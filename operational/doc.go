// Package operational is the model of the events a Dispatcher emits about
// its own deliveries, for the people who run the endpoints: a webhook
// started failing, is failing still, recovered, was disabled, a delivery
// became a dead letter, a tenant reached one of its limits.
//
// The six triggers are constants (Failing, StillFailing, Recovered,
// Disabled, DeadLettered, TenantLimited), spelled as Apono spells its
// triggers ("WebhookFailing"). Kind returns them with their schema and
// mock events, for webhook.WithEventKind; webhook.WithOperationalEvents
// detects them, hands them to a Go hook and, when asked, publishes them
// as events of this kind, so that a tenant's admins can point a webhook
// at them: one built by a preset with presets.ForOperationalEvents (Slack,
// Teams, PagerDuty, the log presets, EventJSON), whose body is made for
// its target over this payload, or one with a body template of its own.
//
// Schema describes the payload field by field; Event and Data type it
// (encoding one and decoding it back gives the same JSON, digit for
// digit); Mock and Mocks are six realistic events, one per trigger,
// holding the values templates most often get wrong: a '"', a '\' and a
// newline in a reason, and a non-ASCII webhook name.
//
// Every event carries every field of Data: those that do not apply to
// its trigger are null (dead_letter, limit, failing_since,
// last_status_code) or zero, so that one template serves all six.
package operational
