package template

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/outhook/outhook/internal/jsondoc"
)

type nodeKind uint8

const (
	nText    nodeKind = iota
	nValue            // an interpolation tag
	nBlock            // a section, inverted section or block helper
	nPartial          // a partial inclusion (HTML and Text modes)
	nCond             // text chosen by @first, @last or @index (see optimize)
	nPlain            // {{!plain}} in JSON mode: the string it opens is text
	nFloor            // JSON mode: the start (isolate) or end of a partial inlined where ../ stops
)

type blockKind uint8

const (
	bSection  blockKind = iota // {{#x}}: each element of a list, else once with x as context if truthy
	bInverted                  // {{^x}}: once if x is false, null, missing or []
	bIf                        // {{#if x}}
	bUnless                    // {{#unless x}}
	bEach                      // {{#each x}}: arrays and objects, with @index, @key, @first, @last
	bWith                      // {{#with x}}: once with x as context if truthy
	bPartial                   // {{> p x k=v}}: the partial, once, with x and the hash as context
)

// node is one element of a parsed template. Its fields are ordered by size,
// so that padding does not grow the nodes every template holds.
type node struct {
	src     *source
	text    string              // nText: the text; nCond: the text when the condition holds
	altText string              // nCond: the text otherwise
	lead    string              // text written before the node (see optimize)
	expr    *expr               // nValue, nBlock: what is rendered or tested; nText: nil, or what addLog computes
	body    []node              // nBlock
	alt     []node              // nBlock: the {{else}} part
	part    *partial            // nPartial
	indent  string              // nPartial: written at the start of each line it outputs
	dyn     map[string]*partial // nPartial with a dynamic name: the partials by name
	hash    []hashArg           // nBlock of a partial: its hash arguments
	name    string              // nBlock: the opening tag's first word, for messages
	pos     int                 // offset of the tag or text in src
	close   int                 // nBlock: offset of the closing tag
	pass    int32               // the analysis pass that set esc
	id      int32               // nText: identifies the text for the JSON analysis
	params  int32               // nBlock of each, with or a section with block parameters, or whose parameters a section inside takes (sectionChain): their id
	kind    nodeKind
	block   blockKind
	esc     esc  // how a value is escaped in JSON mode, set by the JSON analysis
	raw     bool // {{{x}}} or {{&x}}
	// plainString marks a path inside a string of the outer JSON document,
	// not in strict mode: Execute has a fast path for it.
	plainString bool
	mustFind    bool // nPartial of {{> (expr)}}: a name that is no partial is an error
	nameOutside bool // nPartial of {{> (expr) x}}: expr is read outside the block that makes x the context
	// isolate marks the inclusion of a partial, in the Handlebars dialect
	// (nPartial, the nBlock of a partial with a context, or the nFloor
	// before an inlined one): as in handlebars.js, ../ inside it does not
	// reach the contexts around the tag.
	isolate bool
	// chain is, for a section with block parameters, the blocks around it
	// whose parameters handlebars.js gives as its own over a value that
	// is not a list (see sectionChain).
	chain *sectionChain
	// blockCall marks a partial called as a block ({{#> p}}…{{/p}}): the
	// floor of ../ around it is kept for its content, and unfloor marks
	// the inclusion of that content
	// ({{> @partial-block}}, or the nFloors around it), where ../ reaches
	// the contexts around the block tag again.
	blockCall, unfloor bool
	// standIn marks the inclusion of a partial block's content in place
	// of its missing partial, which handlebars.js renders as a layout
	// would include it, with two more levels of loop data (see
	// state.outerData).
	standIn bool
	// scope is, on a block other than a partial's, the mark of the
	// scopes of its parts that define inline partials; on the inclusion
	// of an inline partial written in a block part (nPartial, the nBlock
	// of a partial with a context, or the nFloors around an inlined one),
	// the mark of that part's scope: ../ inside it goes from its context
	// to the context of that block's tag, as in handlebars.js, wherever
	// it is included (see partialEnv.mark). 0 is none.
	scope int32
	// trueKeeps marks a section whose context stays the current one when
	// its value is true, as in Handlebars.
	trueKeeps bool
	// keepsLoop marks a section that, over a value that is not a list,
	// leaves @index, @first and @last to the loop around, as in
	// Handlebars; the mustache dialect makes the value a list of one.
	keepsLoop bool
}

// partial is a parsed partial template, shared by every inclusion with the
// same indentation.
type partial struct {
	nodes []node
}

type exprKind uint8

const (
	ePath  exprKind = iota // a field reference
	eLit                   // a literal: string, number, true, false, null
	eCall                  // a helper call
	eData                  // @index, @key, @first, @last
	eParam                 // a block parameter: {{#each xs as |x i|}}
)

type dataVar uint8

const (
	dIndex dataVar = iota
	dKey
	dFirst
	dLast
)

// seg is one member name or array index of a path.
type seg struct {
	key    string
	idx    int  // the key as an array index, or -1
	length bool // the key is "length": the count of an array or string
}

// arrayIndex returns the element key names, or -1: as in JavaScript, only
// the canonical text of an index does ("1", not "01" or "+1").
func arrayIndex(key string) int {
	n, err := strconv.Atoi(key)
	if err != nil || n < 0 || strconv.Itoa(n) != key {
		return -1
	}
	return n
}

// expr is a value computed by a tag: a path, a literal or a helper call.
// Its fields are ordered by size, to keep padding out.
type expr struct {
	text string // as written, for messages
	segs []seg
	lit  any
	fn   *helper
	args []*expr
	// pre are the subexpressions among the hash arguments of the tag
	// that nothing reads, which handlebars.js computes all the same:
	// Execute computes them first, for their errors.
	pre []*expr
	// loopVar is, for a path from a loop variable (@index.x), that
	// variable.
	loopVar *expr
	// lenOf is the path before a final .length, so that Execute can
	// render the count without boxing it.
	lenOf *expr
	// includeZero is the includeZero=x hash argument of if and unless.
	includeZero *expr
	pos         int
	up          int // number of leading ../
	// param is the block that declares an eParam, and paramIndex tells
	// which of its parameters it is: 0 the item, 1 its index or key.
	param      int32
	paramIndex bool
	paramAt    int // which of its parameters, from 0
	// paramNone marks a block parameter that its block gives no value:
	// each gives two, with one, and any more are missing.
	paramNone bool
	kind      exprKind
	data      dataVar
	// rootSlot, when not 0, is 1 + the slot of state.rootCache that holds
	// the data's member named by the first segment.
	rootSlot uint8
	local    bool // starts with this, ./ or ../, or any path in the Handlebars dialect: no lookup in enclosing contexts
	root     bool // starts with @root
	// escaped marks a string literal written \"lit\", as in a tag inside
	// a JSON string; the JSON analysis checks that it stands in one.
	escaped bool
	// byName is set when the path starts with a name (not this, ../,
	// @root or an index), looked up in the enclosing contexts too unless
	// local is set.
	byName bool
	// length is set when a segment is named length, which the fast paths
	// of lookup leave to member.
	length bool
}

// hashArg is a key=value argument of a tag.
type hashArg struct {
	key string
	pos int
	val *expr
}

// parser turns tokens into nodes.
type parser struct {
	cfg       *config
	helpers   map[string]*helper
	partials  map[string]*partial // HTML and Text modes, by name and indentation
	inline    []string            // JSON mode: the partials being inlined, to refuse recursion
	rootSlots map[string]uint8    // see expr.rootSlot
	params    []blockParams       // the block parameters in scope, innermost last
	nParams   int32               // the blocks with parameters so far
	env       *partialEnv         // the inline partials and partial block in scope
	// inContextBlock is set while addPartial reads the partial of a
	// {{> p x}} tag, whose block already makes x the context.
	inContextBlock bool
	// byValue counts the partials being read for a partial tag whose name
	// a value gives, any of which it may include.
	byValue  int
	nEnv     int       // the partialEnvs and tokDefs so far, for their ids
	depth    int       // HTML and Text modes: partials being compiled
	blocks   int       // blocks open, in the partials being inlined too
	inlined  int       // JSON mode: tokens parsed and nodes copied for partials inlined
	defs     []*tokDef // the partials written in the template, in order
	checking bool      // checkUnused: partial tags are skipped
	rootPart bool      // parseTokens reads the text of a template or partial, not a block's
	// truncated is set while parseTokens reads the tokens before a lexer
	// error: a block left open there is errTruncated.
	truncated bool
	// reading is how many firstIn calls are under way, one in another.
	reading int
}

// partialEnv is a scope of partials written in the template: the inline
// partials of a block ({{#*inline "name"}}) and the content of the partial
// block being included ({{> @partial-block}}).
type partialEnv struct {
	id     int
	parent *partialEnv
	inline map[string]*tokDef
	block  *tokDef
	root   bool // the scope of a template's or partial's text outside every block
	// mark identifies, for the scope of a block's part, the block while it
	// is rendered (node.scope), or is 0.
	mark int32
}

// tokDef is a partial written in the template, as its tokens: the body of
// an inline partial or the content of a partial block.
type tokDef struct {
	id   int
	src  *source
	toks []token
	env  *partialEnv // the scope it is written in
	used bool        // parsed at least once
	// inlineAt is, for the content of a partial block, how many partials
	// were being inlined at its block tag in JSON mode: the content is
	// the caller's, so the layouts inlined since are no recursion in it.
	inlineAt int
	// params are, for the content of a partial block, the block
	// parameters in scope at its block tag, which it sees; for an inline
	// partial, those around it, which it does not.
	params []blockParams
}

