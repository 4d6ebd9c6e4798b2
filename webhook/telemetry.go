package webhook

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strconv"

	"github.com/outhook/outhook/engine"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// instrumentationName names the tracer and meter.
const instrumentationName = "github.com/outhook/outhook/webhook"

// Attribute keys of Outhook's own, beside the HTTP semantic conventions.
const (
	attrWebhookID   = attribute.Key("outhook.webhook.id")
	attrWebhookName = attribute.Key("outhook.webhook.name")
	attrDeliveryID  = attribute.Key("outhook.delivery.id")
	attrEventType   = attribute.Key("outhook.event.type")
	attrAttempt     = attribute.Key("outhook.attempt")
	attrOutcome     = attribute.Key("outhook.outcome")
)

// WithTracerProvider makes spans with tp instead of the global provider
// (otel.GetTracerProvider at New). While the global has no provider set
// (otel.SetTracerProvider, before New or after it) and a delivery's
// context holds no span context, no spans are made: they would record
// and carry nothing.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) {
		if tp != nil {
			c.tracerProvider = tp
		}
	})
}

// WithMeterProvider records metrics with mp instead of the global provider
// (otel.GetMeterProvider at New). The instruments: the counters
// outhook.deliveries, outhook.attempts and outhook.dead_letters.failed,
// the histogram outhook.attempt.duration, and the gauges
// outhook.queue.depth, outhook.queue.oldest_age, outhook.attempts.stalled
// (attempts in flight past the stall threshold, see WithStallThreshold)
// and outhook.attempts.stalled.limit (how many of them may go on beside
// the workers, see WithStalledAttempts: each one above it holds a
// worker). The stalled gauges are zero where no attempt stalls: under
// WithEngine's engine, and with WithStalledAttempts(0).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) {
		if mp != nil {
			c.meterProvider = mp
		}
	})
}

// WithTracePropagation writes the attempt's trace context into every
// request's headers (traceparent, tracestate, as the global propagator says,
// or p when it is not nil), so that the receiver's spans join the trace.
// Off by default: a receiver outside the organisation learns trace ids.
func WithTracePropagation(p propagation.TextMapPropagator) Option {
	return optionFunc(func(c *config) {
		c.propagate = true
		c.propagator = p
	})
}

// telemetry holds the instruments. Spans: with the in-memory engine, one
// per delivery, from Publish to its final outcome; with any other engine,
// whose deliveries may run in another process, one "webhook.enqueue" span
// per delivery around Enqueue, whose W3C trace context the delivery
// carries (Delivery.TraceContext), and beneath it one "webhook.delivery"
// span per run of the delivery (call of Attempt) that attempts or ends it,
// ended when the run ends; a run that only waits (for the rate limit, an
// open breaker, a webhook not registered yet) makes none. Beneath the delivery span, one per attempt, named after the HTTP
// method with the HTTP client semantic conventions. Attributes are set once
// a span is known to record, so a sampler decides on the span's name, kind
// and parent. Metrics:
//
//	outhook.deliveries             counter    deliveries ended, by outcome and webhook name
//	outhook.attempts               counter    attempts, by outcome and status code
//	outhook.attempt.duration       histogram  seconds from request to response read
//	outhook.queue.depth            gauge      deliveries queued, in flight or waiting to retry
//	outhook.queue.oldest_age       gauge      seconds since the oldest of them was queued
//	outhook.attempts.stalled       gauge      attempts in flight past the stall threshold
//	outhook.attempts.stalled.limit gauge      how many of them may go on beside the workers
//	outhook.dead_letters.failed    counter    dead letters the store failed to keep, by webhook id
//
// The stalled gauges are the in-memory engine's (WithStallThreshold,
// WithStalledAttempts), zero where no attempt stalls.
// Stalled at the limit means the next attempt to stall holds its worker;
// each stalled above it holds one now.
type telemetry struct {
	tracer trace.Tracer
	// idleGlobal is the otel global's default provider when tracer is its,
	// nil otherwise (see idle).
	idleGlobal trace.TracerProvider
	propagator propagation.TextMapPropagator // nil: no propagation
	// queued: the engine keeps deliveries outside this process's memory,
	// where a span cannot follow them.
	queued bool

	deliveries metric.Int64Counter
	attempts   metric.Int64Counter
	duration   metric.Float64Histogram
	lostDead   metric.Int64Counter
	queueReg   metric.Registration
}

