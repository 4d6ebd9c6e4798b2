package webhook

import (
	"context"
	"net/http"
	"time"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/validate"
)

// Outcome is how an invocation ended.
type Outcome string

// The outcomes. Delivered, Failed and ValidationFailed end a delivery;
// Retrying is an attempt that will be followed by another; Filtered and
// Skipped are recorded at publish time, when WithRecordFiltered is on.
const (
	// Delivered: the receiver answered 2xx and every validator passed. A
	// body longer than the read limit does not change that when no
	// validator needs it: the receiver accepted the event, and the record
	// says BodyTruncated. Validators fail on a truncated body.
	Delivered Outcome = "delivered"
	// Retrying: this attempt failed and another is scheduled.
	Retrying Outcome = "retrying"
	// Failed: the last attempt failed and no other will be made; the
	// delivery is a dead letter, listable and redeliverable.
	Failed Outcome = "failed"
	// ValidationFailed: the receiver answered 2xx but a response validator
	// failed, and the retry policy does not retry that; a dead letter too.
	ValidationFailed Outcome = "validation_failed"
	// Filtered: the webhook's filters did not match the event; Reason says
	// which clause and what value.
	Filtered Outcome = "filtered"
	// Skipped: the webhook is inactive, or was removed before the delivery
	// ended (it is then no dead letter).
	Skipped Outcome = "skipped"
)

// Final reports whether the outcome ends its delivery.
func (o Outcome) Final() bool { return o != Retrying }

// Invocation is the record of one delivery attempt, or of a decision not
// to deliver: Apono's "invocation data". Secrets are redacted before a
// record is made, so it can be shown, logged and stored as it is.
type Invocation struct {
	// ID identifies this record.
	ID string `json:"id"`
	// DeliveryID identifies the delivery, the same across its attempts and
	// sent as the webhook-id header: the receiver's idempotency key.
	DeliveryID string `json:"delivery_id"`
	// Tenant owns the webhook; "" for the single-tenant service's.
	Tenant      string        `json:"tenant,omitempty"`
	WebhookID   string        `json:"webhook_id"`
	WebhookName string        `json:"webhook_name"`
	EventType   event.Trigger `json:"event_type"`
	EventID     string        `json:"event_id,omitempty"`
	// Attempt counts from 1; it is 0 for Filtered and Skipped.
	Attempt int     `json:"attempt"`
	Outcome Outcome `json:"outcome"`
	// Reason says why the invocation did not succeed; empty when it did.
	Reason string `json:"reason,omitempty"`
	// Request is the request as sent, headers redacted; nil when none was.
	Request *RecordedRequest `json:"request,omitempty"`
	// Response is what came back; nil when nothing did.
	Response *RecordedResponse `json:"response,omitempty"`
	// Validation holds each response validator's result.
	Validation []validate.Result `json:"validation,omitempty"`
	StartedAt  time.Time         `json:"started_at"`
	Duration   time.Duration     `json:"duration"`
	// NextAttemptAt is when the next attempt is due, for Retrying.
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
}

// Succeeded reports whether the invocation delivered its event.
func (inv *Invocation) Succeeded() bool { return inv.Outcome == Delivered }

// RecordedRequest is a request as it was sent, with secrets redacted.
type RecordedRequest struct {
	Method string      `json:"method"`
	URL    string      `json:"url"`
	Header http.Header `json:"header"`
	Body   string      `json:"body"`
}

// RecordedResponse is a response as it was received, its body cut at the
// Dispatcher's limit. A receiver may echo the request back, so the
// webhook's secrets are redacted from it as from the request: the values
// of headers that are not safe, and, in the body and in the safe headers'
// values, every known secret and every URL's credentials and query
// values (a body cut through a secret ends in REDACTED instead of the
// secret's start). The validators see the response before it is redacted; their
// results (Invocation.Validation) are redacted the same way.
type RecordedResponse struct {
	StatusCode    int         `json:"status_code"`
	Header        http.Header `json:"header"`
	Body          string      `json:"body"`
	BodyTruncated bool        `json:"body_truncated,omitempty"`
}

// DeadLetter is a delivery that ended Failed or ValidationFailed, kept with
// its event so that it can be redelivered.
type DeadLetter struct {
	DeliveryID string       `json:"delivery_id"`
	Tenant     string       `json:"tenant,omitempty"`
	WebhookID  string       `json:"webhook_id"`
	Event      *event.Event `json:"event"`
	Outcome    Outcome      `json:"outcome"`
	Reason     string       `json:"reason"`
	Attempts   int          `json:"attempts"`
	FailedAt   time.Time    `json:"failed_at"`
}

// InvocationStore keeps invocation records and dead letters. The default is
// an in-memory store (NewMemoryStore); a durable engine brings its own.
// Implementations must be safe for concurrent use, and return once ctx is
// done: Close, Publish and Redeliver bound the writes they wait for by
// their own ctx (see Close and Publish).
type InvocationStore interface {
	// Record keeps inv.
	Record(ctx context.Context, inv Invocation) error
	// Invocations lists up to limit records of one webhook, newest first.
	Invocations(ctx context.Context, webhookID string, limit int) ([]Invocation, error)
	// AddDeadLetter keeps a delivery that failed for good.
	AddDeadLetter(ctx context.Context, dl DeadLetter) error
	// DeadLetters lists up to limit dead letters of one webhook, newest
	// first; an empty webhookID lists them for every webhook.
	DeadLetters(ctx context.Context, webhookID string, limit int) ([]DeadLetter, error)
	// TakeDeadLetter removes and returns one dead letter, for redelivery.
	// It returns an error wrapping ErrNotFound when there is none.
	TakeDeadLetter(ctx context.Context, deliveryID string) (DeadLetter, error)
}
