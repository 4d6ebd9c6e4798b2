package defstore

import (
	"slices"
	"sort"
)

// chunkMax bounds the chunks of an idIndex: an insertion moves at most
// that many pointers, plus one per chunk.
const chunkMax = 512

// idIndex keeps entries in byte order of their ids, as a list of sorted
// chunks: a tenant of ten definitions costs one small slice, and one of a
// million is found by two binary searches.
type idIndex struct {
	chunks [][]*entry
	n      int
}

func (x *idIndex) len() int { return x.n }

// find returns the position of the first entry whose id is greater than
// id, or not less when orEqual.
func (x *idIndex) find(id string, orEqual bool) (c, i int) {
	past := func(e *entry) bool {
		if orEqual {
			return e.id >= id
		}
		return e.id > id
	}
	c = sort.Search(len(x.chunks), func(c int) bool {
		chunk := x.chunks[c]
		return past(chunk[len(chunk)-1])
	})
	if c == len(x.chunks) {
		return c, 0
	}
	chunk := x.chunks[c]
	return c, sort.Search(len(chunk), func(i int) bool { return past(chunk[i]) })
}

func (x *idIndex) insert(e *entry) {
	x.n++
	if len(x.chunks) == 0 {
		x.chunks = [][]*entry{{e}}
		return
	}
	c, i := x.find(e.id, true)
	if c == len(x.chunks) {
		c = len(x.chunks) - 1
		i = len(x.chunks[c])
	}
	chunk := slices.Insert(x.chunks[c], i, e)
	if len(chunk) <= chunkMax {
		x.chunks[c] = chunk
		return
	}
	half := len(chunk) / 2
	right := slices.Clone(chunk[half:])
	clear(chunk[half:])
	x.chunks[c] = chunk[:half]
	x.chunks = slices.Insert(x.chunks, c+1, right)
}

func (x *idIndex) remove(e *entry) {
	c, i := x.find(e.id, true)
	if c == len(x.chunks) || x.chunks[c][i] != e {
		return
	}
	x.n--
	chunk := slices.Delete(x.chunks[c], i, i+1)
	if len(chunk) == 0 {
		x.chunks = slices.Delete(x.chunks, c, c+1)
		return
	}
	x.chunks[c] = chunk
}

// after calls yield with the entries whose id is greater than id (all of
// them unless started), in order, until yield returns false; it reports
// whether it stopped before the end.
func (x *idIndex) after(id string, started bool, yield func(*entry) bool) (more bool) {
	c, i := 0, 0
	if started {
		c, i = x.find(id, false)
	}
	for ; c < len(x.chunks); c, i = c+1, 0 {
		for _, e := range x.chunks[c][i:] {
			if !yield(e) {
				return true
			}
		}
	}
	return false
}
