// Package jsondoc is the one place that knows how a JSON document is held in
// memory. Events are decoded once, by Parse, into a tree of *Value that keeps
// number literals digit for digit and costs a handful of allocations; the
// template and filter packages read that tree, and plain JSON-like Go values
// (map[string]any, []any, string, json.Number, float64, bool, nil, ...),
// through the accessors in access.go, so neither knows which one it was given.
package jsondoc

import "encoding/json"

// Kind is the JSON type of a value.
type Kind uint8

// The JSON kinds. Absent is no value at all: a missing field, a nil *Value, or
// a Go value that has no JSON form.
const (
	Absent Kind = iota
	Null
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"absent", "null", "boolean", "number", "string", "array", "object"}

// String returns the JSON name of the kind: "string", "number", "boolean",
// "null", "array", "object", or "absent".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// Value is one node of a parsed document. It is immutable and safe for
// concurrent reads. A nil *Value is Absent.
type Value struct {
	kind Kind
	// text holds a string's unescaped contents, a number's literal as
	// written, or "true"/"false"/"null".
	text string
	// kids holds an array's elements (with empty keys) or an object's members
	// in document order. Both live in one arena allocated per Parse.
	kids []member
}

type member struct {
	key string
	val Value
}

// Kind reports the JSON type of v.
func (v *Value) Kind() Kind {
	if v == nil {
		return Absent
	}
	return v.kind
}

// Text returns a string's contents, a number's literal as written
// ("1696263265.851898000" stays exactly that), "true", "false" or "null".
// It is empty for arrays, objects and Absent.
func (v *Value) Text() string {
	if v == nil {
		return ""
	}
	return v.text
}

// Len reports the number of elements of an array or members of an object, and
// 0 for anything else.
func (v *Value) Len() int {
	if v == nil {
		return 0
	}
	return len(v.kids)
}

// Elem returns the i-th element of an array, or nil when v is not an array or
// i is out of range.
func (v *Value) Elem(i int) *Value {
	if v == nil || v.kind != Array || i < 0 || i >= len(v.kids) {
		return nil
	}
	return &v.kids[i].val
}

// Get returns the member named key of an object, or nil when v is not an
// object or has no such member. When a key repeats, the last one wins, as with
// encoding/json.
func (v *Value) Get(key string) *Value {
	if v == nil || v.kind != Object {
		return nil
	}
	// Objects in events are small; a backwards linear scan beats hashing and
	// gives last-wins for repeated keys.
	for i := len(v.kids) - 1; i >= 0; i-- {
		// The first byte tells most keys apart before a full comparison.
		if k := v.kids[i].key; len(k) == len(key) && (len(k) == 0 || k[0] == key[0]) && k == key {
			return &v.kids[i].val
		}
	}
	return nil
}

// Member returns the key and value of the i-th member of an object in
// document order. It panics when i is out of range, like a slice index.
func (v *Value) Member(i int) (string, *Value) {
	m := &v.kids[i]
	return m.key, &m.val
}

// AppendJSON appends v as compact JSON to dst. Member order and number
// literals are kept as parsed. An Absent value appends null.
func (v *Value) AppendJSON(dst []byte) []byte {
	switch v.Kind() {
	case Absent:
		return append(dst, "null"...)
	case String:
		return AppendQuoted(dst, v.text)
	case Array:
		dst = append(dst, '[')
		for i := range v.kids {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = v.kids[i].val.AppendJSON(dst)
		}
		return append(dst, ']')
	case Object:
		dst = append(dst, '{')
		for i := range v.kids {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendQuoted(dst, v.kids[i].key)
			dst = append(dst, ':')
			dst = v.kids[i].val.AppendJSON(dst)
		}
		return append(dst, '}')
	default:
		return append(dst, v.text...)
	}
}

// Any returns v as the plain Go values encoding/json decodes into with
// UseNumber: map[string]any, []any, string, json.Number (the literal as
// written), bool, or nil for null and Absent. A repeated key keeps its last
// value, as with encoding/json.
func (v *Value) Any() any {
	switch v.Kind() {
	case String:
		return v.text
	case Number:
		return json.Number(v.text)
	case Bool:
		return v.text == "true"
	case Array:
		a := make([]any, len(v.kids))
		for i := range v.kids {
			a[i] = v.kids[i].val.Any()
		}
		return a
	case Object:
		m := make(map[string]any, len(v.kids))
		for i := range v.kids {
			m[v.kids[i].key] = v.kids[i].val.Any()
		}
		return m
	}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (v *Value) MarshalJSON() ([]byte, error) {
	return v.AppendJSON(nil), nil
}
