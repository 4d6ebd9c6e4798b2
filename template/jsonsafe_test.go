package template_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/template"
)

// TestJSONRefusalNamesSafeForm: each shape that handlebars.js renders as
// valid JSON for some data only is refused, the error names the safe form,
// and the safe form renders valid JSON for data that breaks the original.
func TestJSONRefusalNamesSafeForm(t *testing.T) {
	groups := []any{
		map[string]any{"u": []any{map[string]any{"id": hostile}, map[string]any{"id": "b"}}},
		map[string]any{"u": []any{}},
		map[string]any{"u": []any{map[string]any{"id": "c"}}},
	}
	cases := []struct {
		name, refused, says, safe string
		data                      []map[string]any
	}{
		{
			name:    "nested lists flattened with unless @last",
			refused: `{"r": [{{#each g}}{{#each u}}{"id": "{{id}}"}{{#unless @last}},{{/unless}}{{/each}}{{/each}}]}`,
			says:    `{{#each (flatten g "u")}}…{{#unless @last}},{{/unless}}{{/each}}`,
			safe:    `{"r": [{{#each (flatten g "u")}}{"id": "{{id}}"}{{#unless @last}},{{/unless}}{{/each}}]}`,
			data:    []map[string]any{{"g": groups}, {"g": []any{}}, {"g": hostile}},
		},
		{
			name:    "nested lists with separators at both levels",
			refused: `[{{#each g}}{{#each u}}"{{id}}"{{#unless @last}},{{/unless}}{{/each}}{{#unless @last}},{{/unless}}{{/each}}]`,
			says:    `{{#each (flatten g "u")}}`,
			safe:    `[{{#each (flatten g "u")}}"{{id}}"{{#unless @last}},{{/unless}}{{/each}}]`,
			data:    []map[string]any{{"g": groups}},
		},
		{
			name:    "items without a separator",
			refused: `{"ids": [{{#each g}}"{{id}}"{{/each}}]}`,
			says:    `separate the items, as in {{#each g}}…{{#unless @last}},{{/unless}}{{/each}}`,
			safe:    `{"ids": [{{#each g}}"{{id}}"{{#unless @last}},{{/unless}}{{/each}}]}`,
			data:    []map[string]any{{"g": []any{map[string]any{"id": hostile}, 1, nil}}},
		},
		{
			name:    "mustache section choosing between a string and null",
			refused: `{"v": {{#p}}"{{name}}"{{/p}}{{^p}}null{{/p}} }`,
			says:    `use {{#with p}}…{{else}}null{{/with}}`,
			safe:    `{"v": {{#with p}}"{{name}}"{{else}}null{{/with}} }`,
			data:    []map[string]any{{"p": []any{map[string]any{"name": "a"}, map[string]any{"name": hostile}}}, {"p": nil}, {"p": map[string]any{"name": hostile}}},
		},
		{
			name:    "with as the whole body",
			refused: `{{#with data}}{"id": "{{id}}"}{{/with}}`,
			says:    `{{#with data}} at 1:1 renders nothing when data is missing, false, null, 0, "" or []: add {{else}} with a JSON value for that case, as in {{#with data}}…{{else}}null{{/with}}`,
			safe:    `{{#with data}}{"id": "{{id}}"}{{else}}null{{/with}}`,
			data:    []map[string]any{{"data": map[string]any{"id": hostile}}, {"data": 0}, {}},
		},
		{
			name:    "with in value position",
			refused: `{"flow": {{#with f}}{"id": "{{id}}"}{{/with}} }`,
			says:    `{{#with f}}…{{else}}null{{/with}}`,
			safe:    `{"flow": {{#with f}}{"id": "{{id}}"}{{else}}null{{/with}} }`,
			data:    []map[string]any{{"f": map[string]any{"id": hostile}}, {"f": ""}},
		},
		{
			name:    "if in value position",
			refused: `{"v": {{#if x}}{{x}}{{/if}}}`,
			says:    `{{#if x}}…{{else}}null{{/if}}`,
			safe:    `{"v": {{#if x}}{{x}}{{else}}null{{/if}}}`,
			data:    []map[string]any{{"x": hostile}, {"x": false}},
		},
		{
			name:    "seconds to milliseconds by appending zeros",
			refused: `{"ms": {{n}}000}`,
			says:    `write {{millis x}}`,
			safe:    `{"ms": {{millis n}}}`,
			data:    []map[string]any{{"n": json.Number("1773134100.482913204")}, {"n": nil}, {}},
		},
		{
			name:    "text string that starts like a document",
			refused: `{"t": "{{#each a}}{{#if @first}}[{{/if}}{{name}}{{#if @last}}]{{else}}, {{/if}}{{/each}}"}`,
			says:    `if that string is text, begin it with {{!plain}}`,
			safe:    `{"t": "{{!plain}}{{#each a}}{{#if @first}}[{{/if}}{{name}}{{#if @last}}]{{else}}, {{/if}}{{/each}}"}`,
			data:    []map[string]any{{"a": []any{map[string]any{"name": hostile}, map[string]any{"name": "b"}}}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := template.Parse(tc.refused)
			var te *template.Error
			require.ErrorAs(t, err, &te)
			require.ErrorContains(t, err, tc.says)
			tmpl, err := template.Parse(tc.safe)
			require.NoError(t, err)
			for _, d := range tc.data {
				out, err := tmpl.Append(nil, d)
				require.NoError(t, err)
				require.True(t, json.Valid(out), "%s", out)
			}
		})
	}
}

