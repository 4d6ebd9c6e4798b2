package template_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/template"
)

// mapSchema is a Schema over a fixed table of paths.
type mapSchema map[string]string

func (m mapSchema) Lookup(path string) (string, bool) {
	t, ok := m[path]
	return t, ok
}

func (m mapSchema) Paths() []string {
	paths := make([]string, 0, len(m))
	for p := range m {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}

var testSchema = mapSchema{
	"event_type":                            "string",
	"data":                                  "object",
	"data.requester":                        "object",
	"data.requester.name":                   "string",
	"data.requester.email":                  "string",
	"data.access_groups":                    "array",
	"data.access_groups[]":                  "object",
	"data.access_groups[].integration":      "object",
	"data.access_groups[].integration.name": "string",
	"data.custom_fields":                    "object",
	"data.extra":                            "any",
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name, src string
		problems  []string
	}{
		{"known", `{"a": "{{data.requester.name}}", "b": {{data.access_groups.[0].[integration].name}}, "c": {{data.access_groups.0.integration}}}`, nil},
		{"relative paths in each", `[{{#each data.access_groups}}{"n": "{{integration.name}}", "r": "{{../event_type}}", "e": "{{@root.event_type}}", "t": {{this}}, "i": {{@index}}}{{#unless @last}},{{/unless}}{{/each}}]`, nil},
		{"with", `{{#with data.requester}}"{{name}} {{email}} {{@root.data.requester.name}}"{{else}}null{{/with}}`, nil},
		{"any and object members", `["{{data.extra.x.y}}", {{#each data.custom_fields}}"{{@key}}={{.}}",{{/each}} 0]`, nil},
		{"helpers", `{{#if (eq data.requester.name "x")}}"{{upper data.requester.email}}"{{else}}null{{/if}}`, nil},
		{"typo", "{\n \"a\": \"{{data.requestor.name}}\"}", []string{"2:10: unknown field data.requestor.name; did you mean data.requester.name?"}},
		{"several", `["{{even_type}}", {{#each data.access_groups}}"{{integration.nam}}",{{/each}} "{{data.nothing_close_to_this_at_all}}"]`, []string{
			"1:5: unknown field even_type; did you mean event_type?",
			"1:50: unknown field data.access_groups[].integration.nam; did you mean data.access_groups[].integration.name?",
			"1:82: unknown field data.nothing_close_to_this_at_all",
		}},
		{"helper arguments", `{{default data.requester.nme "x"}}`, []string{"1:11: unknown field data.requester.nme; did you mean data.requester.name?"}},
		{"above the root", `{{../x}}`, []string{"1:3: path ../x goes above the top of the data"}},
		{"names in the current context only", `[{{#each data.access_groups}}"{{event_type}}",{{/each}}{{#with data.requester}}"{{data.requester.name}}"{{else}}0{{/with}}]`, []string{
			"1:33: unknown field data.access_groups[].event_type; did you mean data.access_groups[].integration?",
			"1:83: unknown field data.requester.data.requester.name",
		}},
		{"unknown section", `[{{#each data.groups}}{{name}},{{/each}}0]`, []string{"1:10: unknown field data.groups"}},
		{"length of an array or a string", `[{{data.access_groups.length}}, "{{data.requester.name.length}}", {{#if data.access_groups.length}}1{{else}}0{{/if}}]`, nil},
		{"length of an object is a member", `"{{data.requester.length}}"`, []string{"1:4: unknown field data.requester.length; did you mean data.requester.email?"}},
		{"block parameters of a section", `[{{#data.access_groups as |g i|}}"{{i}}{{g.integration.name}}{{g.integration.nam}}",{{/data.access_groups}}{{#data.requester as |r|}}"{{r.nam}}",{{/data.requester}}0]`, []string{
			"1:64: unknown field data.access_groups[].integration.nam; did you mean data.access_groups[].integration.name?",
		}},
		{"block parameters", `[{{#each data.access_groups as |g i|}}"{{i}}{{g.integration.name}}{{g.integration.nam}}",{{/each}}{{#with data.requester as |r|}}"{{r.name}}"{{else}}0{{/with}}]`, []string{
			"1:69: unknown field data.access_groups[].integration.nam; did you mean data.access_groups[].integration.name?",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := template.Parse(tt.src)
			require.NoError(t, err)
			err = tmpl.Check(testSchema)
			if tt.problems == nil {
				require.NoError(t, err)
				return
			}
			var list template.ErrorList
			require.ErrorAs(t, err, &list)
			require.ErrorIs(t, err, template.ErrUnknownField)
			var got []string
			for _, e := range list {
				got = append(got, e.Error())
			}
			require.Equal(t, tt.problems, got)
			var first *template.Error
			require.ErrorAs(t, err, &first)
			require.NotEmpty(t, first.Path)
		})
	}
}

