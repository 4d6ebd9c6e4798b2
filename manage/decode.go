package manage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/internal/jsonfield"
)

// decodeBody reads r's JSON body into v, strictly: the body must be
// application/json, at most max bytes, one well-formed JSON value of valid
// UTF-8, every object key must name a field of v's type exactly, once,
// no object anywhere may have a key twice, and null is only where v's
// type has a pointer. An integer may be written as any number without a
// fractional part (30.0, 2e0), as JSON Schema reads it.
// encoding/json alone would accept "URL" for url, ignore unknown keys,
// take the last of two equal keys and read null as nothing given, and a
// client would never learn that part of what it sent was not read. Every
// error is a *problem.
func decodeBody(r *http.Request, w http.ResponseWriter, max int64, v any) error {
	if err := checkJSONContent(r); err != nil {
		return err
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return newProblem(kindBodyTooLarge, "the request body is larger than %d bytes", max)
		}
		return newProblem(kindInvalidRequest, "reading the request body: %v", err)
	}
	return decodeStrict(raw, v)
}

func checkJSONContent(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return newProblem(kindUnsupportedMedia, "the request body must be application/json; the request has no Content-Type")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return newProblem(kindUnsupportedMedia, "the request body must be application/json, not %q", ct)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return newProblem(kindUnsupportedMedia, "the request body must be UTF-8, not %q", cs)
	}
	return nil
}

// decodeStrict decodes raw into v as decodeBody describes.
func decodeStrict(raw []byte, v any) error {
	if _, err := jsondoc.ParseStrict(raw); err != nil {
		fe := FieldError{Message: err.Error()}
		var se *jsondoc.SyntaxError
		if errors.As(err, &se) {
			fe = FieldError{Field: fieldOfPath(se.Path), Line: se.Line, Column: se.Column, Message: se.Msg}
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			fe.Message = "the request body is empty"
		}
		p := newProblem(kindMalformedJSON, "the request body is not JSON: %s", fe.Message)
		p.errors = []FieldError{fe}
		return p
	}
	c := &keyCheck{raw: raw, dec: json.NewDecoder(bytes.NewReader(raw)), starts: make(map[string]int)}
	c.dec.UseNumber()
	if err := c.value(reflect.TypeOf(v), ""); err != nil {
		return newProblem(kindMalformedJSON, "the request body is not JSON: %v", err) // not reached: ParseStrict read it
	}
	if len(c.errs) > 0 {
		p := newProblem(kindInvalidRequest, "%s", c.errs[0].Message)
		if c.found > 1 {
			p.detail = fmt.Sprintf("%d problems with the request body, the first: %s", c.found, c.errs[0].Message)
		}
		p.errors = c.errs
		return p
	}
	dec := json.NewDecoder(bytes.NewReader(c.rewritten()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		fe := FieldError{Message: err.Error()}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			fe.Field = te.Field
			at, found := c.starts[te.Field]
			if !found {
				at = int(te.Offset)
			}
			fe.Line, fe.Column = lineColumn(raw, at)
			fe.Message = fmt.Sprintf("%s must be %s, not a JSON %s", orBody(te.Field), jsonfield.TypeName(te.Type), te.Value)
		}
		p := newProblem(kindInvalidRequest, "%s", fe.Message)
		p.errors = []FieldError{fe}
		return p
	}
	return nil
}

func orBody(field string) string {
	if field == "" {
		return "the request body"
	}
	return field
}

