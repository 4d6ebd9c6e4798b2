package template_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/internal/testkit/sharedtest"
	"github.com/outhook/outhook/template"
)

// The Check differential holds Check to Execute (itself held to
// handlebars.js by the differential suite, so node is not needed here)
// over the handlebars corpus and generated templates, with a schema
// derived from each case's data:
//
//   - no false positive: a reference Check reports unknown is replaced by a
//     name the data does not have; if the rendering changes, Execute had
//     resolved the reference to a value, and the report was wrong.
//   - no false negative: a reference Check resolves to a known type, with
//     its last segment renamed to one the data does not have, must be
//     reported where it is written.
//
// Leaf strings of the data are replaced by unique markers first, so that a
// present string never renders as an absent value does, and each
// inclusion of a partial gets its own copy, so that a reference is judged
// in the one context it is checked in.

// cdLimits are the reports, by case and line:col, that Execute resolves
// but Check makes by design (see Check's doc).
var cdLimits = map[string]string{
	// An inline partial, or a partial block's content, is checked once, in
	// the context of its first inclusion; a reference that only the later
	// ones have is reported.
	"probed2/partial-floor/content-through-inline/text:1:39": "first context",
	"probed2/partial-floor/content-through-inline/html:1:39": "first context",
	"probed3/inline-deeper/with/text:1:33":                   "first context",
	"probed3/inline-deeper/with/html:1:33":                   "first context",
	"probed3/inline-deeper/if-same-context/text:1:38":        "first context",
	"probed3/inline-deeper/if-same-context/html:1:38":        "first context",
	// The same in the Mustache dialect, where ../ goes from the first
	// inclusion's context to the block's tag.
	"mustache:probed3/inline-deeper/with/text:1:38": "first context",
	"mustache:probed3/inline-deeper/with/html:1:38": "first context",
}

// cdLimitKey is the key of cdLimits for a report at lineCol of c.
func cdLimitKey(c cdCase, lineCol string) string {
	if c.mustache {
		return "mustache:" + c.name + ":" + lineCol
	}
	return c.name + ":" + lineCol
}

// cdCase is a template with its partials, mode and data.
type cdCase struct {
	name, src, mode string
	partials        map[string]string
	data            []byte
	mustache        bool // the Mustache dialect, which looks names up in the enclosing contexts too
}

// cdAbsent is a name no data of the corpus has.
const cdAbsent = "ohAbsentQ"

