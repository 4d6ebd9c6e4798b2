// Package jsonfield tells which field of a struct a JSON object key
// decodes into, as encoding/json matches keys: an exact name first, else
// one equal under case folding. Decoders that refuse keys encoding/json
// would take in another case use it to name the field meant.
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
