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
func (t *Template) Check(s Schema) error {
	c := &checker{s: s, seen: make(map[*partial]bool)}
	c.nodes(t.nodes, []scope{{typ: "object"}})
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}

// scope is the schema path of a context, and its JSON type.
type scope struct {
	path string
	typ  string
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
			floor := c.enterFloor(n, len(scopes)-1)
			for _, p := range parts {
				if p != nil && !c.seen[p] {
					c.seen[p] = true
					c.nodes(p.nodes, scopes)
				}
			}
			c.leaveFloor(n, floor)
		case nFloor:
			if n.text == "" {
				c.floors = append(c.floors, c.enterFloor(n, len(scopes)-1))
			} else {
				c.leaveFloor(n, c.floors[len(c.floors)-1])
				c.floors = c.floors[:len(c.floors)-1]
			}
		case nBlock:
			sc, ok := c.expr(n, n.expr, scopes)
			inner := scopes
			switch {
			case n.block == bWith || n.block == bSection || n.block == bEach || n.block == bPartial:
				if !ok {
					sc = scope{path: sc.path, typ: "any"}
				} else if n.trueKeeps && sc.typ == "boolean" {
					// Rendered only for true, in the same context.
					sc = scopes[len(scopes)-1]
				} else if sc.typ == "array" || n.block == bEach && sc.typ != "object" {
					sc = c.element(sc)
				} else if n.block == bEach {
					sc = scope{path: sc.path, typ: "any"}
				}
				inner = append(scopes[:len(scopes):len(scopes)], sc)
				if n.params != 0 {
					if c.params == nil {
						c.params = make(map[int32]scope)
					}
					c.params[n.params] = sc
				}
			}
			floor := c.floor
			if n.block == bPartial {
				floor = c.enterFloor(n, len(inner)-1)
			}
			c.nodes(n.body, inner)
			if n.block == bPartial {
				c.leaveFloor(n, floor)
			}
			c.nodes(n.alt, scopes)
		}
	}
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
		return sc, ok
	case ePath:
	default:
		return scope{typ: "any"}, true
	}
	var bases []scope
	switch {
	case e.root:
		bases = scopes[:1]
	case e.local:
		i := len(scopes) - 1 - e.up
		if i < 0 {
			c.report(n, e, "path "+e.text+" goes above the top of the data", "")
			return scope{typ: "any"}, false
		}
		if i < c.floor {
			c.report(n, e, "path "+e.text+" goes above the context of its partial, where ../ stops", "")
			return scope{typ: "any"}, false
		}
		bases = scopes[i : i+1]
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
			return sc, true
		}
		if i == 0 {
			first = sc.path
		}
	}
	c.report(n, e, "unknown field "+first, first)
	return scope{path: first, typ: "any"}, false
}

// walk follows segs from base in the schema.
func (c *checker) walk(base scope, segs []seg) (scope, bool) {
	cur := base
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
