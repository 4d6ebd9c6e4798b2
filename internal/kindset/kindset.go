// Package kindset loads what a package of an event kind ships beside its
// triggers: its mock events, one JSON file per trigger embedded in the
// package, and its payload schema, built from a table of fields. Both are
// made once, on first use, and shared.
package kindset

import (
	"io/fs"
	"path"
	"sync"

	"github.com/outhook/outhook/event"
)

// Mocks returns a function that parses, on its first call, the file
// files names for each trigger under dir of fsys, and returns the events
// by trigger on every call. The files are embedded at build time and each
// kind's tests read them all, so a file that does not parse panics.
func Mocks(fsys fs.FS, dir string, files map[event.Trigger]string) func() map[event.Trigger]*event.Event {
	return sync.OnceValue(func() map[event.Trigger]*event.Event {
		out := make(map[event.Trigger]*event.Event, len(files))
		for trigger, name := range files {
			es, err := event.ParseFiles(fsys, path.Join(dir, name))
			if err != nil {
				panic(err)
			}
			out[trigger] = es[0]
		}
		return out
	})
}

// InOrder returns the events of byTrigger in the order of triggers, in a
// slice of the caller's own.
func InOrder(byTrigger map[event.Trigger]*event.Event, triggers []event.Trigger) []*event.Event {
	out := make([]*event.Event, 0, len(triggers))
	for _, t := range triggers {
		if e, ok := byTrigger[t]; ok {
			out = append(out, e)
		}
	}
	return out
}

// Schema returns a function that builds, on its first call, the schema of
// fields, and returns it on every call. A table that does not make a
// schema panics: each kind's tests build it first.
func Schema(fields []event.SchemaField) func() *event.Schema {
	return sync.OnceValue(func() *event.Schema {
		s, err := event.NewSchema(fields...)
		if err != nil {
			panic(err)
		}
		return s
	})
}
