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
	items map[T]itemRefs[T]        // where each value is, for Remove
}

// The sets are kept in place in their maps' slots, not each behind a
// pointer of its own: an index of a million filters, most of them under a
// value no other filter has (a requester, an integration id), then holds
// a few large tables rather than millions of small objects, which the
// collector would mark at every cycle.

// indexPath is the filters indexed under equalities on one path.
type indexPath[T comparable] struct {
	key     string // in paths
	steps   []step
	byValue map[valueKey]valueSet[T]
}

// valueSet is the values indexed under one (path, value): one alone in
// one, or, from the second on, all of them in many. Never empty.
type valueSet[T comparable] struct {
	one  T
	many map[T]struct{}
}

func (s valueSet[T]) len() int {
	if s.many != nil {
		return len(s.many)
	}
	return 1
}

// itemRefs is where one value is indexed: nowhere for a residual one, and
// otherwise under n pairs, the first two in few (most filters need one or
// two) and the others in more. A filter matching no event, an empty Or,
// is indexed under none without being residual.
type itemRefs[T comparable] struct {
	residual bool
	n        int
	few      [2]indexRef[T]
	more     []indexRef[T]
}

func (r *itemRefs[T]) add(ref indexRef[T]) {
	if r.n < len(r.few) {
		r.few[r.n] = ref
	} else {
		r.more = append(r.more, ref)
	}
	r.n++
}

// all calls f with each (path, value) pair.
func (r *itemRefs[T]) all(f func(indexRef[T])) {
	for _, ref := range r.few[:min(r.n, len(r.few))] {
		f(ref)
	}
	for _, ref := range r.more {
		f(ref)
	}
}

// indexRef is one (path, value) a filter is indexed under.
type indexRef[T comparable] struct {
	p   *indexPath[T]
	key valueKey
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
		ix.paths, ix.rest, ix.items = map[string]*indexPath[T]{}, map[T]struct{}{}, map[T]itemRefs[T]{}
	}
	var needs []need
	ok := false
	if f != nil && f.root != nil {
		needs, ok = requires(f.root, nil)
	}
	if !ok {
		ix.rest[v] = struct{}{}
		ix.items[v] = itemRefs[T]{residual: true}
		return
	}
	var refs itemRefs[T]
	for _, n := range needs {
		p := ix.paths[n.path]
		if p == nil {
			p = &indexPath[T]{key: n.path, steps: n.steps, byValue: map[valueKey]valueSet[T]{}}
			ix.paths[n.path] = p
		}
		for _, k := range n.keys {
			set, found := p.byValue[k]
			switch {
			case !found:
				set.one = v
			case set.many == nil && set.one == v:
				continue
			case set.many == nil:
				set.many = map[T]struct{}{set.one: {}, v: {}}
				set.one = *new(T)
			default:
				if _, dup := set.many[v]; dup {
					continue
				}
				set.many[v] = struct{}{}
			}
			p.byValue[k] = set
			refs.add(indexRef[T]{p, k})
		}
	}
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
	if refs.residual {
		delete(ix.rest, v)
		return
	}
	refs.all(func(r indexRef[T]) {
		p := r.p
		set := p.byValue[r.key]
		if set.many != nil {
			delete(set.many, v)
			if len(set.many) > 0 {
				return
			}
		}
		delete(p.byValue, r.key)
		if len(p.byValue) == 0 {
			delete(ix.paths, p.key)
		}
	})
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
			if !ok {
				continue
			}
			if _, in := p.byValue[k]; !in {
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
		return hit[0].p.byValue[hit[0].k].appendTo(dst)
	}
	// A value indexed under several pairs may be in several sets: a
	// few are told apart by a scan, many by a map.
	start, total := len(dst), 0
	for _, b := range hit {
		total += b.p.byValue[b.k].len()
	}
	var seen map[T]struct{}
	if total > dedupScan {
		seen = make(map[T]struct{}, total)
	}
	add := func(v T) {
		if seen == nil {
			if !slices.Contains(dst[start:], v) {
				dst = append(dst, v)
			}
		} else if _, dup := seen[v]; !dup {
			seen[v] = struct{}{}
			dst = append(dst, v)
		}
	}
	for _, b := range hit {
		set := b.p.byValue[b.k]
		if set.many == nil {
			add(set.one)
			continue
		}
		for v := range set.many {
			add(v)
		}
	}
	return dst
}

// appendTo appends the values of s to dst.
func (s valueSet[T]) appendTo(dst []T) []T {
	if s.many == nil {
		return append(dst, s.one)
	}
	for v := range s.many {
		dst = append(dst, v)
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