// newTelemetry makes the instruments. inMemory says that the engine keeps
// deliveries in this process's memory, where a span can follow each.
func newTelemetry(c *config, eng engine.Engine, inMemory bool) (*telemetry, error) {
	tp, mp := c.tracerProvider, c.meterProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	t := &telemetry{tracer: tp.Tracer(instrumentationName, trace.WithSchemaURL(semconv.SchemaURL))}
	if c.tracerProvider == nil && isGlobalDefault(tp) {
		t.idleGlobal = tp
	}
	t.queued = !inMemory
	if c.propagate {
		t.propagator = c.propagator
		if t.propagator == nil {
			t.propagator = otel.GetTextMapPropagator()
		}
	}
	meter := mp.Meter(instrumentationName, metric.WithSchemaURL(semconv.SchemaURL))
	var err error
	if t.deliveries, err = meter.Int64Counter("outhook.deliveries", metric.WithDescription("Deliveries ended, by outcome."), metric.WithUnit("{delivery}")); err != nil {
		return nil, err
	}
	if t.attempts, err = meter.Int64Counter("outhook.attempts", metric.WithDescription("Delivery attempts, by outcome."), metric.WithUnit("{attempt}")); err != nil {
		return nil, err
	}
	if t.duration, err = meter.Float64Histogram("outhook.attempt.duration", metric.WithDescription("Duration of delivery attempts."), metric.WithUnit("s")); err != nil {
		return nil, err
	}
	if t.lostDead, err = meter.Int64Counter("outhook.dead_letters.failed", metric.WithDescription("Dead letters the invocation store failed to keep."), metric.WithUnit("{delivery}")); err != nil {
		return nil, err
	}
	depth, err := meter.Int64ObservableGauge("outhook.queue.depth", metric.WithDescription("Deliveries queued, in flight or waiting to retry."), metric.WithUnit("{delivery}"))
	if err != nil {
		return nil, err
	}
	age, err := meter.Float64ObservableGauge("outhook.queue.oldest_age", metric.WithDescription("Age of the oldest delivery not yet ended."), metric.WithUnit("s"))
	if err != nil {
		return nil, err
	}
	stalled, err := meter.Int64ObservableGauge("outhook.attempts.stalled", metric.WithDescription("Attempts in flight for longer than the stall threshold."), metric.WithUnit("{attempt}"))
	if err != nil {
		return nil, err
	}
	stalledLimit, err := meter.Int64ObservableGauge("outhook.attempts.stalled.limit", metric.WithDescription("Stalled attempts that may go on beside the workers; those above it hold a worker each."), metric.WithUnit("{attempt}"))
	if err != nil {
		return nil, err
	}
	t.queueReg, err = meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		st, err := eng.Stats(ctx)
		if err != nil {
			return err
		}
		o.ObserveInt64(depth, int64(st.Depth))
		if st.Depth > 0 && !st.Oldest.IsZero() {
			o.ObserveFloat64(age, c.now().Sub(st.Oldest).Seconds())
		} else {
			o.ObserveFloat64(age, 0)
		}
		o.ObserveInt64(stalled, int64(st.Stalled))
		o.ObserveInt64(stalledLimit, int64(st.StalledLimit))
		return nil
	}, depth, age, stalled, stalledLimit)
	return t, err
}

func (t *telemetry) close() {
	if t.queueReg != nil {
		_ = t.queueReg.Unregister()
	}
}

// Spans get their attributes only when they record, and metrics are made
// only when enabled, so that a process without telemetry pays for neither.

