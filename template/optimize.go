package template

import "slices"

// optimize prepares parsed nodes for execution, once the JSON analysis is
// done: the text before a tag becomes the tag's lead, written before it, and
// loop separators such as {{#unless @last}},{{/unless}} become conditional
// text. That halves the nodes Execute walks through.
func optimize(nodes []node, cfg *config, seen map[*partial]bool) []node {
	out := nodes[:0]
	lead := ""
	for i := range nodes {
		n := nodes[i]
		switch n.kind {
		case nText:
			if n.expr == nil {
				lead += n.text
				continue
			}
			// It computes subexpressions for their errors (see addLog).
		case nPlain:
			continue
		case nValue:
			// A path inside a string of the outer JSON document has a fast
			// path.
			n.plainString = cfg.mode == JSON && !cfg.strict && n.expr.kind == ePath && n.expr.lenOf == nil && n.esc == esc{kind: escString}
		case nBlock:
			n.body = optimize(n.body, cfg, seen)
			n.alt = optimize(n.alt, cfg, seen)
			if text, alt, ok := condText(&n); ok && n.expr.pre == nil {
				n.kind, n.text, n.altText, n.body, n.alt = nCond, text, alt, nil, nil
			}
		case nPartial:
			for _, p := range append([]*partial{n.part}, partialsOf(n.dyn)...) {
				if p != nil && !seen[p] {
					seen[p] = true
					p.nodes = optimize(p.nodes, cfg, seen)
				}
			}
		}
		n.lead, lead = lead, ""
		out = append(out, n)
	}
	if lead != "" {
		out = append(out, node{kind: nText, text: lead})
	}
	if len(out) == 0 {
		return nil
	}
	return slices.Clone(out)
}

func partialsOf(m map[string]*partial) []*partial {
	parts := make([]*partial, 0, len(m))
	for _, p := range m {
		parts = append(parts, p)
	}
	return parts
}

// condText reports whether n is a block over @first, @last or @index whose
// parts are plain text, and returns that text.
func condText(n *node) (text, alt string, ok bool) {
	if n.expr.kind != eData || n.expr.data == dKey || n.expr.up > 0 || n.expr.includeZero != nil || n.block == bEach ||
		n.expr.data == dIndex && n.block != bIf && n.block != bUnless {
		return "", "", false
	}
	text, ok = onlyText(n.body)
	if !ok {
		return "", "", false
	}
	alt, ok = onlyText(n.alt)
	return text, alt, ok
}

func onlyText(nodes []node) (string, bool) {
	switch {
	case len(nodes) == 0:
		return "", true
	case len(nodes) == 1 && nodes[0].kind == nText:
		return nodes[0].text, true
	}
	return "", false
}
