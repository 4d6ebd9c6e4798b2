package webhook

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/internal/jsonfield"
)

// encoding/json matches object keys to struct fields without regard to
// case, so "Name" or "URL" would load as name and url. A definition file is
// written by people and read by other tools that do care about case, so a
// key that differs from its field only in case is reported, like a
// misspelt one.

// keyCaseError is a key that matches a field's name only without regard to
// case.
type keyCaseError struct{ key, field string }

func (e *keyCaseError) Error() string {
	return fmt.Sprintf("json: unknown field %q (field names are case-sensitive: did you mean %q?)", e.key, e.field)
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// checkKeyCase walks v, a decoded document, beside t, the type it was
// decoded into, and reports the first object key that names a field of a
// struct only without regard to case. Types that decode themselves check
// their own keys.
func checkKeyCase(v *jsondoc.Value, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	switch {
	case t.Kind() == reflect.Struct && v.Kind() == jsondoc.Object:
		for i := range v.Len() {
			key, child := v.Member(i)
			field, exact := jsonfield.Of(t, key)
			if field == nil {
				continue // unknown fields are encoding/json's to report
			}
			if !exact {
				return &keyCaseError{key: key, field: jsonfield.Name(*field)}
			}
			if err := checkKeyCase(child, field.Type); err != nil {
				return err
			}
		}
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && v.Kind() == jsondoc.Array:
		for i := range v.Len() {
			if err := checkKeyCase(v.Elem(i), t.Elem()); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Map && v.Kind() == jsondoc.Object:
		for i := range v.Len() {
			_, child := v.Member(i)
			if err := checkKeyCase(child, t.Elem()); err != nil {
				return err
			}
		}
	}
	return nil
}
