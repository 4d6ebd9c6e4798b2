package webhooktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/bodysecrets"
	"github.com/outhook/outhook/internal/suggest"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/template"
	"github.com/outhook/outhook/webhook"
)

// UpdateEnv names the environment variable that makes Golden rewrite
// golden files instead of comparing with them: set it to 1 (or any true
// value strconv.ParseBool reads).
//
//	OUTHOOK_UPDATE_GOLDEN=1 go test ./...
const UpdateEnv = "OUTHOOK_UPDATE_GOLDEN"

// Updating reports whether UpdateEnv is set to a true value, so that Golden
// rewrites golden files instead of comparing with them. It is read at each
// call.
func Updating() bool {
	on, _ := strconv.ParseBool(os.Getenv(UpdateEnv))
	return on
}

// RenderOption configures Render and RenderTemplate. A nil RenderOption is
// ignored.
type RenderOption interface {
	apply(*renderConfig)
}

type renderOptionFunc func(*renderConfig)

func (f renderOptionFunc) apply(c *renderConfig) { f(c) }

type renderConfig struct {
	events    []*event.Event
	kinds     []event.Kind
	golden    string
	strict    bool
	schemas   []template.Schema // each checked, as the Dispatcher checks each trigger's
	schemaSet bool
	parse     []template.Option
	secrets   *bodysecrets.Secrets // the webhook's body secrets; nil when none
}

// Events renders over events instead of the built-in mock events.
func Events(events ...*event.Event) RenderOption {
	return renderOptionFunc(func(c *renderConfig) { c.events = append(c.events, events...) })
}

// Kinds adds event kinds to those Render knows, as webhook.WithEventKind
// serves them: a webhook's triggers of these kinds render over their mock
// events and are checked against their schema. Render knows Apono's
// access-request kind (accessrequest.Kind) and the operational kind
// (operational.Kind) without it; pass integration.Kind, audit.Kind or a
// service's own. RenderTemplate renders over the given kinds' mock events
// instead of the access-request ones.
func Kinds(kinds ...event.Kind) RenderOption {
	return renderOptionFunc(func(c *renderConfig) { c.kinds = append(c.kinds, kinds...) })
}

// Golden compares every body with the golden file dir/<name>.<event>.json,
// and under UpdateEnv writes it instead (creating dir). <name> is the
// webhook's name or the template's, which must then be a file name: an
// empty one, or one holding '/' or '\' or made of dots only, fails the
// test, so that no golden file is written outside dir. <event> is the
// event type in lower case with '-' between words ("request-created"),
// with "-2", "-3" … added when several events share a type. Without
// Golden nothing is compared.
func Golden(dir string) RenderOption {
	return renderOptionFunc(func(c *renderConfig) { c.golden = dir })
}

// Strict fails the test when a template refers to a field an event does not
// have (template.WithStrict). By default a missing field renders as nothing
// inside a string and as null elsewhere, as it does in a Dispatcher.
func Strict() RenderOption {
	return renderOptionFunc(func(c *renderConfig) { c.strict = true })
}

// Schema checks every field the template refers to against s before
// rendering, instead of the schemas Render takes from the webhook's
// triggers; nil checks nothing. By default Render checks the template
// against the schema of each of the webhook's triggers whose kind it knows
// (see Kinds), as Dispatcher.Add does, and RenderTemplate checks nothing.
func Schema(s template.Schema) RenderOption {
	return renderOptionFunc(func(c *renderConfig) {
		c.schemas, c.schemaSet = nil, true
		if s != nil {
			c.schemas = []template.Schema{s}
		}
	})
}

// TemplateOptions adds options to the template's Parse, such as
// template.WithHelpers for a service's own helpers, or
// template.WithRenderLimit to raise the limit Render and RenderTemplate
// keep by default, the Dispatcher's (webhook.DefaultRenderLimit): the
// options webhook.WithTemplateOptions gives a Dispatcher.
func TemplateOptions(opts ...template.Option) RenderOption {
	return renderOptionFunc(func(c *renderConfig) { c.parse = append(c.parse, opts...) })
}

// Rendered is one body Render produced.
type Rendered struct {
	// Name is the golden file's name without its directory.
	Name string
	// Event is the event the body was rendered over.
	Event *event.Event
	// Body is the rendered body.
	Body []byte
}

