package template_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/template"
)

// parseWithin parses src, a template of one to a few megabytes, and
// requires it to end far sooner than the minutes that a cost quadratic in
// its tags takes. The bound is wide so that a loaded machine running the
// race detector cannot fail it; the costs it catches are many times over
// it, and it fails without waiting for them.
func parseWithin(t *testing.T, src string, opts ...template.Option) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := template.Parse(src, opts...)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("parsing %d bytes takes over 30s", len(src))
		return nil
	}
}

// TestParseIsLinearInTagsOnALine parses a megabyte of tags on one line:
// finding whether each stands alone on its line must not read the line
// back to its start.
func TestParseIsLinearInTagsOnALine(t *testing.T) {
	for _, tag := range []string{"{{!c}}", "{{> x}}", "{{#if a}}b{{/if}}"} {
		src := strings.Repeat(tag, 1<<20/len(tag))
		require.NoError(t, parseWithin(t, src, template.WithMode(template.Text), template.WithPartials(map[string]string{"x": "y"})))
	}
}

// TestParseIsLinearInNestedBlocks parses blocks nested a hundred thousand
// deep: the parser finds where each block part ends, for the inline
// partials in it, without reading through the blocks in it.
func TestParseIsLinearInNestedBlocks(t *testing.T) {
	nest := func(n int, open, close string) string {
		return strings.Repeat(open, n) + strings.Repeat(close, n)
	}
	text := template.WithMode(template.Text)
	require.NoError(t, parseWithin(t, nest(1<<18, "{{#a}}", "{{/a}}"), text))
	require.NoError(t, parseWithin(t, nest(1<<17, `{{#*inline "p"}}`, "{{/inline}}"), text))
	src := nest(1<<17, `{{#*inline "p"}}`, "{{/inline}}") + "{{#> p}}x{{/p}}"
	require.NoError(t, parseWithin(t, src, text))
}

// TestParseIsLinearInElseIfChains checks a long {{else if}} chain as JSON:
// the analysis finds the paths that later parts test again once for the
// chain, not once for each part.
func TestParseIsLinearInElseIfChains(t *testing.T) {
	for _, cond := range []func(i int) string{
		func(int) string { return "a" },
		func(i int) string { return "a" + strconv.Itoa(i) },
	} {
		var b strings.Builder
		b.WriteString(`{"v": {{#if a}}0`)
		for i := range 1 << 16 {
			b.WriteString("{{else if " + cond(i) + "}}1")
		}
		b.WriteString("{{else}}2{{/if}}}")
		require.NoError(t, parseWithin(t, b.String()))
	}
}