// lookup returns the partial written in the template that name means in
// env, or nil.
func (env *partialEnv) lookup(name string) *tokDef {
	for ; env != nil; env = env.parent {
		if name == "@partial-block" && env.block != nil {
			return env.block
		}
		if d := env.inline[name]; d != nil {
			return d
		}
	}
	return nil
}

func (env *partialEnv) ident() int {
	if env == nil {
		return 0
	}
	return env.id
}

// blockParams are the names a block declares with as |x i|.
type blockParams struct {
	id    int32
	names []string
	given int // the parameters the block gives values to, the first ones
	// block names an if, unless or section whose parameters handlebars.js
	// reads but gives no values, failing where one is used.
	block string
	// inline marks the parameters of the blocks around an inline partial,
	// which handlebars.js fails on inside it.
	inline bool
}

// openFrame is a section being parsed.
type openFrame struct {
	n       *node
	inElse  bool
	chained bool        // opened by {{else if x}}: closed with its parent
	inverse bool        // {{^if x}} and the like: the parts are swapped at the end
	params  bool        // declares block parameters, in scope until the end
	env     *partialEnv // the scope around the block
	body    []node
	alt     []node
}

// parseSource parses src into nodes.
func (p *parser) parseSource(src *source, left, right string) ([]node, error) {
	lits := literalsNone
	if p.cfg.dialect == Handlebars {
		// Inside a JSON string a " ends the string, or is escaped.
		lits = literalsAll
		if p.cfg.mode == JSON {
			lits = literalsSingle
		}
	}
	toks, err := lex(src, left, right, p.cfg.mode != JSON && p.cfg.dialect == Handlebars, lits)
	if err != nil {
		// An error in the tags before the one the lexer fails on comes
		// first in the text, and a reader going down it expects that one.
		p.truncated, p.rootPart = true, true
		_, first := p.parseTokens(src, toks)
		p.truncated = false
		if first != nil && !errors.Is(first, errTruncated) {
			return nil, first
		}
		return nil, err
	}
	p.rootPart = true
	return p.parseTokens(src, toks)
}

// firstIn returns the first error of toks[from:to], read as a template's
// text is, or err, an error of toks[to] found before them: a wrong close or
// else of a block is seen before the block's content is read, and a reader
// going down the text expects an error in that content first.
func (p *parser) firstIn(src *source, toks []token, from, to int, err error) error {
	if p.reading >= maxBlockDepth {
		// So deep in blocks read for an earlier error, the stack must
		// not grow further: err stands.
		return err
	}
	p.reading++
	defer func() { p.reading-- }()
	saved := p.truncated
	p.truncated = true
	// The tags of toks[from:to] close and else each other as linked for
	// the whole: a block's content, before its close or else, or the
	// rest of the text after a block left open, or the tags of a part
	// before an inline partial, each holds the blocks it opens whole.
	// Read as they are, blocks nested in turn cost no copy each.
	_, first := p.parseTokens(src, toks[from:to])
	p.truncated = saved
	if first != nil && !errors.Is(first, errTruncated) {
		return first
	}
	return err
}

// errTruncated is what parsing the tokens before a lexer error gives for a
// block those tokens leave open, which is no error of the template.
var errTruncated = errors.New("template: tokens end before the block does")

// parseTokens parses the tokens of src into nodes.
func (p *parser) parseTokens(src *source, toks []token) ([]node, error) {
	savedEnv := p.env
	defer func() { p.env = savedEnv }()
	if len(p.inline) > 0 {
		p.inlined += len(toks)
	}
	var err error
	root := p.rootPart
	p.rootPart = false
	if p.env, err = p.scope(p.env, src, toks, 0); err != nil {
		return nil, err
	}
	if root && p.env != savedEnv {
		p.env.root = true
	}
	var stack []*openFrame
	top := &openFrame{}
	base := p.blocks
	defer func() { p.blocks = base }()
	push := func(f *openFrame, pos int) error {
		stack = append(stack, f)
		if p.blocks = base + len(stack); p.blocks > maxBlockDepth {
			return src.errorf(pos, "blocks nested more than "+strconv.Itoa(maxBlockDepth)+" deep (each {{else if}} of a chain counts as one)")
		}
		return nil
	}
	add := func(n node) {
		f := top
		if len(stack) > 0 {
			f = stack[len(stack)-1]
		}
		list := &f.body
		if f.inElse {
			list = &f.alt
		}
		if n.kind == nText && n.expr == nil && len(*list) > 0 {
			if last := &(*list)[len(*list)-1]; last.kind == nText && last.expr == nil && last.src == n.src && last.pos+len(last.text) == n.pos {
				last.text += n.text
				return
			}
		}
		*list = append(*list, n)
	}
	// addLog adds, for a call of log whose arguments hold subexpressions,
	// a node that writes nothing and computes them, as handlebars.js
	// does, for their errors.
	addLog := func(e *expr, pos int) {
		var pre []*expr
		for _, a := range e.args {
			if a.kind == eCall {
				pre = append(pre, a)
			}
		}
		if pre = append(pre, e.pre...); len(pre) > 0 {
			add(node{kind: nText, pos: pos, src: src, expr: &expr{pre: pre}})
		}
	}
	closeFrame := func() (node, bool) {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		p.blocks = base + len(stack)
		if f.params {
			p.params = p.params[:len(p.params)-1]
		}
		p.env = f.env
		n := *f.n
		n.body, n.alt = f.body, f.alt
		if f.inverse {
			n.body, n.alt = f.alt, f.body
		}
		if n.block == bInverted && f.inElse {
			// {{^x}}a{{else}}b{{/x}} is {{#x}}b{{else}}a{{/x}} in
			// handlebars.js: b runs for each element of a list, in it.
			n.block = bSection
			n.body, n.alt = f.alt, f.body
		}
		return n, f.chained
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.kind {
		case tokText:
			add(node{kind: nText, text: t.text, pos: t.pos, src: src})
		case tokComment:
			if p.cfg.mode == JSON && strings.TrimSpace(t.text) == "plain" {
				add(node{kind: nPlain, pos: t.pos, src: src})
			}
		case tokDelim:
		case tokVar, tokRaw:
			e, hash, err := p.parseExpr(src, t.pos, t.text, false)
			if err != nil {
				return nil, err
			}
			if e.kind == eCall && e.fn == logHelper {
				// Handlebars' log writes to the console; here it is a no-op.
				addLog(e, t.pos)
				continue
			}
			if len(hash) > 0 {
				return nil, src.errorf(hash[0].pos, "hash arguments (key=value) are supported only on if, unless, partials and the helpers that take them")
			}
			add(node{kind: nValue, raw: t.kind == tokRaw, expr: e, pos: t.pos, src: src})
		case tokSection, tokInverted:
			if t.kind == tokSection && strings.HasPrefix(t.text, "*") {
				// An inline partial, which scope has read.
				if i, _ = matchClose(toks, i); i < 0 {
					return nil, errTruncated // the tokens end in it
				}
				continue
			}
			if t.kind == tokSection && strings.HasPrefix(t.text, ">") {
				j, err := p.addPartialBlock(src, toks, i, add)
				if err != nil {
					return nil, err
				}
				i = j
				continue
			}
			n, err := p.openBlock(src, t)
			if err != nil {
				return nil, err
			}
			if n.block == bSection && n.params != 0 {
				n.chain = p.sectionChain(stack, root)
			}
			if err := push(&openFrame{n: n, inverse: t.kind == tokInverted && n.block != bInverted, params: n.params != 0, env: p.env}, t.pos); err != nil {
				return nil, err
			}
			outer := p.env
			if p.env, err = p.scope(p.env, src, toks, i+1); err != nil {
				return nil, err
			}
			if p.env != outer {
				p.env.mark = int32(p.env.id)
				n.scope = p.env.mark
			}
		case tokElse:
			if len(stack) == 0 {
				return nil, src.errorf(t.pos, "{{else}} outside a section")
			}
			f := stack[len(stack)-1]
			if f.inElse {
				return nil, src.errorf(t.pos, "second {{else}} in {{#"+f.n.name+"}}")
			}
			if t.text != "" && (f.inverse || f.n.block == bInverted) {
				// handlebars.js chains {{else x}} only after {{#…}}.
				return nil, src.errorf(t.pos, "{{else "+t.text+"}} in {{^"+f.n.name+"}}: only a plain {{else}} may follow {{^…}}")
			}
			f.inElse = true
			if f.params {
				// The {{else}} part runs without the block's parameters.
				p.params = p.params[:len(p.params)-1]
				f.params = false
			}
			var err error
			if p.env, err = p.scope(f.env, src, toks, i+1); err != nil {
				return nil, err
			}
			newScope := p.env != f.env
			if t.text == "" {
				if newScope {
					// One mark for both parts, which never run at once.
					if f.n.scope == 0 {
						f.n.scope = int32(p.env.id)
					}
					p.env.mark = f.n.scope
				}
			} else {
				n, err := p.openBlock(src, token{kind: tokSection, text: t.text, pos: t.pos})
				if err != nil {
					return nil, err
				}
				if n.block == bSection && n.params != 0 {
					// In the else part of the block around.
					n.chain = p.sectionChain(stack, root)
				}
				if newScope {
					p.env.mark = int32(p.env.id)
					n.scope = p.env.mark
				}
				if err := push(&openFrame{n: n, chained: true, env: f.env}, t.pos); err != nil {
					return nil, err
				}
			}
		case tokClose:
			if len(stack) == 0 {
				return nil, src.errorf(t.pos, "closing tag {{/"+t.text+"}} without an opening tag")
			}
			addBlock := func(n node) {
				if e := n.expr; e.kind == eCall && !e.fn.custom && (n.block == bSection || n.block == bInverted) {
					// handlebars.js's helpers ignore the block they are
					// called with, {{else lookup x k}} too: log writes
					// nothing, the others their value as it is, as
					// {{{eq a b}}} does.
					if e.fn != logHelper {
						add(node{kind: nValue, raw: true, expr: e, pos: n.pos, src: n.src})
					} else {
						addLog(e, n.pos)
					}
					return
				}
				add(n)
			}
			n, chained := closeFrame()
			// Blocks opened by {{else if x}} close along with their parent.
			for chained {
				n.close = t.pos
				addBlock(n)
				n, chained = closeFrame()
			}
			if t.text != n.name {
				return nil, src.errorf(t.pos, "closing tag {{/"+t.text+"}} does not match {{#"+n.name+"}} opened at "+posString(src, n.pos))
			}
			n.close = t.pos
			addBlock(n)
		case tokPartial:
			if err := p.addPartial(src, t, add, nil); err != nil {
				return nil, err
			}
		}
	}
	if len(stack) > 0 && p.truncated {
		return nil, errTruncated
	}
	if len(stack) > 0 {
		f := stack[len(stack)-1]
		for f.chained && len(stack) > 1 {
			stack = stack[:len(stack)-1]
			f = stack[len(stack)-1]
		}
		return nil, src.errorf(f.n.pos, "unclosed section {{#"+f.n.name+"}}: missing {{/"+f.n.name+"}}")
	}
	return top.body, nil
}

