package filter

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/outhook/outhook/internal/jsondoc"
)

// Schema describes the fields of an event, so that filters can be checked
// when they are built rather than found silent when they run. The webhook
// package implements it for each trigger's payload; the template package
// asks the same questions.
type Schema interface {
	// Lookup reports whether path names a field of the event and its JSON type:
	// "string", "number", "boolean", "object", "array", "null" or "any".
	Lookup(path string) (jsonType string, ok bool)
	// Paths lists every path the schema knows, for "did you mean" suggestions.
	Paths() []string
}

// Option configures New, FromFilters and Parse. Options are sealed: only this
// package defines them. A nil Option is ignored.
type Option interface {
	apply(*config)
}

type config struct {
	schema Schema
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithSchema checks every path of the filter against s while compiling: an
// unknown path fails with ErrUnknownField (suggesting the closest known one),
// an operator or value that cannot apply to the field's type with ErrType.
// Paths are given to s in the form members.joined.by.dots, every array step
// (an index too) written [], and names holding a dot, bracket or quote
// written ["name"]: data.access_groups[].integration.type. A field under a
// path of type "any", or under an "object" whose members the schema does not
// list (custom_fields), is accepted with type "any". By default no schema is
// checked.
func WithSchema(s Schema) Option {
	return optionFunc(func(c *config) { c.schema = s })
}

// Filter is a compiled filter: paths, regular expressions and globs are
// compiled once, when it is built. A Filter is immutable and safe for
// concurrent use. A nil *Filter, like the zero Filter, matches every event.
type Filter struct {
	root    node
	clause  Clause
	filters *Filters
}

// New compiles c. Any error is a *ClauseError naming the clause.
func New(c Clause, opts ...Option) (*Filter, error) {
	return newFilter(c.clone(), newConfig(opts))
}

// newFilter compiles c, which it keeps: the caller holds no other
// reference to its slices.
func newFilter(c Clause, cfg *config) (*Filter, error) {
	// The leaves point into f.clause: no copy of it of their own.
	f := &Filter{clause: c}
	root, err := compile(&f.clause, "", cfg)
	if err != nil {
		return nil, err
	}
	f.root = root
	return f, nil
}

// Must returns f, and panics when err is not nil. It is meant for
// package-level filters: var prod = filter.Must(filter.New(...)).
func Must(f *Filter, err error) *Filter {
	if err != nil {
		panic(err)
	}
	return f
}

func newConfig(opts []Option) *config {
	cfg := &config{}
	for _, o := range opts {
		if o != nil {
			o.apply(cfg)
		}
	}
	return cfg
}

// Match reports whether event passes the filter. event is the decoded event:
// a *jsondoc.Value tree or JSON-like Go values (map[string]any, []any,
// string, json.Number, float64, bool, nil).
func (f *Filter) Match(event any) bool {
	if f == nil || f.root == nil {
		return true
	}
	return f.root.match(event)
}

// Explain returns nil when event passes the filter, and otherwise the clause
// that rejected it with the value found there. It costs one Match when the
// event passes.
func (f *Filter) Explain(event any) *Mismatch {
	if f.Match(event) {
		return nil
	}
	return f.root.explain(event)
}

// Clause returns the filter as a clause tree. A filter built from the
// filters form returns the equivalent tree (see Filters.Clause).
func (f *Filter) Clause() Clause {
	if f == nil {
		return Clause{}
	}
	if f.filters != nil {
		return f.filters.Clause()
	}
	return f.clause.clone()
}

// Filters returns the filters form the filter was built from, and false when
// it was built from a clause.
func (f *Filter) Filters() (Filters, bool) {
	if f == nil || f.filters == nil {
		return Filters{}, false
	}
	return f.filters.clone(), true
}

// Check checks every path of the filter against s, as WithSchema does when
// compiling. Use it for filters loaded with json.Unmarshal.
func (f *Filter) Check(s Schema) error {
	if f == nil || s == nil {
		return nil
	}
	var err error
	if f.filters != nil {
		_, err = compileFilters(f.filters, &config{schema: s})
	} else {
		_, err = compile(&f.clause, "", &config{schema: s})
	}
	return err
}

// String returns the filter in its JSON form.
func (f *Filter) String() string {
	b, err := f.MarshalJSON()
	if err != nil {
		return "filter(" + err.Error() + ")"
	}
	return string(b)
}

// Mismatch says why an event did not pass a filter: the clause that failed,
// and the value found where it looked.
type Mismatch struct {
	// Clause locates the failing clause ("" for the root; see
	// ClauseError.Clause).
	Clause string `json:"clause,omitempty"`
	// Rule is the failing clause itself.
	Rule Clause `json:"rule"`
	// Op is the failing clause's operator. For OpNot, the negated clause
	// matched: Path, Expected and Found describe it when it is a comparison.
	Op Op `json:"op"`
	// Path is the event path the clause looked at.
	Path string `json:"path,omitempty"`
	// Every reports that every value at Path had to satisfy the operator.
	Every bool `json:"every,omitempty"`
	// Expected holds the clause's operands.
	Expected []any `json:"expected,omitempty"`
	// Found is the JSON of the value found at Path; for a path with [], the
	// JSON array of every value reached. Empty when Missing.
	Found string `json:"found,omitempty"`
	// Missing reports that Path reached no value.
	Missing bool `json:"missing,omitempty"`
	// Causes holds, for OpOr, why each alternative failed.
	Causes []*Mismatch `json:"causes,omitempty"`
}

// String describes the mismatch in one line.
func (m *Mismatch) String() string {
	var b strings.Builder
	m.write(&b)
	return b.String()
}

func (m *Mismatch) write(b *strings.Builder) {
	if m.Clause != "" {
		b.WriteString(m.Clause)
		b.WriteString(": ")
	}
	switch m.Op {
	case OpOr:
		b.WriteString("no alternative matched")
		for i, c := range m.Causes {
			if i == 0 {
				b.WriteString(": ")
			} else {
				b.WriteString("; ")
			}
			c.write(b)
		}
		return
	case OpNot:
		b.WriteString("negated clause matched")
		if len(m.Rule.Clauses) == 1 {
			b.WriteString(": ")
			b.WriteString(m.Rule.Clauses[0].String())
		}
	default:
		if m.Every {
			b.WriteString("every ")
		}
		b.WriteString(m.Path)
		b.WriteString(" ")
		b.WriteString(m.Op.Key())
		b.WriteString(" ")
		b.WriteString(operandJSON(m.Op, m.Expected))
	}
	if m.Missing {
		b.WriteString(": not found")
	} else if m.Found != "" {
		b.WriteString(": found ")
		b.WriteString(m.Found)
	}
}

// node is a compiled clause.
type node interface {
	match(doc any) bool
	// explain is called only on a doc that match rejected.
	explain(doc any) *Mismatch
}

func compile(c *Clause, loc string, cfg *config) (node, error) {
	switch {
	case c.Op == "":
		if c.Path != "" || len(c.Values) > 0 || len(c.Clauses) > 0 || c.Every {
			return nil, &ClauseError{Clause: loc, Path: c.Path, Err: fmt.Errorf("%w: a clause without an operator must be empty", ErrOperator)}
		}
		return trueNode{}, nil
	case !c.Op.valid():
		return nil, &ClauseError{Clause: loc, Path: c.Path, Op: c.Op, Err: fmt.Errorf("%w: unknown operator %q", ErrOperator, c.Op.Key())}
	case c.Op.composite():
		return compileComposite(c, loc, cfg)
	}
	return compileLeaf(c, loc, cfg)
}

func childLoc(loc, name string) string {
	if loc == "" {
		return name
	}
	return loc + "." + name
}

func compileComposite(c *Clause, loc string, cfg *config) (node, error) {
	if c.Path != "" || len(c.Values) > 0 || c.Every {
		return nil, &ClauseError{Clause: loc, Op: c.Op, Err: fmt.Errorf("%w: %s takes clauses, not a path, values or every", ErrOperator, c.Op.Key())}
	}
	if c.Op == OpNot {
		if len(c.Clauses) != 1 {
			return nil, &ClauseError{Clause: loc, Op: c.Op, Err: fmt.Errorf("%w: $not takes one clause, not %d", ErrOperator, len(c.Clauses))}
		}
		kid, err := compile(&c.Clauses[0], childLoc(loc, "not"), cfg)
		if err != nil {
			return nil, err
		}
		return &notNode{loc: loc, src: c, kid: kid}, nil
	}
	kids := make([]node, len(c.Clauses))
	for i := range c.Clauses {
		kid, err := compile(&c.Clauses[i], childLoc(loc, string(c.Op)+"["+strconv.Itoa(i)+"]"), cfg)
		if err != nil {
			return nil, err
		}
		kids[i] = kid
	}
	if c.Op == OpAnd {
		return hoist(allNode(kids), kids), nil
	}
	return hoist(&anyNode{loc: loc, src: c, kids: kids}, kids), nil
}

// scopeNode looks up a member once for clauses whose paths all start with it
// (data, in every Apono filter), and runs them on what it finds.
type scopeNode struct {
	key string
	kid node
}

// absent is what a scopeNode passes on when its member is missing: no
// member of it exists either.
var absent = (*jsondoc.Value)(nil)

func (n *scopeNode) member(doc any) any {
	if v, ok := doc.(*jsondoc.Value); ok {
		return v.Get(n.key)
	}
	if m, ok := jsondoc.Field(doc, n.key); ok {
		return m
	}
	return absent
}

func (n *scopeNode) match(doc any) bool        { return n.kid.match(n.member(doc)) }
func (n *scopeNode) explain(doc any) *Mismatch { return n.kid.explain(n.member(doc)) }

// hoist wraps n, whose children are kids, in a scopeNode when every child
// is a comparison (or the negation of one) whose path starts with the same
// member and goes on past it; the children then start after that member.
func hoist(n node, kids []node) node {
	if len(kids) < 2 {
		return n
	}
	var key string
	for i, k := range kids {
		l := leafOf(k)
		if l == nil || len(l.steps) < 2 || l.steps[0].kind != stepMember || (i > 0 && l.steps[0].key != key) {
			return n
		}
		key = l.steps[0].key
	}
	for _, k := range kids {
		l := leafOf(k)
		l.steps = l.steps[1:]
	}
	return &scopeNode{key: key, kid: n}
}

// leafOf returns the comparison n is, or negates.
func leafOf(n node) *leaf {
	switch n := n.(type) {
	case *leaf:
		return n
	case *notNode:
		l, _ := n.kid.(*leaf)
		return l
	}
	return nil
}

func compileLeaf(c *Clause, loc string, cfg *config) (node, error) {
	fail := func(sentinel error, format string, args ...any) error {
		return &ClauseError{Clause: loc, Path: c.Path, Op: c.Op, Err: fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)}
	}
	if len(c.Clauses) > 0 {
		return nil, fail(ErrOperator, "%s takes a path and values, not clauses", c.Op.Key())
	}
	// The leaf holds a path of a few steps, and its one string operand, in
	// place: fewer objects for the collector to mark per filter.
	l := &leaf{loc: loc, src: c, every: c.Every, negate: c.Op.negated()}
	steps, err := parsePath(c.Path, l.inline[:0])
	if err != nil {
		return nil, fail(ErrPath, "%s", err.Error())
	}
	for i, v := range c.Values {
		switch v := v.(type) {
		case string, bool, nil:
		case json.Number:
			if _, ok := parseDecimal(string(v)); !ok {
				return nil, fail(ErrValue, "operand %d: %q is not a JSON number", i, string(v))
			}
		case ApprovalKind:
			return nil, fail(ErrValue, "approval is %q or %q, not %q", ApprovalManual, ApprovalAutomatic, string(v))
		default:
			return nil, fail(ErrValue, "operand %d: %T is not a JSON scalar", i, v)
		}
	}
	if c.Op != OpIn && c.Op != OpNin && len(c.Values) != 1 {
		return nil, fail(ErrOperator, "%s takes one operand, not %d", c.Op.Key(), len(c.Values))
	}
	if len(c.Values) == 0 { // $in or $nin
		// Matching nothing (or, for $nin, everything) is never what an empty
		// list, usually a variable left empty, was meant to say.
		return nil, fail(ErrValue, "%s takes at least one value; to place no condition on %s, leave the clause out", c.Op.Key(), c.Path)
	}
	l.steps, l.fan = steps, fanOut(steps)
	operand := c.Values
	switch c.Op {
	case OpEq, OpNeq, OpIn, OpNin:
		l.set.init(operand)
		l.test = &l.set
	case OpExist:
		b, ok := operand[0].(bool)
		if !ok {
			return nil, fail(ErrValue, "$exist takes true or false")
		}
		l.test, l.negate = existTest{}, !b
	case OpPrefix, OpSuffix, OpContains, OpGlob, OpRegex:
		s, ok := operand[0].(string)
		if !ok {
			return nil, fail(ErrValue, "%s takes a string", c.Op.Key())
		}
		switch c.Op {
		case OpGlob:
			re, err := globRegexp(s)
			if err != nil {
				return nil, fail(ErrValue, "%s", err.Error())
			}
			l.test = regexTest{re}
		case OpRegex:
			re, err := regexp.Compile(s)
			if err != nil {
				return nil, fail(ErrValue, "%w", err)
			}
			l.test = regexTest{re}
		default:
			l.test = stringTest{op: c.Op, s: s}
		}
	case OpGt, OpGte, OpLt, OpLte:
		t := orderTest{op: c.Op}
		switch v := operand[0].(type) {
		case json.Number:
			t.num, _ = parseDecimal(string(v))
			t.isNum = true
		case string:
			t.s = v
		default:
			return nil, fail(ErrValue, "%s takes a number or a string", c.Op.Key())
		}
		l.test = t
	}
	if cfg.schema != nil {
		if err := checkSchema(cfg.schema, c, steps); err != nil {
			err.Clause = loc
			return nil, err
		}
	}
	return l, nil
}

