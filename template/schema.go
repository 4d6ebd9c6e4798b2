package template

import (
	"strings"

	"github.com/outhook/outhook/internal/suggest"
)

// Schema describes the fields of the data a template renders, so that Check
// can find references to fields that do not exist. Outhook's webhook package
// implements it for the events it publishes.
type Schema interface {
	// Lookup reports whether path names a field of the event and its JSON type:
	// "string", "number", "boolean", "object", "array", "null" or "any".
	// Paths use dots between members and [] for "any element": data.access_groups[].integration.name
	Lookup(path string) (jsonType string, ok bool)
	// Paths lists every path the schema knows, for "did you mean" suggestions.
	Paths() []string
}

// Check reports every field reference of the template that s does not
// know, as an ErrorList of *Error values wrapping ErrUnknownField, each with
// the position of the reference and, when one is close, the nearest known
// path as a suggestion. References are normalised to the schema's form
// first: data.access_groups.[0].[integration].name is checked as
// data.access_groups[].integration.name, and names inside each, with and
// sections are resolved as Execute resolves them: in the current context
// (the enclosing ones too in the Mustache dialect). Check returns nil when
// every reference is known.
//
// Check is a static reading, so it has limits: a partial (each indentation
// of it apart), an inline partial and a partial block's content are
// checked once, in the context of their first inclusion; a partial named
// by an expression is checked as each partial it may name; and nothing
// below a value of no known type (a helper's result, the members of an
// object an each walks, a field of type "any") is checked. An index of a
// string is its character, and a path from a loop variable names members
// of that variable (@key.length), not of the data.
func (t *Template) Check(s Schema) error {
	return t.check(&checker{s: s})
}

func (t *Template) check(c *checker) error {
	c.seen = make(map[*partial]bool)
	c.sameLevels = t.sameLevels
	c.nodes(t.nodes, []scope{{typ: "object"}})
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}

// scope is the schema path of a context, and its JSON type; hash holds
// the scopes of the hash arguments of a partial's context ({{> p x k=v}}),
// members of that context.
type scope struct {
	path string
	typ  string
	hash map[string]scope
}

// checkMark is a block being checked whose parts define inline partials:
// the mark of their scopes (node.scope), and the scopes and floor at its
// tag, where ../ inside those partials goes from their context, as
// state.enterDef has it.
type checkMark struct {
	scope  int32
	scopes []scope
	floor  int
}

type checker struct {
	s     Schema
	paths []string
	errs  ErrorList
	seen  map[*partial]bool
	// floor is the scope where ../ stops, that of the partial being
	// checked; floors holds those around it.
	floor  int
	floors []int
	// blockFloors are the floors around the partials called as blocks
	// being checked, as in Execute.
	blockFloors []int
	// params holds the scope of the item of each block with block
	// parameters, by the block's id.
	params map[int32]scope
	// defMarks are the blocks being checked whose parts define inline
	// partials, innermost last.
	defMarks []checkMark
	// saved holds, for each partial inlined in JSON mode (between nFloor
	// marks), the scopes around it that enterDef replaced, or nil,
	// innermost last.
	saved [][]scope
	// sameLevels is the template's: in the Handlebars dialect a context
	// equal to the one below it is no level for ../.
	sameLevels bool
	// resolved, when set (by tests), is told the type each path
	// reference resolves to, "" when it is unknown.
	resolved func(src *source, pos int, typ string)
}

