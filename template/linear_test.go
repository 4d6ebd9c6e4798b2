package template_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/template"
)

// parseWithin parses src, a template of about a megabyte, and requires it
// to take far less than the minutes that a cost quadratic in its tags
// takes. The bound is wide so that a loaded machine running the race
// detector cannot fail it; the costs it catches are a hundred times over
// it.
func parseWithin(t *testing.T, src string, opts ...template.Option) error {
	t.Helper()
	start := time.Now()
	_, err := template.Parse(src, opts...)
	require.Less(t, time.Since(start), 30*time.Second, "parsing %d bytes", len(src))
	return err
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
