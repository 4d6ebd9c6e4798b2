package template

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/outhook/outhook/internal/jsondoc"
)

// ctxFrame is one context of the rendering: the data value that relative
// paths start from, and, inside each and list sections, the loop position.
type ctxFrame struct {
	v     any
	key   string
	index int32
	count int32
	loop  bool
	// member marks a frame of a loop over an object's members, whose key
	// may be "".
	member bool
	// undef marks a context that is missing, not null: handlebars.js
	// tells undefined from null, and the empty object a helper block sees
	// in place of undefined is a level for ../ (level).
	undef, level bool
	param        int32 // the block whose parameters this frame holds, or 0
	// unlisted, for a section with block parameters over a value that is
	// not a list, says what they are there (see sectionParams), and chain
	// where they come from.
	unlisted paramsUnlisted
	chain    *sectionChain
	// below is, when not 0, 1 + the frame ../ goes to from this one
	// (see defMark); otherwise it is the frame before.
	below int32
}

// defMark is a block being rendered whose parts define inline partials:
// the mark of their scopes (node.scope), and the frame and floor at its
// tag, where ../ inside those partials goes from their context.
type defMark struct {
	scope, frame, floor int32
}

// state is what one execution needs. It lives on the caller's stack, so
// that rendering does not allocate: the first frames are in an array, and
// only deeper nesting spills to the heap.
type state struct {
	t       *Template
	n       int // frames in use
	frames  [3]ctxFrame
	more    []ctxFrame // frames beyond len(frames)
	args    []any      // helper arguments
	scratch []byte     // text that must be escaped after rendering
	depth   int        // partial nesting
	floor   int        // the frame of the partial being rendered, where ../ stops
	// floors holds the floors around the partials inlined in JSON mode
	// (between nFloor marks), nFloors of them.
	floors  [maxInlineDepth]int32
	nFloors int
	// blockFloors holds the floors around the partials called as blocks
	// being rendered, innermost last: their content's own.
	blockFloors []int32
	// hashKeys holds, for the hash contexts of the partials being
	// rendered ({{> p x k=v}}), the order of their members.
	hashKeys []hashKeys
	// defMarks are the blocks being rendered whose parts define inline
	// partials, innermost last.
	defMarks []defMark
	// dataCopies holds, for each level of loop data a partial block added
	// (see outerData), how many frames there were then, innermost last.
	dataCopies []int32
	// rootCache holds the members of the data looked up so far, by the
	// slots of expr.rootSlot, when the data is a parsed document;
	// rootDone has a bit for each slot filled.
	rootCache [maxRootSlots]*jsondoc.Value
	rootDone  uint8
	// rootAny and rootFound are the same when the data is a
	// map[string]any.
	rootAny   [maxRootSlots]any
	rootFound [maxRootSlots]bool
	// limit is Template.limit; start is where the output begins in dst,
	// and work what the rendering did besides writing it.
	limit, start, work int
}

// frame returns the i-th frame, the outermost first.
func (s *state) frame(i int) *ctxFrame {
	if i < len(s.frames) {
		return &s.frames[i]
	}
	return &s.more[i-len(s.frames)]
}

func (s *state) push(f ctxFrame) {
	if s.n < len(s.frames) {
		s.frames[s.n] = f
	} else {
		s.more = append(s.more[:s.n-len(s.frames)], f)
	}
	s.n++
}

func (s *state) pop() { s.n-- }

// upFrame returns the index of the frame up levels above the current one,
// or a negative one. In the Handlebars dialect a context equal to the one
// below it is no level, as in handlebars.js, nor is the empty object that
// stands for a null context in a helper block (see helperPart).
func (s *state) upFrame(up int) int {
	i := s.n - 1
	for range up {
		for s.t.sameLevels && i > 0 && !s.frame(i).level && sameContext(s.frame(i).v, s.frame(s.below(i)).v) {
			i = s.below(i)
		}
		i = s.below(i)
		for i > 0 && s.frame(i).v == any(nullContext) && !s.frame(i).level {
			i = s.below(i)
		}
	}
	return i
}

// below returns the index of the frame ../ goes to from frame i.
func (s *state) below(i int) int {
	if i > 0 {
		if b := s.frame(i).below; b != 0 {
			return int(b) - 1
		}
	}
	return i - 1
}

// sameContext reports whether handlebars.js finds contexts a and b equal
// with ==: the same object or array, scalars of one kind and value, or
// values of different kinds that JavaScript converts to equal ones (3 and
// "3", [3] and 3, true and 1, "" and 0, an object and "[object Object]").
func sameContext(a, b any) bool {
	ka, kb := jsondoc.KindOf(a), jsondoc.KindOf(b)
	if ka != kb {
		if a == any(nullContext) && kb == jsondoc.Null || b == any(nullContext) && ka == jsondoc.Null {
			return true
		}
		return looseEqual(a, ka, b, kb)
	}
	switch ka {
	case jsondoc.Object, jsondoc.Array:
		if da, ok := a.(*jsondoc.Value); ok {
			db, ok := b.(*jsondoc.Value)
			return ok && da == db
		}
		va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
		switch va.Kind() {
		case reflect.Map, reflect.Slice, reflect.Pointer:
			return va.Type() == vb.Type() && va.UnsafePointer() == vb.UnsafePointer() && jsondoc.Len(a) == jsondoc.Len(b)
		}
		return false
	case jsondoc.String:
		sa, _ := jsondoc.Str(a)
		sb, _ := jsondoc.Str(b)
		return sa == sb
	case jsondoc.Number:
		fa, _ := jsondoc.Float(a)
		fb, _ := jsondoc.Float(b)
		return fa == fb
	case jsondoc.Bool:
		ba, _ := jsondoc.Boolean(a)
		bb, _ := jsondoc.Boolean(b)
		return ba == bb
	}
	return true
}

// looseEqual is JavaScript's == over values of different kinds: null
// equals none of them, an object or array is compared as its text, and
// the rest as numbers.
func looseEqual(a any, ka jsondoc.Kind, b any, kb jsondoc.Kind) bool {
	if ka == jsondoc.Null || kb == jsondoc.Null {
		return false
	}
	composite := func(k jsondoc.Kind) bool { return k == jsondoc.Object || k == jsondoc.Array }
	if composite(ka) && composite(kb) {
		return false
	}
	var sa, sb string
	if composite(ka) {
		sa, ka = string(appendJSText(nil, a)), jsondoc.String
	} else if ka == jsondoc.String {
		sa, _ = jsondoc.Str(a)
	}
	if composite(kb) {
		sb, kb = string(appendJSText(nil, b)), jsondoc.String
	} else if kb == jsondoc.String {
		sb, _ = jsondoc.Str(b)
	}
	if ka == jsondoc.String && kb == jsondoc.String {
		return sa == sb
	}
	fa, fb := jsNumber(a, ka, sa), jsNumber(b, kb, sb)
	return fa == fb // NaN equals nothing
}

