package validate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/PaesslerAG/gval"
	"github.com/PaesslerAG/jsonpath"
)

// PathOption configures a JSONPathValidator. Options are sealed: only this
// package defines them. A nil PathOption is ignored.
type PathOption interface {
	applyPath(*JSONPathValidator)
}

type pathOptionFunc func(*JSONPathValidator)

func (f pathOptionFunc) applyPath(v *JSONPathValidator) { f(v) }

// AllMatches makes a path that can match several values pass only when every
// value it matches is expected. By default one expected value is enough.
func AllMatches() PathOption {
	return pathOptionFunc(func(v *JSONPathValidator) { v.all = true })
}

// JSONPathValidator checks the value at a JSON path of the response body. It
// is compiled once and safe for concurrent use.
type JSONPathValidator struct {
	path      string
	plain     []step // the path's steps when it is plain, else nil
	eval      gval.Evaluable
	multi     bool
	recursive bool
	all       bool
	expected  []string
}

var _ Validator = (*JSONPathValidator)(nil)

// JSONPath compiles a validator that passes when the value at path is one of
// expected (or, with no expected values, when path is found at all). The
// path is a JSONPath in which $.data is the response body (see the package
// comment); it is compiled here, once. Any error is a *PathError wrapping
// ErrInvalidPath.
//
// A path may hold one recursive descent (..), whose cost grows with the
// depth of the body; a body nested deeper than MaxDepth fails it with
// ErrTooDeep rather than let a remote server make it slow. Each further
// descent would multiply that cost, so a path with two is rejected.
func JSONPath(path string, expected []string, opts ...PathOption) (*JSONPathValidator, error) {
	eval, multi, recursive, err := compilePath(path)
	if err != nil {
		return nil, err
	}
	v := &JSONPathValidator{path: path, eval: eval, multi: multi, recursive: recursive, expected: append([]string(nil), expected...)}
	if expr, err := bodyPath(path); err == nil && !multi {
		v.plain = plainSteps(expr)
	}
	for _, o := range opts {
		if o != nil {
			o.applyPath(v)
		}
	}
	return v, nil
}

// MustJSONPath is like JSONPath but panics when the path does not compile.
// It is meant for package-level validators with constant paths.
func MustJSONPath(path string, expected []string, opts ...PathOption) *JSONPathValidator {
	v, err := JSONPath(path, expected, opts...)
	if err != nil {
		panic(err)
	}
	return v
}

// String returns the path as given.
func (v *JSONPathValidator) String() string { return v.path }

// Expected returns the expected values. The slice is shared and must not be
// modified.
func (v *JSONPathValidator) Expected() []string { return v.expected }

// Validate checks the decoded body of resp, decoding it if no validator has
// yet; a body that does not decode fails with the decoding error.
func (v *JSONPathValidator) Validate(resp *Response) Result {
	if v.plain != nil {
		if r, ok := v.walk(resp); ok {
			return r
		}
	}
	doc, err := resp.JSON()
	if err != nil {
		return Result{Validator: v.path, Expected: v.expected, Err: err}
	}
	return v.Check(doc)
}

// background is the context given to compiled paths, which use it only to
// carry the current element of a filter expression.
var background = context.Background()

// Check checks body, a response body already decoded into JSON-like Go values
// (map[string]any, []any, string, json.Number or float64, bool, nil), as
// encoding/json produces; PaesslerAG/jsonpath reads nothing else, so a
// *jsondoc.Value finds no path.
func (v *JSONPathValidator) Check(body any) (r Result) {
	r.Validator, r.Expected = v.path, v.expected
	// The path language evaluates scripts; none of it may take the
	// dispatcher down. A named function, not a closure over r, keeps r off
	// the heap.
	defer recoverEval(&r)
	if v.recursive && tooDeep(body, MaxDepth) {
		r.Err = ErrTooDeep
		return r
	}
	got, err := v.eval(background, body)
	if err != nil {
		r.Err = ErrNotFound
		return r
	}
	if !v.multi {
		r.Found = text(got)
		r.Passed = len(v.expected) == 0 || oneOf(r.Found, v.expected)
		if !r.Passed {
			r.Err = ErrMismatch
		}
		return r
	}
	matches, _ := got.([]any)
	if len(matches) == 0 {
		r.Err = ErrNotFound
		return r
	}
	r.Found = compactArray(matches)
	r.Passed = v.matchMany(matches)
	if !r.Passed {
		r.Err = ErrMismatch
	}
	return r
}

// recoverEval turns a panic in a path evaluation into a failed result.
func recoverEval(r *Result) {
	if p := recover(); p != nil {
		r.Passed, r.Found, r.Err = false, "", fmt.Errorf("%w: evaluating %s: %v", ErrNotFound, r.Validator, p)
	}
}

func (v *JSONPathValidator) matchMany(matches []any) bool {
	if len(v.expected) == 0 {
		return true
	}
	for _, m := range matches {
		ok := oneOf(text(m), v.expected)
		if ok && !v.all {
			return true
		}
		if !ok && v.all {
			return false
		}
	}
	return v.all
}

