package template_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/outhook/outhook/template"
)

// TestHandlebarsProbe renders templates made by a seeded generator with
// handlebars.js and with Outhook, and fails on every difference that no
// deliberate difference of the differential suite explains. The generator
// writes valid templates over the constructs the package doc claims (paths
// with ../, this, @root, loop data and [segment literals], each, with, if,
// unless and their else chains, block parameters, lookup and the other
// helpers, subexpressions, hash arguments, literals, comments, whitespace
// control on every kind of tag, raw blocks, escaped tags, partials,
// layouts with @partial-block and inline partials, {{else if}},
// {{else each}} and {{else with}} chains, segment literals and literal
// tags, subexpressions with hash arguments and lookup over them, every
// kind of literal in every parameter position, loop data of outer loops)
// over hostile data (HTML and JSON specials, control characters, lone
// surrogates, combining and invisible characters), and breaks some
// of them: a template handlebars.js refuses
// must be refused (at Parse, or at Execute where handlebars.js fails only
// when it renders) with a *template.Error that has a line and column.
//
// OUTHOOK_PROBE_SEED and OUTHOOK_PROBE_N change the seed and the count.
func TestHandlebarsProbe(t *testing.T) {
	script := requireHandlebars(t)
	seed := uint64(23)
	if s := os.Getenv("OUTHOOK_PROBE_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("OUTHOOK_PROBE_SEED: %v", err)
		}
		seed = v
	}
	n := 600
	if s := os.Getenv("OUTHOOK_PROBE_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("OUTHOOK_PROBE_N: %v", err)
		}
		n = v
	}
	cases := probeCases(seed, n)
	results := runHandlebars(t, script, cases)
	hbRunDerived(t, script, cases)
	var same, refused, explained, failed, hbLines, sameLines int
	for i, c := range cases {
		hb := results[i]
		oh := hbRenderOuthook(c)
		if err := errors.Join(oh.parseErr, oh.execErr); hb.Out == nil && err != nil {
			refused++
			// Refused by both: Outhook's error must say where.
			var e *template.Error
			if !errors.As(err, &e) || e.Line == 0 || e.Column == 0 {
				failed++
				t.Errorf("%s: the error has no line and column: %v\ntemplate: %q", c.Name, err, c.Template)
			} else if m := hbParseLine.FindStringSubmatch(hb.Error); m != nil {
				// Where handlebars.js gives a line, it mostly agrees;
				// an unclosed block is shown at its open tag rather than
				// at the end, and handlebars.js may stop at another error
				// first, so the count is reported rather than required.
				hbLines++
				if strconv.Itoa(e.Line) == m[1] {
					sameLines++
				}
			}
		}
		kind := hbDifference(c.mode(), hb, oh)
		switch {
		case kind == "":
			same++
		case hbExplanationFor(c, hb, oh, "") != "":
			explained++
		default:
			failed++
			if failed <= 60 {
				t.Errorf("%s: %s\ntemplate:      %q\ndata:          %s\nhandlebars.js: %s\nOuthook:       %s",
					c.Name, kind, c.Template, c.Data, hbShow(hb), ohShow(oh))
			}
		}
	}
	t.Logf("seed %d: %d templates, %d same (%d refused by both), %d explained, %d different; %d of %d parse errors of handlebars.js on the same line",
		seed, len(cases), same, refused, explained, failed, sameLines, hbLines)
}

// hbParseLine reads the line of a parse error of handlebars.js.
var hbParseLine = regexp.MustCompile(`^Parse error on line (\d+)`)