// jsNumber is JavaScript's Number(v) of a string, number or boolean.
func jsNumber(v any, k jsondoc.Kind, s string) float64 {
	switch k {
	case jsondoc.Bool:
		if b, _ := jsondoc.Boolean(v); b {
			return 1
		}
		return 0
	case jsondoc.Number:
		f, _ := jsondoc.Float(v)
		return f
	}
	return jsStringNumber(s)
}

// jsDecimal is the decimal form Number() reads from a string.
var jsDecimal = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// jsStringNumber is Number(s): the text without JavaScript's white space,
// empty (0), a decimal, Infinity, or 0x, 0o or 0b digits; NaN otherwise.
func jsStringNumber(s string) float64 {
	s = strings.TrimFunc(s, func(r rune) bool {
		return unicode.Is(unicode.Zs, r) || strings.ContainsRune("\t\n\v\f\r\u2028\u2029\ufeff", r)
	})
	switch s {
	case "":
		return 0
	case "Infinity", "+Infinity":
		return math.Inf(1)
	case "-Infinity":
		return math.Inf(-1)
	}
	if jsDecimal.MatchString(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return math.NaN()
		}
		return f
	}
	if len(s) > 2 && s[0] == '0' {
		base := map[byte]int{'x': 16, 'X': 16, 'o': 8, 'O': 8, 'b': 2, 'B': 2}[s[1]]
		if base == 0 {
			return math.NaN()
		}
		for _, c := range s[2:] {
			if _, err := strconv.ParseUint(string(c), base, 8); err != nil {
				return math.NaN()
			}
		}
		// Rounded once from the exact value, as JavaScript does: adding
		// digit by digit in float64 rounds at each step past 2^53.
		n, _ := new(big.Int).SetString(s[2:], base)
		f, _ := new(big.Float).SetInt(n).Float64()
		return f
	}
	return math.NaN()
}

// appendJSText appends String(v) as JavaScript writes it, for ==: an
// array's elements joined by commas (null as nothing, numbers with the
// digits JavaScript gives the float64, not those of the JSON literal),
// an object as [object Object].
func appendJSText(dst []byte, v any) []byte {
	switch jsondoc.KindOf(v) {
	case jsondoc.Object:
		return append(dst, "[object Object]"...)
	case jsondoc.Number:
		f, _ := jsondoc.Float(v)
		return appendJSNumber(dst, f)
	case jsondoc.Array:
		for i, n := 0, jsondoc.Len(v); i < n; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			el, _ := jsondoc.Elem(v, i)
			dst = appendJSText(dst, el)
		}
		return dst
	}
	return jsondoc.AppendText(dst, v)
}

// appendJSNumber appends JavaScript's Number::toString(f): the shortest
// digits that read back as f, in plain notation for exponents from -7 to
// 20 and as d.ddde±n beyond; -0 is 0.
func appendJSNumber(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		return append(dst, '0')
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±xx
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	n, k := x+1, len(digits) // f is 0.digits × 10^n
	switch {
	case k <= n && n <= 21:
		dst = append(dst, digits...)
		for range n - k {
			dst = append(dst, '0')
		}
	case 0 < n && n <= 21:
		dst = append(append(append(dst, digits[:n]...), '.'), digits[n:]...)
	case -6 < n && n <= 0:
		dst = append(dst, "0."...)
		for range -n {
			dst = append(dst, '0')
		}
		dst = append(dst, digits...)
	default:
		dst = append(dst, digits[0])
		if k > 1 {
			dst = append(append(dst, '.'), digits[1:]...)
		}
		dst = append(dst, 'e')
		if n-1 >= 0 {
			dst = append(dst, '+')
		}
		dst = strconv.AppendInt(dst, int64(n-1), 10)
	}
	return dst
}

// nullContext is the context of a helper block's parts where the context is
// null or missing: handlebars.js calls its helpers with an empty object as
// this there, and counts it as no level above the null for ../.
var nullContext = func() *jsondoc.Value {
	d, err := jsondoc.Parse([]byte("{}"))
	if err != nil {
		panic(err)
	}
	return d
}()

// helperPart renders a part of an if, unless, each or with block, which
// handlebars.js renders with this as its context.
func (s *state) helperPart(dst []byte, nodes []node) ([]byte, error) {
	if len(nodes) == 0 || !s.t.sameLevels || jsondoc.KindOf(s.frame(s.n-1).v) != jsondoc.Null {
		return s.run(dst, nodes)
	}
	s.push(ctxFrame{v: nullContext, level: s.frame(s.n - 1).undef})
	dst, err := s.run(dst, nodes)
	s.pop()
	return dst, err
}

// maxPartialDepth bounds partials that include themselves.
const maxPartialDepth = 100

// run renders nodes, appending to dst.
func (s *state) run(dst []byte, nodes []node) ([]byte, error) {
	var err error
	if s.limit > 0 {
		s.work++
	}
	for i := range nodes {
		if s.limit > 0 && i > 0 && len(dst)-s.start+s.work > s.limit {
			return dst, s.overLimit(&nodes[i-1])
		}
		n := &nodes[i]
		if n.lead != "" {
			dst = append(dst, n.lead...)
		}
		if n.expr != nil && n.expr.pre != nil {
			for _, e := range n.expr.pre {
				if _, _, err := s.eval(n, e, true); err != nil {
					return dst, err
				}
			}
		}
		switch n.kind {
		case nText:
			dst = append(dst, n.text...)
		case nCond:
			t := false
			if f := s.loopFrame(); f != nil {
				switch n.expr.data {
				case dFirst:
					t = f.index == 0
				case dLast:
					t = f.index == f.count-1
				case dIndex:
					t = f.index != 0
				}
			}
			if n.block == bUnless || n.block == bInverted {
				t = !t
			}
			if t {
				dst = append(dst, n.text...)
			} else {
				dst = append(dst, n.altText...)
			}
		case nValue:
			if n.plainString {
				// The common case: a string of a parsed document inside a
				// JSON string.
				if v, ok := s.lookup(n.expr); ok {
					switch v := v.(type) {
					case *jsondoc.Value:
						if v.Kind() == jsondoc.String {
							dst = jsondoc.AppendEscaped(dst, v.Text())
							continue
						}
					case string:
						dst = jsondoc.AppendEscaped(dst, v)
						continue
					}
				}
			}
			dst, err = s.value(dst, n)
		case nBlock:
			dst, err = s.block(dst, n)
			if err != nil {
				s.placeLimit(err, n)
			}
		case nFloor:
			if n.text == "" {
				s.floors[s.nFloors] = int32(s.enterFloor(n))
				s.nFloors++
			} else {
				s.nFloors--
				s.leaveFloor(n, int(s.floors[s.nFloors]))
			}
		case nPartial:
			part := n.part
			if n.dyn != nil {
				if n.nameOutside {
					s.n-- // the frame stays in place for the partial
				}
				v, _, err := s.eval(n, n.expr, false)
				if n.nameOutside {
					s.n++
				}
				if err != nil {
					return dst, err
				}
				name, _ := jsondoc.Str(v)
				if part = n.dyn[name]; part == nil {
					if n.mustFind {
						return dst, s.errorf(n, n.pos, "no partial named "+strconv.Quote(name)+" for {{> "+n.expr.text+"}}", nil)
					}
					continue
				}
			}
			if s.depth >= maxPartialDepth {
				return dst, s.errorf(n, n.pos, "partials nested more than "+strconv.Itoa(maxPartialDepth)+" deep", nil)
			}
			s.depth++
			start, floor := len(dst), s.enterFloor(n)
			dst, err = s.run(dst, part.nodes)
			s.depth--
			s.leaveFloor(n, floor)
			if n.indent != "" && err == nil {
				dst = indentLines(dst, start, n.indent)
			}
		}
		if err != nil {
			return dst, err
		}
	}
	if s.limit > 0 && len(nodes) > 0 && len(dst)-s.start+s.work > s.limit {
		return dst, s.overLimit(&nodes[len(nodes)-1])
	}
	return dst, nil
}

