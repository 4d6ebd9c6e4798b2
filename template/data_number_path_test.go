package template_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/template"
)

// A data path whose first step is a number (@0.x) is no loop variable:
// handlebars.js finds nothing there, and writes nothing.
func TestDataPathFromANumberIsMissing(t *testing.T) {
	tpl, err := template.Parse(`{{#each a}}[{{@0.x}}|{{@key.length}}]{{/each}}`, template.WithMode(template.Text))
	require.NoError(t, err)
	var out strings.Builder
	require.NoError(t, tpl.Execute(&out, map[string]any{"a": []any{"p", "q"}}))
	// handlebars.js 4.7: "[|0][|]" (@key of an array's element is its
	// index, a number: 0 is written, 1 has no length).
	require.Equal(t, "[|0][|]", out.String())
}

// A dynamic partial whose name has an unclosed bracket is refused with
// its position, not a crash of Parse (found by FuzzParse: {{>*[}}).
func TestDynamicPartialWithAnUnclosedBracket(t *testing.T) {
	for _, src := range []string{"{{>*[}}0", "{{>*a.[b}}", "{{>*[x}}"} {
		_, err := template.Parse(src, template.WithMode(template.Text))
		var te *template.Error
		require.ErrorAs(t, err, &te, src)
		require.Contains(t, err.Error(), "unclosed [", src)
		require.Equal(t, 1, te.Line, src)
	}
}