// probeData is what every generated template renders: values of every JSON
// kind, text that HTML and JSON escaping change, lists to loop over (with
// null elements, which a helper block inside sees as an empty object), and
// objects whose keys JavaScript enumerates in another order than written
// (array indexes first), and lists of one element, which JavaScript's ==
// finds equal to that element (no level for ../ in a loop over them).
const probeData = `{
  "name": "<b>Tom & \"Jerry\"</b>",
  "quote": "it's ` + "`x`" + ` = y",
  "n": 3, "zero": 0, "neg": -2.5, "t": true, "f": false, "empty": "",
  "z": {"nul": null},
  "items": ["a", "b<", "c"], "nums": [1, 0, 2], "none": [], "eo": {},
  "sgl": [[3], ["x"], [true], [[1]], [null], ""],
  "obj": {"a": 1, "b": "two", "c": {"d": "deep"}, "length": 7},
  "list": [{"name": "x", "id": 1, "tags": ["p", "q"]}, {"name": "y&", "id": 2, "tags": []}],
  "mixed": [1, null, {"a": "m", "tags": ["r"]}, [4, 5], "s", true],
  "numk": {"b": "bee", "10": "ten", "2": "two", "01": "z", "a": {"a": "in"}},
  "a b": "spaced",
  "doc": "{\"k\": [1, 2]}\n\t\\",
  "uni": "é\u2028😀",
  "keys": {"k": "b", "i": 2},
  "html": "= ` + "`" + ` ' \" < > & &amp;",
  "ctl": "\u0000\u001f\u007f\t",
  "lone": "\ud800x\udc00",
  "odd": "\ufeff\u200b\u0301e\uFFFD"
}`

var probePartials = map[string]string{
	"p":   "<{{name}}|{{@index}}|{{this}}>",
	"q":   "line {{n}}\n{{name}}\n",
	"up":  "[{{../n}}|{{a}}|{{#if true}}{{this}}{{/if}}]",
	"lay": "({{../n}}|{{a}}{{> @partial-block}})",
	"hk":  "{{#each this}}{{@key}};{{/each}}",
}

func probeCases(seed uint64, n int) []hbCase {
	g := &probeGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	cases := make([]hbCase, 0, n)
	for i := range n {
		mode := [...]string{"text", "html", "text", "html", "json"}[i%5]
		g.json = mode == "json"
		src := g.template()
		if g.r.IntN(8) == 0 {
			src = g.breakTemplate(src)
		}
		c := hbCase{
			Name:     fmt.Sprintf("probe/%d/%s", i, mode),
			Template: src,
			Mode:     mode,
			Data:     json.RawMessage(probeData),
			Partials: probePartials,
		}
		if g.json {
			c.Template = `{"v": "{{!plain}}` + src + `"}`
			c.Partials = map[string]string{"p": probePartials["p"], "up": probePartials["up"], "lay": probePartials["lay"], "hk": probePartials["hk"]}
		}
		cases = append(cases, c)
	}
	return cases
}

// probeGen writes random valid templates.
type probeGen struct {
	r      *rand.Rand
	json   bool     // the template goes inside a JSON string
	depth  int      // blocks open
	loops  int      // each blocks open
	params []string // block parameters in scope
	// lastBlock is set when node wrote a block.
	lastBlock bool
}

func (g *probeGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *probeGen) template() string {
	return g.nodes(1 + g.r.IntN(5))
}

// nodes writes n nodes. Two values written raw side by side are kept
// apart: handlebars.js adds them up when both are numbers or booleans (a
// deliberate difference, see the package doc); a block, which may begin
// or end with one, counts as one.
func (g *probeGen) nodes(n int) string {
	var b strings.Builder
	prevRaw := false
	for range n {
		g.lastBlock = false
		s := g.node()
		raw := strings.HasPrefix(s, "{{{") && !strings.HasPrefix(s, "{{{{") || strings.HasPrefix(s, "{{~{") ||
			strings.HasPrefix(s, "{{&") || strings.HasPrefix(s, "{{~&") || g.lastBlock
		if raw && prevRaw {
			b.WriteString("|")
		}
		b.WriteString(s)
		if !strings.HasPrefix(s, "{{!") && !strings.HasPrefix(s, "{{~!") && strings.TrimSpace(s) != "" {
			prevRaw = raw
		}
	}
	return b.String()
}

