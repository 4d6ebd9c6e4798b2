// Package jsonfield tells which field of a struct a JSON object key
// decodes into, as encoding/json matches keys: an exact name first, else
// one equal under case folding. Decoders that refuse keys encoding/json
// would take in another case use it to name the field meant, and
// TypeName to say what JSON the field takes.
package jsonfield

import (
	"reflect"
	"strings"
)

// Of returns the field of struct t that key decodes into (nil when none),
// and whether key spells its name exactly. Fields of embedded structs
// without a JSON name count as t's own.
func Of(t reflect.Type, key string) (*reflect.StructField, bool) {
	var folded *reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		name := Name(f)
		if f.Anonymous && f.Tag.Get("json") == "" && f.Type.Kind() == reflect.Struct {
			inner, exact := Of(f.Type, key)
			if exact {
				return inner, true
			}
			if folded == nil {
				folded = inner
			}
			continue
		}
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == key {
			return &f, true
		}
		if folded == nil && strings.EqualFold(name, key) {
			folded = &f
		}
	}
	return folded, false
}

// Name is the key of a struct field in JSON.
func Name(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

// TypeName says what JSON a Go type takes, for a decoder's message ("must
// be an integer"): a pointer takes what it points to.
func TypeName(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another type"
}
