package outhook_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImportsPointDown checks the layering the README's package table
// describes: each package imports only the Outhook packages below it.
func TestImportsPointDown(t *testing.T) {
	const mod = "github.com/outhook/outhook/"
	// allowed lists, for each package (or prefix ending in /), the Outhook
	// packages it may import besides those under internal/ that ship.
	allowed := map[string][]string{
		"event":              {},
		"signature":          {},
		"template":           {},
		"filter":             {},
		"validate":           {},
		"defstore":           {},
		"keyring":            {},
		"accessrequest":      {"event"},
		"integration":        {"event"},
		"audit":              {"event"},
		"operational":        {"event"},
		"engine":             {"event"},
		"internal/memengine": {"engine", "event"},
		"internal/kindset":   {"event"},
		// A webhook's body secrets are read through its body template.
		"internal/bodysecrets": {"template"},
		"webhook":              {"event", "accessrequest", "operational", "signature", "engine", "template", "filter", "validate", "defstore", "keyring"},
		"manage":               {"event", "accessrequest", "defstore", "webhook", "template", "filter", "validate"},
		"console":              {"event", "defstore", "webhook", "template", "filter", "manage"},
	}
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	require.NoError(t, err)
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		require.NoError(t, dec.Decode(&p))
		name := strings.TrimPrefix(p.ImportPath, mod)
		may, ruled := allowed[name]
		internal := strings.HasPrefix(name, "internal/") && !strings.HasPrefix(name, "internal/testkit/")
		if !ruled && !internal {
			continue
		}
		seen++
		for _, imp := range p.Imports {
			dep, ok := strings.CutPrefix(imp, mod)
			if !ok || strings.HasPrefix(dep, "internal/") && !strings.HasPrefix(dep, "internal/testkit/") {
				continue // outside Outhook, or shipped internals
			}
			require.Contains(t, may, dep, "%s must not import %s", name, dep)
		}
	}
	require.Greater(t, seen, len(allowed), "go list found the packages")
}

// TestTestKitOnlyInTests checks that internal/testkit (the browser harness
// and its chromedp among them) reaches no shipped package: outside the kit,
// only _test.go files import it.
func TestTestKitOnlyInTests(t *testing.T) {
	const kit = "github.com/outhook/outhook/internal/testkit/"
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	require.NoError(t, err)
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		require.NoError(t, dec.Decode(&p))
		if strings.HasPrefix(p.ImportPath, kit) {
			continue
		}
		for _, imp := range p.Imports {
			require.False(t, strings.HasPrefix(imp, kit), "%s imports %s outside its tests", p.ImportPath, imp)
		}
	}
}
