package template

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds the JSON analysis of JSON mode. The literal text of the
// template is read as JSON by a scanner whose state says where the next byte
// stands: in value position, after a member name, inside a string, and so
// on. A string whose content starts with '{' or '[' is read as an embedded
// JSON document by a scanner one level deeper, fed with the string's decoded
// characters; that is how `"message": "{ \"who\": \"{{x}}\" }"` is
// recognised. The analysis fails closed, as html/template does: a string
// that starts like a document must be one on every path, or be marked plain
// text by a {{!plain}} comment at its start. Reading it as text instead
// would leave its tags one round of escaping short, and a value could then
// add members to the inner document.
//
// Sections make the output depend on the data, so the analysis works on the
// set of states the scanner can be in: a section's body is followed from
// every state, zero, one or many times, and a tag must stand in the same
// kind of place in all of them. @first, @last and @index are tracked, so
// that {{#unless @last}},{{/unless}} separators are understood. Every path
// through the template must end with a complete JSON document; together with
// escaping each tag for its place, that makes the output valid JSON for any
// data.

// escKind is the kind of place a tag stands in, in JSON mode.
type escKind uint8

const (
	escUnset  escKind = iota // not analysed: Execute refuses to render the tag
	escString                // inside a string: the value's text, string-escaped
	escValue                 // in value position: the value as JSON
	escKey                   // in member-name position: the value's text as a JSON string
)

// esc tells how to escape a tag: the kind of place, then depth more rounds
// of string escaping for the embedded documents it stands in.
type esc struct {
	kind  escKind
	depth uint8
}

func (e esc) String() string {
	var s string
	switch e.kind {
	case escString:
		s = "inside a JSON string"
	case escValue:
		s = "in JSON value position"
	case escKey:
		s = "in member-name position"
	default:
		s = "nowhere"
	}
	if e.depth > 0 {
		s += " of a JSON document embedded " + strconv.Itoa(int(e.depth)) + " level(s) deep in a string"
	}
	return s
}

// lpos is where a level's scanner stands.
type lpos uint8

const (
	pValue      lpos = iota // a value is expected
	pValueClose             // after '[': a value or ']'
	pKeyClose               // after '{': a member name or '}'
	pKey                    // after ',' in an object: a member name
	pColon                  // after a member name: ':'
	pAfter                  // after a value inside a container: ',' or the closing bracket
	pDone                   // after the document's value: only whitespace
	pString                 // inside a value string
	pKeyString              // inside a member name
	pLit                    // inside a number, true, false or null
)

// Number scanner states.
const (
	numMinus uint8 = iota + 1 // after '-'
	numZero                   // after a leading 0
	numInt                    // in the integer digits
	numDot                    // after '.'
	numFrac                   // in the fraction digits
	numE                      // after 'e'
	numESign                  // after the exponent's sign
	numExp                    // in the exponent digits
)

func numStep(st uint8, c byte) (uint8, bool) {
	digit := c >= '0' && c <= '9'
	switch st {
	case 0:
		switch {
		case c == '-':
			return numMinus, true
		case c == '0':
			return numZero, true
		case digit:
			return numInt, true
		}
	case numMinus:
		switch {
		case c == '0':
			return numZero, true
		case digit:
			return numInt, true
		}
	case numZero, numInt:
		switch {
		case digit && st == numInt:
			return numInt, true
		case c == '.':
			return numDot, true
		case c == 'e' || c == 'E':
			return numE, true
		}
	case numDot, numFrac:
		if digit {
			return numFrac, true
		}
		if st == numFrac && (c == 'e' || c == 'E') {
			return numE, true
		}
	case numE:
		if c == '+' || c == '-' {
			return numESign, true
		}
		if digit {
			return numExp, true
		}
	case numESign, numExp:
		if digit {
			return numExp, true
		}
	}
	return st, false
}

func numAccepting(st uint8) bool {
	return st == numZero || st == numInt || st == numFrac || st == numExp
}

// validNumber reports whether s is a JSON number literal.
func validNumber(s string) bool {
	var st uint8
	for i := 0; i < len(s); i++ {
		var ok bool
		if st, ok = numStep(st, s[i]); !ok {
			return false
		}
	}
	return numAccepting(st)
}

// strID identifies a string of the template by the text node and offset of
// the byte that opened it.
type strID struct {
	node, off int32
}

// lvl is the scanner state of one level: level 0 reads the template text,
// level n+1 reads the decoded content of a string of level n.
type lvl struct {
	stack string // open containers, '{' or '['
	pos   lpos
	esc   uint8  // in a string: 0, 1 after '\', 2 to 5 inside \uXXXX
	u     uint16 // the \uXXXX code being read
	num   uint8  // in a number: the number scanner state
	kw    string // in true, false or null: the letters still expected
	fresh bool   // in a value string: nothing but whitespace so far
	id    strID  // in a string: which one
}

