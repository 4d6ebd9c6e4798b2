package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/template"
	"github.com/outhook/outhook/webhook"
)

var renderCommand = &command{
	name:     "render",
	synopsis: "render a body template over a mock or given event",
	usage: `
Usage: outhook render [-mock TRIGGER | -event FILE] [-o text|json] TEMPLATE_FILE

Renders the body template in TEMPLATE_FILE (- for stdin) over an event, as a
delivery renders it: the result is valid JSON whatever the event holds.
The template is first checked as registering a webhook checks it: its
syntax, where each tag stands in the JSON and, when the event's type is
known (see outhook schema: the access-request, integration, audit and
operational triggers), every field it names against that type's payload
schema. Each problem is printed on stderr as
TEMPLATE_FILE:LINE:COLUMN: message, and the exit code is 1.

Without -mock or -event, the mock RequestCreated event is used; -mock
takes any trigger outhook schema lists, such as IntegrationError. A blank
template renders the whole event, as a webhook's does. A body secret the
template names (secrets.NAME) renders as REDACTED.

With -o json, stdout holds one object, also on failure:
  {"ok": true, "event_type": "RequestCreated", "body": "<rendered body>"}
  {"ok": false, "event_type": "...", "errors": [{"file": "t.hbs", "line": 2,
   "column": 7, "path": "data.x", "message": "..."}]}
where line and column are 0 for a problem without a position and path is
the field reference concerned, when there is one.
`,
	setup: func(fs *flag.FlagSet) runFunc {
		var ev eventFlags
		ev.declare(fs, "default RequestCreated")
		format := formatText
		fs.Var(&format, "o", "output `format`: text or json")
		return func(ctx context.Context, c *cli, args []string) error {
			if len(args) != 1 {
				return usagef("want one template file, got %d arguments", len(args))
			}
			if err := ev.check(args[0]); err != nil {
				return err
			}
			return render(c, args[0], &ev, format)
		}
	},
}

// templateProblem is one problem of a template, as -o json shows it.
type templateProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

func render(c *cli, file string, ev *eventFlags, format outputFormat) error {
	src, err := c.readInput(file)
	if err != nil {
		return err
	}
	d, closeD, err := newDispatcher()
	if err != nil {
		return err
	}
	defer closeD()
	tenant := d.Tenant("")
	types := tenant.EventTypes()
	e, err := ev.event(c, types, accessrequest.Created)
	if err != nil {
		return err
	}

	tmpl := string(src)
	if strings.TrimSpace(tmpl) == "" {
		tmpl = "" // as a webhook's blank template: the whole event
	}
	problems := checkTemplate(tenant, types, displayName(file), tmpl, e.Type())
	var body string
	if len(problems) == 0 {
		body, err = tenant.Preview(tmpl, e)
		if err != nil {
			problems = templateProblems(displayName(file), err)
		}
	}

	if format == formatJSON {
		out := struct {
			OK        bool              `json:"ok"`
			EventType event.Trigger     `json:"event_type"`
			Body      *string           `json:"body,omitempty"`
			Errors    []templateProblem `json:"errors,omitempty"`
		}{OK: len(problems) == 0, EventType: e.Type(), Errors: problems}
		if out.OK {
			out.Body = &body
		}
		if err := writeJSON(c.stdout, out); err != nil {
			return err
		}
	} else {
		for _, p := range problems {
			fmt.Fprintln(c.stderr, formatProblem(c.errStyle, p.File, p.Line, p.Column, p.Message))
		}
		if len(problems) == 0 {
			fmt.Fprint(c.stdout, body)
			if !strings.HasSuffix(body, "\n") {
				fmt.Fprintln(c.stdout)
			}
		}
	}
	if len(problems) > 0 {
		return errCheckFailed
	}
	return nil
}

// checkTemplate checks src as Tenant.Validate checks a webhook's body
// template, against the schema of trigger when the Dispatcher knows it.
func checkTemplate(tenant *webhook.Tenant, types []webhook.EventType, file, src string, trigger event.Trigger) []templateProblem {
	if _, ok := findType(types, trigger); !ok {
		return nil // an event type of the caller's: rendering checks the rest
	}
	err := tenant.Validate(webhook.Webhook{
		Name:         "render",
		URL:          "https://render.invalid/",
		Triggers:     []event.Trigger{trigger},
		BodyTemplate: src,
	})
	var des webhook.DefinitionErrors
	if !errors.As(err, &des) {
		return nil
	}
	var out []templateProblem
	for _, de := range des {
		if de.Field != "body_template" || errors.Is(de.Err, webhook.ErrInvalidSecret) {
			continue // a body secret's name is checked against a definition's Secrets, which render has none of
		}
		// The Dispatcher moves the position from the template's error to
		// its own.
		p := templateProblem{File: file, Line: de.Line, Column: de.Column, Message: de.Err.Error()}
		var te *template.Error
		if errors.As(de.Err, &te) {
			p.Path, p.Message = te.Path, te.Msg
		}
		out = append(out, p)
	}
	return out
}

// templateProblems lists the template errors in err, whatever wraps them.
func templateProblems(file string, err error) []templateProblem {
	var list template.ErrorList
	if errors.As(err, &list) {
		out := make([]templateProblem, len(list))
		for i, te := range list {
			out[i] = problemOf(file, te)
		}
		return out
	}
	var te *template.Error
	if errors.As(err, &te) {
		return []templateProblem{problemOf(file, te)}
	}
	return []templateProblem{{File: file, Message: err.Error()}}
}

func problemOf(file string, te *template.Error) templateProblem {
	return templateProblem{File: file, Line: te.Line, Column: te.Column, Path: te.Path, Message: te.Msg}
}

// formatProblem writes a problem the way compilers do, FILE:LINE:COL:
// message, which editors and terminals turn into links.
func formatProblem(s style, file string, line, col int, msg string) string {
	where := file
	if line > 0 {
		where = fmt.Sprintf("%s:%d:%d", file, line, col)
	}
	return s.pos(where+":") + " " + msg
}