type trueNode struct{}

func (trueNode) match(any) bool        { return true }
func (trueNode) explain(any) *Mismatch { return nil }

type allNode []node

func (n allNode) match(doc any) bool {
	for _, k := range n {
		if !k.match(doc) {
			return false
		}
	}
	return true
}

func (n allNode) explain(doc any) *Mismatch {
	for _, k := range n {
		if !k.match(doc) {
			return k.explain(doc)
		}
	}
	return nil
}

type anyNode struct {
	loc  string
	src  *Clause
	kids []node
}

func (n *anyNode) match(doc any) bool {
	for _, k := range n.kids {
		if k.match(doc) {
			return true
		}
	}
	return false
}

func (n *anyNode) explain(doc any) *Mismatch {
	m := &Mismatch{Clause: n.loc, Rule: n.src.clone(), Op: OpOr}
	for _, k := range n.kids {
		m.Causes = append(m.Causes, k.explain(doc))
	}
	return m
}

type notNode struct {
	loc string
	src *Clause
	kid node
}

func (n *notNode) match(doc any) bool { return !n.kid.match(doc) }

func (n *notNode) explain(doc any) *Mismatch {
	m := &Mismatch{Clause: n.loc, Rule: n.src.clone(), Op: OpNot}
	if l, ok := n.kid.(*leaf); ok {
		found := l.describe(doc)
		m.Path, m.Every, m.Expected, m.Found, m.Missing = found.Path, found.Every, found.Expected, found.Found, found.Missing
	}
	return m
}