// Render renders w's body over every mock event whose type is one of w's
// triggers (or over the events of Events), as a Dispatcher does: the body
// template, parsed in JSON mode and bounded by webhook.DefaultRenderLimit,
// over the event, with w's Secrets as secrets.<name>, in clear where the
// template places them (see webhook.Webhook.Secrets), or the event's own
// JSON when w has no template. The mock events and schemas are those of
// the kinds of w's triggers: access requests and operational events, and
// those given with Kinds.
// It fails the test at once when the template does not parse or check, or
// (without Events) when a trigger is of no kind it knows, as Add refuses
// it; and for each event whose body is not valid JSON, lacks a field under
// Strict, passes the render limit, or differs from its golden file under
// Golden.
// It returns the bodies, for further checks.
func Render(t testing.TB, w webhook.Webhook, opts ...RenderOption) []Rendered {
	t.Helper()
	c := newRenderConfig(opts)
	if c.events == nil {
		unknownTrigger(t, w, c.kinds)
	}
	kinds := triggerKinds(w.Triggers, c.kinds)
	if !c.schemaSet {
		for _, k := range kinds {
			if k.Schema != nil {
				c.schemas = append(c.schemas, k.Schema)
			}
		}
	}
	if c.events == nil {
		for _, k := range kinds {
			for _, e := range k.Mocks {
				if e == nil || hasTrigger(w.Triggers, e.Type()) { // render reports a nil one
					c.events = append(c.events, e)
				}
			}
		}
		if len(c.events) == 0 {
			t.Fatalf("webhooktest: webhook %q: no mock event has one of its triggers %v; pass the events to render with Events, or their kind with Kinds", w.Name, w.Triggers)
		}
	}
	var tmpl *template.Template
	if len(w.Secrets) > 0 {
		// The body finds the webhook's secrets beside the event's fields;
		// without a schema, only their names are checked.
		c.secrets = bodysecrets.Compile(w.Secrets)
		names := slices.Collect(maps.Keys(w.Secrets))
		if len(c.schemas) == 0 {
			c.schemas = []template.Schema{nil}
		}
		for i, s := range c.schemas {
			c.schemas[i] = bodysecrets.Schema(s, names)
		}
	}
	if strings.TrimSpace(w.BodyTemplate) != "" {
		c.parse = append(c.parse, template.WithMode(template.JSON)) // the Dispatcher's, whatever the options
		tmpl = parse(t, w.Name, w.BodyTemplate, c)
	}
	return render(t, w.Name, tmpl, c)
}

// RenderTemplate is Render for a bare template named name: it renders src
// over every access-request mock event, or those of the kinds given with
// Kinds, or the events of Events.
func RenderTemplate(t testing.TB, name, src string, opts ...RenderOption) []Rendered {
	t.Helper()
	c := newRenderConfig(opts)
	if c.events == nil {
		if len(c.kinds) == 0 {
			c.events = accessrequest.Mocks()
		}
		for _, k := range c.kinds {
			c.events = append(c.events, k.Mocks...)
		}
	}
	return render(t, name, parse(t, name, src, c), c)
}

// triggerKinds returns the kinds of triggers, once each, in the order of
// the first trigger of each: looked up among given, then the kinds a
// Dispatcher serves without options and the operational kind.
func triggerKinds(triggers []event.Trigger, given []event.Kind) []event.Kind {
	known := append(slices.Clip(given), accessrequest.Kind(), operational.Kind())
	var out []event.Kind
	var seen []int
	for _, t := range triggers {
		for i, k := range known {
			if !hasTrigger(k.Triggers, t) {
				continue
			}
			if !slices.Contains(seen, i) {
				seen = append(seen, i)
				out = append(out, k)
			}
			break
		}
	}
	return out
}

// unknownTrigger fails the test at a trigger of w of no kind Render
// knows, as Dispatcher.Add refuses it: rendering only the others' mock
// events would pass a webhook with a misspelt trigger.
func unknownTrigger(t testing.TB, w webhook.Webhook, given []event.Kind) {
	t.Helper()
	known := append(slices.Clip(given), accessrequest.Kind(), operational.Kind())
	for _, tr := range w.Triggers {
		if slices.ContainsFunc(known, func(k event.Kind) bool { return hasTrigger(k.Triggers, tr) }) {
			continue
		}
		var names []string
		for _, k := range known {
			for _, kt := range k.Triggers {
				names = append(names, string(kt))
			}
		}
		hint := ""
		if near := suggest.Closest(string(tr), names); near != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", near)
		}
		t.Fatalf("webhooktest: webhook %q: trigger %q is of no kind Render knows%s; pass the events to render with Events, or their kind with Kinds", w.Name, tr, hint)
	}
}

func newRenderConfig(opts []RenderOption) *renderConfig {
	c := &renderConfig{}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	return c
}

func parse(t testing.TB, name, src string, c *renderConfig) *template.Template {
	t.Helper()
	// The Dispatcher's render limit comes first, so that TemplateOptions
	// may change it as WithTemplateOptions does.
	opts := append([]template.Option{template.WithRenderLimit(webhook.DefaultRenderLimit), template.WithName(name)}, c.parse...)
	if c.strict {
		opts = append(opts, template.WithStrict())
	}
	tmpl, err := template.Parse(src, opts...)
	if err != nil {
		t.Fatalf("webhooktest: %v", err)
	}
	for _, s := range c.schemas {
		if err := tmpl.Check(s); err != nil {
			t.Fatalf("webhooktest: %v", err)
		}
	}
	return tmpl
}