// overLimit is the error of a rendering that passed Template.limit at n.
// Text has no source of its own once optimized: the block around it gives
// the position (see run).
func (s *state) overLimit(n *node) *Error {
	msg := "the rendering passed its limit of " + strconv.Itoa(s.limit) + " bytes of output and work"
	if n.src == nil {
		return &Error{Name: s.t.name, Msg: msg, Err: ErrRenderLimit}
	}
	return s.errorf(n, n.pos, msg, ErrRenderLimit)
}

// placeLimit gives a render-limit error that has no position, passed in
// text inside block n, the position of n.
func (s *state) placeLimit(err error, n *node) {
	if e, ok := err.(*Error); ok && e.Line == 0 && e.Err == ErrRenderLimit && n.src != nil {
		e.Name = n.src.name
		e.Line, e.Column = n.src.position(n.pos)
	}
}

// indentLines writes ind at the start of every line of dst[start:] but an
// empty last one, as Handlebars indents the output of a standalone partial.
// It moves the bytes in place, so that only growing dst may allocate.
func indentLines(dst []byte, start int, ind string) []byte {
	if start == len(dst) {
		return dst
	}
	lines := 1 + bytes.Count(dst[start:len(dst)-1], []byte{'\n'})
	end := len(dst)
	for range lines {
		dst = append(dst, ind...)
	}
	// From the end: move each line, then write the indentation before it.
	w := len(dst)
	for r := end; r > start; {
		ls := start + bytes.LastIndexByte(dst[start:r-1], '\n') + 1
		w -= r - ls
		copy(dst[w:], dst[ls:r])
		w -= len(ind)
		copy(dst[w:], ind)
		r = ls
	}
	return dst
}

func (s *state) errorf(n *node, off int, msg string, cause error) *Error {
	e := n.src.errorf(off, msg)
	e.Err = cause
	return e
}

// lookup resolves a path.
func (s *state) lookup(e *expr) (any, bool) {
	if e.byName && !e.length {
		// The common case: a name looked up in parsed documents from the
		// innermost context out (only in it, when local).
		for i := s.n - 1; i >= 0; i-- {
			d, ok := s.frame(i).v.(*jsondoc.Value)
			if !ok {
				if m, ok := s.frame(i).v.(map[string]any); ok {
					// The same for data decoded by encoding/json.
					c, found := s.mapMember(m, i, e)
					if found {
						return walkAny(c, e.segs[1:])
					}
					if i == 0 || e.local {
						return nil, false
					}
					continue
				}
				break
			}
			var c *jsondoc.Value
			if i == 0 && e.rootSlot != 0 {
				// Names looked up in the data itself repeat across a
				// template ("data" in data.id, data.requester.name...).
				slot := e.rootSlot - 1
				if s.rootDone&(1<<slot) != 0 {
					c = s.rootCache[slot]
				} else {
					c = d.Get(e.segs[0].key)
					s.rootCache[slot] = c
					s.rootDone |= 1 << slot
				}
			} else {
				c = d.Get(e.segs[0].key)
			}
			if c != nil {
				if w := walk(c, e.segs[1:]); w != nil {
					return w, true
				}
				return walkChars(c, e.segs[1:])
			}
			if i == 0 || e.local {
				return nil, false
			}
		}
	}
	return s.lookupAny(e)
}

// mapMember looks the first name of e up in m, the data of frame i, with
// the cache of the data's members when i is 0.
func (s *state) mapMember(m map[string]any, i int, e *expr) (any, bool) {
	if i != 0 || e.rootSlot == 0 {
		c, ok := m[e.segs[0].key]
		return c, ok
	}
	bit := uint8(1) << (e.rootSlot - 1)
	if s.rootDone&bit == 0 {
		s.rootAny[e.rootSlot-1], s.rootFound[e.rootSlot-1] = m[e.segs[0].key]
		s.rootDone |= bit
	}
	return s.rootAny[e.rootSlot-1], s.rootFound[e.rootSlot-1]
}

// walkAny follows segs down v, maps and slices decoded by encoding/json
// without the accessors' conversions, as lookupAny would.
func walkAny(v any, segs []seg) (any, bool) {
	for i := range segs {
		switch x := v.(type) {
		case map[string]any:
			c, ok := x[segs[i].key]
			if !ok {
				return nil, false
			}
			v = c
		case *jsondoc.Value:
			if d := walk(x, segs[i:]); d != nil {
				return d, true
			}
			return walkChars(x, segs[i:])
		default:
			c, ok := member(v, segs[i])
			if !ok {
				return nil, false
			}
			v = c
		}
	}
	return jsondoc.Normalize(v), true
}

// walkChars follows segs down d where walk found nothing, for an index
// into a string, which names one of its characters.
func walkChars(d *jsondoc.Value, segs []seg) (any, bool) {
	if !slices.ContainsFunc(segs, func(sg seg) bool { return sg.idx >= 0 }) {
		return nil, false
	}
	var v any = d
	for _, sg := range segs {
		c, ok := member(v, sg)
		if !ok {
			return nil, false
		}
		v = c
	}
	return v, true
}

// walk follows segs down a parsed document.
func walk(d *jsondoc.Value, segs []seg) *jsondoc.Value {
	for i := range segs {
		if segs[i].idx >= 0 && d.Kind() == jsondoc.Array {
			d = d.Elem(segs[i].idx)
		} else {
			d = d.Get(segs[i].key)
		}
		if d == nil {
			return nil
		}
	}
	return d
}

