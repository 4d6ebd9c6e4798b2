package template_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	events "github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/internal/testkit/sharedtest"
	"github.com/outhook/outhook/template"
)

// The differential suite renders the corpus in testdata/handlebars/corpus
// with handlebars.js (render.js, pinned by package-lock.json) and with
// Outhook, and fails on any difference that is neither explained
// (explained.json: deliberate, and checked to be what it claims) nor open
// (open.json: known bugs, issue 18). A listed case that now renders the same
// fails too, so both lists stay exact; OUTHOOK_HANDLEBARS_UPDATE=1 rewrites
// them from the current results.

const (
	hbDir       = "testdata/handlebars"
	hbVersion   = "4.7.10"
	hbUpdateEnv = "OUTHOOK_HANDLEBARS_UPDATE"
)

// hbCase is one template of the corpus, over inline data or over each of the
// Apono fixtures (its name then gets "@" and the fixture's name).
type hbCase struct {
	Name     string            `json:"name"`
	Template string            `json:"template"`
	Mode     string            `json:"mode,omitempty"` // json (default), text or html
	Data     json.RawMessage   `json:"data,omitempty"`
	Fixtures bool              `json:"fixtures,omitempty"`
	Partials map[string]string `json:"partials,omitempty"`
	// Breaking is data under which handlebars.js renders the template as a
	// body that is not JSON, or with a string that starts like an embedded
	// document and is not one: it shows why Outhook refuses the template.
	Breaking json.RawMessage `json:"breaking,omitempty"`

	fixture  bool      // Data is an Apono event
	breaking *hbResult // handlebars.js over Breaking
	spaced   *hbResult // handlebars.js with a space before each } that follows a tag
}

type hbResult struct {
	Name  string  `json:"name"`
	Out   *string `json:"out,omitempty"`
	Error string  `json:"error,omitempty"`
	// Plain is the Text mode rendered with escaping on, through an
	// escaping that changes nothing (render.js).
	Plain *string `json:"plain,omitempty"`
}