func (g *probeGen) node() string {
	if g.depth < 3 && g.r.IntN(3) == 0 {
		s := g.block()
		g.lastBlock = true
		return s
	}
	switch g.r.IntN(19) {
	case 14:
		return g.literalSegments()
	case 15:
		return g.subexpressions()
	case 16:
		return g.literalsEverywhere()
	case 17:
		return g.escapesAndTildes()
	case 18:
		return g.tilde("{{", g.pick("html", "ctl", "lone", "odd", "uni", "keys.k", "quote"), "}}")
	case 0, 1, 2:
		return g.text()
	case 3:
		// A comment, with ~ on either side (spaces inside its sigil are
		// not Handlebars).
		open, close := "{{", "}}"
		if g.r.IntN(4) == 0 {
			open += "~"
		}
		if g.r.IntN(4) == 0 {
			close = "~" + close
		}
		return open + g.pick("! note ", "!", "!-- {{x}} }} --", "!--}}--") + close
	case 12:
		return g.tilde("{{", g.pick("default missing "+g.stringLit(), "eq "+g.stringLit()+" "+g.stringLit(), "lookup . "+g.stringLit(), "upper "+g.stringLit()), "}}")
	case 13:
		return g.pick("{{#lookup obj 'b'}}x{{/lookup}}", "{{^log}}x{{/log}}", "{{#log 'm'}}x{{else}}y{{/log}}", "{{@foo}}", "{{@../foo}}", "{{#if @foo}}a{{else}}b{{/if}}",
			// With hash arguments a name is a helper call, which calls its
			// value; only a false one renders (nothing).
			"{{missing k=1}}", "{{#f k=1}}x{{else}}y{{/f}}", "{{^z.nul k=1}}x{{/z.nul}}", "{{default (empty k=1) 'd'}}",
			"{{#if f}}a{{else lookup obj 'c'}}{{d}}{{/if}}", "{{#if f}}a{{else log 'x'}}b{{else}}c{{/if}}")
	case 4:
		return "{{{" + g.path() + "}}}"
	case 5:
		return g.tilde("{{", "& "+g.path(), "}}")
	case 6:
		return g.tilde("{{", g.call(), "}}")
	case 7:
		if g.json {
			return g.pick(`\{{name}}`, "{{{{raw}}}}{{name}} {{#if}}{{{{/raw}}}}")
		}
		return g.pick(`\{{name}}`, `\\{{n}}`, "{{{{raw}}}}{{name}} {{#if}}{{{{/raw}}}}")
	case 8:
		// Block parameters are not seen in an inline partial, where
		// handlebars.js fails on them.
		saved := g.params
		g.params = nil
		defer func() { g.params = saved }()
		if g.r.IntN(4) == 0 {
			// A hash context, whose members handlebars.js orders.
			return "{{> hk " + g.pick("obj", "items", "name", "numk", "n", "") + g.pick(" z=1 y=2", " b=1 a=2 c=3", " a=0", " q=1 q=2") + "}}"
		}
		if g.json {
			return g.pick("{{> p}}", "{{> p obj}}", "{{> p name='h'}}", "{{> up}}", "{{> up obj a=undefined}}")
		}
		return g.pick("{{> p}}", "{{> p obj}}", "{{> p name='h'}}", "\n{{> q}}\n", "  {{> q}}\n", "  {{> q}}\r\n", "{{> up}}", "{{> up obj a=undefined}}", "{{> p mixed}}")
	case 9:
		return g.pick("{{log name}}", "{{lookup obj 'b'}}", "{{lookup items 1}}", "{{lookup . 'a b'}}", "{{lookup list.[0] 'name'}}",
			"{{lookup numk 2}}", "{{lookup mixed 1}}", "{{lookup @root 'n'}}", "{{lookup obj.c 'd'}}")
	default:
		return g.tilde("{{", g.path(), "}}")
	}
}

// text is literal text, with what HTML and JSON escaping change.
func (g *probeGen) text() string {
	s := g.pick("a", " ", "x.y", "<", "&", "=", "`", "'", "-", "|", "\n", "  \n", "\"", "\\", "é")
	if g.json {
		// A backslash of the JSON text before a tag is refused on purpose
		// (the tag would stand inside an escape sequence).
		if s == "\\" {
			s = "/"
		}
		q, _ := json.Marshal(s)
		return string(q[1 : len(q)-1])
	}
	return s
}

