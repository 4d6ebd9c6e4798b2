package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

var testCommand = &command{
	name:     "test",
	synopsis: "send one test delivery of a definition and print the invocation data",
	usage: `
Usage: outhook test [-mock TRIGGER | -event FILE] [-name NAME] [-allow-target ADDR]...
                    [-allow-http] [-allow-custom-ports] [-o text|json] DEFINITION.json

Sends one test delivery of the definition in DEFINITION.json (- for stdin)
to its URL, as Apono's Test button does (Dispatcher.TestEvent): once, at
once, active or not, without retries. Then prints the invocation data: the
request as sent (header values, signing secrets and URL credentials
redacted), the response, the timing and each response validator's result.
The exit code is 1 when the test failed: the definition has a problem
(printed as lint prints it), the request failed, the status was not 2xx,
or a validator failed.

The file is in any form lint reads; when it holds several definitions,
-name chooses one. Without -mock or -event, the mock event of the
definition's first trigger is sent.

The SSRF guard stays on: loopback, private, link-local, CGNAT and cloud
metadata addresses are refused when dialling unless -allow-target names
them: an IP address, a CIDR, a host name or a *.pattern, as
webhook.WithAllowedTargets reads them (repeat the flag, or separate them
with commas). URLs are held to Apono's rules (HTTPS on the default port)
unless -allow-http and -allow-custom-ports relax them. For a receiver on
this machine:
  outhook test -allow-target 127.0.0.1 -allow-http -allow-custom-ports hook.json

With -o json, stdout holds one object:
  {"ok": true, "reason": "", "invocation": {...}}
with the invocation as webhook.Invocation writes itself in JSON (its
duration in nanoseconds), or, when the definition has problems,
  {"ok": false, "problems": [...]} as lint writes them.
`,
	setup: func(fs *flag.FlagSet) runFunc {
		var ev eventFlags
		ev.declare(fs, "default: the definition's first trigger")
		var policy urlPolicyFlags
		policy.declare(fs)
		var targets stringList
		fs.Var(&targets, "allow-target", "let the delivery reach `ADDR` despite the SSRF guard (repeatable)")
		name := fs.String("name", "", "test the definition named `NAME` in a file of several")
		format := formatText
		fs.Var(&format, "o", "output `format`: text or json")
		return func(ctx context.Context, c *cli, args []string) error {
			if len(args) != 1 {
				return usagef("want one definition file, got %d arguments", len(args))
			}
			if err := ev.check(args[0]); err != nil {
				return err
			}
			opts := policy.options()
			if len(targets) > 0 {
				opts = append(opts, webhook.WithAllowedTargets(splitList(targets)...))
			}
			return testDefinition(ctx, c, args[0], *name, &ev, opts, format)
		}
	},
}

// splitList splits each value at its commas.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, s := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out
}

func testDefinition(ctx context.Context, c *cli, file, name string, ev *eventFlags, opts []webhook.Option, format outputFormat) error {
	raw, err := c.readInput(file)
	if err != nil {
		return err
	}
	defs, p := decodeDefinitions(displayName(file), raw)
	if p != nil {
		return reportDefinitionProblems(c, format, []definitionProblem{*p})
	}
	i, err := chooseDefinition(defs.hooks, name)
	if err != nil {
		return err
	}
	w := defs.hooks[i]

	d, closeD, err := newDispatcher(opts...)
	if err != nil {
		var ce *webhook.ConfigError
		if errors.As(err, &ce) {
			return usagef("%v", err)
		}
		return err
	}
	defer closeD()
	types := d.Tenant("").EventTypes()
	var fallback event.Trigger
	for _, t := range w.Triggers {
		if et, ok := findType(types, t); ok && et.Mock != nil {
			fallback = t
			break
		}
	}
	if ev.mock == "" && ev.file == "" && fallback == "" {
		return usagef("none of the definition's triggers has a mock event; give an event with -event")
	}
	e, err := ev.event(c, types, fallback)
	if err != nil {
		return err
	}

	inv, err := d.TestEvent(ctx, w, e)
	if err != nil {
		var des webhook.DefinitionErrors
		if errors.As(err, &des) {
			return reportDefinitionProblems(c, format, defs.problems(i, err))
		}
		return err
	}
	ok := inv.Succeeded()
	if format == formatJSON {
		if err := writeJSON(c.stdout, struct {
			OK         bool               `json:"ok"`
			Reason     string             `json:"reason"`
			Invocation webhook.Invocation `json:"invocation"`
		}{ok, inv.Reason, inv}); err != nil {
			return err
		}
	} else {
		printInvocation(c.stdout, c.style, inv)
	}
	if !ok {
		return errCheckFailed
	}
	return nil
}

