package validate

import (
	"strconv"

	"github.com/outhook/outhook/internal/jsondoc"
)

// Most validator paths are plain: member names and array indexes, such as
// $.data.status or $.data.items[0].state. Those are walked on the parsed
// body directly, which spares decoding it into maps for
// PaesslerAG/jsonpath; whenever the walk meets anything but a member that
// is there or an index in range, the path goes to PaesslerAG/jsonpath after
// all, so that every result, failures included, is the one it gives.

// step is one step of a plain path: a member name, or an array index when
// name is empty.
type step struct {
	name  string
	index int
}

// plainSteps returns the steps of expr, a JSONPath over the body ($...),
// when it is plain: $ followed by .name (a letter or _ then letters, digits
// and _), ["name"] without escapes, and [index] (digits). It returns nil
// otherwise, and an empty non-nil slice for $ itself.
func plainSteps(expr string) []step {
	if expr == "" || expr[0] != '$' {
		return nil
	}
	steps := []step{}
	for i := 1; i < len(expr); {
		switch {
		case expr[i] == '.':
			j := i + 1
			for j < len(expr) && (isLetter(expr[j]) || j > i+1 && isDigit(expr[j])) {
				j++
			}
			if j == i+1 {
				return nil
			}
			steps = append(steps, step{name: expr[i+1 : j]})
			i = j
		case expr[i] == '[' && i+1 < len(expr) && expr[i+1] == '"':
			j := i + 2
			for j < len(expr) && expr[j] != '"' && expr[j] != '\\' {
				j++
			}
			if j+1 >= len(expr) || expr[j] != '"' || expr[j+1] != ']' || j == i+2 {
				return nil
			}
			steps = append(steps, step{name: expr[i+2 : j]})
			i = j + 2
		case expr[i] == '[':
			j := i + 1
			for j < len(expr) && isDigit(expr[j]) {
				j++
			}
			if j == i+1 || j >= len(expr) || expr[j] != ']' || j-i > 10 {
				return nil
			}
			n, _ := strconv.Atoi(expr[i+1 : j])
			steps = append(steps, step{index: n})
			i = j + 1
		default:
			return nil
		}
	}
	return steps
}

func isLetter(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

// walk follows v's plain path on the parsed body of resp. It reports false
// when the path leaves the document's shape, for PaesslerAG/jsonpath to
// decide.
func (v *JSONPathValidator) walk(resp *Response) (r Result, ok bool) {
	doc, err := resp.parse()
	if err != nil {
		return Result{Validator: v.path, Expected: v.expected, Err: err}, true
	}
	for _, s := range v.plain {
		switch {
		case s.name != "" && doc.Kind() == jsondoc.Object:
			doc = doc.Get(s.name)
		case s.name == "" && doc.Kind() == jsondoc.Array:
			doc = doc.Elem(s.index)
		default:
			return r, false
		}
		if doc == nil {
			return r, false
		}
	}
	r.Validator, r.Expected = v.path, v.expected
	switch doc.Kind() {
	case jsondoc.Object, jsondoc.Array:
		r.Found = text(doc.Any())
	default:
		r.Found = doc.Text() // strings, number literals, true, false, null
	}
	r.Passed = len(v.expected) == 0 || oneOf(r.Found, v.expected)
	if !r.Passed {
		r.Err = ErrMismatch
	}
	return r, true
}