// lookupAny resolves a path in any kind of data.
func (s *state) lookupAny(e *expr) (any, bool) {
	var v any
	segs := e.segs
	switch {
	case e.root:
		return walkData(s.frames[0].v, segs)
	case e.loopVar != nil:
		f := s.outerLoop(e.loopVar.up)
		if f == nil {
			return nil, false
		}
		return walkData(loopValue(f, e.loopVar.data), segs)
	case e.local:
		i := s.n - 1
		if e.up > 0 {
			i = s.upFrame(e.up)
		}
		if i < s.floor {
			return nil, false
		}
		v = s.frame(i).v
	default:
		// The first name is looked up in each enclosing context in turn.
		i := s.n - 1
		for ; i >= 0; i-- {
			f := s.frame(i)
			if d, ok := f.v.(*jsondoc.Value); ok && segs[0].idx < 0 && !segs[0].length {
				if c := d.Get(segs[0].key); c != nil {
					v = c
					break
				}
				continue
			}
			if c, ok := member(f.v, segs[0]); ok {
				v = c
				break
			}
		}
		if i < 0 {
			return nil, false
		}
		segs = segs[1:]
	}
	if d, ok := v.(*jsondoc.Value); ok && !e.length {
		// A parsed document: its children are documents too, but for the
		// characters of a string, which member finds.
		for len(segs) > 0 && !(segs[0].idx >= 0 && d.Kind() == jsondoc.String) {
			if sg := &segs[0]; sg.idx >= 0 && d.Kind() == jsondoc.Array {
				d = d.Elem(sg.idx)
			} else {
				d = d.Get(sg.key)
			}
			if d == nil {
				return nil, false
			}
			segs = segs[1:]
		}
		if len(segs) == 0 {
			return d, true
		}
		v = d
	}
	for _, sg := range segs {
		c, ok := member(v, sg)
		if !ok {
			return nil, false
		}
		v = c
	}
	return v, true
}

// loopValue is the value of the data variable d of the loop frame f.
func loopValue(f *ctxFrame, d dataVar) any {
	switch d {
	case dKey:
		if f.member {
			return f.key
		}
	case dFirst:
		return f.index == 0
	case dLast:
		return f.index == f.count-1
	}
	return int(f.index)
}

// walkData follows segs down v for a data path (@root.x.y, @index.x):
// handlebars.js joins its steps with &&, so a value JavaScript counts as
// false ends the path and is its value (@root.zero.x is 0).
func walkData(v any, segs []seg) (any, bool) {
	for _, sg := range segs {
		if !jsTruthy(v) {
			return v, true
		}
		c, ok := member(v, sg)
		if !ok {
			return nil, false
		}
		v = c
	}
	return v, true
}

func member(v any, sg seg) (any, bool) {
	if sg.length || sg.idx >= 0 {
		// As in JavaScript, which Handlebars templates rely on: a string
		// has a length and its UTF-16 units as elements.
		switch jsondoc.KindOf(v) {
		case jsondoc.Array:
			if sg.length {
				return jsondoc.Len(v), true
			}
		case jsondoc.String:
			str, _ := jsondoc.Str(v)
			if sg.length {
				return utf16Len(str), true
			}
			return utf16At(str, sg.idx)
		}
	}
	if d, ok := v.(*jsondoc.Value); ok {
		// The common case, without the accessors' type switch.
		var c *jsondoc.Value
		if sg.idx >= 0 && d.Kind() == jsondoc.Array {
			c = d.Elem(sg.idx)
		} else {
			c = d.Get(sg.key)
		}
		return c, c != nil
	}
	if sg.idx >= 0 {
		if c, ok := jsondoc.Elem(v, sg.idx); ok {
			return c, true
		}
	}
	return jsondoc.Field(v, sg.key)
}

// paramFrame returns the innermost frame of the block with parameters id.
func (s *state) paramFrame(id int32) *ctxFrame {
	for i := s.n - 1; i >= 0; i-- {
		if f := s.frame(i); f.param == id {
			return f
		}
	}
	return nil
}

// count returns x.length for a path x.length when x is an array or a
// string, without boxing it.
func (s *state) count(e *expr) (int, bool) {
	if e.lenOf == nil {
		return 0, false
	}
	v, ok := s.lookup(e.lenOf)
	if !ok {
		return 0, false
	}
	switch jsondoc.KindOf(v) {
	case jsondoc.Array:
		return jsondoc.Len(v), true
	case jsondoc.String:
		str, _ := jsondoc.Str(v)
		if str == "" && e.lenOf.root {
			// A data path ends at "": it is the value (walkData).
			return 0, false
		}
		return utf16Len(str), true
	}
	return 0, false
}

// appendCount renders a count computed by count.
func (s *state) appendCount(dst []byte, n *node, c int) ([]byte, error) {
	quote := s.t.mode == JSON && n.esc.kind == escKey
	if s.t.mode == JSON && n.esc.kind == escUnset {
		return dst, s.errorf(n, n.pos, "tag {{"+n.expr.text+"}} has no JSON context", nil)
	}
	if quote {
		dst = append(dst, '"')
	}
	dst = strconv.AppendInt(dst, int64(c), 10)
	if quote {
		dst = append(dst, '"')
	}
	return dst, nil
}

// paramsUnlisted is what handlebars.js gives as the block parameters of a
// section over a value that is not a list: its blockHelperMissing calls the
// block without them.
type paramsUnlisted uint8

const (
	paramsListed paramsUnlisted = iota
	// paramsTrue: over true, the block gets no list to index and
	// handlebars.js fails where one is used.
	paramsTrue
	// paramsChain: over another value, they are those of the parts
	// around the tag (see sectionChain).
	paramsChain
)

// sectionParams says what the block parameters of section n are over v, a
// value that is not a list.
func sectionParams(n *node, v any) paramsUnlisted {
	switch {
	case n.params == 0:
		return paramsListed
	case jsondoc.KindOf(v) == jsondoc.Bool:
		return paramsTrue
	}
	return paramsChain
}

// chainParam returns block parameter j of a section whose chain is c: the
// parameters of the part j levels around its tag, as one list.
func (s *state) chainParam(n *node, e *expr, c *sectionChain, j int) (any, bool, error) {
	if c == nil || j >= len(c.ids) {
		if c != nil && c.end {
			// Past the template's text: missing.
			return nil, false, nil
		}
		return nil, false, s.errorf(n, e.pos, "block parameter "+e.text+" has no value where its section's value is not a list, inside a partial block's content or an inline partial: write {{#each}} or {{#with}} for it", nil)
	}
	if c.ids[j] == 0 {
		return nil, false, nil
	}
	f := s.paramFrame(c.ids[j])
	switch {
	case f == nil || f.unlisted == paramsTrue:
		return nil, false, nil
	case f.unlisted == paramsChain:
		if f.chain == nil || !f.chain.end {
			return nil, false, s.errorf(n, e.pos, "block parameter "+e.text+" has no value where its section's value is not a list, inside a partial block's content or an inline partial: write {{#each}} or {{#with}} for it", nil)
		}
		list := make([]any, 0, len(f.chain.ids))
		for k := range f.chain.ids {
			v, _, err := s.chainParam(n, e, f.chain, k)
			if err != nil {
				return nil, false, err
			}
			list = append(list, v)
		}
		return list, true, nil
	case f.loop && f.member:
		return []any{f.v, f.key}, true, nil
	case f.loop:
		return []any{f.v, int(f.index)}, true, nil
	}
	return []any{f.v}, true, nil
}

