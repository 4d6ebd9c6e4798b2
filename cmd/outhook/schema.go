package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/outhook/outhook/event"
)

var schemaCommand = &command{
	name:     "schema",
	synopsis: "print an event type's payload schema, or list the event types",
	usage: `
Usage: outhook schema [-o text|json] [TRIGGER]

With TRIGGER (any event type's, such as IntegrationError or AuditRecorded;
an access-request trigger in either spelling, RequestCreated or
AccessRequestCreated), prints the payload schema of its events ("View
payload schema"): every field's path, as templates and filters name it,
its JSON type and its description. Without it, lists the event types,
each with its kind (access request, integration, audit, operational) and
whether it has a built-in mock event.

With -o json, stdout holds
  {"event_types": [{"trigger": "RequestCreated", "kind": "access request",
   "mock": true}, ...]}
without TRIGGER, and with it
  {"trigger": "RequestCreated", "fields": [{"path": "data.id",
   "type": "string", "description": "..."}, ...]}
`,
	setup: func(fs *flag.FlagSet) runFunc {
		format := formatText
		fs.Var(&format, "o", "output `format`: text or json")
		return func(ctx context.Context, c *cli, args []string) error {
			if len(args) > 1 {
				return usagef("want at most one trigger, got %d arguments", len(args))
			}
			var trigger event.Trigger
			if len(args) == 1 {
				trigger = event.Trigger(args[0])
			}
			return schema(c, trigger, format)
		}
	},
}

func schema(c *cli, trigger event.Trigger, format outputFormat) error {
	d, closeD, err := newDispatcher()
	if err != nil {
		return err
	}
	defer closeD()
	types := d.Tenant("").EventTypes()

	if trigger == "" {
		type entry struct {
			Trigger event.Trigger `json:"trigger"`
			Kind    string        `json:"kind"`
			Mock    bool          `json:"mock"`
		}
		list := make([]entry, len(types))
		for i, t := range types {
			list[i] = entry{t.Trigger, t.Kind, t.Mock != nil}
		}
		if format == formatJSON {
			return writeJSON(c.stdout, struct {
				EventTypes []entry `json:"event_types"`
			}{list})
		}
		fmt.Fprintln(c.stdout, c.style.bold(fmt.Sprintf("%-20s %-15s %s", "TRIGGER", "KIND", "MOCK EVENT")))
		for _, e := range list {
			mock := "no"
			if e.Mock {
				mock = "yes"
			}
			fmt.Fprintf(c.stdout, "%-20s %-15s %s\n", e.Trigger, e.Kind, mock)
		}
		return nil
	}

	et, ok := findType(types, trigger)
	if !ok || et.Schema == nil {
		names := make([]string, len(types))
		for i, t := range types {
			names[i] = string(t.Trigger)
		}
		return usagef("unknown trigger %q; the event types are %s", trigger, strings.Join(names, ", "))
	}
	if format == formatJSON {
		return writeJSON(c.stdout, struct {
			Trigger event.Trigger       `json:"trigger"`
			Fields  []event.SchemaField `json:"fields"`
		}{et.Trigger, et.Schema.Fields()})
	}
	fmt.Fprintf(c.stdout, "Payload schema of %s events:\n\n", c.style.bold(string(et.Trigger)))
	return et.Schema.WriteText(c.stdout)
}