// jstate is one state of the analysis: the levels, and what is known of
// the loop and of the paths tested.
type jstate struct {
	lv []lvl
	// first and last say whether the item of the innermost loop is its
	// first and its last: 0 unknown, 1 no, 2 yes, or noLoop.
	first, last uint8
	// skip is the id+1 of the last block that rendered nothing on this
	// path since the last byte or value was written, for error hints.
	skip int32
	// nonList is the id+1 of a section over a value that is not a list
	// whose content ended on this path right before, for error hints.
	nonList int32
	// facts records the truthiness of the paths that blocks tested on this
	// path, in the current context, as 'T' or 'F', the path, then 0, so
	// that {{#if p}}…{{/if}}{{^if p}}…{{/if}} follows two ways, not four.
	facts string
}

// noLoop is the value of jstate.first and last outside every loop, where
// @first, @last and @index are missing, and so false.
const noLoop = 3

// fact tells what s knows of the truthiness of the path k.
func (s jstate) fact(k string) (isTrue, ok bool) {
	for rest := s.facts; rest != ""; {
		entry, next, _ := strings.Cut(rest, "\x00")
		if entry[1:] == k {
			return entry[0] == 'T', true
		}
		rest = next
	}
	return false, false
}

// factKey returns the path whose truthiness block n tests, when a later
// block can rely on it: a plain path, which gives the same value in the
// same context (a helper might not), tested as if does.
func factKey(n *node) string {
	if n.kind != nBlock {
		return ""
	}
	return factKeyOf(n.block, n.expr)
}

// factKeyOf is the key of the fact that a block of kind b over e tests.
// Blocks that select values alike share facts: if and unless take
// truthiness, with also takes 0, a section and its inverse also take 0 and
// "" (see selects).
func factKeyOf(b blockKind, e *expr) string {
	if e.kind != ePath || e.includeZero != nil {
		return ""
	}
	switch b {
	case bIf, bUnless:
		return "t" + e.text
	case bWith:
		return "w" + e.text
	case bSection, bInverted:
		return "s" + e.text
	}
	return ""
}

// key encodes s for sets and memos.
func (s jstate) key() string {
	b := make([]byte, 0, 64)
	b = append(b, s.first, s.last)
	b = strconv.AppendInt(b, int64(s.skip), 36)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(s.nonList), 36)
	b = append(b, s.facts...)
	for i := range s.lv {
		l := &s.lv[i]
		b = append(b, '|')
		b = append(b, l.stack...)
		b = append(b, '/', byte(l.pos), l.esc, l.num, byte(l.u>>8), byte(l.u))
		b = append(b, l.kw...)
		if l.fresh {
			b = append(b, '!')
		}
		b = append(b, '#')
		b = strconv.AppendInt(b, int64(l.id.node), 36)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(l.id.off), 36)
	}
	return string(b)
}

// coarse describes the nesting of s, which a section must not change.
func (s jstate) coarse() string {
	b := make([]byte, 0, 32)
	for _, l := range s.lv {
		b = append(b, l.stack...)
		if l.pos == pString || l.pos == pKeyString {
			b = append(b, '"')
			b = strconv.AppendInt(b, int64(l.id.node), 10)
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(l.id.off), 10)
		}
		b = append(b, '|')
	}
	return string(b)
}

func (s jstate) clone() jstate {
	s.lv = append([]lvl(nil), s.lv...)
	return s
}

// done reports whether the level has read a complete document.
func (l *lvl) done() bool {
	switch l.pos {
	case pDone:
		return true
	case pLit:
		return l.stack == "" && l.kw == "" && numAccepting(l.num)
	}
	return false
}

func (l *lvl) afterValue() {
	if l.stack == "" {
		l.pos = pDone
	} else {
		l.pos = pAfter
	}
}

// Limits that keep the analysis finite.
const (
	maxLevels     = 6  // levels of documents, the body included
	maxNesting    = 64 // open objects and arrays in one level
	maxRepetition = 64 // rounds to follow a repeated section body
	// maxAnalysis bounds the work of the analysis, in characters
	// followed through text, a state followed through a node costing
	// stateCost: about a fifth of a second. Sections nested in sections
	// multiply the states, so that a template of a hundred bytes could
	// otherwise take hours to parse; a megabyte of template with
	// sections nested ten deep takes a fraction of it.
	maxAnalysis = 16 << 20
	stateCost   = 16
)

// fault is a scanning failure: the text of level 0 is not JSON, or the
// embedded document of string id (level > 0) is not.
type fault struct {
	level int
	id    strID
	msg   string
}

type analyzer struct {
	texts []*node // the nodes by id, to locate the strings of faults
	pass  int32
	note  string // added to error messages while following a repetition
	// docs and plain record, for each string, whether some path read it as
	// an embedded document or as text; the fuzz tests use them.
	docs, plain map[strID]bool
	// memo holds the states after a block for a state before it, in this
	// pass: nested sections would otherwise be followed exponentially often.
	memo map[memoKey][]jstate
	// loops are the repeated sections being followed, outermost first, to
	// name the safe form in errors that only repetition causes.
	loops []loopFrame
	// factsUsed says that the analysis took a path to give the same value
	// each time it is read in one context. Parsed documents and plain Go
	// values do; a Go value whose MarshalJSON answers differently each time
	// does not, so Append checks such templates' output.
	factsUsed bool
	// retest holds the blocks whose tested path a later sibling tests
	// again: only their outcome is kept in the states, which would
	// otherwise double with every block.
	retest map[*node]bool
	// retested holds the first node of the lists findRetests has read.
	retested map[*node]bool
	// work is what the analysis has done, against maxAnalysis.
	work int
}