// hbListed is an entry of explained.json or open.json.
type hbListed struct {
	Category   string `json:"category"`
	Case       string `json:"case"`
	Reason     string `json:"reason,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Handlebars string `json:"handlebars,omitempty"`
	Outhook    string `json:"outhook,omitempty"`
}

// hbOutcome is how Outhook did on a case.
type hbOutcome struct {
	out      string
	parseErr error
	execErr  error
}

// hbExplanations are the deliberate differences. Each checks that the
// difference is the one it names, so an entry cannot hide another bug.
var hbExplanations = map[string]struct {
	reason string
	doc    string // the words of the package doc that list the difference
	holds  func(c hbCase, hb hbResult, oh hbOutcome) bool
}{
	"number-digits": {
		doc:    "Numbers keep the digits of their JSON literal",
		reason: "Outhook writes a number with the digits of its JSON literal; JavaScript rounds it to a float64 first",
		holds: func(c hbCase, hb hbResult, oh hbOutcome) bool {
			mode := c.mode()
			if hb.Out == nil || oh.parseErr != nil || oh.execErr != nil {
				return false
			}
			if mode == "json" {
				a, errA := hbDecodeJSON(*hb.Out)
				b, errB := hbDecodeJSON(oh.out)
				if errA == nil && errB == nil && hbJSONEqual(a, b, hbFloatEqual) {
					return true
				}
			}
			// Numbers written inside strings, or as text.
			return hbRoundNumbers(*hb.Out) == hbRoundNumbers(oh.out)
		},
	},
	"json-refusal": {
		doc:    "where handlebars.js renders a body that is not JSON for the data at hand, the template is refused at Parse",
		reason: "handlebars.js gives a body that is not JSON; Outhook refuses the template at Parse",
		holds: func(c hbCase, hb hbResult, oh hbOutcome) bool {
			mode := c.mode()
			return mode == "json" && hb.Out != nil && !json.Valid([]byte(*hb.Out)) && oh.parseErr != nil
		},
	},
	"json-escaped-literal": {
		doc:    "a string literal of a tag may be written with its quotes escaped for that string",
		reason: "in a JSON string, Outhook reads a string literal whose quotes are escaped for that string (\\\"x\\\"), as its author means; handlebars.js refuses the backslash",
		holds: func(c hbCase, hb hbResult, oh hbOutcome) bool {
			return c.mode() == "json" && strings.Contains(c.Template, `\"`) && hb.Out == nil &&
				strings.HasPrefix(hb.Error, "Parse error") && oh.parseErr == nil && oh.execErr == nil
		},
	},
	"json-refusal-other-data": {
		doc:    "a template that handlebars.js renders as JSON for some data but not for other data is refused at Parse",
		reason: "handlebars.js renders JSON for this data, but not for the case's breaking data (a body, or a string that starts like an embedded document, that is not JSON); Outhook refuses the template at Parse, and the error names the form to write",
		holds: func(c hbCase, hb hbResult, oh hbOutcome) bool {
			return c.mode() == "json" && oh.parseErr != nil && hbNamesSafeForm(oh.parseErr) &&
				c.breaking != nil && c.breaking.Out != nil && !hbJSONDocs(*c.breaking.Out)
		},
	},
	"brace-after-tag": {
		doc:    "A tag followed by a }, as in {\"n\": {{n}}}, is the tag then the }",
		reason: "handlebars.js reads }}} after a tag as the end of a triple-stash (and }}}} as that of a raw block) and refuses the template; Outhook reads the tag's end and then a }, so {\"n\": {{n}}} is the JSON it looks like, and renders what handlebars.js renders with a space before that }",
		holds: func(c hbCase, hb hbResult, oh hbOutcome) bool {
			// As JSON values, the added space aside.
			return c.mode() == "json" && hb.Out == nil && strings.HasPrefix(hb.Error, "Parse error") &&
				c.spaced != nil && c.spaced.Out != nil && oh.parseErr == nil && oh.execErr == nil &&
				hbDifference("json", *c.spaced, oh) == ""
		},
	},
	"noescape-number-sum": {
		doc:    "handlebars.js with noEscape adds them up",
		reason: "handlebars.js with noEscape adds two numbers written by adjacent tags ({{@../index}}{{@index}} gives 1 for 0 and 1) instead of writing both; with escaping on it writes both, as Outhook's Text mode does",
		holds: func(c hbCase, hb hbResult, oh hbOutcome) bool {
			return c.mode() == "text" && hb.Plain != nil && oh.parseErr == nil && oh.execErr == nil && *hb.Plain == oh.out
		},
	},
	"block-params-unfollowed": {
		doc:    "past a partial block's content or an inline partial, a use of one fails Execute",
		reason: "a section over a value that is not a list takes the block parameters of the parts around its tag; past a partial block's content or an inline partial those depend on where handlebars.js calls it, which Outhook does not follow, and a use of one fails Execute with its position",
		holds: func(c hbCase, hb hbResult, oh hbOutcome) bool {
			return hb.Out != nil && oh.parseErr == nil && oh.execErr != nil &&
				strings.Contains(oh.execErr.Error(), "inside a partial block's content or an inline partial")
		},
	},
	"json-escaping": {
		doc:    "a value is escaped for where it stands",
		reason: "handlebars.js gives a body that is not JSON; Outhook escapes the value for where it stands and gives valid JSON",
		holds: func(c hbCase, hb hbResult, oh hbOutcome) bool {
			mode := c.mode()
			return mode == "json" && hb.Out != nil && !json.Valid([]byte(*hb.Out)) &&
				oh.parseErr == nil && oh.execErr == nil && json.Valid([]byte(oh.out))
		},
	},
}