func TestWithSchema(t *testing.T) {
	_, err := template.Parse(`"{{data.requestor.name}}"`, template.WithSchema(testSchema))
	require.ErrorIs(t, err, template.ErrUnknownField)
	require.True(t, strings.Contains(err.Error(), "did you mean data.requester.name?"), err.Error())
	_, err = template.Parse(`"{{data.requester.name}}"`, template.WithSchema(testSchema))
	require.NoError(t, err)
}

// TestCheckAponoSchema checks the published template shapes against the
// webhook package's schema of access-request events.
func TestCheckAponoSchema(t *testing.T) {
	var s template.Schema = accessrequest.Schema()
	src := `{"who": "{{data.requester.name}}", "what": "{{data.access_groups.[0].[integration].name}}",` +
		` "units": [{{#each data.access_groups}}{{#each access_units}}"{{resource.name}}/{{permission.name}}",{{/each}}{{/each}} null],` +
		` "ticket": "{{data.custom_fields.ticket}}", "typo": "{{data.requestor.email}}"}`
	tmpl, err := template.Parse(src)
	require.NoError(t, err)
	err = tmpl.Check(s)
	var list template.ErrorList
	require.True(t, errors.As(err, &list), "%v", err)
	require.Len(t, list, 1, err.Error())
	require.Equal(t, "data.requestor.email", list[0].Path)
	require.Contains(t, list[0].Msg, "did you mean data.requester.email?")
}

func TestCheckPartials(t *testing.T) {
	partials := map[string]string{"who": "{{data.requester.nam}}", "p2": "{{data.requester.name}}"}
	tmpl, err := template.Parse("{{>who}} {{>*data.requester.name}}", template.WithMode(template.Text), template.WithPartials(partials))
	require.NoError(t, err)
	err = tmpl.Check(testSchema)
	require.ErrorIs(t, err, template.ErrUnknownField)
	var list template.ErrorList
	require.ErrorAs(t, err, &list)
	require.Len(t, list, 1)
	require.Equal(t, "who:1:3: unknown field data.requester.nam; did you mean data.requester.name?", list[0].Error())
}

// The mustache dialect looks names up in the enclosing contexts too, and
// Check follows it.
func TestCheckMustacheWalksContexts(t *testing.T) {
	src := `[{{#data.access_groups}}"{{event_type}}",{{/data.access_groups}}"{{#data.requester}}{{data.requester.name}}{{/data.requester}}"]`
	tmpl, err := template.Parse(src, template.WithDialect(template.Mustache))
	require.NoError(t, err)
	require.NoError(t, tmpl.Check(testSchema))
	tmpl, err = template.Parse(src)
	require.NoError(t, err)
	require.ErrorIs(t, tmpl.Check(testSchema), template.ErrUnknownField)
}

// A context of type "any" may be equal (by JavaScript's ==) to the one
// below it, and then it is no level for ../, as in Execute: Check takes
// both ways, and reports a path that neither finds.
func TestCheckAnyContextMayBeNoLevel(t *testing.T) {
	schema := mapSchema{"n": "number", "a": "any", "m": "object", "m.x": "string"}
	src := `{{#with n}}{{#with ../a}}{{../m.x}}{{../m.y}}{{/with}}{{/with}}`
	tmpl, err := template.Parse(src, template.WithMode(template.Text))
	require.NoError(t, err)
	out, err := tmpl.Append(nil, map[string]any{"n": 3, "a": "3", "m": map[string]any{"x": "X"}})
	require.NoError(t, err)
	require.Equal(t, "X", string(out), "Execute finds m.x one level up, a being no level")
	err = tmpl.Check(schema)
	var list template.ErrorList
	require.ErrorAs(t, err, &list)
	require.Len(t, list, 1)
	require.Equal(t, "1:38: unknown field n.m.y", list[0].Error())
}

// A with over the same field of type "any" as the context below is no
// level, as Execute has it (the same value is == to itself): ../../ from
// there goes above the top.
func TestCheckSameAnyContextIsNoLevel(t *testing.T) {
	schema := mapSchema{"a": "any", "x": "string"}
	src := `{{#with a}}{{#with ../a}}{{../x}}{{../../x}}{{/with}}{{/with}}`
	tmpl, err := template.Parse(src, template.WithMode(template.Text))
	require.NoError(t, err)
	out, err := tmpl.Append(nil, map[string]any{"a": 1, "x": "X"})
	require.NoError(t, err)
	require.Equal(t, "X", string(out), "../x is the root's, ../../x above it")
	err = tmpl.Check(schema)
	var list template.ErrorList
	require.ErrorAs(t, err, &list)
	require.Len(t, list, 1)
	require.Equal(t, "1:36: path ../../x goes above the top of the data", list[0].Error())
}
