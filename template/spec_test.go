package template_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/template"
)

// specDir returns the folder of the mustache specification's JSON files:
// $OUTHOOK_SPEC_DIR, or ../shared/spec/mustache from the repository root.
func specDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("OUTHOOK_SPEC_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "spec", "mustache")
	}
	if _, err := os.Stat(filepath.Join(dir, "interpolation.json")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mustache spec not found in %s (set OUTHOOK_SPEC_DIR): %v", dir, err)
		}
		t.Skipf("mustache spec not found in %s; set OUTHOOK_SPEC_DIR to run the conformance tests", dir)
	}
	return dir
}

type specFile struct {
	Tests []struct {
		Name     string            `json:"name"`
		Desc     string            `json:"desc"`
		Data     any               `json:"data"`
		Template string            `json:"template"`
		Partials map[string]string `json:"partials"`
		Expected string            `json:"expected"`
	} `json:"tests"`
}

// TestSpec runs the mustache specification's required modules in HTML
// mode: all 136 tests must pass.
func TestSpec(t *testing.T) {
	dir := specDir(t)
	total := 0
	for _, file := range []string{"comments", "delimiters", "interpolation", "inverted", "partials", "sections"} {
		raw, err := os.ReadFile(filepath.Join(dir, file+".json"))
		require.NoError(t, err)
		var spec specFile
		require.NoError(t, json.Unmarshal(raw, &spec))
		for _, tc := range spec.Tests {
			total++
			t.Run(file+"/"+tc.Name, func(t *testing.T) {
				tmpl, err := template.Parse(tc.Template, template.WithMode(template.HTML), template.WithPartials(tc.Partials), template.WithMissingPartialsEmpty(), template.WithDialect(template.Mustache))
				require.NoError(t, err, tc.Desc)
				got, err := tmpl.Append(nil, tc.Data)
				require.NoError(t, err)
				require.Equal(t, tc.Expected, string(got), tc.Desc)
			})
		}
	}
	require.Equal(t, 136, total, "the required modules have 136 tests")
}

// TestSpecDynamicNames runs the optional ~dynamic-names module.
func TestSpecDynamicNames(t *testing.T) {
	dir := specDir(t)
	raw, err := os.ReadFile(filepath.Join(dir, "~dynamic-names.json"))
	require.NoError(t, err)
	var spec specFile
	require.NoError(t, json.Unmarshal(raw, &spec))
	require.NotEmpty(t, spec.Tests)
	for _, tc := range spec.Tests {
		t.Run(tc.Name, func(t *testing.T) {
			tmpl, err := template.Parse(tc.Template, template.WithMode(template.HTML), template.WithPartials(tc.Partials), template.WithMissingPartialsEmpty(), template.WithDialect(template.Mustache))
			require.NoError(t, err, tc.Desc)
			got, err := tmpl.Append(nil, tc.Data)
			require.NoError(t, err)
			require.Equal(t, tc.Expected, string(got), tc.Desc)
		})
	}
}