// TestComplementarySections: two blocks testing the same path in the same
// context take complementary ways, so a value chosen between them is JSON
// on every path; where the context or the test differs, the template is
// still refused.
func TestComplementarySections(t *testing.T) {
	values := []any{nil, false, true, 0, 1, "", hostile, []any{}, []any{hostile, 2}, map[string]any{}, map[string]any{"name": hostile, "p": false}}
	accepted := []string{
		`{"v": {{#if p}}"{{p}}"{{/if}}{{^if p}}null{{/if}} }`,
		`{"v": {{#if p}}{{json p}}{{/if}}{{#unless p}}null{{/unless}} }`,
		`{"v": {{#with p}}"{{name}}"{{/with}}{{^with p}}null{{/with}} }`,
		`{"v": {{#if p}}{{#if q}}1{{/if}}{{#unless q}}2{{/unless}}{{/if}}{{^if p}}3{{/if}} }`,
		`[{{#if p}}"a"{{/if}}{{#if q}}{{#if p}},{{/if}}"b"{{/if}}]`,
	}
	for _, src := range accepted {
		tmpl, err := template.Parse(src)
		require.NoError(t, err, src)
		for _, p := range values {
			for _, q := range values[:4] {
				out, err := tmpl.Append(nil, map[string]any{"p": p, "q": q})
				require.NoError(t, err)
				require.True(t, json.Valid(out), "%s with p=%v q=%v: %s", src, p, q, out)
			}
		}
	}
	refused := []string{
		// A mustache section repeats over a list.
		`{"v": {{#p}}"{{name}}"{{/p}}{{^p}}null{{/p}} }`,
		// Inside with, p is looked up in q first: another value.
		`[{{#if p}}"a"{{/if}}{{#with q}}{{#unless p}}"b"{{/unless}}{{/with}}{{#unless p}}{{/unless}}]`,
		// Different paths.
		`{"v": {{#if p}}1{{/if}}{{^if q}}2{{/if}} }`,
		// A helper may answer differently each time.
		`{"v": {{#if (eq p 1)}}1{{/if}}{{^if (eq p 1)}}2{{/if}} }`,
		// A section takes 0 and "" where if does not: for those values
		// neither part renders.
		`{"v": {{^p}}null{{/p}}{{#if p}}"{{p.name}}"{{/if}} }`,
		// includeZero changes the test.
		`{"v": {{#if p includeZero=true}}1{{/if}}{{^if p}}2{{/if}} }`,
	}
	for _, src := range refused {
		_, err := template.Parse(src)
		var te *template.Error
		require.ErrorAs(t, err, &te, src)
	}
}

// TestFactsDoNotCrossLoopItems: what a block learnt of a path in one item
// of a loop says nothing of the next item, whose context differs: a
// template that is JSON only when every item answers alike is refused.
func TestFactsDoNotCrossLoopItems(t *testing.T) {
	for _, src := range []string{
		`{"k": {{#each xs}}{{#if p}}1{{/if}}{{#unless p}}{{#if @first}}0{{/if}}{{/unless}}{{else}}0{{/each}} }`,
		`{"k": {{#xs}}{{#if p}}1{{/if}}{{^if p}}{{#if @first}}0{{/if}}{{/if}}{{/xs}}{{^xs}}0{{/xs}} }`,
		`{"k": {{#each xs as |x|}}{{#if x.p}}1{{/if}}{{#unless x.p}}{{#if @first}}0{{/if}}{{/unless}}{{else}}0{{/each}} }`,
	} {
		tmpl, err := template.Parse(src)
		if err == nil {
			data := map[string]any{"xs": []any{map[string]any{"p": false}, map[string]any{"p": true}}}
			out, err := tmpl.Append(nil, data)
			require.NoError(t, err)
			require.True(t, json.Valid(out), "%s parsed, and rendered invalid JSON: %s", src, out)
		}
		var te *template.Error
		require.ErrorAs(t, err, &te, src)
	}
}

// flipping is a Go value whose MarshalJSON answers 0 and 1 in turn.
type flipping struct{ n *int }

func (f flipping) MarshalJSON() ([]byte, error) {
	*f.n++
	return []byte([]string{"0", "1"}[*f.n%2]), nil
}

// TestUnstableValueIsAnExecuteError: complementary blocks rely on a path
// giving the same value at each read; a Go value that does not is caught
// when the body is made, and nothing is rendered.
func TestUnstableValueIsAnExecuteError(t *testing.T) {
	for _, src := range []string{
		`{"v": {{#if p}}{{else}}1{{/if}}{{#if p}}2{{/if}} }`,
		`{"v": {{#if p}}1{{/if}}{{^if p}}2{{/if}} }`,
		`{"v": {{#with p}}1{{/with}}{{^with p}}2{{/with}} }`,
	} {
		tmpl, err := template.Parse(src)
		require.NoError(t, err, src)
		n := 0
		for range 4 {
			out, err := tmpl.Append(nil, map[string]any{"p": flipping{&n}})
			if err != nil {
				require.ErrorIs(t, err, template.ErrUnstableValue, src)
				require.Empty(t, out)
				continue
			}
			require.True(t, json.Valid(out), "%s rendered %s", src, out)
		}
	}
}
