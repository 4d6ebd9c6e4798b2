package validate

import "net/http"

// HeaderValidator checks a response header.
type HeaderValidator struct {
	name     string
	label    string
	expected []string
}

var _ Validator = (*HeaderValidator)(nil)

// Header returns a validator that passes when the response has the header
// name (matched case-insensitively) with one of the expected values (matched
// exactly), or, with no expected values, when the header is present. A
// header sent several times passes when any of its values is expected.
func Header(name string, expected ...string) *HeaderValidator {
	name = http.CanonicalHeaderKey(name)
	return &HeaderValidator{name: name, label: "header " + name, expected: append([]string(nil), expected...)}
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
	values := h.Values(v.name)
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
		if oneOf(got, v.expected) {
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