// param resolves a block parameter, and the path after it.
func (s *state) param(n *node, e *expr) (any, bool, error) {
	f := s.paramFrame(e.param)
	var v any
	switch {
	case f != nil && f.unlisted == paramsTrue:
		return nil, false, s.errorf(n, e.pos, "block parameter "+e.text+" has no value where its section's value is true: handlebars.js fails here", nil)
	case f != nil && f.unlisted == paramsChain:
		var ok bool
		var err error
		if v, ok, err = s.chainParam(n, e, f.chain, e.paramAt); !ok || err != nil {
			return nil, false, err
		}
	case f == nil || e.paramNone:
		return nil, false, nil
	default:
		v = f.v
	}
	if f.unlisted == paramsListed && e.paramIndex {
		if f.member {
			v = f.key
		} else {
			v = int(f.index)
		}
	}
	for _, sg := range e.segs {
		c, ok := member(v, sg)
		if !ok {
			return nil, false, nil
		}
		v = c
	}
	return v, true, nil
}

// listed reports whether f holds block parameters with their values.
func (f *ctxFrame) listed() bool {
	return f != nil && f.unlisted == paramsListed
}

// utf16At is s[i] in JavaScript: the UTF-16 unit at i as a string, U+FFFD
// for half of a surrogate pair, which UTF-8 cannot hold alone.
func utf16At(s string, i int) (string, bool) {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x10000 && (n == i || n+1 == i):
			return "\uFFFD", true
		case n == i:
			return string(r), true
		case r >= 0x10000:
			n += 2
		default:
			n++
		}
	}
	return "", false
}

// utf16Len is the length of s in UTF-16 code units, JavaScript's length.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// loopFrame returns the innermost frame of an each or list section.
func (s *state) loopFrame() *ctxFrame { return s.outerLoop(0) }

// outerLoop returns the frame of the loop up levels around the innermost
// one, for @../index and the like.
func (s *state) outerLoop(up int) *ctxFrame {
	if len(s.dataCopies) > 0 {
		return s.outerData(up)
	}
	for i := s.n - 1; i >= 0; i-- {
		if f := s.frame(i); f.loop {
			if up == 0 {
				return f
			}
			up--
		}
	}
	return nil
}

// outerData is outerLoop where partial blocks added levels of loop data:
// handlebars.js gives a partial called as a block, and the content it
// includes with {{> @partial-block}}, a copy of the data around, so each
// is one more level for @../index, holding the loop data of its place.
func (s *state) outerData(up int) *ctxFrame {
	d := len(s.dataCopies) - 1
	for i := s.n - 1; i >= 0; i-- {
		for ; d >= 0 && int(s.dataCopies[d]) > i; d-- {
			if up == 0 {
				for j := i; j >= 0; j-- {
					if f := s.frame(j); f.loop {
						return f
					}
				}
				return nil
			}
			up--
		}
		if f := s.frame(i); f.loop {
			if up == 0 {
				return f
			}
			up--
		}
	}
	return nil
}

// eval computes an expression. found is false for a missing field; in
// strict mode that is an error unless lenient.
func (s *state) eval(n *node, e *expr, lenient bool) (v any, found bool, err error) {
	switch e.kind {
	case ePath:
		v, found = s.lookup(e)
		if !found && s.t.strict && !lenient {
			err := s.errorf(n, e.pos, "missing field "+e.text, ErrMissingField)
			err.Path = e.text
			return nil, false, err
		}
		return v, found, nil
	case eLit:
		return e.lit, true, nil
	case eParam:
		v, found, err = s.param(n, e)
		if err != nil {
			return nil, false, err
		}
		if !found && s.t.strict && !lenient {
			err := s.errorf(n, e.pos, "missing field "+e.text, ErrMissingField)
			err.Path = e.text
			return nil, false, err
		}
		return v, found, nil
	case eData:
		f := s.outerLoop(e.up)
		if f == nil {
			return nil, false, nil
		}
		return loopValue(f, e.data), true, nil
	case eCall:
		base := len(s.args)
		for i, a := range e.args {
			av, _, err := s.eval(n, a, lenient || i == 0 && e.fn.lenientFirst)
			if err != nil {
				s.args = s.args[:base]
				return nil, false, err
			}
			s.args = append(s.args, av)
		}
		args := s.args[base:]
		if e.fn.custom {
			conv := make([]any, len(args))
			for i, a := range args {
				conv[i] = plain(a)
			}
			args = conv
		}
		var v any
		var err error
		if e.fn.within != nil && s.limit > 0 {
			v, err = e.fn.within(args, s.limit-s.work)
		} else {
			v, err = e.fn.fn(args)
		}
		clear(s.args[base:])
		s.args = s.args[:base]
		if err == ErrRenderLimit {
			return nil, false, s.overLimit(n)
		}
		if err != nil {
			ee := s.errorf(n, e.pos, "helper "+e.fn.name+": "+err.Error(), err)
			return nil, false, ee
		}
		if s.limit > 0 {
			s.work++
			if str, ok := v.(string); ok {
				s.work += len(str)
			}
			if s.work > s.limit {
				return nil, false, s.overLimit(n)
			}
		}
		return v, true, nil
	}
	return nil, false, nil
}

// truthy tells whether v selects the body of if, each and sections: false,
// null, a missing field, 0, "" and [] do not.
func truthy(v any, found bool) bool {
	if !found {
		return false
	}
	switch jsondoc.KindOf(v) {
	case jsondoc.Bool:
		b, _ := jsondoc.Boolean(v)
		return b
	case jsondoc.Number:
		f, _ := jsondoc.Float(v)
		return f != 0
	case jsondoc.String:
		str, _ := jsondoc.Str(v)
		return str != ""
	case jsondoc.Array:
		return jsondoc.Len(v) > 0
	case jsondoc.Object:
		return true
	}
	return false
}

// selects tells whether v selects the body of a block of kind b, as in
// Handlebars: with renders 0 (only false, null, "" and [] are empty to
// it), and a section {{#x}} renders 0 and "" as its context, so that only
// false, null, a missing field and [] select {{^x}}.
func selects(b blockKind, v any, found bool) bool {
	if !found {
		return false
	}
	switch b {
	case bWith:
		if jsondoc.KindOf(v) == jsondoc.Number {
			return true
		}
	case bSection, bInverted:
		switch jsondoc.KindOf(v) {
		case jsondoc.Number, jsondoc.String:
			return true
		}
	}
	return truthy(v, found)
}

// block renders a section or block helper.
func (s *state) block(dst []byte, n *node) ([]byte, error) {
	if n.scope == 0 || n.block == bPartial {
		return s.blockParts(dst, n)
	}
	// Its parts define inline partials: where ../ goes inside them.
	s.defMarks = append(s.defMarks, defMark{scope: n.scope, frame: int32(s.n - 1), floor: int32(s.floor)})
	dst, err := s.blockParts(dst, n)
	s.defMarks = s.defMarks[:len(s.defMarks)-1]
	return dst, err
}