// compilePath compiles a validator path into an evaluable over the body, and
// reports whether it can match several values.
func compilePath(path string) (eval gval.Evaluable, multi, recursive bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			eval, multi, recursive, err = nil, false, false, &PathError{Path: path, Err: fmt.Errorf("%v", p)}
		}
	}()
	r, err := rewrite(path)
	if err != nil {
		return nil, false, false, pathError(path, nil, err)
	}
	expr := string(r.text)
	switch descents(expr) {
	case 0:
	case 1:
		recursive = true
	default:
		return nil, false, false, &PathError{Path: path, Err: errors.New("more than one recursive descent (..)")}
	}
	eval, err = jsonpath.New(expr)
	if err != nil {
		return nil, false, false, pathError(path, r, err)
	}
	multi, err = ambiguous(eval)
	if err != nil {
		return nil, false, false, &PathError{Path: path, Err: err}
	}
	return eval, multi, recursive, nil
}

// descents counts the recursive descents (..) of a path, outside quoted
// strings.
func descents(path string) int {
	n := 0
	var quote byte
	for i := 0; i < len(path); i++ {
		c := path[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '.' && i+1 < len(path) && path[i+1] == '.':
			n++
			i++
		}
	}
	return n
}

// MaxDepth is how deeply a response body may nest for a path with a
// recursive descent (..) to be evaluated on it.
const MaxDepth = 64

// tooDeep reports whether a decoded JSON value nests objects and arrays
// more than limit deep.
func tooDeep(v any, limit int) bool {
	switch v := v.(type) {
	case map[string]any:
		if limit == 0 {
			return true
		}
		for _, c := range v {
			if tooDeep(c, limit-1) {
				return true
			}
		}
	case []any:
		if limit == 0 {
			return true
		}
		for _, c := range v {
			if tooDeep(c, limit-1) {
				return true
			}
		}
	}
	return false
}

// rewritten is a path as PaesslerAG/jsonpath reads it, with, for each of
// its bytes, the offset in the path as written that it comes from, so that
// a parse error can say where the writer went wrong.
type rewritten struct {
	text []byte
	from []int
	// end is the offset just past the path as written, trailing spaces
	// left out: where the parser's end of input is.
	end int
}

func (r *rewritten) add(text string, from int) {
	for i := range len(text) {
		r.text = append(r.text, text[i])
		r.from = append(r.from, from+i)
	}
}

// insert appends text that has no counterpart in the path as written; its
// bytes point at from.
func (r *rewritten) insert(text string, from int) {
	for i := range len(text) {
		r.text = append(r.text, text[i])
		r.from = append(r.from, from)
	}
}

// origin returns the offset in the path as written of the rewritten
// path's byte at off; the end maps to end.
func (r *rewritten) origin(off, end int) int {
	if off >= len(r.from) {
		return end
	}
	return r.from[off]
}

// bodyPath rewrites a validator path into a JSONPath over the body itself:
// $.data, $["data"] and $['data'] become $, a path without a leading $ gets
// one, and single-quoted strings become double-quoted ones.
func bodyPath(path string) (string, error) {
	r, err := rewrite(path)
	if err != nil {
		return "", err
	}
	return string(r.text), nil
}

func rewrite(path string) (*rewritten, error) {
	p := strings.TrimSpace(path)
	lead := strings.Index(path, p)
	r := &rewritten{end: lead + len(p)}
	switch {
	case p == "":
		return nil, errors.New("empty path")
	case p[0] == '[':
		r.insert("$", lead)
	case p[0] != '$':
		r.insert("$.", lead)
	}
	if err := doubleQuoted(r, p, lead); err != nil {
		return nil, err
	}
	for _, prefix := range dataPrefixes {
		if n, ok := tokensPrefix(r.text, prefix); ok {
			r.text = append(r.text[:1], r.text[n:]...)
			r.from = append(r.from[:1], r.from[n:]...)
			return r, nil
		}
	}
	if r.text[0] != '$' {
		return nil, errors.New("a path starts with $")
	}
	return r, nil
}

// dataPrefixes are the tokens of $.data and $["data"], which name the body.
var dataPrefixes = [][]string{{"$", ".", "data"}, {"$", "[", `"data"`, "]"}}

// tokensPrefix reports whether text starts with tokens, and where they
// end, with the spaces and line breaks between tokens that the parser
// skips (text/scanner's GoWhitespace), and followed by the end, a . or a
// [, so that $.data .a is $.data.a and $.database is not $.data.
func tokensPrefix(text []byte, tokens []string) (int, bool) {
	skip := func(i int) int {
		for i < len(text) && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
			i++
		}
		return i
	}
	i := 0
	for _, tok := range tokens {
		i = skip(i)
		if !bytes.HasPrefix(text[i:], []byte(tok)) {
			return 0, false
		}
		i += len(tok)
	}
	if j := skip(i); j < len(text) && text[j] != '.' && text[j] != '[' {
		return 0, false
	}
	return i, true
}

