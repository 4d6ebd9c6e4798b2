package validate

import (
	"context"
	"errors"
	"fmt"
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
	expr, err := bodyPath(path)
	if err != nil {
		return nil, false, false, &PathError{Path: path, Err: err}
	}
	switch descents(expr) {
	case 0:
	case 1:
		recursive = true
	default:
		return nil, false, false, &PathError{Path: path, Err: errors.New("more than one recursive descent (..)")}
	}
	eval, err = jsonpath.New(expr)
	if err != nil {
		return nil, false, false, &PathError{Path: path, Err: err}
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

// bodyPath rewrites a validator path into a JSONPath over the body itself:
// $.data, $["data"] and $['data'] become $, a path without a leading $ gets
// one, and single-quoted strings become double-quoted ones.
func bodyPath(path string) (string, error) {
	p := strings.TrimSpace(path)
	switch {
	case p == "":
		return "", errors.New("empty path")
	case p[0] == '[':
		p = "$" + p
	case p[0] != '$':
		p = "$." + p
	}
	p, err := doubleQuoted(p)
	if err != nil {
		return "", err
	}
	for _, prefix := range []string{"$.data", `$["data"]`} {
		rest, ok := strings.CutPrefix(p, prefix)
		if ok && (rest == "" || rest[0] == '.' || rest[0] == '[') {
			return "$" + rest, nil
		}
	}
	if !strings.HasPrefix(p, "$") {
		return "", errors.New("a path starts with $")
	}
	return p, nil
}

// doubleQuoted rewrites the single-quoted strings of a path ($['status'],
// [?(@.state=='active')]), which JSONPath allows as RFC 9535 does, as the
// double-quoted strings PaesslerAG/jsonpath reads: its parser takes a
// single-quoted text as a Go rune literal, refusing any of more than one
// character. Inside one, \' is a quote and a double quote is escaped.
func doubleQuoted(path string) (string, error) {
	if !strings.Contains(path, "'") {
		return path, nil
	}
	var b strings.Builder
	var quote byte
	start := 0
	for i := 0; i < len(path); i++ {
		c := path[i]
		switch {
		case quote == '"':
			if c == '\\' {
				b.WriteByte(c)
				i++
				if i < len(path) {
					b.WriteByte(path[i])
				}
				continue
			}
			if c == '"' {
				quote = 0
			}
			b.WriteByte(c)
		case quote == '\'':
			switch {
			case c == '\\' && i+1 < len(path) && path[i+1] == '\'':
				b.WriteByte('\'')
				i++
			case c == '\\' && i+1 < len(path):
				b.WriteString(path[i : i+2])
				i++
			case c == '"':
				b.WriteString(`\"`)
			case c == '\'':
				b.WriteByte('"')
				quote = 0
			default:
				b.WriteByte(c)
			}
		case c == '"':
			quote = c
			b.WriteByte(c)
		case c == '\'':
			quote, start = c, i
			b.WriteByte('"')
		default:
			b.WriteByte(c)
		}
	}
	if quote == '\'' {
		return "", fmt.Errorf("the string %s has no closing quote", path[start:])
	}
	return b.String(), nil
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