func posString(src *source, off int) string {
	line, col := src.position(off)
	return strconv.Itoa(line) + ":" + strconv.Itoa(col)
}

// openBlock parses the opening tag of a section or block helper.
func (p *parser) openBlock(src *source, t token) (*node, error) {
	if t.text == "" {
		return nil, src.errorf(t.pos, "empty section name")
	}
	name, rest, _ := strings.Cut(t.text, " ")
	rest = strings.TrimSpace(rest)
	n := &node{kind: nBlock, block: bSection, pos: t.pos, src: src, name: name, trueKeeps: p.cfg.dialect == Handlebars, keepsLoop: p.cfg.dialect == Handlebars}
	helperBlock := true
	if t.kind == tokInverted && (name != "if" && name != "unless" && name != "each" && name != "with" || rest == "") {
		n.block = bInverted
		rest = t.text
		helperBlock = false
	} else {
		switch name {
		case "if":
			n.block = bIf
		case "unless":
			n.block = bUnless
		case "each":
			n.block = bEach
		case "with":
			n.block = bWith
		default:
			rest = t.text
			helperBlock = false
		}
		if n.block != bSection && rest == "" {
			return nil, src.errorf(t.pos, "{{#"+name+"}} needs an argument")
		}
	}
	if names, before, ok := cutBlockParams(rest); ok {
		valueless := ""
		if n.block != bEach && n.block != bWith && n.block != bSection || t.kind == tokInverted {
			// handlebars.js reads them, and fails where one is used.
			valueless = "{{#" + name + "}}"
			if t.kind == tokInverted {
				valueless = "{{^" + name + "}}"
			}
		}
		for _, name := range names {
			if name == "" || strings.ContainsAny(name, notInName+"./[]") {
				return nil, src.errorf(t.pos, "bad block parameter name "+strconv.Quote(name))
			}
		}
		if len(names) == 0 {
			return nil, src.errorf(t.pos, "{{#"+name+"}} as || names no block parameter")
		}
		rest = before
		defer func() {
			// In scope from the block's body on.
			p.nParams++
			n.params = p.nParams
			given := 2
			if n.block == bWith {
				given = 1
			}
			p.params = append(p.params, blockParams{id: n.params, names: names, given: given, block: valueless})
		}()
	}
	e, hash, err := p.parseExpr(src, t.pos, rest, helperBlock)
	if err != nil {
		return nil, err
	}
	for _, h := range hash {
		switch {
		case n.block == bSection || n.block == bInverted:
			return nil, src.errorf(h.pos, "hash argument "+h.key+" is not supported here")
		case h.key == "includeZero" && (n.block == bIf || n.block == bUnless):
			e.includeZero = h.val
		default:
			e.pre = appendUnread(e.pre, []hashArg{h})
		}
		// handlebars.js's if, unless, each and with ignore any other
		// hash argument.
	}
	n.expr = e
	return n, nil
}

// sectionChain is what the block parameters of a section over a value that
// is not a list are: handlebars.js's blockHelperMissing calls the block
// with the block parameters of the part around the tag as its own, one
// list for each part, from the innermost out to the template's text. A
// part an each or with renders, or a section over a list, gives its item
// and index or key ([item, i]) or its value ([x]); a section over another
// value gives its own chain as one list; the parts of other blocks, and
// else parts, give none (undefined).
type sectionChain struct {
	// ids are the blocks of the parts around the tag, innermost first,
	// by their parameters' id (node.params), or 0 for a part that gives
	// none.
	ids []int32
	// end is set when ids reach the template's or partial's text;
	// otherwise the tag stands in a partial block's content or an inline
	// partial, whose parts around Outhook does not follow.
	end bool
}

// sectionChain returns the chain of a section opened inside the blocks of
// stack, in the text of a template or partial when root is set. A block
// whose part gives parameters gets an id for them if it has none.
func (p *parser) sectionChain(stack []*openFrame, root bool) *sectionChain {
	c := &sectionChain{ids: make([]int32, 0, len(stack)), end: root}
	for k := len(stack) - 1; k >= 0; k-- {
		f := stack[k]
		gives := false
		switch f.n.block {
		case bEach, bWith, bSection:
			// In {{^each xs}}A{{else}}B{{/each}}, B is the body.
			gives = f.inElse == f.inverse
		case bInverted:
			// {{^x}}A{{else}}B{{/x}} is the section {{#x}}B{{/x}}.
			gives = f.inElse
		}
		var id int32
		if gives {
			if f.n.params == 0 {
				p.nParams++
				f.n.params = p.nParams
			}
			if (f.n.block == bSection || f.n.block == bInverted) && f.n.chain == nil {
				// Over a value that is not a list, its own.
				f.n.chain = p.sectionChain(stack[:k], root)
			}
			id = f.n.params
		}
		c.ids = append(c.ids, id)
	}
	return c
}

// cutBlockParams splits "xs as |x i|" into the names and "xs".
func cutBlockParams(s string) (names []string, before string, ok bool) {
	if !strings.HasSuffix(s, "|") {
		return nil, s, false
	}
	i := strings.LastIndexByte(s[:len(s)-1], '|')
	if i < 0 {
		return nil, s, false
	}
	head := strings.TrimRight(s[:i], " \t\r\n")
	if !strings.HasSuffix(head, "as") || len(head) < 3 || !isSpace(head[len(head)-3]) {
		return nil, s, false
	}
	return strings.Fields(s[i+1 : len(s)-1]), strings.TrimSpace(head[:len(head)-2]), true
}

// indent prefixes every line of s with ind, except after a final newline.
func indent(s, ind string) string {
	if ind == "" || s == "" {
		return s
	}
	var b strings.Builder
	b.WriteString(ind)
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '\n' && i+1 < len(s) {
			b.WriteString(ind)
		}
	}
	return b.String()
}

// maxInlineDepth bounds the nesting of partials inlined in JSON mode, and
// of partials being compiled otherwise.
const maxInlineDepth = 32

// maxBlockDepth bounds the nesting of blocks, and that of subexpressions:
// the passes after parsing, rendering among them, recurse into each
// level, and a template nested a million deep would overflow the stack,
// which no recover catches.
const maxBlockDepth = 1000

// maxInlined bounds the work of inlining partials in JSON mode, the tags
// parsed and the nodes copied into the including list: a partial that
// includes another twice, which includes another twice, and so on,
// doubles them at each level.
const maxInlined = 1 << 18

