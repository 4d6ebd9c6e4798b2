package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/outhook/outhook/internal/breaker"
	"github.com/outhook/outhook/internal/netguard"
	"github.com/outhook/outhook/internal/signing"
	"github.com/outhook/outhook/validate"
)

// drainLimit is how much of an unread response body is read and dropped so
// that the connection can be reused; a longer body costs the connection.
const drainLimit = 256 << 10

var _ Runner = (*Dispatcher)(nil)

// Attempt makes the next attempt of del: it renders the body on the first
// attempt, sends it, reads and validates the response, records the
// invocation, and says whether to retry. It implements Runner.
func (d *Dispatcher) Attempt(ctx context.Context, del *Delivery) Next {
	if del.hook == nil {
		h := d.hookByID(del.WebhookID)
		if h == nil {
			const reason = "webhook was removed before the delivery started"
			d.tel.endDelivery(ctx, del, "", Skipped, reason)
			d.record(ctx, Invocation{
				ID: newID(), DeliveryID: del.ID, WebhookID: del.WebhookID, EventType: del.Event.typ, EventID: del.Event.id,
				Outcome: Skipped, Reason: reason, StartedAt: d.cfg.now(),
			})
			return Next{}
		}
		del.hook = h
		if del.span == nil { // picked up by a durable engine, or redelivered
			d.tel.startDelivery(ctx, h, del)
		}
		del.schedule = h.retry.newSchedule(nil, d.cfg.now, del.Created, del.Attempts)
	}
	h := del.hook
	if del.body == nil {
		body, err := h.render(del.Event)
		if err != nil {
			return d.refuse(ctx, del, fmt.Sprintf("rendering the body: %v", err))
		}
		del.body = body
	}
	// Flow control: waiting for the rate limit or for an open breaker holds
	// no worker and counts no attempt.
	report, wait, err := d.admit(h, del)
	if err != nil {
		return d.refuse(ctx, del, err.Error())
	}
	if wait > 0 {
		return Next{Retry: true, Delay: wait}
	}
	del.Attempts++

	inv := d.send(ctx, h, del)
	d.reportToBreaker(ctx, h, report, inv)
	retry, delay := false, time.Duration(0)
	if inv.Outcome != Delivered {
		if d.retryable(ctx, h, inv) {
			delay, retry = del.schedule.next(del.Attempts, inv.retryAfter)
		}
		switch {
		case retry:
			inv.Outcome = Retrying
			inv.NextAttemptAt = d.cfg.now().Add(delay)
		case inv.validationFailed:
			inv.Outcome = ValidationFailed
		default:
			inv.Outcome = Failed
		}
	}
	// The dead letter and the span first, so that whoever sees the record
	// finds them.
	if inv.Outcome == Failed || inv.Outcome == ValidationFailed {
		d.deadLetter(del, inv.Outcome, inv.Reason)
	}
	if inv.Outcome.Final() {
		d.tel.endDelivery(ctx, del, h.def.Name, inv.Outcome, inv.Reason)
	}
	d.record(ctx, inv.Invocation)
	d.log(ctx, &inv.Invocation)
	return Next{Retry: retry, Delay: delay}
}

// admit applies the webhook's rate limit and circuit breaker. It returns
// the breaker's outcome callback, or how long to wait, or why the delivery
// must fail now.
func (d *Dispatcher) admit(h *hook, del *Delivery) (report func(bool), wait time.Duration, err error) {
	if h.limiter != nil && !del.admitted {
		if wait := h.limiter.ReserveAt(d.cfg.now()); wait > 0 {
			del.admitted = true // the slot is reserved: do not ask again
			return nil, wait, nil
		}
	}
	del.admitted = false
	if h.breaker == nil {
		return nil, 0, nil
	}
	report, err = h.breaker.Allow()
	var open *breaker.OpenError
	switch {
	case err == nil:
		return report, 0, nil
	case errors.Is(err, breaker.ErrDisabled):
		return nil, 0, errors.New("webhook disabled: its endpoint answered 410 Gone (see ResetBreaker)")
	case errors.As(err, &open) && !d.cfg.breaker.FailFast:
		return nil, max(open.Until.Sub(d.cfg.now()), time.Millisecond), nil
	}
	return nil, 0, errors.New("circuit breaker open: the endpoint keeps failing")
}

// reportToBreaker tells the breaker how the endpoint did: 410 Gone disables
// the webhook; network errors, timeouts, 429 and 5xx are failures; any other
// answer shows the endpoint is up. Problems on this side (a blocked address,
// an attempt cut short by Close) count as neither: the breaker hears
// nothing, and a half-open one allows another probe after its cool-down.
func (d *Dispatcher) reportToBreaker(ctx context.Context, h *hook, report func(bool), a *attempt) {
	if report == nil {
		return
	}
	switch {
	case a.status == http.StatusGone:
		h.breaker.Disable()
	case a.permanent || ctx.Err() != nil:
	case a.err != nil || a.status == http.StatusTooManyRequests || a.status >= 500:
		report(false)
	default:
		report(true)
	}
}

