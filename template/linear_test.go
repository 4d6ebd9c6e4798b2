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
	// A string or segment literal may hold }}, so the end of a tag is
	// found past them; one left open must not send each tag to the end
	// of the template.
	for _, tag := range []string{`{{a \'}}`, `{{a "x\"}}`, `{{a [}}`} {
		src := strings.Repeat(tag, 1<<20/len(tag))
		require.Error(t, parseWithin(t, src, template.WithMode(template.Text)))
	}
}

// TestParseBoundsNesting parses blocks, {{else if}} chains and
// subexpressions nested far deeper than anyone writes them. The passes
// after parsing recurse into each level: a million levels overflowed the
// stack, a fatal error that takes the process down. Past 1000 levels each
// is now an error at the tag that opens the level too many.
func TestParseBoundsNesting(t *testing.T) {
	nest := func(n int, open, mid, close string) string {
		return strings.Repeat(open, n) + mid + strings.Repeat(close, n)
	}
	chain := func(n int) string {
		return `{"v": {{#if a}}0` + strings.Repeat("{{else if a}}1", n) + "{{else}}2{{/if}} }"
	}
	for _, c := range []struct {
		src  string
		col  int
		deep string
	}{
		{nest(1<<20, "{{#a}}", "x", "{{/a}}"), 1000*len("{{#a}}") + 1, "blocks"},
		{`"` + nest(1<<12, "{{#each a}}", "x", "{{/each}}") + `"`, 1 + 1000*len("{{#each a}}") + 1, "blocks"},
		{chain(1 << 12), len(`{"v": {{#if a}}0`) + 999*len("{{else if a}}1") + 1, "blocks"},
		{"{{lower " + nest(1<<20, "(lower ", "x", ")") + "}}", len("{{lower ") + 1000*len("(lower ") + 1, "subexpressions"},
		{"{{lower (lower x) " + nest(1<<12, "a=(lower ", "x", ")") + "}}", len("{{lower (lower x) ") + 1000*len("a=(lower ") + 3, "subexpressions"},
	} {
		for _, mode := range []template.Mode{template.Text, template.JSON} {
			err := parseWithin(t, c.src, template.WithMode(mode), template.WithName("body"))
			var te *template.Error
			require.ErrorAs(t, err, &te, "mode %v", mode)
			require.Equal(t, "body", te.Name)
			require.Equal(t, 1, te.Line)
			require.Equal(t, c.col, te.Column, "%v", err)
			require.Contains(t, te.Msg, c.deep+" nested more than 1000 deep")
		}
	}
	// 1000 levels parse, and render.
	tmpl, err := template.Parse(nest(1000, "{{#a}}", "x", "{{/a}}"), template.WithMode(template.Text))
	require.NoError(t, err)
	out, err := tmpl.Append(nil, map[string]any{"a": true})
	require.NoError(t, err)
	require.Equal(t, "x", string(out))
	_, err = template.Parse(chain(999))
	require.NoError(t, err)
	_, err = template.Parse("{{lower " + nest(999, "(lower ", "x", ")") + "}}")
	require.NoError(t, err)
}

// TestParseIsFastAtTheNestingBound parses a megabyte of tags inside blocks
// nested as deep as allowed, and {{else if}} chains as long: finding where
// a block part ends, or which paths later parts test again, must not read
// through every level below.
func TestParseIsFastAtTheNestingBound(t *testing.T) {
	inner := strings.Repeat(`{{#*inline "q"}}{{x}}{{/inline}}`, 1<<15)
	src := strings.Repeat("{{#a}}", 999) + inner + strings.Repeat("{{/a}}", 999)
	require.NoError(t, parseWithin(t, src, template.WithMode(template.Text)))
	var b strings.Builder
	b.WriteString("[0")
	for i := range 64 {
		b.WriteString(`, {{#if a}}0`)
		for j := range 999 {
			b.WriteString("{{else if a" + strconv.Itoa(i*1000+j) + "}}1")
		}
		b.WriteString("{{else}}2{{/if}}")
	}
	b.WriteString("]")
	require.NoError(t, parseWithin(t, b.String()))
}

