package webhook

import (
	"context"
	"time"

	"github.com/outhook/outhook/event"
	"go.opentelemetry.io/otel/trace"
)

// Engine queues deliveries and has a Runner make their attempts. The
// default engine lives in memory; the riverengine module provides a durable
// one on PostgreSQL. Implementations must be safe for concurrent use. An
// engine that keeps deliveries outside memory stores a Delivery's exported
// fields, TraceContext included, and hands the Runner a Delivery rebuilt
// from them; the Dispatcher then traces each Enqueue, and each run of a
// delivery (call of Attempt) that attempts or ends it, as a span of its
// own.
type Engine interface {
	// Start hands the engine the Runner that makes attempts. A Dispatcher
	// calls it once, before any Enqueue.
	Start(r Runner) error
	// Enqueue queues d for its first attempt. It blocks, or fails with a
	// *QueueFullError, as the engine's queue policy says, and never past
	// ctx. After Close it returns ErrClosed.
	Enqueue(ctx context.Context, d *Delivery) error
	// Close stops intake, lets queued and in-flight deliveries finish
	// until ctx is done, then stops, and returns ctx.Err() when it had to
	// cut the drain short. Deliveries it abandons are reported to the
	// Runner's Abandon, so that none is lost silently.
	Close(ctx context.Context) error
}

// Runner makes delivery attempts for an Engine; the Dispatcher is the
// Runner.
type Runner interface {
	// Attempt makes the next attempt of d, records it, and says whether
	// and when to try again.
	Attempt(ctx context.Context, d *Delivery) Next
	// Abandon records that the engine gave d up before it ended (the
	// engine was closed): it becomes a dead letter with reason err.
	Abandon(d *Delivery, err error)
}

// Next is what a Runner says after an attempt.
type Next struct {
	// Retry asks for another attempt after Delay.
	Retry bool
	Delay time.Duration
}

// Delivery is one event on its way to one webhook, across its attempts.
type Delivery struct {
	// ID is stable across attempts and redeliveries: receivers see it as
	// the webhook-id header and deduplicate on it.
	ID        string
	WebhookID string
	Event     *event.Event
	// Attempts counts the attempts made so far.
	Attempts int
	// Created is when the delivery was queued; the retry policy's time
	// budget (MaxElapsed) counts from it, or from the first attempt when it
	// is zero; so does the wait for a webhook not registered yet (see
	// WithUnknownWebhookGrace).
	Created time.Time
	// TraceContext is the W3C trace context (traceparent, tracestate) of
	// the span that queued the delivery; nil when it was not traced. An
	// engine that keeps deliveries outside this process's memory stores it
	// with the delivery and gives it back, so that the spans of its runs
	// join the publisher's trace.
	TraceContext map[string]string

	// Set by the Dispatcher at the first attempt, so that retries send the
	// same bytes to the same definition even if the webhook is updated.
	hook     *hook
	body     string
	rendered bool
	schedule *schedule
	admitted bool       // a rate-limit slot is reserved for the next attempt
	span     trace.Span // from Publish, or for a queued delivery from the run's start, to the outcome; nil once ended

	// For the in-memory engine.
	queueSize int    // the webhook's bound
	limit     int    // the webhook's concurrency
	key       string // the ordering key; "" when unordered
}

// QueueSize is how many deliveries to this delivery's webhook may wait at
// once, in flight and between retries included: the webhook's
// DeliverySettings.QueueSize, or the Dispatcher's default. Engines bound
// their queues by it.
func (d *Delivery) QueueSize() int { return d.queueSize }

// Concurrency is how many deliveries to this delivery's webhook may be in
// flight at once: the webhook's DeliverySettings.Concurrency, or the
// Dispatcher's default.
func (d *Delivery) Concurrency() int { return d.limit }

// OrderingKey is the value found at the webhook's
// DeliverySettings.OrderingKey path in the event, as text; "" when the
// webhook is unordered or the event has no value there. Deliveries to one
// webhook with the same key go one at a time, in the order published.
func (d *Delivery) OrderingKey() string { return d.key }
