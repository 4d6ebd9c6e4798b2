package template_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
	`{"a": [{{#each xs}}{{#with .}}{{#each .}}{{.}}{{#unless @last}},{{/unless}}{{/each}}{{/with}}{{/each}}]}`,
}

// fuzzData are data documents for the seeds.
var fuzzData = []string{
	`{"x": "a\"b\\c\nd\u2028e", "k": "key", "xs": [1, "two", null, {"a": [true]}], "obj": {"p": "q\"", "r": 1.5e300}}`,
	`{"x": {"deep": ["\u0000"]}, "xs": "not a list", "obj": []}`,
	`{"x": 1773134100.482913204, "xs": [[1,2],[3]], "k": null}`,
	`[]`,
	`"just a string"`,
}

// FuzzParse checks that Parse never panics, and that whatever parses in
// JSON mode renders valid JSON over sample data.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	events := fuzzEvents(f)
	f.Fuzz(func(t *testing.T, src string) {
		for _, mode := range []template.Mode{template.HTML, template.Text} {
			if tmpl, err := template.Parse(src, template.WithMode(mode)); err == nil {
				_, _ = tmpl.Append(nil, events[0])
			}
		}
		tmpl, err := template.Parse(src)
		if err != nil {
			return
		}
		for _, ev := range events {
			checkValid(t, tmpl, src, ev)
		}
	})
}

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
		tmpl, err := template.Parse(src)
		if err != nil {
			return
		}
		doc, err := jsondoc.Parse([]byte(data))
		if err != nil {
			return
		}
		checkValid(t, tmpl, src, doc)
		var v any
		if json.Unmarshal([]byte(data), &v) == nil {
			checkValid(t, tmpl, src, v)
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