// leaf is a compiled comparison.
type leaf struct {
	loc    string
	src    *Clause
	steps  []step
	fan    bool
	every  bool
	negate bool
	test   test
	set    setTest // test, when it is one: held in place rather than apart
	inline [5]step // steps, when they fit
}

func (l *leaf) match(doc any) bool {
	var ok bool
	if l.every {
		n, all := every(doc, l.steps, l.test)
		ok = n > 0 && all
	} else {
		ok = some(doc, l.steps, l.test)
	}
	return ok != l.negate
}

func (l *leaf) explain(doc any) *Mismatch { return l.describe(doc) }

// describe reports the leaf and the values its path reaches in doc.
func (l *leaf) describe(doc any) *Mismatch {
	m := &Mismatch{Clause: l.loc, Rule: l.src.clone(), Op: l.src.Op, Path: l.src.Path, Every: l.every,
		Expected: append([]any(nil), l.src.Values...)}
	found := collect(doc, l.steps, nil)
	switch {
	case len(found) == 0:
		m.Missing = true
	case l.fan:
		b := []byte{'['}
		for i, v := range found {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, v)
		}
		m.Found = string(append(b, ']'))
	default:
		m.Found = string(appendJSON(nil, found[0]))
	}
	return m
}

func appendJSON(dst []byte, v any) []byte {
	out, err := jsondoc.AppendJSON(dst, v)
	if err != nil {
		return append(dst, "null"...)
	}
	return out
}

