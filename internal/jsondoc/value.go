// Package jsondoc is the one place that knows how a JSON document is held in
// memory. Events are decoded once, by Parse, into a tree of *Value that keeps
// number literals digit for digit and costs a handful of allocations; the
// template and filter packages read that tree, and plain JSON-like Go values
// (map[string]any, []any, string, json.Number, float64, bool, nil, ...),
// through the accessors in access.go, so neither knows which one it was given.
package jsondoc

import (
	"encoding/json"
	"unsafe"
)

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
//
// A Value takes 24 bytes, as a document holds about one per 30 bytes of
// input: it points into the input for a string's or number's text and into
// the document's arena for an array's or object's children, and carries the
// key it has in its object, so that an object's members are its children.
type Value struct {
	// ptr is the first byte of the text (a string's unescaped contents, a
	// number's literal as written, or "true"/"false"/"null"), or the first
	// child of an array or object; for a big value (see n) it is a *string
	// or a *[]Value.
	ptr unsafe.Pointer
	// key is the first byte of the member name this value has in its object,
	// or a *string for a big key (see klen).
	key unsafe.Pointer
	// n holds the kind in its top bits, then the big flag, then the length
	// of the text or the number of children; a length over maxInline makes
	// the value big.
	n uint32
	// klen is the length of key, or the big flag for a key over maxInline.
	klen uint32
}

const (
	kindShift = 29
	big       = 1 << 28
	lenMask   = big - 1
)

// maxInline is the longest text, key or list of children held inline; a
// variable so that tests can exercise the big form with small documents.
var maxInline = lenMask

// scalar returns a string, number, boolean or null value of text s.
func scalar(kind Kind, s string) Value {
	if len(s) > maxInline {
		return Value{ptr: boxed(s), n: uint32(kind)<<kindShift | big}
	}
	return Value{ptr: dataOf(s), n: uint32(kind)<<kindShift | uint32(len(s))}
}

// container returns an array or object value over kids.
func container(kind Kind, kids []Value) Value {
	if len(kids) > maxInline {
		return Value{ptr: boxed(kids), n: uint32(kind)<<kindShift | big}
	}
	var ptr unsafe.Pointer
	if len(kids) > 0 { // an empty list's data may point just past the arena
		ptr = unsafe.Pointer(unsafe.SliceData(kids))
	}
	return Value{ptr: ptr, n: uint32(kind)<<kindShift | uint32(len(kids))}
}

// dataOf returns the first byte of s, or nil for an empty s, whose data
// may point just past its allocation.
func dataOf(s string) unsafe.Pointer {
	if s == "" {
		return nil
	}
	return unsafe.Pointer(unsafe.StringData(s))
}

// boxed returns a pointer to a copy of x, for a big value's text or
// children. It is a function of its own so that the small path does not
// move x to the heap.
//
//go:noinline
func boxed[T any](x T) unsafe.Pointer { return unsafe.Pointer(&x) }

// setKey sets the member name of v.
func (v *Value) setKey(k string) {
	if len(k) > maxInline {
		v.key, v.klen = boxed(k), big
		return
	}
	v.key, v.klen = dataOf(k), uint32(len(k))
}

func (v *Value) kind() Kind { return Kind(v.n >> kindShift) }

// text is Text for a non-nil v.
func (v *Value) text() string {
	if k := v.kind(); k == Array || k == Object {
		return ""
	}
	if v.n&big != 0 {
		return *(*string)(v.ptr)
	}
	return unsafe.String((*byte)(v.ptr), v.n&lenMask)
}

// kids returns an array's elements or an object's members, in document
// order; nil for anything else.
func (v *Value) kids() []Value {
	if k := v.kind(); k != Array && k != Object {
		return nil
	}
	if v.n&big != 0 {
		return *(*[]Value)(v.ptr)
	}
	return unsafe.Slice((*Value)(v.ptr), v.n&lenMask)
}

// keyText returns the member name of v.
func (v *Value) keyText() string {
	if v.klen&big != 0 {
		return *(*string)(v.key)
	}
	return unsafe.String((*byte)(v.key), v.klen)
}

// Kind reports the JSON type of v.
func (v *Value) Kind() Kind {
	if v == nil {
		return Absent
	}
	return v.kind()
}

