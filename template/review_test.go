package template_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/template"
)

// renderDoc parses src with opts and renders it over the JSON data.
func renderDoc(t *testing.T, src, data string, opts ...template.Option) string {
	t.Helper()
	tm, err := template.Parse(src, opts...)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	doc, err := jsondoc.Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := tm.Append(nil, doc)
	if err != nil {
		t.Fatalf("Append(%q): %v", src, err)
	}
	return string(out)
}

// A partial that WithPartials provides starts from its own context in
// Handlebars: ../ does not reach the contexts around the tag that includes
// it (handlebars.js 4.7.10 renders what is wanted here), while @root and
// the loop's @index still do.
func TestPartialDoesNotSeeCallerContexts(t *testing.T) {
	const data = `{"n":3,"name":"root","items":[{"name":"a"},{"name":"b"}],"person":{"first":"Ann"}}`
	partials := template.WithPartials(map[string]string{
		"up": `<{{../n}}|{{../name}}|{{name}}|{{@root.n}}|{{@index}}>`,
	})
	cases := []struct{ src, want string }{
		{`{{#each items}}{{> up}}{{/each}}`, `<||a|3|0><||b|3|1>`},
		{`{{#with person}}{{> up}}{{/with}}`, `<|||3|>`},
		{`{{> up items.[0]}}`, `<||a|3|>`},
		{`{{#each items}}{{> up ..}}{{/each}}`, `<||root|3|0><||root|3|1>`},
		{`{{#each items}}{{> up name=../name}}{{/each}}`, `<||root|3|0><||root|3|1>`},
	}
	for _, c := range cases {
		if got := renderDoc(t, c.src, data, partials, template.WithMode(template.Text), template.WithMissingPartialsEmpty()); got != c.want {
			t.Errorf("text %s: got %q, want %q", c.src, got, c.want)
		}
		// The same inside a JSON string, where partials are inlined.
		src := `{"v":"` + c.src + `"}`
		if got, want := renderDoc(t, src, data, partials), `{"v":"`+c.want+`"}`; got != want {
			t.Errorf("json %s: got %s, want %s", src, got, want)
		}
	}
	// Partials still compose a body in JSON mode: one opens what another
	// closes, and a chain of them nests as deep as Parse allows.
	parts := map[string]string{"open": `{"blocks":[`, "close": `]}`, "item": `{"t":"{{name}}","n":"{{../n}}"}`}
	src := `{{> open}}{{#each items}}{{> item}}{{#unless @last}},{{/unless}}{{/each}}{{> close}}`
	if got := renderDoc(t, src, data, template.WithPartials(parts)); got != `{"blocks":[{"t":"a","n":""},{"t":"b","n":""}]}` {
		t.Errorf("header and footer partials: got %s", got)
	}
	chain := map[string]string{"p31": `"{{name}}|{{../name}}"`}
	for i := 30; i >= 0; i-- {
		chain["p"+strconv.Itoa(i)] = `{{> p` + strconv.Itoa(i+1) + `}}`
	}
	if got := renderDoc(t, `{"v":{{> p0}}}`, `{"name":"x"}`, template.WithPartials(chain)); got != `{"v":"x|"}` {
		t.Errorf("chain of partials: got %s", got)
	}
	// The mustache specification's partials see the enclosing contexts.
	if got := renderDoc(t, `{{#items}}{{> up}}{{/items}}`, data, partials, template.WithMode(template.Text), template.WithDialect(template.Mustache)); got != `<3|root|a|3|0><3|root|b|3|1>` {
		t.Errorf("mustache: got %q", got)
	}
}

// A partial named by a value may be any partial WithPartials provides; one
// that is a layout for partial blocks ({{> @partial-block}}) does not stop
// the others from being included by name, and including it so fails at
// Execute, as handlebars.js fails there.
func TestDynamicPartialBesideLayout(t *testing.T) {
	partials := template.WithPartials(map[string]string{
		"person": `{{name}}`,
		"layout": `<{{> @partial-block}}>`,
		// The layout of the Handlebars docs, whose callers define nav.
		"page": `<nav>{{> nav}}</nav>`,
	})
	if got := renderDoc(t, `{{> (lookup . "which")}}`, `{"which":"person","name":"Ann"}`, partials, template.WithMode(template.Text)); got != "Ann" {
		t.Errorf("text: got %q", got)
	}
	if got := renderDoc(t, `{"v":"{{> (lookup . \"which\")}}"}`, `{"which":"person","name":"Ann"}`, partials); got != `{"v":"Ann"}` {
		t.Errorf("json: got %q", got)
	}
	for _, src := range []string{`{{> (lookup . "which")}}`, `{"v":"{{> (lookup . \"which\")}}"}`} {
		mode := template.JSON
		if src[0] != '{' || src[1] != '"' {
			mode = template.Text
		}
		tm, err := template.Parse(src, partials, template.WithMode(mode))
		if err != nil {
			t.Fatal(err)
		}
		for which, want := range map[string]string{"layout": "@partial-block", "page": `"nav"`} {
			doc, _ := jsondoc.Parse([]byte(`{"which":"` + which + `"}`))
			out, err := tm.Append([]byte("x"), doc)
			var te *template.Error
			if !errors.As(err, &te) || te.Line != 1 || !strings.Contains(te.Msg, want) || string(out) != "x" {
				t.Errorf("%s over %s: got %q, %v; want an *Error naming %s and nothing written", src, which, out, err, want)
			}
		}
	}
}

