package audit

import "github.com/outhook/outhook/event"

// Recorded is the trigger of every audit event: an entry was added to the
// audit log.
const Recorded event.Trigger = "AuditRecorded"

// Triggers returns the audit triggers: Recorded alone. The slice is the
// caller's to keep.
func Triggers() []event.Trigger {
	return []event.Trigger{Recorded}
}

// Is reports whether t is the audit trigger.
func Is(t event.Trigger) bool {
	return t == Recorded
}

// Kind returns the audit kind: its trigger, Schema and Mocks, for
// webhook.WithEventKind. Its mock event, the one Test sends, is the first
// of Mocks.
func Kind() event.Kind {
	return event.Kind{Name: "audit", Triggers: Triggers(), Schema: Schema(), Mocks: Mocks()}
}
