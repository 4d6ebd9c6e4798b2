package template_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/template"
)

// TestLooseEqualLevels pins where handlebars.js 4.7.10 finds an array and
// a string equal with == (and so ../ skips a level): the array's text has
// the digits JavaScript writes for each number, and a hexadecimal string
// is its value rounded once. R is written when the two contexts are one
// level; the wants are node's.
func TestLooseEqualLevels(t *testing.T) {
	const src = `{{#each xs}}{{#each ../ys}}{{../mark}}.{{/each}}{{/each}}`
	cases := []struct{ name, xs, ys, want string }{
		{"1.0 in an array is 1", `["1"]`, `[[1.0]]`, "R."},
		{"1.50 in an array is 1.5", `["1.5"]`, `[[1.50]]`, "R."},
		{"1E2 in an array is 100", `["100"]`, `[[1E2]]`, "R."},
		{"1e21 in an array is 1e+21", `["1e+21"]`, `[[1e21]]`, "R."},
		{"1e21 in an array is not its literal", `["1e21"]`, `[[1e21]]`, "."},
		{"-0 in an array is 0", `["0", "-0"]`, `[[-0]]`, "R.."},
		{"too large in an array is Infinity", `["Infinity", "1e400"]`, `[[1e400]]`, "R.."},
		{"digits past float64 in an array", `["9007199254740993"]`, `[[9007199254740993]]`, "."},
		{"hexadecimal rounded once", `["0x189eaff309cad683"]`, `[1774048761606756096, 1774048761606755840]`, "R.."},
		{"hexadecimal rounded once, upper X", `["0X1dfbdb0ae07552812"]`, `[34568980576259616768]`, "R."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tm, err := template.Parse(src, template.WithMode(template.Text))
			require.NoError(t, err)
			doc, err := jsondoc.Parse([]byte(`{"mark":"R","xs":` + c.xs + `,"ys":` + c.ys + `}`))
			require.NoError(t, err)
			out, err := tm.Append(nil, doc)
			require.NoError(t, err)
			require.Equal(t, c.want, string(out))
		})
	}
}