// refuse ends del without an attempt: its body cannot be rendered, or its
// webhook's breaker refuses it. It becomes a dead letter.
func (d *Dispatcher) refuse(ctx context.Context, del *Delivery, reason string) Next {
	h := del.hook
	inv := Invocation{
		ID: newID(), DeliveryID: del.ID, WebhookID: h.def.ID, WebhookName: h.def.Name, EventType: del.Event.typ,
		EventID: del.Event.id, Attempt: del.Attempts, Outcome: Failed, Reason: h.redactor.String(reason), StartedAt: d.cfg.now(),
	}
	d.deadLetter(del, Failed, inv.Reason)
	d.tel.endDelivery(ctx, del, h.def.Name, Failed, inv.Reason)
	d.record(ctx, inv)
	d.log(ctx, &inv)
	return Next{}
}

// retryable applies the retry decider; a validation failure is retried only
// when the webhook's policy says so.
func (d *Dispatcher) retryable(ctx context.Context, h *hook, inv *attempt) bool {
	if inv.permanent {
		return false
	}
	if inv.validationFailed {
		return h.retry.RetryValidationFailures && ctx.Err() == nil
	}
	return d.cfg.retryDecider(ctx, inv.status, inv.err)
}

// Abandon records del as a dead letter that the engine gave up. It
// implements Runner.
func (d *Dispatcher) Abandon(del *Delivery, err error) {
	reason := "abandoned: " + err.Error()
	inv := Invocation{
		ID: newID(), DeliveryID: del.ID, WebhookID: del.WebhookID, EventType: del.Event.typ, EventID: del.Event.id,
		Attempt: del.Attempts, Outcome: Failed, Reason: reason, StartedAt: d.cfg.now(),
	}
	if del.hook != nil {
		inv.WebhookName = del.hook.def.Name
	}
	d.deadLetter(del, Failed, reason)
	d.tel.endDelivery(context.Background(), del, inv.WebhookName, Failed, reason)
	d.record(context.Background(), inv)
}

func (d *Dispatcher) deadLetter(del *Delivery, outcome Outcome, reason string) {
	err := d.store.AddDeadLetter(context.Background(), DeadLetter{
		DeliveryID: del.ID, WebhookID: del.WebhookID, Event: del.Event, Outcome: outcome,
		Reason: reason, Attempts: del.Attempts, FailedAt: d.cfg.now(),
	})
	if err != nil {
		d.cfg.logger.Error("webhook: storing a dead letter", "delivery_id", del.ID, "webhook_id", del.WebhookID, "error", err)
	}
}

func (d *Dispatcher) record(ctx context.Context, inv Invocation) {
	if err := d.store.Record(ctx, inv); err != nil {
		d.cfg.logger.Error("webhook: storing an invocation", "delivery_id", inv.DeliveryID, "webhook_id", inv.WebhookID, "error", err)
	}
	if d.cfg.onInvocation != nil {
		d.cfg.onInvocation(inv)
	}
}

func (d *Dispatcher) log(ctx context.Context, inv *Invocation) {
	level := slog.LevelInfo
	if inv.Outcome != Delivered {
		level = slog.LevelWarn
	}
	if !d.cfg.logger.Enabled(ctx, level) {
		return
	}
	attrs := []any{"webhook_id", inv.WebhookID, "webhook", inv.WebhookName, "delivery_id", inv.DeliveryID,
		"event_type", string(inv.EventType), "attempt", inv.Attempt, "outcome", string(inv.Outcome), "duration", inv.Duration}
	if inv.Response != nil {
		attrs = append(attrs, "status", inv.Response.StatusCode)
	}
	if inv.Reason != "" {
		attrs = append(attrs, "reason", inv.Reason)
	}
	d.cfg.logger.Log(ctx, level, "webhook delivery", attrs...)
}

// attempt is an invocation with what the retry decision needs.
type attempt struct {
	Invocation
	status           int
	err              error
	retryAfter       time.Duration
	validationFailed bool
	permanent        bool
}

