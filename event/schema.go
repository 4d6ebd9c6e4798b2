package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// SchemaField describes one field of an event. Path names it with dots
// between members and [] for "every element of an array":
// "data.access_groups[].integration.name". A last segment of * stands for any
// member of an open object, such as "data.custom_fields.*".
type SchemaField struct {
	Path        string `json:"path"`
	Type        string `json:"type"` // "string", "number", "boolean", "object", "array" or "any"
	Nullable    bool   `json:"nullable,omitempty"`
	Description string `json:"description"`
}

// Schema is the list of fields an event type has: what "View payload
// schema" shows, and what the template and filter packages check field
// references against (it implements template.Schema and filter.Schema). A
// Schema is immutable and safe for concurrent use.
type Schema struct {
	fields []SchemaField
	index  map[string]int
}

// ErrInvalidSchema is wrapped by every *SchemaError.
var ErrInvalidSchema = errors.New("invalid schema")

// SchemaError reports a field NewSchema cannot accept.
type SchemaError struct {
	Path string
	Msg  string
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("event: schema field %q: %s", e.Path, e.Msg)
}

func (e *SchemaError) Unwrap() error { return ErrInvalidSchema }

var schemaTypes = map[string]bool{"string": true, "number": true, "boolean": true, "object": true, "array": true, "any": true}

// NewSchema builds a schema for an event type of the service's own. Every
// field's parent must come before it with type object (or array, for a
// segment ending in []), paths must be unique, and types must be one of
// those SchemaField lists. Every error is a *SchemaError.
//
// Any event may carry an event_id (see WithID), so a schema whose fields
// do not list it gets IDField, beside event_type and event_time: templates
// and filters may use it whatever the event type.
func NewSchema(fields ...SchemaField) (*Schema, error) {
	s := &Schema{fields: make([]SchemaField, 0, len(fields)+1), index: make(map[string]int, len(fields)+1)}
	for _, f := range fields {
		if err := s.add(f); err != nil {
			return nil, err
		}
	}
	if _, listed := s.index[IDField.Path]; !listed {
		s.insertID()
	}
	return s, nil
}

// insertID lists IDField beside the envelope's other fields: after
// event_time, or event_type, or else first.
func (s *Schema) insertID() {
	at := 0
	for _, name := range []string{"event_type", "event_time"} {
		if i, ok := s.index[name]; ok {
			at = max(at, i+1)
		}
	}
	s.fields = slices.Insert(s.fields, at, IDField)
	for i, f := range s.fields[at:] {
		s.index[f.Path] = at + i
	}
}

// IDField is the schema field of event_id, which every event may carry.
// It is empty (missing) in an event published without one.
var IDField = SchemaField{
	Path: "event_id", Type: "string", Nullable: true,
	Description: "The event's id, when its publisher gave one; its deliveries' webhook-id derives from it.",
}

func (s *Schema) add(f SchemaField) error {
	if f.Path == "" || strings.HasPrefix(f.Path, ".") || strings.HasSuffix(f.Path, ".") || strings.Contains(f.Path, "..") {
		return &SchemaError{Path: f.Path, Msg: "want dot-separated names"}
	}
	if !schemaTypes[f.Type] {
		return &SchemaError{Path: f.Path, Msg: fmt.Sprintf("unknown type %q", f.Type)}
	}
	if _, dup := s.index[f.Path]; dup {
		return &SchemaError{Path: f.Path, Msg: "listed twice"}
	}
	if parent, ok := parentPath(f.Path); ok {
		i, found := s.index[parent]
		want := "object"
		if strings.HasSuffix(f.Path, "[]") {
			want = "array"
		}
		if !found {
			return &SchemaError{Path: f.Path, Msg: fmt.Sprintf("its parent %q must be listed before it", parent)}
		}
		if got := s.fields[i].Type; got != want && got != "any" {
			return &SchemaError{Path: f.Path, Msg: fmt.Sprintf("its parent %q is %s, not %s", parent, got, want)}
		}
	}
	s.index[f.Path] = len(s.fields)
	s.fields = append(s.fields, f)
	return nil
}

