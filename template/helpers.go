package template

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/internal/suggest"
)

// helper is a function callable from a tag.
type helper struct {
	name         string
	min, max     int // arity; max < 0 means no limit
	fn           Helper
	custom       bool           // registered by the caller: gets plain Go values
	lenientFirst bool           // the first argument may be missing in strict mode
	hash         map[string]int // optional arguments that a hash argument may give, by index
	// within, when set, is fn for a template with a render limit: it
	// fails with ErrRenderLimit rather than make a result longer than
	// room, which fn could make gigabytes long before returning.
	within func(args []any, room int) (any, error)
}

// hashKeys returns the names of h's hash arguments, sorted.
func (h *helper) hashKeys() []string {
	keys := make([]string, 0, len(h.hash))
	for k := range h.hash {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// jsonHelper renders its argument as JSON; the executor writes it directly.
var jsonHelper = &helper{name: "json", min: 1, max: 1, fn: func(args []any) (any, error) {
	b, err := jsondoc.AppendJSON(nil, args[0])
	if err != nil {
		return nil, err
	}
	return string(b), nil
}}

// logHelper is Handlebars' log: the parser drops {{log …}} tags, so that
// it renders nothing.
var logHelper = &helper{name: "log", min: 1, max: -1, fn: func([]any) (any, error) { return nil, nil }}

var builtinHelpers = []*helper{
	jsonHelper,
	logHelper,
	{name: "eq", min: 2, max: 2, fn: func(args []any) (any, error) { return equal(args[0], args[1]), nil }},
	{name: "ne", min: 2, max: 2, fn: func(args []any) (any, error) { return !equal(args[0], args[1]), nil }},
	{name: "default", min: 2, max: 2, lenientFirst: true, fn: func(args []any) (any, error) {
		switch jsondoc.KindOf(args[0]) {
		case jsondoc.Absent, jsondoc.Null:
			return args[1], nil
		case jsondoc.String:
			if s, _ := jsondoc.Str(args[0]); s == "" {
				return args[1], nil
			}
		}
		return args[0], nil
	}},
	{name: "join", min: 1, max: 2, hash: map[string]int{"sep": 1}, fn: func(args []any) (any, error) {
		return joinText(args, -1)
	}, within: joinText},
	{name: "lookup", min: 2, max: 2, lenientFirst: true, fn: func(args []any) (any, error) {
		if !jsTruthy(args[0]) {
			// handlebars.js gives back a value JavaScript counts as false.
			return args[0], nil
		}
		key := text(args[1])
		if jsondoc.KindOf(args[1]) == jsondoc.Number {
			// JavaScript's text of the number: 1.0 is "1".
			f, _ := jsondoc.Float(args[1])
			key = strconv.FormatFloat(f+0, 'f', -1, 64)
		}
		v, _ := member(args[0], seg{key: key, idx: arrayIndex(key), length: key == "length"})
		return v, nil
	}},
	{name: "upper", min: 1, max: 1, fn: func(args []any) (any, error) { return strings.ToUpper(text(args[0])), nil }},
	{name: "lower", min: 1, max: 1, fn: func(args []any) (any, error) { return strings.ToLower(text(args[0])), nil }},
	{name: "time", min: 1, max: 2, hash: map[string]int{"layout": 1}, fn: formatTime},
	{name: "millis", min: 1, max: 1, fn: millis},
	{name: "count", min: 1, max: 1, fn: func(args []any) (any, error) {
		if s, ok := jsondoc.Str(args[0]); ok {
			return utf8.RuneCountInString(s), nil
		}
		return jsondoc.Len(args[0]), nil
	}},
	{name: "truncate", min: 2, max: 4, hash: truncateHash, fn: func(args []any) (any, error) { return truncate(args, false) }},
	{name: "truncateBytes", min: 2, max: 4, hash: truncateHash, fn: func(args []any) (any, error) { return truncate(args, true) }},
	{name: "flatten", min: 1, max: 2, fn: flatten},
	{name: "replace", min: 3, max: -1, fn: func(args []any) (any, error) { return replace(args, -1) }, within: replace},
}

// truncateHash names the optional arguments of truncate and truncateBytes.
var truncateHash = map[string]int{"ellipsis": 2, "escaped": 3}

// replace is the replace helper: the text of args[0] with each old string
// of the pairs that follow replaced by its new one, all at once and left to
// right as strings.NewReplacer does, so that a new string is never replaced
// again (escaping & before < cannot turn &lt; into &amp;lt;). With room >=
// 0, a result longer than room bytes is ErrRenderLimit, found before more
// than room bytes are written. Its time is linear in the text for each
// pair, however long the old strings the data gives.
func replace(args []any, room int) (any, error) {
	if len(args)%2 != 1 {
		return nil, errors.New("replace takes a value then pairs of old and new strings")
	}
	pairs := make([]string, 0, len(args)-1)
	for i, a := range args[1:] {
		s, ok := jsondoc.Str(a)
		if !ok || i%2 == 0 && s == "" {
			return nil, errors.New("replace takes pairs of strings, each old string non-empty")
		}
		pairs = append(pairs, s)
	}
	s := text(args[0])
	found := false
	for i := 0; i < len(pairs) && !found; i += 2 {
		found = strings.Contains(s, pairs[i])
	}
	if !found {
		return s, nil
	}
	if len(pairs) == 2 {
		// strings.NewReplacer would build a search table in time
		// quadratic in the old string's length, which the data may give.
		old, new := pairs[0], pairs[1]
		if room >= 0 && len(new) > len(old) && len(s)+strings.Count(s, old)*(len(new)-len(old)) > room {
			return nil, ErrRenderLimit
		}
		return strings.ReplaceAll(s, old, new), nil
	}
	if room < 0 {
		room = math.MaxInt
	}
	// Each write stops at the first one refused: the result is never more
	// than room bytes, however much the pairs would grow s.
	w := &boundedBuilder{room: room}
	for i := 0; i < len(pairs); i += 2 {
		if len(pairs[i]) > maxCachedOld {
			if err := replaceLong(w, s, pairs); err != nil {
				return nil, err
			}
			return w.String(), nil
		}
	}
	r := replacerFor(pairs)
	grow := 0
	for i := 1; i < len(pairs); i += 2 {
		grow = max(grow, len(pairs[i])-len(pairs[i-1]))
	}
	// Each old string is at least a byte: the result is at most len(s)
	// plus grow per byte of s, and when that fits, Replace sizes it once.
	if grow == 0 || room == math.MaxInt || len(s) <= (room-len(s))/grow {
		return r.Replace(s), nil
	}
	if _, err := r.WriteString(w, s); err != nil {
		return nil, err
	}
	return w.String(), nil
}

// maxCachedOld is the longest old string replace gives strings.Replacer,
// whose matching compares each old string's common prefix at every byte
// of s; longer ones, which only data gives, go to replaceLong.
const maxCachedOld = 64

// replaceLong writes s with pairs replaced as strings.Replacer does (the
// leftmost match first, the earlier pair when two match at one place),
// searching for each old string with strings.Index only past the last
// replacement, so that the time stays linear in s for each pair
// whatever the old strings' lengths.
func replaceLong(w *boundedBuilder, s string, pairs []string) error {
	// Each old string's next match: -2 before the first search, -1 for
	// none left.
	next := make([]int, len(pairs)/2)
	for i := range next {
		next[i] = -2
	}
	for pos := 0; ; {
		best := -1
		for i := range next {
			// A match that a replacement covered is searched again after it.
			if next[i] == -2 || next[i] >= 0 && next[i] < pos {
				if j := strings.Index(s[pos:], pairs[2*i]); j >= 0 {
					next[i] = pos + j
				} else {
					next[i] = -1
				}
			}
			if next[i] >= 0 && (best < 0 || next[i] < next[best]) {
				best = i
			}
		}
		if best < 0 {
			_, err := w.WriteString(s[pos:])
			return err
		}
		if _, err := w.WriteString(s[pos:next[best]]); err != nil {
			return err
		}
		if _, err := w.WriteString(pairs[2*best+1]); err != nil {
			return err
		}
		pos = next[best] + len(pairs[2*best])
	}
}

// boundedBuilder is a strings.Builder that refuses, with ErrRenderLimit, a
// write that would make it longer than room bytes.
type boundedBuilder struct {
	strings.Builder
	room int
}

func (b *boundedBuilder) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.room {
		return 0, ErrRenderLimit
	}
	return b.Builder.Write(p)
}

func (b *boundedBuilder) WriteString(s string) (int, error) {
	if b.Len()+len(s) > b.room {
		return 0, ErrRenderLimit
	}
	return b.Builder.WriteString(s)
}

// replacers caches the replacers of replace's pairs, which are nearly
// always a template's literals: building one costs more than using it.
// It holds at most maxReplacers, each of pairs of at most maxReplacerKey
// bytes, so that pairs taken from the data cannot make it hold more than
// a few hundred kilobytes.
var (
	replacers      sync.Map // replacerKey(pairs) to *strings.Replacer
	nReplacers     atomic.Int32
	maxReplacers   = int32(256)
	maxReplacerKey = 1024
)

// replacerKey joins pairs, each after its length, so that different pairs
// never share a key (joined by NUL, "a\x00b","c" and "a","b\x00c" would).
func replacerKey(pairs []string) string {
	var b []byte
	for _, p := range pairs {
		b = strconv.AppendInt(b, int64(len(p)), 10)
		b = append(b, ':')
		b = append(b, p...)
	}
	return string(b)
}

func replacerFor(pairs []string) *strings.Replacer {
	size := 0
	for _, p := range pairs {
		size += len(p)
	}
	if size > maxReplacerKey {
		return strings.NewReplacer(pairs...)
	}
	key := replacerKey(pairs)
	if r, ok := replacers.Load(key); ok {
		return r.(*strings.Replacer)
	}
	r := strings.NewReplacer(pairs...)
	// A slot is taken before storing, so that goroutines storing at once
	// cannot together pass the bound.
	if nReplacers.Add(1) > maxReplacers {
		nReplacers.Add(-1)
		return r
	}
	if _, loaded := replacers.LoadOrStore(key, r); loaded {
		nReplacers.Add(-1)
	}
	return r
}

// truncate shortens the text of args[0] to at most args[1] characters, or
// UTF-8 bytes, the ellipsis (args[2], "…" by default) included, cutting
// between characters only. Targets limit a field's text, such as Slack's
// 3,000 characters for a section block. Each byte of s that is not UTF-8
// becomes U+FFFD, as a JSON string writes it, so that the limit holds for
// the text the target reads. With args[3] true (escaped=true), each
// character counts as what a JSON string's escaping writes for it (\" is
// 2, \u0001 is 6), for a limit on escaped text: a document embedded in a
// string, or a body's bytes.
func truncate(args []any, bytes bool) (any, error) {
	max, ok := jsondoc.NumberText(args[1])
	n, err := strconv.Atoi(max)
	if !ok || err != nil || n < 0 {
		return nil, fmt.Errorf("the length must be a whole number of at least 0, not %s", text(args[1]))
	}
	s := validUTF8(text(args[0]))
	ellipsis := "…"
	if len(args) >= 3 && jsondoc.KindOf(args[2]) != jsondoc.Absent {
		ellipsis = validUTF8(text(args[2]))
	}
	escaped := len(args) == 4 && text(args[3]) == "true"
	width := func(r rune, w int) int {
		if escaped {
			if e := escapedWidth(r); e > 0 {
				return e
			}
		}
		if bytes {
			return w
		}
		return 1
	}
	size := func(s string) int {
		n := 0
		for _, r := range s {
			n += width(r, utf8.RuneLen(r))
		}
		return n
	}
	if size(s) <= n {
		return s, nil
	}
	room := n - size(ellipsis)
	if room < 0 {
		// No room for the ellipsis: the first n of s alone.
		room, ellipsis = n, ""
	}
	cut, used := 0, 0
	for cut < len(s) {
		r, w := utf8.DecodeRuneInString(s[cut:])
		u := width(r, w)
		if used+u > room {
			break
		}
		used += u
		cut += w
	}
	return s[:cut] + ellipsis, nil
}

// escapedWidth is the length, in characters and bytes alike, of r escaped
// in a JSON string as package jsondoc writes it, or 0 when r is written as
// it is.
func escapedWidth(r rune) int {
	switch {
	case r == '"' || r == '\\' || r == '\n' || r == '\r' || r == '\t' || r == '\b' || r == '\f':
		return 2
	case r < 0x20 || r == '\u2028' || r == '\u2029':
		return 6
	}
	return 0
}

// validUTF8 returns s with each byte that is not UTF-8 replaced by U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for _, r := range s {
		b = utf8.AppendRune(b, r)
	}
	return string(b)
}

