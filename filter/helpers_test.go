package filter_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/jsondoc"
)

// representation decodes a JSON document the way one kind of caller does.
type representation struct {
	name   string
	decode func(testing.TB, []byte) any
}

var representations = []representation{
	{"jsondoc", func(t testing.TB, b []byte) any {
		v, err := jsondoc.Parse(b)
		require.NoError(t, err)
		return v
	}},
	{"map-number", func(t testing.TB, b []byte) any {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		require.NoError(t, dec.Decode(&v))
		return v
	}},
	{"map-float", func(t testing.TB, b []byte) any {
		var v any
		require.NoError(t, json.Unmarshal(b, &v))
		return v
	}},
}

// fixture returns the raw Apono event of a trigger: "created", "approved",
// "granted", "rejected", "expired" or "failed".
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "request-"+name+".json"))
	require.NoError(t, err)
	return b
}

var triggers = []string{"created", "approved", "granted", "rejected", "expired", "failed"}

// fixtureSchema is a Schema derived from the fixtures: every path they hold,
// with its JSON type, arrays stepped into with [], custom_fields open.
type fixtureSchema map[string]string

func newFixtureSchema(t testing.TB) fixtureSchema {
	s := fixtureSchema{}
	for _, name := range triggers {
		var v any
		dec := json.NewDecoder(bytes.NewReader(fixture(t, name)))
		dec.UseNumber()
		require.NoError(t, dec.Decode(&v))
		s.add("", v)
	}
	for p := range s {
		if strings.HasPrefix(p, "data.custom_fields.") {
			delete(s, p)
		}
	}
	s["data.revocation_date"] = "any"
	return s
}

func (s fixtureSchema) add(path string, v any) {
	typ := "null"
	switch v := v.(type) {
	case map[string]any:
		typ = "object"
		for k, c := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			s.add(p, c)
		}
	case []any:
		typ = "array"
		for _, c := range v {
			s.add(path+"[]", c)
		}
	case string:
		typ = "string"
	case json.Number:
		typ = "number"
	case bool:
		typ = "boolean"
	}
	if path != "" {
		if old, ok := s[path]; ok && old != typ {
			typ = "any"
		}
		s[path] = typ
	}
}

func (s fixtureSchema) Lookup(path string) (string, bool) {
	typ, ok := s[path]
	return typ, ok
}

func (s fixtureSchema) Paths() []string {
	out := make([]string, 0, len(s))
	for p := range s {
		out = append(out, p)
	}
	return out
}