func isInteger(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// fieldOfPath turns a jsondoc path ($.a.b[2]) into a field (a.b[2]).
func fieldOfPath(path string) string {
	return strings.TrimPrefix(strings.TrimPrefix(path, "$"), ".")
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// keyCheck walks a document's tokens beside the Go type it is to be
// decoded into, and collects, with their positions, the keys that name no
// field, name one in another case, or name one twice; and the values that
// decode themselves (filters, durations, events) and refuse to.
type keyCheck struct {
	raw  []byte
	dec  *json.Decoder
	errs []FieldError
	// found counts the problems, errs holding the first maxFieldErrors.
	found int
	// starts holds where the value at each path begins, for the errors
	// of encoding/json, which say where a value ends.
	starts map[string]int
	// integers are the integral numbers written with a fraction or an
	// exponent (30.0, 2e0) where an integer goes, each with the digits
	// encoding/json reads.
	integers []rewrite
}

type rewrite struct {
	begin, end int
	with       string
}

// rewritten returns raw with c.integers written as encoding/json reads
// them. The lengths of the JSON may change, not its lines.
func (c *keyCheck) rewritten() []byte {
	if len(c.integers) == 0 {
		return c.raw
	}
	out := make([]byte, 0, len(c.raw))
	at := 0
	for _, r := range c.integers {
		out = append(append(out, c.raw[at:r.begin]...), r.with...)
		at = r.end
	}
	return append(out, c.raw[at:]...)
}

// maxExponent and maxIntegral bound the numbers read as integers, whose
// exact value costs time and memory that grow with them (1e1000000000
// would take a gigabyte to write): an int64 has 19 digits.
const (
	maxExponent = 40
	maxIntegral = 64
)

// integral notes n, at raw[begin:end], where an integer goes: JSON
// Schema's integer is any number without a fractional part, so the
// document takes 30.0 and 2e0, which encoding/json refuses for an int.
// A number that is not integral is left to encoding/json to refuse.
func (c *keyCheck) integral(n json.Number, begin, end int) {
	if digits, ok := integerDigits(string(n)); ok && digits != string(n) {
		c.integers = append(c.integers, rewrite{begin, end, digits})
	}
}

// integerDigits returns the number s as an integer's digits, when s, a
// JSON number, has no fractional part.
func integerDigits(s string) (string, bool) {
	switch {
	case !strings.ContainsAny(s, ".eE"):
		return s, true
	case len(s) > maxIntegral:
		return "", false
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || exp > maxExponent || exp < -maxExponent {
			return "", false
		}
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || !r.IsInt() {
		return "", false
	}
	return r.Num().String(), true
}

// maxFieldErrors bounds how many problems one answer lists; its detail
// counts them all.
const maxFieldErrors = 100

func (c *keyCheck) add(field string, offset int, format string, args ...any) {
	c.found++
	if len(c.errs) >= maxFieldErrors {
		return
	}
	line, col := lineColumn(c.raw, offset)
	c.errs = append(c.errs, FieldError{Field: field, Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
}

// start returns the offset of the next token: past the white space, colon
// or comma after the decoder's last one.
func (c *keyCheck) start() int {
	i := int(c.dec.InputOffset())
	for i < len(c.raw) && strings.IndexByte(" \t\r\n:,", c.raw[i]) >= 0 {
		i++
	}
	return i
}

// value consumes one value of type t at path.
func (c *keyCheck) value(t reflect.Type, path string) error {
	// Only a pointer is left nil by null, as the member left out: the
	// document's nullable members are the pointers. Elsewhere
	// encoding/json would keep the zero value, as if given.
	nullable := path != "" && (t == nil || t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	begin := c.start()
	if _, seen := c.starts[path]; !seen {
		c.starts[path] = begin
	}
	tok, err := c.dec.Token()
	if err != nil {
		return err
	}
	decodesItself := t != nil && reflect.PointerTo(t).Implements(unmarshalerType)
	if tok == nil {
		switch {
		case nullable:
		case decodesItself:
			c.add(path, begin, "%s may not be null", path)
		default:
			c.add(path, begin, "%s must be %s, not null", orBody(path), jsonfield.TypeName(t))
		}
		return nil
	}
	if decodesItself {
		found := len(c.errs)
		if err := c.skip(tok, path); err != nil {
			return err
		}
		if len(c.errs) > found {
			return nil // a key given twice, which the decoder may not see
		}
		u := reflect.New(t).Interface().(json.Unmarshaler)
		if err := u.UnmarshalJSON(c.raw[begin:c.dec.InputOffset()]); err != nil {
			c.add(path, begin, "%s: %v", orBody(path), err)
		}
		return nil
	}
	d, isDelim := tok.(json.Delim)
	switch {
	case !isDelim:
		if n, isNumber := tok.(json.Number); isNumber && t != nil && isInteger(t.Kind()) {
			c.integral(n, begin, int(c.dec.InputOffset()))
		}
		return nil // a scalar: its type is encoding/json's to check
	case t == nil || t.Kind() == reflect.Interface:
		return c.skip(tok, path)
	case d == '{' && t.Kind() == reflect.Struct:
		seen := make(map[string]bool)
		for c.dec.More() {
			at := c.start()
			k, err := c.dec.Token()
			if err != nil {
				return err
			}
			key := k.(string)
			field, exact := jsonfield.Of(t, key)
			switch {
			case field == nil:
				c.add(join(path, key), at, "unknown field %q", key)
				if err := c.skipValue(join(path, key)); err != nil {
					return err
				}
				continue
			case !exact:
				c.add(join(path, key), at, "unknown field %q (field names are case-sensitive: did you mean %q?)", key, jsonfield.Name(*field))
			case seen[key]:
				c.add(join(path, key), at, "field %q given twice", key)
			}
			seen[key] = true
			if err := c.value(field.Type, join(path, key)); err != nil {
				return err
			}
		}
		_, err := c.dec.Token() // }
		return err
	case d == '{' && t.Kind() == reflect.Map:
		seen := make(map[string]bool)
		for c.dec.More() {
			at := c.start()
			k, err := c.dec.Token()
			if err != nil {
				return err
			}
			key := k.(string)
			if seen[key] {
				c.add(join(path, key), at, "key %q given twice", key)
			}
			seen[key] = true
			if err := c.value(t.Elem(), join(path, key)); err != nil {
				return err
			}
		}
		_, err := c.dec.Token()
		return err
	case d == '[' && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		for i := 0; c.dec.More(); i++ {
			if err := c.value(t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err := c.dec.Token()
		return err
	}
	return c.skip(tok, path) // the wrong kind: encoding/json reports it
}

// skipValue consumes the next value, at path, whole.
func (c *keyCheck) skipValue(path string) error {
	tok, err := c.dec.Token()
	if err != nil {
		return err
	}
	return c.skip(tok, path)
}

// skip consumes the rest of the value at path that tok began, and
// collects the keys its objects have twice: no type says what it holds,
// but one reader may take the first and another the last. ParseStrict has
// bounded the depth.
func (c *keyCheck) skip(tok json.Token, path string) error {
	switch tok {
	case json.Delim('{'):
		seen := make(map[string]bool)
		for c.dec.More() {
			at := c.start()
			k, err := c.dec.Token()
			if err != nil {
				return err
			}
			key := k.(string)
			if seen[key] {
				c.add(join(path, key), at, "key %q given twice", key)
			}
			seen[key] = true
			if err := c.skipValue(join(path, key)); err != nil {
				return err
			}
		}
	case json.Delim('['):
		for i := 0; c.dec.More(); i++ {
			if err := c.skipValue(fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	default:
		return nil
	}
	_, err := c.dec.Token() // } or ]
	return err
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// lineColumn converts a byte offset into a 1-based line and byte column.
func lineColumn(b []byte, offset int) (line, col int) {
	offset = max(0, min(offset, len(b)))
	line = 1 + bytes.Count(b[:offset], []byte{'\n'})
	col = offset - bytes.LastIndexByte(b[:offset], '\n')
	return line, col
}