// spend counts units of work at n, and fails once the analysis has done
// more than maxAnalysis.
func (a *analyzer) spend(n *node, units int) error {
	if a.work += units; a.work <= maxAnalysis || n.src == nil {
		return nil
	}
	return a.errorf(n.src, n.pos, "the template is too complex to check as JSON: its sections nest too deeply or too often; nest fewer sections")
}

type loopFrame struct {
	n         *node
	repeating bool // past the single-item round
}

type memoKey struct {
	n     *node
	state string
}

func (a *analyzer) fail(lv []lvl, l int, msg string) *fault {
	if l > 0 {
		return &fault{level: l, id: lv[l-1].id, msg: msg}
	}
	return &fault{msg: msg}
}

func describe(c byte) string {
	switch {
	case c == '\n':
		return "a newline"
	case c < 0x20:
		return "a control character"
	case c >= 0x80:
		return "a non-ASCII character"
	}
	return strconv.Quote(string(c))
}

// feed moves level l of lv over byte c, which sits at id in the template.
func (a *analyzer) feed(lv []lvl, l int, c byte, id strID) ([]lvl, *fault) {
	x := &lv[l]
	switch x.pos {
	case pString, pKeyString:
		switch {
		case x.esc == 1:
			var d byte
			switch c {
			case '"', '\\', '/':
				d = c
			case 'b':
				d = '\b'
			case 'f':
				d = '\f'
			case 'n':
				d = '\n'
			case 'r':
				d = '\r'
			case 't':
				d = '\t'
			case 'u':
				x.esc, x.u = 2, 0
				return lv, nil
			default:
				return lv, a.fail(lv, l, "invalid escape sequence \\"+string(rune(c))+" in a JSON string")
			}
			x.esc = 0
			return a.inner(lv, l, d, id)
		case x.esc >= 2:
			var h byte
			switch {
			case c >= '0' && c <= '9':
				h = c - '0'
			case c >= 'a' && c <= 'f':
				h = c - 'a' + 10
			case c >= 'A' && c <= 'F':
				h = c - 'A' + 10
			default:
				return lv, a.fail(lv, l, "invalid \\u escape in a JSON string")
			}
			x.u = x.u<<4 | uint16(h)
			x.esc++
			if x.esc < 6 {
				return lv, nil
			}
			x.esc = 0
			d := byte(0x80) // stands for any character that is not ASCII
			if x.u < 0x80 {
				d = byte(x.u)
			}
			return a.inner(lv, l, d, id)
		case c == '"':
			if len(lv) > l+1 {
				if !lv[l+1].done() {
					return lv, &fault{level: l + 1, id: x.id, msg: "incomplete JSON document where the string ends"}
				}
				lv = lv[:l+1]
				x = &lv[l]
				a.docs[x.id] = true
			} else if x.pos == pString {
				a.plain[x.id] = true
			}
			if x.pos == pKeyString {
				x.pos = pColon
			} else {
				x.afterValue()
			}
			return lv, nil
		case c == '\\':
			x.esc = 1
			return lv, nil
		case c < 0x20:
			return lv, a.fail(lv, l, "invalid JSON: "+describe(c)+" inside a string must be escaped (\\n, \\t, \\u0000)")
		}
		return a.inner(lv, l, c, id)
	case pLit:
		if x.kw != "" {
			if c != x.kw[0] {
				return lv, a.fail(lv, l, "invalid JSON literal: expected true, false or null")
			}
			x.kw = x.kw[1:]
			if x.kw == "" {
				x.afterValue()
			}
			return lv, nil
		}
		if st, ok := numStep(x.num, c); ok {
			x.num = st
			return lv, nil
		}
		if !numAccepting(x.num) {
			return lv, a.fail(lv, l, "invalid JSON number")
		}
		x.afterValue()
		return a.feed(lv, l, c, id)
	}
	if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
		return lv, nil
	}
	switch x.pos {
	case pValue, pValueClose:
		switch {
		case c == '{' || c == '[':
			if len(x.stack) >= maxNesting {
				return lv, a.fail(lv, l, "JSON nested too deeply")
			}
			x.stack += string(rune(c))
			if c == '{' {
				x.pos = pKeyClose
			} else {
				x.pos = pValueClose
			}
		case c == '"':
			x.pos, x.fresh, x.id, x.esc = pString, true, id, 0
		case c == '-' || c >= '0' && c <= '9':
			x.pos, x.kw = pLit, ""
			x.num, _ = numStep(0, c)
		case c == 't':
			x.pos, x.kw = pLit, "rue"
		case c == 'f':
			x.pos, x.kw = pLit, "alse"
		case c == 'n':
			x.pos, x.kw = pLit, "ull"
		case c == ']' && x.pos == pValueClose:
			x.stack = x.stack[:len(x.stack)-1]
			x.afterValue()
		default:
			return lv, a.fail(lv, l, "invalid JSON: expected a value, found "+describe(c))
		}
	case pKeyClose, pKey:
		switch {
		case c == '"':
			x.pos, x.id, x.esc = pKeyString, id, 0
		case c == '}' && x.pos == pKeyClose:
			x.stack = x.stack[:len(x.stack)-1]
			x.afterValue()
		default:
			return lv, a.fail(lv, l, "invalid JSON: expected a quoted member name, found "+describe(c))
		}
	case pColon:
		if c != ':' {
			return lv, a.fail(lv, l, "invalid JSON: expected ':' after the member name, found "+describe(c))
		}
		x.pos = pValue
	case pAfter:
		top := x.stack[len(x.stack)-1]
		switch {
		case c == ',' && top == '{':
			x.pos = pKey
		case c == ',':
			x.pos = pValue
		case c == '}' && top == '{' || c == ']' && top == '[':
			x.stack = x.stack[:len(x.stack)-1]
			x.afterValue()
		default:
			closing := "'}'"
			if top == '[' {
				closing = "']'"
			}
			return lv, a.fail(lv, l, "invalid JSON: expected ',' or "+closing+" after a value, found "+describe(c))
		}
	case pDone:
		return lv, a.fail(lv, l, "invalid JSON: "+describe(c)+" after the end of the document")
	}
	return lv, nil
}

