package filter

import (
	"slices"
	"strconv"
	"strings"

	"github.com/outhook/outhook/internal/jsondoc"
)

// Index holds many filters, each with a value of the caller's (a webhook),
// and finds those that may match an event without running every filter:
// the cost of Candidates follows the filters an event can match and the
// distinct paths indexed, not the filters held.
//
// A filter is indexed under the values of an equality every event it
// matches must have: a comparison OpEq or OpIn (Every or not) whose
// operands are strings, booleans or null, required by the filter as a
// whole (the filter itself, one of the clauses of an And at its top, or
// such a comparison in every alternative of an Or there, recursively).
// When an And holds several, the one with the fewest operands is used. A
// filter that requires no such equality (the zero filter, a comparison
// under Not, OpNeq, a number operand, a prefix or a range) is a residual
// one, returned for every event.
//
// Candidates is a pre-selection, never the decision: every filter that
// matches an event is among its candidates, and some candidates do not
// match; the caller runs Match on each.
//
// The zero Index is empty and ready to use. An Index is not safe for
// concurrent use; Candidates only reads it, so it may run concurrently
// with other calls of Candidates, not with Add or Remove.
type Index[T comparable] struct {
	paths map[string]*indexPath[T] // by canonical path
	rest  map[T]struct{}           // residual filters
	items map[T][]indexRef         // where each value is, for Remove; empty for the residual ones
}

// indexPath is the filters indexed under equalities on one path.
type indexPath[T comparable] struct {
	steps   []step
	byValue map[valueKey]map[T]struct{}
}

// indexRef is one (path, value) a filter is indexed under.
type indexRef struct {
	path string
	key  valueKey
}

// valueKey is a JSON string, boolean or null, as an index key.
type valueKey struct {
	kind byte // 's' string, 't' true, 'f' false, 'n' null
	s    string
}

// need is an equality a filter requires: some value at steps is one of keys.
type need struct {
	path  string
	steps []step
	keys  []valueKey
}

// Add indexes f with v, replacing the filter v had. A nil f matches every
// event: v is then a residual value.
func (ix *Index[T]) Add(v T, f *Filter) {
	ix.Remove(v)
	if ix.items == nil {
		ix.paths, ix.rest, ix.items = map[string]*indexPath[T]{}, map[T]struct{}{}, map[T][]indexRef{}
	}
	var needs []need
	ok := false
	if f != nil && f.root != nil {
		needs, ok = requires(f.root, nil)
	}
	if !ok {
		ix.rest[v] = struct{}{}
		ix.items[v] = nil
		return
	}
	refs := make([]indexRef, 0, len(needs))
	for _, n := range needs {
		p := ix.paths[n.path]
		if p == nil {
			p = &indexPath[T]{steps: n.steps, byValue: map[valueKey]map[T]struct{}{}}
			ix.paths[n.path] = p
		}
		for _, k := range n.keys {
			set := p.byValue[k]
			if set == nil {
				set = map[T]struct{}{}
				p.byValue[k] = set
			}
			if _, dup := set[v]; !dup {
				set[v] = struct{}{}
				refs = append(refs, indexRef{n.path, k})
			}
		}
	}
	// Never nil, so that a filter matching no event (an empty Or) is
	// held without being residual.
	ix.items[v] = refs
}

// Remove forgets v. It costs the number of (path, value) pairs v was
// indexed under, whatever the size of the index.
func (ix *Index[T]) Remove(v T) {
	refs, ok := ix.items[v]
	if !ok {
		return
	}
	delete(ix.items, v)
	if refs == nil {
		delete(ix.rest, v)
		return
	}
	for _, r := range refs {
		p := ix.paths[r.path]
		set := p.byValue[r.key]
		delete(set, v)
		if len(set) == 0 {
			delete(p.byValue, r.key)
			if len(p.byValue) == 0 {
				delete(ix.paths, r.path)
			}
		}
	}
}

// Len returns the number of values held.
func (ix *Index[T]) Len() int { return len(ix.items) }

// All appends every value held to dst, in no particular order.
func (ix *Index[T]) All(dst []T) []T {
	for v := range ix.items {
		dst = append(dst, v)
	}
	return dst
}