// flatten joins the lists found in each element of list (at the dotted
// path of args[1], or the element itself) into one list, so that a single
// {{#each}} can write separators between all the items: nested loops
// cannot know whether a group after them has items.
func flatten(args []any) (any, error) {
	var path []string
	if len(args) == 2 {
		p, ok := jsondoc.Str(args[1])
		if !ok || p == "" {
			return nil, errors.New("the path must be a non-empty string such as \"access_units\"")
		}
		path = strings.Split(p, ".")
	}
	var out []any
	for i, n := 0, jsondoc.Len(args[0]); i < n && jsondoc.KindOf(args[0]) == jsondoc.Array; i++ {
		el, _ := jsondoc.Elem(args[0], i)
		found := true
		for _, k := range path {
			if el, found = jsondoc.Field(el, k); !found {
				break
			}
		}
		switch k := jsondoc.KindOf(el); {
		case !found || k == jsondoc.Absent || k == jsondoc.Null:
		case k == jsondoc.Array:
			for j, m := 0, jsondoc.Len(el); j < m; j++ {
				item, _ := jsondoc.Elem(el, j)
				out = append(out, item)
			}
		default:
			out = append(out, el)
		}
	}
	return out, nil
}

// millis converts epoch seconds, such as 1773134100.482913204, to whole
// epoch milliseconds without the rounding of a float64: what {{n}}000
// means, for any n. Null or missing gives null.
func millis(args []any) (any, error) {
	var lit string
	switch jsondoc.KindOf(args[0]) {
	case jsondoc.Absent, jsondoc.Null:
		return nil, nil
	case jsondoc.Number:
		lit, _ = jsondoc.NumberText(args[0])
	case jsondoc.String:
		lit, _ = jsondoc.Str(args[0])
	default:
		return nil, fmt.Errorf("%s is not a number of seconds", jsondoc.KindOf(args[0]))
	}
	t, err := parseEpoch(lit)
	if err != nil {
		return nil, err
	}
	return t.UnixMilli(), nil
}

