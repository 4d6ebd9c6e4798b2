package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/outhook/outhook/internal/jsonfield"
)

// encoding/json reads null as a member left out, keeping the zero value:
// a header of null would load as an empty header, sent with every
// delivery. A definition file is refused where it has null and the type
// has no pointer, as the management API refuses it: only a pointer is
// left nil by null, as the member left out.

// nullError is a null where the type holds no pointer. Definition is the
// index of the definition it stands in, -1 outside any; field is its path
// within that definition.
type nullError struct {
	definition int
	field      string
	want       string
	offset     int64
}

func (e *nullError) Error() string {
	what := printableField(e.field)
	switch {
	case e.field == "" && e.definition >= 0:
		what = fmt.Sprintf("definition %d", e.definition+1)
	case e.field == "":
		what = "the definitions"
	}
	if e.want == "" {
		return what + " may not be null"
	}
	return fmt.Sprintf("%s must be %s, not null", what, e.want)
}

var webhookType = reflect.TypeFor[Webhook]()

// nullMember returns a *nullError for the first null of raw, a document
// that decodes into a value of type t, where t has no pointer.
func nullMember(raw []byte, t reflect.Type) error {
	w := &nullWalk{raw: raw, dec: json.NewDecoder(bytes.NewReader(raw)), definition: -1}
	w.dec.UseNumber()
	for t.Kind() == reflect.Pointer {
		t = t.Elem() // what the document is decoded into, not a member
	}
	return w.value(t, "", false)
}

type nullWalk struct {
	raw        []byte
	dec        *json.Decoder
	definition int
}

// start returns the offset of the next token: past the white space, colon
// or comma after the decoder's last one.
func (w *nullWalk) start() int64 {
	i := w.dec.InputOffset()
	for i < int64(len(w.raw)) && strings.IndexByte(" \t\r\n:,", w.raw[i]) >= 0 {
		i++
	}
	return i
}

// value consumes one value of type t at path; nullable says whether the
// place it stands in takes null (a pointer).
func (w *nullWalk) value(t reflect.Type, path string, nullable bool) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t, nullable = t.Elem(), true
	}
	if t != nil && t.Kind() == reflect.Interface {
		t, nullable = nil, true
	}
	at := w.start()
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	decodesItself := t != nil && reflect.PointerTo(t).Implements(unmarshalerType)
	if tok == nil {
		if nullable {
			return nil
		}
		want := jsonfield.TypeName(t)
		if decodesItself {
			want = "" // a duration, say, is written in more than one way
		}
		return &nullError{definition: w.definition, field: path, want: want, offset: at}
	}
	d, isDelim := tok.(json.Delim)
	switch {
	case !isDelim:
		return nil
	case t == nil || decodesItself:
		return w.skip(d) // a type that decodes itself reads its own nulls
	case d == '{' && t.Kind() == reflect.Struct:
		for w.dec.More() {
			k, err := w.dec.Token()
			if err != nil {
				return err
			}
			field, _ := jsonfield.Of(t, k.(string))
			if field == nil {
				if err := w.skipValue(); err != nil {
					return err
				}
				continue
			}
			if err := w.value(field.Type, join(path, k.(string)), false); err != nil {
				return err
			}
		}
	case d == '{' && t.Kind() == reflect.Map:
		for w.dec.More() {
			k, err := w.dec.Token()
			if err != nil {
				return err
			}
			if err := w.value(t.Elem(), join(path, k.(string)), false); err != nil {
				return err
			}
		}
	case d == '[' && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		for i := 0; w.dec.More(); i++ {
			elem := fmt.Sprintf("%s[%d]", path, i)
			if t.Elem() == webhookType {
				// A definition's errors name its members from its root.
				w.definition, elem = i, ""
			}
			if err := w.value(t.Elem(), elem, false); err != nil {
				return err
			}
		}
		if t.Elem() == webhookType {
			w.definition = -1
		}
	default:
		return w.skip(d)
	}
	_, err = w.dec.Token() // } or ]
	return err
}

func (w *nullWalk) skipValue() error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); ok {
		return w.skip(d)
	}
	return nil
}

// skip consumes the rest of the array or object that d opened.
func (w *nullWalk) skip(d json.Delim) error {
	if d != '{' && d != '[' {
		return nil
	}
	for depth := 1; depth > 0; {
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
