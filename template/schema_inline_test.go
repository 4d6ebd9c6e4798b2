package template_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/template"
)

// Check resolves the references of partials as Execute does: ../ in an
// inline partial written in a block goes to the context of that block's
// tag wherever the partial is included, and a partial's hash arguments are
// members of its context. Every template here renders each reference
// (Execute finds it), so Check must know each.
func TestCheckFollowsPartialContexts(t *testing.T) {
	ev, ok := accessrequest.Mock(accessrequest.Created)
	require.True(t, ok)
	s := accessrequest.Schema()
	for _, mode := range []template.Mode{template.Text, template.JSON} {
		for _, tt := range []struct{ src, want string }{
			{`{{#each data.access_groups}}{{#*inline "p"}}{{../event_type}}{{/inline}}{{#each access_units}}{{> p}}{{/each}}{{/each}}`, "RequestCreated"},
			{`{{#each data.access_groups}}{{#*inline "p"}}{{../event_type}}{{/inline}}{{#each access_units}}{{> p resource}}{{/each}}{{/each}}`, "RequestCreated"},
			{`{{#with data.requester}}{{#*inline "p"}}{{../event_type}}/{{name}}{{/inline}}{{#with ../data}}{{> p requester}}{{/with}}{{/with}}`, "RequestCreated/"},
			{`{{#each data.access_groups}}{{#each access_units}}{{#*inline "p"}}{{../integration.name}}{{/inline}}{{> p}}{{/each}}{{/each}}`, "billing-pg-prod"},
			{`{{#*inline "p"}}{{x.name}}{{/inline}}{{> p x=data.requester}}`, "Zoë"},
			{`{{#*inline "p"}}{{x.name}} {{event_type}}{{/inline}}{{> p x=data.requester}}`, "RequestCreated"},
			{`{{#*inline "p"}}{{who.email}} {{name}}{{/inline}}{{> p data.requester who=data.requester}}`, "@"},
			{`{{#*inline "p"}}{{#each this}}{{integration.name}}{{/each}}{{/inline}}{{> p data.access_groups}}`, "billing-pg-prod"},
			{`{{#*inline "p"}}{{length}}{{/inline}}{{> p data.access_groups}}`, "2"},
		} {
			src := tt.src
			if mode == template.JSON {
				src = `"` + src + `"`
			}
			tm, err := template.Parse(src, template.WithMode(mode))
			require.NoError(t, err, src)
			out, err := tm.Append(nil, ev.Document())
			require.NoError(t, err, src)
			require.Contains(t, string(out), tt.want, src)
			require.NoError(t, tm.Check(s), "mode %v: %s renders %s", mode, src, out)
		}
	}
}

// The same shapes with a misspelt field are reported, hash values too.
func TestCheckFindsFaultsThroughPartialContexts(t *testing.T) {
	s := accessrequest.Schema()
	for _, tt := range []struct{ src, path string }{
		{`{{#each data.access_groups}}{{#*inline "p"}}{{../event_typ}}{{/inline}}{{#each access_units}}{{> p}}{{/each}}{{/each}}`, "../event_typ"},
		{`{{#*inline "p"}}{{x.nam}}{{/inline}}{{> p x=data.requester}}`, "x.nam"},
		{`{{#*inline "p"}}{{x.name}}{{/inline}}{{> p x=data.requestor}}`, "data.requestor"},
		{`{{#*inline "p"}}{{nam}}{{/inline}}{{> p data.requester who=1}}`, "nam"},
	} {
		tm, err := template.Parse(tt.src, template.WithMode(template.Text))
		require.NoError(t, err, tt.src)
		err = tm.Check(s)
		require.ErrorIs(t, err, template.ErrUnknownField, tt.src)
		var list template.ErrorList
		require.ErrorAs(t, err, &list)
		require.Len(t, list, 1, err.Error())
		require.Equal(t, tt.path, list[0].Path, err.Error())
	}
}
