package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/outhook/outhook/webhook"
)

// definitions is a file of webhook definitions, decoded, with where each
// of its values stands, so that a problem found in a decoded definition
// is shown at its line and column in the file.
type definitions struct {
	file  string // as named in messages
	raw   []byte
	hooks []webhook.Webhook
	roots []string       // path of each definition's object: "[0]", "webhooks[0]", or "" for a lone definition
	at    map[string]int // path ("[0].headers.Authorization") → offset of its value
}

// definitionProblem is one problem of a file of definitions, as lint and
// test report it.
type definitionProblem struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	// Index is the definition's place in the file, from 0; -1 for a
	// problem of the file as a whole.
	Index   int    `json:"index"`
	Webhook string `json:"webhook,omitempty"`
	Field   string `json:"field,omitempty"`
	// TemplateLine and TemplateColumn locate a body template's problem
	// inside the template, as the management API reports it.
	TemplateLine   int    `json:"template_line,omitempty"`
	TemplateColumn int    `json:"template_column,omitempty"`
	Message        string `json:"message"`
}

// decodeDefinitions decodes raw in any of three forms: an array of
// definitions or {"webhooks": [...]}, as webhook.DecodeWebhooks reads
// them, or a lone definition object. A decoding error is returned as a
// problem at its position in raw.
func decodeDefinitions(file string, raw []byte) (*definitions, *definitionProblem) {
	defs := &definitions{file: file, raw: raw}
	lone := isLoneDefinition(raw)
	in := raw
	if lone {
		in = append(append([]byte{'['}, raw...), ']')
	}
	hooks, err := webhook.DecodeWebhooks(bytes.NewReader(in))
	if err != nil {
		p := &definitionProblem{File: file, Index: -1, Message: err.Error()}
		var de *webhook.DefinitionError
		if errors.As(err, &de) {
			p.Line, p.Column, p.Field, p.Message = de.Line, de.Column, de.Field, de.Err.Error()
			if lone && p.Line == 1 {
				p.Column-- // the '[' put before raw
			}
		}
		return nil, p
	}
	defs.hooks = hooks
	for i := range hooks {
		switch {
		case lone:
			defs.roots = append(defs.roots, "")
		case bytes.TrimLeft(raw, " \t\r\n")[0] == '{':
			defs.roots = append(defs.roots, "webhooks["+strconv.Itoa(i)+"]")
		default:
			defs.roots = append(defs.roots, "["+strconv.Itoa(i)+"]")
		}
	}
	defs.at = valueOffsets(raw)
	return defs, nil
}

// isLoneDefinition reports whether raw is one object without the
// "webhooks" member of the wrapping form. Anything it cannot read is left
// to DecodeWebhooks, whose errors have positions.
func isLoneDefinition(raw []byte) bool {
	t := bytes.TrimLeft(raw, " \t\r\n")
	if len(t) == 0 || t[0] != '{' {
		return false
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return false
	}
	_, wrapped := members["webhooks"]
	return !wrapped
}

// problems turns err, from checking the definition at index i, into
// problems with positions in the file.
func (d *definitions) problems(i int, err error) []definitionProblem {
	var des webhook.DefinitionErrors
	if !errors.As(err, &des) {
		return []definitionProblem{{File: d.file, Index: i, Webhook: d.hooks[i].Name, Message: err.Error()}}
	}
	out := make([]definitionProblem, 0, len(des))
	for _, de := range des {
		p := definitionProblem{File: d.file, Index: i, Webhook: de.Webhook, Field: de.Field, Message: de.Err.Error()}
		offset := d.offset(d.roots[i], de.Field)
		if de.Field == "body_template" && de.Line > 0 {
			p.TemplateLine, p.TemplateColumn = de.Line, de.Column
			if v, ok := d.at[join(d.roots[i], "body_template")]; ok {
				offset = stringOffset(d.raw, v, de.Line, de.Column)
			}
		}
		if offset >= 0 {
			p.Line, p.Column = lineColumn(d.raw, offset)
		}
		out = append(out, p)
	}
	return out
}

