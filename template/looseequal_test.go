package template_test

import (
	"strings"
	"testing"
	"time"

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

// TestCheckLooseEqualLevels holds Check to Execute where ../ goes from a
// context that == may find equal to the one below it although they are
// different fields: Execute then skips that level, so a reference known
// only there is no unknown field; one known nowhere is still reported.
// The wants are what handlebars.js 4.7.10 renders.
func TestCheckLooseEqualLevels(t *testing.T) {
	schema := mapSchema{
		"strs": "array", "strs[]": "string", "nums": "array", "nums[]": "number",
		"n": "number", "m": "number", "b": "boolean", "a": "string",
		"o": "object", "o.s": "string", "list": "array", "list[]": "array", "list[][]": "number",
	}
	data := `{"strs":["3"],"nums":[3],"n":3,"m":3,"b":true,"a":"root-a","o":{"s":"[object Object]"},"list":[[1]]}`
	cases := []struct{ name, src, want string }{
		{"string element and number", `{{#each strs}}{{#with ../n}}{{../a}}{{/with}}{{/each}}`, "root-a"},
		{"number element and number", `{{#each nums}}{{#with ../n}}{{../a}}{{/with}}{{/each}}`, "root-a"},
		{"two number fields", `{{#with n}}{{#with ../m}}{{../a}}{{/with}}{{/with}}`, "root-a"},
		{"object and its text", `{{#with o}}{{#with s}}{{../a}}{{/with}}{{/with}}`, "root-a"},
		{"array of one and true", `{{#each list}}{{#with ../b}}{{../a}}{{/with}}{{/each}}`, "root-a"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tm, err := template.Parse(c.src, template.WithMode(template.Text))
			require.NoError(t, err)
			doc, err := jsondoc.Parse([]byte(data))
			require.NoError(t, err)
			out, err := tm.Append(nil, doc)
			require.NoError(t, err)
			require.Equal(t, c.want, string(out), "Execute")
			require.NoError(t, tm.Check(schema))
			// The same reference to a field no context has is reported.
			absent, err := template.Parse(strings.Replace(c.src, "a}}", "zz}}", 1), template.WithMode(template.Text))
			require.NoError(t, err)
			require.ErrorIs(t, absent.Check(schema), template.ErrUnknownField)
		})
	}
}

// TestCheckUpIsLinear checks a template of a few megabytes whose ../ paths
// climb nearly a thousand contexts that == may find equal each to the one
// below: each level may count or not, and following both ways for every
// reference took minutes. The bound is as wide as parseWithin's.
func TestCheckUpIsLinear(t *testing.T) {
	const depth = 990
	schema := mapSchema{"n": "number", "m": "number", "s": "string", "l": "array", "l[]": "number", "a": "string"}
	fields := []string{"n", "m", "s", "l"}
	var b strings.Builder
	b.WriteString("{{#with n}}")
	for i := 1; i < depth; i++ {
		b.WriteString("{{#with @root." + fields[i%4] + "}}")
	}
	for range 1000 {
		b.WriteString("{{" + strings.Repeat("../", depth-1) + "a}}")
	}
	b.WriteString(strings.Repeat("{{/with}}", depth))
	// The same climb over an array's elements, each the same value or not.
	b.WriteString(strings.Repeat("{{#each @root.l}}", depth))
	for range 1000 {
		b.WriteString("{{" + strings.Repeat("../", depth-1) + "a}}")
	}
	b.WriteString(strings.Repeat("{{/each}}", depth))
	tm, err := template.Parse(b.String(), template.WithMode(template.Text))
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- tm.Check(schema) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatalf("Check of %d bytes takes over 30s", b.Len())
	}
}
