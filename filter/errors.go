package filter

import (
	"errors"
	"strings"
)

// Errors a *ClauseError wraps, matched with errors.Is.
var (
	// ErrSyntax means a JSON form is malformed: not an object where one is
	// needed, a literal of the wrong shape, a duplicate key.
	ErrSyntax = errors.New("malformed filter")
	// ErrOperator means an unknown operator, or one given the wrong number
	// or kind of operands.
	ErrOperator = errors.New("invalid operator")
	// ErrPath means a malformed event path.
	ErrPath = errors.New("invalid path")
	// ErrValue means an operand that does not compile: a bad regular
	// expression or glob, a value that is not a JSON scalar.
	ErrValue = errors.New("invalid value")
	// ErrUnknownField means a path the schema does not know.
	ErrUnknownField = errors.New("unknown field")
	// ErrType means an operator or value that cannot apply to the type the
	// schema gives the field, such as a regular expression on a number.
	ErrType = errors.New("type mismatch")
)

// ClauseError reports a clause that does not compile, or does not fit the
// schema. Every error New, FromFilters, Parse and Check return is a
// *ClauseError.
type ClauseError struct {
	// Clause locates the clause: "" for the root, "and[1].or[0]" inside
	// composites, "integration_types" or "conditions[2]" in the filters form.
	Clause string
	// Path is the event path of the clause, when it has one.
	Path string
	// Op is the operator of the clause, when known.
	Op Op
	// Suggestion is a known path close to an unknown one, or "".
	Suggestion string
	// Err is the cause; it wraps one of ErrSyntax, ErrOperator, ErrPath,
	// ErrValue, ErrUnknownField or ErrType.
	Err error
}

// Error implements error.
func (e *ClauseError) Error() string {
	var b strings.Builder
	b.WriteString("filter: ")
	if e.Clause != "" {
		b.WriteString("clause ")
		b.WriteString(e.Clause)
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		if e.Op != "" {
			b.WriteString(" ")
			b.WriteString(e.Op.Key())
		}
		b.WriteString(": ")
	} else if e.Op != "" {
		b.WriteString(e.Op.Key())
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	if e.Suggestion != "" {
		b.WriteString(" (did you mean ")
		b.WriteString(e.Suggestion)
		b.WriteString("?)")
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *ClauseError) Unwrap() error { return e.Err }
