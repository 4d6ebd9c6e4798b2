package main

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
)

// style colours text for a terminal, or leaves it alone.
type style struct{ on bool }

// newStyle colours only a terminal, never when NO_COLOR is set (whatever
// its value: https://no-color.org asks for no colour when it is set and
// not empty; an empty one is taken as a request too) and never on a
// dumb terminal.
func newStyle(terminal bool, lookupEnv func(string) (string, bool)) style {
	if _, set := lookupEnv("NO_COLOR"); set {
		return style{}
	}
	if term, _ := lookupEnv("TERM"); term == "dumb" {
		return style{}
	}
	return style{on: terminal}
}

func (s style) wrap(code, text string) string {
	if !s.on {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (s style) good(text string) string { return s.wrap("32", text) }  // green
func (s style) bad(text string) string  { return s.wrap("31", text) }  // red
func (s style) bold(text string) string { return s.wrap("1", text) }   // bold
func (s style) dim(text string) string  { return s.wrap("2", text) }   // faint
func (s style) pos(text string) string  { return s.wrap("1", text) }   // a file:line:col
func (s style) head(text string) string { return s.wrap("1;4", text) } // a section

// isTerminal reports whether f is a character device, as a terminal is.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// outputFormat is the value of -o.
type outputFormat string

const (
	formatText outputFormat = "text"
	formatJSON outputFormat = "json"
)

func (f *outputFormat) String() string { return string(*f) }

func (f *outputFormat) Set(s string) error {
	switch outputFormat(s) {
	case formatText, formatJSON:
		*f = outputFormat(s)
		return nil
	}
	return errors.New(`must be "text" or "json"`)
}

// writeJSON writes v as indented JSON, HTML characters left as they are
// (templates are full of them).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// stringList is a flag that may be given several times.
type stringList []string

func (l *stringList) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(*l, ",")
}

func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}
