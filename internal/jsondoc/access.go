package jsondoc

import (
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"slices"
	"strconv"
)

// The accessors below take either a *Value or a JSON-like Go value: nil,
// bool, string, json.Number, the integer and float types, map[string]any,
// map[string]string, []any, []string and []map[string]any. Any other Go value
// (a struct, a typed map) is first turned into a *Value through
// encoding/json, which costs allocations but gives it the JSON meaning its
// json tags say. Walking into children never allocates for the listed types.

// KindOf reports the JSON type of x.
func KindOf(x any) Kind {
	switch x := x.(type) {
	case *Value:
		return x.Kind()
	case nil:
		return Null
	case bool:
		return Bool
	case string:
		return String
	case json.Number, float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return Number
	case map[string]any, map[string]string:
		return Object
	case []any, []string, []map[string]any:
		return Array
	}
	return KindOf(Normalize(x))
}

// Normalize returns x unchanged when the accessors understand it directly,
// and otherwise its encoding/json form parsed into a *Value (nil, which is
// Absent, when it has none).
func Normalize(x any) any {
	switch x.(type) {
	case *Value, nil, bool, string, json.Number, float64, float32, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64, map[string]any, map[string]string, []any, []string, []map[string]any:
		return x
	}
	b, err := json.Marshal(x)
	if err != nil {
		return (*Value)(nil)
	}
	v, err := Parse(b)
	if err != nil {
		return (*Value)(nil)
	}
	return v
}

// Field returns the member key of the object x.
func Field(x any, key string) (any, bool) {
	switch x := x.(type) {
	case *Value:
		if c := x.Get(key); c != nil {
			return c, true
		}
	case map[string]any:
		c, ok := x[key]
		if ok {
			return Normalize(c), true
		}
	case map[string]string:
		c, ok := x[key]
		if ok {
			return c, true
		}
	case nil, bool, string, json.Number, float64, []any, []string:
	default:
		if n := Normalize(x); n != x {
			return Field(n, key)
		}
	}
	return nil, false
}

// Elem returns the i-th element of the array x.
func Elem(x any, i int) (any, bool) {
	if i < 0 {
		return nil, false
	}
	switch x := x.(type) {
	case *Value:
		if c := x.Elem(i); c != nil {
			return c, true
		}
	case []any:
		if i < len(x) {
			return Normalize(x[i]), true
		}
	case []string:
		if i < len(x) {
			return x[i], true
		}
	case []map[string]any:
		if i < len(x) {
			return x[i], true
		}
	case nil, bool, string, json.Number, float64, map[string]any, map[string]string:
	default:
		if n := Normalize(x); n != x {
			return Elem(n, i)
		}
	}
	return nil, false
}

// Len reports the number of elements of an array or members of an object,
// and 0 for anything else.
func Len(x any) int {
	switch x := x.(type) {
	case *Value:
		return x.Len()
	case []any:
		return len(x)
	case []string:
		return len(x)
	case []map[string]any:
		return len(x)
	case map[string]any:
		return len(x)
	case map[string]string:
		return len(x)
	case nil, bool, string, json.Number, float64:
		return 0
	}
	if n := Normalize(x); n != x {
		return Len(n)
	}
	return 0
}

