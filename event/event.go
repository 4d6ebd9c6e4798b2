package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/outhook/outhook/internal/jsondoc"
)

// Event is something that happened, in the form webhooks see it: a JSON
// object with event_type, event_time (epoch seconds), an optional event_id,
// and whatever else the service puts in it, by convention under data:
//
//	{"event_type": "RequestCreated", "event_time": 1773134100.482913204, "data": {...}}
//
// An Event is decoded once, when it is made, and is immutable afterwards, so
// one Event can be rendered for any number of webhooks at once.
type Event struct {
	typ  Trigger
	time Timestamp
	id   string
	raw  []byte
	doc  *jsondoc.Value
}

// The problems an *Error can report; test for them with errors.Is.
var (
	ErrMalformed   = errors.New("malformed JSON")
	ErrNotObject   = errors.New("an event must be a JSON object")
	ErrMissingType = errors.New("missing event_type")
	ErrInvalidType = errors.New("event_type must be a non-empty string")
	ErrMissingTime = errors.New("missing event_time")
	ErrInvalidID   = errors.New("event_id must be a string")
	// ErrInvalidUTF8 is a string or key that is not valid UTF-8: forwarded
	// as it is, it would make a body that is not valid JSON. A \u escape
	// of a lone UTF-16 surrogate (\ud800) counts: it stands for no
	// character, and strict receivers refuse it. Such an error matches
	// ErrMalformed too.
	ErrInvalidUTF8 = errors.New("invalid UTF-8")
)

