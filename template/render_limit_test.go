package template_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/template"
)

// TestRenderLimitStopsAmplification renders short templates whose loops
// and helpers multiply over a small list: unbounded, each asks for
// gigabytes or hours; with WithRenderLimit each fails at once, with a
// position, and leaves dst as it was.
func TestRenderLimitStopsAmplification(t *testing.T) {
	items := make([]any, 200)
	for i := range items {
		items[i] = json.Number("1")
	}
	data := map[string]any{"a": items}
	nest := func(depth int, body string) string {
		return strings.Repeat("{{#each @root.a}}", depth) + body + strings.Repeat("{{/each}}", depth)
	}
	tests := []struct{ name, src string }{
		{"output of nested loops", `{"x": "` + nest(5, "0123456789") + `"}`},
		{"nested loops that write nothing", `{"x": "` + nest(6, "") + `"}`},
		{"nested conditions in loops", `{"x": "` + nest(6, "{{#if @first}}{{/if}}") + `"}`},
		{"a helper's result fed to itself", `{"x": "{{join a sep=(join a sep=(join a sep=(join a sep=(join a sep=\"0123456789\"))))}}"}`},
		{"one value many times", `{"x": "` + strings.Repeat("{{s}}", 20000) + `"}`},
	}
	data["s"] = strings.Repeat("x", 100000)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := template.Parse(tc.src, template.WithName("body"), template.WithRenderLimit(1<<20))
			require.NoError(t, err)
			start := time.Now()
			dst := []byte("kept")
			out, err := tmpl.Append(dst, data)
			require.ErrorIs(t, err, template.ErrRenderLimit)
			var te *template.Error
			require.ErrorAs(t, err, &te)
			require.Equal(t, "body", te.Name)
			require.Positive(t, te.Line)
			require.Equal(t, "kept", string(out))
			require.Less(t, time.Since(start), 2*time.Second)
		})
	}
}

// TestRenderLimitLetsTheRestThrough checks that a rendering within the
// limit is the same as without one, and that the limit counts the output
// of the rendering only, not what dst held.
func TestRenderLimitLetsTheRestThrough(t *testing.T) {
	data := map[string]any{"a": []any{"x", "y", "z"}, "s": strings.Repeat("v", 1000)}
	src := `{"list": [{{#each a}}"{{.}}"{{#unless @last}},{{/unless}}{{/each}}], "s": "{{s}}", "j": "{{join a sep="-"}}"}`
	free := template.MustParse(src)
	want, err := free.Append(nil, data)
	require.NoError(t, err)
	limited := template.MustParse(src, template.WithRenderLimit(len(want)+64))
	got, err := limited.Append([]byte(strings.Repeat("p", 10000)), data)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got[10000:]))
	_, err = template.MustParse(src, template.WithRenderLimit(len(want)/2)).Append(nil, data)
	require.ErrorIs(t, err, template.ErrRenderLimit)
}
