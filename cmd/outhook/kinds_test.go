package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/audit"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/integration"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/webhook"
)

// everyKind is every event kind the library ships: outhook knows them
// all.
func everyKind() []event.Kind {
	return []event.Kind{accessrequest.Kind(), integration.Kind(), audit.Kind(), operational.Kind()}
}

// kindPreview renders tmpl over e as a Dispatcher serving every kind does.
func kindPreview(t *testing.T, tmpl string, e *event.Event) string {
	t.Helper()
	var opts []webhook.Option
	for _, k := range everyKind() {
		opts = append(opts, webhook.WithEventKind(k))
	}
	d, err := webhook.New(opts...)
	require.NoError(t, err)
	defer d.Close(t.Context())
	out, err := d.Tenant("").Preview(tmpl, e)
	require.NoError(t, err)
	return out
}

func TestSchemaListsEveryKind(t *testing.T) {
	t.Parallel()
	r := outhook(t, runOpts{}, "schema", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var out struct {
		EventTypes []struct {
			Trigger string `json:"trigger"`
			Kind    string `json:"kind"`
			Mock    bool   `json:"mock"`
		} `json:"event_types"`
	}
	decodeStrictly(t, r.stdout, &out)
	got := map[string]string{}
	for _, et := range out.EventTypes {
		got[et.Trigger] = et.Kind
		require.True(t, et.Mock, et.Trigger)
	}
	want := map[string]string{}
	for _, k := range everyKind() {
		for _, tr := range k.Triggers {
			want[string(tr)] = k.Name
		}
	}
	require.Equal(t, want, got)

	r = outhook(t, runOpts{}, "schema")
	require.Equal(t, 0, r.code, r.stderr)
	require.Regexp(t, `(?m)^IntegrationError +integration +yes$`, r.stdout)
	require.Regexp(t, `(?m)^AuditRecorded +audit +yes$`, r.stdout)
	require.Regexp(t, `(?m)^RequestCreated +access request +yes$`, r.stdout)
	require.Regexp(t, `(?m)^WebhookFailing +operational +yes$`, r.stdout)
}

func TestSchemaOfEveryKind(t *testing.T) {
	t.Parallel()
	for _, k := range everyKind() {
		for _, tr := range k.Triggers {
			t.Run(string(tr), func(t *testing.T) {
				t.Parallel()
				r := outhook(t, runOpts{}, "schema", "-o", "json", string(tr))
				require.Equal(t, 0, r.code, r.stderr)
				var out struct {
					Trigger string              `json:"trigger"`
					Fields  []event.SchemaField `json:"fields"`
				}
				decodeStrictly(t, r.stdout, &out)
				require.Equal(t, string(tr), out.Trigger)
				require.Equal(t, k.Schema.Fields(), out.Fields)
			})
		}
	}
}

func TestRenderMockOfEveryTrigger(t *testing.T) {
	t.Parallel()
	for _, k := range everyKind() {
		for _, tr := range k.Triggers {
			t.Run(string(tr), func(t *testing.T) {
				t.Parallel()
				mock, ok := k.Mock(tr)
				require.True(t, ok)
				r := outhook(t, runOpts{stdin: "\n"}, "render", "-o", "json", "-mock", string(tr), "-")
				require.Equal(t, 0, r.code, r.stderr)
				var out renderOutput
				decodeStrictly(t, r.stdout, &out)
				require.True(t, out.OK)
				require.Equal(t, string(tr), out.EventType)
				require.NotNil(t, out.Body)
				require.Equal(t, kindPreview(t, "", mock), *out.Body)
			})
		}
	}
}

// The fixtures: Apono's access-request event, and an event of each other
// kind.
var kindFixtures = []struct {
	file, trigger, tmpl string
}{
	{"apono-request-approved.json", "RequestApproved", `{"who":"{{data.requester.name}}","why":"{{data.justification}}"}`},
	{"integration-warning.json", "IntegrationWarning", `{"text":"{{data.name}} ({{data.type}}) is {{data.status}}","issues":{{data.issues}}}`},
	{"audit-bundle-updated.json", "AuditRecorded", `{"text":"{{data.actor_name}} {{data.action}} {{data.target_type}} {{data.target_name}}"}`},
}

func TestRenderFixtureOfEveryKind(t *testing.T) {
	t.Parallel()
	for _, f := range kindFixtures {
		t.Run(f.file, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join("testdata", f.file)
			raw, err := os.ReadFile(file)
			require.NoError(t, err)
			e, err := event.Parse(raw)
			require.NoError(t, err)
			dir := t.TempDir()
			tmpl := writeFile(t, dir, "body.hbs", f.tmpl)

			r := outhook(t, runOpts{}, "render", "-event", file, tmpl)
			require.Equal(t, 0, r.code, r.stderr)
			require.Empty(t, r.stderr)
			require.Equal(t, kindPreview(t, f.tmpl, e)+"\n", r.stdout)
			require.True(t, json.Valid([]byte(r.stdout)))
		})
	}
}