// quoteError is a single-quoted string of a path without its closing
// quote; at is the offset of its opening quote in the path as written.
type quoteError struct {
	text string
	at   int
}

func (e *quoteError) Error() string { return "the string " + e.text + " has no closing quote" }

// doubleQuoted appends path, which starts at offset base of the path as
// written, to r with its single-quoted strings ($['status'],
// [?(@.state=='active')]), which JSONPath allows as RFC 9535 does, made
// the double-quoted strings PaesslerAG/jsonpath reads: its parser takes a
// single-quoted text as a Go rune literal, refusing any of more than one
// character. Inside one, \' is a quote and a double quote is escaped.
func doubleQuoted(r *rewritten, path string, base int) error {
	var quote byte
	start := 0
	for i := 0; i < len(path); i++ {
		c := path[i]
		switch {
		case quote == '"':
			if c == '\\' && i+1 < len(path) {
				r.add(path[i:i+2], base+i)
				i++
				continue
			}
			if c == '"' {
				quote = 0
			}
			r.add(path[i:i+1], base+i)
		case quote == '\'':
			switch {
			case c == '\\' && i+1 < len(path) && path[i+1] == '\'':
				r.add("'", base+i)
				i++
			case c == '\\' && i+1 < len(path):
				r.add(path[i:i+2], base+i)
				i++
			case c == '"':
				r.insert(`\"`, base+i)
			case c == '\'':
				r.add(`"`, base+i)
				quote = 0
			default:
				r.add(path[i:i+1], base+i)
			}
		case c == '"':
			quote = c
			r.add(path[i:i+1], base+i)
		case c == '\'':
			quote, start = c, i
			r.add(`"`, base+i)
		default:
			r.add(path[i:i+1], base+i)
		}
	}
	if quote == '\'' {
		return &quoteError{text: path[start:], at: base + start}
	}
	return nil
}

// parseFault is the form of PaesslerAG/gval's parse errors after
// "parsing error: " and the expression: the start of the token at fault
// (text/scanner's Position, whose column counts characters), the
// scanner's position, and the message. parsePast is the form without the
// start of a token, as for an operator it does not know: the position is
// the scanner's, just past what it read.
var (
	parseFault = regexp.MustCompile(`(?s)^[^:]*:(\d+):(\d+) - \d+:\d+ (.*)$`)
	parsePast  = regexp.MustCompile(`(?s)^\s* - (\d+):(\d+) (.*)$`)
)

// pathError returns the PathError of path for err, an error of compiling
// r, its rewritten form: where the parser's error has a position, it is
// moved to the path as written and taken out of the message, which would
// otherwise show the rewritten path.
func pathError(path string, r *rewritten, err error) *PathError {
	pe := &PathError{Path: path, Err: err}
	var qe *quoteError
	switch {
	case errors.As(err, &qe):
		pe.Line, pe.Column = lineColumn(path, qe.at)
	case r != nil:
		rest, ok := strings.CutPrefix(err.Error(), "parsing error: "+string(r.text))
		if !ok {
			break
		}
		m := parseFault.FindStringSubmatch(rest)
		past := m == nil
		if past {
			m = parsePast.FindStringSubmatch(rest)
		}
		if m == nil {
			break
		}
		line, _ := strconv.Atoi(m[1])
		col, _ := strconv.Atoi(m[2])
		off, ok := offsetOf(string(r.text), line, col)
		if !ok {
			break
		}
		if op, ok := strings.CutPrefix(m[3], "unknown operator "); past && ok && strings.HasSuffix(string(r.text[:off]), op) {
			off -= len(op)
		}
		pe.Line, pe.Column = lineColumn(path, r.origin(off, r.end))
		pe.Err = errors.New(m[3])
	}
	return pe
}

// offsetOf returns the byte offset of a line and a column counted in
// characters, both from 1, in text.
func offsetOf(text string, line, col int) (int, bool) {
	l, c := 1, 1
	for off, ch := range text {
		if l == line && c == col {
			return off, true
		}
		if ch == '\n' {
			l, c = l+1, 1
		} else {
			c++
		}
	}
	return len(text), l == line && c == col
}

// lineColumn returns the line, from 1, and the byte column, from 1, of
// byte offset off of text.
func lineColumn(text string, off int) (line, col int) {
	start := strings.LastIndexByte(text[:off], '\n') + 1
	return strings.Count(text[:start], "\n") + 1, off - start + 1
}

// ambiguous reports whether eval is a path that can match several values.
// PaesslerAG/jsonpath evaluates such a path into a fresh []any of the
// matches and never fails, while a plain path on an empty object fails (it
// finds no member) or returns the object itself ($).
func ambiguous(eval gval.Evaluable) (bool, error) {
	got, err := eval(background, map[string]any{})
	if err != nil {
		return false, nil
	}
	switch got.(type) {
	case []any:
		return true, nil
	case map[string]any:
		return false, nil
	}
	return false, errors.New("not a path: it evaluates to a constant")
}
