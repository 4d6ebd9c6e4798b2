package webhook_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// walkPaths records every path in a decoded JSON value in the schema's
// notation, with the JSON type found there.
func walkPaths(prefix string, v any, out map[string]map[string]bool) {
	add := func(typ string) {
		if out[prefix] == nil {
			out[prefix] = map[string]bool{}
		}
		out[prefix][typ] = true
	}
	join := func(name string) string {
		if prefix == "" {
			return name
		}
		return prefix + "." + name
	}
	switch v := v.(type) {
	case map[string]any:
		if prefix != "" {
			add("object")
		}
		for k, c := range v {
			walkPaths(join(k), c, out)
		}
	case []any:
		add("array")
		for _, c := range v {
			walkPaths(prefix+"[]", c, out)
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

func TestSchemaMatchesSampleEvents(t *testing.T) {
	schema := webhook.AccessRequestSchema()
	seen := map[string]map[string]bool{}
	for _, raw := range sampleEvents(t) {
		walkPaths("", decodeExact(t, raw), seen)
	}

	// Every path that occurs is in the schema, with the type found there.
	matched := map[string]bool{}
	for path, types := range seen {
		f, ok := schema.Field(path)
		require.True(t, ok, "path %s occurs in an event but not in the schema", path)
		matched[f.Path] = true
		for typ := range types {
			if typ == "null" {
				require.True(t, f.Nullable, "%s is null in an event but not nullable in the schema", path)
				continue
			}
			require.Equal(t, f.Type, typ, "type of %s", path)
		}
	}
	// Every path the schema lists occurs somewhere.
	for _, p := range schema.Paths() {
		require.True(t, matched[p], "schema lists %s, which no event has", p)
	}
}

func TestSchemaLookup(t *testing.T) {
	s := webhook.AccessRequestSchema()
	tests := []struct {
		path string
		typ  string
		ok   bool
	}{
		{"data.requester.name", "string", true},
		{"data.access_groups[].access_units[].permission.name", "string", true},
		{"data.access_groups[0].integration.name", "string", true},
		{"data.access_groups.[0].integration.name", "string", true},
		{"data.access_groups[]", "object", true},
		{"data.access_groups", "array", true},
		{"data.revocation_date", "number", true},
		{"data.custom_fields.environment", "string", true},
		{"data.custom_fields.anything_at_all", "string", true},
		{"data.custom_fields.environment.deeper", "", false},
		{`data.custom_fields["team.name"]`, "string", true},
		{`data["requester"].name`, "", false},
		{"data.custom_fields[]", "", false},
		{"data.requestor.name", "", false},
		{"data.requester.name.first", "", false},
		{"event_id", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		typ, ok := s.Lookup(tt.path)
		require.Equal(t, tt.ok, ok, tt.path)
		require.Equal(t, tt.typ, typ, tt.path)
	}
	f, ok := s.Field("data.revocation_date")
	require.True(t, ok)
	require.True(t, f.Nullable)
	require.NotEmpty(t, f.Description)
	for _, f := range s.Fields() {
		require.NotEmpty(t, f.Description, f.Path)
		require.True(t, strings.HasSuffix(f.Description, "."), "%s: descriptions are sentences", f.Path)
	}
}

func TestNewSchemaErrors(t *testing.T) {
	tests := []struct {
		name   string
		fields []webhook.SchemaField
		path   string
		msg    string
	}{
		{"bad type", []webhook.SchemaField{{Path: "a", Type: "int"}}, "a", `unknown type "int"`},
		{"orphan", []webhook.SchemaField{{Path: "a.b", Type: "string"}}, "a.b", `parent "a" must be listed before it`},
		{"parent not object", []webhook.SchemaField{{Path: "a", Type: "string"}, {Path: "a.b", Type: "string"}}, "a.b", `parent "a" is string, not object`},
		{"element of non-array", []webhook.SchemaField{{Path: "a", Type: "object"}, {Path: "a[]", Type: "string"}}, "a[]", `parent "a" is object, not array`},
		{"duplicate", []webhook.SchemaField{{Path: "a", Type: "string"}, {Path: "a", Type: "string"}}, "a", "listed twice"},
		{"empty segment", []webhook.SchemaField{{Path: "a..b", Type: "string"}}, "a..b", "dot-separated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := webhook.NewSchema(tt.fields...)
			var se *webhook.SchemaError
			require.ErrorAs(t, err, &se)
			require.ErrorIs(t, err, webhook.ErrInvalidSchema)
			require.Equal(t, tt.path, se.Path)
			require.Contains(t, se.Msg, tt.msg)
		})
	}
}

func TestSchemaOfOwnEventTypeWithAnyField(t *testing.T) {
	s, err := webhook.NewSchema(
		webhook.SchemaField{Path: "event_type", Type: "string", Description: "Kind."},
		webhook.SchemaField{Path: "data", Type: "object", Description: "Payload."},
		webhook.SchemaField{Path: "data.extra", Type: "any", Description: "Anything."},
	)
	require.NoError(t, err)
	typ, ok := s.Lookup("data.extra.deep[3].x")
	require.True(t, ok)
	require.Equal(t, "any", typ)
	_, ok = s.Lookup("data.other")
	require.False(t, ok)
}

func TestSchemaJSONRoundTrip(t *testing.T) {
	b, err := json.Marshal(webhook.AccessRequestSchema())
	require.NoError(t, err)
	var back webhook.Schema
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, webhook.AccessRequestSchema().Fields(), back.Fields())
	require.Error(t, json.Unmarshal([]byte(`{"fields":[{"path":"a.b","type":"string"}]}`), &back))
}

func TestSchemaWriteText(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, webhook.AccessRequestSchema().WriteText(&buf))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, len(webhook.AccessRequestSchema().Fields())+1)
	require.Regexp(t, `^data\.revocation_date\s+number or null\s+When the access ends`, findLine(lines, "data.revocation_date "))
}

func findLine(lines []string, prefix string) string {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

func ExampleAccessRequestSchema() {
	schema := webhook.AccessRequestSchema()
	for _, path := range []string{"data.requester.email", "data.access_groups[].integration.type", "data.revocation_date", "data.requestor.name"} {
		f, ok := schema.Field(path)
		if !ok {
			fmt.Printf("%s: no such field\n", path)
			continue
		}
		fmt.Printf("%s: %s (nullable %v) %s\n", f.Path, f.Type, f.Nullable, f.Description)
	}
	// Output:
	// data.requester.email: string (nullable false) Email address of the requester.
	// data.access_groups[].integration.type: string (nullable false) Kind of integration, such as Postgresql, AWS or Kubernetes.
	// data.revocation_date: number (nullable true) When the access ends or ended, in epoch seconds; null while unknown.
	// data.requestor.name: no such field
}

func ExampleSchema_WriteText() {
	s, _ := webhook.NewSchema(
		webhook.SchemaField{Path: "event_type", Type: "string", Description: "What happened."},
		webhook.SchemaField{Path: "data", Type: "object", Description: "The invoice."},
		webhook.SchemaField{Path: "data.amount", Type: "number", Description: "Total in cents."},
		webhook.SchemaField{Path: "data.paid_at", Type: "number", Nullable: true, Description: "When it was paid."},
	)
	_ = s.WriteText(os.Stdout)
	// Output:
	// PATH          TYPE            DESCRIPTION
	// event_type    string          What happened.
	// data          object          The invoice.
	// data.amount   number          Total in cents.
	// data.paid_at  number or null  When it was paid.
}