// blockParts renders a block.
func (s *state) blockParts(dst []byte, n *node) ([]byte, error) {
	if n.block == bPartial {
		return s.partialBlock(dst, n)
	}
	var v any
	var t bool
	if e := n.expr; e.kind == eData && e.data != dKey && (e.data != dIndex || n.block == bIf || n.block == bUnless) {
		// {{#unless @last}} and the like, without boxing. A section or
		// with over @index has the index as its value, 0 included.
		if f := s.outerLoop(e.up); f != nil {
			switch e.data {
			case dFirst:
				t = f.index == 0
			case dLast:
				t = f.index == f.count-1
			case dIndex:
				t = f.index != 0
				if !t && e.includeZero != nil {
					// {{#if @index includeZero=true}}: the first item too.
					z, zfound, err := s.eval(n, e.includeZero, true)
					if err != nil {
						return dst, err
					}
					t = truthy(z, zfound)
				}
			}
			v = t
		}
	} else {
		lenient := n.block == bIf || n.block == bUnless || n.block == bInverted
		var found bool
		var err error
		if c, ok := s.count(e); ok && c > 0 && lenient {
			// {{#if xs.length}}, without boxing the count.
			v, found = true, true
		} else if v, found, err = s.eval(n, e, lenient); err != nil {
			return dst, err
		}
		t = selects(n.block, v, found)
		if !t && found && e.includeZero != nil && jsondoc.KindOf(v) == jsondoc.Number {
			// {{#if x includeZero=true}}: 0 counts as true.
			z, zfound, err := s.eval(n, e.includeZero, true)
			if err != nil {
				return dst, err
			}
			t = truthy(z, zfound)
		}
	}
	var err error
	switch n.block {
	case bIf:
		if t {
			return s.helperPart(dst, n.body)
		}
		return s.helperPart(dst, n.alt)
	case bUnless:
		if !t {
			return s.helperPart(dst, n.body)
		}
		return s.helperPart(dst, n.alt)
	case bInverted:
		if !t {
			return s.run(dst, n.body)
		}
		return s.run(dst, n.alt)
	case bWith:
		if !t {
			return s.helperPart(dst, n.alt)
		}
		s.push(ctxFrame{v: v, param: n.params})
		dst, err = s.run(dst, n.body)
		s.pop()
		return dst, err
	case bSection:
		if !t {
			return s.run(dst, n.alt)
		}
		if jsondoc.KindOf(v) != jsondoc.Array {
			// In the mustache dialect, the only item of a list: @first and
			// @last hold. In Handlebars, and for a section over @first and
			// the like, the loop around stays current.
			unlisted := sectionParams(n, v)
			if n.trueKeeps && jsondoc.KindOf(v) == jsondoc.Bool {
				// Handlebars renders {{#flag}} in the context around it.
				v = s.frame(s.n - 1).v
			}
			s.push(ctxFrame{v: v, loop: n.expr.kind != eData && !n.keepsLoop, count: 1, param: n.params, unlisted: unlisted, chain: n.chain})
			dst, err = s.run(dst, n.body)
			s.pop()
			return dst, err
		}
	}
	// each, or a section over a non-empty list: only each reaches its
	// {{else}} part.
	switch jsondoc.KindOf(v) {
	case jsondoc.Array:
		count := jsondoc.Len(v)
		if count == 0 {
			return s.helperPart(dst, n.alt)
		}
		for i := 0; i < count; i++ {
			el, _ := jsondoc.Elem(v, i)
			s.push(ctxFrame{v: el, loop: true, index: int32(i), count: int32(count), param: n.params})
			dst, err = s.run(dst, n.body)
			s.pop()
			if err != nil {
				return dst, err
			}
		}
		return dst, nil
	case jsondoc.Object:
		count := jsondoc.Len(v)
		if count == 0 {
			return s.helperPart(dst, n.alt)
		}
		if doc, ok := v.(*jsondoc.Value); ok {
			order := memberOrder(doc, count)
			for i := 0; i < count; i++ {
				j := i
				if order != nil {
					j = int(order[i])
				}
				k, el := doc.Member(j)
				s.push(ctxFrame{v: el, loop: true, index: int32(i), count: int32(count), key: k, member: true, param: n.params})
				dst, err = s.run(dst, n.body)
				s.pop()
				if err != nil {
					return dst, err
				}
			}
			return dst, nil
		}
		frames := appendMembers(nil, v, count)
		if keys := s.keysOf(v); keys != nil {
			frames = orderMembers(frames, keys)
		}
		for _, f := range frames {
			f.param = n.params
			s.push(f)
			dst, err = s.run(dst, n.body)
			s.pop()
			if err != nil {
				break
			}
		}
		return dst, err
	}
	return s.helperPart(dst, n.alt)
}

// partialBlock renders a partial called with a context or hash arguments:
// the hash arguments are added to the members of the context, as
// Handlebars does.
func (s *state) partialBlock(dst []byte, n *node) ([]byte, error) {
	v, found, err := s.eval(n, n.expr, false)
	if err != nil {
		return dst, err
	}
	if len(n.hash) > 0 {
		m := make(map[string]any, len(n.hash)+jsondoc.Len(v))
		keys := make([]string, 0, len(m)+len(n.hash))
		switch jsondoc.KindOf(v) {
		case jsondoc.Object:
			for k, el := range jsondoc.Members(v) {
				m[k] = el
			}
		case jsondoc.Array, jsondoc.String:
			// handlebars.js copies the context's own members into the
			// hash context: an array's elements and a string's UTF-16
			// units, under their indexes.
			str, isStr := jsondoc.Str(v)
			count := jsondoc.Len(v)
			if isStr {
				count = utf16Len(str)
			}
			for i := range count {
				k := strconv.Itoa(i)
				if isStr {
					m[k], _ = utf16At(str, i)
				} else {
					m[k], _ = jsondoc.Elem(v, i)
				}
				keys = append(keys, k)
			}
		}
		if doc, ok := v.(*jsondoc.Value); ok && doc.Kind() == jsondoc.Object {
			order := memberOrder(doc, doc.Len())
			for i := range doc.Len() {
				j := i
				if order != nil {
					j = int(order[i])
				}
				k, _ := doc.Member(j)
				keys = append(keys, k)
			}
		} else if hk := s.keysOf(v); hk != nil {
			// The hash context of a partial around: in its own order.
			keys = append(keys, hk...)
		} else if jsondoc.KindOf(v) == jsondoc.Object {
			for _, f := range appendMembers(nil, v, jsondoc.Len(v)) {
				keys = append(keys, f.key)
			}
		}
		// handlebars.js builds the hash from its last argument to its
		// first, which sets the order of the new members (and makes the
		// first of a name given twice win).
		for i := len(n.hash) - 1; i >= 0; i-- {
			h := &n.hash[i]
			hv, _, err := s.eval(n, h.val, false)
			if err != nil {
				return dst, err
			}
			if _, ok := m[h.key]; !ok {
				keys = append(keys, h.key)
			}
			m[h.key] = hv
		}
		v = m
		// As JavaScript's Object.assign: the context's members in their
		// order, then the hash's new ones.
		s.hashKeys = append(s.hashKeys, hashKeys{m: m, keys: keys})
		defer func() { s.hashKeys = s.hashKeys[:len(s.hashKeys)-1] }()
	}
	s.push(ctxFrame{v: v, undef: !found && len(n.hash) == 0})
	floor := s.enterFloor(n)
	dst, err = s.run(dst, n.body)
	s.leaveFloor(n, floor)
	s.pop()
	return dst, err
}