// send makes one HTTP attempt of del, whose body is rendered, and describes
// it. Its Outcome is Delivered or, for any failure, Failed; the caller
// decides about retries.
func (d *Dispatcher) send(ctx context.Context, h *hook, del *Delivery) *attempt {
	a := &attempt{Invocation: Invocation{
		ID: newID(), DeliveryID: del.ID, WebhookID: h.def.ID, WebhookName: h.def.Name,
		EventType: del.Event.typ, EventID: del.Event.id, Attempt: del.Attempts, StartedAt: d.cfg.now(),
	}}
	fail := func(reason string) *attempt {
		a.Outcome, a.Reason = Failed, reason
		a.Duration = d.cfg.now().Sub(a.StartedAt)
		return a
	}

	client := d.client
	if h.client != nil {
		client = h.client
	}

	req, err := http.NewRequest(h.method, h.url, nil)
	if err != nil {
		a.permanent = true
		return fail(h.redactor.String(err.Error()))
	}
	for k, vs := range h.header {
		req.Header[k] = vs
	}
	if req.Header.Get("Content-Type") == "" && len(del.body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	if req.Header.Get("User-Agent") == "" && d.cfg.userAgent != "" {
		req.Header.Set("User-Agent", d.cfg.userAgent)
	}
	if h.signer != nil {
		h.signer.SetHeaders(req.Header, del.ID, a.StartedAt, del.body)
	} else {
		req.Header.Set(signing.HeaderID, del.ID)
		req.Header.Set(signing.HeaderTimestamp, strconv.FormatInt(a.StartedAt.Unix(), 10))
	}
	if len(del.body) > 0 {
		body := del.body
		req.ContentLength = int64(len(body))
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	ctx, span := d.tel.startAttempt(ctx, h, del, req)
	defer func() { d.tel.endAttempt(ctx, span, a) }()
	a.Request = &RecordedRequest{Method: h.method, URL: h.redactedURL, Header: h.redactor.Header(req.Header), Body: string(del.body)}

	actx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	resp, err := client.Do(req.WithContext(actx))
	if err != nil {
		a.err = err
		reason := h.redactor.String(err.Error())
		switch {
		case errors.Is(err, netguard.ErrBlocked):
			a.permanent = true // the address will not become allowed by waiting
			var be *netguard.BlockedError
			if errors.As(err, &be) {
				reason = "blocked by the SSRF guard: " + h.redactor.String(be.Error())
			}
		case actx.Err() == context.DeadlineExceeded && ctx.Err() == nil:
			reason = fmt.Sprintf("no response within the %s timeout", h.timeout)
		}
		return fail(reason)
	}
	limit := d.cfg.maxResponseBytes
	if h.validators.Len() > 0 {
		limit = max(limit, h.validators.MaxBodyBytes()) // validators may need more than is kept
	}
	r, readErr := validate.Read(resp, limit)
	_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
	resp.Body.Close()

	a.status = resp.StatusCode
	a.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), d.cfg.now())
	a.Response = &RecordedResponse{StatusCode: resp.StatusCode, Header: h.redactor.Header(resp.Header)}
	kept := r.Body
	if int64(len(kept)) > d.cfg.maxResponseBytes {
		kept = kept[:d.cfg.maxResponseBytes]
	}
	a.Response.Body = string(kept)
	a.Response.BodyTruncated = r.Truncated || len(kept) < len(r.Body)
	if readErr != nil {
		a.err = readErr
		reason := "reading the response: " + h.redactor.String(readErr.Error())
		if actx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			reason = fmt.Sprintf("response body not read within the %s timeout", h.timeout)
		}
		return fail(reason)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fail(fmt.Sprintf("status %d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
	}
	if h.validators.Len() > 0 {
		rep := h.validators.Validate(r)
		a.Validation = rep.Results
		if !rep.Passed() {
			a.validationFailed = true
			return fail(rep.Message)
		}
	}
	a.Outcome = Delivered
	a.Duration = d.cfg.now().Sub(a.StartedAt)
	return a
}

// render produces the request body: the template over the event, or the
// event's own JSON when the webhook has no template.
func (h *hook) render(e *Event) ([]byte, error) {
	if h.body == nil {
		return e.raw, nil
	}
	return h.body.Append(nil, e.doc)
}

// Test sends the built-in mock event of trigger to w, once and at once,
// whether w is active, registered or neither, and returns the invocation:
// the request as sent (secrets redacted), the response, the timing, the
// validator results, and the outcome with its reason. It is Apono's "Test"
// button. The invocation is returned, not recorded. An error means w is not
// a valid definition (a DefinitionErrors) or there is no mock event for
// trigger.
func (d *Dispatcher) Test(ctx context.Context, w Webhook, trigger Trigger) (Invocation, error) {
	e, ok := MockEvent(trigger)
	if !ok {
		return Invocation{}, fmt.Errorf("webhook: no mock event for trigger %q", trigger)
	}
	return d.TestEvent(ctx, w, e)
}

// TestEvent is Test with an event of the caller's choosing, for event types
// of the service's own.
func (d *Dispatcher) TestEvent(ctx context.Context, w Webhook, e *Event) (Invocation, error) {
	if w.ID == "" {
		w.ID = "test"
	}
	h, errs := d.compile(w)
	if errs != nil {
		return Invocation{}, errs
	}
	body, err := h.render(e)
	if err != nil {
		return Invocation{
			ID: newID(), WebhookID: h.def.ID, WebhookName: h.def.Name, EventType: e.typ, EventID: e.id,
			Outcome: Failed, Reason: fmt.Sprintf("rendering the body: %v", err), StartedAt: d.cfg.now(),
		}, nil
	}
	del := &Delivery{ID: newID(), WebhookID: h.def.ID, Event: e, Attempts: 1, body: body}
	a := d.send(ctx, h, del)
	if a.validationFailed {
		a.Outcome = ValidationFailed
	}
	return a.Invocation, nil
}