func (c *checker) nodes(nodes []node, scopes []scope) {
	for i := range nodes {
		n := &nodes[i]
		switch n.kind {
		case nValue:
			c.expr(n, n.expr, scopes)
		case nPartial:
			parts := []*partial{n.part}
			if n.dyn != nil {
				outer := scopes
				if n.nameOutside {
					outer = scopes[:len(scopes)-1]
				}
				c.expr(n, n.expr, outer)
				parts = parts[:0]
				for _, p := range n.dyn {
					parts = append(parts, p)
				}
			}
			floor := c.floor
			inner := c.enterDef(n, scopes)
			if inner == nil {
				floor = c.enterFloor(n, len(scopes)-1)
				inner = scopes
			}
			for _, p := range parts {
				if p != nil && !c.seen[p] {
					c.seen[p] = true
					c.nodes(p.nodes, inner)
				}
			}
			c.leaveFloor(n, floor)
		case nFloor:
			if n.text == "" {
				floor := c.floor
				if inner := c.enterDef(n, scopes); inner != nil {
					c.saved = append(c.saved, scopes)
					scopes = inner
				} else {
					c.saved = append(c.saved, nil)
					floor = c.enterFloor(n, len(scopes)-1)
				}
				c.floors = append(c.floors, floor)
			} else {
				if k := len(c.saved); k > 0 {
					if c.saved[k-1] != nil {
						scopes = c.saved[k-1]
					}
					c.saved = c.saved[:k-1]
				}
				c.leaveFloor(n, c.floors[len(c.floors)-1])
				c.floors = c.floors[:len(c.floors)-1]
			}
		case nBlock:
			sc, ok := c.expr(n, n.expr, scopes)
			inner := scopes
			switch {
			case n.block == bWith || n.block == bSection || n.block == bEach || n.block == bPartial:
				// A section gives its block parameters over a list only.
				listed := n.block != bSection || ok && sc.typ == "array"
				if !ok {
					sc = scope{path: sc.path, typ: "any"}
				} else if n.trueKeeps && n.block == bSection && sc.typ == "boolean" {
					// Rendered only for true, in the same context; with
					// makes true the context.
					sc = scopes[len(scopes)-1]
				} else if n.block == bPartial {
					// A partial's context is the value itself, arrays
					// too, with the hash arguments as members.
					sc = c.hashScope(n, sc, scopes)
				} else if sc.typ == "array" || n.block == bEach && sc.typ != "object" {
					sc = c.element(sc)
				} else if n.block == bEach {
					sc = scope{path: sc.path, typ: "any"}
				}
				inner = append(scopes[:len(scopes):len(scopes)], sc)
				if n.params != 0 && listed {
					if c.params == nil {
						c.params = make(map[int32]scope)
					}
					c.params[n.params] = sc
				}
			}
			floor := c.floor
			if n.block == bPartial {
				if def := c.enterDef(n, inner); def != nil {
					inner = def
				} else {
					floor = c.enterFloor(n, len(inner)-1)
				}
			} else if n.scope != 0 {
				c.defMarks = append(c.defMarks, checkMark{scope: n.scope, scopes: scopes, floor: c.floor})
			}
			c.nodes(n.body, inner)
			if n.block == bPartial {
				c.leaveFloor(n, floor)
			}
			c.nodes(n.alt, scopes)
			if n.block != bPartial && n.scope != 0 {
				c.defMarks = c.defMarks[:len(c.defMarks)-1]
			}
		}
	}
}

// enterDef returns the scopes an inline partial written in a part of the
// block marked n.scope is checked in, included by n in the context at the
// top of scopes: that context, above the scopes at the block's tag, where
// ../ goes, with the floor there restored; leaveFloor undoes it. It
// returns nil when n does not include such a partial.
func (c *checker) enterDef(n *node, scopes []scope) []scope {
	if n.scope == 0 {
		return nil
	}
	for i := len(c.defMarks) - 1; i >= 0; i-- {
		if m := c.defMarks[i]; m.scope == n.scope {
			c.floor = m.floor
			return append(m.scopes[:len(m.scopes):len(m.scopes)], scopes[len(scopes)-1])
		}
	}
	return nil
}

// hashScope returns sc, the scope of a partial's context, with the hash
// arguments of n as members, and checks their values in scopes.
func (c *checker) hashScope(n *node, sc scope, scopes []scope) scope {
	if len(n.hash) == 0 {
		return sc
	}
	out := scope{path: sc.path, typ: sc.typ, hash: make(map[string]scope, len(n.hash)+len(sc.hash))}
	for k, v := range sc.hash {
		out.hash[k] = v
	}
	for _, h := range n.hash {
		v, ok := c.expr(n, h.val, scopes)
		if !ok {
			v = scope{path: v.path, typ: "any"}
		}
		out.hash[h.key] = v
	}
	return out
}

// element returns the scope of the elements of an array scope.
// enterFloor sets where ../ stops for the partial that n includes, top
// being the scope of its context, as state.enterFloor does, and returns
// the floor for leaveFloor to restore.
func (c *checker) enterFloor(n *node, top int) int {
	floor := c.floor
	switch {
	case n.unfloor:
		if k := len(c.blockFloors); k > 0 {
			c.floor = c.blockFloors[k-1]
			c.blockFloors = c.blockFloors[:k-1]
		}
	default:
		if n.blockCall {
			c.blockFloors = append(c.blockFloors, floor)
		}
		if n.isolate {
			c.floor = top
		}
	}
	return floor
}

