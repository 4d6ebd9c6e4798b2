package presets_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/pb33f/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/audit"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/integration"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// The bodies of every preset, over every kind of event a target may get
// (the mocks, Apono's published samples, and hostile events), are checked
// against a JSON Schema of what the target takes (testdata/schemas,
// written here from the targets' documentation, whose pages the README
// lists) with a real validator, and against the limits a schema cannot
// state.

// schemaFiles maps a preset's name to its target's JSON Schema.
var schemaFiles = map[string]string{
	"slack":          "slack-message.json",
	"pagerduty":      "pagerduty-events-v2.json",
	"teams":          "adaptive-card-1.4.json",
	"jira":           "jira-issue-create.json",
	"servicenow":     "servicenow-incident.json",
	"datadog-logs":   "datadog-http-log.json",
	"splunk-hec":     "splunk-hec-event.json",
	"coralogix":      "coralogix-singles.json",
	"logzio":         "logzio-log.json",
	"okta-workflows": "okta-workflows-fields.json",
}

var compiledSchemas = sync.OnceValues(func() (map[string]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	urls := map[string]string{}
	for name, file := range schemaFiles {
		f, err := os.Open(filepath.Join("testdata", "schemas", file))
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		url := "file:///schemas/" + file
		if err := c.AddResource(url, doc); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		urls[name] = url
	}
	out := map[string]*jsonschema.Schema{}
	for name, url := range urls {
		s, err := c.Compile(url)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", url, err)
		}
		out[name] = s
	}
	return out, nil
})

// schemaError validates v against the schema of the preset named name.
func schemaError(name string, v any) error {
	schemas, err := compiledSchemas()
	if err != nil {
		return err
	}
	s := schemas[name]
	if s == nil {
		return fmt.Errorf("no schema for %s", name)
	}
	return s.Validate(v)
}