// inner passes a decoded character of a string of level l to the embedded
// document it holds, starting one when the string begins with '{' or '['.
func (a *analyzer) inner(lv []lvl, l int, d byte, id strID) ([]lvl, *fault) {
	if len(lv) > l+1 {
		return a.feed(lv, l+1, d, id)
	}
	x := &lv[l]
	if x.pos != pString || !x.fresh {
		return lv, nil
	}
	if d == ' ' || d == '\t' || d == '\n' || d == '\r' {
		return lv, nil
	}
	x.fresh = false
	if d != '{' && d != '[' {
		return lv, nil
	}
	if len(lv) == maxLevels {
		return lv, &fault{level: l + 1, id: x.id, msg: "JSON documents embedded more than " + strconv.Itoa(maxLevels-1) + " levels deep cannot be checked"}
	}
	lv = append(lv, lvl{pos: pValue})
	return a.feed(lv, l+1, d, id)
}

// tagPlace moves s over an interpolation tag and tells how to escape it, or
// why no tag can stand there.
func tagPlace(s *jstate) (esc, string) {
	n := len(s.lv) - 1
	x := &s.lv[n]
	e := esc{depth: uint8(n)}
	// Every level but the last is inside the string that holds the next;
	// a value written inside an escape sequence of any of them would
	// complete it with its own first bytes.
	for i := range s.lv {
		if s.lv[i].esc != 0 {
			return e, "tag inside an escape sequence of a JSON string"
		}
	}
	switch x.pos {
	case pString, pKeyString:
		x.fresh = false
		e.kind = escString
	case pValue, pValueClose:
		e.kind = escValue
		x.afterValue()
	case pKeyClose, pKey:
		e.kind = escKey
		x.pos = pColon
	case pColon:
		return e, "tag where JSON expects ':' after a member name"
	case pAfter:
		return e, "tag after a JSON value, where ',' or a closing bracket is expected"
	case pDone:
		return e, "tag after the end of the JSON document"
	case pLit:
		return e, "tag inside a JSON number or literal"
	}
	return e, ""
}

// mayBeEmpty reports whether the value of e may be written as no text in a
// string, in state s: a missing field, null or "" is, and so may be what
// most helpers return, and @index, @first and @last outside every loop.
func mayBeEmpty(e *expr, s jstate) bool {
	switch e.kind {
	case eLit:
		lit, ok := e.lit.(string)
		return ok && lit == ""
	case eData:
		return e.data == dKey || e.up > 0 || s.first == noLoop
	case eCall:
		switch e.fn.name {
		case "json", "count", "eq", "ne":
			return e.fn.custom
		}
	}
	return true
}

// stateSet is a set of analysis states without duplicates.
type stateSet struct {
	list []jstate
	seen map[string]bool
}

func (ss *stateSet) add(s jstate) bool {
	k := s.key()
	if ss.seen == nil {
		ss.seen = make(map[string]bool)
	}
	if ss.seen[k] {
		return false
	}
	ss.seen[k] = true
	ss.list = append(ss.list, s)
	return true
}

func (ss *stateSet) addAll(states []jstate) {
	for _, s := range states {
		ss.add(s)
	}
}

// analyzeJSON assigns an escaper to every interpolation tag of nodes, or
// fails if the text is not JSON or a tag stands where no value can go.
func analyzeJSON(nodes []node) (*analyzer, error) {
	a := &analyzer{pass: 1, docs: make(map[strID]bool), plain: make(map[strID]bool)}
	numberTexts(nodes, &a.texts)
	a.memo = make(map[memoKey][]jstate)
	a.retest = make(map[*node]bool)
	a.retested = make(map[*node]bool)
	end, err := a.nodes(nodes, []jstate{{lv: []lvl{{pos: pValue}}, first: noLoop, last: noLoop}})
	if err != nil {
		return nil, err
	}
	forgetUnvisited(nodes, a.pass)
	for _, s := range end {
		if len(s.lv) == 1 && s.lv[0].done() {
			continue
		}
		src, off := lastPos(nodes)
		msg := "incomplete JSON document at the end of the template"
		if len(s.lv) == 1 && s.lv[0].pos == pValue && s.lv[0].stack == "" {
			msg = "empty JSON document: the template renders nothing"
		}
		msg += a.skipHint(s)
		if src == nil {
			return nil, &Error{Msg: msg}
		}
		return nil, src.errorf(off, msg)
	}
	return a, nil
}

