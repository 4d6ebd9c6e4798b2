package accessrequest

import (
	"strings"

	"github.com/outhook/outhook/event"
)

// The access-request triggers, in the order a request lives through them.
// Apono's own sample payloads spell them with an Access prefix
// ("AccessRequestCreated"); Canonical maps that spelling to these.
const (
	Created  event.Trigger = "RequestCreated"
	Approved event.Trigger = "RequestApproved"
	Rejected event.Trigger = "RequestRejected"
	Granted  event.Trigger = "RequestGranted"
	Expired  event.Trigger = "RequestExpired"
	Failed   event.Trigger = "RequestFailed"
)

// Triggers returns the six access-request triggers in life-cycle order.
// The slice is the caller's to keep.
func Triggers() []event.Trigger {
	return []event.Trigger{Created, Approved, Rejected, Granted, Expired, Failed}
}

// Canonical returns t's canonical name: the constant above for either
// spelling of an access-request trigger, and t itself for any other name.
func Canonical(t event.Trigger) event.Trigger {
	if rest, ok := strings.CutPrefix(string(t), "Access"); ok && isTrigger(event.Trigger(rest)) {
		return event.Trigger(rest)
	}
	return t
}

// Is reports whether t is one of the six access-request triggers, in
// either spelling.
func Is(t event.Trigger) bool {
	return isTrigger(Canonical(t))
}

func isTrigger(t event.Trigger) bool {
	switch t {
	case Created, Approved, Rejected, Granted, Expired, Failed:
		return true
	}
	return false
}

// Kind returns the access-request kind: the six triggers, Schema and
// Mocks, as a webhook.Dispatcher serves them by default.
func Kind() event.Kind {
	return event.Kind{Name: "access request", Triggers: Triggers(), Schema: Schema(), Mocks: Mocks()}
}
