package audit

import (
	"encoding/json"

	"github.com/outhook/outhook/event"
)

// The typed form of an audit event, for services that build events in Go.
// Encoding one of these and decoding it back gives the same JSON; schema.go
// describes the same fields for people and for template and filter
// checks. The members of metadata and of the target objects vary with the
// action and the target, so they stay JSON, kept digit for digit.

// Event is a whole audit event.
type Event struct {
	EventType event.Trigger   `json:"event_type"`
	EventTime event.Timestamp `json:"event_time"`
	// EventID is the event's event_id, empty (and left out) when it has
	// none.
	EventID string `json:"event_id,omitempty"`
	Data    Entry  `json:"data"`
}

// Entry is the data of an audit event: one entry of the audit log.
type Entry struct {
	Timestamp  event.Timestamp `json:"timestamp"`
	Action     string          `json:"action"`
	ActorID    string          `json:"actor_id"`
	ActorName  string          `json:"actor_name"`
	ActorType  string          `json:"actor_type"`
	Source     string          `json:"source"` // "API", "integration", "Terraform" or "web application"
	TargetID   string          `json:"target_id"`
	TargetType string          `json:"target_type"` // such as "access flow", "bundle" or "integration"
	TargetName string          `json:"target_name"`
	// Metadata holds details that vary with the action; nil encodes as {}.
	Metadata map[string]json.RawMessage `json:"metadata"`
	// CurrentTargetObject is the target as the action left it: a JSON
	// object, or nil (null) after a deletion.
	CurrentTargetObject json.RawMessage `json:"current_target_object"`
	// PreviousTargetObject is the target before the action: a JSON object,
	// or nil (null) after a creation.
	PreviousTargetObject json.RawMessage `json:"previous_target_object"`
}

// MarshalJSON writes nil Metadata as {}, as the access platform does, so
// an Entry built in Go matches the schema.
func (e Entry) MarshalJSON() ([]byte, error) {
	type plain Entry // without this method
	p := plain(e)
	if p.Metadata == nil {
		p.Metadata = map[string]json.RawMessage{}
	}
	return json.Marshal(p)
}