// forgetUnvisited clears the escaper of the tags the last pass did not
// reach, so that Execute refuses them rather than trusting an earlier pass.
func forgetUnvisited(nodes []node, pass int32) {
	for i := range nodes {
		n := &nodes[i]
		if n.kind == nValue && n.pass != pass {
			n.esc = esc{}
		}
		forgetUnvisited(n.body, pass)
		forgetUnvisited(n.alt, pass)
		for _, part := range dynParts(n) {
			forgetUnvisited(part.nodes, pass)
		}
	}
}

func numberTexts(nodes []node, byID *[]*node) {
	for i := range nodes {
		n := &nodes[i]
		n.id = int32(len(*byID))
		*byID = append(*byID, n)
		numberTexts(n.body, byID)
		numberTexts(n.alt, byID)
		for _, part := range dynParts(n) {
			numberTexts(part.nodes, byID)
		}
	}
}

// dynParts returns the partials a partial tag named by a value may
// include, in the order of their names. In JSON mode each was inlined for
// the place of the tag.
func dynParts(n *node) []*partial {
	if n.kind != nPartial || n.dyn == nil {
		return nil
	}
	parts := make([]*partial, 0, len(n.dyn))
	for _, name := range slices.Sorted(maps.Keys(n.dyn)) {
		parts = append(parts, n.dyn[name])
	}
	return parts
}

func lastPos(nodes []node) (*source, int) {
	if len(nodes) == 0 {
		return nil, 0
	}
	n := &nodes[len(nodes)-1]
	switch n.kind {
	case nText:
		return n.src, n.pos + len(n.text)
	case nBlock:
		return n.src, n.close
	}
	return n.src, n.pos
}

func (a *analyzer) errorf(src *source, off int, msg string) error {
	return src.errorf(off, msg+a.note)
}

// nodes follows every state of in through nodes.
func (a *analyzer) nodes(nodes []node, in []jstate) ([]jstate, error) {
	if len(nodes) > 0 && !a.retested[&nodes[0]] {
		a.findRetests(nodes)
	}
	cur := in
	for i := range nodes {
		n := &nodes[i]
		if err := a.spend(n, len(cur)*(stateCost+len(n.text))); err != nil {
			return nil, err
		}
		var next stateSet
		switch n.kind {
		case nText:
			if !utf8.ValidString(n.text) {
				return nil, a.errorf(n.src, n.pos, "invalid UTF-8 in the template text")
			}
			for _, s := range cur {
				s = s.clone()
				for j := 0; j < len(n.text); j++ {
					var f *fault
					c := n.text[j]
					s.lv, f = a.feed(s.lv, 0, c, strID{n.id, int32(j)})
					if f != nil {
						if j == 0 && i > 0 && nodes[i-1].kind == nValue && nodes[i-1].esc.kind == escValue && (c == '.' || c >= '0' && c <= '9') {
							f.msg += "; a tag in value position writes a whole JSON value, which no digits may follow: for epoch seconds in milliseconds ({{x}}000) write {{millis x}}"
						}
						return nil, a.faultError(f, n, j, s)
					}
					if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
						s.skip, s.nonList = 0, 0
					}
				}
				next.add(s)
			}
		case nPlain:
			for _, s := range cur {
				x := &s.lv[len(s.lv)-1]
				if x.pos != pString || !x.fresh || x.esc != 0 {
					return nil, a.errorf(n.src, n.pos, "{{!plain}} must open the string it marks as plain text, before any other character")
				}
				s = s.clone()
				s.lv[len(s.lv)-1].fresh = false
				next.add(s)
			}
		case nValue:
			if err := a.escapedLiterals(n, cur); err != nil {
				return nil, err
			}
			for k, s := range cur {
				s = s.clone()
				x := s.lv[len(s.lv)-1]
				// A value that may render nothing leaves a string that had
				// nothing but whitespace as it was, as a section may: what
				// follows may begin a document.
				empty := x.pos == pString && x.fresh && mayBeEmpty(n.expr, s)
				e, msg := tagPlace(&s)
				if msg != "" {
					msg += ": {{" + n.expr.text + "}} cannot be placed here"
					if strings.HasSuffix(n.src.text[:n.pos], `\\`) {
						msg += ` (as in Handlebars, \\{{x}} is one backslash then x: write \\\{{x}} for an escaped backslash of the JSON string then x)`
					}
					if l := len(s.lv) - 1; l > 0 {
						msg += a.inString(s.lv[l-1].id, n.src)
					}
					return nil, a.errorf(n.src, n.pos, msg+a.hint(s))
				}
				if k > 0 && e != n.esc || k == 0 && n.pass == a.pass && e != n.esc {
					msg := "tag {{" + n.expr.text + "}} stands " + n.esc.String() + " or " + e.String() + " depending on the sections before it"
					if e.depth != n.esc.depth {
						msg += ", or on whether a value at the start of the string writes anything; if that string is text, begin it with {{!plain}}"
					}
					return nil, a.errorf(n.src, n.pos, msg)
				}
				n.esc, n.pass = e, a.pass
				if empty {
					unwritten := s.clone()
					unwritten.lv[len(unwritten.lv)-1].fresh = true
					next.add(unwritten)
				}
				s.skip, s.nonList = 0, 0
				next.add(s)
			}
		case nBlock:
			if err := a.escapedLiterals(n, cur); err != nil {
				return nil, err
			}
			for _, s := range cur {
				k := memoKey{n, s.key()}
				out, ok := a.memo[k]
				if !ok {
					var err error
					if out, err = a.block(n, s); err != nil {
						return nil, err
					}
					a.memo[k] = out
				}
				if err := a.spend(n, len(out)*stateCost); err != nil {
					return nil, err
				}
				next.addAll(out)
			}
		case nFloor:
			next.addAll(cur)
		case nPartial:
			if n.dyn == nil {
				return nil, a.errorf(n.src, n.pos, "partials must be inlined in JSON mode")
			}
			// A partial named by a value: each is a way through the tag,
			// and so is none when a name that is no partial renders
			// nothing.
			if !n.mustFind {
				next.addAll(cur)
			}
			for _, part := range dynParts(n) {
				out, err := a.nodes(part.nodes, cur)
				if err != nil {
					return nil, err
				}
				next.addAll(out)
			}
		}
		cur = next.list
	}
	return cur, nil
}