// adaptiveCardVersions is the card version each element type ("TextBlock")
// and property ("TextBlock.fontType") first appeared in, as the schema's
// x-since member lists them.
var adaptiveCardVersions = sync.OnceValues(func() (map[string]string, error) {
	raw, err := os.ReadFile(filepath.Join("testdata", "schemas", "adaptive-card-1.4.json"))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Since map[string]string `json:"x-since"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	if len(doc.Since) == 0 {
		return nil, fmt.Errorf("adaptive-card-1.4.json lists no versions in x-since")
	}
	return doc.Since, nil
})

// olderOrSame reports whether version a is at most b ("1.2" <= "1.10").
func olderOrSame(a, b string) (bool, error) {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		var err error
		if i < len(as) {
			if x, err = strconv.Atoi(as[i]); err != nil {
				return false, fmt.Errorf("version %q: %w", a, err)
			}
		}
		if i < len(bs) {
			if y, err = strconv.Atoi(bs[i]); err != nil {
				return false, fmt.Errorf("version %q: %w", b, err)
			}
		}
		if x != y {
			return x < y, nil
		}
	}
	return true, nil
}

// cardVersionError checks that every element type and property of a card
// has a known version no later than the one the card declares, and that
// Teams renders that version (Teams' cards reference: version 1.5 and
// earlier). A type or property with no version fact is an error, so that
// the facts grow with what the presets send.
func cardVersionError(card map[string]any) error {
	versions, err := adaptiveCardVersions()
	if err != nil {
		return err
	}
	declared, _ := card["version"].(string)
	if declared == "" {
		return fmt.Errorf("a top-level card declares its version")
	}
	if ok, err := olderOrSame(declared, "1.5"); err != nil || !ok {
		return fmt.Errorf("teams renders cards up to version 1.5, not %s (%v)", declared, err)
	}
	need := func(what string) error {
		since, known := versions[what]
		if !known {
			return fmt.Errorf("%s: no version known", what)
		}
		if ok, err := olderOrSame(since, declared); err != nil || !ok {
			return fmt.Errorf("%s needs version %s, the card declares %s (%v)", what, since, declared, err)
		}
		return nil
	}
	var walk func(v any) error
	walk = func(v any) error {
		switch v := v.(type) {
		case []any:
			for _, x := range v {
				if err := walk(x); err != nil {
					return err
				}
			}
		case map[string]any:
			if typ, ok := v["type"].(string); ok {
				if err := need(typ); err != nil {
					return err
				}
				for p := range v {
					if err := need(typ + "." + p); err != nil {
						return err
					}
				}
			}
			for _, x := range v {
				if err := walk(x); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(card)
}

// requireTargetSchema checks one rendered body against its target's schema
// and limits. name is the preset's name without "-operational".
func requireTargetSchema(t *testing.T, name string, r webhooktest.Rendered) {
	t.Helper()
	require.True(t, utf8.Valid(r.Body), "the body is UTF-8")
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.Body))
	require.NoError(t, err)
	switch name {
	case "events":
		var got, want any
		require.NoError(t, json.Unmarshal(r.Body, &got))
		require.NoError(t, json.Unmarshal(r.Event.JSON(), &want))
		require.Equal(t, want, got, "the body is the event")
	case "pagerduty":
		require.NoError(t, schemaError(name, doc), "PagerDuty's schema")
		// Events API v2's limits on the event's bytes, and on lengths in
		// UTF-16 units, which a schema does not count.
		require.LessOrEqual(t, len(r.Body), 512*1024)
		alert := decode(t, r.Body).(map[string]any)
		require.LessOrEqual(t, units(alert["dedup_key"].(string)), 255)
		if p, ok := alert["payload"].(map[string]any); ok {
			require.LessOrEqual(t, units(p["summary"].(string)), 1024)
		}
	case "teams":
		// Teams' incoming webhook limit on a message.
		require.Less(t, len(r.Body), 28*1000)
		msg := decode(t, r.Body).(map[string]any)
		require.Equal(t, "message", msg["type"])
		att := msg["attachments"].([]any)
		require.Len(t, att, 1)
		require.Equal(t, "application/vnd.microsoft.card.adaptive", att[0].(map[string]any)["contentType"])
		card := doc.(map[string]any)["attachments"].([]any)[0].(map[string]any)["content"]
		require.NoError(t, schemaError(name, card), "the Adaptive Card schema")
		require.NoError(t, cardVersionError(att[0].(map[string]any)["content"].(map[string]any)))
	default:
		require.NoError(t, schemaError(name, doc), "%s's schema", name)
	}
	switch name {
	case "logzio":
		// The listener reads a log a line, of at most 500,000 bytes.
		require.NotContains(t, string(r.Body), "\n")
		require.LessOrEqual(t, len(r.Body), 500_000, "Logz.io refuses a line over 500,000 bytes")
		requireWholeOrCut(t, r, "apono", "outhook")
	case "coralogix":
		require.LessOrEqual(t, len(r.Body), 2_000_000, "Coralogix refuses a request over 2 MB")
		requireWholeOrCut(t, r, "text", "text")
	case "datadog-logs":
		require.LessOrEqual(t, len(r.Body), 5<<20, "Datadog refuses a payload over 5 MB")
	}
}

// requireWholeOrCut checks that a log carries the whole event as JSON in
// field (opsField for an operational event), or, when that would pass the
// target's limit, the start of its JSON text, cut with "…", in field_json.
func requireWholeOrCut(t *testing.T, r webhooktest.Rendered, field, opsField string) {
	t.Helper()
	if slices.Contains(operational.Triggers(), r.Event.Type()) {
		field = opsField
	}
	var log map[string]json.RawMessage
	v := decode(t, r.Body)
	if list, ok := v.([]any); ok {
		require.Len(t, list, 1)
		var all []map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(r.Body, &all))
		log = all[0]
	} else {
		require.NoError(t, json.Unmarshal(r.Body, &log))
	}
	if whole, ok := log[field]; ok && whole[0] == '{' {
		var got, want any
		require.NoError(t, json.Unmarshal(whole, &got))
		require.NoError(t, json.Unmarshal(r.Event.JSON(), &want))
		require.Equal(t, want, got, "the whole event")
		return
	}
	cutField := field + "_json"
	if field == "text" {
		cutField = "text" // Coralogix's log is its text
	}
	var cut string
	require.NoError(t, json.Unmarshal(log[cutField], &cut), "%s holds the event's JSON, cut", cutField)
	require.True(t, strings.HasSuffix(cut, " …"), "the cut is marked")
	// The event's JSON as the json helper writes it: <, > and & as they are.
	whole := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(r.Event.JSON()))
	require.True(t, strings.HasPrefix(whole, strings.TrimSuffix(cut, " …")), "the start of the event's JSON")
}

// aponoSamples are Apono's published sample events, as the filter
// package's tests keep them.
func aponoSamples(t *testing.T) []*event.Event {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("..", "filter", "testdata", "request-*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, names)
	for i := range names {
		names[i] = filepath.Base(names[i])
	}
	evs, err := event.ParseFiles(os.DirFS(filepath.Join("..", "filter", "testdata")), names...)
	require.NoError(t, err)
	return evs
}

// rawHostile returns access-request events as a sender may post them:
// missing data, null or another type where a string is expected, strings
// of 100 KB of quotes, backslashes, line breaks, control characters and
// characters outside the BMP, escapes of NUL, U+2028 and surrogate pairs,
// and thousands of access groups.
func rawHostile(t *testing.T) []*event.Event {
	t.Helper()
	big, err := json.Marshal(strings.Repeat("x\"\\\n\r\t\x01\x1f😀\u2028<!here>*_", 100_000/24))
	require.NoError(t, err)
	var groups []string
	for i := range 3000 {
		groups = append(groups, fmt.Sprintf(`{"integration":{"name":"i\"%d"},"resource_types":[{"name":"t"}],"access_units":[{"resource":{"path":"p\\%d\n","name":"n"}}]}`, i, i))
	}
	var out []*event.Event
	for _, tr := range []string{"RequestCreated", "RequestFailed"} {
		for _, data := range []string{
			`{}`,
			`null`,
			`{"id":null,"friendly_id":null,"requester":null,"grantee":null,"justification":null,"access_flow":null,"access_groups":null,"access_duration_in_seconds":null}`,
			`{"id":1,"friendly_id":2,"requester":{"name":3,"email":[1]},"grantee":{"name":{}},"justification":true,"access_flow":{"name":false},"access_groups":[null,{},{"integration":null,"access_units":null}],"access_duration_in_seconds":"abc"}`,
			fmt.Sprintf(`{"id":%[1]s,"friendly_id":%[1]s,"requester":{"id":%[1]s,"name":%[1]s,"email":%[1]s},"grantee":{"id":%[1]s,"name":%[1]s,"type":%[1]s},"justification":%[1]s,"access_flow":{"name":%[1]s},"access_groups":[{"integration":{"name":%[1]s},"resource_types":[{"name":%[1]s}],"access_units":[{"resource":{"path":%[1]s,"name":%[1]s}}]}],"access_duration_in_seconds":1e300}`, big),
			`{"id":"\ud83d\ude00\u0000\u001f\u2028","friendly_id":"\"\\","justification":"","access_groups":[` + strings.Join(groups, ",") + `],"access_duration_in_seconds":-1}`,
		} {
			e, err := event.Parse(fmt.Appendf(nil, `{"event_type":%q,"event_time":1773150022.338104716,"data":%s}`, tr, data))
			require.NoError(t, err)
			out = append(out, e)
		}
	}
	return out
}

// rawHostileOps returns operational events with nulls and missing fields.
func rawHostileOps(t *testing.T) []*event.Event {
	t.Helper()
	var out []*event.Event
	for _, tr := range operational.Triggers() {
		for _, data := range []string{
			`{}`,
			`{"tenant":null,"webhook_id":null,"webhook_name":null,"reason":null,"dead_letter":{},"limit":{},"last_status_code":null,"failing_since":null}`,
		} {
			e, err := event.Parse(fmt.Appendf(nil, `{"event_type":%q,"event_time":1773150022,"data":%s}`, tr, data))
			require.NoError(t, err)
			out = append(out, e)
		}
	}
	return out
}

// TestBodiesMatchTargetSchemas renders every preset, and every operational
// preset, over every kind of event it may get, and checks each body
// against its target's schema and limits.
func TestBodiesMatchTargetSchemas(t *testing.T) {
	access := append(append(append(accessrequest.Mocks(), aponoSamples(t)...), hostile(t)...), rawHostile(t)...)
	ops := append(append(operational.Mocks(), hostileOps(t)...), rawHostileOps(t)...)
	run := func(w webhook.Webhook, events []*event.Event) {
		t.Run(w.Name, func(t *testing.T) {
			name := strings.TrimSuffix(w.Name, "-operational")
			for i, r := range webhooktest.Render(t, w, webhooktest.Events(events...)) {
				t.Run(strconv.Itoa(i)+"-"+string(r.Event.Type()), func(t *testing.T) {
					requireTargetSchema(t, name, r)
				})
			}
		})
	}
	for _, w := range every(t) {
		run(w, access)
	}
	for _, w := range everyOps(t) {
		run(w, ops)
	}
}

// TestWholeEventBodiesMatchTargetSchemasForEveryKind: the presets whose
// body is the whole event (the others' templates, Logz.io's message
// included, name access-request fields, and a Dispatcher refuses them for
// other triggers, with the field's line and column) may be set to
// any kind's triggers; their bodies over Apono's integration and audit
// events match their targets' schemas too.
func TestWholeEventBodiesMatchTargetSchemasForEveryKind(t *testing.T) {
	kinds := []event.Kind{integration.Kind(), audit.Kind()}
	var triggers []event.Trigger
	for _, k := range kinds {
		triggers = append(triggers, k.Triggers...)
	}
	for _, name := range []string{"datadog-logs", "splunk-hec", "coralogix", "events"} {
		t.Run(name, func(t *testing.T) {
			w := presetNamed(t, name)
			w.Triggers = triggers
			out := webhooktest.Render(t, w, webhooktest.Kinds(kinds...))
			require.Len(t, out, len(integration.Mocks())+len(audit.Mocks()))
			for _, r := range out {
				requireTargetSchema(t, name, r)
			}
		})
	}
}

// TestInvalidUTF8NeverReachesATarget: an event posted with invalid UTF-8,
// or a lone surrogate escaped, is refused, and one built from Go strings has each bad byte replaced, so
// every body stays UTF-8.
func TestInvalidUTF8NeverReachesATarget(t *testing.T) {
	for _, bad := range []string{"\xff\xfe", `\ud800`, `x\udfff`, `\ud83d\u0041`} {
		_, err := event.Parse([]byte(`{"event_type":"RequestCreated","event_time":1,"data":{"justification":"` + bad + `"}}`))
		require.Error(t, err, "%q", bad)
	}
	base, _ := accessrequest.Mock(accessrequest.Created)
	bad := withJustification(t, base, "ok \xff\xfe\xc0 end")
	for _, w := range every(t) {
		for _, r := range webhooktest.Render(t, w, webhooktest.Events(bad)) {
			require.True(t, utf8.Valid(r.Body), w.Name)
			requireTargetSchema(t, w.Name, r)
		}
	}
}

// TestTargetSchemasRefuse checks that the validators above do refuse what
// the targets refuse, each for the reason given (the error names the
// place in the body), so that their silence over the presets' bodies
// means something.
func TestTargetSchemasRefuse(t *testing.T) {
	parse := func(s string) any {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(s))
		require.NoError(t, err)
		return v
	}
	const key = "R0UT1NGKEY0123456789abcdefABCDEF"
	pdTrigger := func(payload string) string {
		return `{"routing_key": "` + key + `", "event_action": "trigger", "dedup_key": "d", "payload": {` + payload + `}}`
	}
	for _, tt := range []struct{ name, body, at string }{
		{"slack", `{"text": "t", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "` + strings.Repeat("h", 151) + `"}}]}`, "/blocks/0"},
		{"slack", `{"text": "t", "blocks": [{"type": "section", "fields": [` + strings.TrimSuffix(strings.Repeat(`{"type": "plain_text", "text": "f"},`, 11), ",") + `]}]}`, "/blocks/0"},
		{"slack", `{"text": "t", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}}]}`, "/blocks/0"},
		{"teams", `{"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "FactSet", "facts": [{"title": "t"}]}]}`, "/body/0/facts/0"},
		{"teams", `{"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "TextBlock", "txt": "t"}]}`, "/body/0"},
		{"teams", `{"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "TextBlock", "text": "t", "size": "huge"}]}`, "/body/0/size"},
		{"teams", `{"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "FactSet", "facts": []}]}`, "/body/0/facts"},
		{"teams", `{"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "FactSet", "title": "t", "facts": [{"title": "t", "value": "v"}]}]}`, "/body/0"},
		{"teams", `{"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "Carousel"}]}`, "/body/0/type"},
		{"teams", `{"type": "AdaptiveCard", "version": "1.4", "actions": [{"type": "Action.OpenUrl", "title": "t"}]}`, "/actions/0"},
		{"teams", `{"type": "AdaptiveCard", "version": "1.4", "msteams": {"width": "Wide"}}`, "/msteams/width"},
		{"jira", `{"fields": {"project": {"key": "SEC"}, "issuetype": {"name": "Task"}, "summary": "two\nlines"}}`, "/fields/summary"},
		{"jira", `{"fields": {"project": {"key": "SEC"}, "issuetype": {"name": "Task"}, "summary": "` + strings.Repeat("s", 256) + `"}}`, "/fields/summary"},
		{"jira", `{"fields": {"project": {"key": "SEC"}, "issuetype": {"name": "Task"}, "summary": "s", "description": {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": ""}]}]}}}`, "/fields/description/content/0/content/0/text"},
		{"servicenow", `{"short_description": "` + strings.Repeat("s", 161) + `"}`, "/short_description"},
		{"datadog-logs", `[{"ddsource": "apono"}]`, "/0"},
		{"datadog-logs", `[{"message": "m", "status": "fatal"}]`, "/0/status"},
		{"splunk-hec", `{"time": 1, "event": ""}`, "/event"},
		{"coralogix", `[{"applicationName": "a", "subsystemName": "s", "severity": 7, "text": "t"}]`, "/0/severity"},
		{"logzio", `{"@timestamp": "yesterday", "message": "m"}`, "/@timestamp"},
		{"okta-workflows", `{"fields": {"a": {"b": 1}}}`, "/fields/a"},
		{"pagerduty", pdTrigger(`"summary": "s", "source": "s", "severity": "fatal"`), "/payload/severity"},
		{"pagerduty", pdTrigger(`"summary": "s", "source": "s", "severity": "info", "timestamp": "now"`), "/payload/timestamp"},
		{"pagerduty", pdTrigger(`"summary": "` + strings.Repeat("s", 1025) + `", "source": "s", "severity": "info"`), "/payload/summary"},
		{"pagerduty", pdTrigger(`"summary": "s", "severity": "info"`), "missing property 'source'"},
		{"pagerduty", pdTrigger(`"summary": "s", "source": "s", "severity": "info", "details": {}`), "/payload"},
		{"pagerduty", `{"routing_key": "` + key + `", "event_action": "open", "dedup_key": "d"}`, "/event_action"},
		{"pagerduty", `{"event_action": "resolve", "dedup_key": "d"}`, "missing property 'routing_key'"},
		{"pagerduty", `{"routing_key": "k3y", "event_action": "resolve", "dedup_key": "d"}`, "/routing_key"},
		{"pagerduty", `{"routing_key": "` + key + `", "event_action": "trigger", "dedup_key": "d"}`, "missing property 'payload'"},
		{"pagerduty", `{"routing_key": "` + key + `", "event_action": "acknowledge"}`, "missing property 'dedup_key'"},
		{"pagerduty", `{"routing_key": "` + key + `", "event_action": "resolve", "dedup_key": "` + strings.Repeat("d", 256) + `"}`, "/dedup_key"},
		{"pagerduty", `{"routing_key": "` + key + `", "event_action": "resolve", "dedup_key": "d", "links": [{"text": "t"}]}`, "/links/0"},
		{"pagerduty", `{"routing_key": "` + key + `", "event_action": "resolve", "dedup_key": "d", "images": [{"src": "https://x.example/i.png", "title": "t"}]}`, "/images/0"},
	} {
		err := schemaError(tt.name, parse(tt.body))
		require.Error(t, err, "%s: %s", tt.name, tt.body)
		require.Contains(t, err.Error(), tt.at, "%s: %s", tt.name, tt.body)
	}
	for _, body := range []string{
		pdTrigger(`"summary": "s", "source": "s", "severity": "info", "timestamp": "2026-03-10T13:40:22.338104716Z", "component": "c", "group": "g", "class": "k", "custom_details": {"a": 1}`),
		`{"routing_key": "` + key + `", "event_action": "acknowledge", "dedup_key": "d"}`,
		`{"routing_key": "` + key + `", "event_action": "trigger", "payload": {"summary": "s", "source": "s", "severity": "critical"}, "client": "c", "client_url": "https://c.example", "links": [{"href": "https://l.example", "text": "t"}], "images": [{"src": "https://i.example/i.png", "href": "https://i.example", "alt": "a"}]}`,
	} {
		require.NoError(t, schemaError("pagerduty", parse(body)), body)
	}

	// A card may use only what its declared version has.
	for _, card := range []string{
		`{"type": "AdaptiveCard", "version": "1.0", "body": [{"type": "TextBlock", "text": "t", "fontType": "Monospace"}]}`,
		`{"type": "AdaptiveCard", "version": "1.0", "body": [{"type": "FactSet", "facts": [{"title": "t", "value": "v"}], "height": "auto"}]}`,
		`{"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "TextBlock", "text": "t", "style": "heading"}]}`,
		`{"type": "AdaptiveCard", "version": "1.6", "body": [{"type": "TextBlock", "text": "t"}]}`,
		`{"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "TextBlock", "text": "t", "unknown": true}]}`,
		`{"type": "AdaptiveCard", "body": []}`,
	} {
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(card), &v))
		require.Error(t, cardVersionError(v), card)
	}
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(`{"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "t", "style": "heading", "fontType": "Monospace"}]}`), &v))
	require.NoError(t, cardVersionError(v))
}

