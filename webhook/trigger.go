package webhook

import "strings"

// Trigger is an event type: one of Apono's access-request triggers below, or
// any name of the embedding service's own ("invoice.paid"), which works the
// same way. Triggers compare by their Canonical form.
type Trigger string

// The access-request triggers, in the order a request lives through them.
const (
	RequestCreated  Trigger = "RequestCreated"
	RequestApproved Trigger = "RequestApproved"
	RequestRejected Trigger = "RequestRejected"
	RequestGranted  Trigger = "RequestGranted"
	RequestExpired  Trigger = "RequestExpired"
	RequestFailed   Trigger = "RequestFailed"
)

// AccessRequestTriggers returns the six access-request triggers in life-cycle
// order. The slice is the caller's to keep.
func AccessRequestTriggers() []Trigger {
	return []Trigger{RequestCreated, RequestApproved, RequestRejected, RequestGranted, RequestExpired, RequestFailed}
}

// Canonical returns the trigger's canonical name. Apono's own sample payloads
// spell the access-request triggers "AccessRequestCreated" and so on; those
// spellings map to the constants above. Every other name is its own
// canonical form.
func (t Trigger) Canonical() Trigger {
	if rest, ok := strings.CutPrefix(string(t), "Access"); ok && isRequestTrigger(Trigger(rest)) {
		return Trigger(rest)
	}
	return t
}

func isRequestTrigger(t Trigger) bool {
	switch t {
	case RequestCreated, RequestApproved, RequestRejected, RequestGranted, RequestExpired, RequestFailed:
		return true
	}
	return false
}

// IsAccessRequest reports whether t is one of the six access-request
// triggers, in either spelling.
func (t Trigger) IsAccessRequest() bool {
	return isRequestTrigger(t.Canonical())
}

// Matches reports whether t and other name the same trigger.
func (t Trigger) Matches(other Trigger) bool {
	return t.Canonical() == other.Canonical()
}