// faultError turns a fault met at byte j of text node n, in state s, into
// an *Error.
func (a *analyzer) faultError(f *fault, n *node, j int, s jstate) error {
	if f.level == 0 {
		if h := a.hint(s); h != "" {
			return a.errorf(n.src, n.pos+j, f.msg+h)
		}
		return a.errorf(n.src, n.pos+j, f.msg+"; for a body that is not JSON, use WithMode(Text)")
	}
	return a.errorf(n.src, n.pos+j, f.msg+a.inString(f.id, n.src)+a.hint(s))
}

// hint names the safe way to write the common shapes that fail only for
// some data: a section that may render nothing where a value is needed,
// items of nested loops, items without separators, and a mustache section
// meant to render once.
func (a *analyzer) hint(s jstate) string {
	var r *node
	for _, f := range a.loops {
		if f.repeating {
			r = f.n
			break
		}
	}
	if r == nil && s.nonList != 0 {
		n := a.texts[s.nonList-1]
		line, col := n.src.position(n.pos)
		return fmt.Sprintf("; {{#%s}} at %d:%d is over a value that is not a list here, which leaves @first, @last and @index to the loop around: for items, write {{#each %s}}", n.name, line, col, n.expr.text)
	}
	if r == nil {
		return a.skipHint(s)
	}
	if l := innerLoop(r.body); l != nil {
		inner := "path"
		if l.expr.kind == ePath && l.expr.byName {
			inner = l.expr.text
		}
		return fmt.Sprintf("; the items of nested loops need a separator between groups too, which the inner loop cannot know: loop once over the flattened list, as in {{#each (flatten %s %q)}}…{{#unless @last}},{{/unless}}{{/each}}", r.expr.text, inner)
	}
	if r.block == bSection {
		return fmt.Sprintf("; a mustache section repeats its content for each item when %s is a list: to write it once, use {{#with %s}}…{{else}}null{{/with}}", r.expr.text, r.expr.text)
	}
	if h := a.skipHint(s); h != "" {
		return h
	}
	return fmt.Sprintf("; separate the items, as in {{#%s}}…{{#unless @last}},{{/unless}}{{/%s}}", openTag(r), r.name)
}

// skipHint explains an error met right after a block that rendered
// nothing, which is where a value was missing.
func (a *analyzer) skipHint(s jstate) string {
	if s.skip == 0 {
		return ""
	}
	n := a.texts[s.skip-1]
	when := "when " + n.expr.text + " is missing, false, null, 0, \"\" or []"
	if n.block == bEach {
		when = "when " + n.expr.text + " is empty"
	} else if n.block == bUnless || n.block == bInverted {
		when = "when " + n.expr.text + " is true"
	}
	open := openTag(n)
	line, col := n.src.position(n.pos)
	return fmt.Sprintf("; {{#%s}} at %d:%d renders nothing %s: add {{else}} with a JSON value for that case, as in {{#%s}}…{{else}}null{{/%s}}", open, line, col, when, open, n.name)
}

// openTag is what follows {{# in the tag that opens block n.
func openTag(n *node) string {
	if n.block == bSection || n.block == bInverted {
		return n.name
	}
	return n.name + " " + n.expr.text
}

// innerLoop returns the first block in nodes that repeats its body.
func innerLoop(nodes []node) *node {
	for i := range nodes {
		n := &nodes[i]
		if n.kind != nBlock {
			continue
		}
		if n.block == bEach || n.block == bSection && n.expr.kind != eData {
			return n
		}
		if l := innerLoop(n.body); l != nil {
			return l
		}
		if l := innerLoop(n.alt); l != nil {
			return l
		}
	}
	return nil
}

