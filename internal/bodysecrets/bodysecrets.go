// Package bodysecrets lets a body template refer to a webhook's named
// secrets as secrets.<name>, beside the event's own fields: the data a
// body renders over, which holds a stand-in for each secret (see
// Secrets), the substitution of the values for the stand-ins, and the
// schema a body is checked against.
package bodysecrets

import (
	"maps"
	"slices"
	"strings"

	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/template"
)

// Root is the name under which a template finds the secrets.
const Root = "secrets"

// Values holds what a template reads as secrets.<name>: the markers of
// a webhook's secrets (see Secrets.Markers).
type Values map[string]any

// Data returns what a body renders over: doc itself without secrets, or
// else an object of doc's members and the secrets under Root, which hides
// a member of doc so named.
func (v Values) Data(doc any) any {
	if v == nil {
		return doc
	}
	root := make(map[string]any, jsondoc.Len(doc)+1)
	for name, value := range jsondoc.Members(doc) {
		root[name] = value
	}
	root[Root] = map[string]any(v)
	return root
}

// Schema returns base with the secrets named: Root is an object and each
// Root.<name> a string, and nothing else under Root is known. A nil base
// knows any other path, for events without a schema.
func Schema(base template.Schema, names []string) template.Schema {
	return &schema{base: base, names: slices.Sorted(slices.Values(names))}
}

// Shown returns Secrets holding mask as the value of each secret t
// refers to as secrets.<name>: what a preview, which knows no webhook's
// secrets, renders with. Nil when t names none.
func Shown(t *template.Template, mask string) *Secrets {
	var r referenced
	if t.Check(&r) != nil || len(r) == 0 {
		return nil
	}
	v := make(map[string]string, len(r))
	for _, name := range r {
		v[name] = mask
	}
	return Compile(v)
}

// referenced is a schema that knows every path and keeps the names of
// the secrets looked up.
type referenced []string

func (r *referenced) Lookup(path string) (string, bool) {
	path = strings.TrimPrefix(path, "@root.")
	if path == Root {
		return "object", true // "any" would know what is under it without a look
	}
	if name, ok := strings.CutPrefix(path, Root+"."); ok {
		*r = append(*r, name)
	}
	return "any", true
}

func (r *referenced) Paths() []string { return nil }

// Names returns the names of secrets in order.
func Names(secrets map[string]string) []string { return slices.Sorted(maps.Keys(secrets)) }

type schema struct {
	base  template.Schema
	names []string
}

func (s *schema) Lookup(path string) (string, bool) {
	if path == Root {
		return "object", true
	}
	if name, ok := strings.CutPrefix(path, Root+"."); ok {
		if _, found := slices.BinarySearch(s.names, name); found {
			return "string", true
		}
		return "", false
	}
	if s.base == nil {
		return "any", true
	}
	return s.base.Lookup(path)
}

func (s *schema) Paths() []string {
	var paths []string
	if s.base != nil {
		paths = s.base.Paths()
	}
	for _, name := range s.names {
		paths = append(paths, Root+"."+name)
	}
	return paths
}
