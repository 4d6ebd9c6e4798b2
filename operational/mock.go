package operational

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
	Failing:       "webhook-failing.json",
	StillFailing:  "webhook-still-failing.json",
	Recovered:     "webhook-recovered.json",
	Disabled:      "webhook-disabled.json",
	DeadLettered:  "webhook-dead-lettered.json",
	TenantLimited: "tenant-limit-reached.json",
}

var mockEvents = kindset.Mocks(mockFiles, "mockdata", mockFileNames)

// Mock returns the built-in realistic event for an operational trigger,
// as Test sends it. It reports false for any other trigger. The events
// are shared and immutable.
//
// Between them the six events hold the cases templates most often get
// wrong: reasons with a '"', a '\' and a newline, a non-ASCII webhook
// name, and null fields.
func Mock(t event.Trigger) (*event.Event, bool) {
	e, ok := mockEvents()[t]
	return e, ok
}

// Mocks returns the six built-in events in the order of Triggers.
func Mocks() []*event.Event {
	return kindset.InOrder(mockEvents(), Triggers())
}
