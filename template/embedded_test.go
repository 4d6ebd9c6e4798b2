package template_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/template"
)

// approval is the Datadog and ServiceNow shape: a JSON document escaped
// inside a JSON string, with a mustache list section (in the Handlebars
// dialect, the loop is each: see TestSectionOverAValueKeepsTheLoop).
const approval = `{"message": "{\"justification\": \"{{why}}\", \"groups\": [{{#groups}}{{#unless @first}},{{/unless}}\"{{name}}\"{{/groups}}]}"}`

// approvalEach is approval for the Handlebars dialect.
var approvalEach = strings.NewReplacer("{{#groups}}", "{{#each groups}}", "{{/groups}}", "{{/each}}").Replace(approval)

// injection tries to add a member to the inner document.
const injection = `x", "approved_by": "security-team", "j": "`

// innerDocument decodes body, then the document escaped in its member m.
func innerDocument(t *testing.T, body []byte, m string) map[string]any {
	t.Helper()
	var outer map[string]string
	require.NoError(t, json.Unmarshal(body, &outer), "%s", body)
	var inner map[string]any
	require.NoError(t, json.Unmarshal([]byte(outer[m]), &inner), "%s", outer[m])
	return inner
}

func TestEmbeddedDocumentKeepsItsShape(t *testing.T) {
	t.Run("mustache", func(t *testing.T) {
		tmpl, err := template.Parse(approval, template.WithDialect(template.Mustache))
		require.NoError(t, err)
		checkApprovalShape(t, tmpl)
	})
	t.Run("handlebars", func(t *testing.T) {
		tmpl, err := template.Parse(approvalEach)
		require.NoError(t, err)
		checkApprovalShape(t, tmpl)
	})
}

func checkApprovalShape(t *testing.T, tmpl *template.Template) {
	t.Helper()
	for _, groups := range []any{
		nil,
		[]any{},
		map[string]any{"name": "one"},
		[]any{map[string]any{"name": "a"}},
		[]any{map[string]any{"name": "a"}, map[string]any{"name": injection}, map[string]any{"name": "c"}},
	} {
		out, err := tmpl.Append(nil, map[string]any{"why": injection, "groups": groups})
		require.NoError(t, err)
		inner := innerDocument(t, out, "message")
		require.Len(t, inner, 2, "%s", out)
		require.Equal(t, injection, inner["justification"])
		require.IsType(t, []any{}, inner["groups"])
	}
}

func TestEmbeddedDocumentFailsClosed(t *testing.T) {
	tests := []struct {
		name, src string
		line, col int
		msg       string
	}{
		{"not JSON", `{"m": "{ {{b}} }"}`, 1, 16, "expected ':'"},
		{"array that is not JSON", "{\"m\":\n  \"[INFO] {{x}}\"}", 2, 5, "expected a value"},
		{"unfinished document", `{"m": "{\"a\": 1"}`, 1, 17, "incomplete"},
		{"after whitespace", `{"m": " \t[1, 2,]"}`, 1, 17, "expected a value"},
		{"bad on one path only", `{"m": "[{{#each xs}}{{.}},{{/each}}]"}`, 1, 36, "expected a value"},
		{"second level", `{"m": "{\"a\": \"[oops]\"}"}`, 1, 19, "expected a value"},
		{"plain marker after text", `{"m": "x{{!plain}}"}`, 1, 9, "{{!plain}} must open the string"},
		{"plain marker outside a string", `{{!plain}}{"m": 1}`, 1, 1, "{{!plain}} must open the string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := template.Parse(tt.src, template.WithName("body"))
			var te *template.Error
			require.ErrorAs(t, err, &te)
			require.Equal(t, "body", te.Name)
			require.Equal(t, tt.line, te.Line, err.Error())
			require.Equal(t, tt.col, te.Column, err.Error())
			require.Contains(t, te.Msg, tt.msg)
		})
	}
}

func TestPlainStringMarker(t *testing.T) {
	tests := []struct{ src, want string }{
		{`{"m": "{{!plain}}{ {{b}} }"}`, `{"m": "{ true }"}`},
		{`{"m": "{{! plain }}[INFO] {{s}}"}`, `{"m": "[INFO] a\"b"}`},
		{`{"m": "{\"a\": \"{{!plain}}[{{s}}\"}"}`, `{"m": "{\"a\": \"[a\\\"b\"}"}`},
	}
	for _, tt := range tests {
		tmpl, err := template.Parse(tt.src)
		require.NoError(t, err, tt.src)
		out, err := tmpl.Append(nil, map[string]any{"b": true, "s": `a"b`})
		require.NoError(t, err)
		require.Equal(t, tt.want, string(out))
	}
	// Outside JSON mode the marker is an ordinary comment.
	tmpl, err := template.Parse(`{{!plain}}[{{s}}`, template.WithMode(template.Text))
	require.NoError(t, err)
	out, err := tmpl.Append(nil, map[string]any{"s": "x"})
	require.NoError(t, err)
	require.Equal(t, "[x", string(out))
}

