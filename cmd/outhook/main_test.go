package main

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHelpOnEveryCommand(t *testing.T) {
	t.Parallel()
	for _, cmd := range commands {
		for _, args := range [][]string{{cmd.name, "-h"}, {cmd.name, "--help"}, {cmd.name, "-help"}, {"help", cmd.name}} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				r := outhook(t, runOpts{}, args...)
				require.Equal(t, 0, r.code, r.stderr)
				require.Empty(t, r.stderr)
				require.True(t, strings.HasPrefix(r.stdout, "Usage: outhook "+cmd.name), r.stdout)
				require.Contains(t, r.stdout, "Exit codes: 0 success; 1 what was checked is wrong; 2 usage error;")
			})
		}
	}
	// Every flag is in the usage.
	for _, cmd := range commands {
		fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
		cmd.setup(fs)
		r := outhook(t, runOpts{}, cmd.name, "-h")
		fs.VisitAll(func(f *flag.Flag) {
			require.Contains(t, r.stdout, "  -"+f.Name, "outhook %s -h", cmd.name)
		})
	}
}

func TestTopLevel(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		r := outhook(t, runOpts{}, args...)
		require.Equal(t, 0, r.code)
		require.Empty(t, r.stderr)
		for _, cmd := range commands {
			require.Contains(t, r.stdout, "  "+cmd.name+" ")
		}
	}

	r := outhook(t, runOpts{})
	require.Equal(t, 2, r.code)
	require.Empty(t, r.stdout)
	require.Contains(t, r.stderr, "Usage:")

	r = outhook(t, runOpts{}, "rendr")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, `outhook: unknown command "rendr"`)

	r = outhook(t, runOpts{}, "help", "rendr")
	require.Equal(t, 2, r.code)

	r = outhook(t, runOpts{}, "version")
	require.Equal(t, 0, r.code)
	require.Regexp(t, `^outhook \S+ go1\.\d+`, r.stdout)
	r = outhook(t, runOpts{}, "--version")
	require.Equal(t, 0, r.code)
	r = outhook(t, runOpts{}, "version", "extra")
	require.Equal(t, 2, r.code)
}

func TestParseInterspersed(t *testing.T) {
	for _, tc := range []struct {
		args []string
		mock string
		rest []string
	}{
		{[]string{"a.hbs"}, "", []string{"a.hbs"}},
		{[]string{"-mock", "X", "a.hbs"}, "X", []string{"a.hbs"}},
		{[]string{"a.hbs", "-mock", "X"}, "X", []string{"a.hbs"}},
		{[]string{"a", "-mock=X", "b"}, "X", []string{"a", "b"}},
		{[]string{"a", "--", "-mock", "X"}, "", []string{"a", "-mock", "X"}},
		{[]string{"--", "-"}, "", []string{"-"}},
		{[]string{"-", "-mock", "X"}, "X", []string{"-"}},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		mock := fs.String("mock", "", "")
		rest, err := parseInterspersed(fs, tc.args)
		require.NoError(t, err, tc.args)
		require.Equal(t, tc.mock, *mock, tc.args)
		require.Equal(t, tc.rest, rest, tc.args)
	}
}

func TestColour(t *testing.T) {
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	require.True(t, newStyle(true, env(nil)).on)
	require.False(t, newStyle(false, env(nil)).on, "not a terminal")
	require.False(t, newStyle(true, env(map[string]string{"NO_COLOR": "1"})).on)
	require.False(t, newStyle(true, env(map[string]string{"NO_COLOR": ""})).on, "NO_COLOR set, even empty")
	require.False(t, newStyle(true, env(map[string]string{"TERM": "dumb"})).on)

	on := style{on: true}
	require.Equal(t, "\x1b[32mok\x1b[0m", on.good("ok"))
	require.Equal(t, "ok", style{}.good("ok"))
}

// TestColourOnATerminal runs outhook on a pseudo-terminal, through
// util-linux's script(1): colour there, none with NO_COLOR set.
func TestColourOnATerminal(t *testing.T) {
	t.Parallel()
	scriptPath, err := exec.LookPath("script")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("script(1), from util-linux, is needed to run outhook on a terminal")
		}
		t.Skip("script(1) is not installed")
	}
	file := writeFile(t, t.TempDir(), "hooks.json", `[{"name": "a", "url": "http://a.example", "triggers": ["RequestCreated"]}]`)
	onTerminal := func(env ...string) string {
		cmd := exec.Command(scriptPath, "-qec", shellQuote(binary(t))+" lint "+shellQuote(file), os.DevNull)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "TERM=xterm"}, env...)
		out, err := cmd.Output()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("want exit code 1, got %v: %s", err, out)
		}
		return string(out)
	}
	require.Contains(t, onTerminal(), "\x1b[1m"+file+":1:")
	require.NotContains(t, onTerminal("NO_COLOR=1"), "\x1b[")
	require.NotContains(t, onTerminal("NO_COLOR="), "\x1b[")
	require.NotContains(t, onTerminal("TERM=dumb"), "\x1b[")
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
