package webhook

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// invalidUTF8Fields returns the JSON paths of w's strings that are not
// valid UTF-8 (headers.X-Token, response_validators[1].expected_values[0]),
// in field order, map keys sorted. A definition is stored as JSON, which
// would put U+FFFD in place of each bad byte: stored, it would differ from
// the definition added. Only exported fields are read, and a filter,
// whose fields are not, is read as the form it was built from (one built
// in Go holds its operands as given), reported as filters alone.
// The body template and body secrets are left to their own checks,
// which say more: a template's line and column, a secret's rules.
func invalidUTF8Fields(w Webhook) []string {
	f := w.Filters
	w.BodyTemplate, w.Secrets, w.Filters = "", nil, nil
	var out []string
	walkUTF8(reflect.ValueOf(w), "", &out)
	if f != nil {
		var form any = f.Clause()
		if fs, ok := f.Filters(); ok {
			form = fs
		}
		var bad []string
		walkUTF8(reflect.ValueOf(form), "", &bad)
		if bad != nil {
			out = append(out, "filters")
			slices.SortStableFunc(out, func(a, b string) int { return fieldOrder(a) - fieldOrder(b) })
		}
	}
	return out
}

// fieldOrder is the position of path's top field in Webhook.
func fieldOrder(path string) int {
	top, _, _ := strings.Cut(path, ".")
	top, _, _ = strings.Cut(top, "[")
	t := reflect.TypeFor[Webhook]()
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name == top {
			return i
		}
	}
	return t.NumField()
}

func walkUTF8(v reflect.Value, path string, out *[]string) {
	switch v.Kind() {
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			*out = append(*out, path)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkUTF8(v.Elem(), path, out)
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return // bytes, not text
		}
		for i := range v.Len() {
			walkUTF8(v.Index(i), path+"["+strconv.Itoa(i)+"]", out)
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			name := k.String()
			if !utf8.ValidString(name) {
				*out = append(*out, path)
				continue
			}
			walkUTF8(v.MapIndex(k), join(path, name), out)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch name {
			case "-":
				continue
			case "":
				name = f.Name
			}
			walkUTF8(v.Field(i), join(path, name), out)
		}
	}
}