func (g *probeGen) tilde(open, body, close string) string {
	if g.r.IntN(4) == 0 {
		open += "~"
	}
	if g.r.IntN(4) == 0 {
		close = "~" + close
	}
	if g.r.IntN(3) == 0 {
		// Spaces go inside the sigil: handlebars.js refuses {{ #if x}}.
		sigil := ""
		switch {
		case strings.HasPrefix(body, "#>") || strings.HasPrefix(body, "#*"):
			sigil, body = body[:2], body[2:]
		case strings.IndexByte("#/&^>", body[0]) >= 0:
			sigil, body = body[:1], body[1:]
		}
		body = sigil + " " + strings.TrimSpace(body) + " "
	}
	return open + body + close
}

// path is a field reference valid where it stands.
func (g *probeGen) path() string {
	ps := []string{"name", "quote", "n", "zero", "neg", "t", "f", "z.nul", "empty", "missing",
		"items", "nums", "none", "obj", "obj.a", "obj.c.d", "obj.length", "items.length", "name.length",
		"list.[0].name", "items.[1]", "[a b]", "this", ".", "@root.name", "@root.obj.b", "uni", "doc",
		"obj/b", "./name", "this.name", "list.0.name", "this/n", "numk.[2]", "mixed.[2].a", "@root/obj/a"}
	if g.depth > 0 {
		ps = append(ps, "../name", "../n", "../../quote", "a", "b", "id", "tags", "@root.n", "this/../n", "./../name", "../this/n", "..")
	}
	if g.loops > 0 {
		ps = append(ps, "@index", "@key", "@first", "@last", "tags.length")
	}
	if g.loops > 1 {
		ps = append(ps, "@../index", "@../first", "@../key", "@../last", "@../index.x", "@../key.length")
	}
	if g.loops > 2 {
		ps = append(ps, "@../../index", "@../../key")
	}
	ps = append(ps, g.params...)
	return g.pick(ps...)
}

// stringLit is a string literal, with the escapes handlebars.js reads:
// only a backslash before the literal's own quote escapes.
func (g *probeGen) stringLit() string {
	if g.json {
		// Inside a JSON string a quote or backslash would end or escape it.
		return g.pick("'s'", "'}}'", "'a b'", "''")
	}
	return g.pick(`'it\'s'`, `"say \"hi\""`, `'a\\b'`, `'}}'`, `"a'b"`, `'x\ny'`, `'a b'`, `''`)
}

// literal is a parameter literal.
func (g *probeGen) literal() string {
	return g.pick("'s'", "'<&>'", "12", "-1.5", "0", "true", "false", "null", "undefined", "''")
}

func (g *probeGen) arg() string {
	switch g.r.IntN(5) {
	case 0:
		return g.literal()
	case 1:
		return "(" + g.call() + ")"
	default:
		return g.path()
	}
}

// call is a helper call, or a path.
func (g *probeGen) call() string {
	switch g.r.IntN(10) {
	case 0:
		return "upper " + g.arg()
	case 1:
		return "lower " + g.arg()
	case 2:
		return "default " + g.arg() + " " + g.arg()
	case 3:
		return "eq " + g.arg() + " " + g.arg()
	case 4:
		return "ne " + g.arg() + " " + g.arg()
	case 5:
		return "join " + g.pick("items", "nums", "none", "tags") + g.pick("", " '-'", " sep='+'")
	case 6:
		return "lookup " + g.pick("obj 'a'", "obj 'c'", "items 0", "items 2", "list 1", ". 'name'", "obj 'missing'", "z.nul 'x'") + g.ignoredHash()
	case 7:
		return "count " + g.path()
	default:
		return g.path()
	}
}

func (g *probeGen) cond() string {
	c := g.arg()
	if g.r.IntN(6) == 0 {
		c += " includeZero=true"
	}
	return c + g.ignoredHash()
}

// ignoredHash is a hash argument that Handlebars' own helpers ignore,
// sometimes.
func (g *probeGen) ignoredHash() string {
	if g.r.IntN(10) == 0 {
		return g.pick(" k=1", " k=(upper name)", " k=missing j=''")
	}
	return ""
}

func (g *probeGen) body() string {
	g.depth++
	defer func() { g.depth-- }()
	return g.nodes(g.r.IntN(4))
}