// leaveFloor undoes enterFloor.
func (c *checker) leaveFloor(n *node, floor int) {
	switch {
	case n.unfloor:
		c.blockFloors = append(c.blockFloors, c.floor)
	case n.blockCall:
		if k := len(c.blockFloors); k > 0 {
			c.blockFloors = c.blockFloors[:k-1]
		}
	}
	c.floor = floor
}

func (c *checker) element(sc scope) scope {
	p := sc.path + "[]"
	if sc.typ == "any" {
		return scope{path: p, typ: "any"}
	}
	if t, ok := c.s.Lookup(p); ok {
		return scope{path: p, typ: t}
	}
	return scope{path: p, typ: "object"}
}

// expr checks the references of e and returns the scope a path leads to.
func (c *checker) expr(n *node, e *expr, scopes []scope) (scope, bool) {
	switch e.kind {
	case eCall:
		for i, a := range e.args {
			if i > 0 && e.fn.name == "lookup" && !e.fn.custom {
				break
			}
			c.expr(n, a, scopes)
		}
		return scope{typ: "any"}, true
	case eParam:
		base, ok := c.params[e.param]
		if e.paramIndex || e.paramNone || !ok {
			return scope{typ: "any"}, true
		}
		sc, ok := c.walk(base, e.segs)
		if !ok {
			c.report(n, e, "unknown field "+sc.path, sc.path)
		}
		c.trace(n, e, sc, ok)
		return sc, ok
	case ePath:
		if e.loopVar != nil {
			return c.loopMember(n, e)
		}
	default:
		return scope{typ: "any"}, true
	}
	var bases []scope
	switch {
	case e.root:
		bases = scopes[:1]
	case e.local:
		at := c.up(scopes, e.up)
		if at[0] < 0 {
			c.report(n, e, "path "+e.text+" goes above the top of the data", "")
			return scope{typ: "any"}, false
		}
		if at[0] < c.floor {
			c.report(n, e, "path "+e.text+" goes above the context of its partial, where ../ stops", "")
			return scope{typ: "any"}, false
		}
		for _, i := range at {
			if i >= c.floor {
				bases = append(bases, scopes[i])
			}
		}
	default:
		bases = make([]scope, 0, len(scopes))
		for i := len(scopes) - 1; i >= 0; i-- {
			bases = append(bases, scopes[i])
		}
	}
	var first string
	for i, b := range bases {
		sc, ok := c.walk(b, e.segs)
		if ok {
			c.trace(n, e, sc, true)
			return sc, true
		}
		if i == 0 {
			first = sc.path
		}
	}
	c.trace(n, e, scope{}, false)
	c.report(n, e, "unknown field "+first, first)
	return scope{path: first, typ: "any"}, false
}

// looseMaybe reports whether two values of different fields, of types a
// and b, may be equal by JavaScript's == (two scalars, an array and a
// scalar, an object and a string, a value of type "any" and any other),
// so that ../ may skip a level between them as Execute does. Arrays and
// objects of different fields never are.
func looseMaybe(a, b string) bool {
	scalar := func(t string) bool { return t == "string" || t == "number" || t == "boolean" }
	switch {
	case a == "any" || b == "any":
		return true
	case a == "null" || b == "null":
		return a == b
	case scalar(a) && scalar(b):
		return true
	case a == "array" || b == "array":
		return scalar(a) || scalar(b)
	}
	return a == "object" && b == "string" || a == "string" && b == "object"
}

