package template

import "strconv"

// ParseMarked is Parse, writing mark at the start of the content of every
// string read as an embedded document, for the fuzz tests.
func ParseMarked(src, mark string, opts ...Option) (*Template, error) {
	return parse(src, mark, opts)
}

// Replacers returns how many replacers the replace helper has cached.
func Replacers() int32 { return nReplacers.Load() }

// ReplacerCached reports whether the replacer of pairs is cached.
func ReplacerCached(pairs ...string) bool {
	_, ok := replacers.Load(replacerKey(pairs))
	return ok
}

// Reference is a field reference of a parsed template: the name of the
// template or partial it is written in, its offset there and its text.
type Reference struct {
	Name   string
	Offset int
	Text   string
	// Segs counts the member segments of the path (none for this or ..).
	Segs int
	// Param is set on a path from a block parameter.
	Param bool
}

// References lists the path references of t, partials included, each once.
func References(t *Template) []Reference {
	var refs []Reference
	seenPart := map[*partial]bool{}
	seenRef := map[[2]any]bool{}
	var walkExpr func(src *source, e *expr)
	walkExpr = func(src *source, e *expr) {
		if e == nil {
			return
		}
		if (e.kind == ePath || e.kind == eParam) && src != nil {
			k := [2]any{src.name, e.pos}
			if !seenRef[k] {
				seenRef[k] = true
				refs = append(refs, Reference{Name: src.name, Offset: e.pos, Text: e.text, Segs: len(e.segs), Param: e.kind == eParam})
			}
		}
		for _, a := range e.args {
			walkExpr(src, a)
		}
		walkExpr(src, e.includeZero)
	}
	var walk func(nodes []node)
	walk = func(nodes []node) {
		for i := range nodes {
			n := &nodes[i]
			walkExpr(n.src, n.expr)
			for _, h := range n.hash {
				walkExpr(n.src, h.val)
			}
			walk(n.body)
			walk(n.alt)
			parts := []*partial{n.part}
			for _, p := range n.dyn {
				parts = append(parts, p)
			}
			for _, p := range parts {
				if p != nil && !seenPart[p] {
					seenPart[p] = true
					walk(p.nodes)
				}
			}
		}
	}
	walk(t.nodes)
	return refs
}

// CheckTypes is Check, also returning the JSON type each path reference
// resolves to, by "name:offset", "" when it is unknown.
func CheckTypes(t *Template, s Schema) (map[string]string, error) {
	types := map[string]string{}
	err := t.check(&checker{s: s, resolved: func(src *source, pos int, typ string) {
		types[src.name+":"+strconv.Itoa(pos)] = typ
	}})
	return types, err
}