// standalone puts a block tag alone on its line, sometimes.
func (g *probeGen) standalone(tag string) string {
	if !g.json && g.r.IntN(5) == 0 {
		nl := g.pick("\n", "\n", "\r\n")
		return nl + g.pick("", "  ", "\t") + tag + nl
	}
	return tag
}

func (g *probeGen) block() string {
	switch g.r.IntN(10) {
	case 0, 1:
		name := g.pick("if", "unless")
		open := g.standalone(g.tilde("{{", "#"+name+" "+g.cond(), "}}"))
		s := open + g.body()
		if g.r.IntN(2) == 0 {
			if g.r.IntN(2) == 0 {
				s += g.standalone(g.tilde("{{", "else "+g.pick("if", "unless")+" "+g.cond(), "}}")) + g.body()
			}
			s += g.standalone(g.pick("{{else}}", "{{^}}", "{{~else~}}")) + g.body()
		}
		return s + g.standalone(g.tilde("{{", "/"+name, "}}"))
	case 2:
		s := "{{^if " + g.cond() + "}}" + g.body()
		if g.r.IntN(2) == 0 {
			s += "{{else}}" + g.body()
		}
		return s + "{{/if}}"
	case 3, 4:
		list := g.pick("items", "nums", "none", "list", "obj", "missing", "n", "list.[1].tags", "@root.items", "name", "mixed", "numk", "eo", "z", "sgl")
		if g.depth > 0 {
			list = g.pick(list, "tags", "../items", "this")
		}
		open := "#each " + list + g.ignoredHash()
		var params []string
		if g.r.IntN(3) == 0 {
			params = []string{g.pick("v", "it"), g.pick("i", "k")}
			if g.r.IntN(4) == 0 {
				params = append(params, "x3")
			}
			open += " as |" + strings.Join(params, " ") + "|"
		}
		saved := g.params
		g.params = append(append([]string{}, g.params...), params...)
		g.loops++
		s := g.standalone(g.tilde("{{", open, "}}")) + g.body()
		g.loops--
		g.params = saved
		s += g.elseChain()
		return s + g.standalone(g.tilde("{{", "/each", "}}"))
	case 5, 6:
		target := g.pick("obj", "obj.c", "list.[0]", "missing", "zero", "name", "items", "z.nul", "empty", "t", "eo", "numk")
		open := "#with " + target + g.ignoredHash()
		var params []string
		if g.r.IntN(3) == 0 {
			params = []string{g.pick("w", "o")}
			open += " as |" + params[0] + "|"
		}
		saved := g.params
		g.params = append(append([]string{}, g.params...), params...)
		s := g.standalone(g.tilde("{{", open, "}}")) + g.body()
		g.params = saved
		s += g.elseChain()
		return s + g.standalone(g.tilde("{{", "/with", "}}"))
	case 7:
		name := g.pick("t", "f", "items", "obj", "missing", "zero", "empty", "list", "z.nul", "name")
		if g.r.IntN(2) == 0 {
			return "{{^" + name + "}}" + g.body() + "{{/" + name + "}}"
		}
		open := "#" + name
		var params []string
		if g.r.IntN(3) == 0 {
			// Over a list, a section gives block parameters as each does;
			// over another value, those of the parts around its tag.
			params = []string{g.pick("v", "it"), g.pick("i", "k")}
			open += " as |" + strings.Join(params, " ") + "|"
		}
		saved := g.params
		g.params = append(append([]string{}, g.params...), params...)
		g.loops++ // a section over a list loops
		s := "{{" + open + "}}" + g.body() + "{{/" + name + "}}"
		g.loops--
		g.params = saved
		return s
	case 8:
		// Block parameters are not seen in an inline partial, where
		// handlebars.js fails on them.
		saved := g.params
		g.params = nil
		defer func() { g.params = saved }()
		if g.json {
			return "{{#*inline 'z'}}[" + g.path() + "]{{/inline}}{{> z}}"
		}
		return "{{#*inline \"z\"}}(" + g.body() + "){{/inline}}|" + g.body() + "{{> z}}"
	default:
		switch g.r.IntN(3) {
		case 0:
			return "{{#> p}}" + g.body() + "{{/p}}"
		case 1:
			// The content of a partial block sees the contexts around
			// its block tag, and the layout its own.
			return g.standalone(g.tilde("{{", "#> lay"+g.pick("", " obj", " obj.c", " a=1", " mixed"), "}}")) + g.body() + g.standalone(g.tilde("{{", "/lay", "}}"))
		}
		return "{{#*inline 'w'}}<" + g.path() + "{{> @partial-block}}>{{/inline}}{{#> w}}" + g.body() + "{{/w}}"
	}
}

