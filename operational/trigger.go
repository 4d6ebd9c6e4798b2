package operational

import "github.com/outhook/outhook/event"

// The operational triggers.
const (
	// Failing: a webhook's attempts started failing, a run of
	// consecutive failures or a failure rate over a window.
	Failing event.Trigger = "WebhookFailing"
	// StillFailing: a webhook told Failing keeps failing; repeated at a
	// bounded rate.
	StillFailing event.Trigger = "WebhookStillFailing"
	// Recovered: a webhook told Failing delivered again, or its breaker
	// closed.
	Recovered event.Trigger = "WebhookRecovered"
	// Disabled: a webhook's deliveries stopped: its endpoint answered
	// 410 Gone, or its circuit breaker opened.
	Disabled event.Trigger = "WebhookDisabled"
	// DeadLettered: a delivery of the webhook became a dead letter.
	DeadLettered event.Trigger = "WebhookDeadLettered"
	// TenantLimited: a tenant reached one of its limits.
	TenantLimited event.Trigger = "TenantLimitReached"
)

// Triggers returns the six operational triggers, Failing first. The
// slice is the caller's to keep.
func Triggers() []event.Trigger {
	return []event.Trigger{Failing, StillFailing, Recovered, Disabled, DeadLettered, TenantLimited}
}

// Is reports whether t is one of the six operational triggers.
func Is(t event.Trigger) bool {
	switch t {
	case Failing, StillFailing, Recovered, Disabled, DeadLettered, TenantLimited:
		return true
	}
	return false
}

// Kind returns the operational kind, named "operational": the six
// triggers, Schema and Mocks, for webhook.WithEventKind.
func Kind() event.Kind {
	return event.Kind{Name: "operational", Triggers: Triggers(), Schema: Schema(), Mocks: Mocks()}
}
