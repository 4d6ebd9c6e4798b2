package operational

import "github.com/outhook/outhook/event"

// The typed form of an operational event. Encoding one of these and
// decoding it back gives the same JSON; schema.go describes the same
// fields for people and for template and filter checks.

// Event is a whole operational event.
type Event struct {
	EventType event.Trigger   `json:"event_type"`
	EventTime event.Timestamp `json:"event_time"`
	EventID   string          `json:"event_id"`
	Data      Data            `json:"data"`
}

// The causes an event gives in Data.Cause.
const (
	CauseConsecutiveFailures = "consecutive_failures" // Failing: FailureThreshold attempts in a row failed
	CauseFailureRate         = "failure_rate"         // Failing: the failure rate over the window reached its bound
	CauseFailing             = "failing"              // StillFailing
	CauseDelivered           = "delivered"            // Recovered: an attempt was delivered
	CauseBreakerClosed       = "breaker_closed"       // Recovered: the breaker closed (ResetBreaker, say)
	CauseGone                = "gone"                 // Disabled: the endpoint answered 410 Gone
	CauseBreaker             = "breaker"              // Disabled: the circuit breaker opened
	CauseDeadLetter          = "dead_letter"          // DeadLettered
	CauseLimit               = "limit"                // TenantLimited
)

// The limits a TenantLimited event names in Limit.Name.
const (
	LimitWebhooks = "webhooks"  // a webhook was refused: the tenant has MaxWebhooks
	LimitInFlight = "in_flight" // deliveries wait: MaxInFlight are in flight
	LimitRate     = "rate"      // deliveries wait: the tenant's rate is used up
)

// Data is the data of an operational event. Fields that do not apply to
// the event's trigger are zero, or null where they are pointers.
type Data struct {
	Tenant      string `json:"tenant"`
	WebhookID   string `json:"webhook_id"`   // "" when the event is about no webhook
	WebhookName string `json:"webhook_name"` // "" when the event is about no webhook
	// TargetHost is the host of the webhook's URL, never its path or
	// query, which may hold secrets.
	TargetHost string `json:"target_host"`
	Cause      string `json:"cause"`
	// Reason says what happened in words, redacted as invocation records
	// are.
	Reason              string           `json:"reason"`
	ConsecutiveFailures int              `json:"consecutive_failures"`
	Attempts            int              `json:"attempts"`       // in the window
	Failures            int              `json:"failures"`       // in the window
	FailureRate         float64          `json:"failure_rate"`   // Failures / Attempts, 0 without attempts
	WindowSeconds       int64            `json:"window_seconds"` // the window's length
	FailingSince        *event.Timestamp `json:"failing_since"`
	LastStatusCode      *int             `json:"last_status_code"`
	BreakerState        string           `json:"breaker_state"`
	DeadLetter          *DeadLetter      `json:"dead_letter"`
	Limit               *Limit           `json:"limit"`
	Suppressed          int              `json:"suppressed"`
}

// DeadLetter is the delivery a DeadLettered event is about.
type DeadLetter struct {
	DeliveryID string        `json:"delivery_id"`
	EventID    string        `json:"event_id"`
	EventType  event.Trigger `json:"event_type"`
	Attempts   int           `json:"attempts"`
}

// Limit is the limit a TenantLimited event is about.
type Limit struct {
	Name string `json:"name"`
	Max  int    `json:"max"`
}

// SubjectEventID returns the id of the event e is about when e is an
// operational event about another one (a DeadLettered event's
// dead_letter.event_id), or "": what the records, dead letters and
// queued deliveries of e hold of that event, and an erasure of it must
// reach.
func SubjectEventID(e *event.Event) string {
	if e == nil || e.Type() != DeadLettered {
		return ""
	}
	var v struct {
		Data struct {
			DeadLetter *struct {
				EventID string `json:"event_id"`
			} `json:"dead_letter"`
		} `json:"data"`
	}
	if e.Decode(&v) != nil || v.Data.DeadLetter == nil {
		return ""
	}
	return v.Data.DeadLetter.EventID
}