// render renders tmpl (nil: the event's JSON) over c.events and checks
// each body.
func render(t testing.TB, name string, tmpl *template.Template, c *renderConfig) []Rendered {
	t.Helper()
	if c.golden != "" && !fileName(name) {
		t.Fatalf("webhooktest: golden files of %q: the name must be a file name, without '/' or '\\', and not only dots", name)
	}
	out := make([]Rendered, 0, len(c.events))
	seen := map[string]int{}
	for i, e := range c.events {
		if e == nil {
			t.Fatalf("webhooktest: %s: event %d of %d is nil", name, i+1, len(c.events))
		}
		if e.Type() == "" {
			t.Fatalf("webhooktest: %s: event %d of %d is the zero Event, with no event_type; make events with event.Parse or event.New", name, i+1, len(c.events))
		}
		stem := slug(string(e.Type()))
		if seen[stem]++; seen[stem] > 1 {
			stem = fmt.Sprintf("%s-%d", stem, seen[stem])
		}
		r := Rendered{Name: name + "." + stem + ".json", Event: e}
		if tmpl == nil {
			r.Body = bytes.Clone(e.JSON())
		} else {
			body, err := c.secrets.Render(tmpl, e.Document())
			if err != nil {
				t.Errorf("webhooktest: %s over the %s event: %v", name, e.Type(), err)
				continue
			}
			r.Body = body
		}
		if !json.Valid(r.Body) {
			t.Errorf("webhooktest: %s over the %s event is not valid JSON:\n%s", name, e.Type(), r.Body)
			continue
		}
		if c.golden != "" {
			compareGolden(t, filepath.Join(c.golden, r.Name), r.Body)
		}
		out = append(out, r)
	}
	return out
}

// compareGolden compares got with the golden file at path, or writes it
// under UpdateEnv.
func compareGolden(t testing.TB, path string, got []byte) {
	t.Helper()
	if Updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("webhooktest: %v", err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("webhooktest: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("webhooktest: golden file %s: %v (run the test with %s=1 to write it)", path, err, UpdateEnv)
		return
	}
	if !bytes.Equal(want, got) {
		t.Errorf("webhooktest: body differs from golden file %s (run the test with %s=1 to accept it):\n%s", path, UpdateEnv, Diff(want, got))
	}
}

// fileName reports whether name can stand before ".<event>.json" in a
// golden file's name without naming another directory.
func fileName(name string) bool {
	return strings.Trim(name, ".") != "" && !strings.ContainsAny(name, "/\\\x00")
}

// Diff describes where got first differs from want: the line and column
// (in bytes, as template errors count them) of the first character that
// differs, and the text around it in each, cut to a readable width.
func Diff(want, got []byte) string {
	if bytes.Equal(want, got) {
		return ""
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	for i > 0 && i < len(got) && !utf8.RuneStart(got[i]) {
		i-- // within a character both share the start of
	}
	line := 1 + bytes.Count(got[:i], []byte{'\n'})
	col := i - bytes.LastIndexByte(got[:i], '\n')
	return fmt.Sprintf("line %d, column %d:\n  want: %s\n   got: %s", line, col, excerpt(want, i), excerpt(got, i))
}

// excerpt returns about 40 bytes either side of b[i], on one line, cut
// between characters.
func excerpt(b []byte, i int) string {
	const width = 40
	start, end := max(0, i-width), min(len(b), i+width)
	for start > 0 && !utf8.RuneStart(b[start]) {
		start--
	}
	for end < len(b) && !utf8.RuneStart(b[end]) {
		end--
	}
	s := string(b[start:end])
	s = strings.NewReplacer("\n", `\n`, "\t", `\t`).Replace(s)
	if start > 0 {
		s = "…" + s
	}
	if end < len(b) {
		s += "…"
	} else {
		s += "⏎EOF"
	}
	return s
}

// slug turns an event type into a file name part: "RequestCreated" gives
// "request-created", "invoice.paid" gives "invoice-paid".
func slug(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case 'A' <= r && r <= 'Z':
			if i > 0 && !strings.HasSuffix(b.String(), "-") {
				b.WriteByte('-')
			}
			b.WriteRune(r + 'a' - 'A')
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			b.WriteRune(r)
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
				b.WriteByte('-')
			}
		}
	}
	if b.Len() == 0 {
		return "event"
	}
	return strings.TrimSuffix(b.String(), "-")
}

func hasTrigger(triggers []event.Trigger, t event.Trigger) bool {
	for _, x := range triggers {
		if accessrequest.Canonical(x) == accessrequest.Canonical(t) {
			return true
		}
	}
	return false
}
