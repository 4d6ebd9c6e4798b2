package integration

import (
	"encoding/json"

	"github.com/outhook/outhook/event"
)

// The typed form of an integration event, for services that build events
// in Go. Encoding one of these and decoding it back gives the same JSON;
// schema.go describes the same fields for people and for template and
// filter checks.

// Event is a whole integration event.
type Event struct {
	EventType event.Trigger   `json:"event_type"`
	EventTime event.Timestamp `json:"event_time"`
	// EventID is the event's event_id, empty (and left out) when it has
	// none.
	EventID string      `json:"event_id,omitempty"`
	Data    Integration `json:"data"`
}

// Integration is the data of an integration event: the integration and
// the state it entered.
type Integration struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	Type   string  `json:"type"`
	Status string  `json:"status"` // "Error", "Warning" or "Active"
	Issues []Issue `json:"issues"` // empty once the integration is Active
}

// Issue is one problem the platform found with an integration.
type Issue struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// MarshalJSON writes nil Issues as [], as the access platform does, so an
// Integration built in Go matches the schema.
func (i Integration) MarshalJSON() ([]byte, error) {
	type plain Integration // without this method
	p := plain(i)
	if p.Issues == nil {
		p.Issues = []Issue{}
	}
	return json.Marshal(p)
}
