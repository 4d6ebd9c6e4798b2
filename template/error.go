package template

import (
	"errors"
	"strconv"
	"strings"
)

// ErrMissingField is wrapped by the *Error that Execute returns in strict
// mode when a referenced field is absent from the data.
var ErrMissingField = errors.New("missing field")

// ErrUnknownField is wrapped by each *Error that a schema check reports for a
// field reference the schema does not know.
var ErrUnknownField = errors.New("unknown field")

// ErrUnstableValue is wrapped by the *Error that Execute returns in JSON
// mode when a Go value read twice gave two answers (its MarshalJSON is not
// stable) where the template's JSON shape relied on one: the body would not
// have been JSON, and nothing is written.
var ErrUnstableValue = errors.New("unstable value")

// ErrRenderLimit is wrapped by the *Error that Append and Execute return
// when a rendering passes the limit set by WithRenderLimit.
var ErrRenderLimit = errors.New("render limit exceeded")

// Error describes a problem at a position in a template. Parse returns it for
// syntax errors and impossible JSON placements, Execute returns it for strict
// mode misses and helper failures, and Check returns a list of them.
type Error struct {
	// Name is the name of the template or partial (see WithName); empty when
	// the template was not named.
	Name string
	// Line and Column locate the problem, both counted from 1; Column counts
	// bytes. They are zero when the problem has no position.
	Line, Column int
	// Path is the field reference concerned, in the form written in the
	// template, or empty when the problem is not about a field.
	Path string
	// Msg is a human-readable description of the problem.
	Msg string
	// Err is the underlying cause, such as ErrMissingField or an error
	// returned by a helper, or nil.
	Err error
}

// Error returns "name:line:col: msg".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Name != "" {
		b.WriteString(e.Name)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Column))
		b.WriteByte(':')
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is a list of problems, one per position, as returned by Check
// and by Parse with WithSchema. errors.As finds both the list and, through
// Unwrap, its first *Error.
type ErrorList []*Error

// Error prints one problem per line.
func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap returns the problems, so that errors.Is and errors.As look at each.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// source is a piece of template text with its name, used to turn byte offsets
// into line and column numbers.
type source struct {
	name string
	text string
}

// position converts a byte offset into a 1-based line and column.
func (s *source) position(off int) (line, col int) {
	if off > len(s.text) {
		off = len(s.text)
	}
	line = 1 + strings.Count(s.text[:off], "\n")
	col = off - strings.LastIndexByte(s.text[:off], '\n')
	return line, col
}

// errorf builds an *Error at offset off of s.
func (s *source) errorf(off int, msg string) *Error {
	line, col := s.position(off)
	return &Error{Name: s.name, Line: line, Column: col, Msg: msg}
}