// TestHandlebarsDifferencesDocumented checks that the package doc lists
// every deliberate difference the differential suite explains.
func TestHandlebarsDifferencesDocumented(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, line := range strings.Split(string(src), "\n") {
		b.WriteString(strings.TrimPrefix(strings.TrimSpace(line), "//"))
		b.WriteByte(' ')
	}
	doc := strings.Join(strings.Fields(b.String()), " ")
	for name, e := range hbExplanations {
		if e.doc == "" || !strings.Contains(doc, e.doc) {
			t.Errorf("explanation %s: the package doc does not list it (want the words %q)", name, e.doc)
		}
	}
}

func TestHandlebarsDifferential(t *testing.T) {
	script := requireHandlebars(t)
	cases := loadHandlebarsCorpus(t)
	explained := hbReadListed(t, "explained.json")
	open := hbReadListed(t, "open.json")

	// Updating reports what it rewrites instead of failing on it.
	update := os.Getenv(hbUpdateEnv) == "1"
	fail := t.Errorf
	if update {
		fail = t.Logf
	}

	results := runHandlebars(t, script, cases)
	hbRunDerived(t, script, cases)
	var same, nExplained, nOpen, unexplained int
	var newExplained, newOpen []hbListed
	byCategory := map[string]int{}
	type tally struct{ same, all int }
	byGroup := map[string]*tally{}
	for i, c := range cases {
		hb := results[i]
		oh := hbRenderOuthook(c)
		kind := hbDifference(c.mode(), hb, oh)
		group, _, _ := strings.Cut(c.Name, "/")
		if byGroup[group] == nil {
			byGroup[group] = &tally{}
		}
		byGroup[group].all++
		if kind == "" {
			byGroup[group].same++
		}
		ex, isExplained := explained[c.Name]
		op, isOpen := open[c.Name]
		if kind == "" {
			same++
			if isExplained || isOpen {
				fail("%s: renders the same as handlebars.js now; remove it from the list of differences (or run with %s=1)", c.Name, hbUpdateEnv)
			}
			continue
		}
		entry := hbListed{Case: c.Name, Kind: kind, Handlebars: hbShow(hb), Outhook: ohShow(oh)}
		if cat := hbExplanationFor(c, hb, oh, ex.Category); cat != "" {
			entry.Category, entry.Reason = cat, hbExplanations[cat].reason
			if isExplained && ex.Reason != "" {
				entry.Reason = ex.Reason
			}
			newExplained = append(newExplained, hbListed{Category: entry.Category, Case: c.Name, Reason: entry.Reason})
		} else {
			entry.Category = kind
			if isOpen && op.Category != "" {
				entry.Category = op.Category
			}
			newOpen = append(newOpen, entry)
		}
		switch {
		case isExplained && ex.Category == entry.Category:
			nExplained++
			byCategory["explained: "+ex.Category]++
		case isExplained:
			fail("%s: listed as explained by %s, which does not hold: %s\nhandlebars.js: %s\nOuthook:       %s",
				c.Name, ex.Category, kind, entry.Handlebars, entry.Outhook)
		case isOpen && entry.Reason != "":
			fail("%s: listed as open, but the difference is now explained by %s; move it to explained.json (or run with %s=1)",
				c.Name, entry.Category, hbUpdateEnv)
		case isOpen:
			nOpen++
			byCategory["open: "+entry.Category]++
		default:
			unexplained++
			hint := "a bug to fix, or list it in open.json"
			if entry.Reason != "" {
				hint = "list it in explained.json as " + entry.Category
			}
			fail("%s: unexplained difference (%s; %s)\ntemplate:      %q\nhandlebars.js: %s\nOuthook:       %s",
				c.Name, kind, hint, c.Template, entry.Handlebars, entry.Outhook)
		}
	}

	t.Logf("handlebars.js %s vs Outhook over %d renders: %d same, %d explained, %d open, %d unexplained (%.1f%% same)",
		hbVersion, len(cases), same, nExplained, nOpen, unexplained, 100*float64(same)/float64(len(cases)))
	groups := make([]string, 0, len(byGroup))
	for g := range byGroup {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		t.Logf("  same in %-12s %3d of %3d", g+":", byGroup[g].same, byGroup[g].all)
	}
	cats := make([]string, 0, len(byCategory))
	for k := range byCategory {
		cats = append(cats, k)
	}
	sort.Strings(cats)
	for _, k := range cats {
		t.Logf("  %-40s %d", k, byCategory[k])
	}

	if update {
		hbWriteListed(t, "explained.json", newExplained)
		hbWriteListed(t, "open.json", newOpen)
		t.Logf("rewrote explained.json (%d) and open.json (%d)", len(newExplained), len(newOpen))
	}
}

