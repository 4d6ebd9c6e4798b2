package webhook

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/breaker"
	"github.com/outhook/outhook/operational"
)

// Decision is what a gate call decided: whether the webhook passed the
// event, what a flow shows when it did not, and the record of the call.
type Decision struct {
	// Passed: the webhook answered 2xx (an action, a 2xx status) and every
	// response validator passed. Anything else fails the gate closed.
	Passed bool `json:"passed"`
	// Message is for the flow to show when the gate did not pass: for a
	// response the validators refused, the webhook's
	// CustomValidationErrorMessage, or package validate's account of what
	// failed when it has none; otherwise what stopped the call (the same
	// as Invocation.Reason). Empty when Passed.
	Message string `json:"message,omitempty"`
	// Invocation is the record of the call, as stored in the invocation
	// store: Delivered, ValidationFailed or Failed with Attempt 1 when a
	// request was sent (or the action run); Skipped (inactive), Filtered,
	// or Failed with Attempt 0 when none was. Its Request and Response are
	// copies, whose headers the caller may change without changing any
	// record.
	Invocation Invocation `json:"invocation"`
}

// Gate calls the webhook id once with e and decides whether e passes it:
// Apono's manual webhook, which an access flow calls as a condition (who
// may request, who approves). Its PagerDuty recipe passes when
// $.incidents[0].status is "acknowledged".
//
// The call sends one request (or runs the webhook's action) within the
// webhook's timeout, without retries and without the queue: the caller
// waits for the answer. It respects the definition:
//
//   - An inactive webhook is not called and does not pass: a flow that
//     names a gate which was switched off is refused, not waved through.
//   - The filters apply: an event they exclude does not pass, and no
//     request is sent. A gate fails closed; to make a condition apply only
//     to some requests, put that choice in the flow. (Apono's manual
//     webhooks have no filters; this keeps the definition's meaning.)
//   - An open circuit breaker (or one disabled by a 410) refuses the call
//     at once, as with WithBreaker's FailFast; the result of the request
//     is reported to the breaker as a delivery's is.
//   - The rate limit makes the call wait for a slot that comes within the
//     webhook's timeout (and before ctx ends); a later slot refuses the
//     call at once. The request then has its own full timeout.
//   - The triggers do not: any event may be passed, as with Test.
//
// Every call reads the webhook's definition in the definition store, and
// follows the store first when this instance has not loaded that version:
// a gate created, switched off, changed or deleted on another instance
// decides the next call on this one, before the notice of the change
// arrives.
//
// Every call is recorded in the invocation store (and given to
// WithInvocationHook), secrets redacted; none makes a dead letter.
//
// The event's fields route the webhook's secrets as a delivery's do when
// its URL is templated over the event: e is the host's own, built from
// its data as a published event is. An event a caller chose (the manage
// API's gate route) is passed with CallerEvent, and then obeys Test's
// rule.
//
// The error is non-nil only when no decision could be made or it was cut
// short: ErrNotFound for an unknown id, ErrClosed after Close,
// ErrNoEvent for a nil or zero event, the
// definition store's error when it cannot be read, the definition's error
// when it does not compile on this instance, the DefinitionErrors of
// CallerEvent's rule, or ctx's error when ctx
// ended during the call (the Decision, not passed, then holds what was
// recorded). A call the webhook passed before ctx ended
// returns no error, however soon after its answer ctx ended, and tells
// the breaker of the success, as a delivery the receiver took does.
func (t *Tenant) Gate(ctx context.Context, id string, e *event.Event, opts ...GateOption) (Decision, error) {
	var cfg gateConfig
	for _, o := range opts {
		if o != nil {
			o.applyGate(&cfg)
		}
	}
	if err := checkTenant(t.id); err != nil {
		return Decision{}, err
	}
	d := t.d
	if !d.enter() {
		return Decision{}, ErrClosed
	}
	defer d.leave()
	if !validID(id) {
		return Decision{}, fmt.Errorf("webhook %q: %w", id, ErrNotFound)
	}
	if err := checkEvent("Gate", e); err != nil {
		return Decision{}, err
	}
	key := queueKey(t.id, id)
	h, loaded, _, err := d.lookup(key)
	// A gate decides by the definition stored now, not by the one this
	// instance read last: another instance may have created, switched
	// off, changed or deleted it since, and the notice of that may still
	// be on its way, or lost. A flow may call its gate at once.
	rec, gerr := d.defs.Get(ctx, t.id, id)
	switch {
	case gerr != nil && !errors.Is(gerr, defstore.ErrNotFound):
		return Decision{}, fmt.Errorf("webhook %q: reading its definition: %w", id, gerr)
	case errors.Is(gerr, defstore.ErrNotFound) && h == nil && err == nil:
		return Decision{}, fmt.Errorf("webhook %q: %w", id, ErrNotFound)
	case errors.Is(gerr, defstore.ErrNotFound) || rec.Version != loaded:
		if serr := d.syncNow(ctx); serr != nil {
			return Decision{}, fmt.Errorf("webhook %q: reading the definitions: %w", id, serr)
		}
		h, _, _, err = d.lookup(key)
	}
	switch {
	case err != nil:
		return Decision{}, fmt.Errorf("webhook %q: %w", id, err)
	case h == nil:
		return Decision{}, fmt.Errorf("webhook %q: %w", id, ErrNotFound)
	}
	if cfg.callerEvent && h.target != nil && h.target.parts != nil {
		if err := d.checkCallerEvent(h, e, storedSecretFields(h.webhook()), h.def.Triggers); err != nil {
			return Decision{}, err
		}
	}
	dec := d.gate(ctx, h, e)
	// Recorded even when ctx has ended: the call was made, and cut short.
	wctx, cancel := d.storeContext(ctx)
	defer cancel()
	d.record(wctx, dec.Invocation)
	d.log(wctx, &dec.Invocation)
	// The caller's copy has headers of its own: the record's share their
	// values with the webhook's other records (see withOwnHeaders).
	dec.Invocation = withOwnHeaders(dec.Invocation)
	if err := ctx.Err(); err != nil && !dec.Passed {
		return dec, err
	}
	return dec, nil
}