// addPartial handles a {{> name}} tag, or with blk the opening tag of a
// partial block. A partial called with a context or hash arguments,
// {{> name x k=v}}, is rendered inside a block that makes them its context.
func (p *parser) addPartial(src *source, t token, add func(node), blk *tokDef) error {
	if p.checking {
		return nil
	}
	inContextBlock := p.inContextBlock
	p.inContextBlock = false
	name := t.text
	if strings.HasPrefix(name, "*") {
		return p.addDynamicPartial(src, t, add)
	}
	var rest string
	if strings.HasPrefix(name, "(") {
		// {{> (expr)}}: the partial named by the value of expr.
		ep := &exprParser{p: p, src: src, s: name, base: t.pos + strings.Index(src.text[t.pos:], name)}
		e, err := ep.item(false)
		if err != nil {
			return err
		}
		if name, rest = name[:ep.i], name[ep.i:]; strings.TrimSpace(rest) == "" {
			return p.addPartialByValue(src, t, e, add)
		}
	} else {
		name, rest, _ = strings.Cut(name, " ")
	}
	if strings.TrimSpace(rest) != "" {
		n := node{kind: nBlock, block: bPartial, pos: t.pos, src: src, name: ">" + name, close: t.pos + len(t.text)}
		ep := &exprParser{p: p, src: src, s: rest, base: t.pos + strings.Index(src.text[t.pos:], rest)}
		for {
			ep.skipSpace()
			if ep.i >= len(ep.s) {
				break
			}
			if k := hashKey(ep.s[ep.i:]); k > 0 {
				if err := ep.hashArg(k); err != nil {
					return err
				}
				continue
			}
			if n.expr != nil || len(ep.hash) > 0 {
				return ep.errorf("a partial takes one context, before its hash arguments")
			}
			var err error
			if n.expr, err = ep.item(true); err != nil {
				return err
			}
		}
		if n.expr == nil {
			n.expr, _ = parsePath(".")
			n.expr.pos = t.pos
		}
		n.hash = ep.hash
		t.text = name
		p.inContextBlock = true
		err := p.addPartial(src, t, func(b node) { n.body = append(n.body, b) }, blk)
		p.inContextBlock = false
		if err != nil {
			return err
		}
		n.isolate = p.isolates(name, blk)
		n.blockCall = blk != nil && p.cfg.dialect == Handlebars
		if d := p.env.lookup(name); d != nil && blk == nil && p.cfg.dialect == Handlebars {
			n.scope = d.env.mark
		}
		for i := range n.body {
			// A name given by a value is that of the context around.
			n.body[i].nameOutside = n.body[i].dyn != nil
		}
		add(n)
		return nil
	}
	def := p.env.lookup(name)
	body, ok := p.cfg.partials[name]
	ok = ok || def != nil
	env := p.env
	switch {
	case blk != nil && ok:
		// The partial sees the block's content and inline partials.
		p.nEnv++
		env = &partialEnv{id: p.nEnv, parent: blk.env, block: blk}
	case blk != nil:
		// No such partial: the content stands in for it.
		def, ok = blk, true
	}
	if !ok {
		fails := name == "@partial-block" || p.cfg.strict || !p.cfg.missingEmpty
		switch {
		case fails && p.byValue > 0:
			// In a partial that a tag named by a value may include, such
			// as a layout that includes the inline partials of its
			// callers: including it fails at Execute, as in handlebars.js.
			lit := &expr{kind: eLit, pos: t.pos, text: name, lit: name}
			add(node{kind: nPartial, expr: lit, dyn: map[string]*partial{}, mustFind: true, pos: t.pos, src: src})
			return nil
		case name == "@partial-block":
			return src.errorf(t.pos, "{{> @partial-block}} outside a partial called as a block ({{#> name}}…{{/name}})")
		case fails:
			return src.errorf(t.pos, "unknown partial "+strconv.Quote(name)+": WithPartials does not provide it")
		}
		return nil
	}
	if def != nil {
		denv := def.env
		if blk != nil && def != blk {
			// An inline partial called as a block.
			denv = env
		}
		hb := p.cfg.dialect == Handlebars
		floor := node{isolate: !inContextBlock && p.isolates(name, blk), blockCall: !inContextBlock && hb && blk != nil && def != blk, unfloor: hb && name == "@partial-block"}
		if hb && blk == nil && !inContextBlock && name != "@partial-block" {
			floor.scope = def.env.mark
		}
		floor.standIn = hb && blk != nil && def == blk
		return p.addTokDef(src, t, name, def, denv, add, floor)
	}
	saved := p.env
	p.env = env
	defer func() { p.env = saved }()
	isolate := p.isolates(name, blk)
	if p.cfg.mode == JSON {
		psrc := &source{name: name, text: indent(body, t.indent)}
		parse := func() ([]node, error) {
			saved := p.params
			p.params = nil
			defer func() { p.params = saved }()
			return p.parseSource(psrc, p.cfg.left, p.cfg.right)
		}
		if !isolate || inContextBlock {
			return p.inlinePartial(src, t, name, name, parse, add)
		}
		return p.inlineBetweenFloors(src, t, node{isolate: true, blockCall: blk != nil}, func() error {
			return p.inlinePartial(src, t, name, name, parse, add)
		}, add)
	}
	srcInd, outInd := p.indents(t.indent)
	part, err := p.compilePartial(name, srcInd)
	if err != nil {
		return err
	}
	add(node{kind: nPartial, part: part, pos: t.pos, src: src, indent: outInd, isolate: isolate, blockCall: isolate && blk != nil && !inContextBlock})
	return nil
}

// inlineBetweenFloors adds, in JSON mode, the nodes of a partial that
// inline adds in place, since its text may open what another partial
// closes, between marks that set where ../ stops as floor says
// (isolate, blockCall and unfloor).
func (p *parser) inlineBetweenFloors(src *source, t token, floor node, inline func() error, add func(node)) error {
	open, close := floor, floor
	open.kind, open.pos, open.src = nFloor, t.pos, src
	close.kind, close.pos, close.src = nFloor, t.pos, src
	close.text = "end" // the mark that ends the partial
	add(open)
	if err := inline(); err != nil {
		return err
	}
	add(close)
	return nil
}

// isolates reports whether including name, with blk the opening tag of a
// partial block or nil, starts from the partial's own context: in the
// Handlebars dialect, for a partial WithPartials provides or an inline
// partial written outside every block, called as a block or not. The
// content of a partial block keeps the contexts around its block tag,
// where it is written, and so does the content that stands in for a
// missing partial. handlebars.js gives an inline partial written in a
// block the contexts around that block's tag (see node.scope).
func (p *parser) isolates(name string, blk *tokDef) bool {
	if p.cfg.dialect != Handlebars || name == "@partial-block" {
		return false
	}
	if d := p.env.lookup(name); d != nil {
		return d != blk && d.env.root
	}
	_, ok := p.cfg.partials[name]
	return ok
}

// inlinePartial adds, in JSON mode, the nodes of the partial name that
// parse gives, in place, so that they are checked where they stand. key
// identifies the partial on the stack of those being inlined, which
// refuses recursion: it could not be checked.
func (p *parser) inlinePartial(src *source, t token, name, key string, parse func() ([]node, error), add func(node)) error {
	if slices.Contains(p.inline, key) {
		return src.errorf(t.pos, "partial "+strconv.Quote(name)+" includes itself: recursive partials cannot be checked in JSON mode")
	}
	if len(p.inline) >= maxInlineDepth {
		return src.errorf(t.pos, "partials nested too deeply")
	}
	p.inline = append(p.inline, key)
	nodes, err := parse()
	p.inline = p.inline[:len(p.inline)-1]
	if err != nil {
		return err
	}
	if p.inlined += len(nodes); p.inlined > maxInlined {
		return src.errorf(t.pos, "inlining partials for the JSON check passed its limit of "+strconv.Itoa(maxInlined)+" tags: a partial that includes partials several times multiplies them; include fewer")
	}
	for _, n := range nodes {
		add(n)
	}
	return nil
}

// inlineAllPartials parses, in JSON mode, every partial WithPartials
// provides where tag t stands, for a partial whose name is known only when
// the template runs: the JSON analysis follows each as one way through the
// tag.
func (p *parser) inlineAllPartials(src *source, t token) (map[string]*partial, error) {
	p.byValue++
	defer func() { p.byValue-- }()
	dyn := make(map[string]*partial, len(p.cfg.partials))
	for _, name := range slices.Sorted(maps.Keys(p.cfg.partials)) {
		psrc := &source{name: name, text: indent(p.cfg.partials[name], t.indent)}
		part := &partial{}
		err := p.inlinePartial(src, t, name, name, func() ([]node, error) {
			saved := p.params
			p.params = nil
			defer func() { p.params = saved }()
			return p.parseSource(psrc, p.cfg.left, p.cfg.right)
		}, func(n node) { part.nodes = append(part.nodes, n) })
		if err != nil {
			return nil, err
		}
		dyn[name] = part
	}
	return dyn, nil
}

// compileAllPartials compiles every partial WithPartials provides, for a
// partial whose name is known only when the template runs.
func (p *parser) compileAllPartials(srcInd string) (map[string]*partial, error) {
	p.byValue++
	defer func() { p.byValue-- }()
	dyn := make(map[string]*partial, len(p.cfg.partials))
	for name := range p.cfg.partials {
		part, err := p.compilePartial(name, srcInd)
		if err != nil {
			return nil, err
		}
		dyn[name] = part
	}
	return dyn, nil
}

// indents splits the indentation of a standalone partial tag into that of
// the partial's source and that of its output: Handlebars indents the
// lines the partial outputs, the mustache specification those of its
// template (the same in JSON mode, where no value writes a line break).
func (p *parser) indents(ind string) (srcInd, outInd string) {
	if p.cfg.mode == JSON || p.cfg.dialect == Mustache {
		return ind, ""
	}
	return "", ind
}

// addTokDef includes a partial written in the template, parsed in scope
// env: inlined in JSON mode, compiled once per indentation and scope
// otherwise (so that it may include itself).
func (p *parser) addTokDef(src *source, t token, name string, def *tokDef, env *partialEnv, add func(node), floor node) error {
	srcInd, outInd := p.indents(t.indent)
	parse := func() ([]node, error) {
		saved, savedParams := p.env, p.params
		p.env, p.params = env, def.params
		def.used = true
		defer func() { p.env, p.params = saved, savedParams }()
		return p.parseTokens(def.src, indentTokens(def.toks, srcInd))
	}
	if p.cfg.mode == JSON {
		inline := func() error { return p.inlinePartial(src, t, name, name+"\x00"+strconv.Itoa(def.id), parse, add) }
		if floor.unfloor && def.inlineAt < len(p.inline) {
			// The content of a partial block, which may include its
			// layout again ({{#> lay}}{{#> lay}}…{{/lay}}{{/lay}}).
			outer := inline
			inline = func() error {
				saved := p.inline
				p.inline = slices.Clip(saved[:def.inlineAt])
				defer func() { p.inline = saved }()
				return outer()
			}
		}
		if !floor.isolate && !floor.unfloor && !floor.blockCall && floor.scope == 0 && !floor.standIn {
			return inline()
		}
		return p.inlineBetweenFloors(src, t, floor, inline, add)
	}
	key := "\x00" + strconv.Itoa(def.id) + "\x00" + strconv.Itoa(env.ident()) + "\x00" + srcInd
	part := p.partials[key]
	if part == nil {
		if p.depth >= maxInlineDepth {
			return src.errorf(t.pos, "partials nested too deeply")
		}
		part = &partial{}
		p.partials[key] = part
		p.depth++
		nodes, err := parse()
		p.depth--
		if err != nil {
			return err
		}
		part.nodes = nodes
	}
	floor.kind, floor.part, floor.pos, floor.src, floor.indent = nPartial, part, t.pos, src, outInd
	add(floor)
	return nil
}

