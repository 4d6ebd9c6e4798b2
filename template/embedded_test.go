package template_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/template"
)

func TestSectionOverAListKnowsItsPlace(t *testing.T) {
	src := `[{{#xs}}{{#unless @first}},{{/unless}}{"i": {{@index}}, "last": {{@last}}}{{/xs}}]`
	tmpl, err := template.Parse(src)
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