// The span kinds, made once with their slices: an option is an
// allocation, and so is the slice of a variadic call through an interface.
var (
	producerSpan = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindProducer)}
	consumerSpan = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer)}
	clientSpan   = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient)}
)

// traceContext is the propagator of the context a queued delivery
// carries: W3C Trace Context, whatever the global propagator.
var traceContext propagation.TraceContext

// isGlobalDefault reports whether tp is the provider the otel global
// holds until one is set, which hands its tracers to the one set then.
func isGlobalDefault(tp trace.TracerProvider) bool {
	t := reflect.TypeOf(tp)
	return t.Kind() == reflect.Pointer && t.Elem().PkgPath() == "go.opentelemetry.io/otel/internal/global"
}

// idle reports whether a span started beneath ctx would be the otel
// global's while no provider is set there, with no span context to carry:
// one that records nothing and carries nothing, and costs allocations.
// Such spans are not made.
func (t *telemetry) idle(ctx context.Context) bool {
	return t.idleGlobal != nil && otel.GetTracerProvider() == t.idleGlobal && !trace.SpanContextFromContext(ctx).IsValid()
}

// nonRecording is a span that records nothing, to stand for one not made.
var nonRecording = trace.SpanFromContext(context.Background())

// startDelivery starts del's span as a child of ctx, the publisher's. A
// queued delivery has none yet: tracedEngine makes its enqueue span, and
// Attempt a span for each run that attempts or ends it.
func (t *telemetry) startDelivery(ctx context.Context, h *hook, del *delivery) {
	if t.queued || t.idle(ctx) {
		return
	}
	_, del.span = t.tracer.Start(ctx, "webhook.delivery", producerSpan...)
	t.describe(del.span, h.def.ID, h.def.Name, del)
}

func (t *telemetry) describe(span trace.Span, id, name string, del *delivery) {
	if span.IsRecording() {
		span.SetAttributes(
			attrWebhookID.String(id), attrWebhookName.String(name),
			attrDeliveryID.String(del.ID), attrEventType.String(string(del.Event.Type())),
		)
	}
}

// startRun starts the span of one run of a queued delivery, beneath the
// span that enqueued it when the delivery carries its context, and
// beneath ctx's otherwise. It reports whether it did: a delivery in
// memory has its span from Publish.
func (t *telemetry) startRun(ctx context.Context, del *delivery) bool {
	if del.span != nil {
		return false
	}
	if len(del.TraceContext) > 0 {
		ctx = traceContext.Extract(ctx, propagation.MapCarrier(del.TraceContext))
	}
	if t.idle(ctx) {
		return false
	}
	_, del.span = t.tracer.Start(ctx, "webhook.delivery", consumerSpan...)
	name := ""
	if del.hook != nil {
		name = del.hook.def.Name
	}
	t.describe(del.span, del.WebhookID, name, del)
	return true
}

// endRun ends the span of a run that did not end its delivery: a retry is
// due, or the delivery waits for its rate limit or breaker.
func (t *telemetry) endRun(del *delivery) {
	if del.span == nil {
		return
	}
	if del.span.IsRecording() {
		del.span.SetAttributes(attrOutcome.String(string(Retrying)), attrAttempt.Int(del.Attempts))
	}
	del.span.End()
	del.span = nil
}

// endDelivery ends del's span and counts its outcome.
func (t *telemetry) endDelivery(ctx context.Context, del *delivery, name string, outcome Outcome, reason string) {
	if t.deliveries.Enabled(ctx) {
		t.deliveries.Add(ctx, 1, metric.WithAttributes(attrOutcome.String(string(outcome)), attrWebhookName.String(name)))
	}
	if del.span == nil {
		return
	}
	if del.span.IsRecording() {
		del.span.SetAttributes(attrOutcome.String(string(outcome)), attrAttempt.Int(del.Attempts))
		if outcome != Delivered {
			del.span.SetStatus(codes.Error, reason)
		}
	}
	del.span.End()
	del.span = nil
}

