package template_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/template"
)

// fuzzSeeds are templates that exercise every JSON context.
var fuzzSeeds = []string{
	`{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}"}}`,
	`{"a": {{x}}, "b": "{{x}}", {{k}}: [{{#each xs}}{{.}}{{#unless @last}},{{/unless}}{{/each}}]}`,
	`{"m": "{ \"who\": \"{{x}}\", \"n\": {{x}}, \"l\": [{{#each xs}}\"{{.}}\"{{#if @last}}{{else}},{{/if}}{{/each}}] }"}`,
	`{"m": "{\"a\": \"{\\\"b\\\": {{x}}, \\\"c\\\": \\\"{{x}}\\\"}\"}"}`,
	`[{{#xs}}{{#unless @first}},{{/unless}}{"i": {{@index}}, "k": "{{@key}}", "v": {{json .}}}{{/xs}}]`,
	`{ {{#each obj}}{{@key}}: {{this}}{{#unless @last}}, {{/unless}}{{/each}} }`,
	`{"t": {{time x}}, "u": "{{upper x}}", "d": {{default x "none"}}, "e": {{eq x 1}}, "j": "{{join xs}}"}`,
	`{{#if x}}{"x": {{x}}}{{else}}null{{/if}}`,
	`{"s": "{{truncate x 3}}", "b": "{{truncateBytes x 4 "..."}}", "n": {{count xs}}, "ms": {{millis x}}}`,
	`[{{#each (flatten xs)}}{{json .}}{{#unless @last}},{{/unless}}{{/each}}]`,
	`{"v": {{#if x}}"{{x}}"{{/if}}{{^if x}}null{{/if}}, "w": {{#with obj}}{{json .}}{{/with}}{{^with obj}}[]{{/with}}}`,
	`[{{#if x}}"a"{{/if}}{{#if k}}{{#if x}},{{/if}}"b"{{/if}}{{#unless k}}{{#unless x}}0{{/unless}}{{/unless}}]`,
	`{"m": "{\"t\": \"{{truncate x 2 \"~\"}}\", \"f\": [{{#each (flatten obj \"p\")}}\"{{.}}\"{{#unless @last}},{{/unless}}{{/each}}]}"}`,
	`{"a": [{{#each xs}}{{#with .}}{{#each .}}{{.}}{{#unless @last}},{{/unless}}{{/each}}{{/with}}{{/each}}]}`,
	// Issue 14: a value must not add members to the document embedded in
	// the string.
	`{"message": "{\"justification\": \"{{x}}\", \"groups\": [{{#xs}}{{#unless @first}},{{/unless}}\"{{k}}\"{{/xs}}]}"}`,
	`{"message": "{\"justification\": \"{{why}}\", \"groups\": [{{#groups}}{{#unless @first}},{{/unless}}\"{{name}}\"{{/groups}}]}"}`,
	`{"m": "{\"a\": \"{\\\"b\\\": \\\"{{x}}\\\", \\\"{{k}}\\\": [{{#each xs}}{{json .}}{{#unless @last}},{{/unless}}{{/each}}]}\", \"p\": \"{{!plain}}[{{x}}\"}"}`,
	`{"text":"{{#if (eq x \"RequestApproved\")}}{\"v\": \"{{k}}\"}{{else}}{\"w\": {{x}}}{{/if}}"}`,
	// Sections over loop variables are conditions on the enclosing loop.
	`[{{#each xs}}{{#@index}}{{#unless @first}},{{/unless}}{{/@index}}{{json .}}{{/each}}]`,
	`{"m": "{\"a\": \"\{{x}}"}"}`,
	// Handlebars forms (issue 18).
	`{"n": {{xs.length}}, "s": "{{x.length}}", "c": {{#if xs.length}}true{{else}}false{{/if}}}`,
	`{"a": {{#if true}}1{{else}}2{{/if}}, "b": "{{"x"}} {{eq x "a"}} {{eq 01 1}} {{eq 1e3 1000}} {{10}}"}`,
	`{"e": "a \{{x}}", "r": "{{!plain}}{{{{raw}}}}{{x}}{{{{/raw}}}}", "m": "{\"a\": [{{{{x}}}}1{{{{/x}}}}0]}"}`,
	`[{{#each xs}}[{{#each ../xs}}{{@../index}}{{#unless @last}},{{/unless}}{{/each}}]{{#unless @last}},{{/unless}}{{/each}}]`,
	`{"i": {{^if x}}0{{else}}1{{/if}}, "j": {{#if x includeZero=true}}1{{else}}0{{/if}}{{log "hi" x}}}`,
	"[\n  {{~#each xs}}\n  {{json .}},\n  {{~/each}}\n  0\n]",
	`{"a": "{{#*inline "x"}}<{{k}}>{{/inline}}{{> x}}", "b": [{{#> layout}}{{json x}}{{/layout}}], "c": {{#> p xs}}{{#*inline "q"}}{{json .}}{{/inline}}{{> q}}{{/p}}}`,
	`{{#*inline "v"}}{"v": {{json .}}}{{/inline}}[{{#each xs}}{{> v}}{{#unless @last}},{{/unless}}{{/each}}]`,
	`{"w": {{#with x}}{{json this}}{{else}}null{{/with}}, "s": "{{#x}}({{.}}){{/x}}{{^k}}none{{/k}}", "z": {{#with 0}}{{this}}{{/with}}}`,
	// Block parameters, hash arguments of helpers and partials, raw blocks,
	// literals, subexpressions, objects as text, partials named by a value.
	`[{{#each xs as |v i|}}{"i": {{i}}, "v": {{json v}}, "t": "{{v}} {{obj}} {{xs}}"}{{#unless @last}},{{/unless}}{{/each}}]`,
	`{"j": "{{join xs sep=(lower k)}}", "t": {{time x layout="DateOnly"}}, "u": "{{truncate (join xs) 5 ellipsis=k}}", "w": {{#with obj as |o|}}{{json o.p}}{{else}}null{{/with}}}`,
	`{"r": "{{!plain}}{{{{raw}}}}{{x}} {{/x}} \"{{{{/raw}}}}", "m": "{\"a\": \"<{{{{raw}}}}{{x}}{{{{/raw}}}}>\"}", "l": [{{eq x true}}, {{ne null undefined}}, {{json "s"}}, {{json -1.50}}]}`,
	`{"p": {{> (lower k)}}, "q": [{{>*x}}], "h": {{> v obj n=1}}}`,
	`{"s": {{#if (eq (count xs) 4)}}"{{lookup xs 1}}"{{else}}{{json (flatten xs)}}{{/if}}, "n": {{xs.length}}, "d": "{{obj.[p]}}"}`,
	// Block parameters on sections, over lists and over other values (the
	// parameters of the blocks around), literal tags with hash arguments,
	// subexpressions in hash arguments nothing reads.
	`[{{#xs as |v i|}}{"i": {{i}}, "v": {{json v}}, "s": "{{v}}"}{{#unless @last}},{{/unless}}{{/xs}}]`,
	`{"m": "{\"a\": \"{{#each xs as |v i|}}{{#obj as |o p|}}{{#x as |w|}}{{w}}{{o}}{{p}}{{v}}{{../k}}{{/x}}{{/obj}}{{/each}}\"}"}`,
	`{"s": "{{"x" n=1}} {{1 n=(lower k)}} {{"k" n=1}}{{log (lower x)}}{{"log"}}", "t": "{{#each xs as |this|}}{{this}}{{/each}}", "h": "{{#if x n=(lookup xs 0)}}{{(upper "k" n=1)}}{{/if}}"}`,
	`{"p": "{{#> x}}{{#k as |a|}}{{a}}{{/k}}{{/x}}{{#*inline "q"}}{{#obj as |b|}}{{b}}{{/obj}}{{/inline}}{{> q}}", "e": "{{^xs as |c|}}0{{else}}{{c}}{{/xs}}"}`,
}