// TestParseBoundsPartialsInlinedForJSON parses, in JSON mode, partials
// that each include the next twice: inlined for the check, thirty levels
// made a billion copies of the last. The inlining now stops at a fixed
// amount of work, with an error at a partial tag.
func TestParseBoundsPartialsInlinedForJSON(t *testing.T) {
	chain := func(levels int) string {
		var b strings.Builder
		for i := range levels {
			b.WriteString(`{{#*inline "p` + strconv.Itoa(i) + `"}}{{> p` + strconv.Itoa(i+1) + `}}{{> p` + strconv.Itoa(i+1) + `}}{{/inline}}`)
		}
		b.WriteString(`{{#*inline "p` + strconv.Itoa(levels) + `"}}1,{{/inline}}[{{> p0}}0]`)
		return b.String()
	}
	err := parseWithin(t, chain(30), template.WithName("body"))
	var te *template.Error
	require.ErrorAs(t, err, &te)
	require.Contains(t, te.Msg, "inlining partials for the JSON check passed its limit")
	require.Equal(t, "body", te.Name)
	require.Equal(t, 1, te.Line)
	require.Positive(t, te.Column)
	tmpl, err := template.Parse(chain(8))
	require.NoError(t, err, "partials that multiply a few times parse")
	out, err := tmpl.Append(nil, nil)
	require.NoError(t, err)
	require.Equal(t, "["+strings.Repeat("1,", 256)+"0]", string(out))
}

// TestParseIsLinearInNestedInlinePartials parses inline partials and
// partial blocks nested in each other, none of them used. Each level was
// found twice, by the partial block's scope and by its content's, and
// checked once for each: forty levels took hours.
func TestParseIsLinearInNestedInlinePartials(t *testing.T) {
	nest := func(mid string) string {
		return strings.Repeat(`{{#*inline "a"}}{{#> p}}`, 40) + mid + strings.Repeat("{{/p}}{{/inline}}", 40)
	}
	for _, mode := range []template.Mode{template.Text, template.HTML} {
		require.NoError(t, parseWithin(t, nest("x"), template.WithMode(mode)))
		// An error at the deepest level is found as fast, and named.
		err := parseWithin(t, nest("{{else}}"), template.WithMode(mode))
		var te *template.Error
		require.ErrorAs(t, err, &te)
		require.Equal(t, 40*len(`{{#*inline "a"}}{{#> p}}`)+1, te.Column, "%v", err)
		require.Contains(t, te.Msg, "{{else}} in a partial block")
	}
}

// TestParseIsLinearInBlocksLeftOpen parses a megabyte of partial blocks
// and inline partials left open, or closed by the wrong tag, one in
// another. The errors in a block's content come before its own, so each
// level reads the levels inside it: reading a copy of them at each level
// took gigabytes, and reading them on one stack with no bound overflowed
// it. Past the nesting bound the deeper levels are not read.
func TestParseIsLinearInBlocksLeftOpen(t *testing.T) {
	for _, c := range []struct {
		src, msg string
	}{
		{strings.Repeat(`{{#> p}}`, 1<<20/8), "unclosed partial block"},
		{strings.Repeat(`{{#> p}}`, 1<<20/8) + "{{", "unclosed tag"},
		{strings.Repeat(`{{#*inline "a"}}{{#> p}}`, 1<<20/24) + "{{", "unclosed tag"},
		{strings.Repeat(`{{#*inline "a"}}`, 1<<20/16), "unclosed inline partial"},
		{strings.Repeat(`{{#*inline "a"}}`, 1<<20/32) + strings.Repeat(`{{/x}}`, 1<<20/32), "does not match {{#*inline}}"},
	} {
		err := parseWithin(t, c.src, template.WithMode(template.Text))
		var te *template.Error
		require.ErrorAs(t, err, &te)
		require.Contains(t, te.Msg, c.msg)
	}
}
