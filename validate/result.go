package validate

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/outhook/outhook/internal/jsondoc"
)

// Result is the outcome of one validator on one response.
type Result struct {
	// Validator names what was checked: the JSON path as given ("$.data.status"),
	// "status", or "header " followed by the header name.
	Validator string
	// Passed reports whether the response satisfied the validator.
	Passed bool
	// Found is the value found, as text (see the package comment for how
	// values become text). For a path that can match several values it is the
	// JSON array of all of them. It is empty when nothing was found.
	Found string
	// Expected lists the values the validator accepts. It is shared with the
	// validator and must not be modified.
	Expected []string
	// Err is the reason of a failure (it wraps ErrMismatch, ErrNotFound,
	// ErrNotJSON or ErrTruncated), nil when Passed.
	Err error
}

// String describes the result in one line, for logs and error messages.
func (r Result) String() string {
	var b strings.Builder
	b.WriteString(r.Validator)
	if r.Passed {
		b.WriteString(": passed")
	} else {
		b.WriteString(": failed")
		if r.Err != nil {
			b.WriteString(": ")
			b.WriteString(r.Err.Error())
		}
	}
	if r.Found != "" {
		b.WriteString(", found ")
		b.WriteString(strconv.Quote(r.Found))
	}
	if len(r.Expected) > 0 {
		b.WriteString(", expected one of ")
		for i, e := range r.Expected {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(e))
		}
	}
	return b.String()
}

// text returns the text a decoded JSON value compares as.
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return string(v)
	case bool:
		if v {
			return "true"
		}
		return "false"
	case nil:
		return "null"
	}
	return compactJSON(v)
}

// compactJSON returns v as compact JSON (map keys sorted, no HTML
// escaping), or "" when v has no JSON form.
func compactJSON(v any) string {
	// Most values found are short: build them on the stack and allocate
	// only the string.
	var buf [256]byte
	b, err := jsondoc.AppendJSON(buf[:0], v)
	if err != nil {
		return ""
	}
	return string(b)
}

// compactArray is compactJSON for the matches of a path, without boxing
// the slice into an interface.
func compactArray(vs []any) string {
	var buf [256]byte
	b := append(buf[:0], '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = jsondoc.AppendJSON(b, v); err != nil {
			return ""
		}
	}
	return string(append(b, ']'))
}

// oneOf reports whether s is one of set.
func oneOf(s string, set []string) bool {
	for _, e := range set {
		if s == e {
			return true
		}
	}
	return false
}

// resultJSON is the JSON form of a Result.
type resultJSON struct {
	Validator string   `json:"validator"`
	Passed    bool     `json:"passed"`
	Found     string   `json:"found,omitempty"`
	Expected  []string `json:"expected,omitempty"`
	Error     string   `json:"error,omitempty"`
}

// MarshalJSON writes the result as {"validator", "passed", "found",
// "expected", "error"}, the error as its message, for invocation records.
func (r Result) MarshalJSON() ([]byte, error) {
	j := resultJSON{Validator: r.Validator, Passed: r.Passed, Found: r.Found, Expected: r.Expected}
	if r.Err != nil {
		j.Error = r.Err.Error()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes. The error comes back with its
// message and still matches its sentinel (ErrMismatch, ErrNotFound, ...)
// with errors.Is.
func (r *Result) UnmarshalJSON(data []byte) error {
	var j resultJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*r = Result{Validator: j.Validator, Passed: j.Passed, Found: j.Found, Expected: j.Expected}
	if j.Error != "" {
		r.Err = &reasonError{msg: j.Error}
		for _, s := range []error{ErrNotFound, errNoHeader, ErrMismatch, ErrNotJSON, ErrTruncated, ErrTooDeep} {
			if strings.HasPrefix(j.Error, s.Error()) {
				r.Err = &reasonError{msg: j.Error, reason: s}
				break
			}
		}
	}
	return nil
}

// reasonError is an error with its own message that wraps a sentinel: a
// header that is not there, or an error read back from a result's JSON.
type reasonError struct {
	msg    string
	reason error
}

func (e *reasonError) Error() string { return e.msg }
func (e *reasonError) Unwrap() error { return e.reason }

// errNoHeader is the failure of a header validator whose header is absent.
var errNoHeader error = &reasonError{msg: "header not found", reason: ErrNotFound}