// fuzzPartials are the partials the fuzzed templates may include, fixed
// so that partials named by a value have several to choose from.
var fuzzPartials = map[string]string{
	"key": `{{k}}`,
	"v":   `{"v": {{json .}}, "n": {{n}}}`,
	"x":   `{{json x}}`,
}

// fuzzData are data documents for the seeds.
var fuzzData = []string{
	`{"x": "a\"b\\c\nd\u2028e", "k": "key", "xs": [1, "two", null, {"a": [true]}], "obj": {"p": "q\"", "r": 1.5e300}}`,
	`{"x": {"deep": ["\u0000"]}, "xs": "not a list", "obj": []}`,
	`{"x": 1773134100.482913204, "xs": [[1,2],[3]], "k": null}`,
	`[]`,
	`"just a string"`,
	`{"x": 0, "k": "", "xs": [0, ""]}`,
	injectionData(),
}

// canary is the member name that the values of injectionData try to add to
// the documents of the body, at every depth of escaping. No seed template
// holds a 'z', so a template can only render it as a name by pieces that
// hold one.
const canary = "zz"

func injectionData() string {
	var inj []any
	for _, s := range []string{
		`x", "zz": "`, `"], "zz": ["`, `"}, "zz": {"a": "`, `1, "zz": 2`,
	} {
		for range 3 {
			inj = append(inj, s)
			q, _ := json.Marshal(s)
			s = string(q[1 : len(q)-1])
		}
	}
	b, err := json.Marshal(map[string]any{
		"x": inj[0], "k": inj[1], "why": inj[0], "xs": inj,
		"groups": []any{map[string]any{"name": inj[1]}, map[string]any{"name": inj[2]}},
		"obj":    map[string]any{"p": inj[3], "r": inj[4]},
	})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// fuzzMark is written by ParseMarked at the start of every string that the
// template reads as an embedded document. Random in each run, no value of
// the fuzzed data can forge it.
var fuzzMark = "mark" + strconv.FormatUint(rand.Uint64(), 36)

// FuzzParse checks that Parse never panics, and that whatever parses in
// JSON mode renders valid JSON over sample data.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	events := fuzzEvents(f)
	f.Fuzz(func(t *testing.T, src string) {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				panic(fmt.Sprintf("stuck on %q", src))
			}
		}()
		for _, mode := range []template.Mode{template.HTML, template.Text} {
			if tmpl, err := template.Parse(src, template.WithMode(mode), template.WithPartials(fuzzPartials), fuzzLimit); err == nil {
				_, _ = tmpl.Append(nil, events[0])
			}
		}
		for _, opts := range fuzzDialects {
			tmpl, err := template.Parse(src, opts...)
			if err != nil {
				continue
			}
			for _, ev := range events {
				checkValid(t, tmpl, src, ev)
				checkShape(t, src, ev, opts)
			}
		}
	})
}