// compilePartial parses a partial for HTML and Text modes, once per
// indentation and scope of partials written in the template; a partial
// that includes itself gets the one being parsed.
func (p *parser) compilePartial(name, ind string) (*partial, error) {
	key := name + "\x00" + ind + "\x00" + strconv.Itoa(p.env.ident())
	part := p.partials[key]
	if part == nil {
		if p.depth >= maxInlineDepth {
			return nil, &Error{Name: name, Line: 1, Column: 1, Msg: "partials nested too deeply"}
		}
		part = &partial{}
		p.partials[key] = part
		psrc := &source{name: name, text: indent(p.cfg.partials[name], ind)}
		saved := p.params
		p.params = nil
		p.depth++
		nodes, err := p.parseSource(psrc, p.cfg.left, p.cfg.right)
		p.depth--
		p.params = saved
		if err != nil {
			return nil, err
		}
		part.nodes = nodes
	}
	return part, nil
}

// addPartialByValue handles {{> (expr)}}, which includes the partial named
// by the value of expr; every partial is parsed in advance.
func (p *parser) addPartialByValue(src *source, t token, e *expr, add func(node)) error {
	if p.cfg.mode == JSON {
		dyn, err := p.inlineAllPartials(src, t)
		if err != nil {
			return err
		}
		add(node{kind: nPartial, expr: e, dyn: dyn, mustFind: true, pos: t.pos, src: src, isolate: p.cfg.dialect == Handlebars})
		return nil
	}
	srcInd, outInd := p.indents(t.indent)
	dyn, err := p.compileAllPartials(srcInd)
	if err != nil {
		return err
	}
	add(node{kind: nPartial, expr: e, dyn: dyn, mustFind: true, pos: t.pos, src: src, indent: outInd, isolate: p.cfg.dialect == Handlebars})
	return nil
}

// addDynamicPartial handles {{>*path}}, which includes the partial named by
// the string at path. Every partial is parsed in advance.
func (p *parser) addDynamicPartial(src *source, t token, add func(node)) error {
	e, msg := parsePath(strings.TrimSpace(t.text[1:]))
	if msg == "" && strings.TrimSpace(t.text[1:]) == "" {
		msg = "a dynamic partial name must be a field: {{>*path}}"
	}
	if msg != "" {
		return src.errorf(t.pos, msg)
	}
	if e.kind != ePath {
		return src.errorf(t.pos, "a dynamic partial name must be a field")
	}
	e.pos = t.pos
	if p.cfg.mode == JSON {
		dyn, err := p.inlineAllPartials(src, t)
		if err != nil {
			return err
		}
		add(node{kind: nPartial, expr: e, dyn: dyn, pos: t.pos, src: src, isolate: p.cfg.dialect == Handlebars})
		return nil
	}
	srcInd, outInd := p.indents(t.indent)
	dyn, err := p.compileAllPartials(srcInd)
	if err != nil {
		return err
	}
	add(node{kind: nPartial, expr: e, dyn: dyn, pos: t.pos, src: src, indent: outInd, isolate: p.cfg.dialect == Handlebars})
	return nil
}

// maxRootSlots is the number of distinct first names whose lookup in the
// data is cached during an execution.
const maxRootSlots = 4

// rootSlot returns the cache slot for a first name, or 0 when all are taken.
func (p *parser) rootSlot(name string) uint8 {
	if slot, ok := p.rootSlots[name]; ok {
		return slot
	}
	if len(p.rootSlots) == maxRootSlots {
		return 0
	}
	if p.rootSlots == nil {
		p.rootSlots = make(map[string]uint8)
	}
	slot := uint8(len(p.rootSlots) + 1)
	p.rootSlots[name] = slot
	return slot
}

// exprParser reads the expression inside a tag.
type exprParser struct {
	p    *parser
	src  *source
	s    string
	i    int
	base int // offset of s in src
	hash []hashArg
	nest int // subexpressions open
	// unread are the subexpressions among the hash arguments dropped.
	unread []*expr
}

// drop removes the hash arguments from i on, whose values nothing reads,
// keeping the subexpressions among them for Execute to compute.
func (ep *exprParser) drop(i int) {
	ep.unread = appendUnread(ep.unread, ep.hash[i:])
	ep.hash = ep.hash[:i]
}

// appendUnread appends the values of hash that are subexpressions.
func appendUnread(pre []*expr, hash []hashArg) []*expr {
	for _, h := range hash {
		if h.val.kind == eCall {
			pre = append(pre, h.val)
		}
	}
	return pre
}

// parseExpr parses the content of a tag: a path, or a helper call, and its
// hash arguments. When param is set the tag is the parameter of a built-in
// block helper ({{#if true}}), where literals are literals; a tag that is
// a single literal is otherwise a name, as in Handlebars ({{"a b"}} looks
// up the field "a b").
func (p *parser) parseExpr(src *source, pos int, text string, param bool) (*expr, []hashArg, error) {
	base := pos
	if j := strings.Index(src.text[pos:], text); j >= 0 {
		base = pos + j
	}
	ep := &exprParser{p: p, src: src, s: text, base: base}
	e, err := ep.call(base, param, true)
	if err != nil {
		return nil, nil, err
	}
	ep.skipSpace()
	if ep.i < len(ep.s) {
		return nil, nil, src.errorf(base+ep.i, "unexpected "+strconv.Quote(ep.s[ep.i:ep.i+1])+" in tag")
	}
	e.pre = append(e.pre, ep.unread...)
	return e, ep.hash, nil
}

// hashArg reads a key=value argument whose "key=" is k bytes long.
func (ep *exprParser) hashArg(k int) error {
	h := hashArg{key: ep.s[ep.i : ep.i+k-1], pos: ep.base + ep.i}
	ep.i += k
	if ep.i >= len(ep.s) || isSpace(ep.s[ep.i]) || ep.s[ep.i] == ')' {
		return ep.errorf("missing value of hash argument " + h.key)
	}
	var err error
	if h.val, err = ep.item(true); err != nil {
		return err
	}
	if h.val.kind == eLit && h.val.text == "undefined" {
		// handlebars.js leaves a key whose value is undefined out of the
		// hash: {{> p name=undefined}} keeps the context's name.
		return nil
	}
	ep.hash = append(ep.hash, h)
	return nil
}

// hashKey returns the length of a "key=" prefix of s, or 0.
func hashKey(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '=' && i > 0:
			return i + 1
		case isSpace(c) || strings.IndexByte(notInName+".[]/", c) >= 0:
			return 0
		}
	}
	return 0
}

func (ep *exprParser) skipSpace() {
	for ep.i < len(ep.s) && isSpace(ep.s[ep.i]) {
		ep.i++
	}
}

func (ep *exprParser) errorf(msg string) error {
	return ep.src.errorf(ep.base+ep.i, msg)
}