func TestCheckAgainstExecute(t *testing.T) {
	var cases []cdCase
	files, err := filepath.Glob(filepath.Join(hbDir, "corpus", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	// One fixture is enough: the schema follows the data.
	fixtures := sharedtest.Files(t, "fixtures/apono", "*.json")
	sort.Strings(fixtures)
	fixture, err := os.ReadFile(fixtures[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var group []hbCase
		if err := json.Unmarshal(raw, &group); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range group {
			data := []byte(c.Data)
			if c.Fixtures {
				data = fixture
			}
			cases = append(cases, cdCase{name: c.Name, src: c.Template, mode: c.mode(), partials: c.Partials, data: data})
		}
	}
	for _, c := range probeCases(cdSeed(), 600) {
		cases = append(cases, cdCase{name: c.Name, src: c.Template, mode: c.mode(), partials: c.Partials, data: []byte(c.Data)})
	}

	// The Mustache dialect resolves names otherwise: each case again in it.
	for _, c := range cases[:len(cases):len(cases)] {
		c.mustache = true
		cases = append(cases, c)
	}

	var checked, refs, falsePos, falseNeg, skipped, anyScoped int
	limited := map[string]bool{}
	for _, c := range cases {
		fp, fn, nrefs, sk, an, ok := cdRun(t, c, limited)
		anyScoped += an
		if !ok {
			continue
		}
		checked++
		refs += nrefs
		skipped += sk
		falsePos += fp
		falseNeg += fn
	}
	for k := range cdLimits {
		if !limited[k] {
			t.Errorf("%s: listed as a limit of Check, but Check no longer reports a reference Execute resolves there; remove it from cdLimits", k)
		}
	}
	if checked < len(cases)/2 || refs < checked {
		t.Errorf("only %d of %d templates rendered, with %d references mutated: the differential checks too little", checked, len(cases), refs)
	}
	t.Logf("%d templates checked, %d references mutated (%d skipped, %d below a value of no known type); %d false positives, %d false negatives",
		checked, refs, skipped, anyScoped, falsePos, falseNeg)
}

// cdRun runs both properties on c; ok is false when c does not render.
func cdRun(t *testing.T, c cdCase, limited map[string]bool) (falsePos, falseNeg, nrefs, skipped, anyScoped int, ok bool) {
	t.Helper()
	var raw any
	dec := json.NewDecoder(bytes.NewReader(c.data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return 0, 0, 0, 0, 0, false
	}
	if _, isObj := raw.(map[string]any); !isObj {
		return 0, 0, 0, 0, 0, false
	}
	n := 0
	marked := cdMark(raw, &n)
	data, err := json.Marshal(marked)
	if err != nil {
		t.Fatal(err)
	}
	schema := mapSchema{}
	cdDerive(schema, "", marked)

	tm, out, ok := cdRender(c, c.src, c.partials, data)
	if !ok {
		return 0, 0, 0, 0, 0, false
	}
	// Each inclusion of a partial gets its own copy, so that a reference
	// reported in one context is judged in that context alone.
	shared := false // a partial's text stands for several inclusions
	if split := cdSplit(c); split.src != c.src {
		if stm, sout, ok := cdRender(split, split.src, split.partials, data); ok && sout == out {
			c, tm = split, stm
		} else {
			shared = true
		}
	}

	// No false positive.
	var list template.ErrorList
	types, err := template.CheckTypes(tm, schema)
	if err != nil && !errors.As(err, &list) {
		t.Fatalf("%s: Check: %v", c.name, err)
	}
	byPos := map[string]bool{}
	for _, e := range list {
		byPos[fmt.Sprintf("%s:%d:%d", e.Name, e.Line, e.Column)] = true
	}
	for _, r := range template.References(tm) {
		src, parts, ok := cdReplace(c, r, "")
		if !ok {
			skipped++
			continue
		}
		line, col := cdPosition(cdText(c, r.Name), r.Offset)
		key := fmt.Sprintf("%s:%d:%d", r.Name, line, col)
		if byPos[key] && shared && r.Name != c.name {
			// Reported in one context, resolved in another maybe.
			skipped++
			continue
		}
		if byPos[key] {
			// Reported: it must not resolve to a value.
			_, mout, ok := cdRender(c, src, parts, data)
			if ok && mout != out && cdFalsyStop(c, r, data, out) {
				// Execute stops at a falsy value on the way, as
				// handlebars.js does on a path from @root or a loop
				// variable, and renders that value: the member named
				// is still absent.
				continue
			}
			if limit := cdLimitKey(c, key[len(r.Name)+1:]); ok && mout != out && cdLimits[limit] != "" {
				limited[limit] = true
				continue
			}
			if ok && mout != out {
				falsePos++
				t.Errorf("false positive (mustache %v): %s: %s: Check reports %s unknown; Execute resolves it\ntemplate: %q\npartials: %q\ndata: %s\nrendered: %q\nwithout:  %q",
					c.mustache, c.name, key, r.Text, c.src, c.partials, data, out, mout)
			}
			continue
		}
		if r.Segs == 0 {
			continue
		}
		if typ := types[fmt.Sprintf("%s:%d", r.Name, r.Offset)]; typ == "any" || typ == "" {
			// Below a value of no known type: Check cannot tell.
			anyScoped++
			continue
		}
		// No false negative: the renamed reference is absent.
		src, parts, ok = cdReplace(c, r, "Zq")
		if !ok {
			skipped++
			continue
		}
		mtm, _, ok := cdRender(c, src, parts, data)
		if !ok {
			skipped++
			continue
		}
		nrefs++
		found := false
		var mlist template.ErrorList
		if err := mtm.Check(schema); errors.As(err, &mlist) {
			for _, e := range mlist {
				if e.Name == r.Name && e.Line == line && e.Column == col {
					found = true
				}
			}
		}
		if !found {
			falseNeg++
			t.Errorf("false negative: %s: %s: Check does not report %sZq, absent from the data\ntemplate: %q\npartials: %q\ndata: %s",
				c.name, key, r.Text, src, parts, data)
		}
	}
	return falsePos, falseNeg, nrefs, skipped, anyScoped, true
}

// cdRender parses and renders a variant of c.
func cdRender(c cdCase, src string, partials map[string]string, data []byte) (*template.Template, string, bool) {
	opts := []template.Option{template.WithName(c.name)}
	if c.mustache {
		opts = append(opts, template.WithDialect(template.Mustache))
	}
	switch c.mode {
	case "text":
		opts = append(opts, template.WithMode(template.Text))
	case "html":
		opts = append(opts, template.WithMode(template.HTML))
	}
	if partials != nil {
		opts = append(opts, template.WithPartials(partials))
	}
	tm, err := template.Parse(src, opts...)
	if err != nil {
		return nil, "", false
	}
	doc, err := jsondoc.Parse(data)
	if err != nil {
		return nil, "", false
	}
	out, err := tm.Append(nil, doc)
	if err != nil {
		return nil, "", false
	}
	return tm, string(out), true
}

func cdText(c cdCase, name string) string {
	if name == c.name {
		return c.src
	}
	return c.partials[name]
}

// cdReplace returns c's template and partials with reference r replaced by
// cdAbsent (suffix "") or with suffix added to its last segment.
func cdReplace(c cdCase, r template.Reference, suffix string) (string, map[string]string, bool) {
	text := cdText(c, r.Name)
	if r.Offset+len(r.Text) > len(text) || text[r.Offset:r.Offset+len(r.Text)] != r.Text {
		return "", nil, false
	}
	repl := cdAbsent
	if suffix != "" {
		if strings.HasSuffix(r.Text, "]") {
			repl = r.Text[:len(r.Text)-1] + suffix + "]"
		} else {
			repl = r.Text + suffix
		}
	}
	mutated := text[:r.Offset] + repl + text[r.Offset+len(r.Text):]
	if r.Name == c.name {
		return mutated, c.partials, true
	}
	parts := make(map[string]string, len(c.partials))
	for k, v := range c.partials {
		parts[k] = v
	}
	parts[r.Name] = mutated
	return c.src, parts, true
}

func cdPosition(text string, off int) (line, col int) {
	line = 1 + strings.Count(text[:off], "\n")
	col = off - strings.LastIndexByte(text[:off], '\n')
	return line, col
}

// cdMark replaces each string of v by a unique marker.
func cdMark(v any, n *int) any {
	switch v := v.(type) {
	case string:
		*n++
		return fmt.Sprintf("mk%dq", *n)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = cdMark(x, n)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = cdMark(x, n)
		}
		return out
	}
	return v
}

// cdDerive adds every path of v below path to s, with its JSON type; the
// elements of an array share path[], "any" when their types differ.
func cdDerive(s mapSchema, path string, v any) {
	typ := cdType(v)
	if path != "" {
		if old, ok := s[path]; ok && old != typ {
			typ = "any"
		}
		s[path] = typ
	}
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			cdDerive(s, p, x)
		}
	case []any:
		for _, x := range v {
			cdDerive(s, path+"[]", x)
		}
	}
}

func cdType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return "null"
}