// enterFloor sets where ../ stops for the partial that n includes, and
// returns the floor for leaveFloor to restore: the partial's context for
// an isolated one, and for the content of a partial block the floor
// around its block tag.
func (s *state) enterFloor(n *node) int {
	floor := s.floor
	if n.scope != 0 {
		s.enterDef(n.scope)
		return floor
	}
	if n.unfloor || n.blockCall || n.standIn {
		s.dataCopies = append(s.dataCopies, int32(s.n))
	}
	if n.standIn {
		s.dataCopies = append(s.dataCopies, int32(s.n))
	}
	switch {
	case n.unfloor:
		if k := len(s.blockFloors); k > 0 {
			s.floor = int(s.blockFloors[k-1])
			s.blockFloors = s.blockFloors[:k-1]
		}
	default:
		if n.blockCall {
			s.blockFloors = append(s.blockFloors, int32(floor))
		}
		if n.isolate {
			s.floor = s.n - 1
		}
	}
	return floor
}

// enterDef starts an inline partial written in a part of the block marked
// scope: its context, the current one, is pushed again with ../ going to
// the context of that block's tag, and the floor there is restored, as
// handlebars.js gives the partial the contexts around that block wherever
// it is included.
func (s *state) enterDef(scope int32) {
	cur := s.frame(s.n - 1)
	f := ctxFrame{v: cur.v, undef: cur.undef, level: cur.level}
	for i := len(s.defMarks) - 1; i >= 0; i-- {
		if m := s.defMarks[i]; m.scope == scope {
			f.below = m.frame + 1
			s.floor = int(m.floor)
			break
		}
	}
	s.push(f)
}

// leaveFloor undoes enterFloor.
func (s *state) leaveFloor(n *node, floor int) {
	if n.scope != 0 {
		s.pop()
		s.floor = floor
		return
	}
	if n.unfloor || n.blockCall || n.standIn {
		s.dataCopies = s.dataCopies[:len(s.dataCopies)-1]
	}
	if n.standIn {
		s.dataCopies = s.dataCopies[:len(s.dataCopies)-1]
	}
	switch {
	case n.unfloor:
		// The content's own floor, which enterFloor set and took.
		s.blockFloors = append(s.blockFloors, int32(s.floor))
	case n.blockCall:
		// Empty only when an error ended the content's rendering before
		// the mark after it gave its floor back.
		if k := len(s.blockFloors); k > 0 {
			s.blockFloors = s.blockFloors[:k-1]
		}
	}
	s.floor = floor
}

// hashKeys is the order of the members of a partial's hash context.
type hashKeys struct {
	m    map[string]any
	keys []string
}

// orderedDoc returns the hash context m as a document whose members are in
// the order keys gives, so that {{json this}} writes them as
// JSON.stringify does.
func orderedDoc(m map[string]any, keys []string) any {
	b := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsondoc.AppendQuoted(b, k)
		b = append(b, ':')
		var err error
		if b, err = jsondoc.AppendJSON(b, m[k]); err != nil {
			return m
		}
	}
	doc, err := jsondoc.Parse(append(b, '}'))
	if err != nil {
		return m
	}
	return doc
}

// keysOf returns the order of the members of v when it is the hash
// context of a partial being rendered, or nil.
func (s *state) keysOf(v any) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	p := reflect.ValueOf(m).UnsafePointer()
	for i := len(s.hashKeys) - 1; i >= 0; i-- {
		if reflect.ValueOf(s.hashKeys[i].m).UnsafePointer() == p {
			return s.hashKeys[i].keys
		}
	}
	return nil
}

// byJSIndex orders array-index keys before the others, in increasing
// order, as JavaScript enumerates an object's keys; two other keys (or the
// same index) compare equal.
func byJSIndex(a, b string) int {
	ia, oka := jsIndexKey(a)
	ib, okb := jsIndexKey(b)
	switch {
	case oka && okb:
		return cmp.Compare(ia, ib)
	case oka:
		return -1
	case okb:
		return 1
	}
	return 0
}

// orderMembers puts frames, one for each member, in the order of keys
// (array-index keys first, as JavaScript enumerates them).
func orderMembers(frames []ctxFrame, keys []string) []ctxFrame {
	rank := make(map[string]int, len(keys))
	for i, k := range keys {
		rank[k] = i
	}
	slices.SortStableFunc(frames, func(a, b ctxFrame) int {
		return cmp.Or(byJSIndex(a.key, b.key), cmp.Compare(rank[a.key], rank[b.key]))
	})
	for i := range frames {
		frames[i].index = int32(i)
	}
	return frames
}

// appendMembers appends a frame for each member of a Go map. It is apart
// from block because the iterator's closure would make block's variables
// escape to the heap.
func appendMembers(frames []ctxFrame, v any, count int) []ctxFrame {
	for k, el := range jsondoc.Members(v) {
		frames = append(frames, ctxFrame{v: el, loop: true, count: int32(count), key: k, member: true})
	}
	slices.SortStableFunc(frames, func(a, b ctxFrame) int { return byJSIndex(a.key, b.key) })
	for i := range frames {
		frames[i].index = int32(i)
	}
	return frames
}

// memberOrder returns the order in which JavaScript enumerates the members
// of doc, as indexes into them, or nil for their own order: keys that are
// array indexes come first, in increasing order, then the others.
func memberOrder(doc *jsondoc.Value, count int) []int32 {
	isIndex := func(i int) bool {
		k, _ := doc.Member(i)
		if k == "" || k[0] > '9' || k[0] < '0' {
			return false
		}
		_, ok := jsIndexKey(k)
		return ok
	}
	var order []int32
	for i := 0; i < count; i++ {
		if isIndex(i) {
			order = append(order, int32(i))
		}
	}
	if order == nil {
		return nil
	}
	slices.SortStableFunc(order, func(a, b int32) int {
		ka, _ := doc.Member(int(a))
		kb, _ := doc.Member(int(b))
		ia, _ := jsIndexKey(ka)
		ib, _ := jsIndexKey(kb)
		return cmp.Compare(ia, ib)
	})
	for i := 0; i < count; i++ {
		if !isIndex(i) {
			order = append(order, int32(i))
		}
	}
	return order
}

// jsIndexKey reports whether JavaScript takes key as an array index, which
// it enumerates before the other keys of an object: the canonical text of
// an integer from 0 to 2^32-2.
func jsIndexKey(key string) (uint64, bool) {
	if key == "" || len(key) > 10 || key[0] == '0' && len(key) > 1 {
		return 0, false
	}
	n, err := strconv.ParseUint(key, 10, 64)
	if err != nil || n > 1<<32-2 {
		return 0, false
	}
	return n, true
}

