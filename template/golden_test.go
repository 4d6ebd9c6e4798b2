package template_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/template"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenEvents returns the events the published template shapes are
// rendered over: the webhook package's six mock events and testdata's
// hostile event, by name.
func goldenEvents(t *testing.T) map[string]any {
	t.Helper()
	events := make(map[string]any)
	for _, e := range accessrequest.Mocks() {
		events["mock-"+strings.ToLower(string(e.Type()))] = e.Document()
	}
	for _, name := range []string{"hostile", "request-created"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "events", name+".json"))
		require.NoError(t, err)
		doc, err := jsondoc.Parse(raw)
		require.NoError(t, err)
		events[name] = doc
	}
	return events
}

// TestGolden renders Apono's published template shapes (Torq, Okta
// Workflows, Teams adaptive card, Datadog escaped message, ServiceNow
// incident) over every event, compares with testdata/golden, and checks
// that every output is valid JSON whose strings decode back to the event's
// values.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "templates", "*.tmpl"))
	require.NoError(t, err)
	require.Len(t, files, 5)
	events := goldenEvents(t)
	for _, file := range files {
		src, err := os.ReadFile(file)
		require.NoError(t, err)
		name := strings.TrimSuffix(filepath.Base(file), ".tmpl")
		tmpl, err := template.Parse(string(src), template.WithName(name), template.WithStrict())
		require.NoError(t, err)
		for evName, ev := range events {
			t.Run(name+"/"+evName, func(t *testing.T) {
				got, err := tmpl.Append(nil, ev)
				require.NoError(t, err)
				require.True(t, json.Valid(got), "invalid JSON:\n%s", got)
				checkRoundTrip(t, name, got, ev)

				golden := filepath.Join("testdata", "golden", name+"."+evName+".json")
				if *update {
					require.NoError(t, os.WriteFile(golden, got, 0o644))
				}
				want, err := os.ReadFile(golden)
				require.NoError(t, err, "run go test -run TestGolden -update")
				require.Equal(t, string(want), string(got))
			})
		}
	}
}

// checkRoundTrip decodes the output and checks fields that copy a value.
func checkRoundTrip(t *testing.T, name string, out []byte, ev any) {
	t.Helper()
	var body map[string]any
	require.NoError(t, json.Unmarshal(out, &body))
	requester := text(t, ev, "data", "requester", "name")
	justification := text(t, ev, "data", "justification")
	switch name {
	case "torq":
		event := body["body"].(map[string]any)["event"]
		require.Equal(t, "New Apono "+text(t, ev, "event_type")+" request made by "+requester, event)
	case "okta-workflows":
		require.Equal(t, requester, body["requester_name"])
		require.Equal(t, justification, body["justification"])
		if jsondoc.KindOf(field(ev, "data", "revocation_date")) == jsondoc.Null {
			require.Nil(t, body["revocation_date"])
			require.Nil(t, body["revocation_time"])
		}
	case "datadog":
		// The message is a JSON document escaped inside a string: it
		// must decode too, back to the exact values.
		var inner map[string]any
		require.NoError(t, json.Unmarshal([]byte(body["text"].(string)), &inner), "inner document: %s", body["text"])
		require.Equal(t, requester, inner["requester"])
		require.Equal(t, justification, inner["justification"])
	case "servicenow":
		require.Equal(t, justification, body["description"])
		var who map[string]any
		require.NoError(t, json.Unmarshal([]byte(body["u_apono_request"].(string)), &who))
		require.Equal(t, requester, who["name"])
		var custom map[string]any
		require.NoError(t, json.Unmarshal([]byte(body["u_custom_fields"].(string)), &custom))
	case "teams-adaptive-card":
		card := body["attachments"].([]any)[0].(map[string]any)["content"].(map[string]any)
		facts := card["body"].([]any)[1].(map[string]any)["facts"].([]any)
		require.Equal(t, justification, facts[1].(map[string]any)["value"])
		require.Len(t, facts, 3+jsondoc.Len(field(ev, "data", "access_groups")))
	}
}

func field(v any, path ...string) any {
	for _, p := range path {
		v, _ = jsondoc.Field(v, p)
	}
	return v
}

func text(t *testing.T, v any, path ...string) string {
	t.Helper()
	s, ok := jsondoc.Str(field(v, path...))
	require.True(t, ok, "%v is not a string", path)
	return s
}
