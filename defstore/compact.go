package defstore

import (
	"encoding/binary"
	"math"
	"slices"
)

// Memory keeps each definition's bytes (the definition, then its sealed
// secrets) as runs copied from a base, the definition (never the
// secrets) of a recently stored one kept whole, and from its own earlier
// bytes, with literals between them: the definitions of a service mostly
// differ in a few fields (an id, a URL, a credential), and its tenants use
// a few presets, so that a definition costs about the bytes it does not
// share. Sealed secrets share nothing and are kept as they are; secrets
// in clear (no keyring) share with the definition before them. The bytes
// are not interpreted, only compared.
//
// A packed definition is a list of operations, each a uvarint n<<1|k
// where k is 0 for n literal bytes, which follow, and 1 for a copy of n
// bytes, followed by the uvarint offset of their source in the window:
// the base, then the bytes decoded so far. A copy lies wholly in the base
// or wholly in the decoded bytes.

// minRun is the shortest run copied: a copy takes up to 6 bytes.
const minRun = 8

// bases is how many bases Memory tries a definition against: those of the
// few most recently packed definitions.
const bases = 4

// hashBits sizes the table of positions an encoder looks runs up in.
const hashBits = 11

// base is a definition, without its secrets, that others copy runs
// from. It is immutable and lives as long as a definition packed against
// it, the one it came from deleted or not.
type base struct {
	data []byte
}

// packed is a definition's bytes as Memory keeps them.
type packed struct {
	base *base  // nil: copies are all from the definition's own bytes
	ops  []byte // nil for no bytes
	size int    // the bytes' length
}

// unpack returns p's bytes in a new slice.
func (p packed) unpack() []byte {
	if p.size == 0 {
		return nil
	}
	var window []byte
	if p.base != nil {
		window = p.base.data
	}
	out := make([]byte, p.size)
	at := 0
	for ops := p.ops; len(ops) > 0; {
		op, k := uvarint(ops)
		ops = ops[k:]
		n := int(op >> 1)
		if op&1 == 0 {
			at += copy(out[at:], ops[:n])
			ops = ops[n:]
			continue
		}
		from, k := uvarint(ops)
		ops = ops[k:]
		if from < len(window) {
			at += copy(out[at:], window[from:from+n])
		} else {
			from -= len(window)
			at += copy(out[at:], out[from:from+n])
		}
	}
	return out
}

// uvarint decodes a uvarint of ops, which has one; most are a byte.
func uvarint(ops []byte) (int, int) {
	if ops[0] < 0x80 {
		return int(ops[0]), 1
	}
	v, k := binary.Uvarint(ops)
	return int(v), k
}

// packer packs definitions against the bases of the ones it packed last.
type packer struct {
	recent [bases]*indexed // the most recent first; nil when fewer
}

// indexed is a base and the table of where its runs start.
type indexed struct {
	base  *base
	table *[1 << hashBits]int32 // position+1 of a run of minRun bytes by hash; 0 for none
}

// pack returns definition and secrets packed, against whichever recent
// base the definition shares most with, or else with the definition as a
// base of its own for the next ones. Bases are made of definitions only,
// which hold no secrets, so that a deleted definition's secrets do not
// live on in the bases of others.
func (pk *packer) pack(definition, secrets []byte) packed {
	data := definition
	if len(secrets) > 0 {
		data = make([]byte, 0, len(definition)+len(secrets))
		data = append(append(data, definition...), secrets...)
	}
	if len(data) == 0 {
		return packed{}
	}
	if len(data) >= math.MaxInt32 {
		// Positions are kept as int32: bytes this large are one literal.
		ops := binary.AppendUvarint(nil, uint64(len(data))<<1)
		return packed{ops: append(ops, data...), size: len(data)}
	}
	if len(definition) < minRun {
		out, _ := encode(&indexed{base: &base{}, table: &noRuns}, data, 0)
		return out
	}
	best, out, defOps := -1, packed{}, 0
	for i, x := range pk.recent {
		if x == nil {
			break
		}
		p, n := encode(x, data, len(definition))
		if best < 0 || n < defOps || n == defOps && len(p.ops) < len(out.ops) {
			best, out, defOps = i, p, n
		}
		if defOps <= len(definition)/4 {
			break // good enough: most definitions stop at the first
		}
	}
	if best >= 0 && defOps <= len(definition)*3/4 {
		// Most recent first, so that the next definition tries it first.
		x := pk.recent[best]
		copy(pk.recent[1:best+1], pk.recent[:best])
		pk.recent[0] = x
		return out
	}
	// Shares too little with any: a base of its own.
	b := &base{data: slices.Clone(definition)}
	x := &indexed{base: b, table: new([1 << hashBits]int32)}
	for i := 0; i+minRun <= len(b.data); i++ {
		x.table[hash(b.data[i:])] = int32(i + 1)
	}
	copy(pk.recent[1:], pk.recent[:bases-1])
	pk.recent[0] = x
	out, _ = encode(x, data, len(definition))
	return out
}

var noRuns [1 << hashBits]int32

// encode packs data against x's base and its own earlier bytes; it also
// returns the length of the operations that make its first defLen bytes.
func encode(x *indexed, data []byte, defLen int) (packed, int) {
	w := x.base.data
	var own [1 << hashBits]int32 // position+1 in data of a run, by hash
	var ops []byte
	defOps := -1
	lit := 0 // start of the pending literal bytes
	flush := func(end int) {
		if end > lit {
			ops = binary.AppendUvarint(ops, uint64(end-lit)<<1)
			ops = append(ops, data[lit:end]...)
		}
	}
	i := 0
	for i+minRun <= len(data) {
		if defOps < 0 && i >= defLen {
			defOps = len(ops) + i - lit
		}
		h := hash(data[i:])
		from, n := 0, 0
		if c := int(x.table[h]) - 1; c >= 0 {
			if k := common(w[c:], data[i:]); k >= minRun {
				from, n = c, k
			}
		}
		if c := int(own[h]) - 1; c >= 0 {
			// The source must lie wholly before i.
			if k := common(data[c:i], data[i:]); k >= minRun && k > n {
				from, n = len(w)+c, k
			}
		}
		own[h] = int32(i + 1)
		if n == 0 {
			i++
			continue
		}
		flush(i)
		ops = binary.AppendUvarint(ops, uint64(n)<<1|1)
		ops = binary.AppendUvarint(ops, uint64(from))
		for j := i + 1; j < i+n && j+minRun <= len(data); j++ {
			own[hash(data[j:])] = int32(j + 1)
		}
		i += n
		lit = i
	}
	flush(len(data))
	if defOps < 0 {
		defOps = len(ops)
	}
	p := packed{base: x.base, ops: slices.Clip(ops), size: len(data)}
	if len(w) == 0 {
		p.base = nil
	}
	return p, defOps
}

// common returns the length of the common prefix of a and b.
func common(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// hash hashes the first minRun bytes of b.
func hash(b []byte) uint32 {
	v := binary.LittleEndian.Uint64(b)
	return uint32((v * 0x9E3779B97F4A7C15) >> (64 - hashBits))
}