// In the mustache dialect a section over a value that is not a list makes
// it a list of one item.
func TestSectionOverAListKnowsItsPlace(t *testing.T) {
	src := `[{{#xs}}{{#unless @first}},{{/unless}}{"i": {{@index}}, "last": {{@last}}}{{/xs}}]`
	tmpl, err := template.Parse(src, template.WithDialect(template.Mustache))
	require.NoError(t, err)
	tests := []struct {
		xs   any
		want string
	}{
		{[]any{"a", "b"}, `[{"i": 0, "last": false},{"i": 1, "last": true}]`},
		{map[string]any{"k": 1}, `[{"i": 0, "last": true}]`},
		{"one", `[{"i": 0, "last": true}]`},
		{nil, `[]`},
	}
	for _, tt := range tests {
		out, err := tmpl.Append(nil, map[string]any{"xs": tt.xs})
		require.NoError(t, err)
		require.Equal(t, tt.want, string(out))
	}
}

func TestEscapedQuotesInTags(t *testing.T) {
	src := `{"text":"{{#if (eq event_type \"RequestApproved\")}}approved{{else}}other{{/if}} {{default who \"nobody\"}}"}`
	tmpl, err := template.Parse(src)
	require.NoError(t, err)
	out, err := tmpl.Append(nil, map[string]any{"event_type": "RequestApproved"})
	require.NoError(t, err)
	require.Equal(t, `{"text":"approved nobody"}`, string(out))

	tests := []struct {
		name, src string
		col       int
		msg       string
	}{
		{"escaped literal outside a string", `{"a": {{default x \"y\"}}}`, 19, `write "y"`},
		{"escaped literal in text mode", `{{default x \"y\"}}`, 13, `write "y"`},
		{"backslash in a name", `{"a": "{{a\b}}"}`, 10, `unexpected "\\" in path`},
		{"quote in a name", `{"a": "{{a"b}}"}`, 10, `unexpected "\"" in path`},
		{"unterminated escaped literal", `{"a": "{{eq x \"y}}"}`, 15, "unterminated string literal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []template.Option
			if tt.name == "escaped literal in text mode" {
				opts = append(opts, template.WithMode(template.Text))
			}
			_, err := template.Parse(tt.src, opts...)
			var te *template.Error
			require.ErrorAs(t, err, &te)
			require.Equal(t, 1, te.Line, err.Error())
			require.Equal(t, tt.col, te.Column, err.Error())
			require.Contains(t, te.Msg, tt.msg)
		})
	}
}

// A backslash of the string around an embedded document escapes the first
// character of whatever follows it in the output: a tag right after it would
// have its value's first byte taken as the escape.
func TestTagAfterBackslashOfEnclosingString(t *testing.T) {
	for _, src := range []string{
		`{"m": "{\"a\": \"{\\\"b\\\": \\\"\\{{x}}\\\"}\"}"}`,
		`{"m": "{\"a\": \"\\\{{x}}"}"}`,
		`{"m": "{\"a\": \"\u00{{x}}\"}"}`,
	} {
		t.Run(src, func(t *testing.T) {
			_, err := template.Parse(src, template.WithName("body"))
			var te *template.Error
			require.ErrorAs(t, err, &te, "parsed; renders %q with x = \"n\"", render(src, "n"))
			require.Equal(t, 1, te.Line, err.Error())
			require.Equal(t, strings.Index(src, "{{x}}")+1, te.Column, err.Error())
			require.Contains(t, te.Msg, "escape sequence", err.Error())
		})
	}
}

func render(src, x string) string {
	tmpl, err := template.Parse(src)
	if err != nil {
		return err.Error()
	}
	out, err := tmpl.Append(nil, map[string]any{"x": x})
	if err != nil {
		return err.Error()
	}
	return string(out)
}

// Inside a document embedded in a string, every tag stands inside that
// string, so its literals are written with escaped quotes wherever the tag
// stands in the inner document.
func TestEscapedLiteralInEmbeddedValuePosition(t *testing.T) {
	src := `{"m": "{\"t\": {{default x \"none\"}}, \"k\": [{{#if (eq x \"a\")}}1{{/if}}]}"}`
	tmpl, err := template.Parse(src)
	require.NoError(t, err)
	out, err := tmpl.Append(nil, map[string]any{})
	require.NoError(t, err)
	require.Equal(t, map[string]any{"t": "none", "k": []any{}}, innerDocument(t, out, "m"))
	out, err = tmpl.Append(nil, map[string]any{"x": "a"})
	require.NoError(t, err)
	require.Equal(t, map[string]any{"t": "a", "k": []any{float64(1)}}, innerDocument(t, out, "m"))
}

