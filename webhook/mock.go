package webhook

import (
	"embed"
	"fmt"
	"sync"
)

// The mock events are JSON files so that people can read them and tools can
// load them; they are compiled into the library with go:embed.
//
//go:embed mockdata/*.json
var mockFiles embed.FS

var mockFileNames = map[Trigger]string{
	RequestCreated:  "request-created.json",
	RequestApproved: "request-approved.json",
	RequestRejected: "request-rejected.json",
	RequestGranted:  "request-granted.json",
	RequestExpired:  "request-expired.json",
	RequestFailed:   "request-failed.json",
}

var mockEvents = sync.OnceValue(func() map[Trigger]*Event {
	out := make(map[Trigger]*Event, len(mockFileNames))
	for trigger, name := range mockFileNames {
		raw, err := mockFiles.ReadFile("mockdata/" + name)
		if err != nil {
			panic(err) // embedded at build time; a test reads every file
		}
		e, err := parseOwned(raw)
		if err != nil {
			panic(fmt.Sprintf("mock event %s: %v", name, err))
		}
		out[trigger] = e
	}
	return out
})

// MockEvent returns the built-in realistic event for an access-request
// trigger (either spelling), as Test sends it. It reports false for any
// other trigger. The events are shared and immutable.
//
// Between them the six events hold the cases templates most often get
// wrong: a justification with a '"', a '\' and a newline, a null
// revocation_date, non-ASCII names, several access groups, a grantee who is
// not the requester, a group grantee, an empty approvals list and empty
// custom_fields.
func MockEvent(t Trigger) (*Event, bool) {
	e, ok := mockEvents()[t.Canonical()]
	return e, ok
}

// MockEvents returns the six built-in events in the order of
// AccessRequestTriggers.
func MockEvents() []*Event {
	all := mockEvents()
	out := make([]*Event, 0, len(all))
	for _, t := range AccessRequestTriggers() {
		out = append(out, all[t])
	}
	return out
}