// A template is checked against the schema of its event's kind: a field
// of another kind is refused at its position.
func TestRenderChecksTheKindsSchema(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []struct {
		trigger, good, foreign string
	}{
		{"IntegrationError", "data.name", "data.requester.name"},
		{"AuditRecorded", "data.actor_name", "data.issues"},
		{"RequestCreated", "data.requester.name", "data.actor_name"},
		{"WebhookFailing", "data.webhook_name", "data.requester.name"},
	} {
		t.Run(c.trigger, func(t *testing.T) {
			t.Parallel()
			good := writeFile(t, dir, c.trigger+"-good.hbs", `{"x":"{{`+c.good+`}}"}`)
			r := outhook(t, runOpts{}, "render", "-mock", c.trigger, good)
			require.Equal(t, 0, r.code, r.stderr)

			src := "{\n  \"x\": \"{{" + c.foreign + "}}\"\n}"
			bad := writeFile(t, dir, c.trigger+"-bad.hbs", src)
			r = outhook(t, runOpts{}, "render", "-o", "json", "-mock", c.trigger, bad)
			require.Equal(t, 1, r.code, r.stderr)
			var out renderOutput
			decodeStrictly(t, r.stdout, &out)
			require.False(t, out.OK)
			require.Len(t, out.Errors, 1)
			require.Equal(t, c.foreign, out.Errors[0].Path)
			line, col := positionOf(t, src, c.foreign)
			require.Equal(t, line, out.Errors[0].Line)
			require.Equal(t, col, out.Errors[0].Column)
		})
	}
}

func TestLintChecksEveryKindsSchema(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := writeFile(t, dir, "good.json", `[
  {"name": "integrations", "url": "https://hooks.example.com/i", "triggers": ["IntegrationError", "IntegrationActive"],
   "body_template": "{\"text\":\"{{data.name}} is {{data.status}}\"}"},
  {"name": "audit", "url": "https://hooks.example.com/a", "triggers": ["AuditRecorded"],
   "body_template": "{\"text\":\"{{data.actor_name}} {{data.action}}\"}"},
  {"name": "ops", "url": "https://hooks.example.com/o", "triggers": ["WebhookFailing"],
   "body_template": "{\"text\":\"{{data.webhook_name}}\"}"}
]`)
	r := outhook(t, runOpts{}, "lint", good)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, good+": 3 definitions, no problems\n", r.stdout)

	src := `[
  {"name": "integrations", "url": "https://hooks.example.com/i", "triggers": ["IntegrationError"],
   "body_template": "{\"text\":\"{{data.requester.name}}\"}"}
]`
	bad := writeFile(t, dir, "bad.json", src)
	r = outhook(t, runOpts{}, "lint", bad)
	require.Equal(t, 1, r.code, r.stderr)
	line, col := positionOf(t, src, "data.requester.name")
	require.Equal(t, fmt.Sprintf("%s:%d:%d: webhook \"integrations\": body_template (template 1:12): invalid body template: unknown field data.requester.name\n", bad, line, col), r.stdout)
}

func TestTestSendsTheMockOfTheDefinitionsKind(t *testing.T) {
	t.Parallel()
	for _, tr := range []event.Trigger{integration.Active, audit.Recorded} {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, 200, `{}`)
			dir := t.TempDir()
			def := writeFile(t, dir, "hook.json", `{"name": "kind", "url": "`+rc.URL+`/hook", "triggers": ["`+string(tr)+`"]}`)
			r := outhook(t, runOpts{}, "test", "-allow-target", "127.0.0.1", "-allow-http", "-allow-custom-ports", def)
			require.Equal(t, 0, r.code, r.stdout+r.stderr)
			got := rc.got()
			require.Len(t, got, 1)
			var body struct {
				EventType string `json:"event_type"`
			}
			require.NoError(t, json.Unmarshal(got[0].body, &body))
			require.Equal(t, string(tr), body.EventType)
			require.True(t, strings.HasPrefix(r.stdout, "Test successful"), r.stdout)
		})
	}
}

// serve offers Apono's other kinds too: the API lists them, so that the
// console's Add Webhook page offers them and its Test button sends their
// mock events.
func TestServeOffersAponosKinds(t *testing.T) {
	t.Parallel()
	s := startServe(t, "-db", filepath.Join(t.TempDir(), "outhook.db"))
	var out struct {
		EventTypes []struct {
			Trigger string `json:"trigger"`
		} `json:"event_types"`
	}
	resp := s.call(t, "GET", "/event-types", "", nil, &out)
	require.Equal(t, 200, resp.StatusCode)
	var triggers []string
	for _, et := range out.EventTypes {
		triggers = append(triggers, et.Trigger)
	}
	for _, k := range []event.Kind{accessrequest.Kind(), integration.Kind(), audit.Kind()} {
		for _, tr := range k.Triggers {
			require.Contains(t, triggers, string(tr))
		}
	}
	require.Equal(t, 0, s.stop(t))
}
