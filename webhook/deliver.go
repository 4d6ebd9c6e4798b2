package webhook

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/bodyread"
	"github.com/outhook/outhook/internal/breaker"
	"github.com/outhook/outhook/internal/netguard"
	"github.com/outhook/outhook/internal/redact"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/signature"
	"github.com/outhook/outhook/validate"
)

// drainLimit is how much of an unread response body is read and dropped so
// that the connection can be reused; a longer body costs the connection.
const drainLimit = 256 << 10

// run makes the next attempt of del, or decides that none is due yet: it
// renders the body on the first attempt, sends it, reads and validates
// the response, records the invocation, and says what the engine is to do
// next.
func (d *Dispatcher) run(ctx context.Context, del *delivery) engine.Result {
	if ctx.Err() != nil {
		return engine.Result{Outcome: engine.Interrupted}
	}
	// The registry is read before every attempt, so that Remove stops a
	// delivery's retries too. A webhook merely updated keeps the retries
	// of a delivery on the definition, and the body, of its first attempt;
	// one held back before that attempt takes the update.
	cur, loaded, deleted, cerr := d.lookup(del.WebhookID)
	if res, ended := d.endIfDeletedSince(ctx, del, loaded); ended {
		return res
	}
	// Deleted, unless the delivery was queued for a later version: the
	// webhook was created again under its id, on an instance this one has
	// not followed that far yet.
	removed := deleted > 0 && (del.DefinitionVersion == 0 || int64(del.DefinitionVersion) <= deleted)
	switch {
	case removed && del.hook == nil || cur == nil && cerr == nil && del.hook != nil:
		return d.skipRemoved(ctx, del)
	case del.hook != nil && del.Attempts == 0 && cur != nil && cerr == nil && cur.version != del.hook.version:
		// Updated while held back before its first attempt (its URL
		// fixed while an open breaker held it, say): it goes to the
		// definition of its first attempt, rendered anew.
		del.hook, del.body, del.target, del.rendered = cur, "", nil, false
	case del.hook != nil:
	case loaded < int64(del.DefinitionVersion) || loaded == 0:
		// Queued by an instance that has a later version than this one has
		// loaded, or one it has not loaded at all: wait for the follower.
		d.pokeSync()
		return d.holdUnknown(ctx, del, loaded)
	case cerr != nil:
		return d.unrunnable(ctx, del, cerr)
	default:
		del.hook = cur
	}
	h := del.hook
	if !del.rendered {
		body, err := h.render(del.Event)
		if err != nil {
			d.tel.startRun(ctx, del)
			return d.refuse(ctx, del, fmt.Sprintf("rendering the body: %v", err))
		}
		if h.target != nil {
			if del.target, err = h.target.render(del.Event, h.redactorOf(), h.parsedURL()); err != nil {
				d.tel.startRun(ctx, del)
				return d.refuse(ctx, del, err.Error())
			}
		}
		del.body, del.rendered = body, true
	}
	// Flow control: waiting for the tenant's limits, the rate limit or an
	// open breaker holds no worker and counts no attempt.
	leave, wait := d.enterTenant(h, del)
	if wait > 0 {
		return engine.Result{Outcome: engine.Held, Delay: wait}
	}
	attempted := false
	defer func() { leave(attempted) }()
	permit, wait, err := d.admit(h, del)
	if err == nil && wait > 0 {
		return engine.Result{Outcome: engine.Held, Delay: wait}
	}
	del.tenantAdmitted = false // the attempt takes the slot of the tenant's rate
	// A queued delivery has a span for each run that attempts or ends it;
	// not for one that only waits, which an open breaker's backlog does
	// at every cool-down.
	if d.tel.startRun(ctx, del) {
		defer d.tel.endRun(del)
	}
	if err != nil {
		return d.refuse(ctx, del, err.Error())
	}
	del.Attempts++
	attempted = true

	inv := d.send(ctx, h, del)
	// Whether the engine stopped is read once, so that the operational
	// count, the breaker and the outcome agree on it.
	stopped := ctx.Err()
	if stopped != nil && inv.Outcome == Delivered {
		// The receiver took it before the engine stopped: sent again, it
		// would arrive twice. It counts as any delivered attempt, and is
		// recorded, as interrupted attempts are, in the Dispatcher's life.
		ctx, stopped = d.inLife(ctx), nil
	}
	if stopped == nil { // before the breaker, so that Failing comes before Disabled
		d.ops.attempt(h, del, inv.Outcome == Delivered, inv.status, inv.Reason)
	}
	d.reportToBreaker(h, &permit, inv, stopped != nil)
	// The exchange is over: the tenant's in-flight limit and the webhook's
	// concurrency bound exchanges with receivers; the record below is ours.
	// Released only once the breaker has heard, so that the next delivery
	// is not let in by a breaker this attempt's failure opens.
	leave(true)
	leave = func(bool) {}
	del.EndExchange()
	if stopped != nil {
		return d.interrupted(ctx, del, inv, stopped)
	}
	retry, delay := false, time.Duration(0)
	if inv.Outcome != Delivered {
		if d.retryable(ctx, h, inv) {
			if del.schedule == nil { // the first failure of this process's attempts
				del.schedule = h.retry.newSchedule(d.cfg.jitter, d.cfg.now, del.Created, del.Attempts-1)
			}
			var stop error
			delay, stop = del.schedule.next(del.Attempts, inv.retryAfter)
			retry = stop == nil
			if stop != nil && !errors.Is(stop, errNoAttemptsLeft) {
				inv.Reason += "; " + stop.Error()
			}
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
	// finds them. The dead letter, like the record, is written in the
	// Dispatcher's life with the run's values: an engine may bound by them
	// how long the write holds the run.
	if inv.Outcome == Failed || inv.Outcome == ValidationFailed {
		d.deadLetterIn(d.inLife(ctx), del, inv.Outcome, inv.Reason)
	}
	if inv.Outcome.Final() {
		d.tel.endDelivery(ctx, del, h.def.Name, inv.Outcome, inv.Reason)
	}
	// The attempt counts whatever happens to ctx from here: a dead
	// letter's write may outlast the engine's bound on the run, and the
	// record must be written all the same.
	lctx := d.inLife(ctx)
	d.keep(lctx, inv.record())
	d.log(lctx, &inv.Invocation) // reads it only
	if retry {
		return engine.Result{Outcome: engine.Retry, Delay: delay}
	}
	return engine.Result{Outcome: engine.Done}
}

// interrupted records an attempt that the engine's ctx cut short: it
// counts for nothing, and the engine keeps the delivery or abandons it.
func (d *Dispatcher) interrupted(ctx context.Context, del *delivery, inv *attempt, cause error) engine.Result {
	del.Attempts--
	inv.Outcome = Retrying
	inv.Reason = fmt.Sprintf("attempt interrupted, %s; it counts for nothing: %s", interruption(ctx, cause), inv.Reason)
	lctx := d.inLife(ctx)
	d.keep(lctx, inv.record())
	d.log(lctx, &inv.Invocation)
	return engine.Result{Outcome: engine.Interrupted}
}

// inLife returns a context for what an attempt does after the engine's
// ctx ended: it ends with the Dispatcher's life, and keeps ctx's values,
// among them the engine's bound on how long the record may hold the run
// (a run cut by its deadline has no time left to wait for the store). It
// is made for every attempt, so it costs one small allocation and takes
// no lock: no cancel function, no callback on the Dispatcher's life.
func (d *Dispatcher) inLife(ctx context.Context) context.Context {
	return lifeCtx{life: d.life, values: ctx}
}

// lifeCtx is done when life is, and has the values of values. life (the
// Dispatcher's, made from context.Background) has none of its own but the
// context package's link to its cancellation, which Value gives first, so
// that a context derived from a lifeCtx is cancelled with life directly,
// without a goroutine watching it.
type lifeCtx struct {
	life, values context.Context
}

func (c lifeCtx) Deadline() (time.Time, bool) { return c.life.Deadline() }
func (c lifeCtx) Done() <-chan struct{}       { return c.life.Done() }
func (c lifeCtx) Err() error                  { return c.life.Err() }

func (c lifeCtx) Value(key any) any {
	if v := c.life.Value(key); v != nil {
		return v
	}
	return c.values.Value(key)
}

// interruption says why ctx, which ended with stopped, cut an attempt: a
// cancelled one is the engine stopping; a deadline is the engine's bound
// on the run, which its cause names when the engine gave one.
func interruption(ctx context.Context, stopped error) string {
	if !errors.Is(stopped, context.DeadlineExceeded) {
		return fmt.Sprintf("the engine is stopping (%v)", stopped)
	}
	if cause := context.Cause(ctx); cause != nil && cause != stopped {
		return fmt.Sprintf("the engine's deadline for the run passed: %v", cause)
	}
	return fmt.Sprintf("the engine's deadline for the run passed (%v)", stopped)
}

// admit applies the retry budget, the webhook's rate limit and its circuit
// breaker. It returns the breaker's permit, or how long to wait, or why the
// delivery must fail now: among other reasons, because the budget has run
// out, or because the wait would outlast it.
func (d *Dispatcher) admit(h *hook, del *delivery) (permit breaker.Permit, wait time.Duration, err error) {
	now := d.cfg.now()
	if del.Created.IsZero() { // an engine that does not say: the budget starts now
		del.Created = now
	}
	if err := h.retry.checkBudget(del.Created, now, 0, ""); err != nil {
		return breaker.Permit{}, 0, err
	}
	if h.limiter != nil && !del.admitted {
		// A slot at or past the budget's end is not taken: taken and left
		// unused, it would push every later slot further out.
		wait, ok := h.limiter.ReserveWithinAt(now, del.Created.Add(time.Duration(h.retry.MaxElapsed)).Sub(now))
		if !ok {
			return breaker.Permit{}, 0, h.retry.checkBudget(del.Created, now, wait, "rate limit")
		}
		// The slot is reserved: kept, and not asked for again, until the
		// attempt is made, however long an open breaker holds it back.
		del.admitted = true
		if wait > 0 || del.held != nil {
			del.hold().slotAt = now.Add(wait)
		}
		if wait > 0 {
			return breaker.Permit{}, wait, nil
		}
	} else if wait := del.heldFor(now); del.admitted && wait > earlySlot {
		// Held again until its slot when run early (an engine that woke
		// it after ResetBreaker); on time, give or take earlySlot, it goes.
		return breaker.Permit{}, wait, nil
	}
	if h.breaker == nil {
		del.admitted = false
		return breaker.Permit{}, 0, nil
	}
	uncounted := d.ops.uncounted(h, del)
	if uncounted { // the breaker's lock is taken for State only when its answer matters
		if s := h.breaker.State(); s == breaker.Closed || s == breaker.HalfOpen {
			del.admitted = false // not its probe: held or refused only while it is open or disabled
			return breaker.Permit{}, 0, nil
		}
	}
	permit, err = h.breaker.Allow()
	if err == nil {
		del.admitted = false
		if uncounted {
			permit = breaker.Permit{} // half-open since State: the probe is given up after a cool-down
		}
		return permit, 0, nil
	}
	if errors.Is(err, breaker.ErrDisabled) {
		return permit, 0, errors.New("webhook disabled: its endpoint answered 410 Gone (see ResetBreaker)")
	}
	if open := (*breaker.OpenError)(nil); errors.As(err, &open) && !d.cfg.breaker.FailFast {
		wait := max(open.Until.Sub(now), time.Millisecond)
		if err := h.retry.checkBudget(del.Created, now, wait, "circuit breaker open"); err != nil {
			return permit, 0, err
		}
		return permit, wait, nil
	}
	return permit, 0, errors.New("circuit breaker open: the endpoint keeps failing")
}

// earlySlot is how early a delivery may run for its reserved rate-limit
// slot and still take it: an engine's clock (a database's) may run a
// little ahead of the Dispatcher's, and a delivery it runs on time must
// not be held again for that.
const earlySlot = 25 * time.Millisecond

// reportToBreaker tells the breaker how the endpoint did: 410 Gone disables
// the webhook; network errors, timeouts, 429 and 5xx are failures; any other
// answer shows the endpoint is up. Problems on this side (a blocked address,
// an attempt stopped: cut short by its ctx) count as neither: the breaker
// hears nothing, and a half-open one allows another probe after its
// cool-down.
func (d *Dispatcher) reportToBreaker(h *hook, permit *breaker.Permit, a *attempt, stopped bool) {
	if !permit.Allowed() {
		return
	}
	switch {
	case a.status == http.StatusGone:
		h.breaker.Disable()
	case a.permanent || stopped:
	case a.err != nil || a.status == http.StatusTooManyRequests || a.status >= 500:
		permit.Report(false)
	default:
		permit.Report(true)
	}
}

// refuse ends del without an attempt: its body cannot be rendered, or its
// webhook's breaker refuses it. It becomes a dead letter.
func (d *Dispatcher) refuse(ctx context.Context, del *delivery, reason string) engine.Result {
	h := del.hook
	inv := Invocation{
		ID: recordID(), DeliveryID: del.ID, Tenant: h.tenant, WebhookID: h.def.ID, WebhookName: h.def.Name, EventType: del.Event.Type(),
		EventID: del.Event.ID(), SubjectEventID: operational.SubjectEventID(del.Event), Attempt: del.Attempts, Outcome: Failed, Reason: h.redactorOf().String(reason), StartedAt: d.cfg.now(),
	}
	d.deadLetterIn(d.inLife(ctx), del, Failed, inv.Reason)
	d.tel.endDelivery(ctx, del, h.def.Name, Failed, inv.Reason)
	d.record(ctx, inv)
	d.log(ctx, &inv)
	return engine.Result{Outcome: engine.Done}
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

// abandon records del as a dead letter that the engine gave up.
func (d *Dispatcher) abandon(del *delivery, err error) {
	reason := "abandoned: " + err.Error()
	tenant, id := splitKey(del.WebhookID)
	inv := Invocation{
		ID: recordID(), DeliveryID: del.ID, Tenant: tenant, WebhookID: id, EventType: del.Event.Type(), EventID: del.Event.ID(), SubjectEventID: operational.SubjectEventID(del.Event),
		Attempt: del.Attempts, Outcome: Failed, Reason: reason, StartedAt: d.cfg.now(),
	}
	if del.hook != nil {
		inv.WebhookName = del.hook.def.Name
	}
	_ = d.deadLetter(del, Failed, reason) // a failure is Close's to return
	// Under a durable engine the last run's span ended "retrying": this
	// one says how the delivery ended. In memory, Publish's span is open.
	d.tel.startRun(context.Background(), del)
	d.tel.endDelivery(context.Background(), del, inv.WebhookName, Failed, reason)
	d.record(d.life, inv)
}

// deadLetter stores del as a dead letter, with a context that ends
// closeGrace after Close's does. A failed write is logged with the delivery id, counted
// (outhook.dead_letters.failed), returned as a *DeadLetterError and, while
// Close runs, kept for Close to return: the delivery is lost, and whoever
// can be told is.
func (d *Dispatcher) deadLetter(del *delivery, outcome Outcome, reason string) error {
	return d.deadLetterIn(d.life, del, outcome, reason)
}

// deadLetterIn is deadLetter with the write's context: Publish's ends
// sooner (see storeContext).
func (d *Dispatcher) deadLetterIn(ctx context.Context, del *delivery, outcome Outcome, reason string) error {
	tenant, id := splitKey(del.WebhookID)
	dl := DeadLetter{
		DeliveryID: del.ID, Tenant: tenant, WebhookID: id, Event: del.Event, Outcome: outcome,
		Reason: reason, Attempts: del.Attempts, FailedAt: d.cfg.now(),
	}
	err := d.store.AddDeadLetter(ctx, dl)
	if err == nil {
		d.ops.deadLettered(del.hook, dl)
		return nil
	}
	d.cfg.logger.Error("webhook: storing a dead letter", "delivery_id", del.ID, "tenant", tenant, "webhook_id", id, "error", err)
	d.tel.deadLetterFailed(id)
	lost := &DeadLetterError{DeadLetter: dl, Err: err}
	if d.closed.Load() {
		d.lostMu.Lock()
		d.lost = append(d.lost, lost)
		d.lostMu.Unlock()
	}
	return lost
}

func (d *Dispatcher) record(ctx context.Context, inv Invocation) { d.keep(ctx, &inv) }

// keep records inv and hands it over: a MemoryStore keeps it as it is,
// without a copy, so the caller may read inv afterwards but never writes
// to it, or to what it points to, again. Any other store gets it with
// headers of its own (see withOwnHeaders).
func (d *Dispatcher) keep(ctx context.Context, inv *Invocation) {
	var err error
	if m, ok := d.store.(*MemoryStore); ok {
		m.keep(inv)
	} else {
		err = d.store.Record(ctx, withOwnHeaders(*inv))
	}
	if err != nil {
		d.cfg.logger.Error("webhook: storing an invocation", "delivery_id", inv.DeliveryID, "webhook_id", inv.WebhookID, "error", err)
	}
	if d.cfg.onInvocation != nil {
		d.cfg.onInvocation(*inv)
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

// attempt is an invocation with what the retry decision needs. It holds
// the recorded request and response itself, the values of its own headers
// and its body's reader, so that an attempt is one allocation, not five.
type attempt struct {
	Invocation
	request          RecordedRequest
	response         RecordedResponse
	stamp            [2]string      // the values of the id and timestamp headers
	body             strings.Reader // the request body's reader
	status           int
	err              error
	retryAfter       time.Duration
	validationFailed bool
	permanent        bool
}

// record returns a's record, once its outcome is decided. The record's
// Request and Response point into a, so whoever keeps the record (a
// MemoryStore, a caller of Gate) keeps the whole attempt: what the record
// does not show, the error above all, whose text may quote a secret the
// record's reason has redacted, is dropped first.
func (a *attempt) record() *Invocation {
	a.err = nil
	return &a.Invocation
}

// send makes one HTTP attempt of del, whose body is rendered, and describes
// it. Its Outcome is Delivered or, for any failure, Failed; the caller
// decides about retries.
func (d *Dispatcher) send(ctx context.Context, h *hook, del *delivery) *attempt {
	a := &attempt{Invocation: Invocation{
		ID: recordID(), DeliveryID: del.ID, Tenant: h.tenant, WebhookID: h.def.ID, WebhookName: h.def.Name,
		EventType: del.Event.Type(), EventID: del.Event.ID(), SubjectEventID: operational.SubjectEventID(del.Event), Attempt: del.Attempts, StartedAt: d.cfg.now(),
	}}
	fail := func(reason string) *attempt {
		a.Outcome, a.Reason = Failed, reason
		a.Duration = d.cfg.now().Sub(a.StartedAt)
		return a
	}

	header := h.attemptHeader(del, a.StartedAt, &a.stamp)
	red, recordedURL := h.redactorOf(), h.endpointOf().redacted
	if t := del.target; t != nil {
		red = t.redactor
		if t.url != nil {
			recordedURL = t.redactedURL
		}
	}
	ctx, span := d.tel.startAttempt(ctx, h, del, header)
	defer func() { d.tel.endAttempt(ctx, span, a) }()
	a.request = RecordedRequest{Method: h.method, URL: recordedURL, Header: h.recordedHeader(header, d.tel.propagator != nil), Body: h.recordedBody(del.body)}
	if t := del.target; t != nil {
		for name, values := range t.header {
			if sameValues(header[name], values) { // not replaced by the attempt's own
				a.request.Header[name] = red.Values(name, values)
			}
		}
	}
	a.Request = &a.request

	timeout := engine.StartAttempt(ctx, h.timeout)
	defer timeout.End()
	expired := func() bool { return timeout.Expired() && ctx.Err() == nil }
	token, err := "", error(nil)
	if h.oauth != nil {
		a.request.Header["Authorization"] = []string{redact.Redacted}
		if red, token, err = h.authorize(timeout.Context(), del, header, ""); err != nil {
			return a.tokenFailed(err, h, expired(), fail)
		}
	}
	reqCtx := timeout.Context()
	var certAsked *atomic.Bool // a webhook with TLS settings learns whether a server asked for a certificate
	if h.tls != nil {
		reqCtx, certAsked = withCertAsked(reqCtx)
	}
	req := h.newRequest(reqCtx, header)
	if del.target != nil && del.target.url != nil {
		req.URL = del.target.url
	}
	req.Body, req.GetBody, req.ContentLength = requestBody(del.body, &a.body)
	resp, err := d.roundTrip(h, del, req)
	if err == nil && resp.StatusCode == http.StatusUnauthorized && h.oauth != nil {
		// The token may have been revoked before its time: one more, once.
		_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
		resp.Body.Close()
		if red, _, err = h.authorize(timeout.Context(), del, header, token); err != nil {
			return a.tokenFailed(err, h, expired(), fail)
		}
		a.TokenRefetched = true
		req = req.Clone(reqCtx)
		// A fresh reader: the first request's may still be read, by a
		// transport writing a body the receiver did not wait for.
		req.Body, req.GetBody, req.ContentLength = requestBody(del.body, nil)
		resp, err = d.roundTrip(h, del, req)
	}
	if err != nil {
		a.err = err
		reason := red.String(err.Error())
		switch {
		case errors.Is(err, netguard.ErrBlocked):
			a.permanent = true // the address will not become allowed by waiting
			var be *netguard.BlockedError
			if errors.As(err, &be) {
				reason = "blocked by the SSRF guard: " + red.String(be.Error())
			}
		case expired():
			reason = timedOut(&timeout, h.timeout, "no response")
		case certAsked != nil && certAsked.Load() && h.tls.Certificates == nil:
			reason = "the server asked for a client certificate, and the webhook has none (tls.client_certificate): " + reason
		}
		return fail(reason)
	}
	limit := d.cfg.maxResponseBytes
	if h.validators.Len() > 0 {
		limit = max(limit, h.validators.MaxBodyBytes()) // validators may need more than is kept
	}
	rr := responseReads.Get().(*responseRead)
	defer rr.release()
	body, truncated, readErr := rr.read(resp.Body, limit, resp.ContentLength)
	if truncated { // the rest, for the connection to be reused
		_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
	}
	if resp.Body != nil {
		resp.Body.Close()
	}

	a.status = resp.StatusCode
	if v := resp.Header.Get("Retry-After"); v != "" {
		a.retryAfter = parseRetryAfter(v, d.cfg.now())
	}
	ok := readErr == nil && resp.StatusCode >= 200 && resp.StatusCode <= 299
	var report validate.Report
	if ok && h.validators.Len() > 0 {
		rr.resp = validate.Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body, Truncated: truncated}
		report = h.validators.Validate(&rr.resp)
		a.Validation = recordResults(red, report.Results, d.cfg.maxResponseBytes)
	}
	// Validators have read the headers: the record may now redact them, in
	// place, since the response is ours alone. A receiver may echo the
	// request back, so the body is redacted too, before it is cut, so that
	// the cut cannot split a secret and keep its start; where the read
	// stopped, at the limit or at a read error (a dropped connection, the
	// timeout), the end of a body may be the start of a secret. The record
	// keeps a copy: the buffer goes back to the pool.
	redactBody := red.String
	if truncated || readErr != nil {
		redactBody = red.Truncated
	}
	kept := redactBody(string(body))
	if int64(len(kept)) > d.cfg.maxResponseBytes {
		kept = strings.Clone(kept[:d.cfg.maxResponseBytes]) // the record does not pin the rest
	}
	a.response = RecordedResponse{
		StatusCode: resp.StatusCode, Header: red.RedactHeader(resp.Header),
		Body: kept, BodyTruncated: truncated || int64(len(body)) > d.cfg.maxResponseBytes,
	}
	a.Response = &a.response
	switch {
	case readErr != nil:
		a.err = readErr
		if expired() {
			return fail(timedOut(&timeout, h.timeout, "response body not read"))
		}
		return fail(red.String(readErr.Error()))
	case !ok:
		return fail(fmt.Sprintf("status %d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
	case !report.Passed():
		a.validationFailed = true
		return fail(report.Message)
	}
	a.Outcome = Delivered
	a.Duration = d.cfg.now().Sub(a.StartedAt)
	return a
}

// responseReads lends attempts the buffers they read responses into, and
// the validate.Response the validators read: nothing keeps either once
// the attempt is recorded, since the record holds a copy of the body and
// the validators' results hold none of it (jsondoc copies what it parses).
var responseReads = sync.Pool{New: func() any { return new(responseRead) }}

// maxPooledRead is the largest buffer put back in responseReads: a large
// response does not pin its buffer.
const maxPooledRead = 64 << 10

type responseRead struct {
	buf  []byte
	resp validate.Response
}

// read reads r until EOF or limit bytes, whichever comes first, into rr's
// buffer (see bodyread.Read), and reports whether the body is longer than
// limit. On a read error it returns what it read along with the error. A
// nil r is an empty body.
func (rr *responseRead) read(r io.Reader, limit, announced int64) (body []byte, truncated bool, err error) {
	if r == nil {
		return nil, false, nil
	}
	buf, rerr := bodyread.Read(rr.buf, r, limit, announced)
	if rerr != nil {
		err = fmt.Errorf("reading the response body: %w", rerr)
	}
	rr.buf = buf
	if int64(len(buf)) > limit {
		return buf[:limit], true, err
	}
	return buf, false, err
}

// release gives rr back to the pool, its buffer too unless it is large.
func (rr *responseRead) release() {
	rr.resp = validate.Response{}
	if cap(rr.buf) > maxPooledRead {
		rr.buf = nil
	}
	responseReads.Put(rr)
}

// newRequest returns the request of an attempt, without its body: what
// http.NewRequestWithContext makes of h's method and URL, the URL parsed
// once, at the first attempt. An action's has no URL; never sent, it carries the
// method, the context and the headers to the action.
func (h *hook) newRequest(ctx context.Context, header http.Header) *http.Request {
	req := requestOf[h.method].WithContext(ctx) // one allocation, as NewRequest's
	req.URL, req.Header = h.parsedURL(), header
	if req.URL != nil {
		req.Host = strings.TrimSuffix(req.URL.Host, ":") // as NewRequest sets it
	}
	return req
}

// requestOf holds a request of each method, for attempts to copy: the
// fields they share, so that no webhook keeps a request of its own.
var requestOf = func() map[string]*http.Request {
	m := make(map[string]*http.Request, len(methods))
	for _, method := range methods {
		m[method] = &http.Request{Method: method, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	}
	return m
}()

// recordResults makes results fit for a record, in place: what the
// validators found in the response is redacted, as a receiver that echoes
// the request puts the webhook's secrets there, and so are the failures'
// errors, which still match their sentinels. What they found is cut at
// limit bytes, as the record's body is, and then ends with "…": validators
// read up to their own, larger limit, and a path to the whole body would
// otherwise keep that much in every record. Each result's expected values
// are copied out of its validator, which webhooks of every tenant may
// share: the record's reader may change them.
func recordResults(red *redact.Redactor, results []validate.Result, limit int64) []validate.Result {
	for i := range results {
		res := &results[i]
		res.Expected = slices.Clone(res.Expected)
		res.Found = cutFound(red.String(res.Found), limit)
		if res.Err != nil && red.String(res.Err.Error()) != res.Err.Error() {
			res.Err = red.Error(res.Err)
		}
	}
	return results
}

// cutFound returns found cut at limit bytes, at a character's start, and
// marked as cut; found itself when it is no longer. Redaction comes first,
// so that the cut may split the redaction's mark but never a secret.
func cutFound(found string, limit int64) string {
	if int64(len(found)) <= limit {
		return found
	}
	n := int(limit)
	for n > 0 && !utf8.RuneStart(found[n]) {
		n--
	}
	return found[:n] + "…"
}

// do sends req with the webhook's client. The Dispatcher's own client
// follows no redirects, so its transport is called directly: http.Client
// would copy the headers of every request for redirects never taken.
func (d *Dispatcher) do(h *hook, req *http.Request) (*http.Response, error) {
	var resp *http.Response
	var err error
	switch {
	case h.client != nil:
		if resp, err = h.client.Do(req); err != nil {
			return nil, err
		}
	case d.cfg.client != nil:
		return d.client.Do(req)
	default:
		if resp, err = d.client.Transport.RoundTrip(req); err != nil {
			return nil, clientError(req, err)
		}
	}
	if d.cfg.proxy != nil && resp.StatusCode == http.StatusProxyAuthRequired {
		// The proxy refused an http target's request, which it is sent as
		// a request, not a tunnel: its failure, as net/http makes it for
		// https, and not an answer of the target's that no retry mends.
		_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
		resp.Body.Close()
		return nil, clientError(resp.Request, fmt.Errorf("the proxy answered %s", resp.Status))
	}
	return resp, nil
}

// timedOut is the reason of an attempt that expired (what did not happen
// in time): its own timeout, or the engine's bound on a run
// (riverengine's WithRescueAfter) when that came first.
func timedOut(t *engine.AttemptTimeout, timeout time.Duration, what string) string {
	if bound, ok := t.Shortened(); ok {
		return fmt.Sprintf("%s within %s: the engine's bound on a run came before the %s timeout", what, bound.Round(time.Millisecond), timeout)
	}
	return fmt.Sprintf("%s within the %s timeout", what, timeout)
}

// clientError is the error http.Client would return for req and err.
func clientError(req *http.Request, err error) error {
	op := req.Method[:1] + strings.ToLower(req.Method[1:])
	return &url.Error{Op: op, URL: req.URL.String(), Err: err}
}

// renderBuffers holds render buffers between deliveries: a body is
// rendered into one and copied out at its exact size.
var renderBuffers = sync.Pool{New: func() any { return new([]byte) }}

// render produces the request body: the template over the event, or the
// event's own JSON when the webhook has no template.
func (h *hook) render(e *event.Event) (string, error) {
	if h.body == nil {
		return string(e.JSON()), nil
	}
	if h.secrets != nil {
		return h.renderSecrets(e)
	}
	buf := renderBuffers.Get().(*[]byte)
	defer renderBuffers.Put(buf)
	out, err := h.body.Append((*buf)[:0], e.Document())
	if cap(out) <= 64<<10 { // an outsized body does not pin its buffer
		*buf = out
	}
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// attemptHeader returns the headers of one attempt of del: the
// definition's, those del's target rendered, and the attempt's id,
// timestamp and signature, which replace any of the others of their
// names, so that an event cannot choose them. The value slices are
// shared, not copied: nothing modifies them, Set replaces them. The id's
// and timestamp's values are held in stamp, the attempt's own.
func (h *hook) attemptHeader(del *delivery, now time.Time, stamp *[2]string) http.Header {
	header := maps.Clone(h.headerOf()) // a small map is cloned in one copy
	if t := del.target; t != nil {
		for name, values := range t.header {
			header[name] = values
		}
	}
	if signer := h.signerOf(); signer != nil {
		signer.SetHeadersString(header, del.ID, now, del.body)
		return header
	}
	stamp[0], stamp[1] = del.ID, unixText(now)
	header[signature.HeaderID], header[signature.HeaderTimestamp] = stamp[:1:1], stamp[1:]
	return header
}

// lastUnix holds the text of the latest second unixText formatted: the
// deliveries of one second share it.
var lastUnix atomic.Pointer[unixSecond]

type unixSecond struct {
	sec  int64
	text string
}

// unixText returns strconv.FormatInt(t.Unix(), 10), formatted once a
// second rather than once an attempt.
func unixText(t time.Time) string {
	sec := t.Unix()
	if last := lastUnix.Load(); last != nil && last.sec == sec {
		return last.text
	}
	text := strconv.FormatInt(sec, 10)
	lastUnix.Store(&unixSecond{sec, text})
	return text
}

// recordID returns the identifier of an invocation record: 16 random
// bytes, hex-encoded, as newID's, but from math/rand/v2's generator, which
// is seeded from the system's and needs neither a lock nor a system call.
// A record's id needs only to be unique; it guards nothing.
func recordID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	var text [32]byte
	hex.Encode(text[:], b[:])
	return string(text[:])
}

// signerOf returns h's signer, nil when h is unsigned. It is made at the
// first attempt, from the secrets compile checked, since most webhooks
// held are seldom or never sent to; then kept.
func (h *hook) signerOf() *signature.Signer {
	if len(h.def.SigningSecrets) == 0 {
		return nil
	}
	if s := h.signer.Load(); s != nil {
		return s
	}
	secrets, err := signature.ParseSecrets(h.def.SigningSecrets...)
	if err != nil {
		panic("webhook: signing secrets checked at compile do not parse: " + err.Error())
	}
	s, err := signature.NewSigner(secrets...)
	if err != nil {
		panic("webhook: signing secrets checked at compile make no signer: " + err.Error())
	}
	if h.signer.CompareAndSwap(nil, s) {
		return s
	}
	return h.signer.Load()
}

// requestBody returns the fields of a request that sends body: a reader,
// and GetBody for the transport to send it again on a fresh connection
// when a kept-alive one turns out closed. The reader is
// io.NopCloser(strings.NewReader(body)) because net/http knows that type is
// in memory and writes the headers and the body in one write; a reader of
// our own would cost a second write on both sides. The reader is r, reset
// to body, or a new one when r is nil; r must not be read by anything else
// for as long as the transport may.
func requestBody(body string, r *strings.Reader) (io.ReadCloser, func() (io.ReadCloser, error), int64) {
	if body == "" {
		return http.NoBody, noBody, 0
	}
	if r == nil {
		r = new(strings.Reader)
	}
	r.Reset(body)
	getBody := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }
	return io.NopCloser(r), getBody, int64(len(body))
}

func noBody() (io.ReadCloser, error) { return http.NoBody, nil }

// recordedHeader is header as an invocation shows it: the definition's
// headers come redacted from recordBase; the attempt's own, and any a
// propagator added, are redacted here.
func (h *hook) recordedHeader(header http.Header, propagated bool) http.Header {
	out := maps.Clone(h.recordBase())
	if propagated {
		for name, values := range header {
			if !sameValues(values, h.headerOf()[name]) { // added or replaced since compile
				out[name] = h.redactorOf().Values(name, values)
			}
		}
		return out
	}
	for _, name := range attemptHeaderNames {
		if values, ok := header[name]; ok {
			out[name] = h.redactorOf().Values(name, values)
		}
	}
	return out
}

// recordBase returns the definition's headers redacted, as invocations
// show them: made at the first attempt, since most webhooks held are
// seldom or never sent to, and kept for the next.
func (h *hook) recordBase() http.Header {
	if p := h.recordHeader.Load(); p != nil {
		return *p
	}
	header := h.redactorOf().Header(h.headerOf())
	if h.recordHeader.CompareAndSwap(nil, &header) {
		return header
	}
	return *h.recordHeader.Load()
}

// attemptHeaderNames are the headers attemptHeader adds.
var attemptHeaderNames = []string{signature.HeaderID, signature.HeaderTimestamp, signature.HeaderSignature}

// sameValues reports whether a and b are the same slice, not merely equal.
func sameValues(a, b []string) bool {
	return len(a) > 0 && len(a) == len(b) && &a[0] == &b[0]
}

// Test sends the mock event of trigger (EventType.Mock: one of the served
// kinds') to w, once and at once, whether w is active, registered or
// neither, and returns the invocation:
// the request as sent (secrets redacted), the response, the timing, the
// validator results, and the outcome with its reason. It is Apono's "Test"
// button. The invocation is returned, not recorded. An error means w is not
// a valid definition (a DefinitionErrors) or there is no mock event for
// trigger; after Close it is ErrClosed, and nothing is sent. A send in
// progress when Close's time runs out is cut short: it returns its
// invocation and an error wrapping ErrClosed.
func (d *Dispatcher) Test(ctx context.Context, w Webhook, trigger event.Trigger) (Invocation, error) {
	e, ok := d.cfg.mocks[accessrequest.Canonical(trigger)]
	if !ok {
		return Invocation{}, fmt.Errorf("webhook: no mock event for trigger %q", trigger)
	}
	return d.TestEvent(ctx, w, e)
}

// TestEvent is Test with an event of the caller's choosing, for event types
// of the service's own. A nil event, or the zero Event, is an error
// wrapping ErrNoEvent.
func (d *Dispatcher) TestEvent(ctx context.Context, w Webhook, e *event.Event) (Invocation, error) {
	if err := checkEvent("TestEvent", e); err != nil {
		return Invocation{}, err
	}
	if !d.enter() {
		return Invocation{}, ErrClosed
	}
	defer d.leave()
	if w.ID == "" {
		w.ID = "test"
	}
	h, errs := d.compile(w)
	if errs != nil {
		return Invocation{}, errs
	}
	defer closeIdle(h) // its own transport, if any, serves this attempt only
	return d.test(ctx, h, e)
}

// test sends e to h once, and describes the attempt. Close's end cuts the
// attempt short, which then returns ErrClosed with what it recorded: the
// request would otherwise stay open past Close for the rest of its
// timeout.
func (d *Dispatcher) test(ctx context.Context, h *hook, e *event.Event) (Invocation, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(d.life, cancel)()
	inv := d.attemptTest(ctx, h, e)
	if d.life.Err() != nil && ctx.Err() != nil {
		return inv, fmt.Errorf("webhook: the test send was cut short: %w", ErrClosed)
	}
	return inv, nil
}

// attemptTest is test's one attempt.
func (d *Dispatcher) attemptTest(ctx context.Context, h *hook, e *event.Event) Invocation {
	body, err := h.render(e)
	if err != nil {
		return Invocation{
			ID: recordID(), Tenant: h.tenant, WebhookID: h.def.ID, WebhookName: h.def.Name, EventType: e.Type(), EventID: e.ID(), SubjectEventID: operational.SubjectEventID(e),
			Outcome: Failed, Reason: h.redactorOf().String(fmt.Sprintf("rendering the body: %v", err)), StartedAt: d.cfg.now(),
		}
	}
	del := newDelivery(newID(), h, e, d.cfg.now())
	if h.target != nil {
		if del.target, err = h.target.render(e, h.redactorOf(), h.parsedURL()); err != nil {
			return Invocation{
				ID: recordID(), Tenant: h.tenant, WebhookID: h.def.ID, WebhookName: h.def.Name, EventType: e.Type(), EventID: e.ID(), SubjectEventID: operational.SubjectEventID(e),
				Outcome: Failed, Reason: h.redactorOf().String(err.Error()), StartedAt: d.cfg.now(),
			}
		}
	}
	del.Attempts, del.body, del.rendered = 1, body, true
	a := d.send(ctx, h, del)
	if a.validationFailed {
		a.Outcome = ValidationFailed
	}
	return *a.record()
}