// A section may hold the whole of a document embedded in a string, as the
// branches of a Datadog message that depends on the event do.
func TestSectionAroundEmbeddedDocument(t *testing.T) {
	src := `{"text": "{{#if (eq x \"RequestApproved\")}}{\"v\": \"{{k}}\"}{{else}}{\"w\": {{x}}}{{/if}}"}`
	tmpl, err := template.Parse(src)
	require.NoError(t, err)
	out, err := tmpl.Append(nil, map[string]any{"x": "RequestApproved", "k": injection})
	require.NoError(t, err)
	require.Equal(t, map[string]any{"v": injection}, innerDocument(t, out, "text"))
	out, err = tmpl.Append(nil, map[string]any{"x": injection})
	require.NoError(t, err)
	require.Equal(t, map[string]any{"w": injection}, innerDocument(t, out, "text"))

	// The section must still leave a whole document: nothing may follow it
	// in the string, and a repeated body would write two.
	for _, tt := range []struct {
		src string
		col int
		msg string
	}{
		{`{"m": "{{#if a}}{\"v\": 1}{{/if}}{{k}}"}`, 34, "after the end of the JSON document"},
		{`{"m": "{{#if a}}{\"v\": 1}{{/if}} x"}`, 35, "after the end of the document"},
		{`{"m": "{{#xs}}[1]{{/xs}}"}`, 15, "after the end of the document"},
		{`{"m": "{{#if a}}{\"v\": {{/if}}1}"}`, 25, "ends the section opened at 1:8"},
	} {
		_, err := template.Parse(tt.src)
		var te *template.Error
		require.ErrorAs(t, err, &te, tt.src)
		require.Equal(t, tt.col, te.Column, err.Error())
		require.Contains(t, te.Msg, tt.msg)
	}
}

// A problem found in a partial, in a string the template opened, names the
// source of each position.
func TestEmbeddedErrorInPartialNamesBothSources(t *testing.T) {
	_, err := template.Parse("{\n\"m\":\n \"{\\\"a\\\": 1, {{> tail}}\"}",
		template.WithName("body"), template.WithPartials(map[string]string{"tail": `\"b\": {{x}} {{x}}}`}))
	var te *template.Error
	require.ErrorAs(t, err, &te)
	require.Equal(t, "tail", te.Name)
	require.Equal(t, 1, te.Line)
	require.Equal(t, 14, te.Column)
	require.Contains(t, te.Msg, "in the string opened at body:3:2,")
}

// A section over @first, @last, @index or @key is a condition on the loop
// around it, as {{#if}} is: inside it, those variables still describe that
// loop, which is what the JSON analysis follows.
func TestSectionOverDataVariableKeepsTheLoop(t *testing.T) {
	for _, src := range []string{
		`[{{#each xs}}{{#@index}}{{#unless @first}},{{/unless}}{{/@index}}{{json .}}{{/each}}]`,
		`[{{#xs}}{{#@index}}{{#if @first}}{{else}},{{/if}}{{/@index}}{{json .}}{{/xs}}]`,
		`{"m": "[{{#each xs}}{{#@index}}{{#unless @first}},{{/unless}}{{/@index}}\"{{.}}\"{{/each}}]"}`,
	} {
		tmpl, err := template.Parse(src)
		require.NoError(t, err, src)
		out, err := tmpl.Append(nil, map[string]any{"xs": []any{"a", "b", "c"}})
		require.NoError(t, err)
		require.True(t, json.Valid(out), "%s renders %s", src, out)
		if out[0] == '{' {
			var outer map[string]string
			require.NoError(t, json.Unmarshal(out, &outer))
			out = []byte(outer["m"])
		}
		var items []string
		require.NoError(t, json.Unmarshal(out, &items), "%s", out)
		require.Equal(t, []string{"a", "b", "c"}, items)
	}
}

// In Handlebars, a section over a value that is not a list renders it once
// and leaves @index, @first and @last to the loop around (handlebars.js
// 4.7.10 renders the outputs below), so that a separator written with them
// in such a section is refused: over an object, handlebars.js renders
// [,"a"].
func TestSectionOverAValueKeepsTheLoop(t *testing.T) {
	tmpl, err := template.Parse(`{{#each list}}{{#person}}{{@index}}{{@first}}{{@last}}|{{/person}}{{/each}}<{{#s}}{{@index}}{{@first}}{{/s}}>`,
		template.WithMode(template.Text))
	require.NoError(t, err)
	out, err := tmpl.Append(nil, map[string]any{"list": []any{map[string]any{"person": map[string]any{"a": 1}}, map[string]any{"person": map[string]any{"a": 2}}}, "s": "x"})
	require.NoError(t, err)
	require.Equal(t, "0truefalse|1falsetrue|<>", string(out))

	for _, src := range []string{
		`[{{#xs}}{{#unless @first}},{{/unless}}"{{k}}"{{/xs}}]`,
		approval,
	} {
		_, err := template.Parse(src)
		var te *template.Error
		require.ErrorAs(t, err, &te, src)
		require.Contains(t, te.Msg, "is over a value that is not a list, which leaves @first, @last and @index to the loop around: for items, write {{#each ")
	}
}
