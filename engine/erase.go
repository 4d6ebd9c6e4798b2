package engine

import (
	"context"

	"github.com/outhook/outhook/event"
)

// Eraser is an Engine that drops queued deliveries on request, for
// data-protection erasures (webhook's Tenant.Erase needs it). Both of
// Outhook's engines are Erasers.
type Eraser interface {
	// Erase drops every delivery the engine holds and is not attempting
	// right now (waiting to run, between retries, held) that f picks,
	// across instances for a durable engine, and reports how many it
	// dropped. A dropped delivery ends without a run, an Abandon or a
	// dead letter. A delivery being attempted is left to end.
	Erase(ctx context.Context, f EraseFilter) (int, error)
}

// EraseFilter picks the deliveries an Eraser drops.
type EraseFilter struct {
	// Webhook reports whether the deliveries to the webhook of this queue
	// key (Delivery.WebhookID) are picked; nil picks every webhook's.
	Webhook func(key string) bool
	// EventID, when not empty, picks only the deliveries of events with
	// this id, and of the events Subject says are about it.
	EventID string
	// Subject, when not nil, returns the id of the event an event is
	// about ("" for none): an operational event that names another
	// event's id in its data is erased with it.
	Subject func(*event.Event) string
}

// Match reports whether f picks d.
func (f EraseFilter) Match(d *Delivery) bool {
	if f.Webhook != nil && !f.Webhook(d.WebhookID) {
		return false
	}
	return f.EventID == "" || d.Event.ID() == f.EventID || f.Subject != nil && f.Subject(d.Event) == f.EventID
}