// chooseDefinition returns the index of the definition named name, or of
// the only one when name is empty.
func chooseDefinition(hooks []webhook.Webhook, name string) (int, error) {
	names := make([]string, len(hooks))
	for i, w := range hooks {
		names[i] = fmt.Sprintf("%q", w.Name)
	}
	if name == "" {
		switch len(hooks) {
		case 0:
			return 0, usagef("the file holds no definition")
		case 1:
			return 0, nil
		}
		return 0, usagef("the file holds %d definitions; choose one with -name (%s)", len(hooks), strings.Join(names, ", "))
	}
	i := slices.IndexFunc(hooks, func(w webhook.Webhook) bool { return w.Name == name })
	if i < 0 {
		return 0, usagef("no definition named %q in the file (%s)", name, strings.Join(names, ", "))
	}
	return i, nil
}

func reportDefinitionProblems(c *cli, format outputFormat, problems []definitionProblem) error {
	if format == formatJSON {
		if err := writeJSON(c.stdout, struct {
			OK       bool                `json:"ok"`
			Problems []definitionProblem `json:"problems"`
		}{false, problems}); err != nil {
			return err
		}
	} else {
		printProblems(c, problems)
	}
	return errCheckFailed
}

// printInvocation shows an invocation as the console's "View Invocation
// Data" panel does.
func printInvocation(w io.Writer, s style, inv webhook.Invocation) {
	if inv.Succeeded() {
		fmt.Fprintln(w, s.good("Test successful"))
	} else {
		fmt.Fprintln(w, s.bad("Test failed")+": "+inv.Reason)
	}
	fmt.Fprintln(w, s.dim(fmt.Sprintf("webhook %q, event %s, outcome %s, attempt %d, started %s, took %s",
		inv.WebhookName, inv.EventType, inv.Outcome, inv.Attempt,
		inv.StartedAt.Format(time.RFC3339Nano), inv.Duration.Round(time.Microsecond))))

	fmt.Fprintln(w)
	fmt.Fprintln(w, s.head("Request"))
	if r := inv.Request; r != nil {
		fmt.Fprintf(w, "  %s %s\n", r.Method, r.URL)
		printHeader(w, s, r.Header)
		printBody(w, r.Body, false)
	} else {
		fmt.Fprintln(w, "  (none sent)")
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, s.head("Response"))
	if r := inv.Response; r != nil {
		fmt.Fprintf(w, "  %d %s\n", r.StatusCode, http.StatusText(r.StatusCode))
		printHeader(w, s, r.Header)
		printBody(w, r.Body, r.BodyTruncated)
	} else {
		fmt.Fprintln(w, "  (none received)")
	}

	if len(inv.Validation) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, s.head("Response validators"))
		for _, v := range inv.Validation {
			mark := s.good("passed")
			if !v.Passed {
				mark = s.bad("failed")
			}
			fmt.Fprintf(w, "  %s  %s\n", mark, v)
		}
	}
}

func printHeader(w io.Writer, s style, h http.Header) {
	for _, name := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[name] {
			fmt.Fprintf(w, "  %s %s\n", s.dim(name+":"), v)
		}
	}
}

func printBody(w io.Writer, body string, truncated bool) {
	if body == "" {
		return
	}
	fmt.Fprintln(w)
	for line := range strings.Lines(body) {
		fmt.Fprint(w, "  ", line)
	}
	if !strings.HasSuffix(body, "\n") {
		fmt.Fprintln(w)
	}
	if truncated {
		fmt.Fprintln(w, "  … (cut at the Dispatcher's limit)")
	}
}