// cdSeed is the seed of the generated templates, 23 (the probe's) unless
// OUTHOOK_PROBE_SEED says otherwise.
func cdSeed() uint64 {
	if s := os.Getenv("OUTHOOK_PROBE_SEED"); s != "" {
		if v, err := strconv.ParseUint(s, 10, 64); err == nil {
			return v
		}
	}
	return 23
}

// cdFalsyStop reports whether r renders as a lookup of a member its
// parent does not have, which gives the parent where it is falsy (as
// handlebars.js's lookup does) and nothing otherwise: r named no member
// Execute found.
func cdFalsyStop(c cdCase, r template.Reference, data []byte, out string) bool {
	cut := strings.LastIndexAny(r.Text, "./")
	if cut <= 0 || strings.HasSuffix(r.Text, "]") && strings.LastIndexByte(r.Text, '[') < cut {
		return false
	}
	// As a subexpression where one may stand, else as the parent itself
	// where the parent is falsy on every rendering.
	text := cdText(c, r.Name)
	lookup := "lookup " + r.Text[:cut] + " '" + cdAbsent + "'"
	head := strings.TrimRight(text[:r.Offset], " \t\r\n")
	first := false // the first word of its tag, where a subexpression may not stand
	for _, open := range []string{"{{", "{{~", "{{{", "{{~{", "{{&", "{{~&"} {
		first = first || strings.HasSuffix(head, open)
	}
	if !first {
		lookup = "(" + lookup + ")"
	}
	for _, repl := range []string{lookup, r.Text[:cut]} {
		mutated := text[:r.Offset] + repl + text[r.Offset+len(r.Text):]
		src, parts := c.src, c.partials
		if r.Name == c.name {
			src = mutated
		} else {
			parts = maps.Clone(parts)
			parts[r.Name] = mutated
		}
		if _, pout, ok := cdRender(c, src, parts, data); ok && pout == out {
			return true
		}
	}
	return false
}

// cdPartialTag finds the opening and closing tags of partials by name.
var cdPartialTag = regexp.MustCompile(`\\?\{\{~?\s*(#?>|/)\s*([A-Za-z_][A-Za-z0-9_-]*)`)

// cdSplit gives each inclusion of a partial of c its own copy, renamed
// name_k, in the template and (a few levels deep) in the partials.
func cdSplit(c cdCase) cdCase {
	if len(c.partials) == 0 {
		return c
	}
	out := c
	out.partials = maps.Clone(c.partials)
	k := 0
	rename := func(text string) string {
		var open []string // the renamed names of partial blocks open
		return cdPartialTag.ReplaceAllStringFunc(text, func(tag string) string {
			m := cdPartialTag.FindStringSubmatch(tag)
			name := m[2]
			if _, ok := c.partials[name]; !ok || tag[0] == '\\' {
				return tag
			}
			if m[1] == "/" {
				for i := len(open) - 1; i >= 0; i-- {
					if strings.HasPrefix(open[i], name+"_") {
						renamed := open[i]
						open = append(open[:i], open[i+1:]...)
						return strings.TrimSuffix(tag, name) + renamed
					}
				}
				return tag
			}
			k++
			renamed := fmt.Sprintf("%s_%d", name, k)
			out.partials[renamed] = c.partials[name]
			if m[1] == "#>" {
				open = append(open, renamed)
			}
			return strings.TrimSuffix(tag, name) + renamed
		})
	}
	out.src = rename(c.src)
	done := map[string]bool{}
	for range 3 {
		for name, text := range out.partials {
			if _, orig := c.partials[name]; orig || done[name] {
				continue
			}
			done[name] = true
			out.partials[name] = rename(text)
		}
	}
	return out
}