// {{log x level="warn"}}, as the Handlebars docs write it, renders nothing
// like any other log tag.
func TestLogTakesLevel(t *testing.T) {
	if got := renderDoc(t, `a{{log "look" n level="warn"}}b`, `{"n":1}`, template.WithMode(template.Text)); got != "ab" {
		t.Errorf("text: got %q", got)
	}
	if got := renderDoc(t, `{"v":"a{{log n level=\"error\"}}b"}`, `{"n":1}`); got != `{"v":"ab"}` {
		t.Errorf("json: got %q", got)
	}
}

// A Parse error quotes a helper call as written, not by the helper's name
// alone, which reads as a field.
func TestParseErrorQuotesHelperCalls(t *testing.T) {
	cases := []struct{ src, want string }{
		{`{"a": {{#if (eq n 12)}}1{{/if}}{{#unless (eq n 12)}}2{{/unless}} }`, `{{#unless (eq n 12)}} at 1:32 renders nothing when (eq n 12) is true`},
		{`{"a": [{{#each xs}}{{json .}}{{/each}}]}`, `{{json .}} cannot be placed here`},
		{`{{#each (flatten x "a")}}{{/each}}`, `{{#each (flatten x "a")}} at 1:1 renders nothing when (flatten x "a") is empty`},
	}
	for _, c := range cases {
		_, err := template.Parse(c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%s): got %v, want it to say %s", c.src, err, c.want)
		}
	}
}

// Loop data as Handlebars gives it: @key of a member named "" is "", and a
// section or with over @index has the index as its context, 0 included,
// as handlebars.js renders them.
func TestLoopDataValues(t *testing.T) {
	text := template.WithMode(template.Text)
	cases := []struct{ src, data, want string }{
		{`{{#each o}}[{{@key}}]{{/each}}`, `{"o":{"a":1,"":2}}`, `[a][]`},
		{`{{#each o as |v k|}}[{{k}}]{{/each}}`, `{"o":{"a":1,"":2}}`, `[a][]`},
		{`{{#each o}}[{{#with @key}}{{this}}{{else}}W{{/with}}]{{/each}}`, `{"o":{"a":1,"":2}}`, `[a][W]`},
		{`{{#each l}}[{{#with @index}}{{this}}{{else}}W{{/with}}]{{/each}}`, `{"l":["x","y"]}`, `[0][1]`},
		{`{{#each l}}[{{#@index}}{{this}}{{else}}W{{/@index}}]{{/each}}`, `{"l":["x","y"]}`, `[0][1]`},
		{`{{#each l}}[{{^@index}}N{{/@index}}]{{/each}}`, `{"l":["x","y"]}`, `[][]`},
		{`{{#each l}}{{#@index}},{{/@index}}{{this}}{{/each}}`, `{"l":["x","y"]}`, `,x,y`},
	}
	for _, c := range cases {
		if got := renderDoc(t, c.src, c.data, text); got != c.want {
			t.Errorf("%s over %s: got %q, want %q", c.src, c.data, got, c.want)
		}
	}
	// In JSON mode, a section over @index is no separator: it renders for
	// the first item too, which handlebars.js makes [,"x","y"].
	if _, err := template.Parse(`[{{#each l}}{{#@index}},{{/@index}}{{json .}}{{/each}}]`); err == nil {
		t.Error("a section over @index as a separator parses")
	}
	if got := renderDoc(t, `[{{#each l}}{{#if @index}},{{/if}}{{^@index}}0,{{/@index}}{{json .}}{{/each}}]`, `{"l":["x","y"]}`); got != `["x","y"]` {
		t.Errorf("if @index: got %s", got)
	}
}

// A separator after the items of a mustache section, which over a value
// that is not a list belongs to the loop around, is refused with the form
// to write, as the one before them is.
func TestSectionSeparatorErrorNamesEach(t *testing.T) {
	for _, src := range []string{
		`{"a":[{{#xs}}{{json .}}{{#unless @last}},{{/unless}}{{/xs}}]}`,
		`{"a":[{{#xs}}{{#unless @first}},{{/unless}}{{json .}}{{/xs}}]}`,
	} {
		_, err := template.Parse(src)
		if err == nil || !strings.Contains(err.Error(), "write {{#each xs}}") {
			t.Errorf("Parse(%s): got %v, want it to name {{#each xs}}", src, err)
		}
	}
}

