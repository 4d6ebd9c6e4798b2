package webhook

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
)

// Errors a Dispatcher returns for static conditions. Test with errors.Is.
var (
	// ErrClosed is returned by calls made after Close.
	ErrClosed = engine.ErrClosed
	// ErrNotFound is returned for an unknown webhook id or delivery id.
	ErrNotFound = errors.New("webhook: not found")
	// ErrQueueFull is wrapped by *QueueFullError.
	ErrQueueFull = engine.ErrQueueFull
	// ErrNoEvent is wrapped by the error of a call given a nil event, or
	// the zero event.Event, which event.Parse and event.New never make:
	// it has no event_type and no JSON to send (a struct field decoded
	// from null holds one). Nothing is queued, sent or recorded.
	ErrNoEvent = errors.New("webhook: no event")
)

// checkEvent refuses, for the call op, a nil event and the zero Event.
func checkEvent(op string, e *event.Event) error {
	switch {
	case e == nil:
		return fmt.Errorf("%w: %s was given a nil *event.Event", ErrNoEvent, op)
	case e.Type() == "":
		return fmt.Errorf("%w: %s was given the zero event.Event, which has no event_type; make events with event.Parse or event.New", ErrNoEvent, op)
	}
	return nil
}

// The problems a *DefinitionError can wrap, with signature.ErrInvalidSecret for a
// bad signing secret. Test with errors.Is.
var (
	ErrInvalidDefinitions = errors.New("invalid definitions")
	ErrDuplicateName      = errors.New("name already used by another webhook")
	ErrDuplicateID        = errors.New("id already used by another webhook")
	ErrInvalidID          = errors.New("id must be 1 to 256 bytes of UTF-8 without control characters")
	ErrInvalidName        = errors.New("name must be 1 to 100 letters, digits, spaces, '-' or '_', starting with a letter or digit")
	ErrInvalidMethod      = errors.New("method must be POST, PUT, PATCH, DELETE or GET")
	ErrInvalidURL         = errors.New("invalid URL")
	ErrInsecureURL        = errors.New("URL not allowed by the URL policy")
	ErrInvalidHeader      = errors.New("invalid header")
	ErrNoTriggers         = errors.New("at least one trigger is required")
	ErrUnknownTrigger     = errors.New("unknown trigger")
	// ErrDuplicateTrigger: a trigger given twice in one definition, in
	// the same spelling or another of the same event type.
	ErrDuplicateTrigger = errors.New("trigger given twice")
	// ErrTooManyTriggers: more triggers than the service has event
	// types, which no list without a duplicate can be.
	ErrTooManyTriggers  = errors.New("more triggers than event types")
	ErrInvalidTemplate  = errors.New("invalid body template") // also wrapped for a template in the url or a header value
	ErrInvalidFilter    = errors.New("invalid filter")
	ErrInvalidValidator = errors.New("invalid response validator")
	ErrInvalidTimeout   = errors.New("timeout out of range")
	ErrInvalidSettings  = errors.New("invalid delivery settings")
	// ErrInvalidSecret: a body secret (Webhook.Secrets) whose name or
	// value is refused, or one the body template names and Secrets lacks
	// (then with template.ErrUnknownField, at its line and column).
	ErrInvalidSecret = errors.New("invalid secret")
	// ErrSecretRequired: a secret left masked or omitted by Tenant.Update
	// or TestDefinition, for another URL than the stored one; or a
	// caller's event that would take the stored secrets to another URL
	// than a mock event renders (see Tenant.Test and CallerEvent); or a
	// secret given as the mask to Tenant.Create or Update with no stored
	// secret behind it.
	ErrSecretRequired = errors.New("secret required")
	// ErrInvalidUTF8: a string of the definition that is not valid
	// UTF-8, which its stored form, JSON, cannot hold.
	ErrInvalidUTF8 = errors.New("not valid UTF-8")
)

// DefinitionError reports one problem with a webhook definition. Field
// names the JSON field at fault ("url", "headers.Authorization",
// "response_validators[1].json_path"); inside a body template or a JSON
// file, Line and Column say where. Err wraps one of the Err… values above
// and, when there is one, the cause from package template, filter or
// validate.
type DefinitionError struct {
	Webhook string // the webhook's name, or "" when unknown
	Field   string
	Line    int // 1-based; 0 when the problem has no position
	Column  int // 1-based byte column; 0 when the problem has no position
	Err     error
}

func (e *DefinitionError) Error() string {
	var b strings.Builder
	b.WriteString("webhook")
	if e.Webhook != "" {
		fmt.Fprintf(&b, " %q", e.Webhook)
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(printableField(e.Field))
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *DefinitionError) Unwrap() error { return e.Err }

// DefinitionErrors is every problem found in one or more definitions. Add,
// Update and AddAll return it, so that a user sees all mistakes at once;
// errors.As finds each *DefinitionError in it.
type DefinitionErrors []*DefinitionError

func (l DefinitionErrors) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap returns the problems, so that errors.Is and errors.As see each.
func (l DefinitionErrors) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// QueueFullError reports webhooks whose queue had no room for an event:
// with QueueReject at once, with QueueBlock when Publish stopped waiting
// for room. Their deliveries are dead letters; the event was queued for
// every other matching webhook.
type QueueFullError struct {
	WebhookIDs []string
	// Err is why Publish stopped waiting for room with QueueBlock: its
	// ctx.Err(), or ErrClosed. Nil with QueueReject.
	Err error
}

func (e *QueueFullError) Error() string {
	s := fmt.Sprintf("webhook: delivery queue full for %d webhook(s): %s", len(e.WebhookIDs), strings.Join(e.WebhookIDs, ", "))
	if e.Err != nil {
		s += " (stopped waiting for room: " + e.Err.Error() + ")"
	}
	return s
}

// Unwrap returns ErrQueueFull and Err, when set.
func (e *QueueFullError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrQueueFull}
	}
	return []error{ErrQueueFull, e.Err}
}

// DeadLetterError reports a dead letter the InvocationStore failed to keep.
// DeadLetter holds it, event included, so that the caller can keep it
// elsewhere; Err is the store's error.
type DeadLetterError struct {
	DeadLetter DeadLetter
	Err        error
}

func (e *DeadLetterError) Error() string {
	return fmt.Sprintf("webhook: storing the dead letter of delivery %s to webhook %s: %v", e.DeadLetter.DeliveryID, e.DeadLetter.WebhookID, e.Err)
}

func (e *DeadLetterError) Unwrap() error { return e.Err }

// printableField returns a field's path as an error's text shows it:
// quoted when it holds a character that is not printable, as a header
// name given may, so that the text, which goes to logs, writes no line
// break or terminal control of a definition's choosing.
func printableField(field string) string {
	for _, r := range field {
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			return strconv.Quote(field)
		}
	}
	return field
}