// up returns the indexes of the scopes that up levels of ../ may go to
// from the top of scopes, nearest first (negative above the top). In the
// Handlebars dialect a scope that is the same value as the one below it
// (the same path, with no array element on it) is no level, as in Execute;
// one that may be the same value or not (an element of an array, a scalar
// element of the array below it, which == finds equal to a one-element
// array, or a field that == may find equal to the one below, see
// looseMaybe) gives both ways, for the reference to be known in any.
func (c *checker) up(scopes []scope, up int) []int {
	if !c.sameLevels || up == 0 {
		return []int{len(scopes) - 1 - up}
	}
	// Going down from the top, each scope counts as a level (1), as none
	// (0) or as either; the ../ already counted may be any number from lo
	// to hi, as a level that may count either way adds 0 or 1. Following
	// each way apart instead costs the depth times up for every path.
	var out []int
	lo, hi := 0, 0
	for j := len(scopes) - 1; j > 0 && lo < up; j-- {
		least, most := 1, 1
		if scopes[j].hash == nil && scopes[j-1].hash == nil {
			// A value of no known path (a helper's result) is no field.
			same := scopes[j].path == scopes[j-1].path && (scopes[j].typ != "any" || scopes[j].path != "")
			element := scopes[j].path == scopes[j-1].path+"[]" && scopes[j].typ != "object" && scopes[j].typ != "array"
			switch {
			case same && !strings.Contains(scopes[j].path, "[]"):
				least, most = 0, 0
			case same || element || !same && looseMaybe(scopes[j].typ, scopes[j-1].typ):
				least = 0
			}
		}
		lo, hi = lo+least, min(hi+most, up)
		if most == 1 && hi == up {
			// Some way counts its last level here and stops at j-1.
			out = append(out, j-1)
			if lo == up {
				return out
			}
			hi = up - 1
		}
	}
	// Ways that run out of scopes stop above the top, one per level left.
	for n := hi; n >= lo; n-- {
		out = append(out, n-up)
	}
	return out
}

// loopMember checks a path from a loop variable (@key.length): members
// of that value, which is no field of the data. A key is taken to be a
// string, the key of an object's member.
func (c *checker) loopMember(n *node, e *expr) (scope, bool) {
	typ := "number"
	switch e.loopVar.data {
	case dKey:
		typ = "string"
	case dFirst, dLast:
		typ = "boolean"
	}
	for _, sg := range e.segs {
		switch {
		case typ == "string" && sg.length:
			typ = "number"
		case typ == "string" && sg.idx >= 0:
		default:
			c.trace(n, e, scope{}, false)
			c.report(n, e, "unknown field "+e.text+": a loop variable has no such member", "")
			return scope{typ: "any"}, false
		}
	}
	sc := scope{typ: typ}
	c.trace(n, e, sc, true)
	return sc, true
}

func (c *checker) trace(n *node, e *expr, sc scope, ok bool) {
	if c.resolved == nil {
		return
	}
	if !ok {
		sc.typ = ""
	}
	c.resolved(n.src, e.pos, sc.typ)
}

// walk follows segs from base in the schema.
func (c *checker) walk(base scope, segs []seg) (scope, bool) {
	if len(segs) > 0 {
		if h, ok := base.hash[segs[0].key]; ok {
			return c.walk(h, segs[1:])
		}
	}
	cur := scope{path: base.path, typ: base.typ}
	for i, sg := range segs {
		if cur.typ == "any" {
			return scope{path: join(cur.path, segs[i:]), typ: "any"}, true
		}
		if sg.idx >= 0 {
			if t, ok := c.s.Lookup(cur.path + "[]"); ok || cur.typ == "array" {
				if !ok {
					t = "object"
				}
				cur = scope{path: cur.path + "[]", typ: t}
				continue
			}
			if cur.typ == "string" {
				// A character of the string, as in JavaScript.
				cur = scope{path: join(cur.path, []seg{sg}), typ: "string"}
				continue
			}
		}
		next := join(cur.path, []seg{sg})
		t, ok := c.s.Lookup(next)
		if !ok && sg.length && (cur.typ == "array" || cur.typ == "string") {
			// The count of an array, the length of a string.
			ok, t = true, "number"
		}
		if !ok {
			return scope{path: join(cur.path, segs[i:])}, false
		}
		cur = scope{path: next, typ: t}
	}
	return cur, true
}

func join(path string, segs []seg) string {
	var b strings.Builder
	b.WriteString(path)
	for _, sg := range segs {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(sg.key)
	}
	return b.String()
}

func (c *checker) report(n *node, e *expr, msg, path string) {
	if path != "" {
		if s := c.suggest(path); s != "" {
			msg += "; did you mean " + s + "?"
		}
	}
	err := n.src.errorf(e.pos, msg)
	err.Path = e.text
	err.Err = ErrUnknownField
	c.errs = append(c.errs, err)
}

// suggest returns the known path nearest to path, or "" if none is close.
func (c *checker) suggest(path string) string {
	if c.paths == nil {
		c.paths = c.s.Paths()
	}
	return suggest.Closest(path, c.paths)
}