func (c hbCase) mode() string {
	if c.Mode == "" {
		return "json"
	}
	return c.Mode
}

// requireHandlebars returns the path of render.js once node and the pinned
// handlebars module are there; otherwise it skips, or fails when CI=true.
func requireHandlebars(t *testing.T) string {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...) + "; install it with: npm ci --prefix template/testdata/handlebars"
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (CI requires the differential suite)", msg)
		}
		t.Skipf("%s; skipping (CI=true makes this a failure)", msg)
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing("node is not installed")
	}
	pkg, err := os.ReadFile(filepath.Join(hbDir, "node_modules", "handlebars", "package.json"))
	if err != nil {
		missing("handlebars.js is not installed in %s", hbDir)
	}
	var meta struct{ Version string }
	if err := json.Unmarshal(pkg, &meta); err != nil || meta.Version != hbVersion {
		missing("%s holds handlebars %q, not the pinned %s", hbDir, meta.Version, hbVersion)
	}
	return filepath.Join(hbDir, "render.js")
}

// loadHandlebarsCorpus reads every corpus file and expands the cases over
// the Apono fixtures.
func loadHandlebarsCorpus(t *testing.T) []hbCase {
	t.Helper()
	fixtures := sharedtest.Files(t, "fixtures/apono", "*.json")
	files, err := filepath.Glob(filepath.Join(hbDir, "corpus", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in %s/corpus: %v", hbDir, err)
	}
	var cases []hbCase
	seen := map[string]bool{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var group []hbCase
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&group); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range group {
			switch c.mode() {
			case "json", "text", "html":
			default:
				t.Fatalf("%s: %s: mode %q is not json, text or html", f, c.Name, c.Mode)
			}
			if c.Fixtures == (c.Data != nil) {
				t.Fatalf("%s: %s: give either data or \"fixtures\": true", f, c.Name)
			}
			expanded := []hbCase{c}
			if c.Fixtures {
				expanded = expanded[:0]
				for _, fx := range fixtures {
					data, err := os.ReadFile(fx)
					if err != nil {
						t.Fatal(err)
					}
					e := c
					e.Name = c.Name + "@" + strings.TrimSuffix(filepath.Base(fx), ".json")
					e.Data = data
					e.fixture = true
					expanded = append(expanded, e)
				}
			}
			for _, e := range expanded {
				if seen[e.Name] {
					t.Fatalf("%s: case %s is named twice", f, e.Name)
				}
				seen[e.Name] = true
				cases = append(cases, e)
			}
		}
	}
	return cases
}

// runHandlebars renders every case in one run of node.
func runHandlebars(t *testing.T, script string, cases []hbCase) []hbResult {
	t.Helper()
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", script)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.String())
	}
	var results []hbResult
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("node %s printed no results: %v", script, err)
	}
	if len(results) != len(cases) {
		t.Fatalf("node %s: %d results for %d cases", script, len(results), len(cases))
	}
	for i := range results {
		if results[i].Name != cases[i].Name {
			t.Fatalf("node %s: result %d is %s, want %s", script, i, results[i].Name, cases[i].Name)
		}
	}
	return results
}

// hbSpacedRE finds the end of a tag followed by a }: of a triple-stash
// ({{{x}}}}) or of a tag that is not one ({{x}}}).
var hbSpacedRE = regexp.MustCompile(`(^|[^{])(\{\{\{[^{}]*\}\}\}|\{\{[^{}]+\}\})\}`)