// tracedEngine is an engine that keeps deliveries outside this process's
// memory (a durable one), where a span cannot follow them. Each delivery
// it queues has a span of its own, ended once the delivery is queued,
// whose context the delivery carries to its runs.
type tracedEngine struct {
	engine.Engine
	tel *telemetry
}

func (e tracedEngine) Enqueue(ctx context.Context, tx engine.Tx, batch []*engine.Delivery) error {
	if e.tel.idle(ctx) {
		return e.Engine.Enqueue(ctx, tx, batch)
	}
	spans := make([]trace.Span, len(batch))
	for i, del := range batch {
		sctx, span := e.tel.tracer.Start(ctx, "webhook.enqueue", producerSpan...)
		if span.SpanContext().IsValid() {
			del.TraceContext = map[string]string{}
			traceContext.Inject(sctx, propagation.MapCarrier(del.TraceContext))
		}
		if span.IsRecording() {
			span.SetAttributes(attrWebhookID.String(del.WebhookID), attrDeliveryID.String(del.ID), attrEventType.String(string(del.Event.Type())))
		}
		spans[i] = span
	}
	err := e.Engine.Enqueue(ctx, tx, batch)
	errs := enqueueErrors(err, len(batch))
	for i, span := range spans {
		if err := errAt(errs, i); err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
	return err
}

// deadLetterFailed counts a dead letter the store failed to keep.
func (t *telemetry) deadLetterFailed(webhookID string) {
	t.lostDead.Add(context.Background(), 1, metric.WithAttributes(attrWebhookID.String(webhookID)))
}

// startAttempt starts an attempt's client span beneath the delivery's and,
// with propagation on, writes its context into the request's headers.
func (t *telemetry) startAttempt(ctx context.Context, h *hook, del *delivery, header http.Header) (context.Context, trace.Span) {
	if del.span != nil {
		if !del.span.IsRecording() && t.propagator == nil {
			// A delivery that is not sampled has no attempts to show.
			return ctx, nonRecording
		}
		ctx = trace.ContextWithSpan(ctx, del.span)
	}
	if t.idle(ctx) {
		return ctx, nonRecording
	}
	ctx, span := t.tracer.Start(ctx, h.method, clientSpan...)
	if span.IsRecording() {
		ep := h.endpointOf()
		span.SetAttributes(
			semconv.HTTPRequestMethodKey.String(h.method),
			semconv.URLFull(ep.redacted),
			semconv.ServerAddress(ep.addr), semconv.ServerPort(ep.port),
			attrWebhookID.String(h.def.ID), attrDeliveryID.String(del.ID), attrAttempt.Int(del.Attempts),
		)
		if del.Attempts > 1 {
			span.SetAttributes(semconv.HTTPRequestResendCount(del.Attempts - 1))
		}
	}
	if t.propagator != nil {
		t.propagator.Inject(ctx, propagation.HeaderCarrier(header))
	}
	return ctx, span
}

// endAttempt ends an attempt's span and records its metrics.
func (t *telemetry) endAttempt(ctx context.Context, span trace.Span, a *attempt) {
	recording, measuring := span.IsRecording(), t.attempts.Enabled(ctx) || t.duration.Enabled(ctx)
	if !recording && !measuring {
		span.End()
		return
	}
	var attrs []attribute.KeyValue
	if a.status > 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(a.status))
	}
	result := "success"
	if a.Outcome != Delivered {
		result = "failure"
		errType := "validation"
		switch {
		case a.err != nil:
			errType = "network"
			if ne, ok := a.err.(net.Error); ok && ne.Timeout() {
				errType = "timeout"
			}
		case a.status > 0 && (a.status < 200 || a.status > 299):
			errType = strconv.Itoa(a.status)
		}
		attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
		span.SetStatus(codes.Error, a.Reason)
	}
	span.SetAttributes(attrs...)
	span.End()
	if measuring {
		opt := metric.WithAttributes(append(attrs, attrOutcome.String(result))...)
		t.attempts.Add(ctx, 1, opt)
		t.duration.Record(ctx, a.Duration.Seconds(), opt)
	}
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "http" {
		return "80"
	}
	return "443"
}
