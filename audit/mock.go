package audit

import (
	"embed"
	"sync"

	"github.com/outhook/outhook/event"
)

// The mock events are JSON files so that people can read them and tools can
// load them; they are compiled into the library with go:embed.
//
//go:embed mockdata/*.json
var mockFiles embed.FS

// mockFileNames lists the mock events in the order of Mocks.
var mockFileNames = []string{"access-flow-created.json", "bundle-updated.json", "integration-deleted.json"}

var mockEvents = sync.OnceValue(func() []*event.Event {
	paths := make([]string, len(mockFileNames))
	for i, name := range mockFileNames {
		paths[i] = "mockdata/" + name
	}
	out, err := event.ParseFiles(mockFiles, paths...)
	if err != nil {
		panic(err) // embedded at build time; a test reads every file
	}
	return out
})

// Mock returns the built-in realistic event for the audit trigger (the
// creation of an access flow), as Test sends it. It reports false for any
// other trigger. The event is shared and immutable.
func Mock(t event.Trigger) (*event.Event, bool) {
	if !Is(t) {
		return nil, false
	}
	return mockEvents()[0], true
}

// Mocks returns the three built-in events: an access flow created in the
// web application, a bundle updated through Terraform and an integration
// deleted through the API. Between them they hold a target name with a
// '"', a '\' and a newline, non-ASCII names, a null previous object (the
// creation), a null current object (the deletion), an empty metadata
// object, a null metadata value and empty lists. The slice is the
// caller's to keep; the events are shared and immutable.
func Mocks() []*event.Event {
	return append([]*event.Event(nil), mockEvents()...)
}