// walk follows the steps up to the first [] and returns where it got, the
// remaining steps from the [] on, and whether it got anywhere.
func walk(x any, steps []step) (any, []step, bool) {
	if v, ok := x.(*jsondoc.Value); ok {
		return walkValue(v, steps)
	}
	for i := range steps {
		var ok bool
		switch s := &steps[i]; s.kind {
		case stepMember:
			x, ok = jsondoc.Field(x, s.key)
		case stepIndex:
			x, ok = jsondoc.Elem(x, s.index)
		case stepEach:
			if jsondoc.KindOf(x) != jsondoc.Array {
				return nil, nil, false
			}
			return x, steps[i:], true
		}
		if !ok {
			return nil, nil, false
		}
	}
	return x, nil, true
}

// walkValue is walk on the parsed tree, without going through any.
func walkValue(v *jsondoc.Value, steps []step) (*jsondoc.Value, []step, bool) {
	for i := range steps {
		switch s := &steps[i]; s.kind {
		case stepMember:
			v = v.Get(s.key)
		case stepIndex:
			v = v.Elem(s.index)
		case stepEach:
			if v.Kind() != jsondoc.Array {
				return nil, nil, false
			}
			return v, steps[i:], true
		}
		if v == nil {
			return nil, nil, false
		}
	}
	return v, nil, true
}

