package validate_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/outhook/outhook/validate"
)

// Any path either compiles or fails with ErrInvalidPath; a compiled path
// checks any body without panicking, and a failure always says why.
func FuzzJSONPath(f *testing.F) {
	for _, seed := range []struct{ path, body string }{
		{"$.data.status", `{"status":"ok"}`},
		{"$.data.items[*].state", `{"items":[{"state":"done"},{"state":1}]}`},
		{`$.data.items[?(@.n > 1)].n`, `{"items":[{"n":1},{"n":2}]}`},
		{"$..id", `[{"id":1},{"a":{"id":null}}]`},
		{"$.data[0:2]", `[1,2,3]`},
		{`$["data"]["a b"]`, `{"a b":true}`},
		{"$.data.x", `not json`},
		{"$.data[(@.length-1)]", `[1,2]`},
		{"status", `{"status":{"nested":[1,{"x":"y"}]}}`},
	} {
		f.Add(seed.path, seed.body)
	}
	f.Fuzz(func(t *testing.T, path, body string) {
		v, err := validate.JSONPath(path, []string{"ok", "1", "null"})
		if err != nil {
			if !errors.Is(err, validate.ErrInvalidPath) {
				t.Fatalf("error %v does not wrap ErrInvalidPath", err)
			}
			var pe *validate.PathError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a PathError", err)
			}
			// The message speaks of the path as written, never of the
			// form the parser reads.
			if strings.Contains(err.Error(), "parsing error") {
				t.Fatalf("%v: the message shows the parser's form of the path", err)
			}
			// A place, when there is one, is in the path or just past it.
			if pe.Column > 0 {
				lines := strings.Split(path, "\n")
				if pe.Line < 1 || pe.Line > len(lines) || pe.Column > len(lines[pe.Line-1])+1 {
					t.Fatalf("%v: %d:%d is not in the path", err, pe.Line, pe.Column)
				}
			}
			return
		}
		for _, all := range []bool{false, true} {
			if all {
				v = validate.MustJSONPath(path, []string{"ok"}, validate.AllMatches())
			}
			r := v.Validate(&validate.Response{Body: []byte(body)})
			if r.Passed != (r.Err == nil) {
				t.Fatalf("passed %v with error %v", r.Passed, r.Err)
			}
			_ = r.String()
			// Validate walks plain paths itself: it must agree with
			// PaesslerAG/jsonpath on the decoded body.
			if !json.Valid([]byte(body)) {
				continue
			}
			dec := json.NewDecoder(strings.NewReader(body))
			dec.UseNumber()
			var doc any
			if dec.Decode(&doc) != nil {
				continue
			}
			if want := v.Check(doc); want.Passed != r.Passed || want.Found != r.Found {
				t.Fatalf("%s on %s: Validate found %q (passed %v), Check found %q (passed %v)", path, body, r.Found, r.Passed, want.Found, want.Passed)
			}
		}
	})
}
