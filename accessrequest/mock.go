package accessrequest

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
	Created:  "request-created.json",
	Approved: "request-approved.json",
	Rejected: "request-rejected.json",
	Granted:  "request-granted.json",
	Expired:  "request-expired.json",
	Failed:   "request-failed.json",
}

var mockEvents = kindset.Mocks(mockFiles, "mockdata", mockFileNames)

// Mock returns the built-in realistic event for an access-request
// trigger (either spelling), as Test sends it. It reports false for any
// other trigger. The events are shared and immutable.
//
// Between them the six events hold the cases templates most often get
// wrong: a justification with a '"', a '\' and a newline, a null
// revocation_date, non-ASCII names, several access groups, a grantee who is
// not the requester, a group grantee, an empty approvals list and empty
// custom_fields.
func Mock(t event.Trigger) (*event.Event, bool) {
	e, ok := mockEvents()[Canonical(t)]
	return e, ok
}

// Mocks returns the six built-in events in the order of Triggers.
func Mocks() []*event.Event {
	return kindset.InOrder(mockEvents(), Triggers())
}