// Candidates appends to dst, once each and in no particular order, the
// values whose filters may match event: the residual ones and those
// indexed under a value event has at the indexed path. event is what
// Match takes.
func (ix *Index[T]) Candidates(dst []T, event any) []T {
	for v := range ix.rest {
		dst = append(dst, v)
	}
	type bucket struct {
		p *indexPath[T]
		k valueKey
	}
	var few [4]bucket
	hit := few[:0]
	// An event may hold many values at a path ([] over a long array): a
	// few buckets are told apart by a scan, many by a map.
	var hitSet map[bucket]struct{}
	var found []any
	for _, p := range ix.paths {
		found = collect(event, p.steps, found[:0])
		for _, x := range found {
			k, ok := keyOf(x)
			if !ok || len(p.byValue[k]) == 0 {
				continue
			}
			b := bucket{p, k}
			switch {
			case hitSet != nil:
				if _, dup := hitSet[b]; !dup {
					hitSet[b] = struct{}{}
					hit = append(hit, b)
				}
			case !slices.Contains(hit, b):
				hit = append(hit, b)
				if len(hit) > dedupScan {
					hitSet = make(map[bucket]struct{}, 2*len(hit))
					for _, h := range hit {
						hitSet[h] = struct{}{}
					}
				}
			}
		}
	}
	if len(hit) == 1 {
		for v := range hit[0].p.byValue[hit[0].k] {
			dst = append(dst, v)
		}
		return dst
	}
	// A value indexed under several pairs may be in several sets: a
	// few are told apart by a scan, many by a map.
	start, total := len(dst), 0
	for _, b := range hit {
		total += len(b.p.byValue[b.k])
	}
	var seen map[T]struct{}
	if total > dedupScan {
		seen = make(map[T]struct{}, total)
	}
	for _, b := range hit {
		for v := range b.p.byValue[b.k] {
			if seen == nil {
				if !slices.Contains(dst[start:], v) {
					dst = append(dst, v)
				}
			} else if _, dup := seen[v]; !dup {
				seen[v] = struct{}{}
				dst = append(dst, v)
			}
		}
	}
	return dst
}

// dedupScan is the number of candidates up to which a scan of those found
// so far beats a map.
const dedupScan = 32

// keyOf returns the index key of a value found in an event, and false
// for a value no indexed comparison can equal (a number, an object).
func keyOf(x any) (valueKey, bool) {
	if s, ok := jsondoc.Str(x); ok {
		return valueKey{'s', s}, true
	}
	switch jsondoc.KindOf(x) {
	case jsondoc.Bool:
		if b, _ := jsondoc.Boolean(x); b {
			return valueKey{kind: 't'}, true
		}
		return valueKey{kind: 'f'}, true
	case jsondoc.Null:
		return valueKey{kind: 'n'}, true
	}
	return valueKey{}, false
}

// requires returns equalities of which every event n matches has at least
// one, prefix being the members a scopeNode above n looked up; false when
// it cannot name any.
func requires(n node, prefix []step) ([]need, bool) {
	switch n := n.(type) {
	case *scopeNode:
		return requires(n.kid, append(slices.Clip(prefix), step{kind: stepMember, key: n.key}))
	case *leaf:
		t, ok := n.test.(*setTest)
		if !ok || n.negate || len(t.nums) > 0 {
			return nil, false
		}
		keys := make([]valueKey, 0, len(t.strs)+3)
		for _, s := range t.strs {
			keys = append(keys, valueKey{'s', s})
		}
		if t.yes {
			keys = append(keys, valueKey{kind: 't'})
		}
		if t.no {
			keys = append(keys, valueKey{kind: 'f'})
		}
		if t.null {
			keys = append(keys, valueKey{kind: 'n'})
		}
		steps := append(slices.Clip(prefix), n.steps...)
		return []need{{path: pathKey(steps), steps: steps, keys: keys}}, true
	case allNode:
		var best []need
		found := false
		for _, k := range n {
			if needs, ok := requires(k, prefix); ok && (!found || width(needs) < width(best)) {
				best, found = needs, true
			}
		}
		return best, found
	case *anyNode:
		var all []need
		for _, k := range n.kids {
			needs, ok := requires(k, prefix)
			if !ok {
				return nil, false
			}
			all = append(all, needs...)
		}
		return all, true // none for an empty Or, which matches no event
	}
	return nil, false
}

// width counts the keys of needs.
func width(needs []need) int {
	n := 0
	for _, x := range needs {
		n += len(x.keys)
	}
	return n
}

// pathKey spells steps the same way whichever way the path was written
// ("$.a.b", "a.b", `a["b"]`).
func pathKey(steps []step) string {
	var b strings.Builder
	for _, s := range steps {
		switch s.kind {
		case stepMember:
			b.WriteString(strconv.Quote(s.key))
		case stepIndex:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		case stepEach:
			b.WriteString("[]")
		}
	}
	return b.String()
}