// fuzzDialects are the options the JSON mode guarantee is checked under:
// the dialects differ in lookups and in what @first, @last and @index mean
// inside a section over a value that is not a list.
var fuzzDialects = [][]template.Option{
	{template.WithPartials(fuzzPartials), fuzzLimit},
	{template.WithPartials(fuzzPartials), fuzzLimit, template.WithDialect(template.Mustache)},
}

// fuzzLimit bounds the renderings, as a service rendering templates that
// others write must: without it a template of a few hundred bytes may ask
// for gigabytes, and the fuzzer stalls on it.
var fuzzLimit = template.WithRenderLimit(1 << 20)

// FuzzExecute checks the JSON mode guarantee: for any data, a template that
// parses renders valid JSON or returns an error.
func FuzzExecute(f *testing.F) {
	for _, s := range fuzzSeeds {
		for _, d := range fuzzData {
			f.Add(s, d)
		}
	}
	f.Fuzz(func(t *testing.T, src, data string) {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				panic(fmt.Sprintf("stuck on %q / %q", src, data))
			}
		}()
		doc, err := jsondoc.Parse([]byte(data))
		if err != nil {
			return
		}
		var v any
		plainOK := json.Unmarshal([]byte(data), &v) == nil
		for _, opts := range fuzzDialects {
			tmpl, err := template.Parse(src, opts...)
			if err != nil {
				continue
			}
			checkValid(t, tmpl, src, doc)
			checkShape(t, src, doc, opts)
			if plainOK {
				checkValid(t, tmpl, src, v)
				checkShape(t, src, v, opts)
			}
		}
	})
}

