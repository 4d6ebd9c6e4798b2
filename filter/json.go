package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/outhook/outhook/internal/jsondoc"
)

// MarshalJSON writes c in the operator form, canonically: a comparison is
// {"path": {"$op": operand}} (OpIn and OpNin take an array, OpExist a bool),
// wrapped as {"path": {"$every": {"$op": operand}}} when Every is set;
// composites are {"$and": [...]}, {"$or": [...]} and {"$not": {...}}; the
// zero Clause is {}.
func (c Clause) MarshalJSON() ([]byte, error) {
	return c.appendJSON(nil)
}

func (c Clause) appendJSON(b []byte) ([]byte, error) {
	var err error
	switch {
	case c.Op == "":
		return append(b, "{}"...), nil
	case !c.Op.valid():
		return nil, fmt.Errorf("filter: unknown operator %q", c.Op.Key())
	case c.Op == OpNot:
		if len(c.Clauses) != 1 {
			return nil, fmt.Errorf("filter: $not takes one clause, not %d", len(c.Clauses))
		}
		b = append(b, `{"$not":`...)
		if b, err = c.Clauses[0].appendJSON(b); err != nil {
			return nil, err
		}
		return append(b, '}'), nil
	case c.Op.composite():
		b = append(b, `{"`...)
		b = append(b, c.Op.Key()...)
		b = append(b, `":[`...)
		for i, k := range c.Clauses {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = k.appendJSON(b); err != nil {
				return nil, err
			}
		}
		return append(b, "]}"...), nil
	}
	b = append(b, '{')
	b = jsondoc.AppendQuoted(b, keyPath(c.Path))
	b = append(b, ':')
	if c.Every {
		b = append(b, `{"$every":`...)
	}
	b = append(b, `{"`...)
	b = append(b, c.Op.Key()...)
	b = append(b, `":`...)
	if b, err = appendOperand(b, c.Op, c.Values); err != nil {
		return nil, err
	}
	b = append(b, '}')
	if c.Every {
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// keyPath returns path as a key of a document: a key that starts with "$"
// is an operator unless it starts with "$.", the root, which a path may
// start with. A path such as $ref.x, whose first member starts with "$",
// is written from the root then, which reads the same.
func keyPath(path string) string {
	if strings.HasPrefix(path, "$") && !strings.HasPrefix(path, "$.") {
		return "$." + path
	}
	return path
}

// appendOperand appends the operand of a comparison: an array for OpIn and
// OpNin, the one value otherwise.
func appendOperand(b []byte, op Op, values []any) ([]byte, error) {
	var err error
	if op != OpIn && op != OpNin {
		if len(values) != 1 {
			return nil, fmt.Errorf("filter: %s takes one operand, not %d", op.Key(), len(values))
		}
		return appendLiteral(b, values[0])
	}
	b = append(b, '[')
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendLiteral(b, v); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// appendLiteral appends a JSON scalar operand.
func appendLiteral(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return jsondoc.AppendQuoted(b, v), nil
	case json.Number:
		if _, ok := parseDecimal(string(v)); !ok {
			return nil, fmt.Errorf("filter: %q is not a JSON number", string(v))
		}
		return append(b, v...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case nil:
		return append(b, "null"...), nil
	}
	return nil, fmt.Errorf("filter: %T is not a JSON scalar", v)
}

// operandJSON returns the operand of a compiled comparison as JSON.
func operandJSON(op Op, values []any) string {
	b, err := appendOperand(nil, op, values)
	if err != nil {
		return "?"
	}
	return string(b)
}

// String returns c in the operator form.
func (c Clause) String() string {
	b, err := c.MarshalJSON()
	if err != nil {
		return "{}"
	}
	return string(b)
}

// UnmarshalJSON reads the operator form, the Mongo-style syntax of Convoy and
// Hookdeck Outpost, so their rules load unchanged:
//
//	{"data.custom_fields.environment": "production",
//	 "data.access_groups[].integration.type": {"$in": ["Postgresql", "Mysql"]},
//	 "$or": [{"data.access_duration_in_seconds": {"$lte": 3600}},
//	         {"data.approvals[].approver.id": {"$gt": ""}}]}
//
// Keys of a document are $and, $or, $not or paths; several keys must all
// match. A path may start with "$.", the event itself ("$.data.id" is
// data.id); any other key starting with "$" is an operator. A path maps to a literal (equality), to an operator document
// ({"$gte": 1, "$lt": 9}, all must hold; $not and $every wrap another
// operator document), or to a nested document whose keys continue the path
// ({"data": {"requester": {"id": "u1"}}}). Operators: $eq $neq (or $ne) $in
// $nin $exist (or $exists) $regex $glob $prefix $suffix $contains $gt $gte
// $lt $lte. Errors are *ClauseError values wrapping ErrSyntax or
// ErrOperator, located in the document ("and[1].or[0]").
//
// Round trip: unmarshalling the output of MarshalJSON gives back an equal
// Clause (but that a path starting with "$" and not "$.", such as $ref.x,
// comes back as $.$ref.x, which reads the same), and marshalling that
// gives the same bytes. Input that is not
// canonical (shorthand equality, several keys, nested documents) loads into
// the canonical tree, so its first marshalling may differ from it.
func (c *Clause) UnmarshalJSON(data []byte) error {
	out, err := parseDoc(data, "")
	if err != nil {
		return err
	}
	*c = out
	return nil
}

// member is one key of a JSON object, in document order.
type member struct {
	key string
	raw json.RawMessage
}

func syntaxErr(loc, path string, format string, args ...any) error {
	return &ClauseError{Clause: loc, Path: path, Err: fmt.Errorf("%w: "+format, append([]any{ErrSyntax}, args...)...)}
}

// objectMembers reads a JSON object's members in order; ok is false when
// data is not an object.
func objectMembers(data []byte) (members []member, ok bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, false, err
	}
	if d, isDelim := tok.(json.Delim); !isDelim || d != '{' {
		return nil, false, nil
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, true, err
		}
		key := tok.(string)
		if seen[key] {
			return nil, true, fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, true, err
		}
		members = append(members, member{key, raw})
	}
	if _, err := dec.Token(); err != nil {
		return nil, true, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, true, errors.New("data after the JSON object")
	}
	return members, true, nil
}

// parseDoc reads a document: its members all hold.
func parseDoc(data []byte, loc string) (Clause, error) {
	ms, ok, err := objectMembers(data)
	if err != nil {
		return Clause{}, syntaxErr(loc, "", "%v", err)
	}
	if !ok {
		return Clause{}, syntaxErr(loc, "", "a filter document is a JSON object")
	}
	return docMembers(ms, "", loc)
}

// docMembers reads the members of a document whose paths start at prefix.
func docMembers(ms []member, prefix, loc string) (Clause, error) {
	if len(ms) == 0 && prefix != "" {
		return Clause{}, syntaxErr(loc, prefix, "an empty document under a path")
	}
	var kids []Clause
	for _, m := range ms {
		at := loc
		if len(ms) > 1 {
			at = childLoc(loc, "and["+strconv.Itoa(len(kids))+"]")
		}
		c, err := docMember(m, prefix, at)
		if err != nil {
			return Clause{}, err
		}
		kids = append(kids, c)
	}
	switch len(kids) {
	case 0:
		return Clause{}, nil
	case 1:
		return kids[0], nil
	}
	return All(kids...), nil
}

func docMember(m member, prefix, loc string) (Clause, error) {
	if !strings.HasPrefix(m.key, "$") || prefix == "" && strings.HasPrefix(m.key, "$.") {
		path := m.key
		if prefix != "" {
			path = appendMember(prefix, m.key)
		}
		return fieldSpec(m.raw, path, loc)
	}
	if prefix != "" {
		return Clause{}, syntaxErr(loc, prefix, "%s is not allowed inside a path's document", m.key)
	}
	switch m.key {
	case "$and", "$or":
		var raws []json.RawMessage
		if err := json.Unmarshal(m.raw, &raws); err != nil || raws == nil {
			return Clause{}, syntaxErr(loc, "", "%s takes an array of documents", m.key)
		}
		op := Op(m.key[1:])
		var kids []Clause
		if len(raws) > 0 {
			kids = make([]Clause, len(raws))
		}
		for i, raw := range raws {
			c, err := parseDoc(raw, childLoc(loc, string(op)+"["+strconv.Itoa(i)+"]"))
			if err != nil {
				return Clause{}, err
			}
			kids[i] = c
		}
		return Clause{Op: op, Clauses: kids}, nil
	case "$not":
		c, err := parseDoc(m.raw, childLoc(loc, "not"))
		if err != nil {
			return Clause{}, err
		}
		return Not(c), nil
	}
	return Clause{}, &ClauseError{Clause: loc, Err: fmt.Errorf("%w: unknown operator %q at document level", ErrOperator, m.key)}
}

// fieldSpec reads what a path maps to: a literal, an operator document or a
// nested document.
func fieldSpec(raw json.RawMessage, path, loc string) (Clause, error) {
	ms, isObject, err := objectMembers(raw)
	if err != nil {
		return Clause{}, syntaxErr(loc, path, "%v", err)
	}
	if !isObject {
		v, err := scalar(raw)
		if err != nil {
			return Clause{}, syntaxErr(loc, path, "%v; use $in to compare with several values", err)
		}
		return Clause{Op: OpEq, Path: path, Values: []any{v}}, nil
	}
	if len(ms) == 0 || !strings.HasPrefix(ms[0].key, "$") {
		return docMembers(ms, path, loc)
	}
	return operatorDoc(ms, path, loc)
}

// operatorDoc reads {"$op": operand, ...} for path; every operator holds.
func operatorDoc(ms []member, path, loc string) (Clause, error) {
	kids := make([]Clause, 0, len(ms))
	for _, m := range ms {
		at := loc
		if len(ms) > 1 {
			at = childLoc(loc, "and["+strconv.Itoa(len(kids))+"]")
		}
		c, err := operator(m, path, at)
		if err != nil {
			return Clause{}, err
		}
		kids = append(kids, c)
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	return All(kids...), nil
}

func operator(m member, path, loc string) (Clause, error) {
	if !strings.HasPrefix(m.key, "$") {
		return Clause{}, syntaxErr(loc, path, "%q mixes operators and members", m.key)
	}
	switch m.key {
	case "$not", "$every":
		ms, isObject, err := objectMembers(m.raw)
		if err != nil || !isObject || len(ms) == 0 {
			return Clause{}, syntaxErr(loc, path, "%s takes an operator document", m.key)
		}
		if m.key == "$not" {
			c, err := operatorDoc(ms, path, childLoc(loc, "not"))
			if err != nil {
				return Clause{}, err
			}
			return Not(c), nil
		}
		c, err := operatorDoc(ms, path, loc)
		if err != nil {
			return Clause{}, err
		}
		return Every(c), nil
	}
	op := Op(m.key[1:])
	switch op {
	case "ne":
		op = OpNeq
	case "exists":
		op = OpExist
	}
	if !op.valid() || op.composite() {
		return Clause{}, &ClauseError{Clause: loc, Path: path, Err: fmt.Errorf("%w: unknown operator %q", ErrOperator, m.key)}
	}
	c := Clause{Op: op, Path: path}
	if op == OpIn || op == OpNin {
		var raws []json.RawMessage
		if err := json.Unmarshal(m.raw, &raws); err != nil || raws == nil {
			return Clause{}, &ClauseError{Clause: loc, Path: path, Op: op, Err: fmt.Errorf("%w: %s takes an array", ErrSyntax, m.key)}
		}
		c.Values = make([]any, len(raws))
		for i, raw := range raws {
			v, err := scalar(raw)
			if err != nil {
				return Clause{}, &ClauseError{Clause: loc, Path: path, Op: op, Err: fmt.Errorf("%w: %v", ErrSyntax, err)}
			}
			c.Values[i] = v
		}
		return c, nil
	}
	v, err := scalar(m.raw)
	if err != nil {
		return Clause{}, &ClauseError{Clause: loc, Path: path, Op: op, Err: fmt.Errorf("%w: %v", ErrSyntax, err)}
	}
	c.Values = []any{v}
	return c, nil
}

// scalar decodes a JSON string, number (as json.Number), boolean or null.
func scalar(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	switch v.(type) {
	case string, json.Number, bool, nil:
		return v, nil
	}
	return nil, fmt.Errorf("%s is not a string, number, boolean or null", bytes.TrimSpace(raw))
}

// filtersKeys are the keys of the filters form.
var filtersKeys = map[string]bool{
	"integrations": true, "integration_types": true, "integration_names": true,
	"resource_types": true, "resources": true, "permissions": true, "access_flows": true,
	"bundles": true, "requesters": true, "grantees": true, "approval": true,
	"environments": true, "tags": true, "conditions": true,
}

// Parse compiles a filter in either JSON form. A non-empty object whose keys
// are all keys of the filters form (integrations, integration_types, ...,
// conditions) is read as Filters; anything else as the operator form (see
// Clause.UnmarshalJSON). Errors are *ClauseError values.
func Parse(data []byte, opts ...Option) (*Filter, error) {
	ms, isObject, err := objectMembers(data)
	if err != nil {
		return nil, syntaxErr("", "", "%v", err)
	}
	if !isObject {
		return nil, syntaxErr("", "", "a filter is a JSON object")
	}
	isFilters := len(ms) > 0
	for _, m := range ms {
		isFilters = isFilters && filtersKeys[m.key]
	}
	if isFilters {
		var fs Filters
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fs); err != nil {
			return nil, syntaxErr("", "", "filters form: %v", err)
		}
		return FromFilters(fs, opts...)
	}
	c, err := docMembers(ms, "", "")
	if err != nil {
		return nil, err
	}
	return newFilter(c, newConfig(opts)) // c is this call's own: no copy

}

// MarshalJSON writes the filter in the form it was built from: the filters
// form for FromFilters (and Parse of that form), the operator form
// otherwise. A nil Filter is {}.
func (f *Filter) MarshalJSON() ([]byte, error) {
	if f == nil {
		return []byte("{}"), nil
	}
	if f.filters != nil {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(f.filters); err != nil {
			return nil, err
		}
		return bytes.TrimSuffix(b.Bytes(), []byte{'\n'}), nil
	}
	return f.clause.MarshalJSON()
}

// UnmarshalJSON compiles a filter from either JSON form, as Parse does
// without options; call Check to check it against a schema.
func (f *Filter) UnmarshalJSON(data []byte) error {
	g, err := Parse(data)
	if err != nil {
		return err
	}
	*f = *g
	return nil
}
