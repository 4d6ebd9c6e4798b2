// Package schematest checks an event kind's schema against its events, for
// the tests of the packages that define kinds.
package schematest

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/outhook/outhook/event"
)

// Covers fails t unless s and events agree: every path that occurs in an
// event is in s with the JSON type found there (null only where the field
// is nullable or of type any), every path s lists occurs in some event, and every field
// has a type and a description written as a sentence.
func Covers(t testing.TB, s *event.Schema, events ...*event.Event) {
	t.Helper()
	seen := map[string]map[string]bool{}
	for _, e := range events {
		d := json.NewDecoder(bytes.NewReader(e.JSON()))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatalf("schematest: %s: %v", e.Type(), err)
		}
		walk("", v, seen)
	}
	matched := map[string]bool{}
	for path, types := range seen {
		f, ok := s.Field(path)
		if !ok {
			t.Errorf("schematest: %s occurs in an event but not in the schema", path)
			continue
		}
		matched[f.Path] = true
		for typ := range types {
			switch {
			case typ == "null" && !f.Nullable && f.Type != "any":
				t.Errorf("schematest: %s is null in an event but not nullable in the schema", path)
			case typ != "null" && f.Type != "any" && f.Type != typ:
				t.Errorf("schematest: %s is %s in an event, %s in the schema", path, typ, f.Type)
			}
		}
	}
	for _, f := range s.Fields() {
		if !matched[f.Path] && f.Path != event.IDField.Path { // the envelope's, optional in every kind
			t.Errorf("schematest: the schema lists %s, which no event has", f.Path)
		}
		if f.Type == "" || !strings.HasSuffix(f.Description, ".") {
			t.Errorf("schematest: %s wants a type and a description ending in a full stop, has %q %q", f.Path, f.Type, f.Description)
		}
	}
}

// walk records every path in a decoded JSON value in the schema's
// notation, with the JSON types found there.
func walk(prefix string, v any, out map[string]map[string]bool) {
	add := func(typ string) {
		if out[prefix] == nil {
			out[prefix] = map[string]bool{}
		}
		out[prefix][typ] = true
	}
	switch v := v.(type) {
	case map[string]any:
		if prefix != "" {
			add("object")
		}
		for k, c := range v {
			if prefix == "" {
				walk(k, c, out)
			} else {
				walk(prefix+"."+k, c, out)
			}
		}
	case []any:
		add("array")
		for _, c := range v {
			walk(prefix+"[]", c, out)
		}
	case string:
		add("string")
	case json.Number:
		add("number")
	case bool:
		add("boolean")
	case nil:
		add("null")
	}
}