// Text returns a string's contents, a number's literal as written
// ("1696263265.851898000" stays exactly that), "true", "false" or "null".
// It is empty for arrays, objects and Absent.
func (v *Value) Text() string {
	if v == nil {
		return ""
	}
	return v.text()
}

// Len reports the number of elements of an array or members of an object, and
// 0 for anything else.
func (v *Value) Len() int {
	if v == nil {
		return 0
	}
	if k := v.kind(); k != Array && k != Object {
		return 0
	}
	if v.n&big != 0 {
		return len(*(*[]Value)(v.ptr))
	}
	return int(v.n & lenMask)
}

// Elem returns the i-th element of an array, or nil when v is not an array or
// i is out of range.
func (v *Value) Elem(i int) *Value {
	if v == nil || v.kind() != Array {
		return nil
	}
	kids := v.kids()
	if i < 0 || i >= len(kids) {
		return nil
	}
	return &kids[i]
}

// Get returns the member named key of an object, or nil when v is not an
// object or has no such member. Parse keeps one member per key, with the
// last value given, as encoding/json and JavaScript do.
func (v *Value) Get(key string) *Value {
	if v == nil || v.kind() != Object {
		return nil
	}
	if v.n&big != 0 || len(key) > maxInline {
		return v.getSlow(key)
	}
	count := v.n & lenMask
	if count == 0 {
		return nil
	}
	// Objects in events are small; a backwards linear scan beats hashing. A key this short is inline in any
	// member that has it; the length and first byte tell most keys apart
	// before a full comparison. The scan walks a pointer: indexing by a
	// 24-byte stride would cost a multiplication per member.
	n := uint32(len(key))
	first := (*Value)(v.ptr)
	m := (*Value)(unsafe.Add(v.ptr, uintptr(count-1)*unsafe.Sizeof(Value{})))
	for {
		if m.klen == n && (n == 0 || *(*byte)(m.key) == key[0]) && unsafe.String((*byte)(m.key), n) == key {
			return m
		}
		if m == first {
			return nil
		}
		m = (*Value)(unsafe.Add(unsafe.Pointer(m), -int(unsafe.Sizeof(Value{}))))
	}
}

// getSlow is Get for a big object or key.
func (v *Value) getSlow(key string) *Value {
	kids := v.kids()
	for i := len(kids) - 1; i >= 0; i-- {
		if kids[i].keyText() == key {
			return &kids[i]
		}
	}
	return nil
}

// Member returns the key and value of the i-th member of an object in
// document order. It panics when i is out of range, like a slice index.
func (v *Value) Member(i int) (string, *Value) {
	m := &v.kids()[i]
	return m.keyText(), m
}

// AppendJSON appends v as compact JSON to dst. Member order and number
// literals are kept as parsed. An Absent value appends null.
func (v *Value) AppendJSON(dst []byte) []byte {
	switch v.Kind() {
	case Absent:
		return append(dst, "null"...)
	case String:
		return AppendQuoted(dst, v.text())
	case Array:
		dst = append(dst, '[')
		kids := v.kids()
		for i := range kids {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = kids[i].AppendJSON(dst)
		}
		return append(dst, ']')
	case Object:
		dst = append(dst, '{')
		kids := v.kids()
		for i := range kids {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendQuoted(dst, kids[i].keyText())
			dst = append(dst, ':')
			dst = kids[i].AppendJSON(dst)
		}
		return append(dst, '}')
	default:
		return append(dst, v.text()...)
	}
}

// Any returns v as the plain Go values encoding/json decodes into with
// UseNumber: map[string]any, []any, string, json.Number (the literal as
// written), bool, or nil for null and Absent.
func (v *Value) Any() any {
	switch v.Kind() {
	case String:
		return v.text()
	case Number:
		return json.Number(v.text())
	case Bool:
		return v.text() == "true"
	case Array:
		kids := v.kids()
		a := make([]any, len(kids))
		for i := range kids {
			a[i] = kids[i].Any()
		}
		return a
	case Object:
		kids := v.kids()
		m := make(map[string]any, len(kids))
		for i := range kids {
			m[kids[i].keyText()] = kids[i].Any()
		}
		return m
	}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (v *Value) MarshalJSON() ([]byte, error) {
	return v.AppendJSON(nil), nil
}
