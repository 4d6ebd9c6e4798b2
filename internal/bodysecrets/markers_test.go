package bodysecrets_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/bodysecrets"
	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/template"
)

// The body sent is what the template renders with the value itself in its
// data, in every mode and wherever a plain tag stands.
func TestSubstituteSendsWhatTheTemplateWritesForTheValue(t *testing.T) {
	values := []string{"R0ut1ng-key", `q"uo\te<&>'=` + "`", "line\nbreak\ttab\u2028sep", "ünï€😀/x", `\\=\=`}
	cases := []struct {
		mode template.Mode
		src  string
	}{
		{template.JSON, `{"v": {{secrets.k}}, "s": "key {{secrets.k}}!", "r": "{{{secrets.k}}}", "{{secrets.k}}": 1}`},
		{template.JSON, `{"doc": "{ \"k\": \"{{secrets.k}}\", \"v\": {{secrets.k}} }"}`},
		{template.JSON, `{"doc": "{ \"in\": \"{ \\\"k\\\": \\\"{{secrets.k}}\\\" }\" }"}`},
		{template.JSON, `{"j": "{{json secrets.k}}", "v": {{json secrets.k}}, "w": "{{#with secrets}}{{k}}{{/with}}"}`},
		{template.JSON, `{"a": [{{#each secrets}}{{this}}{{#unless @last}},{{/unless}}{{/each}}], "k": "{{secrets.k}}{{secrets.k}}\\"}`},
		{template.HTML, `<p title="{{secrets.k}}">{{secrets.k}} {{{secrets.k}}} {{&secrets.k}}</p>`},
		{template.Text, `key={{secrets.k}} raw={{{secrets.k}}}`},
	}
	doc, err := jsondoc.Parse([]byte(`{"data": {"id": "r1"}}`))
	require.NoError(t, err)
	for _, c := range cases {
		tmpl := template.MustParse(c.src, template.WithMode(c.mode))
		for _, value := range values {
			secrets := map[string]string{"k": value, "other": "0th3r-value"}
			want, err := tmpl.Append(nil, bodysecrets.Values{"k": value, "other": secrets["other"]}.Data(doc))
			require.NoError(t, err)

			s := bodysecrets.Compile(secrets)
			markers, token := s.Markers()
			rendered, err := tmpl.Append(nil, markers.Data(doc))
			require.NoError(t, err)
			require.NotContains(t, string(rendered), value)
			require.Equal(t, string(want), string(s.Substitute(nil, rendered, token, c.mode, "")), "%s over %q", c.src, value)

			masked, err := tmpl.Append(nil, bodysecrets.Values{"k": "REDACTED", "other": "REDACTED"}.Data(doc))
			require.NoError(t, err)
			require.Equal(t, string(masked), string(s.Substitute(nil, rendered, token, c.mode, "REDACTED")), "%s masked", c.src)
		}
	}
}

// A helper or block gets the marker, never the value: what it makes of
// it does not depend on the value and holds nothing of it, sent or shown.
func TestHelpersSeeNoSecret(t *testing.T) {
	tmpl := template.MustParse(`{"first": "{{#if (eq (truncate secrets.k 1) "R")}}R{{else}}other{{/if}}", "u": "{{upper secrets.k}}", "lo": "{{lower secrets.k}}", "t": "{{truncate secrets.k 25}}", "r": "{{replace secrets.k "=" "-"}}", "l": {{secrets.k.length}}}`)
	var bodies []string
	for _, value := range []string{"R0ut1ng-key", "S0ut1ng-kez-longer"} {
		s := bodysecrets.Compile(map[string]string{"k": value})
		markers, token := s.Markers()
		rendered, err := tmpl.Append(nil, markers.Data(map[string]any{}))
		require.NoError(t, err)
		sent := string(s.Substitute(nil, rendered, token, template.JSON, ""))
		for _, piece := range []string{value, strings.ToUpper(value), value[:4]} {
			require.NotContains(t, sent, piece)
		}
		require.Equal(t, sent, string(s.Substitute(nil, rendered, token, template.JSON, "REDACTED")), "nothing substituted")
		require.True(t, strings.Contains(sent, token) || strings.Contains(sent, token[:20]))
		bodies = append(bodies, anyToken.ReplaceAllString(sent, "T")) // the token, whole or cut, in either case
	}
	require.Equal(t, bodies[0], bodies[1], "the body depends on no secret's value")
}

var anyToken = regexp.MustCompile(`(?i)s[a-z2-7]{10,24}`)

// An event's text cannot stand for a secret: the token is drawn for each
// render.
func TestMarkersAreDrawnPerRender(t *testing.T) {
	s := bodysecrets.Compile(map[string]string{"k": "R0ut1ng-key"})
	m1, t1 := s.Markers()
	m2, t2 := s.Markers()
	require.NotEqual(t, t1, t2)
	require.NotEqual(t, m1["k"], m2["k"])
	require.Len(t, t1, 25)
	forged := []byte(`{"e": "` + m1["k"].(string) + `"}`)
	require.Equal(t, string(forged), string(s.Substitute(nil, forged, t2, template.JSON, "")))
	require.Nil(t, bodysecrets.Compile(nil))
}