// elseChain is the else part of an each or with block: none, a plain
// {{else}}, or a chain of {{else if}}, {{else each}}, {{else with}} and
// {{else unless}} parts, with a last {{else}} or not.
func (g *probeGen) elseChain() string {
	var s string
	switch g.r.IntN(6) {
	case 0, 1:
		return ""
	case 2, 3:
		return g.standalone(g.tilde("{{", g.pick("else", "^"), "}}")) + g.body()
	}
	for range 1 + g.r.IntN(3) {
		switch g.r.IntN(4) {
		case 0:
			s += g.standalone(g.tilde("{{", "else if "+g.cond(), "}}")) + g.body()
		case 1:
			s += g.standalone(g.tilde("{{", "else unless "+g.cond(), "}}")) + g.body()
		case 2:
			g.loops++
			s += g.standalone(g.tilde("{{", "else each "+g.pick("items", "none", "obj", "missing", "list", "nums"), "}}")) + g.body()
			g.loops--
		default:
			s += g.standalone(g.tilde("{{", "else with "+g.pick("obj", "missing", "zero", "t", "list.[0]"), "}}")) + g.body()
		}
	}
	if g.r.IntN(2) == 0 {
		s += g.standalone(g.tilde("{{", "else", "}}")) + g.body()
	}
	return s
}

// literalSegments writes paths with [segment literals], quoted names and
// numbers as segments, and tags made of one literal, which name a field.
func (g *probeGen) literalSegments() string {
	ps := []string{"[a b]", "obj.[c].d", "[obj].b", "obj.[b]", "numk.[10]", "numk.[01]", "numk.[2]", "list.0.name",
		"list.[1].name", "items.[0]", "[items].[2]", "obj/[c]/d", "this.[a b]", "./[a b]", "12", "1.50", "-1", "true",
		"false", "null", "undefined", "[true]", "[12]", "name.[0]", "uni.[2]", "uni.length", "lone.length", "[]"}
	if !g.json {
		ps = append(ps, `"a b"`, `"name"`, `'obj'`, `[a"b]`)
	} else {
		ps = append(ps, `'a b'`, `'name'`)
	}
	p := g.pick(ps...)
	if g.r.IntN(3) == 0 {
		return g.tilde("{{", g.pick("lookup . ", "default 'x' ", "eq 'x' ", "lookup obj ", "lookup items ")+p, "}}")
	}
	return g.tilde("{{", p, "}}")
}

// subexpressions writes helper calls nested in one another, with hash
// arguments, and lookup over the value of a subexpression.
func (g *probeGen) subexpressions() string {
	return g.tilde("{{", g.pick(
		"join (flatten list 'tags') sep='+'",
		"upper (join items sep='-')",
		"truncate (upper name) 5 ellipsis='~'",
		"truncate name 4 ellipsis=(lower 'AB')",
		"lookup obj (lookup keys 'k')",
		"lookup items (lookup keys 'i')",
		"lookup items (count list)",
		"lookup (lookup list 0) 'name'",
		"lookup (lookup list 1) 'tags'",
		"count (lookup list 0)",
		"default (lookup obj 'zz') (join nums sep=';')",
		"eq (lookup obj 'a') 1",
		"json (lookup numk 'a')",
		"join items sep=(lookup keys 'k')",
		"lower (default missing (upper 'x'))",
	), "}}") + g.pick("",
		"{{#with (lookup list 0)}}{{name}}{{/with}}",
		"{{#each (lookup list 0)}}{{@key}};{{/each}}",
		"{{#if (lookup obj 'a')}}y{{else}}n{{/if}}",
		"{{#each (flatten list 'tags')}}{{this}}{{@index}}{{/each}}",
		"{{#with (lookup obj 'c') as |c|}}{{c.d}}{{/with}}",
	)
}