// inString locates a problem, found in source at, in the embedded document
// of string id, and says how to make the string text.
func (a *analyzer) inString(id strID, at *source) string {
	open := a.texts[id.node]
	where := posString(open.src, open.pos+int(id.off))
	if open.src != at {
		// The string and the problem are in different partials.
		name := open.src.name
		if name == "" {
			name = "template"
		}
		where = name + ":" + where
	}
	return ", in the string opened at " + where +
		", which starts like an embedded JSON document; if that string is text, begin it with {{!plain}}"
}

// escapedLiterals checks that the string literals written \"lit\" in the
// tag of n stand inside a JSON string in every state, where the author
// escaped the quotes for the string around the tag. A tag anywhere in an
// embedded document stands inside the string that holds it.
func (a *analyzer) escapedLiterals(n *node, states []jstate) error {
	lit := escapedLiteral(n.expr)
	if lit == nil {
		return nil
	}
	for _, s := range states {
		switch s.lv[len(s.lv)-1].pos {
		case pString, pKeyString:
		default:
			if len(s.lv) > 1 {
				continue
			}
			return a.errorf(n.src, lit.pos, "string literal "+lit.text+" outside a JSON string: write "+strconv.Quote(lit.lit.(string)))
		}
	}
	return nil
}

// findRetests sets retest for the blocks of nodes, and of the block parts
// in them, whose tested path a later sibling tests again, itself or in
// its parts that keep its context (the body of if, unless and an inverted
// section; the {{else}} part of any block). It returns the paths that
// nodes test so, for the block that holds them. Each list is read once,
// and the sets of its parts merged smaller into larger, so that a chain of
// n {{else if}} costs n log n, not n² as reading each part's parts again
// would.
func (a *analyzer) findRetests(nodes []node) map[string]bool {
	if len(nodes) == 0 {
		return nil
	}
	a.retested[&nodes[0]] = true
	var tested map[string]bool
	for i := len(nodes) - 1; i >= 0; i-- {
		n := &nodes[i]
		if n.kind != nBlock {
			continue
		}
		k := factKey(n)
		if k != "" && tested[k] {
			a.retest[n] = true
		}
		var in map[string]bool
		if body := a.findRetests(n.body); n.block == bIf || n.block == bUnless || n.block == bInverted {
			in = body
		}
		in = union(in, a.findRetests(n.alt))
		if k != "" {
			in = union(in, map[string]bool{k: true})
		}
		tested = union(tested, in)
	}
	return tested
}

// union adds the smaller of x and y to the larger and returns it.
func union(x, y map[string]bool) map[string]bool {
	if len(x) < len(y) {
		x, y = y, x
	}
	if x == nil {
		return y
	}
	for k := range y {
		x[k] = true
	}
	return x
}

// known tells whether the value of e is known in state s, and if so whether
// it is truthy.
func (a *analyzer) known(b blockKind, e *expr, s jstate) (isTrue, ok bool) {
	if k := factKeyOf(b, e); k != "" {
		if t, ok := s.fact(k); ok {
			a.factsUsed = true
			return t, true
		}
	}
	if e.kind == eLit && e.includeZero == nil {
		// {{#if true}}: known at Parse.
		return selects(b, e.lit, true), true
	}
	if e.kind != eData || e.up > 0 {
		// Only the innermost loop is tracked.
		return false, false
	}
	if s.first == noLoop {
		return false, true
	}
	switch e.data {
	case dFirst:
		return s.first == 2, s.first != 0
	case dLast:
		return s.last == 2, s.last != 0
	case dIndex:
		if b != bIf && b != bUnless {
			// A number, which a section or with takes, 0 included.
			return true, true
		}
		if z := e.includeZero; z != nil {
			// includeZero=true makes every index true.
			if z.kind != eLit {
				return false, false
			}
			if truthy(z.lit, true) {
				return true, true
			}
		}
		return s.first == 1, s.first != 0
	}
	return false, false
}