// Members yields the members of the object x: in document order for a
// *Value, in sorted key order for a Go map, so output is deterministic.
func Members(x any) iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		switch x := x.(type) {
		case *Value:
			if x.Kind() != Object {
				return
			}
			kids := x.kids()
			for i := range kids {
				if !yield(kids[i].keyText(), &kids[i]) {
					return
				}
			}
		case map[string]any:
			for _, k := range sortedKeys(x) {
				if !yield(k, Normalize(x[k])) {
					return
				}
			}
		case map[string]string:
			for _, k := range sortedKeys(x) {
				if !yield(k, x[k]) {
					return
				}
			}
		case nil, bool, string, json.Number, float64, []any, []string, []map[string]any:
		default:
			if n := Normalize(x); n != x {
				Members(n)(yield)
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Str returns the value of the string x.
func Str(x any) (string, bool) {
	switch x := x.(type) {
	case *Value:
		if x.Kind() == String {
			return x.text(), true
		}
	case string:
		return x, true
	}
	return "", false
}

// Boolean returns the value of the boolean x.
func Boolean(x any) (bool, bool) {
	switch x := x.(type) {
	case *Value:
		if x.Kind() == Bool {
			return x.text() == "true", true
		}
	case bool:
		return x, true
	}
	return false, false
}

// Float returns the number x as a float64.
func Float(x any) (float64, bool) {
	switch x := x.(type) {
	case *Value:
		if x.Kind() == Number {
			f, err := strconv.ParseFloat(x.text(), 64)
			return f, err == nil || isRangeErr(err)
		}
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil || isRangeErr(err)
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// NumberText returns the number x as JSON literal text. A *Value and a
// json.Number keep the literal exactly as written.
func NumberText(x any) (string, bool) {
	switch x := x.(type) {
	case *Value:
		if x.Kind() == Number {
			return x.text(), true
		}
		return "", false
	case json.Number:
		return string(x), true
	}
	f, ok := Float(x)
	if !ok {
		return "", false
	}
	return string(appendFloat(nil, x, f)), true
}

// appendFloat formats a Go number the way encoding/json does: integers in
// full, other floats in the shortest form that reads back the same.
func appendFloat(dst []byte, x any, f float64) []byte {
	switch x := x.(type) {
	case int:
		return strconv.AppendInt(dst, int64(x), 10)
	case int8:
		return strconv.AppendInt(dst, int64(x), 10)
	case int16:
		return strconv.AppendInt(dst, int64(x), 10)
	case int32:
		return strconv.AppendInt(dst, int64(x), 10)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10)
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10)
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10)
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10)
	case uint64:
		return strconv.AppendUint(dst, x, 10)
	}
	bits := 64
	if _, ok := x.(float32); ok {
		bits = 32
	}
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		dst = strconv.AppendFloat(dst, f, 'e', -1, bits)
		// Like encoding/json: 1e-07 becomes 1e-7.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
		return dst
	}
	return strconv.AppendFloat(dst, f, 'f', -1, bits)
}

// validNumber reports whether s is a JSON number literal.
func validNumber(s string) bool {
	p := parser{src: s}
	_, err := p.number()
	return err == nil && p.pos == len(s)
}

// AppendText appends x as text: a string's contents unescaped, a number's
// literal, true or false; null and Absent append nothing; arrays and objects
// append their compact JSON.
func AppendText(dst []byte, x any) []byte {
	switch x := x.(type) {
	case *Value:
		switch x.Kind() {
		case Absent, Null:
			return dst
		case Array, Object:
			return x.AppendJSON(dst)
		}
		return append(dst, x.text()...)
	case nil:
		return dst
	case string:
		return append(dst, x...)
	case bool:
		return strconv.AppendBool(dst, x)
	case json.Number:
		return append(dst, x...)
	}
	if f, ok := Float(x); ok {
		return appendFloat(dst, x, f)
	}
	out, err := AppendJSON(dst, x)
	if err != nil {
		return dst
	}
	return out
}

// AppendJSON appends x as compact JSON. Strings are escaped as AppendQuoted
// does; a Go map's members come in sorted key order. The error is
// encoding/json's, for a Go value it cannot encode (a NaN, a channel).
func AppendJSON(dst []byte, x any) ([]byte, error) {
	switch x := x.(type) {
	case *Value:
		return x.AppendJSON(dst), nil
	case nil:
		return append(dst, "null"...), nil
	case string:
		return AppendQuoted(dst, x), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case json.Number:
		if x == "" {
			return append(dst, '0'), nil
		}
		if !validNumber(string(x)) {
			return dst, fmt.Errorf("jsondoc: invalid number literal %q", string(x))
		}
		return append(dst, x...), nil
	case map[string]any:
		dst = append(dst, '{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendQuoted(dst, k)
			dst = append(dst, ':')
			var err error
			if dst, err = AppendJSON(dst, x[k]); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case map[string]string:
		dst = append(dst, '{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendQuoted(dst, k)
			dst = append(dst, ':')
			dst = AppendQuoted(dst, x[k])
		}
		return append(dst, '}'), nil
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = AppendJSON(dst, e); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case []string:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendQuoted(dst, e)
		}
		return append(dst, ']'), nil
	}
	if f, ok := Float(x); ok {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return dst, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, 64)}
		}
		return appendFloat(dst, x, f), nil
	}
	b, err := json.Marshal(x)
	if err != nil {
		return dst, err
	}
	// Re-encode so that strings get the same escaping as everywhere else.
	v, err := Parse(b)
	if err != nil {
		return dst, err
	}
	return v.AppendJSON(dst), nil
}
