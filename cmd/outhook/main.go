// Command outhook is Outhook's command line, for the authors of webhook
// templates, the operators of a service that embeds Outhook, and the
// receivers of its webhooks:
//
//	outhook render [-mock TRIGGER | -event FILE] TEMPLATE_FILE
//	outhook lint DEFINITIONS.json
//	outhook test [-mock TRIGGER | -event FILE] [-allow-target ADDR]... DEFINITION.json
//	outhook schema [TRIGGER]
//	outhook verify -secret SECRET [REQUEST_FILE]
//	outhook serve -db FILE [-addr 127.0.0.1:8080]
//	outhook version
//
// Every subcommand prints its usage on stdout with -h or --help, and
// takes its flags before or after its arguments ("--" ends them). render,
// lint, test, schema and verify write one JSON object on stdout with
// -o json. Colour is used only on a terminal (stdout and stderr are judged
// apart), never when NO_COLOR is set (to anything) or TERM is dumb.
//
// Exit codes:
//
//	0  success
//	1  what was checked is wrong: a template, a definition (its JSON
//	   included), a test delivery that failed, a request whose
//	   signature does not verify (or that does not parse)
//	2  usage error: an unknown command or flag, a wrong number of
//	   arguments, an unknown trigger, a secret or key that does not parse
//	3  runtime error: a file cannot be read, an event file does not
//	   parse, the database or the network fails
//
// Usage and runtime errors are written on stderr as text, with -o json too.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// Exit codes, documented in the package comment.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	exitRuntime = 3
)

// errCheckFailed ends a command whose check failed, after it has printed
// why: exit code 1, nothing more on stderr.
var errCheckFailed = errors.New("check failed")

// errHelp ends a command whose usage was asked for and printed.
var errHelp = errors.New("help requested")

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// cli is the process's streams and environment, as the commands see
// them.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	lookupEnv      func(string) (string, bool)
	style          style // for stdout
	errStyle       style // for stderr
}

type command struct {
	name     string
	synopsis string // one line, for the list of commands
	usage    string // the usage line(s) and a description, for -h
	// setup declares the command's flags on fs and returns the function
	// that runs it on the arguments left once they are parsed.
	setup func(fs *flag.FlagSet) runFunc
}

type runFunc func(ctx context.Context, c *cli, args []string) error

// commands in the order the top-level usage lists them.
var commands = []*command{renderCommand, lintCommand, testCommand, schemaCommand, verifyCommand, serveCommand, versionCommand}

func main() {
	c := &cli{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		getenv: os.Getenv, lookupEnv: os.LookupEnv,
	}
	c.style = newStyle(isTerminal(os.Stdout), c.lookupEnv)
	c.errStyle = newStyle(isTerminal(os.Stderr), c.lookupEnv)
	// The first interrupt cancels ctx, which ends a test delivery and
	// stops serve gracefully; a second one kills as usual.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := c.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// run runs the command args[0] names and returns the exit code.
func (c *cli) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		c.topUsage(c.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if name == "help" && len(args) > 1 {
			if cmd := lookup(args[1]); cmd != nil {
				return c.exec(ctx, cmd, []string{"-h"})
			}
			fmt.Fprintf(c.stderr, "outhook help: unknown command %q\n", args[1])
			return exitUsage
		}
		c.topUsage(c.stdout)
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	cmd := lookup(name)
	if cmd == nil {
		fmt.Fprintf(c.stderr, "outhook: unknown command %q\n", name)
		c.topUsage(c.stderr)
		return exitUsage
	}
	return c.exec(ctx, cmd, args[1:])
}

func lookup(name string) *command {
	for _, cmd := range commands {
		if cmd.name == name {
			return cmd
		}
	}
	return nil
}

// exec parses cmd's flags, runs it and turns its error into an exit code.
func (c *cli) exec(ctx context.Context, cmd *command, args []string) int {
	fs := flag.NewFlagSet("outhook "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are printed below, usage on request
	run := cmd.setup(fs)
	err := func() error {
		rest, err := parseInterspersed(fs, args)
		if errors.Is(err, flag.ErrHelp) {
			printUsage(c.stdout, cmd, fs)
			return errHelp
		}
		if err != nil {
			return &usageError{msg: err.Error()}
		}
		return run(ctx, c, rest)
	}()
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.Is(err, errCheckFailed):
		return exitFailed
	case errors.As(err, &ue):
		fmt.Fprintf(c.stderr, "outhook %s: %s\nRun 'outhook %s -h' for usage.\n", cmd.name, ue.msg, cmd.name)
		return exitUsage
	default:
		fmt.Fprintf(c.stderr, "outhook %s: %v\n", cmd.name, err)
		return exitRuntime
	}
}

// parseInterspersed parses flags wherever they stand among the arguments,
// as `outhook render body.hbs -mock RequestApproved` is natural to type;
// "--" ends the flags. It returns the arguments that are not flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		remaining := fs.Args()
		if len(remaining) == 0 {
			return rest, nil
		}
		// fs.Parse stops at "--" (consumed) or at the first non-flag.
		consumed := len(args) - len(remaining)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(rest, remaining...), nil
		}
		rest = append(rest, remaining[0])
		args = remaining[1:]
	}
}

func printUsage(w io.Writer, cmd *command, fs *flag.FlagSet) {
	fmt.Fprint(w, strings.TrimLeft(cmd.usage, "\n"))
	has := false
	fs.VisitAll(func(*flag.Flag) { has = true })
	if has {
		fmt.Fprint(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	fmt.Fprint(w, exitCodesHelp)
}

const exitCodesHelp = `
Exit codes: 0 success; 1 what was checked is wrong; 2 usage error;
3 runtime error (a file that cannot be read, an event that does not
parse, the database or the network).
`

func (c *cli) topUsage(w io.Writer) {
	fmt.Fprint(w, `Outhook's command line: render and check webhook templates and definitions,
send test deliveries, verify signed requests, and serve the console and the
management API.

Usage:
  outhook <command> [flags] [arguments]

Commands:
`)
	for _, cmd := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", cmd.name, cmd.synopsis)
	}
	fmt.Fprint(w, "\nRun 'outhook <command> -h' for a command's usage.\n")
	fmt.Fprint(w, exitCodesHelp)
}

var versionCommand = &command{
	name:     "version",
	synopsis: "print the version of outhook and of the Go toolchain that built it",
	usage: `
Usage: outhook version

Prints the module version outhook was built from ("(devel)" for a build
from a checkout) and the Go version.
`,
	setup: func(fs *flag.FlagSet) runFunc {
		return func(_ context.Context, c *cli, args []string) error {
			if len(args) > 0 {
				return usagef("version takes no arguments")
			}
			version, goVersion := "(unknown)", "(unknown)"
			if info, ok := debug.ReadBuildInfo(); ok {
				version, goVersion = info.Main.Version, info.GoVersion
			}
			fmt.Fprintf(c.stdout, "outhook %s %s\n", version, goVersion)
			return nil
		}
	},
}