// call reads items up to the end or a closing parenthesis and makes them a
// helper call or a single value.
func (ep *exprParser) call(pos int, param, top bool) (*expr, error) {
	start := ep.i
	var items []*expr
	nHash := len(ep.hash) // the hash arguments of this call come after
	for {
		ep.skipSpace()
		if ep.i >= len(ep.s) || ep.s[ep.i] == ')' {
			break
		}
		if k := hashKey(ep.s[ep.i:]); k > 0 {
			if err := ep.hashArg(k); err != nil {
				return nil, err
			}
			continue
		}
		if len(ep.hash) > nHash {
			return nil, ep.errorf("hash arguments (key=value) must come last")
		}
		if len(items) == 0 && top && !param && ep.s[ep.i] == '(' {
			// handlebars.js refuses {{(x)}}: a tag names its helper or value.
			return nil, ep.errorf("a tag cannot begin with a subexpression")
		}
		it, err := ep.item(param || len(items) > 0)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil, ep.src.errorf(pos, "empty tag")
	}
	first := items[0]
	// A tag made of a literal names what the literal spells, a helper too
	// in the Handlebars dialect, as handlebars.js turns it into a path.
	named := false
	if first.kind == eLit && len(items) == 1 && !param && !strings.HasPrefix(first.text, "@") {
		name, err := ep.litName(first)
		switch {
		case err != nil:
			return nil, err
		case name.kind == eParam:
			first = name
		case !top && (len(ep.hash) == nHash || ep.p.cfg.dialect != Handlebars):
			return valueCall(name), nil
		case ep.p.cfg.dialect != Handlebars:
			return name, nil
		default:
			first, named = name, true
		}
	}
	if len(items) == 1 && !param && ep.p.cfg.dialect == Handlebars && first.kind == ePath && !first.root && first.up == 0 && len(first.segs) == 1 {
		// handlebars.js calls its own helpers by name even without
		// arguments, before any field: log writes nothing, and the others
		// fail.
		switch name := first.segs[0].key; {
		case first.text != name && first.text != "["+name+"]" && !named:
		case name == "log":
			return &expr{kind: eCall, pos: first.pos, text: first.text, fn: logHelper}, nil
		case name == "if" || name == "unless" || name == "each" || name == "with" || name == "lookup" ||
			name == "helperMissing" || name == "blockHelperMissing":
			return nil, ep.src.errorf(first.pos, "{{"+first.text+"}} calls Handlebars' helper "+name+", which needs arguments")
		}
	}
	var h *helper
	if first.kind == ePath && !first.root && len(first.segs) == 1 && (first.text == first.segs[0].key || named) {
		h = ep.p.helpers[first.segs[0].key]
	}
	if h != nil && (len(items) > 1 || h.custom) {
		args := items[1:]
		if len(args) < h.min || h.max >= 0 && len(args) > h.max {
			want := strconv.Itoa(h.min)
			if h.max != h.min {
				if h.max < 0 {
					want = "at least " + want
				} else if h.max == h.min+1 {
					want += " or " + strconv.Itoa(h.max)
				} else {
					want += " to " + strconv.Itoa(h.max)
				}
			}
			return nil, ep.src.errorf(first.pos, "helper "+h.name+" takes "+want+" argument(s), got "+strconv.Itoa(len(args)))
		}
		if h == logHelper || h.name == "lookup" && !h.custom {
			// log's level=… only tells handlebars.js where to log, and
			// lookup ignores its hash.
			ep.drop(nHash)
		}
		args, err := ep.hashToArgs(h, args, nHash)
		if err != nil {
			return nil, err
		}
		// As written, for messages.
		text := strings.TrimSpace(ep.s[start:ep.i])
		return &expr{kind: eCall, pos: first.pos, text: text, fn: h, args: args}, nil
	}
	if len(items) == 1 && !param && len(ep.hash) > nHash && first.kind == eParam && len(first.segs) == 0 {
		// A lone block parameter is no helper: handlebars.js gives its
		// value and leaves the hash unread.
		ep.hash = ep.hash[:nHash]
		return first, nil
	}
	if len(items) == 1 && !param && len(ep.hash) > nHash && ep.p.cfg.dialect == Handlebars &&
		(first.kind == ePath || first.kind == eParam || first.kind == eData || first.kind == eLit && strings.HasPrefix(first.text, "@")) {
		// With hash arguments, x is a helper call in handlebars.js, which
		// calls the value of x as it does for (x): the hash is ignored.
		ep.drop(nHash)
		return hashValueCall(first), nil
	}
	if !top && len(ep.hash) > nHash {
		return nil, ep.src.errorf(ep.hash[nHash].pos, "hash arguments (key=value) in a subexpression need a helper that takes them")
	}
	if len(items) > 1 {
		if first.kind != ePath {
			return nil, ep.src.errorf(first.pos, "a helper name must come first, not "+first.text)
		}
		return nil, ep.src.errorf(first.pos, "unknown helper "+strconv.Quote(first.text)+didYouMean(first.text, ep.p.helpers))
	}
	if !top && !(first.kind == eParam && len(first.segs) == 0) {
		// handlebars.js reads a lone block parameter as its value.
		return valueCall(first), nil
	}
	return first, nil
}

// hashToArgs moves the hash arguments of a call to h, those from
// ep.hash[from:] on, into the optional arguments they name: each built-in
// helper's optional arguments may be given by name, as {{join xs sep="-"}}.
func (ep *exprParser) hashToArgs(h *helper, args []*expr, from int) ([]*expr, error) {
	hash := ep.hash[from:]
	ep.hash = ep.hash[:from]
	for len(hash) > 0 {
		// In the order of the arguments, whatever the order of the hash.
		next := -1
		for j, a := range hash {
			i, ok := h.hash[a.key]
			if !ok {
				msg := "helper " + h.name + " takes no hash argument " + a.key
				if len(h.hash) > 0 {
					msg += "; it takes " + strings.Join(h.hashKeys(), ", ")
				}
				return nil, ep.src.errorf(a.pos, msg)
			}
			if next < 0 || i < h.hash[hash[next].key] {
				next = j
			}
		}
		a := hash[next]
		i := h.hash[a.key]
		switch {
		case i < len(args):
			return nil, ep.src.errorf(a.pos, "hash argument "+a.key+" of "+h.name+" is given as argument "+strconv.Itoa(i+1)+" too")
		case i > len(args) && len(args) < h.min:
			return nil, ep.src.errorf(a.pos, "hash argument "+a.key+" of "+h.name+" needs the arguments before it")
		}
		// Optional arguments the hash skips are absent, and take their
		// default: {{truncate s 30 escaped=true}} keeps the "…".
		for len(args) < i {
			args = append(args[:len(args):len(args)], &expr{kind: eLit, pos: a.pos, lit: (*jsondoc.Value)(nil)})
		}
		args = append(args[:len(args):len(args)], a.val)
		hash = append(hash[:next:next], hash[next+1:]...)
	}
	return args, nil
}