// offset returns where the value of field stands in the definition at
// root, or, when the file does not hold it (a missing field), its nearest
// enclosing value; -1 when the file holds neither.
func (d *definitions) offset(root, field string) int {
	path := join(root, field)
	for {
		if off, ok := d.at[path]; ok {
			return off
		}
		if len(path) <= len(root) {
			return -1
		}
		cut := strings.LastIndexAny(path, ".[")
		if cut < len(root) {
			cut = len(root)
		}
		path = path[:cut]
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// valueOffsets indexes where every value of the JSON document raw starts,
// by path: object members joined with '.', array elements as [i]. The
// document has been decoded already; should it not walk (it cannot
// happen), the index holds what was walked.
func valueOffsets(raw []byte) map[string]int {
	at := map[string]int{}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var walk func(path string) error
	walk = func(path string) error {
		start := skipSeparators(raw, int(dec.InputOffset()))
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		at[path] = start
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				key, err := dec.Token()
				if err != nil {
					return err
				}
				k, _ := key.(string)
				if err := walk(join(path, k)); err != nil {
					return err
				}
			}
			_, err = dec.Token()
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if err := walk(path + "[" + strconv.Itoa(i) + "]"); err != nil {
					return err
				}
			}
			_, err = dec.Token()
		}
		return err
	}
	_ = walk("")
	return at
}

// skipSeparators skips what json.Decoder reads before a token: white
// space, and the ':' or ',' before a value.
func skipSeparators(raw []byte, i int) int {
	for i < len(raw) && strings.IndexByte(" \t\r\n:,", raw[i]) >= 0 {
		i++
	}
	return i
}

// stringOffset maps line and col (1-based, col in bytes) of the decoded
// text of the JSON string literal at raw[start] (its opening quote) to
// the offset in raw of what encodes that byte: escapes count as the bytes
// they decode to, and so does invalid UTF-8, decoded as U+FFFD. The end of
// the text maps to the closing quote; a position past it, to the opening
// quote.
func stringOffset(raw []byte, start, line, col int) int {
	if start >= len(raw) || raw[start] != '"' {
		return start
	}
	l, c := 1, 1
	i := start + 1
	for i < len(raw) && raw[i] != '"' {
		if l > line || l == line && c >= col {
			return i
		}
		size, decoded := 1, 1 // bytes in raw, bytes decoded
		switch b := raw[i]; {
		case b == '\\' && i+1 < len(raw):
			size = 2
			switch raw[i+1] {
			case 'n':
				l, c = l+1, 0
			case 'u':
				var r rune
				r, size, decoded = unicodeEscape(raw[i:])
				if r == '\n' {
					l, c = l+1, 0
				}
			}
		case b >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(raw[i:])
			size, decoded = n, utf8.RuneLen(r)
		}
		i += size
		c += decoded
	}
	if i < len(raw) && l == line && c == col {
		return i
	}
	return start
}

// unicodeEscape reads the \uXXXX escape (or surrogate pair of them) at
// the start of b: the rune, the escape's length, and the length of the
// rune's UTF-8 encoding.
func unicodeEscape(b []byte) (r rune, size, decoded int) {
	r, ok := hex4(b)
	if !ok {
		return utf8.RuneError, 2, 1
	}
	if r >= 0xD800 && r < 0xDC00 { // a high surrogate: a pair makes one rune
		if lo, ok := hex4(b[6:]); ok && lo >= 0xDC00 && lo < 0xE000 {
			return utf16.DecodeRune(r, lo), 12, 4
		}
		return utf8.RuneError, 6, 3 // alone, it decodes to U+FFFD
	}
	if r >= 0xDC00 && r < 0xE000 {
		return utf8.RuneError, 6, 3
	}
	return r, 6, utf8.RuneLen(r)
}

// hex4 reads the \uXXXX escape at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[2:6]), 16, 32)
	return rune(v), err == nil
}

// lineColumn converts a byte offset of raw into a 1-based line and byte
// column, as the library counts them.
func lineColumn(raw []byte, offset int) (line, col int) {
	offset = min(offset, len(raw))
	line = 1 + bytes.Count(raw[:offset], []byte{'\n'})
	col = offset - bytes.LastIndexByte(raw[:offset], '\n')
	return line, col
}

// cutText cuts a name the file chose (a webhook's, a header's) to what a
// line of text output can show, at a character's start: a name far past
// its limit would make one problem a page long.
func cutText(s string) string {
	const most = 120
	if len(s) <= most {
		return s
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func (p definitionProblem) String() string {
	var b strings.Builder
	if p.Webhook != "" {
		fmt.Fprintf(&b, "webhook %q: ", cutText(p.Webhook))
	} else if p.Index >= 0 {
		fmt.Fprintf(&b, "webhook #%d: ", p.Index+1)
	}
	if p.Field != "" {
		b.WriteString(cutText(p.Field))
		if p.TemplateLine > 0 {
			fmt.Fprintf(&b, " (template %d:%d)", p.TemplateLine, p.TemplateColumn)
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}