// parentPath returns the path one level up: "a.b[]" for "a.b[].c", "a.b"
// for "a.b[]", and false for a top-level name.
func parentPath(path string) (string, bool) {
	if p, ok := strings.CutSuffix(path, "[]"); ok {
		return p, true
	}
	i := strings.LastIndexByte(path, '.')
	if i < 0 {
		return "", false
	}
	return path[:i], true
}

// Fields returns the fields in schema order, parents before children. The
// slice is the caller's to keep.
func (s *Schema) Fields() []SchemaField {
	return append([]SchemaField(nil), s.fields...)
}

// Field returns the field a path names, with array indexes ("[0]") read as
// [] and any member of an open object matched by its * field.
func (s *Schema) Field(path string) (SchemaField, bool) {
	path = normalizeIndexes(path)
	if i, ok := s.index[path]; ok {
		return s.fields[i], true
	}
	parent, ok := parentPath(path)
	if !ok {
		return SchemaField{}, false
	}
	// Any member of an open object exists...
	if !strings.HasSuffix(path, "[]") {
		if i, ok := s.index[parent+".*"]; ok {
			return s.fields[i], true
		}
	}
	// ...and so does anything below a field of type any.
	if pf, ok := s.Field(parent); ok && pf.Type == "any" {
		return SchemaField{Path: path, Type: "any"}, true
	}
	return SchemaField{}, false
}

// quotedMember stands for a member written ["name"], a name that may hold
// dots: no field is listed under it, so it exists only where any member
// does (an open object's *, or below a field of type any).
const quotedMember = "\x00"

// normalizeIndexes turns "a[0].b" and "a.[0].b" into "a[].b", and
// a["x.y"].b into a member segment that only a * field matches.
func normalizeIndexes(path string) string {
	if !strings.Contains(path, "[") {
		return path
	}
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		if strings.HasPrefix(path[i:], `["`) {
			if j := strings.Index(path[i+2:], `"]`); j >= 0 {
				b.WriteString("." + quotedMember)
				i += j + 3
				continue
			}
		}
		if path[i] == '[' {
			if j := strings.IndexByte(path[i:], ']'); j > 0 && allDigits(path[i+1:i+j]) {
				s := b.String()
				if strings.HasSuffix(s, ".") {
					b.Reset()
					b.WriteString(s[:len(s)-1])
				}
				b.WriteString("[]")
				i += j
				continue
			}
		}
		b.WriteByte(path[i])
	}
	return b.String()
}

// Lookup reports whether path names a field, and its type. It is the method
// through which the template and filter packages check references.
func (s *Schema) Lookup(path string) (jsonType string, ok bool) {
	f, ok := s.Field(path)
	return f.Type, ok
}

// Paths lists every field's path in schema order.
func (s *Schema) Paths() []string {
	out := make([]string, len(s.fields))
	for i, f := range s.fields {
		out[i] = f.Path
	}
	return out
}

// WriteText writes the schema as an aligned table, one field a line: what a
// person reads on "View payload schema".
func (s *Schema) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tTYPE\tDESCRIPTION")
	for _, f := range s.fields {
		typ := f.Type
		if f.Nullable {
			typ += " or null"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Path, typ, f.Description)
	}
	return tw.Flush()
}

// MarshalJSON writes {"fields": [...]}, the form to serve to a user
// interface.
func (s *Schema) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Fields []SchemaField `json:"fields"`
	}{s.fields})
}

// UnmarshalJSON reads what MarshalJSON writes, with NewSchema's checks.
func (s *Schema) UnmarshalJSON(b []byte) error {
	var in struct {
		Fields []SchemaField `json:"fields"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	parsed, err := NewSchema(in.Fields...)
	if err != nil {
		return err
	}
	*s = *parsed
	return nil
}
