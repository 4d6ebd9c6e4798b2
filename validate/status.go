package validate

import (
	"fmt"
	"strconv"
	"strings"
)

// StatusRange is an inclusive range of HTTP status codes.
type StatusRange struct {
	// Min and Max bound the range; Min == Max is a single code.
	Min, Max int
}

// Code returns the range holding only code.
func Code(code int) StatusRange { return StatusRange{Min: code, Max: code} }

// Class returns the range of the status class c: Class(2) is 200 to 299.
func Class(c int) StatusRange { return StatusRange{Min: c * 100, Max: c*100 + 99} }

// Contains reports whether code is in the range.
func (r StatusRange) Contains(code int) bool { return r.Min <= code && code <= r.Max }

// String writes the range as ParseStatus reads it: "404", "2xx" or
// "500-503".
func (r StatusRange) String() string {
	switch {
	case r.Min == r.Max:
		return strconv.Itoa(r.Min)
	case r.Min%100 == 0 && r.Max == r.Min+99:
		return strconv.Itoa(r.Min/100) + "xx"
	}
	return strconv.Itoa(r.Min) + "-" + strconv.Itoa(r.Max)
}

// StatusValidator checks the status code of a response.
type StatusValidator struct {
	ranges   []StatusRange
	expected []string
}

var _ Validator = (*StatusValidator)(nil)

// Status returns a validator that passes when the status code is in one of
// ranges. With no ranges it accepts 2xx.
func Status(ranges ...StatusRange) *StatusValidator {
	if len(ranges) == 0 {
		ranges = []StatusRange{Class(2)}
	}
	v := &StatusValidator{ranges: append([]StatusRange(nil), ranges...)}
	for _, r := range v.ranges {
		v.expected = append(v.expected, r.String())
	}
	return v
}

// ParseStatus parses a comma-separated list of codes ("404"), classes
// ("2xx") and inclusive ranges ("500-503") into a status validator. An empty
// spec accepts 2xx. Any error wraps ErrInvalidStatus.
func ParseStatus(spec string) (*StatusValidator, error) {
	var ranges []StatusRange
	for part := range strings.SplitSeq(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		r, err := parseRange(part)
		if err != nil {
			return nil, fmt.Errorf("%w %q: %w", ErrInvalidStatus, part, err)
		}
		ranges = append(ranges, r)
	}
	return Status(ranges...), nil
}

func parseRange(s string) (StatusRange, error) {
	if len(s) == 3 && (s[1:] == "xx" || s[1:] == "XX") && '1' <= s[0] && s[0] <= '5' {
		return Class(int(s[0] - '0')), nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	min, err := parseCode(lo)
	if err != nil {
		return StatusRange{}, err
	}
	if !isRange {
		return Code(min), nil
	}
	max, err := parseCode(hi)
	if err != nil {
		return StatusRange{}, err
	}
	if max < min {
		return StatusRange{}, fmt.Errorf("range ends before it starts")
	}
	return StatusRange{Min: min, Max: max}, nil
}

// parseCode reads a status code: three digits (RFC 9110), so that no
// other spelling (+200, 0200) passes for one.
func parseCode(s string) (int, error) {
	t := strings.TrimSpace(s)
	n, err := strconv.Atoi(t)
	if err != nil || len(t) != 3 || t[0] < '0' || t[0] > '9' || n < 100 || n > 599 {
		return 0, fmt.Errorf("%q is not a status code (100 to 599)", s)
	}
	return n, nil
}

// Ranges returns the ranges the validator accepts.
func (v *StatusValidator) Ranges() []StatusRange { return append([]StatusRange(nil), v.ranges...) }

// String returns "status".
func (v *StatusValidator) String() string { return "status" }

// Validate checks resp.StatusCode.
func (v *StatusValidator) Validate(resp *Response) Result {
	return v.Check(resp.StatusCode)
}

// Check checks a status code.
func (v *StatusValidator) Check(code int) Result {
	r := Result{Validator: "status", Found: strconv.Itoa(code), Expected: v.expected}
	for _, rg := range v.ranges {
		if rg.Contains(code) {
			r.Passed = true
			return r
		}
	}
	r.Err = ErrMismatch
	return r
}