// elem returns the i-th element of the array x, which has at least i+1.
func elem(x any, i int) any {
	if v, ok := x.(*jsondoc.Value); ok {
		return v.Elem(i)
	}
	e, _ := jsondoc.Elem(x, i)
	return e
}

// some reports whether some value the steps reach from x passes t.
func some(x any, steps []step, t test) bool {
	if v, ok := x.(*jsondoc.Value); ok {
		return someValue(v, steps, t)
	}
	x, rest, ok := walk(x, steps)
	switch {
	case !ok:
		return false
	case rest == nil:
		return t.ok(x)
	}
	for i, n := 0, jsondoc.Len(x); i < n; i++ {
		if some(elem(x, i), rest[1:], t) {
			return true
		}
	}
	return false
}

// someValue is some on the parsed tree.
func someValue(v *jsondoc.Value, steps []step, t test) bool {
	v, rest, ok := walkValue(v, steps)
	switch {
	case !ok:
		return false
	case rest == nil:
		return t.ok(v)
	}
	for i, n := 0, v.Len(); i < n; i++ {
		if someValue(v.Elem(i), rest[1:], t) {
			return true
		}
	}
	return false
}

// every reports how many values the steps reach from x, and whether all of
// them pass t. It stops at the first that does not.
func every(x any, steps []step, t test) (int, bool) {
	x, rest, ok := walk(x, steps)
	switch {
	case !ok:
		return 0, true
	case rest == nil:
		return 1, t.ok(x)
	}
	total := 0
	for i, n := 0, jsondoc.Len(x); i < n; i++ {
		k, all := every(elem(x, i), rest[1:], t)
		total += k
		if !all {
			return total, false
		}
	}
	return total, true
}

// collect appends every value the steps reach from x to dst.
func collect(x any, steps []step, dst []any) []any {
	x, rest, ok := walk(x, steps)
	switch {
	case !ok:
		return dst
	case rest == nil:
		return append(dst, x)
	}
	for i, n := 0, jsondoc.Len(x); i < n; i++ {
		dst = collect(elem(x, i), rest[1:], dst)
	}
	return dst
}

// clone returns a deep copy of c.
func (c Clause) clone() Clause {
	if c.Values != nil {
		c.Values = append([]any(nil), c.Values...)
	}
	if c.Clauses != nil {
		kids := make([]Clause, len(c.Clauses))
		for i, k := range c.Clauses {
			kids[i] = k.clone()
		}
		c.Clauses = kids
	}
	return c
}
