package outhook_test

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// readmeImports maps the package names README blocks may use to their
// import paths. A block imports those whose name it uses as a qualifier.
var readmeImports = map[string]string{
	"context":       "context",
	"errors":        "errors",
	"fmt":           "fmt",
	"http":          "net/http",
	"log":           "log",
	"os":            "os",
	"slog":          "log/slog",
	"testing":       "testing",
	"time":          "time",
	"strings":       "strings",
	"accessrequest": "github.com/outhook/outhook/accessrequest",
	"audit":         "github.com/outhook/outhook/audit",
	"console":       "github.com/outhook/outhook/console",
	"integration":   "github.com/outhook/outhook/integration",
	"operational":   "github.com/outhook/outhook/operational",
	"defstore":      "github.com/outhook/outhook/defstore",
	"keyring":       "github.com/outhook/outhook/keyring",
	"manage":        "github.com/outhook/outhook/manage",
	"engine":        "github.com/outhook/outhook/engine",
	"event":         "github.com/outhook/outhook/event",
	"filter":        "github.com/outhook/outhook/filter",
	"presets":       "github.com/outhook/outhook/presets",
	"signature":     "github.com/outhook/outhook/signature",
	"template":      "github.com/outhook/outhook/template",
	"torq":          "github.com/outhook/outhook/torq",
	"validate":      "github.com/outhook/outhook/validate",
	"webhook":       "github.com/outhook/outhook/webhook",
	"webhooktest":   "github.com/outhook/outhook/webhooktest",
}

// fence matches a fenced block: its language and its text.
var fence = regexp.MustCompile("(?ms)^```(\\w*)\\n(.*?)^```\\s*$")

// TestReadmeCommands checks that the README starts with the three commands
// the paragraphs after them describe.
func TestReadmeCommands(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	first := fence.FindSubmatch(readme)
	require.NotNil(t, first)
	require.Equal(t, "sh", string(first[1]))
	var commands []string
	for _, line := range strings.Split(strings.TrimSpace(string(first[2])), "\n") {
		cmd, _, _ := strings.Cut(line, "#")
		commands = append(commands, strings.TrimSpace(cmd))
	}
	require.Equal(t, []string{"go run ./examples/quickstart", "go test -race ./...", "go run ./examples/console"}, commands)
}

// TestReadmeCompiles compiles every ```go block of README.md. A block
// holds top-level declarations (or a whole file, from "package" on); it is
// compiled as a package of its own, importing what it uses, through an
// overlay, so that nothing is written to the repository.
func TestReadmeCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	repo, err := os.Getwd()
	require.NoError(t, err)
	goTool := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}

	dir := t.TempDir()
	overlay := map[string]string{}
	var pkgs []string
	for i, m := range fence.FindAllSubmatch(readme, -1) {
		if string(m[1]) != "go" {
			continue
		}
		src, err := readmeFile(string(m[2]))
		require.NoError(t, err, "README block %d", i)
		file := filepath.Join(dir, fmt.Sprintf("block%d.go", i))
		require.NoError(t, os.WriteFile(file, []byte(src), 0o644))
		pkg := fmt.Sprintf("readmeblock%d", i)
		overlay[filepath.Join(repo, pkg, "readme.go")] = file
		pkgs = append(pkgs, "./"+pkg)
	}
	require.NotEmpty(t, pkgs, "README.md has no go blocks")
	o, err := json.Marshal(map[string]any{"Replace": overlay})
	require.NoError(t, err)
	overlayFile := filepath.Join(dir, "overlay.json")
	require.NoError(t, os.WriteFile(overlayFile, o, 0o644))

	cmd := exec.Command(goTool, append([]string{"build", "-overlay", overlayFile, "-o", os.DevNull}, pkgs...)...)
	cmd.Dir = repo
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "a README block does not compile (block N is the Nth fenced block, from 0):\n%s", out)
}

// readmeFile turns a README block into a Go file: a package clause, and an
// import for each package name the block uses as a qualifier.
func readmeFile(block string) (string, error) {
	if strings.HasPrefix(strings.TrimSpace(block), "package ") {
		return block, nil
	}
	const clause = "package readme\n\n"
	f, err := parser.ParseFile(token.NewFileSet(), "block.go", clause+block, 0)
	if err != nil {
		return "", err
	}
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && readmeImports[id.Name] != "" {
				used[id.Name] = true
			}
		}
		return true
	})
	var imports []string
	for name := range used {
		imports = append(imports, fmt.Sprintf("\t%q", readmeImports[name]))
	}
	slices.Sort(imports)
	return clause + "import (\n" + strings.Join(imports, "\n") + "\n)\n\n" + block, nil
}
