package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"

	"github.com/outhook/outhook/event"
)

// ActionFunc is an integration action: Go code of the host's that a
// webhook runs instead of sending an HTTP request, as Apono's "Integration
// Action" webhooks run an action of an integration (list_pagerduty_incidents).
// Register it with WithAction; a definition names it in Webhook.Action.
//
// It is called with the attempt's context, which ends at the webhook's
// timeout: an action must return once ctx is done. The caller stops
// waiting then, and the attempt fails on the timeout, but a func that
// ignores ctx runs on in its goroutine. It may be called concurrently.
// A returned error is a failed attempt, as a network error is (retried by
// the retry policy when delivered, and counted by the breaker); so is a
// panic, which is recovered and recorded as an *ActionPanicError.
type ActionFunc func(ctx context.Context, req *ActionRequest) (*ActionResponse, error)

// ActionRequest is what an action is given: the rendered body, the headers
// a request would carry (the definition's, the webhook-id and
// webhook-timestamp, and the signature when the webhook is signed), and
// the event. It is the action's own: it may keep or change it.
type ActionRequest struct {
	Tenant     string
	WebhookID  string
	DeliveryID string
	Action     string
	Method     string
	Header     http.Header
	Body       []byte
	Event      *event.Event
}

// ActionResponse is an action's answer, judged as an HTTP response is: a
// status outside 2xx fails the attempt, and the response validators read
// the headers and the body. A nil *ActionResponse is 200 with no body.
type ActionResponse struct {
	// StatusCode is an HTTP status, 100 to 599; zero means 200.
	StatusCode int
	// Header's names may be written in any case: they are made
	// canonical, as net/http makes a response's.
	Header http.Header
	Body   []byte
}

// ErrUnknownAction is wrapped by the *DefinitionError of a definition
// naming an action that was not registered with WithAction.
var ErrUnknownAction = errors.New("unknown action")

// ActionError reports an action that failed: it returned an error, or an
// answer that is not one.
type ActionError struct {
	Action string
	Err    error
}

func (e *ActionError) Error() string { return fmt.Sprintf("action %q: %v", e.Action, e.Err) }

// Unwrap returns the cause.
func (e *ActionError) Unwrap() error { return e.Err }

// ActionPanicError reports an action that panicked. The attempt records
// Value, not the stack, which may hold the secrets the action was given;
// Stack is for the host's own logs.
type ActionPanicError struct {
	Action string
	Value  any
	Stack  []byte
}

func (e *ActionPanicError) Error() string {
	return fmt.Sprintf("action %q panicked: %v", e.Action, e.Value)
}

// WithAction registers fn as the action named name, which definitions may
// then name in Webhook.Action. Registering a name again replaces its func.
// A nil fn is ignored. New fails with a *ConfigError when name is not 1 to
// 100 letters, digits, '-', '_' or '.'.
//
// Dispatchers that share a definition store must register the same
// actions: one that lacks a definition's action cannot compile it, and
// treats it as a definition written with other settings: its Publish
// records the webhook Skipped with the reason, and a delivery queued by
// another instance that it runs becomes a dead letter.
func WithAction(name string, fn ActionFunc) Option {
	return optionFunc(func(c *config) {
		if fn == nil {
			return
		}
		if !validActionName(name) {
			c.reject("WithAction", fmt.Errorf("action name %q: want 1 to 100 letters, digits, '-', '_' or '.'", name))
			return
		}
		if c.actions == nil {
			c.actions = map[string]ActionFunc{}
		}
		c.actions[name] = fn
	})
}

func validActionName(name string) bool {
	if name == "" || len(name) > 100 {
		return false
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}

// actionScheme is the scheme of the URL an action's attempts show in
// records and spans: "action:list_incidents".
const actionScheme = "action:"

// compileAction sets h up to run the action w names instead of sending
// requests. A definition with an action has no URL: the two would
// contradict each other. Nor OAuth: its token would go to no host but to
// the host's code, and its token endpoint be called for nothing.
func (c *config) compileAction(h *hook, fail func(field string, err error)) {
	w := &h.def
	if w.URL != "" {
		fail("url", fmt.Errorf("%w: a webhook that runs action %q has no URL", ErrInvalidURL, w.Action))
	}
	if w.Authentication != nil && w.Authentication.OAuth != nil {
		fail("authentication_config", fmt.Errorf("%w: a webhook that runs action %q has no OAuth client; the action authenticates itself", ErrInvalidAuthentication, w.Action))
	}
	if !validActionName(w.Action) { // no such name is registered; and not echoed, however long
		fail("action", fmt.Errorf("%w: a name is 1 to 100 letters, digits, '-', '_' or '.'", ErrUnknownAction))
		return
	}
	fn, ok := c.actions[w.Action]
	if !ok {
		fail("action", fmt.Errorf("%w %q: register it with WithAction", ErrUnknownAction, w.Action))
		return
	}
	h.action = fn
	h.endpoint.Store(newEndpoint(nil, actionScheme+w.Action))
}

// roundTrip makes the exchange of one attempt: the request sent, or the
// action run.
func (d *Dispatcher) roundTrip(h *hook, del *delivery, req *http.Request) (*http.Response, error) {
	if h.action == nil {
		return d.do(h, req)
	}
	return h.runAction(req, del)
}

// runAction runs h's action with req's context, headers and body, in a
// goroutine of its own so that an action that does not return is given up
// at the timeout. Its answer is made a response for the validators and the
// record to read as they read any other.
func (h *hook) runAction(req *http.Request, del *delivery) (*http.Response, error) {
	ctx := req.Context()
	name := h.def.Action
	areq := &ActionRequest{
		Tenant: h.tenant, WebhookID: h.def.ID, DeliveryID: del.ID, Action: name, Method: h.method,
		Header: req.Header.Clone(), Body: []byte(del.body), Event: del.Event,
	}
	type result struct {
		resp *ActionResponse
		err  error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- result{err: &ActionPanicError{Action: name, Value: v, Stack: debug.Stack()}}
			}
		}()
		resp, err := h.action(ctx, areq)
		done <- result{resp, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		return nil, &ActionError{Action: name, Err: ctx.Err()}
	}
	switch {
	case r.err != nil:
		var pe *ActionPanicError
		if errors.As(r.err, &pe) {
			return nil, r.err
		}
		return nil, &ActionError{Action: name, Err: r.err}
	case r.resp == nil:
		r.resp = &ActionResponse{}
	}
	status := r.resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	if status < 100 || status > 599 {
		return nil, &ActionError{Action: name, Err: fmt.Errorf("status %d is not an HTTP status", r.resp.StatusCode)}
	}
	// An answer is a Go value, whose names may be in any case: written
	// canonical, as net/http writes a response's, Retry-After and the
	// validators find them.
	header := make(http.Header, len(r.resp.Header))
	for name, values := range r.resp.Header {
		key := http.CanonicalHeaderKey(name)
		header[key] = append(header[key], values...)
	}
	return &http.Response{
		Status: strconv.Itoa(status) + " " + http.StatusText(status), StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: header,
		Body: io.NopCloser(bytes.NewReader(r.resp.Body)), ContentLength: int64(len(r.resp.Body)), Request: req,
	}, nil
}

// Actions returns the names of the actions registered with WithAction,
// sorted: what a form offers for Webhook.Action.
func (t *Tenant) Actions() []string {
	return slices.Sorted(maps.Keys(t.d.cfg.actions))
}
