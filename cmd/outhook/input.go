package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/audit"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/integration"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/webhook"
)

// maxInputBytes bounds what outhook reads from a file or stdin: the
// definitions' own bound, far above any template, event or request.
const maxInputBytes = webhook.MaxDefinitionsBytes

// readInput reads the file name, or stdin for "-".
func (c *cli) readInput(name string) ([]byte, error) {
	var r io.Reader = c.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxInputBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", displayName(name), err)
	}
	if len(b) > maxInputBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", displayName(name), maxInputBytes)
	}
	return b, nil
}

// displayName is how a file given on the command line is named in messages.
func displayName(name string) string {
	if name == "-" {
		return "<stdin>"
	}
	return name
}

// shippedKinds serves the event kinds the library ships besides the
// access-request kind, which every Dispatcher serves: templates and
// definitions of any of them render, lint and test against their own
// schema and mock events.
func shippedKinds() []webhook.Option {
	return []webhook.Option{
		webhook.WithEventKind(integration.Kind()),
		webhook.WithEventKind(audit.Kind()),
		webhook.WithEventKind(operational.Kind()),
	}
}

// newDispatcher returns a Dispatcher for one command's checks or test,
// serving every shipped kind, and the function that closes it.
func newDispatcher(opts ...webhook.Option) (*webhook.Dispatcher, func(), error) {
	d, err := webhook.New(append(shippedKinds(), opts...)...)
	if err != nil {
		return nil, nil, err
	}
	return d, func() { _ = d.Close(context.Background()) }, nil
}

// eventFlags are -mock and -event, which choose the event a command
// renders or sends.
type eventFlags struct {
	mock, file string
}

func (f *eventFlags) declare(fs *flag.FlagSet, defaultHelp string) {
	fs.StringVar(&f.mock, "mock", "", "use the built-in mock event of `TRIGGER` ("+defaultHelp+")")
	fs.StringVar(&f.file, "event", "", "use the event in `FILE` (- for stdin), in its JSON form")
}

// check refuses both flags at once and a file read twice from stdin.
func (f *eventFlags) check(otherInput string) error {
	if f.mock != "" && f.file != "" {
		return usagef("-mock and -event exclude each other")
	}
	if f.file == "-" && otherInput == "-" {
		return usagef("stdin can hold only one of the inputs")
	}
	return nil
}

// event returns the chosen event: the mock event of -mock (or of fallback
// when neither flag is set), or the event read from -event.
func (f *eventFlags) event(c *cli, types []webhook.EventType, fallback event.Trigger) (*event.Event, error) {
	if f.file != "" {
		raw, err := c.readInput(f.file)
		if err != nil {
			return nil, err
		}
		e, err := event.Parse(raw)
		if err != nil {
			var ee *event.Error
			if errors.As(err, &ee) && ee.Line > 0 {
				return nil, fmt.Errorf("%s:%d:%d: %w", displayName(f.file), ee.Line, ee.Column, ee.Err)
			}
			return nil, fmt.Errorf("%s: %w", displayName(f.file), err)
		}
		return e, nil
	}
	trigger := event.Trigger(f.mock)
	if trigger == "" {
		trigger = fallback
	}
	return mockEvent(types, trigger)
}

// mockEvent returns the mock event of trigger, in either spelling, or a
// usage error listing the triggers that have one.
func mockEvent(types []webhook.EventType, trigger event.Trigger) (*event.Event, error) {
	et, ok := findType(types, trigger)
	if ok && et.Mock != nil {
		return et.Mock, nil
	}
	var have []string
	for _, t := range types {
		if t.Mock != nil {
			have = append(have, string(t.Trigger))
		}
	}
	if ok {
		return nil, usagef("event type %s has no mock event; give one with -event (mock events: %s)", trigger, strings.Join(have, ", "))
	}
	return nil, usagef("unknown trigger %q; the triggers with a mock event are %s", trigger, strings.Join(have, ", "))
}

// findType finds trigger, in either spelling, among types.
func findType(types []webhook.EventType, trigger event.Trigger) (webhook.EventType, bool) {
	trigger = accessrequest.Canonical(trigger)
	i := slices.IndexFunc(types, func(t webhook.EventType) bool { return t.Trigger == trigger })
	if i < 0 {
		return webhook.EventType{}, false
	}
	return types[i], true
}
