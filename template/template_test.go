package template_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/template"
)

// hostileData holds values that break naive JSON templating.
func hostileData() map[string]any {
	return map[string]any{
		"s":     "a \"quoted\" \\ back\nslash\u2028\u2029 </b> & é",
		"n":     json.Number("1773134100.482913204"),
		"f":     1.5,
		"b":     true,
		"null":  nil,
		"list":  []any{"x", json.Number("2"), nil, map[string]any{"k": "v\""}},
		"obj":   map[string]any{"b": "2", "a": "1\""},
		"empty": []any{},
		"zero":  json.Number("0"),
		"str":   "",
	}
}

func TestJSONContexts(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"string", `{"v": "<{{s}}>"}`, `{"v": "<a \"quoted\" \\ back\nslash\u2028\u2029 </b> & é>"}`},
		{"raw tags are escaped too", `{"v": "{{{s}}}{{&s}}"}`, `{"v": "a \"quoted\" \\ back\nslash\u2028\u2029 </b> & éa \"quoted\" \\ back\nslash\u2028\u2029 </b> & é"}`},
		{"string value", `{"v": {{s}}}`, `{"v": "a \"quoted\" \\ back\nslash\u2028\u2029 </b> & é"}`},
		{"number value keeps its digits", `{"v": {{n}}, "f": {{f}}}`, `{"v": 1773134100.482913204, "f": 1.5}`},
		{"number in a string", `{"v": "{{n}}"}`, `{"v": "1773134100.482913204"}`},
		{"boolean and null", `[{{b}}, {{null}}, "{{b}}{{null}}"]`, `[true, null, "true"]`},
		{"missing field", `[{{nope}}, "{{nope}}", {{a.b.c}}]`, `[null, "", null]`},
		{"object and array values", `[{{obj}}, {{list}}]`, `[{"a":"1\"","b":"2"}, ["x",2,null,{"k":"v\""}]]`},
		{"object in a string", `"{{obj}}"`, `"[object Object]"`},
		{"array in a string", `"{{list}}"`, `"x,2,,[object Object]"`},
		{"json of an object in a string", `"{{json obj}}"`, `"{\"a\":\"1\\\"\",\"b\":\"2\"}"`},
		{"member-name position", `{ {{s}}: 1, {{n}}: 2 }`, `{ "a \"quoted\" \\ back\nslash\u2028\u2029 </b> & é": 1, "1773134100.482913204": 2 }`},
		{"embedded document, string", `{"m": "{ \"who\": \"{{s}}\" }"}`, `{"m": "{ \"who\": \"a \\\"quoted\\\" \\\\ back\\nslash\\u2028\\u2029 </b> & é\" }"}`},
		{"embedded document, value", `{"m": "{\"v\": {{s}}, \"n\": {{n}}, \"o\": {{obj}}}"}`, `{"m": "{\"v\": \"a \\\"quoted\\\" \\\\ back\\nslash\\u2028\\u2029 </b> & é\", \"n\": 1773134100.482913204, \"o\": {\"a\":\"1\\\"\",\"b\":\"2\"}}"}`},
		{"embedded twice", `"{\"a\": \"{\\\"b\\\": {{obj}}}\"}"`, `"{\"a\": \"{\\\"b\\\": {\\\"a\\\":\\\"1\\\\\\\"\\\",\\\"b\\\":\\\"2\\\"}}\"}"`},
		{"braces that are not a document", `{"m": "{{!plain}}{ {{b}} }"}`, `{"m": "{ true }"}`},
		{"each with separators", `[{{#each list}}{{json .}}{{#unless @last}},{{/unless}}{{/each}}]`, `["x",2,null,{"k":"v\""}]`},
		{"each with leading separators", `[0{{#each list}}, {{@index}}{{/each}}]`, `[0, 0, 1, 2, 3]`},
		{"each over an object", `{ {{#each obj}}{{@key}}: "{{.}}"{{#unless @last}}, {{/unless}}{{/each}} }`, `{ "a": "1\"", "b": "2" }`},
		{"each else", `[{{#each empty}}1{{else}}"none"{{/each}}]`, `["none"]`},
		{"if else", `{{#if zero}}1{{else if str}}2{{else}}{{#if b}}3{{else}}4{{/if}}{{/if}}`, `3`},
		{"unless", `[{{#unless null}}"yes"{{/unless}}]`, `["yes"]`},
		{"with", `{{#with obj}}{"a": {{a}}, "s": {{../s}}}{{else}}null{{/with}}`, `{"a": "1\"", "s": "a \"quoted\" \\ back\nslash\u2028\u2029 </b> & é"}`},
		{"mustache section over a list", `[{{#list}}{{json .}}, {{/list}}0]`, `["x", 2, null, {"k":"v\""}, 0]`},
		{"inverted", `[{{^empty}}"empty"{{/empty}}]`, `["empty"]`},
		{"segment literals", `[{{list.[3].[k]}}, {{list.[1]}}, {{this.obj.a}}, {{@root.b}}]`, `["v\"", 2, "1\"", true]`},
		{"whitespace control", "{ \"a\" :  {{~b~}}  }", `{ "a" :true}`},
		{"comments", `{{!-- a "comment" }} --}}[{{! another }}1]`, `[1]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := template.Parse(tt.src)
			require.NoError(t, err)
			got, err := tmpl.Append(nil, hostileData())
			require.NoError(t, err)
			require.JSONEq(t, tt.want, string(got))
			require.Equal(t, tt.want, string(got))
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line, col int
		msg       string
	}{
		{"unclosed section", "{\"a\": [\n{{#each x}}1]}", 2, 1, "unclosed section {{#each}}"},
		{"mismatched close", `[{{#if a}}1{{/each}}]`, 1, 12, "does not match {{#if}}"},
		{"close without open", `[{{/x}}]`, 1, 2, "without an opening tag"},
		{"unclosed tag", `{"a": "{{x"}`, 1, 8, "unclosed tag"},
		{"bad delimiters", `{{=<% %>}}`, 1, 1, "bad delimiter"},
		{"unknown helper", `{"a": {{frobnicate x y}}}`, 1, 9, `unknown helper "frobnicate"`},
		{"helper arity", `{"a": {{eq x}}}`, 1, 9, "helper eq takes 2 argument(s), got 1"},
		{"tag after a value", `{"a": 1 {{x}}}`, 1, 9, "tag after a JSON value"},
		{"tag inside a number", `{"a": 1{{x}}}`, 1, 8, "inside a JSON number"},
		{"tag where a colon goes", `{"a" {{x}}}`, 1, 6, "expects ':'"},
		{"not JSON", "{\"a\":\n  oops}", 2, 3, "expected a value"},
		{"raw newline in a string", "{\"a\": \"x\ny\"}", 1, 9, "must be escaped"},
		{"incomplete document", `{"a": [1`, 1, 9, "incomplete JSON document"},
		{"empty", ``, 0, 0, "empty JSON document"},
		{"items without separator", `[{{#each x}}{"a": 1}{{/each}}]`, 1, 13, "expected ',' or ']'"},
		{"section across a string", `{"a": "{{#x}}", "b": "{{/x}}"}`, 1, 23, "another JSON context"},
		{"section across nesting", `{"a": {{#x}}[{{/x}}1]}`, 1, 14, "another JSON context"},
		{"ambiguous place", `{ {{#if a}}"k": {{/if}}{{x}} }`, 1, 24, "depending on the sections before it"},
		{"unknown hash argument", `{{time x format="y"}}`, 1, 10, "takes no hash argument format; it takes layout"},
		{"hash argument given twice", `{{join xs ", " sep="-"}}`, 1, 16, "is given as argument 2 too"},
		{"hash argument after a gap", `{{truncate x ellipsis="-"}}`, 1, 3, "takes 2 to 4 argument(s), got 1"},
		{"hash argument of a helper that takes none", `{{upper x k=1}}`, 1, 11, "takes no hash argument k"},
		{"else in a partial block closed by another tag", "{{#if a}}{{#> p}}x\n{{else}}y\n{{/if}}", 2, 1, "{{else}} in a partial block"},
		{"raw block close without an open", "\"a\"\n{{{{/raw}}}}\n{{{{raw}}}}x{{{{/raw}}}}", 2, 1, "{{{{/raw}}}} closes no raw block"},
		{"number ending a path", `{{list.1}}`, 1, 8, "write list.[1]"},
		{"number ending a parent path", `{{../0}}`, 1, 6, "write ../[0]"},
		{"recursive partial", `[{{>p}}]`, 1, 1, "includes itself"},
		// The first error in the text, though the lexer fails on a later tag.
		{"mismatched close before an unclosed tag", "[{{#if a}}{{/each}}\n{{x]", 1, 11, "does not match {{#if}}"},
		{"number ending a path before an unclosed tag", `{"a": "{{a.1}} {{x"}`, 1, 12, "write a.[1]"},
		{"bad name before an unclosed comment", "[{{a!b}}, {{!-- x]", 1, 4, "a!b"},
		{"unclosed section before an unclosed tag", "[{{#each x}}\n{{x]", 2, 1, "unclosed tag"},
		{"unclosed partial block before an unclosed tag", "[{{#> p}}\n{{x]", 2, 1, "unclosed tag"},
		{"unclosed inline partial in an else chain before an unclosed tag", "{{#*inline \"q\"}}{{/inline}}[{{#if a}}{{else if b}}{{#*inline \"z\"}}x{{y]", 1, 68, "unclosed tag"},
		// The first error in the text, though a block's wrong close or
		// else comes to light before its content is read.
		{"error in a partial block before its wrong close", "[{{#> p}}{{#if a}}x{{else}}y{{else}}z{{/each}}{{/if}}]", 1, 29, "second {{else}}"},
		{"error in a partial block before its else", "[{{#> p}}{{a.1}}{{else}}{{/p}}]", 1, 14, "write a.[1]"},
		{"error before an inline partial's wrong close", "[{{a.1}}{{#*inline \"z\"}}x{{/y}}]", 1, 6, "write a.[1]"},
		{"error in an inline partial before its wrong close", "[{{#*inline \"z\"}}{{a.1}}{{/y}}]", 1, 22, "write a.[1]"},
		{"error in an inline partial before its else", "[{{#if x}}{{a.1}}{{#*inline \"z\"}}x{{else}}{{/inline}}{{/if}}]", 1, 15, "write a.[1]"},
		// The content of an unclosed inline partial or partial block is
		// read before its close is found missing, as a section's is, and
		// as far as the tokens go before a lexer error.
		{"error in an unclosed inline partial", "[{{#*inline \"z\"}}{{a.1}}]", 1, 22, "write a.[1]"},
		{"error in an unclosed partial block", "[{{#> p}}{{a.1}}]", 1, 14, "write a.[1]"},
		{"error in an unclosed inline partial before an unclosed tag", "[{{#*inline \"z\"}}{{a.1}}\n{{x]", 1, 22, "write a.[1]"},
		{"error in an unclosed partial block before an unclosed tag", "[{{#> p}}{{#if a}}{{/x}}\n{{x]", 1, 19, "does not match {{#if}}"},
		{"else in an unclosed inline partial", "[{{#*inline \"z\"}}{{a.1}}{{else}}]", 1, 22, "write a.[1]"},
		{"else in an unclosed inline partial after its content", "[{{#*inline \"z\"}}x\n{{else}}]", 2, 1, "{{else}} in an inline partial"},
		{"error in an unclosed partial block in an inline partial before an unclosed tag", "[{{#*inline \"z\"}}{{#> p}}{{a.1}}\n{{x]", 1, 30, "write a.[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := template.Parse(tt.src, template.WithName("body"), template.WithPartials(map[string]string{"p": "{{>p}}"}))
			require.Error(t, err)
			var te *template.Error
			require.ErrorAs(t, err, &te)
			require.Equal(t, tt.line, te.Line, err.Error())
			require.Equal(t, tt.col, te.Column, err.Error())
			require.Contains(t, te.Msg, tt.msg)
			if tt.line > 0 && te.Name != "p" {
				require.True(t, strings.HasPrefix(err.Error(), "body:"), err.Error())
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	require.Equal(t, "body:3:7: boom", (&template.Error{Name: "body", Line: 3, Column: 7, Msg: "boom"}).Error())
	require.Equal(t, "3:7: boom", (&template.Error{Line: 3, Column: 7, Msg: "boom"}).Error())
	require.Equal(t, "boom", (&template.Error{Msg: "boom"}).Error())
}

func TestModes(t *testing.T) {
	data := map[string]any{"s": `<a href="x">&</a>`, "n": 3}
	tests := []struct {
		mode      template.Mode
		src, want string
	}{
		{template.HTML, `{{s}}|{{{s}}}|{{&s}}|{{n}}`, `&lt;a href&#x3D;&quot;x&quot;&gt;&amp;&lt;/a&gt;|<a href="x">&</a>|<a href="x">&</a>|3`},
		{template.Text, `{{s}}|{{{s}}} {{n}}`, `<a href="x">&</a>|<a href="x">&</a> 3`},
		{template.Text, "not json: {{s}}\n", "not json: <a href=\"x\">&</a>\n"},
		{template.JSON, `"{{s}}"`, `"<a href=\"x\">&</a>"`},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			tmpl, err := template.Parse(tt.src, template.WithMode(tt.mode))
			require.NoError(t, err)
			require.Equal(t, tt.mode, tmpl.Mode())
			got, err := tmpl.Append(nil, data)
			require.NoError(t, err)
			require.Equal(t, tt.want, string(got))
		})
	}
	_, err := template.Parse(`x`, template.WithMode(template.Mode(9)))
	require.ErrorContains(t, err, "unknown mode Mode(9)")
}

func TestHelpers(t *testing.T) {
	data := map[string]any{
		"t":       json.Number("1773134100.482913204"),
		"ts":      "1773134100.5",
		"te":      json.Number("1.7731341e9"),
		"null":    nil,
		"s":       "MiXed",
		"list":    []any{"a", json.Number("1"), true},
		"rel":     "AnyOf",
		"obj":     map[string]any{"k": "v"},
		"num":     json.Number("1.0"),
		"another": json.Number("1"),
	}
	tests := []struct {
		name, src, want string
	}{
		{"time default layout", `"{{time t}}"`, `"2026-03-10T09:15:00Z"`},
		{"time keeps nanoseconds", `"{{time t 'RFC3339Nano'}}"`, `"2026-03-10T09:15:00.482913204Z"`},
		{"time Go layout", `"{{time ts "2006-01-02 15:04:05.000"}}"`, `"2026-03-10 09:15:00.500"`},
		{"time exponent", `"{{time te}}"`, `"2026-03-10T09:15:00Z"`},
		{"time of null is null", `{{time null}}`, `null`},
		{"json in a string", `"{{json obj}}"`, `"{\"k\":\"v\"}"`},
		{"json of a string in a string", `"{{json s}}"`, `"\"MiXed\""`},
		{"json in value position", `{{json list}}`, `["a",1,true]`},
		{"eq and ne", `[{{eq rel "AnyOf"}}, {{ne rel "AnyOf"}}, {{eq num another}}, {{eq null missing}}, {{eq obj obj}}]`, `[true, false, true, true, true]`},
		{"if eq", `{{#if (eq rel "AllOf")}}1{{else}}2{{/if}}`, `2`},
		{"default", `[{{default null "x"}}, {{default s "x"}}, {{default missing 0}}]`, `["x", "MiXed", 0]`},
		{"join", `["{{join list}}", "{{join list "|"}}"]`, `["a, 1, true", "a|1|true"]`},
		{"lookup", `[{{lookup obj "k"}}, {{lookup list 1}}, {{lookup obj s}}]`, `["v", 1, null]`},
		{"upper lower", `"{{upper s}} {{lower s}}"`, `"MIXED mixed"`},
		{"subexpression", `"{{upper (lookup obj "k")}}"`, `"V"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := template.Parse(tt.src)
			require.NoError(t, err)
			got, err := tmpl.Append(nil, data)
			require.NoError(t, err)
			require.Equal(t, tt.want, string(got))
		})
	}

	_, err := template.MustParse(`{{time s}}`).Append(nil, data)
	var te *template.Error
	require.ErrorAs(t, err, &te)
	require.Contains(t, te.Msg, "helper time")
}

func TestCustomHelpers(t *testing.T) {
	boom := errors.New("boom")
	helpers := map[string]template.Helper{
		"concat": func(args []any) (any, error) {
			var b strings.Builder
			for _, a := range args {
				b.WriteString(a.(string))
			}
			return b.String(), nil
		},
		"kinds": func(args []any) (any, error) {
			var kinds []any
			for _, a := range args {
				switch a.(type) {
				case nil:
					kinds = append(kinds, "nil")
				case string:
					kinds = append(kinds, "string")
				case json.Number:
					kinds = append(kinds, "number")
				case bool:
					kinds = append(kinds, "bool")
				case map[string]any:
					kinds = append(kinds, "object")
				case []any:
					kinds = append(kinds, "array")
				}
			}
			return kinds, nil
		},
		"now":  func([]any) (any, error) { return "2026-01-01", nil },
		"fail": func([]any) (any, error) { return nil, boom },
		"nil":  nil,
	}
	doc, err := jsondoc.Parse([]byte(`{"a": "x", "b": "y", "n": 1.50, "t": true, "o": {"k": [1]}, "l": [], "z": null}`))
	require.NoError(t, err)
	tmpl, err := template.Parse(`{"c": "{{concat a b}}", "k": {{kinds a n t o l z missing}}, "now": "{{now}}"}`, template.WithHelpers(helpers))
	require.NoError(t, err)
	got, err := tmpl.Append(nil, doc)
	require.NoError(t, err)
	require.Equal(t, `{"c": "xy", "k": ["string","number","bool","object","array","nil","nil"], "now": "2026-01-01"}`, string(got))

	tmpl, err = template.Parse(`{"x": {{fail a}}}`, template.WithHelpers(helpers))
	require.NoError(t, err)
	_, err = tmpl.Append(nil, doc)
	require.ErrorIs(t, err, boom)

	_, err = template.Parse(`{{nil a}}`, template.WithHelpers(helpers))
	require.ErrorContains(t, err, `unknown helper "nil"`)
}

func TestStrict(t *testing.T) {
	data := map[string]any{"a": map[string]any{"b": nil}, "list": []any{map[string]any{"x": 1}}}
	tmpl, err := template.Parse("{\"v\":\n  {{a.c}}}", template.WithStrict(), template.WithName("body"))
	require.NoError(t, err)
	_, err = tmpl.Append(nil, data)
	require.ErrorIs(t, err, template.ErrMissingField)
	var te *template.Error
	require.ErrorAs(t, err, &te)
	require.Equal(t, "a.c", te.Path)
	require.Equal(t, "body:2:5: missing field a.c", err.Error())

	for _, src := range []string{
		`{"v": {{a.b}}}`,
		`{"v": {{#if a.c}}1{{else}}2{{/if}}}`,
		`{"v": {{#unless a.c}}1{{else}}2{{/unless}}}`,
		`{"v": [{{^a.c}}1{{/a.c}}]}`,
		`{"v": {{default a.c 1}}}`,
		`[{{#each list}}{{x}}{{#unless @last}},{{/unless}}{{/each}}]`,
	} {
		_, err := template.MustParse(src, template.WithStrict()).Append(nil, data)
		require.NoError(t, err, src)
	}
	for _, src := range []string{`[{{#each list}}{{y}}{{#unless @last}},{{/unless}}{{/each}}]`, `[{{#with nope}}1{{/with}}]`, `{{eq nope 1}}`} {
		_, err := template.MustParse(src, template.WithStrict()).Append(nil, data)
		require.ErrorIs(t, err, template.ErrMissingField, src)
	}
	_, err = template.Parse(`{{>nope}}`, template.WithStrict())
	require.ErrorContains(t, err, `unknown partial "nope"`)
}

func TestPartials(t *testing.T) {
	partials := map[string]string{
		"user": `{"name": "{{name}}", "email": {{email}}}`,
		"row":  "- {{name}}\n",
	}
	data := map[string]any{"users": []any{
		map[string]any{"name": "A \"1\"", "email": "a@x"},
		map[string]any{"name": "B", "email": nil},
	}}
	tmpl, err := template.Parse(`[{{#each users}}{{> user}}{{#unless @last}},{{/unless}}{{/each}}]`, template.WithPartials(partials))
	require.NoError(t, err)
	got, err := tmpl.Append(nil, data)
	require.NoError(t, err)
	require.Equal(t, `[{"name": "A \"1\"", "email": "a@x"},{"name": "B", "email": null}]`, string(got))

	// A partial is checked where it stands: here inside a string.
	_, err = template.Parse(`{"a": "{{> user}}"}`, template.WithPartials(partials))
	require.Error(t, err)

	tmpl, err = template.Parse("Users:\n{{#users}}\n  {{> row}}\n{{/users}}", template.WithMode(template.Text), template.WithPartials(partials))
	require.NoError(t, err)
	got, err = tmpl.Append(nil, data)
	require.NoError(t, err)
	require.Equal(t, "Users:\n  - A \"1\"\n  - B\n", string(got))
}

func TestDelimiters(t *testing.T) {
	tmpl, err := template.Parse(`{"a": "<% x %>", "b": "<%!plain%>{{x}}"}`, template.WithDelimiters("<%", "%>"))
	require.NoError(t, err)
	got, err := tmpl.Append(nil, map[string]any{"x": "1"})
	require.NoError(t, err)
	require.Equal(t, `{"a": "1", "b": "{{x}}"}`, string(got))
}

func TestAppendKeepsDstOnError(t *testing.T) {
	tmpl := template.MustParse(`{"a": "{{a}}", "b": {{b}}}`, template.WithStrict())
	dst := []byte("keep")
	out, err := tmpl.Append(dst, map[string]any{"a": "x"})
	require.ErrorIs(t, err, template.ErrMissingField)
	require.Equal(t, "keep", string(out))

	var buf bytes.Buffer
	require.Error(t, tmpl.Execute(&buf, map[string]any{"a": "x"}))
	require.Zero(t, buf.Len(), "nothing is written when rendering fails")
}

func TestMustParsePanics(t *testing.T) {
	require.Panics(t, func() { template.MustParse(`{{#x}}`) })
}

func TestNilOptionIgnored(t *testing.T) {
	tmpl, err := template.Parse(`1`, nil, template.WithName("n"))
	require.NoError(t, err)
	require.Equal(t, "n", tmpl.Name())
}

// TestConcurrent renders one template from many goroutines; run with -race.
func TestConcurrent(t *testing.T) {
	tmpl := template.MustParse(`{"n": {{n}}, "l": [{{#each l}}"{{.}}"{{#unless @last}},{{/unless}}{{/each}}]}`)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := map[string]any{"n": g, "l": []any{"a", g}}
			for range 200 {
				var buf bytes.Buffer
				require.NoError(t, tmpl.Execute(&buf, data))
				var v map[string]any
				require.NoError(t, json.Unmarshal(buf.Bytes(), &v))
				require.EqualValues(t, g, v["n"])
			}
		}()
	}
	wg.Wait()
}

func TestAllocations(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation counts are checked in the full run without the race detector")
	}
	doc, err := jsondoc.Parse([]byte(`{"a": "x", "l": [{"b": 1}, {"b": 2}], "o": {"k": "v"}}`))
	require.NoError(t, err)
	tmpl := template.MustParse(`{"a": "{{a}}", "l": [{{#each l}}{{b}}{{#unless @last}},{{/unless}}{{/each}}], "o": {{o}}, "k": [{{#each o}}"{{@key}}"{{#unless @last}},{{/unless}}{{/each}}]}`)
	buf := make([]byte, 0, 1024)
	allocs := testing.AllocsPerRun(100, func() {
		buf, _ = tmpl.Append(buf[:0], doc)
	})
	require.Zero(t, allocs)
	var w bytes.Buffer
	w.Grow(1024)
	allocs = testing.AllocsPerRun(100, func() {
		w.Reset()
		_ = tmpl.Execute(&w, doc)
	})
	require.Zero(t, allocs)
}

func TestInvalidNumberIsAnError(t *testing.T) {
	tmpl := template.MustParse(`{"n": {{n}}, "s": "{{n}}"}`)
	_, err := tmpl.Append(nil, map[string]any{"n": json.Number("1, \"x\": 2")})
	require.ErrorContains(t, err, "invalid number")
	out, err := tmpl.Append(nil, map[string]any{"n": json.Number("-1.5e3")})
	require.NoError(t, err)
	require.Equal(t, `{"n": -1.5e3, "s": "-1.5e3"}`, string(out))
}

func TestRecursivePartialIsBounded(t *testing.T) {
	tmpl, err := template.Parse(`{{>p}}`, template.WithMode(template.HTML), template.WithPartials(map[string]string{"p": "x{{>p}}"}))
	require.NoError(t, err)
	_, err = tmpl.Append(nil, nil)
	require.ErrorContains(t, err, "partials nested more than 100 deep")
}

// Data decoded by encoding/json, with Go values mixed in, renders as its
// JSON does: lookups over maps take a path of their own.
func TestMapDataRendersAsItsJSON(t *testing.T) {
	type person struct {
		Name string `json:"name"`
	}
	data := map[string]any{
		"event": "e",
		"data": map[string]any{
			"requester": person{Name: "Ada"},
			"labels":    map[string]string{"team": "sre"},
			"tags":      []string{"a", "b"},
			"groups":    []any{map[string]any{"id": "g1", "units": []any{map[string]any{"n": 1}}}, map[string]any{"id": "g2"}},
			"nothing":   nil,
			"count":     3,
		},
		"0": "zero",
	}
	raw, err := json.Marshal(data)
	require.NoError(t, err)
	doc, err := jsondoc.Parse(raw)
	require.NoError(t, err)
	tests := []struct {
		name string
		src  string
		opts []template.Option
	}{
		{"paths", `{"a": "{{event}} {{data.requester.name}} {{data.labels.team}} {{data.tags.[1]}} {{data.groups.[0].units.[0].n}}", "b": {{data.nothing}}, "c": {{data.count}}, "d": {{data.missing.x}}, "e": "{{data.nothing.x}}"}`, nil},
		{"loops", `[{{#each data.groups}}{"id": "{{id}}", "e": "{{event}}", "u": {{json units}}, "r": "{{@root.event}}"}{{#unless @last}},{{/unless}}{{/each}}]`, nil},
		{"mustache walks out", `[{{#data.groups}}"{{id}}{{event}}{{data.count}}"{{^@last}},{{/@last}}{{/data.groups}}]`, []template.Option{template.WithDialect(template.Mustache)}},
		{"values", `{"r": {{json data.requester}}, "t": "{{data.tags}}", "l": "{{data.labels}}", "z": "{{[0]}}"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, err := template.Parse(tt.src, tt.opts...)
			require.NoError(t, err)
			want, err := tm.Append(nil, doc)
			require.NoError(t, err)
			got, err := tm.Append(nil, data)
			require.NoError(t, err)
			require.Equal(t, string(want), string(got))
			// A second run reuses nothing of the first.
			got, err = tm.Append(nil, map[string]any{"event": "other"})
			require.NoError(t, err)
			require.NotContains(t, string(got), "Ada")
		})
	}
}