func checkValid(t *testing.T, tmpl *template.Template, src string, data any) {
	t.Helper()
	out, err := tmpl.Append([]byte("prefix"), data)
	if err != nil {
		if string(out) != "prefix" {
			t.Fatalf("Append left %q behind on error %v", out, err)
		}
		return
	}
	if !json.Valid(out[len("prefix"):]) {
		t.Fatalf("template %q rendered invalid JSON:\n%s", src, out[len("prefix"):])
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil || !bytes.Equal(buf.Bytes(), out[len("prefix"):]) {
		t.Fatalf("Execute differs from Append: %v\n%s", err, buf.Bytes())
	}
}

func fuzzEvents(f *testing.F) []any {
	var events []any
	raw, err := os.ReadFile(filepath.Join("testdata", "events", "hostile.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, d := range append([]string{string(raw)}, fuzzData...) {
		doc, err := jsondoc.Parse([]byte(d))
		if err != nil {
			f.Fatal(err)
		}
		events = append(events, doc)
	}
	return events
}

// checkShape renders src, parsed with ParseMarked, over data, and decodes
// the body and every embedded document in it, found by fuzzMark: each must
// be JSON, and no object may have a canary member, unless the template
// holds a 'z' or the data a piece of the canary, from which a tag in
// member-name position could make one.
func checkShape(t *testing.T, src string, data any, opts []template.Option) {
	t.Helper()
	tmpl, err := template.ParseMarked(src, fuzzMark, opts...)
	if err != nil {
		t.Fatalf("template %q parses, but not with marks: %v", src, err)
	}
	out, err := tmpl.Append(nil, data)
	if err != nil {
		return
	}
	canaryFree := !strings.ContainsAny(src, "zZ") && !holdsCanary(plainValue(t, data))
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch v := v.(type) {
		case map[string]any:
			for k, m := range v {
				if canaryFree && strings.EqualFold(k, canary) {
					t.Fatalf("template %q: a value added member %q at %s:\n%s", src, k, path, out)
				}
				walk(m, path+"."+k)
			}
		case []any:
			for i, e := range v {
				walk(e, path+"["+strconv.Itoa(i)+"]")
			}
		case string:
			doc, ok := strings.CutPrefix(v, fuzzMark)
			if !ok {
				return
			}
			d := json.NewDecoder(strings.NewReader(doc))
			d.UseNumber()
			var inner any
			if err := d.Decode(&inner); err != nil || d.InputOffset() != int64(len(doc)) && strings.TrimSpace(doc[d.InputOffset():]) != "" {
				t.Fatalf("template %q: the document embedded at %s is not JSON (%v):\n%s", src, path, err, doc)
			}
			walk(inner, path+"(embedded)")
		}
	}
	walk(decodeJSON(t, out), "$")
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("%v:\n%s", err, b)
	}
	return v
}

// plainValue turns data, a parsed document or Go value, into JSON-like Go
// values.
func plainValue(t *testing.T, data any) any {
	t.Helper()
	if d, ok := data.(*jsondoc.Value); ok {
		return decodeJSON(t, d.AppendJSON(nil))
	}
	return data
}

// holdsCanary reports whether a name or string of v is a piece of the
// canary, in any case.
func holdsCanary(v any) bool {
	piece := func(s string) bool { return s != "" && strings.Contains(canary, strings.ToLower(s)) }
	switch v := v.(type) {
	case map[string]any:
		for k, m := range v {
			if piece(k) || holdsCanary(m) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if holdsCanary(e) {
				return true
			}
		}
	case string:
		return piece(v)
	}
	return false
}
