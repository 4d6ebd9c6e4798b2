package template_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/template"
)

// An index of a string is its character, as in handlebars.js: Execute
// renders name.[0], so Check must know it. A member of a string other
// than its length, or of a number, is unknown.
func TestCheckStringIndex(t *testing.T) {
	data := `{"data": {"requester": {"name": "Zoe"}, "access_groups": [{"integration": {"name": "pg"}}]}}`
	doc, err := jsondoc.Parse([]byte(data))
	require.NoError(t, err)
	for _, tt := range []struct{ src, out string }{
		{`{{data.requester.name.[0]}}`, "Z"},
		{`{{data.requester.name.[2].length}}`, "1"},
		{`{{#each data.access_groups}}{{integration.name.[1]}}{{/each}}`, "g"},
		{`{{#with data.requester.name}}{{[1]}}{{this.[0]}}{{/with}}`, "oZ"},
		{`{{#each data.access_groups as |g|}}{{g.integration.name.[0]}}{{/each}}`, "p"},
	} {
		tm, err := template.Parse(tt.src, template.WithMode(template.Text))
		require.NoError(t, err)
		out, err := tm.Append(nil, doc)
		require.NoError(t, err)
		require.Equal(t, tt.out, string(out), tt.src)
		require.NoError(t, tm.Check(testSchema), tt.src)
	}
	for _, src := range []string{
		`{{data.requester.name.x}}`,
		`{{data.requester.name.[0].x}}`,
		`{{data.requester.name.[01]}}`,
	} {
		tm, err := template.Parse(src, template.WithMode(template.Text))
		require.NoError(t, err)
		require.ErrorIs(t, tm.Check(testSchema), template.ErrUnknownField, src)
	}
}

// A path from a loop variable (@index.x, @key.length) is a member of that
// variable, not of the loop's element: Check must not look it up there.
func TestCheckLoopVariableMembers(t *testing.T) {
	data := `{"data": {"custom_fields": {"ticket": "T-1"}, "access_groups": [{"integration": {"name": "pg"}}, {"integration": {"name": "my"}}]}}`
	doc, err := jsondoc.Parse([]byte(data))
	require.NoError(t, err)
	for _, tt := range []struct {
		src, out string
		known    bool
	}{
		// Execute stops at @index 0, a falsy value, as handlebars.js
		// does, and finds no member of 1: the member is absent.
		{`{{#each data.access_groups}}[{{@index.integration}}]{{/each}}`, "[0][]", false},
		{`{{#each data.access_groups}}[{{@first.integration.name}}]{{/each}}`, "[][false]", false},
		{`{{#each data.access_groups}}[{{@key.integration}}]{{/each}}`, "[0][]", false},
		{`{{#each data.custom_fields}}[{{@key.length}}]{{/each}}`, "[6]", true},
		{`{{#each data.custom_fields}}[{{@key.[0]}}]{{/each}}`, "[t]", true},
	} {
		tm, err := template.Parse(tt.src, template.WithMode(template.Text))
		require.NoError(t, err)
		out, err := tm.Append(nil, doc)
		require.NoError(t, err)
		require.Equal(t, tt.out, string(out), tt.src)
		if tt.known {
			require.NoError(t, tm.Check(testSchema), tt.src)
		} else {
			require.ErrorIs(t, tm.Check(testSchema), template.ErrUnknownField, tt.src)
		}
	}
}

// In the Handlebars dialect a context equal to the one below it is no
// level for ../, as in handlebars.js: Execute goes past it, and so must
// Check. The Mustache dialect counts every context.
func TestCheckSameContextIsNoLevel(t *testing.T) {
	ev, ok := accessrequest.Mock(accessrequest.Created)
	require.True(t, ok)
	s := accessrequest.Schema()
	for _, src := range []string{
		`{{#with data.requester}}{{#with ../data.requester}}{{../event_type}}{{/with}}{{/with}}`,
		`{{#with data.requester}}{{#if name}}{{#*inline "z"}}{{../event_type}}{{/inline}}{{> z}}{{/if}}{{/with}}`,
		`{{#with data.requester}}{{#unless name}}{{else}}{{#*inline "z"}}{{../event_type}}{{/inline}}{{> z}}{{/unless}}{{/with}}`,
		`{{#with data}}{{#with this}}{{../event_type}}{{/with}}{{/with}}`,
	} {
		for _, dialect := range []template.Dialect{template.Handlebars, template.Mustache} {
			tm, err := template.Parse(src, template.WithMode(template.Text), template.WithDialect(dialect))
			require.NoError(t, err)
			out, err := tm.Append(nil, ev.Document())
			require.NoError(t, err)
			if dialect == template.Handlebars {
				require.Equal(t, "RequestCreated", string(out), src)
				require.NoError(t, tm.Check(s), src)
			} else if string(out) == "" {
				require.ErrorIs(t, tm.Check(s), template.ErrUnknownField, src)
			}
		}
	}
}

// {{#with flag}} over true renders with true as its context, where
// Execute finds no member: only a section ({{#flag}}) keeps the context
// around it, so a name inside with is not the outer context's.
func TestCheckWithOverBoolean(t *testing.T) {
	data := `{"flag": true, "name": "Zoe"}`
	doc, err := jsondoc.Parse([]byte(data))
	require.NoError(t, err)
	s := mapSchema{"flag": "boolean", "name": "string"}
	for _, tt := range []struct {
		src, out string
		known    bool
	}{
		{`{{#with flag}}[{{name}}]{{/with}}`, "[]", false},
		{`{{#with flag}}[{{../name}}]{{/with}}`, "[Zoe]", true},
		{`{{#flag}}[{{name}}]{{/flag}}`, "[Zoe]", true},
	} {
		tm, err := template.Parse(tt.src, template.WithMode(template.Text))
		require.NoError(t, err)
		out, err := tm.Append(nil, doc)
		require.NoError(t, err)
		require.Equal(t, tt.out, string(out), tt.src)
		if tt.known {
			require.NoError(t, tm.Check(s), tt.src)
		} else {
			require.ErrorIs(t, tm.Check(s), template.ErrUnknownField, tt.src)
		}
	}
}