// block follows state s through a section, which must leave the nesting as
// it found it.
func (a *analyzer) block(n *node, s jstate) ([]jstate, error) {
	var out stateSet
	// check makes sure that the states at the end of the body have the
	// nesting of s, or that of s plus a whole document the body began in a
	// string that was empty so far: "{{#if a}}{\"v\": 1}{{/if}}".
	check := func(states []jstate, err error) ([]jstate, error) {
		if err != nil {
			return nil, err
		}
		for _, e := range states {
			whole := len(e.lv) == len(s.lv)+1 && e.lv[len(s.lv)].done() && e.coarse() == s.coarse()+"|"
			if e.coarse() != s.coarse() && !whole {
				line, col := n.src.position(n.pos)
				msg := fmt.Sprintf("{{/%s}} ends the section opened at %d:%d in another JSON context: a section must begin and end inside the same string, or at the same depth of objects and arrays, or hold the whole of a document embedded in a string it begins", n.name, line, col)
				if l := len(s.lv); len(e.lv) > l {
					// The section began a document in a string: if the
					// string is text, {{!plain}} says so.
					msg += a.inString(e.lv[l-1].id, n.src)
				}
				return nil, a.errorf(n.src, n.close, msg)
			}
		}
		return states, nil
	}
	// after returns the facts after the block, the body run or not.
	after := func(body bool) string {
		k := factKey(n)
		if k == "" || !a.retest[n] {
			return s.facts
		}
		isTrue := body != (n.block == bUnless || n.block == bInverted)
		if _, ok := s.fact(k); ok {
			return s.facts
		}
		if isTrue {
			return s.facts + "T" + k + "\x00"
		}
		return s.facts + "F" + k + "\x00"
	}
	// neutral checks the states at the end of the body (or of the else
	// part), which are states at the end of the section too.
	neutral := func(body bool) func([]jstate, error) error {
		return func(states []jstate, err error) error {
			states, err = check(states, err)
			for _, e := range states {
				e.first, e.last = s.first, s.last
				e.facts = after(body)
				out.add(e)
			}
			return err
		}
	}
	// in is the state the body starts in: only if and unless keep the
	// context, and with it what is known of its paths.
	in := s
	if n.block != bIf && n.block != bUnless && n.block != bInverted {
		in.facts = ""
	}
	truthy, isKnown := a.known(n.block, n.expr, s)
	if n.block == bUnless || n.block == bInverted {
		truthy = !truthy
	}
	runBody := !isKnown || truthy
	runAlt := !isKnown || !truthy
	if n.block == bEach {
		runBody, runAlt = true, true
	}
	if n.block == bPartial {
		runBody, runAlt = true, false
	}
	if runAlt {
		if n.alt == nil {
			skipped := s
			if n.expr.kind != eData {
				// Not a separator's condition.
				skipped.skip = n.id + 1
			}
			skipped.facts = after(false)
			out.add(skipped)
		} else if err := neutral(false)(a.nodes(n.alt, []jstate{s})); err != nil {
			return nil, err
		}
	}
	if !runBody {
		return out.list, nil
	}
	if n.block != bEach && (n.block != bSection || n.expr.kind == eData) {
		// Once, with the loop state unchanged.
		if err := neutral(true)(a.nodes(n.body, []jstate{in})); err != nil {
			return nil, err
		}
		return out.list, nil
	}
	if n.block == bSection && n.keepsLoop {
		// Over a value that is not a list, once, in a new context, with
		// the loop around as it is.
		line, col := n.src.position(n.pos)
		saved := a.note
		a.note = fmt.Sprintf(" (when {{#%s}} at %d:%d is over a value that is not a list, which leaves @first, @last and @index to the loop around: for items, write {{#each %s}})", n.name, line, col, n.expr.text)
		states, err := a.nodes(n.body, []jstate{in})
		for i := range states {
			states[i].nonList = n.id + 1
		}
		err = neutral(true)(states, err)
		a.note = saved
		if err != nil {
			return nil, err
		}
	}
	// As a loop: only one item, or a first item, items in the middle and a
	// last item, repeated until no new state appears. In the mustache
	// dialect, a section over a value that is not a list renders it as the
	// only item. Each item is a new context: what an item's blocks learnt
	// of their paths holds for that item only.
	flags := func(states []jstate, first, last uint8) []jstate {
		r := make([]jstate, len(states))
		for i, st := range states {
			st.first, st.last = first, last
			st.facts = in.facts
			r[i] = st
		}
		return r
	}
	line, col := n.src.position(n.pos)
	saved := a.note
	a.note = fmt.Sprintf(" (when the items of {{#%s}} at %d:%d repeat)", n.name, line, col)
	a.loops = append(a.loops, loopFrame{n: n})
	defer func() { a.note, a.loops = saved, a.loops[:len(a.loops)-1] }()
	if err := neutral(true)(a.nodes(n.body, flags([]jstate{in}, 2, 2))); err != nil {
		return nil, err
	}
	a.loops[len(a.loops)-1].repeating = true
	firsts, err := check(a.nodes(n.body, flags([]jstate{in}, 2, 1)))
	if err != nil {
		return nil, err
	}
	var between stateSet
	frontier := flags(firsts, 1, 1)
	between.addAll(frontier)
	for round := 0; len(frontier) > 0; round++ {
		if round == maxRepetition {
			return nil, a.errorf(n.src, n.pos, "{{#"+n.name+"}} changes the JSON structure each time it repeats")
		}
		mid, err := check(a.nodes(n.body, frontier))
		if err != nil {
			return nil, err
		}
		frontier = frontier[:0:0]
		for _, m := range flags(mid, 1, 1) {
			if between.add(m) {
				frontier = append(frontier, m)
			}
		}
	}
	if err := neutral(true)(a.nodes(n.body, flags(between.list, 1, 2))); err != nil {
		return nil, err
	}
	return out.list, nil
}

// markDocuments writes mark after the opening quote of every string that
// every path read as an embedded document. Mark must need no escaping.
func markDocuments(nodes []node, a *analyzer, mark string) {
	offs := make(map[int32][]int)
	for id := range a.docs {
		if !a.plain[id] {
			offs[id.node] = append(offs[id.node], int(id.off))
		}
	}
	for id, list := range offs {
		n := a.texts[id]
		sort.Sort(sort.Reverse(sort.IntSlice(list)))
		for _, off := range list {
			n.text = n.text[:off+1] + mark + n.text[off+1:]
		}
	}
}