// hbRunDerived renders, in one more run of node, the variants of the cases
// that explanations check: each over its breaking data, and each that has a
// tag followed by } with a space between.
func hbRunDerived(t *testing.T, script string, cases []hbCase) {
	t.Helper()
	var derived []hbCase
	var into []**hbResult
	for i := range cases {
		c := &cases[i]
		if c.Breaking != nil {
			d := *c
			d.Name, d.Data, d.Breaking = c.Name+"#breaking", c.Breaking, nil
			derived, into = append(derived, d), append(into, &c.breaking)
		}
		if spaced := hbSpacedRE.ReplaceAllString(c.Template, "$1$2 }"); spaced != c.Template {
			d := *c
			d.Name, d.Template, d.Breaking = c.Name+"#spaced", spaced, nil
			derived, into = append(derived, d), append(into, &c.spaced)
		}
	}
	if len(derived) == 0 {
		return
	}
	for i, r := range runHandlebars(t, script, derived) {
		*into[i] = &r
	}
}

// hbJSONDocs reports whether s is JSON and so is every string in it whose
// content starts, after spaces, with { or [: Outhook reads those as
// embedded documents.
func hbJSONDocs(s string) bool {
	v, err := hbDecodeJSON(s)
	if err != nil {
		return false
	}
	var ok func(v any) bool
	ok = func(v any) bool {
		switch v := v.(type) {
		case map[string]any:
			for _, m := range v {
				if !ok(m) {
					return false
				}
			}
		case []any:
			for _, e := range v {
				if !ok(e) {
					return false
				}
			}
		case string:
			if t := strings.TrimLeft(v, " \t\r\n"); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
				return hbJSONDocs(v)
			}
		}
		return true
	}
	return ok(v)
}

// hbSafeForms are the forms a JSON-mode refusal may name: the ways to write
// the shapes authors commonly write that some data would break.
var hbSafeForms = []string{
	"{{#each (flatten",              // items of nested loops
	"{{#unless @last}},{{/unless}}", // items without a separator
	"{{else}}null",                  // a block that may render nothing
	"{{#with ",                      // a section choosing a value
	"{{millis ",                     // seconds to milliseconds
	"write {{#each ",                // separators in a section over a value that may not be a list
	"{{!plain}}",                    // a text string that starts like a document
}

func hbNamesSafeForm(err error) bool {
	for _, f := range hbSafeForms {
		if strings.Contains(err.Error(), f) {
			return true
		}
	}
	return false
}

func hbRenderOuthook(c hbCase) hbOutcome {
	opts := []template.Option{template.WithName(c.Name)}
	switch c.mode() {
	case "text":
		opts = append(opts, template.WithMode(template.Text))
	case "html":
		opts = append(opts, template.WithMode(template.HTML))
	}
	if c.Partials != nil {
		opts = append(opts, template.WithPartials(c.Partials))
	}
	tm, err := template.Parse(c.Template, opts...)
	if err != nil {
		return hbOutcome{parseErr: err}
	}
	// The data in the form Outhook renders from: an event as the webhook
	// package decodes it, or the same ordered document for inline data.
	var data any
	if c.fixture {
		ev, err := events.Parse(c.Data)
		if err != nil {
			return hbOutcome{execErr: fmt.Errorf("fixture: %w", err)}
		}
		data = ev.Document()
	} else {
		doc, err := jsondoc.Parse(c.Data)
		if err != nil {
			return hbOutcome{execErr: fmt.Errorf("data: %w", err)}
		}
		data = doc
	}
	out, err := tm.Append(nil, data)
	if err != nil {
		return hbOutcome{execErr: err}
	}
	return hbOutcome{out: string(out)}
}

