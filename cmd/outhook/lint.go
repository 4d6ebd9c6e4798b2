package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"

	"github.com/outhook/outhook/webhook"
)

var lintCommand = &command{
	name:     "lint",
	synopsis: "check a file of webhook definitions, every problem with its field and position",
	usage: `
Usage: outhook lint [-allow-http] [-allow-custom-ports] [-o text|json] DEFINITIONS.json

Checks a file of webhook definitions (- for stdin) as Tenant.Validate
and Dispatcher.AddAll do, sending and storing nothing: the JSON first (a
syntax error, or an unknown or misspelt field, ends the check there),
then every definition (name, method, URL, headers, body secrets, signing
secrets, triggers, the body template against the triggers' payload
schemas, filters, timeout, response validators, delivery settings), then
the file as a whole (a name or an id used twice). A secret given as the
mask that reads of the API and the console show ("REDACTED" as a header
value, a body secret, a URL's query value or segment, the OAuth client
secret) is a problem, as Tenant.Validate, Create, Add and AddAll find
it: such a file, copied from a read, has lost its secrets. Each problem is printed as
  FILE:LINE:COLUMN: webhook "NAME": FIELD: message
at the value concerned, inside a body template at the tag itself; a field
the definition lacks is shown at its definition; a NAME or FIELD over
120 bytes is cut there with "…" (-o json gives them whole). The exit
code is 1 when there is any problem.

The file holds an array of definitions, an object {"webhooks": [...]} (as
webhook.EncodeWebhooks writes it), or a single definition. URLs are held
to Apono's rules (HTTPS on the default port) unless relaxed by the flags.
Triggers of every kind the library ships are accepted (outhook schema lists
them); a service takes only those of the kinds it serves.

With -o json, stdout holds one object:
  {"ok": false, "file": "hooks.json", "webhooks": 2, "problems": [
    {"file": "hooks.json", "line": 7, "column": 21, "index": 1,
     "webhook": "torq", "field": "body_template", "template_line": 1,
     "template_column": 12, "message": "..."}]}
where index is the definition's place in the file from 0 (-1 for the file
as a whole), line and column are 0 when unknown, and template_line and
template_column locate a body template's problem inside the template.
`,
	setup: func(fs *flag.FlagSet) runFunc {
		var policy urlPolicyFlags
		policy.declare(fs)
		format := formatText
		fs.Var(&format, "o", "output `format`: text or json")
		return func(ctx context.Context, c *cli, args []string) error {
			if len(args) != 1 {
				return usagef("want one definitions file, got %d arguments", len(args))
			}
			return lint(c, args[0], policy.options(), format)
		}
	},
}

// urlPolicyFlags relax the URL policy (webhook.URLPolicy).
type urlPolicyFlags struct{ http, ports bool }

func (f *urlPolicyFlags) declare(fs *flag.FlagSet) {
	fs.BoolVar(&f.http, "allow-http", false, "accept http:// URLs (the default is Apono's rule, HTTPS only)")
	fs.BoolVar(&f.ports, "allow-custom-ports", false, "accept URLs with an explicit port (the default is Apono's rule, the scheme's port only)")
}

func (f *urlPolicyFlags) options() []webhook.Option {
	return []webhook.Option{webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: f.http, AllowCustomPorts: f.ports})}
}

func lint(c *cli, file string, opts []webhook.Option, format outputFormat) error {
	raw, err := c.readInput(file)
	if err != nil {
		return err
	}
	problems, count, err := lintDefinitions(displayName(file), raw, opts)
	if err != nil {
		return err
	}
	if format == formatJSON {
		if err := writeJSON(c.stdout, struct {
			OK       bool                `json:"ok"`
			File     string              `json:"file"`
			Webhooks int                 `json:"webhooks"`
			Problems []definitionProblem `json:"problems"`
		}{len(problems) == 0, displayName(file), count, nonNil(problems)}); err != nil {
			return err
		}
	} else {
		printProblems(c, problems)
		if len(problems) == 0 {
			noun := "definitions"
			if count == 1 {
				noun = "definition"
			}
			fmt.Fprintf(c.stdout, "%s: %s\n", displayName(file), c.style.good(fmt.Sprintf("%d %s, no problems", count, noun)))
		}
	}
	if len(problems) > 0 {
		return errCheckFailed
	}
	return nil
}

// lintDefinitions checks the definitions in raw and returns every problem
// and how many definitions the file holds.
func lintDefinitions(file string, raw []byte, opts []webhook.Option) ([]definitionProblem, int, error) {
	defs, p := decodeDefinitions(file, raw)
	if p != nil {
		return []definitionProblem{*p}, 0, nil
	}
	d, closeD, err := newDispatcher(opts...)
	if err != nil {
		return nil, 0, err
	}
	defer closeD()

	// Each definition alone first, so that each problem is known to be
	// its own definition's; then those without problems together, which
	// finds what only the file as a whole has: names and ids used twice.
	var problems []definitionProblem
	var valid []int
	for i, w := range defs.hooks {
		if err := d.Tenant("").Validate(w); err != nil {
			problems = append(problems, defs.problems(i, err)...)
			continue
		}
		valid = append(valid, i)
	}
	hooks := make([]webhook.Webhook, len(valid))
	for j, i := range valid {
		hooks[j] = defs.hooks[i]
	}
	_, err = d.AddAll(hooks)
	var des webhook.DefinitionErrors
	switch {
	case err == nil:
	case errors.As(err, &des):
		for _, de := range des {
			// The Dispatcher reports a name or id used twice on the
			// later definition.
			i := lastNamed(defs.hooks, valid, de.Webhook)
			problems = append(problems, defs.problems(i, webhook.DefinitionErrors{de})...)
		}
	default:
		return nil, 0, err
	}
	// In the file's order, as a compiler reports.
	slices.SortStableFunc(problems, func(a, b definitionProblem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return problems, len(defs.hooks), nil
}

// lastNamed returns the last of the indexes whose definition is named
// name.
func lastNamed(hooks []webhook.Webhook, indexes []int, name string) int {
	for j := len(indexes) - 1; j >= 0; j-- {
		if hooks[indexes[j]].Name == name {
			return indexes[j]
		}
	}
	return indexes[len(indexes)-1]
}

func printProblems(c *cli, problems []definitionProblem) {
	for _, p := range problems {
		fmt.Fprintln(c.stdout, formatProblem(c.style, p.File, p.Line, p.Column, p.String()))
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
