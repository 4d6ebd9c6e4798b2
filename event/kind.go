package event

import (
	"fmt"
	"io/fs"
)

// Kind is a family of event types served together because their events
// share one payload, such as Apono's access requests, integration events
// or audit events: its triggers, the schema of their payload and realistic
// events for Test and previews. Packages accessrequest, integration and
// audit each return theirs from a func Kind; a service may build its own.
//
// A Kind is plain data; its zero value has no triggers.
type Kind struct {
	// Name is what people call the kind, such as "access request".
	Name string
	// Triggers are the kind's event types, in the order to list them.
	Triggers []Trigger
	// Schema describes the payload of every trigger; nil describes
	// nothing, and then templates and filters are not checked.
	Schema *Schema
	// Mocks are realistic events of the kind's triggers, for Test and
	// previews; the first of each trigger is that trigger's mock event.
	Mocks []*Event
}

// Mock returns the first of k.Mocks whose type is t, and false when none
// is; a nil among them is passed over.
func (k Kind) Mock(t Trigger) (*Event, bool) {
	for _, e := range k.Mocks {
		if e != nil && e.Type() == t {
			return e, true
		}
	}
	return nil, false
}

// ParseFiles parses the event in each of the files names of fsys, in
// order: the mock events a kind's package embeds. An error names the file.
func ParseFiles(fsys fs.FS, names ...string) ([]*Event, error) {
	out := make([]*Event, 0, len(names))
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		e, err := Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", name, err)
		}
		out = append(out, e)
	}
	return out, nil
}