// difference names how Outhook differs from handlebars.js on a case, or is
// "" when they agree. Both refusing counts as agreeing; in JSON mode two
// bodies that are JSON are compared as values, numbers exactly.
func hbDifference(mode string, hb hbResult, oh hbOutcome) string {
	switch {
	case hb.Out == nil && (oh.parseErr != nil || oh.execErr != nil):
		return ""
	case hb.Out == nil:
		return "accepted"
	case oh.parseErr != nil:
		return "refused"
	case oh.execErr != nil:
		return "execute-error"
	}
	if *hb.Out == oh.out {
		return ""
	}
	if mode == "json" {
		a, errA := hbDecodeJSON(*hb.Out)
		b, errB := hbDecodeJSON(oh.out)
		if errA == nil && errB == nil && hbJSONEqual(a, b, hbExactEqual) {
			return ""
		}
	}
	return "different"
}

// explanationFor returns the explanation that holds for a difference: the
// listed one when it does, else the first that does, else "".
func hbExplanationFor(c hbCase, hb hbResult, oh hbOutcome, listed string) string {
	if e, ok := hbExplanations[listed]; ok && e.holds(c, hb, oh) {
		return listed
	}
	names := make([]string, 0, len(hbExplanations))
	for name := range hbExplanations {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if hbExplanations[name].holds(c, hb, oh) {
			return name
		}
	}
	return ""
}

func hbDecodeJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}

func hbJSONEqual(a, b any, num func(a, b json.Number) bool) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, va := range a {
			vb, ok := b[k]
			if !ok || !hbJSONEqual(va, vb, num) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !hbJSONEqual(a[i], b[i], num) {
				return false
			}
		}
		return true
	case json.Number:
		b, ok := b.(json.Number)
		return ok && num(a, b)
	default:
		return a == b
	}
}

func hbExactEqual(a, b json.Number) bool {
	ra, okA := new(big.Rat).SetString(string(a))
	rb, okB := new(big.Rat).SetString(string(b))
	return okA && okB && ra.Cmp(rb) == 0
}

func hbFloatEqual(a, b json.Number) bool {
	fa, errA := a.Float64()
	fb, errB := b.Float64()
	return errA == nil && errB == nil && fa == fb
}

var hbNumberRE = regexp.MustCompile(`-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?`)

// roundNumbers writes every number in s as JavaScript would print it after
// reading it as a float64.
func hbRoundNumbers(s string) string {
	return hbNumberRE.ReplaceAllStringFunc(s, func(n string) string {
		f, err := strconv.ParseFloat(n, 64)
		if err != nil {
			return n
		}
		return strconv.FormatFloat(f+0, 'g', -1, 64) // JavaScript writes -0 as 0
	})
}

func hbShow(r hbResult) string {
	if r.Out == nil {
		return "error: " + r.Error
	}
	return hbClip(*r.Out)
}

func ohShow(o hbOutcome) string {
	switch {
	case o.parseErr != nil:
		return "Parse error: " + o.parseErr.Error()
	case o.execErr != nil:
		return "Execute error: " + o.execErr.Error()
	}
	return hbClip(o.out)
}

func hbClip(s string) string {
	const max = 300
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}

func hbReadListed(t *testing.T, name string) map[string]hbListed {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(hbDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var list []hbListed
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	m := make(map[string]hbListed, len(list))
	for _, e := range list {
		if _, dup := m[e.Case]; dup {
			t.Fatalf("%s: %s is listed twice", name, e.Case)
		}
		if name == "explained.json" {
			if _, ok := hbExplanations[e.Category]; !ok {
				t.Fatalf("%s: %s: no explanation named %q", name, e.Case, e.Category)
			}
		}
		m[e.Case] = e
	}
	return m
}

func hbWriteListed(t *testing.T, name string, list []hbListed) {
	t.Helper()
	sort.Slice(list, func(i, j int) bool {
		if list[i].Category != list[j].Category {
			return list[i].Category < list[j].Category
		}
		return list[i].Case < list[j].Case
	})
	if list == nil {
		list = []hbListed{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(list); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(hbDir, name), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
