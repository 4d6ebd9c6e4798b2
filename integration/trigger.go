package integration

import "github.com/outhook/outhook/event"

// The integration triggers, one per state an integration can enter.
const (
	Error   event.Trigger = "IntegrationError"
	Warning event.Trigger = "IntegrationWarning"
	Active  event.Trigger = "IntegrationActive"
)

// Triggers returns the three integration triggers, Error first. The slice
// is the caller's to keep.
func Triggers() []event.Trigger {
	return []event.Trigger{Error, Warning, Active}
}

// Is reports whether t is one of the three integration triggers.
func Is(t event.Trigger) bool {
	switch t {
	case Error, Warning, Active:
		return true
	}
	return false
}

// Kind returns the integration kind: the three triggers, Schema and Mocks,
// for webhook.WithEventKind.
func Kind() event.Kind {
	return event.Kind{Name: "integration", Triggers: Triggers(), Schema: Schema(), Mocks: Mocks()}
}