// item reads one path, literal or parenthesized subexpression.
func (ep *exprParser) item(arg bool) (*expr, error) {
	start := ep.i
	pos := ep.base + start
	c := ep.s[ep.i]
	switch {
	case c == '(':
		if ep.nest++; ep.nest > maxBlockDepth {
			return nil, ep.errorf("subexpressions nested more than " + strconv.Itoa(maxBlockDepth) + " deep")
		}
		defer func() { ep.nest-- }()
		ep.i++
		e, err := ep.call(pos, false, false)
		if err != nil {
			return nil, err
		}
		if ep.i >= len(ep.s) || ep.s[ep.i] != ')' {
			return nil, ep.errorf("missing ) in subexpression")
		}
		ep.i++
		if e.kind == eCall {
			e.text = ep.s[start:ep.i]
		}
		return e, nil
	case (c == '"' || c == '\'') && ep.p.cfg.mode == JSON:
		// In JSON mode, where a tag stands in a JSON string, a backslash
		// escapes the character after it ("\\" is one backslash), as
		// templates written for Outhook rely on.
		end := jsonLiteralEnd(ep.s, ep.i)
		if end < 0 {
			return nil, ep.src.errorf(pos, "unterminated string literal")
		}
		var b strings.Builder
		for i := ep.i + 1; i < end; i++ {
			if ep.s[i] == '\\' {
				i++
			}
			b.WriteByte(ep.s[i])
		}
		ep.i = end + 1
		return &expr{kind: eLit, pos: pos, text: ep.s[start:ep.i], lit: b.String()}, nil
	case c == '"' || c == '\'':
		// As handlebars.js reads it: the literal ends at the first quote
		// that no backslash precedes (or, lacking one, at the last quote),
		// and only a backslash before its quote escapes: 'a\\b' is a\\b.
		end := literalEnd(ep.s, ep.i)
		if end < 0 {
			return nil, ep.src.errorf(pos, "unterminated string literal")
		}
		q := string(c)
		lit := strings.ReplaceAll(ep.s[ep.i+1:end], `\`+q, q)
		ep.i = end + 1
		return &expr{kind: eLit, pos: pos, text: ep.s[start:ep.i], lit: lit}, nil
	case strings.HasPrefix(ep.s[ep.i:], `\"`):
		return ep.escapedString()
	}
	for ep.i < len(ep.s) && !isSpace(ep.s[ep.i]) && ep.s[ep.i] != '(' && ep.s[ep.i] != ')' {
		if ep.s[ep.i] == '[' {
			j := strings.IndexByte(ep.s[ep.i:], ']')
			if j < 0 {
				return nil, ep.errorf("missing ] in path")
			}
			ep.i += j
		}
		if ep.s[ep.i] == '=' {
			return nil, ep.errorf("hash arguments (key=value) are not supported")
		}
		ep.i++
	}
	text := ep.s[start:ep.i]
	if arg {
		switch text {
		case "true":
			return &expr{kind: eLit, pos: pos, text: text, lit: true}, nil
		case "false":
			return &expr{kind: eLit, pos: pos, text: text, lit: false}, nil
		case "null", "undefined":
			return &expr{kind: eLit, pos: pos, text: text}, nil
		}
	}
	if num, ok := hbNumber(text); ok {
		return &expr{kind: eLit, pos: pos, text: text, lit: json.Number(num)}, nil
	}
	e, msg := parsePath(text)
	if msg != "" {
		return nil, ep.src.errorf(pos, msg)
	}
	if e.kind == eLit && e.lit == nil && ep.p.cfg.strict {
		// A data variable that no helper of Outhook's sets.
		return nil, ep.src.errorf(pos, "unknown data variable "+strconv.Quote(text)+": WithStrict refuses it")
	}
	if ep.p.cfg.dialect == Handlebars {
		if j := strings.LastIndexAny(text, "./"); j >= 0 && j+1 < len(text) && text[len(text)-1] != ']' {
			if _, isNum := hbNumber(text[j+1:]); isNum {
				// Handlebars reads a number there as a literal, not a name.
				return nil, ep.src.errorf(pos+j+1, "a path cannot end with a number, "+strconv.Quote(text)+": write "+text[:j+1]+"["+text[j+1:]+"]")
			}
		}
	}
	if e.byName {
		if ok, err := ep.blockParam(e, pos); err != nil {
			return nil, err
		} else if ok {
			e.pos = pos
			return e, nil
		}
		e.rootSlot = ep.p.rootSlot(e.segs[0].key)
		if e.lenOf != nil {
			e.lenOf.rootSlot = e.rootSlot
		}
	}
	ep.p.currentOnly(e)
	e.pos = pos
	return e, nil
}

// blockParam makes e a reference to a block parameter when its first name
// is one in scope; those come before the data's fields, as in Handlebars.
func (ep *exprParser) blockParam(e *expr, pos int) (bool, error) {
	for _, sg := range e.segs {
		if endsThisWord(sg.key) {
			// handlebars.js takes a path whose text has a word ending in
			// this, as a|this| or athis, for one that begins with this,
			// and looks it up in the context only: such a parameter, as
			// |this|, is never found.
			return false, nil
		}
	}
	for i := len(ep.p.params) - 1; i >= 0; i-- {
		bp := ep.p.params[i]
		for j, name := range bp.names {
			if name == e.segs[0].key {
				if bp.inline {
					return false, ep.src.errorf(pos, "block parameter "+name+" is not seen in an inline partial, where handlebars.js fails on it: define the partial outside the block and pass the value as a hash argument")
				}
				if bp.block != "" {
					return false, ep.src.errorf(pos, "block parameter "+name+" of "+bp.block+" has no value: only each and with give them, and handlebars.js fails here")
				}
				e.kind, e.param, e.paramIndex, e.paramNone, e.paramAt = eParam, bp.id, j == 1, j >= bp.given, j
				e.segs, e.byName, e.lenOf = e.segs[1:], false, nil
				return true, nil
			}
		}
	}
	return false, nil
}

// endsThisWord reports whether s holds "this" at the end of a word, as
// the regular expression /this\b/ of handlebars.js finds.
func endsThisWord(s string) bool {
	for i := strings.Index(s, "this"); i >= 0; {
		end := i + len("this")
		if end == len(s) || !isWordByte(s[end]) {
			return true
		}
		j := strings.Index(s[end:], "this")
		if j < 0 {
			return false
		}
		i = end + j
	}
	return false
}

// isWordByte reports whether c is a character of \w.
func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// hbNumber reports whether text is a number literal for the Handlebars
// lexer, -?[0-9]+(\.[0-9]+)? (1e3 is a name there), and returns it as a
// JSON number: without leading zeros, the other digits kept as written.
func hbNumber(text string) (string, bool) {
	neg := strings.HasPrefix(text, "-")
	intPart, frac, hasFrac := strings.Cut(strings.TrimPrefix(text, "-"), ".")
	if intPart == "" || strings.Trim(intPart, "0123456789") != "" || hasFrac && (frac == "" || strings.Trim(frac, "0123456789") != "") {
		return "", false
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	num := intPart
	if hasFrac {
		num += "." + frac
	}
	if neg {
		num = "-" + num
	}
	return num, true
}

// litName turns a tag made of a single literal into the name its text
// spells, which is how Handlebars reads {{"a b"}}, {{10}} or {{true}}.
func (ep *exprParser) litName(l *expr) (*expr, error) {
	var key string
	switch v := l.lit.(type) {
	case string:
		key = v
	case bool:
		key = strconv.FormatBool(v)
	case json.Number:
		// JavaScript's text of the number: 1.50 is "1.5", -0 is "0".
		f, _ := strconv.ParseFloat(string(v), 64)
		key = strconv.FormatFloat(f+0, 'f', -1, 64)
	default:
		key = l.text // null, undefined
	}
	if key == "" {
		// The empty name is the context itself, as for {{[]}}.
		e, _ := parsePath(".")
		e.pos, e.text, e.escaped, e.lit = l.pos, l.text, l.escaped, l.lit
		ep.p.currentOnly(e)
		return e, nil
	}
	idx := arrayIndex(key)
	// An escaped literal keeps its mark, and its text for messages: the
	// JSON analysis checks where it stands.
	e := &expr{kind: ePath, pos: l.pos, text: l.text, segs: []seg{{key: key, idx: idx, length: key == "length"}}, byName: idx < 0,
		length: key == "length", escaped: l.escaped, lit: l.lit}
	if e.byName {
		// It may name a block parameter, as a path does.
		if ok, err := ep.blockParam(e, l.pos); ok || err != nil {
			return e, err
		}
		e.rootSlot = ep.p.rootSlot(key)
	}
	ep.p.currentOnly(e)
	return e, nil
}

// currentOnly makes path e look its first name up in the current context
// only, as Handlebars does; the mustache dialect walks the enclosing ones.
func (p *parser) currentOnly(e *expr) {
	if p.cfg.dialect != Handlebars || e.kind != ePath {
		return
	}
	e.local = true
	if e.lenOf != nil {
		e.lenOf.local = true
	}
}

// escapedString reads a string literal written \"lit\": inside a JSON
// string the author escapes the quotes of the tag's literals as those of the
// string, and means the literal. It is never read as a field name.
func (ep *exprParser) escapedString() (*expr, error) {
	start := ep.i
	pos := ep.base + start
	j := strings.Index(ep.s[start+2:], `\"`)
	if j < 0 {
		return nil, ep.src.errorf(pos, "unterminated string literal")
	}
	lit := ep.s[start+2 : start+2+j]
	ep.i = start + 2 + j + 2
	text := ep.s[start:ep.i]
	if strings.ContainsAny(lit, `"\`) {
		return nil, ep.src.errorf(pos, "string literal "+text+" holds a quote or a backslash: write it with plain quotes")
	}
	if ep.p.cfg.mode != JSON {
		return nil, ep.src.errorf(pos, "string literal "+text+" outside a JSON string: write "+strconv.Quote(lit))
	}
	return &expr{kind: eLit, pos: pos, text: text, lit: lit, escaped: true}, nil
}

// escapedLiteral returns the first string literal of e written \"lit\".
func escapedLiteral(e *expr) *expr {
	if e.escaped {
		return e
	}
	for _, a := range e.args {
		if l := escapedLiteral(a); l != nil {
			return l
		}
	}
	return nil
}

// notInName holds the characters Handlebars refuses in a name outside
// [segment literals], a tag holding one cannot be a field reference; but
// '*', which the mustache dynamic-names module looks up as a name.
const notInName = "!\"#%&'()+,;<=>@\\^`{|}~"

// parseData parses a data variable other than @root: @../index is the
// index of the loop around the current one. Handlebars looks any other
// name up in the data its helpers pass, where Outhook's built-in ones put
// nothing: it is missing, and @this (the data itself) an empty object.
func parseData(t string) (*expr, string) {
	d, msg := parsePath(t[1:])
	if msg != "" || t == "@" || d.root || strings.HasPrefix(t, "@@") {
		return nil, "bad data variable " + strconv.Quote(t)
	}
	if _, ok := hbNumber(t[1:]); ok {
		return nil, "bad data variable " + strconv.Quote(t) + ": a name cannot be a number"
	}
	if len(d.segs) == 0 {
		return &expr{kind: eLit, text: t, lit: nullContext}, ""
	}
	if len(d.segs) > 1 {
		// Members of a loop variable, as in @key.length: a path from it.
		// A first step that is no variable alone (@0.x) starts a path
		// from nothing: missing, as in handlebars.js.
		if base, msg := parseData("@" + strings.Repeat("../", d.up) + d.segs[0].key); msg == "" && base.kind == eData {
			e := &expr{kind: ePath, text: t, local: true, loopVar: base, segs: d.segs[1:]}
			for _, sg := range e.segs {
				e.length = e.length || sg.length
			}
			return e, ""
		}
	}
	if len(d.segs) == 1 {
		e := &expr{kind: eData, text: t, up: d.up}
		switch d.segs[0].key {
		case "index":
			e.data = dIndex
			return e, ""
		case "key":
			e.data = dKey
			return e, ""
		case "first":
			e.data = dFirst
			return e, ""
		case "last":
			e.data = dLast
			return e, ""
		}
	}
	return &expr{kind: eLit, text: t}, ""
}

// parsePath parses a Handlebars or mustache field reference.
func parsePath(t string) (*expr, string) {
	e := &expr{kind: ePath, text: t}
	if strings.HasPrefix(t, "@") {
		if t != "@root" && !strings.HasPrefix(t, "@root.") && !strings.HasPrefix(t, "@root/") {
			return parseData(t)
		}
		e.root, e.local = true, true
		t = strings.TrimPrefix(t[len("@root"):], ".")
		t = strings.TrimPrefix(t, "/")
	}
	// As in handlebars.js, the path may begin with any of .., . and this,
	// each .. one context up; after a name they are an error.
	for len(t) > 0 {
		var key string
		literal := false
		switch {
		case t[0] == '[':
			j := strings.IndexByte(t, ']')
			if j < 0 {
				// The lexer closes the brackets of a tag's paths; a
				// dynamic partial's name comes here as written.
				return nil, "unclosed [ in path " + strconv.Quote(e.text)
			}
			key = t[1:j]
			t = t[j+1:]
			literal = true
		case strings.HasPrefix(t, ".."):
			key, t = "..", t[2:]
		case t[0] == '.' && (len(t) == 1 || t[1] == '/' || t[1] == '.'):
			key, t = ".", t[1:]
		default:
			j := strings.IndexAny(t, "./[")
			if j < 0 {
				j = len(t)
			}
			key = t[:j]
			t = t[j:]
			if key == "" {
				return nil, "empty name in path " + strconv.Quote(e.text)
			}
			if k := strings.IndexAny(key, notInName); k >= 0 {
				return nil, "unexpected " + strconv.Quote(key[k:k+1]) + " in path " + strconv.Quote(e.text)
			}
		}
		if !literal && (key == ".." || key == "." || key == "this") {
			if len(e.segs) > 0 || e.root {
				return nil, strconv.Quote(key) + " after a name in path " + strconv.Quote(e.text) + ": it may only begin a path"
			}
			e.local = true
			if key == ".." {
				e.up++
			}
		} else {
			e.segs = append(e.segs, seg{key: key, idx: arrayIndex(key), length: key == "length"})
			e.length = e.length || key == "length"
			e.byName = !e.local && e.segs[0].idx < 0
		}
		if len(t) > 0 {
			if t[0] != '.' && t[0] != '/' {
				return nil, "unexpected " + strconv.Quote(t[:1]) + " in path " + strconv.Quote(e.text)
			}
			t = t[1:]
			if t == "" {
				return nil, "path " + strconv.Quote(e.text) + " ends with a separator"
			}
		}
	}
	if !e.root && len(e.segs) > 0 && e.segs[0].key == "" {
		// handlebars.js reads a path whose first name is empty ({{[]}},
		// {{../[].x}}) as the context itself, the names after it unread.
		e.segs, e.local, e.byName, e.length = nil, true, false, false
	}
	if cap(e.segs) > len(e.segs) {
		e.segs = slices.Clone(e.segs) // the appends' spare room, held as long as the template
	}
	if n := len(e.segs); n > 1 && e.segs[n-1].length {
		x := *e
		x.segs, x.length, x.text = e.segs[:n-1], false, strings.TrimSuffix(e.text, "length")
		for _, sg := range x.segs {
			x.length = x.length || sg.length
		}
		e.lenOf = &x
	}
	return e, ""
}

// checkUnused parses the inline partials and partial block contents that
// were never included, for the errors Handlebars would report in them.
func (p *parser) checkUnused() error {
	p.checking = true
	defer func() { p.checking = false }()
	// A partial block's scope and its content's both find the inline
	// partials written in it, each giving a def of the same tokens: one
	// check of them is enough, where checking each doubled the work at
	// every level of inline partials and partial blocks nested in turn.
	type span struct {
		first *token
		n     int
	}
	checked := make(map[span]bool)
	for i := 0; i < len(p.defs); i++ {
		d := p.defs[i]
		if d.used {
			continue
		}
		d.used = true
		if len(d.toks) == 0 {
			continue
		}
		k := span{&d.toks[0], len(d.toks)}
		if checked[k] {
			continue
		}
		checked[k] = true
		p.env, p.params = d.env, nil
		if _, err := p.parseTokens(d.src, d.toks); err != nil {
			return err
		}
	}
	p.env = nil
	return nil
}

// matchClose returns the index of the tag that closes the block opened at
// toks[i], and that of its {{else}}, or -1, as link found them.
func matchClose(toks []token, i int) (closeAt, elseAt int) {
	closeAt, elseAt = -1, -1
	if c := toks[i].close; c > 0 {
		closeAt = i + c
	}
	if e := toks[i].els; e > 0 && (closeAt < 0 || i+e < closeAt) {
		elseAt = i + e
	}
	return closeAt, elseAt
}

// scope reads the inline partials of the block part that starts at
// toks[start] and ends at its {{else}} or closing tag. As in Handlebars,
// each is in scope in the whole part, before its definition too, and the
// last of a name wins.
func (p *parser) scope(parent *partialEnv, src *source, toks []token, start int) (*partialEnv, error) {
	var env *partialEnv
	for k := start; k < len(toks); k++ {
		t := toks[k]
		switch t.kind {
		case tokSection, tokInverted:
			if t.kind != tokSection || !strings.HasPrefix(t.text, "*") {
				// Skip the block: its inline partials are its own.
				if j, _ := matchClose(toks, k); j >= 0 {
					k = j
				} else {
					k = len(toks)
				}
				continue
			}
			name, err := inlineName(src, t)
			if err != nil {
				return nil, err
			}
			j, elseAt := matchClose(toks, k)
			if j < 0 && elseAt < 0 {
				// Its content comes first in the text, and before a lexer
				// error the tokens end in it, which is no error.
				err := errTruncated
				if !p.truncated {
					err = src.errorf(t.pos, "unclosed inline partial: missing {{/inline}}")
				}
				return nil, p.firstIn(src, toks, start, k, p.firstIn(src, toks, k+1, len(toks), err))
			}
			if j >= 0 && toks[j].text != "inline" {
				err := src.errorf(toks[j].pos, "closing tag {{/"+toks[j].text+"}} does not match {{#*inline}} opened at "+posString(src, t.pos))
				return nil, p.firstIn(src, toks, start, k, p.firstIn(src, toks, k+1, j, err))
			}
			if elseAt >= 0 {
				err := src.errorf(toks[elseAt].pos, "{{else}} in an inline partial")
				return nil, p.firstIn(src, toks, start, k, p.firstIn(src, toks, k+1, elseAt, err))
			}
			if env == nil {
				p.nEnv++
				env = &partialEnv{id: p.nEnv, parent: parent, inline: make(map[string]*tokDef)}
			}
			p.nEnv++
			outer := make([]blockParams, len(p.params))
			for i, bp := range p.params {
				bp.inline = true
				outer[i] = bp
			}
			env.inline[name] = &tokDef{id: p.nEnv, src: src, toks: toks[k+1 : j], env: env, params: outer}
			p.defs = append(p.defs, env.inline[name])
			k = j
		case tokElse, tokClose:
			k = len(toks) // the end of the part
		}
	}
	if env == nil {
		return parent, nil
	}
	return env, nil
}

// inlineName reads the name of {{#*inline "name"}}, the only decorator.
func inlineName(src *source, t token) (string, error) {
	dec, arg, _ := strings.Cut(strings.TrimLeft(t.text[1:], " \t\r\n"), " ")
	if dec != "inline" {
		return "", src.errorf(t.pos, "unknown decorator "+strconv.Quote("*"+dec)+": only {{#*inline \"name\"}} is supported")
	}
	arg = strings.TrimSpace(arg)
	if len(arg) >= 2 && (arg[0] == '"' || arg[0] == '\'') && arg[len(arg)-1] == arg[0] && !strings.ContainsAny(arg[1:len(arg)-1], `"'\`) && len(arg) > 2 {
		return arg[1 : len(arg)-1], nil
	}
	return "", src.errorf(t.pos, `an inline partial is named by a string: {{#*inline "name"}}`)
}

// addPartialBlock handles {{#> name …}}content{{/name}} at toks[i] and
// returns the index of its closing tag. The partial is included with the
// content as its {{> @partial-block}}, and the inline partials of the
// content in scope; when there is no partial of that name, the content is
// included instead.
func (p *parser) addPartialBlock(src *source, toks []token, i int, add func(node)) (int, error) {
	t := toks[i]
	j, elseAt := matchClose(toks, i)
	name, _, _ := strings.Cut(strings.TrimSpace(t.text[1:]), " ")
	if strings.HasPrefix(name, "*") || strings.HasPrefix(name, "(") {
		return 0, src.errorf(t.pos, "a partial block needs the partial's name, not a dynamic one")
	}
	if elseAt >= 0 {
		// Before a missing or wrong close, which come later in the text,
		// as handlebars.js finds them.
		return 0, p.firstIn(src, toks, i+1, elseAt, src.errorf(toks[elseAt].pos, "{{else}} in a partial block"))
	}
	if name == "" {
		return 0, src.errorf(t.pos, "a partial block needs the partial's name")
	}
	if j < 0 {
		// Its content comes first in the text, and before a lexer error
		// the tokens end in it, which is no error.
		err := errTruncated
		if !p.truncated {
			err = src.errorf(t.pos, "unclosed partial block {{#>"+name+"}}: missing {{/"+name+"}}")
		}
		return 0, p.firstIn(src, toks, i+1, len(toks), err)
	}
	if toks[j].text != name {
		return 0, p.firstIn(src, toks, i+1, j, src.errorf(toks[j].pos, "closing tag {{/"+toks[j].text+"}} does not match {{#> "+name+"}} opened at "+posString(src, t.pos)))
	}
	env, err := p.scope(p.env, src, toks, i+1)
	if err != nil {
		return 0, err
	}
	p.nEnv++
	blk := &tokDef{id: p.nEnv, src: src, toks: toks[i+1 : j], env: env, inlineAt: len(p.inline), params: slices.Clip(slices.Clone(p.params))}
	p.defs = append(p.defs, blk)
	// Not indented: Handlebars indents only partial tags alone on a line.
	pt := token{kind: tokPartial, text: strings.TrimSpace(t.text[1:]), pos: t.pos}
	return j, p.addPartial(src, pt, add, blk)
}

// indentTokens returns toks with ind written at the start of every line,
// as indent does for the text of a partial.
func indentTokens(toks []token, ind string) []token {
	if ind == "" {
		return toks
	}
	out := make([]token, 0, len(toks)+1)
	lineStart := true
	for _, t := range toks {
		if t.kind == tokText {
			var b strings.Builder
			for i := 0; i < len(t.text); i++ {
				if lineStart {
					b.WriteString(ind)
					lineStart = false
				}
				b.WriteByte(t.text[i])
				lineStart = t.text[i] == '\n'
			}
			t.text = b.String()
			out = append(out, t)
			continue
		}
		switch {
		case t.kind == tokPartial && t.indent != "":
			// Alone on its line: its own lines get both indentations.
			t.indent = ind + t.indent
		case lineStart && (t.kind == tokVar || t.kind == tokRaw || t.kind == tokPartial):
			out = append(out, token{kind: tokText, text: ind, pos: t.pos})
			lineStart = false
		}
		out = append(out, t)
	}
	link(out)
	return out
}