// literalsEverywhere writes a number, boolean, null, undefined or string
// literal in each position a parameter may take.
func (g *probeGen) literalsEverywhere() string {
	lit := g.pick("12", "-1.5", "0", "1", "true", "false", "null", "undefined", "'s'", "''", "'0'")
	forms := []string{
		"{{#if L}}a{{else}}b{{/if}}", "{{#if L includeZero=true}}a{{else}}b{{/if}}", "{{#unless L}}a{{/unless}}",
		"{{#each L}}[{{this}}|{{@key}}]{{else}}e{{/each}}", "{{#with L}}[{{this}}]{{else}}e{{/with}}",
		"{{eq L L}}", "{{ne L 0}}", "{{default L 'd'}}", "{{lookup obj L}}", "{{lookup items L}}", "{{lookup L 'length'}}",
		"{{upper L}}", "{{join items sep=L}}", "{{count L}}", "{{json L}}", "{{#each items}}{{lookup ../items L}}{{/each}}",
		"{{#if (eq L L)}}y{{/if}}", "{{> up obj a=L}}", "{{#with obj as |o|}}{{lookup o L}}{{/with}}",
	}
	if !g.json {
		forms = append(forms, "{{> p L}}", "{{#> lay a=L}}c{{/lay}}")
	}
	return strings.ReplaceAll(g.pick(forms...), "L", lit)
}

// escapesAndTildes writes escaped tags, and ~ on each kind of tag.
func (g *probeGen) escapesAndTildes() string {
	if g.json {
		// A backslash of the JSON text before a tag is refused on purpose.
		return g.pick("{{~#if t~}} x {{~else~}} y {{~/if~}}", "{{~#each items~}} {{this}} {{~/each~}}",
			"{{~{n}~}}", "{{~&n~}}", "{{~! c ~}}", "{{~> p~}}", "{{~#> p~}} c {{~/p~}}", "{{~#*inline 'i'~}} I {{~/inline~}} {{~> i~}}",
			"{{~#with obj~}} {{~b~}} {{~^~}} {{~/with~}}", "{{~^t~}} a {{~/t~}}")
	}
	return g.pick(`\{{name}} x{{n}}`, `a\{{#if}}b`, `\\{{n}}`, `\{{{name}}}`, `\{{!x}}{{n}}`, `x \{{> p}}`,
		"{{~#if t~}} x {{~else~}} y {{~/if~}}", "{{~#each items~}} {{this}} {{~/each~}}", "{{~{name}~}}", "{{~&name~}}",
		"{{~! c ~}}", "{{~!-- c --~}}", " {{~> p~}} ", "\n {{~> q}}\n", "{{~#> p~}} c {{~/p~}}",
		"{{~#*inline \"i\"~}} I {{~/inline~}} {{~> i~}}", "{{~#with obj~}} {{~b~}} {{~^~}} {{~/with~}}", "{{~^t~}} a {{~/t~}}",
		" {{~{{raw}}~}} x {{{{/raw}}}} ", "{{#if f}}a {{~else~}} b{{/if}}")
}

// breakTemplate makes a template that is probably not valid Handlebars.
func (g *probeGen) breakTemplate(src string) string {
	switch g.r.IntN(9) {
	case 0:
		if i := strings.LastIndex(src, "}}"); i >= 0 {
			return src[:i] + src[i+2:]
		}
	case 1:
		return src + "{{/if}}"
	case 2:
		return "{{#if t}}" + src
	case 3:
		return src + "{{else}}"
	case 4:
		return src + "{{#each}}x{{/each}}"
	case 5:
		return src + "{{" + g.pick("a b c=", "(upper", "x.[y", "@", "../", "#if t}}{{/unless", "> ", "!--")
	case 6:
		return src + "{{{name}}"
	case 7:
		// A helper that does not exist: handlebars.js fails when it
		// renders, Outhook at Parse.
		return src + g.pick("{{shout name}}", "{{#shout name}}x{{/shout}}", "{{upper (shout name)}}", "{{#if (shout)}}x{{/if}}")
	}
	if g.json {
		// Deliberately read as the tag then a } in JSON mode.
		return src + "{{#if}}"
	}
	return src + "{{name}}}"
}