// TestLogPresetsCutAnEventPastTheLimit checks each way through the
// templates of Logz.io and Coralogix: an event that fits is sent whole; one
// whose JSON passes the limit in bytes is cut, whether it also passes it in
// UTF-16 units (ASCII) or not (characters of 3 bytes).
func TestLogPresetsCutAnEventPastTheLimit(t *testing.T) {
	base, _ := accessrequest.Mock(accessrequest.Created)
	for _, tt := range []struct {
		name       string
		fits, cuts []string
	}{
		{"logzio", []string{strings.Repeat("a", 470_000), strings.Repeat("€", 150_000)}, []string{strings.Repeat("a", 490_000), strings.Repeat("€", 170_000)}},
		{"coralogix", []string{strings.Repeat("a", 1_290_000), strings.Repeat("€", 420_000)}, []string{strings.Repeat("a", 1_310_000), strings.Repeat("€", 450_000), strings.Repeat("a", 2_700_000)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := presetNamed(t, tt.name)
			for _, want := range []struct {
				justifications []string
				whole          bool
			}{{tt.fits, true}, {tt.cuts, false}} {
				for _, j := range want.justifications {
					r := webhooktest.Render(t, w, webhooktest.Events(withJustification(t, base, j)))[0]
					requireTargetSchema(t, tt.name, r)
					if tt.name == "logzio" {
						require.Equal(t, want.whole, strings.Contains(string(r.Body), `"apono": {`), "%d bytes", len(j))
					} else {
						require.Equal(t, want.whole, strings.Contains(string(r.Body), `"text": {`), "%d bytes", len(j))
					}
				}
			}
		})
	}
}