// builtins returns the helpers a template can call: the built-in ones and
// the caller's.
func builtins(custom map[string]Helper) map[string]*helper {
	m := make(map[string]*helper, len(builtinHelpers)+len(custom))
	for _, h := range builtinHelpers {
		m[h.name] = h
	}
	for name, fn := range custom {
		m[name] = &helper{name: name, max: -1, fn: fn, custom: true}
	}
	return m
}

// didYouMean suggests the helper nearest to name, for the unknown helper
// error.
func didYouMean(name string, helpers map[string]*helper) string {
	// The block helpers too: {{#eachh xs}} reaches here.
	names := []string{"each", "if", "unless", "with"}
	for n := range helpers {
		if n != "log" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if s := suggest.Closest(name, names); s != "" {
		return "; did you mean " + s + "?"
	}
	return ""
}

// text returns v as text, as an interpolation in a string would show it.
func text(v any) string {
	if s, ok := jsondoc.Str(v); ok {
		return s
	}
	return string(appendText(nil, v))
}

// equal compares two values by JSON meaning: numbers by value, a missing
// field equal to null, arrays and objects by their JSON.
func equal(a, b any) bool {
	ka, kb := jsondoc.KindOf(a), jsondoc.KindOf(b)
	if ka == jsondoc.Absent {
		ka = jsondoc.Null
	}
	if kb == jsondoc.Absent {
		kb = jsondoc.Null
	}
	if ka != kb {
		return false
	}
	switch ka {
	case jsondoc.Null:
		return true
	case jsondoc.Number:
		ta, _ := jsondoc.NumberText(a)
		tb, _ := jsondoc.NumberText(b)
		if ta == tb {
			return true
		}
		fa, _ := jsondoc.Float(a)
		fb, _ := jsondoc.Float(b)
		return fa == fb
	case jsondoc.String, jsondoc.Bool:
		return text(a) == text(b)
	}
	ja, erra := jsondoc.AppendJSON(nil, a)
	jb, errb := jsondoc.AppendJSON(nil, b)
	return erra == nil && errb == nil && string(ja) == string(jb)
}

// layouts are the names the time helper accepts besides Go layouts.
var layouts = map[string]string{
	"RFC3339":     time.RFC3339,
	"RFC3339Nano": time.RFC3339Nano,
	"RFC1123":     time.RFC1123,
	"RFC1123Z":    time.RFC1123Z,
	"RFC822":      time.RFC822,
	"RFC822Z":     time.RFC822Z,
	"ANSIC":       time.ANSIC,
	"UnixDate":    time.UnixDate,
	"Kitchen":     time.Kitchen,
	"DateTime":    time.DateTime,
	"DateOnly":    time.DateOnly,
	"TimeOnly":    time.TimeOnly,
}

// formatTime formats epoch seconds, such as Apono's 1773134100.482913204,
// in UTC: RFC 3339 by default, or the layout of the second argument (a Go
// layout or a name such as "RFC3339Nano"). Null or missing gives null.
func formatTime(args []any) (any, error) {
	layout := time.RFC3339
	if len(args) == 2 {
		l, ok := jsondoc.Str(args[1])
		if !ok {
			return nil, errors.New("the layout must be a string")
		}
		layout = l
		if named, ok := layouts[l]; ok {
			layout = named
		}
	}
	v := args[0]
	var lit string
	switch jsondoc.KindOf(v) {
	case jsondoc.Absent, jsondoc.Null:
		return nil, nil
	case jsondoc.Number:
		lit, _ = jsondoc.NumberText(v)
	case jsondoc.String:
		lit, _ = jsondoc.Str(v)
	default:
		return nil, fmt.Errorf("%s is not a number of seconds", jsondoc.KindOf(v))
	}
	t, err := parseEpoch(lit)
	if err != nil {
		return nil, err
	}
	return t.UTC().Format(layout), nil
}

// parseEpoch reads epoch seconds from a number literal, keeping every digit
// down to the nanosecond that a float64 would lose.
func parseEpoch(lit string) (time.Time, error) {
	bad := fmt.Errorf("%q is not a number of seconds", lit)
	s := strings.TrimSpace(lit)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if strings.ContainsAny(s, "eE") || intPart == "" || hasFrac && frac == "" || !digits(intPart) || !digits(frac) {
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e15 {
			return time.Time{}, bad
		}
		sec, fr := math.Modf(f)
		return time.Unix(int64(sec), int64(fr*1e9)), nil
	}
	sec, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil || sec > 1e15 {
		return time.Time{}, bad
	}
	if len(frac) > 9 {
		frac = frac[:9]
	}
	nsec := int64(0)
	if frac != "" {
		n, _ := strconv.ParseInt(frac, 10, 64)
		for i := len(frac); i < 9; i++ {
			n *= 10
		}
		nsec = n
	}
	if neg {
		sec, nsec = -sec, -nsec
	}
	return time.Unix(sec, nsec), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// plain converts a value to the plain Go form that caller helpers receive.
func plain(v any) any {
	switch v := v.(type) {
	case nil, bool, string, json.Number, map[string]any, []any:
		return v
	}
	switch jsondoc.KindOf(v) {
	case jsondoc.Absent, jsondoc.Null:
		return nil
	case jsondoc.Bool:
		return text(v) == "true"
	case jsondoc.String:
		s, _ := jsondoc.Str(v)
		return s
	case jsondoc.Number:
		n, _ := jsondoc.NumberText(v)
		return json.Number(n)
	}
	b, err := jsondoc.AppendJSON(nil, v)
	if err != nil {
		return nil
	}
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	var out any
	if d.Decode(&out) != nil {
		return nil
	}
	return out
}

// joinText is the join helper: the text of the elements of args[0] separated
// by args[1] (", " by default), at most room bytes when room >= 0. Its
// result is the length of the list times that of the separator, so that a
// join fed to another's sep multiplies.
func joinText(args []any, room int) (any, error) {
	sep := ", "
	if len(args) == 2 {
		sep = text(args[1])
	}
	var b []byte
	for i, n := 0, jsondoc.Len(args[0]); i < n; i++ {
		el, _ := jsondoc.Elem(args[0], i)
		if i > 0 {
			b = append(b, sep...)
		}
		b = appendText(b, el)
		if room >= 0 && len(b) > room {
			return nil, ErrRenderLimit
		}
	}
	return string(b), nil
}

// valueCall is a subexpression (x) whose x is no helper. handlebars.js
// calls x all the same: a value that JavaScript counts as false (false,
// null, a missing field, 0, "") gives a missing value, and any other fails
// as not a function, so Execute fails there too.
func valueCall(e *expr) *expr {
	return callValue(e, "("+e.text+")", "the parentheses")
}

// hashValueCall is x k=v whose x is no helper, which handlebars.js calls
// as it calls (x).
func hashValueCall(e *expr) *expr {
	return callValue(e, e.text+" with hash arguments", "the hash arguments")
}

func callValue(e *expr, text, drop string) *expr {
	name := e.text
	h := &helper{name: name, min: 1, max: 1, lenientFirst: true, fn: func(args []any) (any, error) {
		if jsTruthy(args[0]) {
			return nil, errors.New("no helper has this name, and " + text + " calls its value, which is not false, null, 0 or \"\" (handlebars.js fails here too): write " + name + " without " + drop)
		}
		return nil, nil
	}}
	return &expr{kind: eCall, pos: e.pos, text: text, fn: h, args: []*expr{e}}
}

// jsTruthy tells whether JavaScript counts v as true: an array or object
// does, even empty.
func jsTruthy(v any) bool {
	switch jsondoc.KindOf(v) {
	case jsondoc.Array, jsondoc.Object:
		return true
	}
	return truthy(v, true)
}