// Gate is Tenant("").Gate: the gate call of a service without tenants.
func (d *Dispatcher) Gate(ctx context.Context, id string, e *event.Event, opts ...GateOption) (Decision, error) {
	return d.Tenant("").Gate(ctx, id, e, opts...)
}

// GateOption changes one call of Gate. A nil one is ignored.
type GateOption interface{ applyGate(*gateConfig) }

type gateConfig struct{ callerEvent bool }

type gateOptionFunc func(*gateConfig)

func (f gateOptionFunc) applyGate(c *gateConfig) { f(c) }

// CallerEvent says the gate's event is the caller's choice, not the
// host's own: as for Test, when the webhook's URL is templated over the
// event and holds secrets, the event must render the URL the mock event
// of one of its triggers renders, or no request is sent and Gate returns
// a *DefinitionError for the field "url", in a DefinitionErrors,
// wrapping ErrSecretRequired. By default the event is the host's.
func CallerEvent() GateOption {
	return gateOptionFunc(func(c *gateConfig) { c.callerEvent = true })
}

// gate makes the call of Tenant.Gate to h and decides.
func (d *Dispatcher) gate(ctx context.Context, h *hook, e *event.Event) Decision {
	now := d.cfg.now()
	refuse := func(outcome Outcome, reason string) Decision {
		inv := Invocation{
			ID: newID(), DeliveryID: newID(), Tenant: h.tenant, WebhookID: h.def.ID, WebhookName: h.def.Name,
			EventType: e.Type(), EventID: e.ID(), SubjectEventID: operational.SubjectEventID(e), Outcome: outcome, Reason: h.redactorOf().String(reason), StartedAt: now,
		}
		return Decision{Message: inv.Reason, Invocation: inv}
	}
	if !h.def.Active {
		return refuse(Skipped, "webhook is inactive")
	}
	if !h.filter.Match(e.Document()) {
		return refuse(Filtered, "event excluded by the webhook's filters: "+h.filter.Explain(e.Document()).String())
	}
	body, err := h.render(e)
	if err != nil {
		return refuse(Failed, fmt.Sprintf("rendering the body: %v", err))
	}
	var tgt *target
	if h.target != nil {
		if tgt, err = h.target.render(e, h.redactorOf(), h.parsedURL()); err != nil {
			return refuse(Failed, err.Error())
		}
	}
	var permit breaker.Permit
	if h.breaker != nil {
		if permit, err = h.breaker.Allow(); err != nil {
			if errors.Is(err, breaker.ErrDisabled) {
				return refuse(Failed, "webhook disabled: its endpoint answered 410 Gone (see ResetBreaker)")
			}
			return refuse(Failed, "circuit breaker open: the endpoint keeps failing; no request sent")
		}
	}
	if reason := d.gateSlot(ctx, h, now); reason != "" {
		// The permit goes unreported: a half-open breaker allows another
		// probe after its cool-down.
		return refuse(Failed, reason)
	}
	del := newDelivery(newID(), h, e, now)
	del.Attempts, del.body, del.rendered, del.target = 1, body, true, tgt
	a := d.send(ctx, h, del)
	// As for a delivery: an answer the receiver gave counts, however soon
	// after it ctx ended; an attempt ctx cut short counts for nothing.
	d.reportToBreaker(h, &permit, a, a.Outcome != Delivered && ctx.Err() != nil)
	if a.validationFailed {
		a.Outcome = ValidationFailed
	}
	if a.Outcome == Delivered {
		return Decision{Passed: true, Invocation: *a.record()}
	}
	return Decision{Message: a.Reason, Invocation: *a.record()}
}

// gateSlot waits for a slot of h's rate limit that comes within h's
// timeout and before ctx ends, and says why not when there is none.
func (d *Dispatcher) gateSlot(ctx context.Context, h *hook, now time.Time) string {
	if h.limiter == nil {
		return ""
	}
	within := h.timeout
	if deadline, ok := ctx.Deadline(); ok {
		within = min(within, deadline.Sub(now))
	}
	wait, ok := h.limiter.ReserveWithinAt(now, within)
	if !ok {
		return fmt.Sprintf("rate limit: no slot within %s (the next in %s); no request sent", within.Round(time.Millisecond), wait.Round(time.Millisecond))
	}
	if wait <= 0 {
		return ""
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return ""
	case <-ctx.Done():
		return fmt.Sprintf("interrupted waiting %s for a slot of the rate limit: %v", wait.Round(time.Millisecond), ctx.Err())
	}
}
