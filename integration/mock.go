package integration

import (
	"embed"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/kindset"
)

// The mock events are JSON files so that people can read them and tools can
// load them; they are compiled into the library with go:embed.
//
//go:embed mockdata/*.json
var mockFiles embed.FS

var mockFileNames = map[event.Trigger]string{
	Error:   "integration-error.json",
	Warning: "integration-warning.json",
	Active:  "integration-active.json",
}

var mockEvents = kindset.Mocks(mockFiles, "mockdata", mockFileNames)

// Mock returns the built-in realistic event for an integration trigger,
// as Test sends it. It reports false for any other trigger. The events
// are shared and immutable.
//
// Between them the three events hold the cases templates most often get
// wrong: issue messages with a '"', a '\' and a newline, non-ASCII and
// quoted integration names, several issues, and an empty issues list.
func Mock(t event.Trigger) (*event.Event, bool) {
	e, ok := mockEvents()[t]
	return e, ok
}

// Mocks returns the three built-in events in the order of Triggers.
func Mocks() []*event.Event {
	return kindset.InOrder(mockEvents(), Triggers())
}
