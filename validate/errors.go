package validate

import (
	"errors"
	"strconv"
	"strings"
)

// Errors a Result can carry, matched with errors.Is.
var (
	// ErrNotFound means the JSON path or the header was not in the
	// response. A missing header's error reads "header not found".
	ErrNotFound = errors.New("path not found")
	// ErrMismatch means the value found is not one of the expected values.
	ErrMismatch = errors.New("unexpected value")
	// ErrNotJSON means the response body is empty or is not a JSON document.
	ErrNotJSON = errors.New("response body is not JSON")
	// ErrTruncated means the response body is longer than the limit, so it
	// was not decoded.
	ErrTruncated = errors.New("response body exceeds the size limit")
	// ErrTooDeep means the body nests deeper than MaxDepth, and the path,
	// having a recursive descent, was not evaluated on it.
	ErrTooDeep = errors.New("response body nests too deeply for a recursive path")
)

// Errors returned when a validator is built, matched with errors.Is.
var (
	// ErrInvalidPath means a JSON path does not compile.
	ErrInvalidPath = errors.New("invalid JSON path")
	// ErrInvalidStatus means a status specification does not parse.
	ErrInvalidStatus = errors.New("invalid status specification")
)

// PathError reports a JSON path that does not compile. It wraps
// ErrInvalidPath and, when there is one, the parser's error.
type PathError struct {
	// Path is the path as given.
	Path string
	// Line and Column are where in Path the fault is, from 1, the column
	// in bytes as a template's; both are 0 when the fault has no one place.
	Line, Column int
	// Err is the parser's error, or nil.
	Err error
}

// Error implements error.
func (e *PathError) Error() string {
	msg := "validate: invalid JSON path " + strconv.Quote(e.Path)
	if e.Column > 0 {
		msg += " at " + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Column)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns ErrInvalidPath and the parser's error.
func (e *PathError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrInvalidPath}
	}
	return []error{ErrInvalidPath, e.Err}
}

// Error is the error of a Report with failed results. It carries the
// webhook's custom validation error message; errors.Is finds the reason of
// every failed result in it (ErrMismatch, ErrNotFound, ErrNotJSON, ...).
type Error struct {
	// Message is the custom validation error message, or DefaultMessage.
	Message string
	// Failed lists the results that did not pass, in validator order.
	Failed []Result
}

// Error implements error: the message followed by each failure.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	for i, r := range e.Failed {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(r.String())
	}
	return b.String()
}

// Unwrap returns the reasons of the failed results.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, len(e.Failed))
	for _, r := range e.Failed {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return errs
}
