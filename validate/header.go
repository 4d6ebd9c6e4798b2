package validate

import (
	"mime"
	"net/http"
	"strings"

	"github.com/outhook/outhook/internal/headerfold"
)

// HeaderValidator checks a response header.
type HeaderValidator struct {
	name     string
	label    string
	expected []string
	// media holds each expected value of a Content-Type parsed as a
	// media type; nil for another header. An entry that does not parse
	// has an empty mediaType, and is compared exactly.
	media []mediaType
}

type mediaType struct {
	typ    string // type/subtype, lower case
	params map[string]string
}

var _ Validator = (*HeaderValidator)(nil)

// Header returns a validator that passes when the response has the header
// name (matched case-insensitively, under any spelling in the map, the
// canonical one's values first) with one of the expected values (matched
// exactly), or, with no expected values, when the header is present. A
// header sent several times passes when any of its values is expected.
//
// Content-Type is compared as a media type, as RFC 9110 compares them:
// type and subtype case-insensitively, and of the parameters only those
// the expected value names (charset's value case-insensitively, the
// others' exactly). So "application/json; charset=utf-8" is an expected
// "application/json", and not an expected "application/json;
// charset=latin1". A value that is no media type is compared exactly.
func Header(name string, expected ...string) *HeaderValidator {
	name = http.CanonicalHeaderKey(name)
	v := &HeaderValidator{name: name, label: "header " + name, expected: append([]string(nil), expected...)}
	if name == "Content-Type" {
		v.media = make([]mediaType, len(expected))
		for i, e := range expected {
			v.media[i] = parseMediaType(e)
		}
	}
	return v
}

// parseMediaType parses s, or returns the zero mediaType when it is none.
func parseMediaType(s string) mediaType {
	typ, params, err := mime.ParseMediaType(s)
	if err != nil || !strings.Contains(typ, "/") {
		return mediaType{}
	}
	return mediaType{typ: typ, params: params}
}

// matches reports whether got is the media type want.
func (want mediaType) matches(got mediaType) bool {
	if got.typ == "" || got.typ != want.typ {
		return false
	}
	for name, value := range want.params {
		g, ok := got.params[name]
		if !ok || g != value && !(name == "charset" && strings.EqualFold(g, value)) {
			return false
		}
	}
	return true
}

// expects reports whether got is one of the expected values.
func (v *HeaderValidator) expects(got string) bool {
	if oneOf(got, v.expected) {
		return true
	}
	if v.media == nil {
		return false
	}
	parsed := parseMediaType(got)
	for _, want := range v.media {
		if want.typ != "" && want.matches(parsed) {
			return true
		}
	}
	return false
}

// String returns "header " followed by the canonical header name.
func (v *HeaderValidator) String() string { return v.label }

// Validate checks resp.Header.
func (v *HeaderValidator) Validate(resp *Response) Result {
	return v.Check(resp.Header)
}

// Check checks a header map.
func (v *HeaderValidator) Check(h http.Header) Result {
	r := Result{Validator: v.label, Expected: v.expected}
	values := headerfold.Values(h, v.name)
	if len(values) == 0 {
		r.Err = errNoHeader
		return r
	}
	r.Found = values[0]
	if len(v.expected) == 0 {
		r.Passed = true
		return r
	}
	for _, got := range values {
		if v.expects(got) {
			r.Found, r.Passed = got, true
			return r
		}
	}
	if len(values) > 1 {
		r.Found = compactJSON(values)
	}
	r.Err = ErrMismatch
	return r
}
