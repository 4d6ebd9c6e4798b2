package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The tests run the outhook binary as a user does: built once, with the
// race detector when the tests have it, and executed per case.
var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary returns the path of the built outhook.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "outhook-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "outhook")
		if runtime.GOOS == "windows" {
			binPath += ".exe"
		}
		args := []string{"build", "-o", binPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		out, err := exec.Command(goTool(), append(args, ".")...).CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	require.NoError(t, buildErr, "building outhook")
	return binPath
}

// goTool is the go command of the toolchain running the tests, which go
// test names in $GOROOT, or else the one on PATH.
func goTool() string {
	p := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(p); os.Getenv("GOROOT") != "" && err == nil {
		return p
	}
	return "go"
}

// result is what one run of outhook did.
type result struct {
	stdout, stderr string
	code           int
}

// runOpts changes how outhook runs.
type runOpts struct {
	stdin string
	env   []string // added to a clean environment
	dir   string
}

// outhook runs the binary with args and returns what it did.
func outhook(t testing.TB, o runOpts, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Stdin = strings.NewReader(o.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Dir = o.dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "USER=tester"}, o.env...)
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{stdout.String(), stderr.String(), code}
}

// decodeStrictly decodes the JSON output s into v, refusing members v
// does not have, so that a test states the whole shape of an output.
func decodeStrictly(t testing.TB, s string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(v), "output:\n%s", s)
	require.False(t, dec.More(), "more than one JSON value in:\n%s", s)
}

// writeFile writes content to name in dir and returns its path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// positionOf returns the 1-based line and byte column of the first
// occurrence of needle in content.
func positionOf(t testing.TB, content, needle string) (line, col int) {
	t.Helper()
	i := strings.Index(content, needle)
	require.GreaterOrEqual(t, i, 0, "%q not in the file", needle)
	line = 1 + strings.Count(content[:i], "\n")
	col = i - strings.LastIndex(content[:i], "\n")
	return line, col
}