// value renders an interpolation tag.
func (s *state) value(dst []byte, n *node) ([]byte, error) {
	e := n.expr
	asJSON := false
	if e.kind == eCall && e.fn == jsonHelper {
		e, asJSON = e.args[0], true
	}
	switch {
	case e.kind == eData:
		return s.data(dst, n, s.outerLoop(e.up), e.data)
	case e.kind == eParam && e.paramIndex && !e.paramNone && len(e.segs) == 0 && s.paramFrame(e.param).listed():
		// The index or key of a block parameter, without boxing.
		return s.data(dst, n, s.paramFrame(e.param), dKey)
	case e.lenOf != nil:
		if c, ok := s.count(e); ok {
			return s.appendCount(dst, n, c)
		}
	}
	v, found, err := s.eval(n, e, false)
	if err != nil {
		return dst, err
	}
	if !found {
		v = nil
	}
	if asJSON {
		if keys := s.keysOf(v); keys != nil {
			v = orderedDoc(v.(map[string]any), keys)
		}
	}
	start := len(dst)
	switch s.t.mode {
	case JSON:
		switch n.esc.kind {
		case escString:
			if str, ok := jsondoc.Str(v); ok && !asJSON {
				dst = jsondoc.AppendEscaped(dst, str)
				break
			}
			if asJSON {
				if dst, err = jsondoc.AppendJSON(dst, v); err != nil {
					return dst[:start], s.errorf(n, n.pos, "cannot render "+e.text+" as JSON: "+err.Error(), err)
				}
				dst = escapeTail(dst, start)
				break
			}
			dst = escapeTail(appendText(dst, v), start)
		case escValue:
			if num, ok := v.(json.Number); ok && num != "" && !validNumber(string(num)) {
				return dst, s.errorf(n, n.pos, "cannot render "+e.text+" as JSON: invalid number "+strconv.Quote(string(num)), nil)
			}
			if dst, err = jsondoc.AppendJSON(dst, v); err != nil {
				return dst[:start], s.errorf(n, n.pos, "cannot render "+e.text+" as JSON: "+err.Error(), err)
			}
		case escKey:
			if str, ok := jsondoc.Str(v); ok && !asJSON {
				dst = jsondoc.AppendQuoted(dst, str)
				break
			}
			var err error
			if asJSON {
				s.scratch, err = jsondoc.AppendJSON(s.scratch[:0], v)
			} else {
				s.scratch = appendText(s.scratch[:0], v)
			}
			if err != nil {
				return dst[:start], s.errorf(n, n.pos, "cannot render "+e.text+" as JSON: "+err.Error(), err)
			}
			dst = append(jsondoc.AppendEscapedBytes(append(dst, '"'), s.scratch), '"')
		default:
			return dst, s.errorf(n, n.pos, "tag {{"+n.expr.text+"}} has no JSON context", nil)
		}
		for range n.esc.depth {
			dst = escapeTail(dst, start)
		}
		return dst, nil
	case HTML:
		if str, ok := jsondoc.Str(v); ok && !asJSON {
			if n.raw {
				return append(dst, str...), nil
			}
			return appendHTML(dst, str), nil
		}
		if asJSON {
			s.scratch, err = jsondoc.AppendJSON(s.scratch[:0], v)
			if err != nil {
				return dst, s.errorf(n, n.pos, "cannot render "+e.text+" as JSON: "+err.Error(), err)
			}
		} else {
			s.scratch = appendText(s.scratch[:0], v)
		}
		if n.raw {
			return append(dst, s.scratch...), nil
		}
		return appendHTML(dst, s.scratch), nil
	default:
		if asJSON {
			dst, err = jsondoc.AppendJSON(dst, v)
			if err != nil {
				return dst[:start], s.errorf(n, n.pos, "cannot render "+e.text+" as JSON: "+err.Error(), err)
			}
			return dst, nil
		}
		return appendText(dst, v), nil
	}
}

// appendText appends the text of v, as a tag writes it anywhere but in
// JSON value position. Arrays and objects are written as JavaScript, and so
// Handlebars, writes them: an array as its elements' text separated by
// commas, nested arrays flattened, null elements empty; an object as
// [object Object]. The json helper writes either as JSON.
func appendText(dst []byte, v any) []byte {
	switch jsondoc.KindOf(v) {
	case jsondoc.Object:
		return append(dst, "[object Object]"...)
	case jsondoc.Array:
	default:
		return jsondoc.AppendText(dst, v)
	}
	for i, n := 0, jsondoc.Len(v); i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		el, _ := jsondoc.Elem(v, i)
		dst = appendText(dst, el)
	}
	return dst
}

// data renders @index, @key, @first or @last without boxing them.
func (s *state) data(dst []byte, n *node, f *ctxFrame, d dataVar) ([]byte, error) {
	start := len(dst)
	quote := s.t.mode == JSON && n.esc.kind == escKey
	if s.t.mode == JSON && n.esc.kind == escUnset {
		return dst, s.errorf(n, n.pos, "tag {{"+n.expr.text+"}} has no JSON context", nil)
	}
	switch {
	case f == nil:
		if s.t.mode == JSON && n.esc.kind == escValue {
			dst = append(dst, "null"...)
		} else if quote {
			dst = append(dst, `""`...)
		}
	case d == dKey && f.member:
		switch {
		case s.t.mode == JSON && n.esc.kind == escString:
			dst = jsondoc.AppendEscaped(dst, f.key)
		case s.t.mode == JSON:
			dst = jsondoc.AppendQuoted(dst, f.key)
		case s.t.mode == HTML && !n.raw:
			dst = appendHTML(dst, f.key)
		default:
			dst = append(dst, f.key...)
		}
	case d == dIndex || d == dKey:
		if quote {
			dst = append(dst, '"')
		}
		dst = strconv.AppendInt(dst, int64(f.index), 10)
		if quote {
			dst = append(dst, '"')
		}
	default:
		b := f.index == 0
		if d == dLast {
			b = f.index == f.count-1
		}
		if quote {
			dst = append(dst, '"')
		}
		dst = strconv.AppendBool(dst, b)
		if quote {
			dst = append(dst, '"')
		}
	}
	if s.t.mode == JSON {
		for range n.esc.depth {
			dst = escapeTail(dst, start)
		}
	}
	return dst, nil
}

// escapeTail replaces dst[start:] with its JSON string escaping.
func escapeTail(dst []byte, start int) []byte {
	mid := len(dst)
	if mid == start {
		return dst
	}
	dst = jsondoc.AppendEscapedBytes(dst, dst[start:mid]) // writes only past mid
	return append(dst[:start], dst[mid:]...)
}

// appendHTML appends s escaped for HTML text and attribute values, as
// Handlebars does: ' ` and = too, which mustache leaves.
func appendHTML[S string | []byte](dst []byte, s S) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '"':
			rep = "&quot;"
		case '\'':
			rep = "&#x27;"
		case '`':
			rep = "&#x60;"
		case '=':
			rep = "&#x3D;"
		default:
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, rep...)
		start = i + 1
	}
	return append(dst, s[start:]...)
}
