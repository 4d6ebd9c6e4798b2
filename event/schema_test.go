package event_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/stretchr/testify/require"
)

func TestSchemaLookup(t *testing.T) {
	s := accessrequest.Schema()
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
		{"event_id", "string", true},
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
		fields []event.SchemaField
		path   string
		msg    string
	}{
		{"bad type", []event.SchemaField{{Path: "a", Type: "int"}}, "a", `unknown type "int"`},
		{"orphan", []event.SchemaField{{Path: "a.b", Type: "string"}}, "a.b", `parent "a" must be listed before it`},
		{"parent not object", []event.SchemaField{{Path: "a", Type: "string"}, {Path: "a.b", Type: "string"}}, "a.b", `parent "a" is string, not object`},
		{"element of non-array", []event.SchemaField{{Path: "a", Type: "object"}, {Path: "a[]", Type: "string"}}, "a[]", `parent "a" is object, not array`},
		{"duplicate", []event.SchemaField{{Path: "a", Type: "string"}, {Path: "a", Type: "string"}}, "a", "listed twice"},
		{"empty segment", []event.SchemaField{{Path: "a..b", Type: "string"}}, "a..b", "dot-separated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := event.NewSchema(tt.fields...)
			var se *event.SchemaError
			require.ErrorAs(t, err, &se)
			require.ErrorIs(t, err, event.ErrInvalidSchema)
			require.Equal(t, tt.path, se.Path)
			require.Contains(t, se.Msg, tt.msg)
		})
	}
}

func TestSchemaOfOwnEventTypeWithAnyField(t *testing.T) {
	s, err := event.NewSchema(
		event.SchemaField{Path: "event_type", Type: "string", Description: "Kind."},
		event.SchemaField{Path: "data", Type: "object", Description: "Payload."},
		event.SchemaField{Path: "data.extra", Type: "any", Description: "Anything."},
	)
	require.NoError(t, err)
	typ, ok := s.Lookup("data.extra.deep[3].x")
	require.True(t, ok)
	require.Equal(t, "any", typ)
	_, ok = s.Lookup("data.other")
	require.False(t, ok)
}

func TestSchemaJSONRoundTrip(t *testing.T) {
	b, err := json.Marshal(accessrequest.Schema())
	require.NoError(t, err)
	var back event.Schema
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, accessrequest.Schema().Fields(), back.Fields())
	require.Error(t, json.Unmarshal([]byte(`{"fields":[{"path":"a.b","type":"string"}]}`), &back))
}

func TestSchemaWriteText(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, accessrequest.Schema().WriteText(&buf))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, len(accessrequest.Schema().Fields())+1)
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

func ExampleSchema_WriteText() {
	s, _ := event.NewSchema(
		event.SchemaField{Path: "event_type", Type: "string", Description: "What happened."},
		event.SchemaField{Path: "data", Type: "object", Description: "The invoice."},
		event.SchemaField{Path: "data.amount", Type: "number", Description: "Total in cents."},
		event.SchemaField{Path: "data.paid_at", Type: "number", Nullable: true, Description: "When it was paid."},
	)
	_ = s.WriteText(os.Stdout)
	// Output:
	// PATH          TYPE            DESCRIPTION
	// event_type    string          What happened.
	// event_id      string or null  The event's id, when its publisher gave one; its deliveries' webhook-id derives from it.
	// data          object          The invoice.
	// data.amount   number          Total in cents.
	// data.paid_at  number or null  When it was paid.
}
