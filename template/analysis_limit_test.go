package template_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/template"
)

// TestParseBoundsItsJSONAnalysis parses templates of a few hundred bytes
// whose nested sections multiplied the states the JSON analysis follows:
// sixteen {{#a}} took two minutes, a thousand hours. Each is now an
// error at the section where the analysis gave up, within a fraction of
// a second.
func TestParseBoundsItsJSONAnalysis(t *testing.T) {
	nest := func(depth int, open, close string) string {
		return `{"x": "` + strings.Repeat(open, depth) + "x" + strings.Repeat(close, depth) + `"}`
	}
	for _, src := range []string{
		nest(16, "{{#a}}", "{{/a}}"),
		nest(1000, "{{#a}}", "{{/a}}"),
		nest(1000, "{{#each @root.a}}", "{{/each}}"),
	} {
		start := time.Now()
		_, err := template.Parse(src, template.WithName("body"))
		var te *template.Error
		require.ErrorAs(t, err, &te)
		require.Contains(t, te.Msg, "too complex")
		require.Equal(t, "body", te.Name)
		require.Positive(t, te.Column)
		// Unbounded, the analysis is exponential in the depth and never
		// ends; bounded, it ends at once. The bound is wide so that a
		// loaded machine running the race detector cannot fail it.
		require.Less(t, time.Since(start), 30*time.Second)
	}
	for _, src := range []string{nest(4, "{{#a}}", "{{/a}}"), nest(12, "{{#each @root.a}}", "{{/each}}"), nest(64, "{{#if a}}", "{{/if}}")} {
		_, err := template.Parse(src)
		require.NoError(t, err, "templates nested as deep as people write them parse")
	}
}