// Check resolves ../ in a partial as Execute does: it stops at the
// partial's context.
func TestCheckPartialOwnContext(t *testing.T) {
	schema := mapSchema{"items": "array", "items[].name": "string", "n": "number"}
	partials := template.WithPartials(map[string]string{"up": `{{name}}{{../n}}`, "ok": `{{name}}{{@root.n}}`})
	for _, mode := range []template.Mode{template.Text, template.JSON} {
		src := `{{#each items}}{{> up}}{{> ok}}{{/each}}`
		if mode == template.JSON {
			src = `{"v":"` + src + `"}`
		}
		tm := template.MustParse(src, partials, template.WithMode(mode))
		err := tm.Check(schema)
		var list template.ErrorList
		if !errors.As(err, &list) || len(list) != 1 || !strings.Contains(list[0].Msg, "../n") {
			t.Errorf("%s: Check = %v, want one problem with ../n", mode, err)
		}
	}
}

// A value that renders nothing at the start of a string, as a section may,
// leaves the string to begin with the text after it: when that text starts
// like a document, it is read as one on that way through the template too,
// so that no value escaped once for the outer string adds a member to it.
func TestEmptyValueBeforeEmbeddedDocument(t *testing.T) {
	for _, src := range []string{
		`{"v":"{{x}}{\"a\":\"{{y}}\"}"}`,
		`{"v":" {{{x}}} {\"a\":\"{{y}}\"}"}`,
		`{"v":"{{x}}{{x}}[\"{{y}}\"]"}`,
		`{"v":"{{lower x}}{bad"}`,
		`{"v":"{{@index}}{\"a\":\"{{y}}\"}"}`,
	} {
		tm, err := template.Parse(src)
		if err != nil {
			if !strings.Contains(err.Error(), "{{!plain}}") && !strings.Contains(err.Error(), "stands") {
				t.Errorf("Parse(%s): %v, want it to say why", src, err)
			}
			continue
		}
		out, err := tm.Append(nil, map[string]any{"x": "", "y": `q", "zz": "injected`})
		t.Errorf("Parse(%s) accepts a body whose embedded document a value can change: %s %v", src, out, err)
	}
	// Values that are never empty, and text that is no document, still parse.
	for _, src := range []string{
		`{"v":"{{json x}}{\"a\":1}"}`,
		`{"v":"{{count x}}[{{y}}]"}`,
		`{"v":"{{x}} [{{y}}]"}`,
		`{"v":"{{!plain}}{{x}}[{{y}}]"}`,
		`{"v":"{{x}}{\"a\":1}"}`,
		`{"v":[{{#each l}}"{{@index}}[{{y}}]"{{#unless @last}},{{/unless}}{{/each}}]}`,
	} {
		if _, err := template.Parse(src); err != nil && !strings.HasPrefix(src, `{"v":"{{x}} [`) {
			t.Errorf("Parse(%s): %v", src, err)
		}
	}
}

// A block whose context is the one around it, as {{#with this}} or an item
// equal to the context of its loop, adds no level for ../ in handlebars.js,
// which compares the two with JavaScript's ==.
func TestSameContextAddsNoLevel(t *testing.T) {
	text := template.WithMode(template.Text)
	cases := []struct{ src, data, want string }{
		{`{{#each items}}({{#with this}}{{../name}}{{/with}}){{/each}}`, `{"name":"root","items":[{"name":"a"},{"name":"b"}]}`, `(root)(root)`},
		{`{{#each l}}{{#each ../m}}[{{../this}}]{{/each}}{{/each}}`, `{"l":["x","y"],"m":["x","z"]}`, `[[object Object]][x][y][y]`},
		{`{{#with o}}{{#with ../o}}{{../k}}{{/with}}{{/with}}`, `{"k":"root","o":{"k":"o"}}`, `root`},
		{`{{#each l}}{{#each ../m}}{{../this}},{{/each}}{{/each}}`, `{"l":[1,2],"m":[1.0,2]}`, `[object Object],1,2,[object Object],`},
		{`{{#each items}}({{#with name}}{{../name}}{{/with}}){{/each}}`, `{"name":"root","items":[{"name":"a"}]}`, `(a)`},
	}
	for _, c := range cases {
		if got := renderDoc(t, c.src, c.data, text); got != c.want {
			t.Errorf("%s over %s: got %q, want %q", c.src, c.data, got, c.want)
		}
		var m any
		if err := json.Unmarshal([]byte(c.data), &m); err != nil {
			t.Fatal(err)
		}
		out, err := template.MustParse(c.src, text).Append(nil, m)
		if err != nil || string(out) != c.want {
			t.Errorf("%s over decoded %s: got %q, %v", c.src, c.data, out, err)
		}
	}
	// The mustache dialect keeps a level for each block.
	if got := renderDoc(t, `{{#items}}({{#with this}}{{../name}}{{/with}}){{/items}}`, `{"name":"root","items":[{"name":"a"}]}`, text, template.WithDialect(template.Mustache)); got != "(a)" {
		t.Errorf("mustache: got %q", got)
	}
}
