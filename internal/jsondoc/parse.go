package jsondoc

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// MaxDepth is how deeply arrays and objects may nest before Parse gives up,
// so hostile input cannot exhaust the stack.
const MaxDepth = 1000

// SyntaxError reports malformed JSON and where it is. Line and Column count
// from 1; Column counts bytes.
type SyntaxError struct {
	Offset int // byte offset of the problem
	Line   int
	Column int
	// Path is the JSON path of the value the problem lies in, such as
	// $.data.items[2].name; an object key's problem lies in its object. It
	// is empty for a problem outside the top-level value. Its length is
	// bounded: long keys are cut, and a deep path keeps its outermost and
	// innermost segments around a "…".
	Path string
	Msg  string

	segments []string // Path's segments, innermost first, while unwinding
}

func (e *SyntaxError) Error() string {
	if e.Path != "" && e.Path != "$" {
		return fmt.Sprintf("json: line %d, column %d, at %s: %s", e.Line, e.Column, e.Path, e.Msg)
	}
	return fmt.Sprintf("json: line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// in adds the segment of the value the error lies in, on its way out.
func (e *SyntaxError) in(segment string) *SyntaxError {
	e.segments = append(e.segments, segment)
	return e
}

// A SyntaxError's Path is bounded, as the input may be hostile: a key
// longer than maxPathKey is cut (and ends in …), and of more than
// 2*pathEnds segments only the outermost and innermost pathEnds are kept,
// around a ….
const (
	maxPathKey = 64
	pathEnds   = 8
)

// keySegment writes an object key as a path segment: .key when it is a
// plain name, ["key"] otherwise.
func keySegment(key string) string {
	if len(key) > maxPathKey {
		cut := maxPathKey
		for cut > 0 && !utf8.RuneStart(key[cut]) {
			cut--
		}
		return "[" + strconv.Quote(key[:cut]+"…") + "]"
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return "[" + strconv.Quote(key) + "]"
		}
	}
	if key == "" {
		return `[""]`
	}
	return "." + key
}

// MsgInvalidUTF8 is the Msg of a *SyntaxError that ParseStrict returns for
// a string that is not valid UTF-8.
const MsgInvalidUTF8 = "invalid UTF-8 in string"

// Parse decodes one JSON value from data. Strings that hold no escapes share
// one copy of the input, and all arrays and objects share one arena, so a
// typical 3 KB event costs two allocations: the copy and the arena. Invalid
// UTF-8 in strings is replaced by U+FFFD, as encoding/json does. When
// commas and brackets inside strings made the arena's bound loose, a third
// allocation trims it. A key given twice in an object is one member, at its
// first place with its last value, as JavaScript's JSON.parse reads it. Any
// error is a *SyntaxError.
func Parse(data []byte) (*Value, error) { return parse(string(data), false) }

// ParseStrict is Parse for JSON that must be valid UTF-8, as RFC 8259 asks
// of JSON that is exchanged: a string or key holding invalid UTF-8, or a
// \u escape of a lone UTF-16 surrogate (which decodes to no character), is
// a *SyntaxError whose Msg is MsgInvalidUTF8 and whose Offset, Line and
// Column point at the first bad byte or escape. It costs no more than Parse: Parse
// checks the UTF-8 of every non-ASCII string already.
func ParseStrict(data []byte) (*Value, error) { return parse(string(data), true) }

// ParseStrictShared is ParseStrict without the copy of data: the document's
// strings point into data, which must not be modified for as long as the
// document is in use. It suits a caller that keeps the input anyway, as an
// event keeps its JSON.
func ParseStrictShared(data []byte) (*Value, error) {
	if len(data) == 0 {
		return parse("", true)
	}
	return parse(unsafe.String(&data[0], len(data)), true)
}

func parse(src string, strict bool) (*Value, error) {
	// Every element or member is preceded by '[', '{' or ',', so this bounds
	// the arena; it never grows, so pointers into it stay valid. The stack
	// of open containers' children needs no more, and rarely over 32.
	// One more slot holds the root, so that it needs no allocation of
	// its own; the stack is lent by a pool, since nothing keeps it.
	n := strings.Count(src, ",") + strings.Count(src, "[") + strings.Count(src, "{")
	stack := stacks.Get().(*[]Value)
	p := parser{src: src, stack: *stack, arena: make([]Value, 0, n+1), strict: strict}
	p.skipSpace()
	root, err := p.value(0)
	// A container that ends clears its children's slots of the stack, so
	// a parse that succeeds leaves it as it found it, all zero; an error
	// leaves values behind. Clearing only then matters: a stack of
	// pointers cleared while the collector marks costs a write barrier
	// for every slot, which took a fifth of validating a small response.
	if err != nil {
		clear(p.stack[:cap(p.stack)])
	}
	if *stack = p.stack[:0]; cap(*stack) <= 1024 {
		stacks.Put(stack)
	}
	if err != nil {
		path := []string{"$"}
		for i := len(err.segments) - 1; i >= 0; i-- { // outermost first
			if len(err.segments) > 2*pathEnds && i == len(err.segments)-pathEnds-1 {
				path = append(path, "…")
				i = pathEnds - 1
			}
			path = append(path, err.segments[i])
		}
		err.Path, err.segments = strings.Join(path, ""), nil
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.src) {
		return nil, p.errorf("unexpected %s after the top-level value", p.quoteAt())
	}
	p.arena = append(p.arena, root)
	arena := p.arena
	// Commas and brackets inside strings made the bound loose: a document
	// may be held for long (queued events), so it keeps no slack.
	if slack := cap(arena) - len(arena); slack > len(arena)/8+4 {
		arena = rebase(arena)
	}
	return &arena[len(arena)-1], nil
}

// rebase returns a copy of arena with no spare capacity, its containers'
// pointers moved to the copy.
func rebase(arena []Value) []Value {
	moved := slices.Clip(slices.Clone(arena))
	base, size := uintptr(unsafe.Pointer(unsafe.SliceData(arena))), unsafe.Sizeof(Value{})
	at := func(kids []Value) []Value {
		if len(kids) == 0 {
			return kids
		}
		i := (uintptr(unsafe.Pointer(unsafe.SliceData(kids))) - base) / size
		return moved[i : i+uintptr(len(kids)) : i+uintptr(len(kids))]
	}
	for i := range moved {
		v := &moved[i]
		if k := v.kind(); k == Array || k == Object {
			v.ptr = container(k, at(v.kids())).ptr
		}
	}
	return moved
}

// stacks lends parsers their stack of open containers' children.
var stacks = sync.Pool{New: func() any { s := make([]Value, 0, 32); return &s }}

type parser struct {
	src    string
	pos    int
	arena  []Value // finished containers' children
	stack  []Value // children of containers still open
	strict bool    // invalid UTF-8 is an error, not U+FFFD
}

func (p *parser) errorf(format string, args ...any) *SyntaxError {
	line, col := 1, 1
	end := min(p.pos, len(p.src))
	for i := 0; i < end; i++ {
		if p.src[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &SyntaxError{Offset: p.pos, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) quoteAt() string {
	if p.pos >= len(p.src) {
		return "end of input"
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	return strconv.QuoteRune(r)
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (Value, *SyntaxError) {
	if p.pos >= len(p.src) {
		return Value{}, p.errorf("unexpected end of input, expected a value")
	}
	switch c := p.src[p.pos]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		s, err := p.string()
		return scalar(String, s), err
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return p.literal("true", Bool)
	case c == 'f':
		return p.literal("false", Bool)
	case c == 'n':
		return p.literal("null", Null)
	default:
		return Value{}, p.errorf("unexpected %s, expected a value", p.quoteAt())
	}
}

func (p *parser) literal(word string, kind Kind) (Value, *SyntaxError) {
	if len(p.src)-p.pos < len(word) || p.src[p.pos:p.pos+len(word)] != word {
		return Value{}, p.errorf("invalid literal, expected %q", word)
	}
	p.pos += len(word)
	return scalar(kind, word), nil
}

// finish moves the children opened at mark from the stack into the arena.
func (p *parser) finish(kind Kind, mark int) Value {
	start := len(p.arena)
	p.arena = append(p.arena, p.stack[mark:]...)
	clear(p.stack[mark:])
	p.stack = p.stack[:mark]
	return container(kind, p.arena[start:len(p.arena):len(p.arena)])
}

func (p *parser) object(depth int) (Value, *SyntaxError) {
	if depth > MaxDepth {
		return Value{}, p.errorf("nesting deeper than %d", MaxDepth)
	}
	p.pos++ // {
	mark := len(p.stack)
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		return p.finish(Object, mark), nil
	}
	var seen map[string]int // the members' places by key, in a big object
	for {
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != '"' {
			return Value{}, p.errorf("unexpected %s, expected a string for an object key", p.quoteAt())
		}
		key, err := p.string()
		if err != nil {
			return Value{}, err
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return Value{}, p.errorf("unexpected %s after object key, expected ':'", p.quoteAt())
		}
		p.pos++
		p.skipSpace()
		p.stack = append(p.stack, Value{}) // the member's slot, before its children
		i := len(p.stack) - 1
		child, err := p.value(depth)
		if err != nil {
			return Value{}, err.in(keySegment(key))
		}
		child.setKey(key)
		p.stack[i] = child
		// A key given again keeps its first place with the last value,
		// as JavaScript's JSON.parse gives it.
		if j := p.memberAt(mark, i, key, &seen); j >= 0 {
			p.stack[j] = child
			p.stack[i] = Value{}
			p.stack = p.stack[:i]
		}
		p.skipSpace()
		if p.pos >= len(p.src) {
			return Value{}, p.errorf("unexpected end of input, expected ',' or '}'")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return p.finish(Object, mark), nil
		default:
			return Value{}, p.errorf("unexpected %s after object member, expected ',' or '}'", p.quoteAt())
		}
	}
}

// memberAt returns the place on the stack of the member named key among
// those of the object open at mark, before the one at i, or -1. A big
// object's keys go into seen, which it makes, so that a long object costs
// no square of its length.
func (p *parser) memberAt(mark, i int, key string, seen *map[string]int) int {
	const scanned = 16 // members compared one by one
	if i-mark <= scanned {
		for j := mark; j < i; j++ {
			if m := &p.stack[j]; (m.klen == uint32(len(key)) || m.klen&big != 0) && m.keyText() == key {
				return j
			}
		}
		return -1
	}
	if *seen == nil {
		*seen = make(map[string]int, 2*scanned)
		for j := mark; j < i; j++ {
			(*seen)[p.stack[j].keyText()] = j
		}
	}
	if j, ok := (*seen)[key]; ok {
		return j
	}
	(*seen)[key] = i
	return -1
}

func (p *parser) array(depth int) (Value, *SyntaxError) {
	if depth > MaxDepth {
		return Value{}, p.errorf("nesting deeper than %d", MaxDepth)
	}
	p.pos++ // [
	mark := len(p.stack)
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		return p.finish(Array, mark), nil
	}
	for {
		p.skipSpace()
		p.stack = append(p.stack, Value{})
		i := len(p.stack) - 1
		child, err := p.value(depth)
		if err != nil {
			return Value{}, err.in("[" + strconv.Itoa(i-mark) + "]")
		}
		p.stack[i] = child
		p.skipSpace()
		if p.pos >= len(p.src) {
			return Value{}, p.errorf("unexpected end of input, expected ',' or ']'")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return p.finish(Array, mark), nil
		default:
			return Value{}, p.errorf("unexpected %s after array element, expected ',' or ']'", p.quoteAt())
		}
	}
}

func (p *parser) number() (Value, *SyntaxError) {
	start := p.pos
	s := p.src
	i := p.pos
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		p.pos = i
		return Value{}, p.errorf("invalid number: expected a digit")
	}
	if i < len(s) && s[i] == '.' {
		i++
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			p.pos = i
			return Value{}, p.errorf("invalid number: expected a digit after '.'")
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			p.pos = i
			return Value{}, p.errorf("invalid number: expected a digit in the exponent")
		}
	}
	p.pos = i
	return scalar(Number, s[start:i]), nil
}

// string reads a quoted string at p.pos. Without escapes or bad UTF-8 the
// result is a substring of the input and costs nothing.
func (p *parser) string() (string, *SyntaxError) {
	p.pos++ // opening quote
	start := p.pos
	s := p.src
	ascii := true
	for i := start; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			out := s[start:i]
			if !ascii && !utf8.ValidString(out) {
				if p.strict {
					return "", p.invalidUTF8(start)
				}
				return p.unescape(start)
			}
			p.pos = i + 1
			return out, nil
		case c == '\\':
			return p.unescape(start)
		case c < 0x20:
			p.pos = i
			return "", p.errorf("invalid control character %U in string", rune(c))
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	p.pos = len(s)
	return "", p.errorf("unexpected end of input in string")
}

// unescape decodes the string starting at start the slow way.
func (p *parser) unescape(start int) (string, *SyntaxError) {
	s := p.src
	buf := make([]byte, 0, 32)
	i := start
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return string(buf), nil
		case c < 0x20:
			p.pos = i
			return "", p.errorf("invalid control character %U in string", rune(c))
		case c == '\\':
			if i+1 >= len(s) {
				p.pos = len(s)
				return "", p.errorf("unexpected end of input in string")
			}
			switch e := s[i+1]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
				i += 2
			case 'b':
				buf, i = append(buf, '\b'), i+2
			case 'f':
				buf, i = append(buf, '\f'), i+2
			case 'n':
				buf, i = append(buf, '\n'), i+2
			case 'r':
				buf, i = append(buf, '\r'), i+2
			case 't':
				buf, i = append(buf, '\t'), i+2
			case 'u':
				r, ok := hex4(s, i+2)
				if !ok {
					p.pos = i
					return "", p.errorf(`invalid \u escape`)
				}
				i += 6
				if utf16.IsSurrogate(r) {
					r2, ok := rune(-1), false
					if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
						r2, ok = hex4(s, i+2)
					}
					if d := utf16.DecodeRune(r, r2); ok && d != utf8.RuneError {
						r = d
						i += 6
					} else if p.strict {
						// A lone surrogate decodes to no character: the
						// text it stands for is not UTF-8.
						p.pos = i - 6
						return "", p.errorf(MsgInvalidUTF8)
					} else {
						r = utf8.RuneError
					}
				}
				buf = utf8.AppendRune(buf, r)
			default:
				p.pos = i
				return "", p.errorf("invalid escape %q in string", "\\"+string(e))
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 && p.strict {
				p.pos = i
				return "", p.errorf(MsgInvalidUTF8)
			}
			buf = utf8.AppendRune(buf, r) // RuneError for bad bytes
			i += size
		}
	}
	p.pos = len(s)
	return "", p.errorf("unexpected end of input in string")
}

// invalidUTF8 reports the first bad byte of the string that starts at
// start and is known to hold one.
func (p *parser) invalidUTF8(start int) *SyntaxError {
	i := start
	for {
		r, size := utf8.DecodeRuneInString(p.src[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	p.pos = i
	return p.errorf(MsgInvalidUTF8)
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
