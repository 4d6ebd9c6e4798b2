package filter

import (
	"encoding/json"
	"strconv"
)

// Op is the operator of a clause. Its JSON spelling in the operator form is
// Key(); in the filters form's conditions it is the Op itself.
type Op string

// The operators. Comparison operators take a path and operands; OpAnd, OpOr
// and OpNot take clauses.
const (
	// OpAnd matches when every clause matches; with none it matches every
	// event.
	OpAnd Op = "and"
	// OpOr matches when some clause matches; with none it matches no event.
	OpOr Op = "or"
	// OpNot matches when its one clause does not.
	OpNot Op = "not"
	// OpEq matches a value equal to the one operand.
	OpEq Op = "eq"
	// OpNeq is the negation of OpEq: it matches when no value equals the
	// operand, a missing path included.
	OpNeq Op = "neq"
	// OpIn matches a value equal to one of the operands.
	OpIn Op = "in"
	// OpNin is the negation of OpIn: it matches when no value equals any
	// operand, a missing path included.
	OpNin Op = "nin"
	// OpExist, with operand true, matches when the path reaches a value
	// (null counts); with false, when it reaches none.
	OpExist Op = "exist"
	// OpPrefix matches a string that starts with the operand.
	OpPrefix Op = "prefix"
	// OpSuffix matches a string that ends with the operand.
	OpSuffix Op = "suffix"
	// OpContains matches a string that contains the operand.
	OpContains Op = "contains"
	// OpGlob matches a whole string against a glob: * is any run of
	// characters (/ included), ? is one character, \ escapes the next one.
	OpGlob Op = "glob"
	// OpRegex matches a string in which the operand, a Go (RE2) regular
	// expression, finds a match; anchor it with ^ and $ to match it whole.
	OpRegex Op = "regex"
	// OpGt matches a value greater than the operand: a number when the
	// operand is a number, a string in byte order when it is a string.
	OpGt Op = "gt"
	// OpGte is OpGt or equal.
	OpGte Op = "gte"
	// OpLt matches a value less than the operand, like OpGt.
	OpLt Op = "lt"
	// OpLte is OpLt or equal.
	OpLte Op = "lte"
)

var ops = []Op{OpAnd, OpOr, OpNot, OpEq, OpNeq, OpIn, OpNin, OpExist, OpPrefix, OpSuffix,
	OpContains, OpGlob, OpRegex, OpGt, OpGte, OpLt, OpLte}

// Key returns the operator's key in the operator form: "$eq", "$and", ...
func (o Op) Key() string { return "$" + string(o) }

// valid reports whether o is one of the operators.
func (o Op) valid() bool {
	for _, k := range ops {
		if o == k {
			return true
		}
	}
	return false
}

// composite reports whether o takes clauses rather than a path.
func (o Op) composite() bool { return o == OpAnd || o == OpOr || o == OpNot }

// negated reports whether o is the negation of a positive operator.
func (o Op) negated() bool { return o == OpNeq || o == OpNin }

// Clause is one node of a filter, as data: the form a filter is built,
// stored and inspected in. Build clauses with the constructors (Eq, In, All,
// IntegrationType, ...), load them from JSON (the operator form, see
// UnmarshalJSON), and compile them with New.
//
// The zero Clause matches every event.
type Clause struct {
	// Op is the operator; empty only in the zero Clause.
	Op Op
	// Path is the event path of a comparison: members separated by dots,
	// [] for any element of an array, [n] for one element, ["name"] for a
	// member whose name holds a dot, a bracket or a quote
	// (data.access_groups[].integration.type); a leading "$." is the event
	// itself, and may be left out. Empty for OpAnd, OpOr and OpNot.
	Path string
	// Values holds the operands of a comparison: JSON scalars (string,
	// json.Number, bool or nil). OpIn and OpNin take one or more, OpExist a
	// bool, the others exactly one.
	Values []any
	// Every makes a comparison hold only when the path reaches at least one
	// value and every value it reaches satisfies the operator. By default one
	// value is enough. It matters only for paths with [].
	Every bool
	// Clauses holds the operands of OpAnd and OpOr, and the one operand of
	// OpNot.
	Clauses []Clause
}

// Eq matches events whose value at path equals value. Values compare within
// their JSON type: strings exactly, numbers by value ("1.0" equals 1, digits
// are never rounded), booleans and null as themselves. value is a string,
// a Go number, a json.Number, a bool or nil.
func Eq(path string, value any) Clause {
	return Clause{Op: OpEq, Path: path, Values: []any{literal(value)}}
}

// Neq matches events whose value at path is not equal to value, and events
// without the path: Neq is Not(Eq).
func Neq(path string, value any) Clause {
	return Clause{Op: OpNeq, Path: path, Values: []any{literal(value)}}
}