// Error reports an event that cannot be decoded. Field names the member
// at fault ("event_type", "event_time", "event_id"), or is empty when the
// JSON itself is malformed; then Line, Column and Offset say where. For a
// string that is not valid UTF-8, Field is also set: the path of the
// string (data.requester.name, data.items[2]) or, for a key, of its
// object.
type Error struct {
	Field  string
	Line   int // 1-based, set for malformed JSON
	Column int // 1-based byte column, set for malformed JSON
	Offset int // 0-based byte offset, set for malformed JSON
	Err    error
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Field != "":
		return fmt.Sprintf("event: %s: line %d, column %d (byte %d): %v", e.Field, e.Line, e.Column, e.Offset, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("event: line %d, column %d: %v", e.Line, e.Column, e.Err)
	case e.Field != "":
		return fmt.Sprintf("event: %s: %v", e.Field, e.Err)
	}
	return fmt.Sprintf("event: %v", e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Parse decodes an event from its JSON form, the form events arrive in.
// It needs a JSON object with a non-empty string event_type and a numeric
// event_time; event_id is optional. Its strings and keys must be valid
// UTF-8, escapes included (ErrInvalidUTF8), since the event may be
// forwarded as it is. Every error is an *Error. The event keeps its
// own copy of raw.
func Parse(raw []byte) (*Event, error) {
	return parseOwned(bytes.Clone(raw))
}

// parseOwned is Parse for bytes nobody else will modify: the decoded
// document's strings point into them rather than into a copy, so that an
// event held in a queue costs less than twice its JSON.
func parseOwned(raw []byte) (*Event, error) {
	doc, err := jsondoc.ParseStrictShared(raw)
	if err != nil {
		var se *jsondoc.SyntaxError
		if errors.As(err, &se) {
			ee := &Error{Line: se.Line, Column: se.Column, Offset: se.Offset, Err: fmt.Errorf("%w: %s", ErrMalformed, se.Msg)}
			if se.Msg == jsondoc.MsgInvalidUTF8 {
				ee.Field = strings.TrimPrefix(strings.TrimPrefix(se.Path, "$"), ".")
				ee.Err = fmt.Errorf("%w: %w in a string", ErrMalformed, ErrInvalidUTF8)
			}
			return nil, ee
		}
		return nil, &Error{Err: fmt.Errorf("%w: %v", ErrMalformed, err)}
	}
	return eventFromDoc(doc, raw)
}

func eventFromDoc(doc *jsondoc.Value, raw []byte) (*Event, error) {
	if doc.Kind() != jsondoc.Object {
		return nil, &Error{Err: fmt.Errorf("%w, not %s", ErrNotObject, article(doc.Kind()))}
	}
	e := &Event{raw: raw, doc: doc}

	typ := doc.Get("event_type")
	switch typ.Kind() {
	case jsondoc.Absent:
		return nil, &Error{Field: "event_type", Err: ErrMissingType}
	case jsondoc.String:
		if typ.Text() == "" {
			return nil, &Error{Field: "event_type", Err: ErrInvalidType}
		}
		e.typ = Trigger(typ.Text())
	default:
		return nil, &Error{Field: "event_type", Err: fmt.Errorf("%w, not %s", ErrInvalidType, article(typ.Kind()))}
	}

	tm := doc.Get("event_time")
	switch tm.Kind() {
	case jsondoc.Absent:
		return nil, &Error{Field: "event_time", Err: ErrMissingTime}
	case jsondoc.Number:
		if err := checkTimestamp(tm.Text()); err != nil {
			return nil, &Error{Field: "event_time", Err: fmt.Errorf("%w, not %s", err, tm.Text())}
		}
		e.time = Timestamp{literal: tm.Text()}
	default:
		return nil, &Error{Field: "event_time", Err: fmt.Errorf("%w, not %s", ErrInvalidTimestamp, article(tm.Kind()))}
	}

	switch id := doc.Get("event_id"); id.Kind() {
	case jsondoc.Absent, jsondoc.Null:
	case jsondoc.String:
		e.id = id.Text()
	default:
		return nil, &Error{Field: "event_id", Err: fmt.Errorf("%w, not %s", ErrInvalidID, article(id.Kind()))}
	}
	return e, nil
}

func article(k jsondoc.Kind) string {
	switch k {
	case jsondoc.Array, jsondoc.Object:
		return "an " + k.String()
	case jsondoc.Null:
		return "null"
	}
	return "a " + k.String()
}

// Option sets an optional part of an event built by New.
type Option interface {
	apply(*eventEnvelope)
}

type optionFunc func(*eventEnvelope)

func (f optionFunc) apply(e *eventEnvelope) { f(e) }

// WithTime sets event_time. Without it New uses the current time.
func WithTime(t Timestamp) Option {
	return optionFunc(func(e *eventEnvelope) { e.Time = t })
}

// WithID sets event_id, which receivers see as a stable identifier of the
// event. Without it the event has none.
func WithID(id string) Option {
	return optionFunc(func(e *eventEnvelope) { e.ID = id })
}

// eventEnvelope is the JSON shape New writes.
type eventEnvelope struct {
	Type Trigger   `json:"event_type"`
	Time Timestamp `json:"event_time"`
	ID   string    `json:"event_id,omitempty"`
	Data any       `json:"data"`
}

// New builds an event from Go values: data is encoded with
// encoding/json under "data" (a struct such as accessrequest.Request, a map, or
// json.RawMessage). The event then behaves exactly as if its JSON had been
// received and passed to Parse. A Go string that is not valid UTF-8
// is coerced by encoding/json, each bad byte becoming U+FFFD; raw JSON
// (json.RawMessage) is not, and must be valid UTF-8 (ErrInvalidUTF8).
func New(typ Trigger, data any, opts ...Option) (*Event, error) {
	env := eventEnvelope{Type: typ, Data: data}
	for _, o := range opts {
		if o != nil {
			o.apply(&env)
		}
	}
	if env.Time.IsZero() {
		env.Time = TimestampOf(time.Now())
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return nil, &Error{Field: "data", Err: err}
	}
	return parseOwned(raw)
}

// Type returns event_type as it was written.
func (e *Event) Type() Trigger { return e.typ }

// Time returns event_time with its digits as they were written.
func (e *Event) Time() Timestamp { return e.time }

// ID returns event_id, or "" when the event has none.
func (e *Event) ID() string { return e.id }

// JSON returns the event's JSON exactly as it was received. The caller must
// not modify it: the decoded event shares its bytes.
func (e *Event) JSON() []byte { return e.raw }

// Document returns the decoded event for the template and filter packages
// to read: pass it as the data of template.Execute or filter.Match. It is
// shared and must be treated as read-only.
func (e *Event) Document() any { return e.doc }

// MarshalJSON returns the event's JSON as received, which, as JSON's
// result, must not be modified; null for the zero Event. Its receiver is
// a value, so that an Event held by value in a struct encodes whether the
// struct is passed by value or by pointer.
func (e Event) MarshalJSON() ([]byte, error) {
	if e.raw == nil {
		return []byte("null"), nil
	}
	return e.raw, nil
}

// UnmarshalJSON decodes the event as Parse does, so an Event can sit in
// a struct that is decoded with encoding/json. A JSON null leaves e as it
// was, as encoding/json does for its own types.
func (e *Event) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	parsed, err := Parse(b)
	if err != nil {
		return err
	}
	*e = *parsed
	return nil
}

// Decode decodes the event's JSON into v with encoding/json, for instance
// into an *accessrequest.Event.
func (e *Event) Decode(v any) error {
	return json.Unmarshal(e.raw, v)
}