// In matches events whose value at path equals one of values. values must
// not be empty: New rejects an In with none (ErrValue) rather than let it
// match nothing.
func In(path string, values ...any) Clause {
	return Clause{Op: OpIn, Path: path, Values: literals(values)}
}

// Nin matches events whose value at path equals none of values, and events
// without the path: Nin is Not(In). values must not be empty: New rejects a
// Nin with none (ErrValue) rather than let it match everything.
func Nin(path string, values ...any) Clause {
	return Clause{Op: OpNin, Path: path, Values: literals(values)}
}

// Exists matches events in which path reaches a value, null included.
func Exists(path string) Clause {
	return Clause{Op: OpExist, Path: path, Values: []any{true}}
}

// Missing matches events in which path reaches no value.
func Missing(path string) Clause {
	return Clause{Op: OpExist, Path: path, Values: []any{false}}
}

// Prefix matches events whose string at path starts with prefix.
func Prefix(path, prefix string) Clause {
	return Clause{Op: OpPrefix, Path: path, Values: []any{prefix}}
}

// Suffix matches events whose string at path ends with suffix.
func Suffix(path, suffix string) Clause {
	return Clause{Op: OpSuffix, Path: path, Values: []any{suffix}}
}

// Contains matches events whose string at path contains substr.
func Contains(path, substr string) Clause {
	return Clause{Op: OpContains, Path: path, Values: []any{substr}}
}

// Glob matches events whose string at path matches pattern as a whole (see
// OpGlob).
func Glob(path, pattern string) Clause {
	return Clause{Op: OpGlob, Path: path, Values: []any{pattern}}
}

// Regex matches events whose string at path contains a match of expr, a Go
// regular expression.
func Regex(path, expr string) Clause {
	return Clause{Op: OpRegex, Path: path, Values: []any{expr}}
}

// Gt matches events whose value at path is greater than value (see OpGt).
func Gt(path string, value any) Clause {
	return Clause{Op: OpGt, Path: path, Values: []any{literal(value)}}
}

// Gte matches events whose value at path is greater than or equal to value.
func Gte(path string, value any) Clause {
	return Clause{Op: OpGte, Path: path, Values: []any{literal(value)}}
}

// Lt matches events whose value at path is less than value.
func Lt(path string, value any) Clause {
	return Clause{Op: OpLt, Path: path, Values: []any{literal(value)}}
}

// Lte matches events whose value at path is less than or equal to value.
func Lte(path string, value any) Clause {
	return Clause{Op: OpLte, Path: path, Values: []any{literal(value)}}
}

// All matches events that every clause matches; All() matches every event.
func All(clauses ...Clause) Clause {
	return Clause{Op: OpAnd, Clauses: clauses}
}

// Any matches events that at least one clause matches; Any() matches none.
func Any(clauses ...Clause) Clause {
	return Clause{Op: OpOr, Clauses: clauses}
}

// Not matches events that c does not match.
func Not(c Clause) Clause {
	return Clause{Op: OpNot, Clauses: []Clause{c}}
}

// Every returns c requiring every value its path reaches, rather than one, to
// satisfy it, and at least one value to be reached: Every(Eq(
// "data.access_groups[].integration.type", "AWS")) matches requests whose
// groups are all AWS. Composite clauses are returned with Every set on each
// comparison inside them.
func Every(c Clause) Clause {
	if c.Op.composite() {
		kids := make([]Clause, len(c.Clauses))
		for i, k := range c.Clauses {
			kids[i] = Every(k)
		}
		c.Clauses = kids
		return c
	}
	c.Every = true
	return c
}

// literal turns Go numbers into json.Number, so that a clause built in Go
// equals the same clause loaded from JSON. Other values are kept; New
// rejects those that are not JSON scalars.
func literal(v any) any {
	switch v := v.(type) {
	case int:
		return json.Number(strconv.FormatInt(int64(v), 10))
	case int8:
		return json.Number(strconv.FormatInt(int64(v), 10))
	case int16:
		return json.Number(strconv.FormatInt(int64(v), 10))
	case int32:
		return json.Number(strconv.FormatInt(int64(v), 10))
	case int64:
		return json.Number(strconv.FormatInt(v, 10))
	case uint:
		return json.Number(strconv.FormatUint(uint64(v), 10))
	case uint8:
		return json.Number(strconv.FormatUint(uint64(v), 10))
	case uint16:
		return json.Number(strconv.FormatUint(uint64(v), 10))
	case uint32:
		return json.Number(strconv.FormatUint(uint64(v), 10))
	case uint64:
		return json.Number(strconv.FormatUint(v, 10))
	case float32:
		return json.Number(strconv.FormatFloat(float64(v), 'g', -1, 32))
	case float64:
		return json.Number(strconv.FormatFloat(v, 'g', -1, 64))
	}
	return v
}

func literals(vs []any) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = literal(v)
	}
	return out
}
