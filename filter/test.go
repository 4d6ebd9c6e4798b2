package filter

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/outhook/outhook/internal/jsondoc"
)

// test is the compiled check a comparison applies to each value its path
// reaches.
type test interface {
	ok(v any) bool
}

// setTest is equality with one of a set of JSON scalars, within their JSON
// type.
type setTest struct {
	strs    []string
	one     [1]string // strs, when there is one: held in place rather than apart
	strSet  map[string]struct{}
	nums    []decimal
	yes, no bool
	null    bool
}

// setMapMin is the number of strings from which a map beats a linear scan.
const setMapMin = 12

// init sets t to the set of values. t must not be copied afterwards: its
// strings may be held in place.
func (t *setTest) init(values []any) {
	t.strs = t.one[:0]
	for _, v := range values {
		switch v := v.(type) {
		case string:
			t.strs = append(t.strs, v)
		case json.Number:
			d, _ := parseDecimal(string(v))
			t.nums = append(t.nums, d)
		case bool:
			if v {
				t.yes = true
			} else {
				t.no = true
			}
		case nil:
			t.null = true
		}
	}
	if len(t.strs) >= setMapMin {
		t.strSet = make(map[string]struct{}, len(t.strs))
		for _, s := range t.strs {
			t.strSet[s] = struct{}{}
		}
	}
}

func (t *setTest) ok(v any) bool {
	if s, ok := jsondoc.Str(v); ok {
		if t.strSet != nil {
			_, ok := t.strSet[s]
			return ok
		}
		for _, e := range t.strs {
			if s == e {
				return true
			}
		}
		return false
	}
	switch jsondoc.KindOf(v) {
	case jsondoc.Number:
		if len(t.nums) == 0 {
			return false
		}
		d, ok := numberOf(v)
		if !ok {
			return false
		}
		for i := range t.nums {
			if d.cmp(&t.nums[i]) == 0 {
				return true
			}
		}
	case jsondoc.Bool:
		b, _ := jsondoc.Boolean(v)
		return (b && t.yes) || (!b && t.no)
	case jsondoc.Null:
		return t.null
	}
	return false
}

// numberOf returns the number v as a decimal, exact for a *jsondoc.Value and
// a json.Number.
func numberOf(v any) (decimal, bool) {
	text, ok := jsondoc.NumberText(v)
	if !ok {
		return decimal{}, false
	}
	return parseDecimal(text)
}

// existTest passes any value: the path reached one.
type existTest struct{}

func (existTest) ok(any) bool { return true }

// stringTest is OpPrefix, OpSuffix or OpContains.
type stringTest struct {
	op Op
	s  string
}

func (t stringTest) ok(v any) bool {
	s, ok := jsondoc.Str(v)
	if !ok {
		return false
	}
	switch t.op {
	case OpPrefix:
		return strings.HasPrefix(s, t.s)
	case OpSuffix:
		return strings.HasSuffix(s, t.s)
	}
	return strings.Contains(s, t.s)
}

// regexTest is OpRegex and OpGlob.
type regexTest struct{ re *regexp.Regexp }

func (t regexTest) ok(v any) bool {
	s, ok := jsondoc.Str(v)
	return ok && t.re.MatchString(s)
}

// orderTest is OpGt, OpGte, OpLt and OpLte, on numbers or on strings.
type orderTest struct {
	op    Op
	isNum bool
	num   decimal
	s     string
}

func (t orderTest) ok(v any) bool {
	var c int
	if t.isNum {
		d, ok := numberOf(v)
		if !ok {
			return false
		}
		c = d.cmp(&t.num)
	} else {
		s, ok := jsondoc.Str(v)
		if !ok {
			return false
		}
		c = strings.Compare(s, t.s)
	}
	switch t.op {
	case OpGt:
		return c > 0
	case OpGte:
		return c >= 0
	case OpLt:
		return c < 0
	}
	return c <= 0
}

// globRegexp compiles a glob (* any run of characters, ? one character, \
// escapes) into an anchored regular expression.
func globRegexp(glob string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '\\':
			if i == len(glob)-1 {
				return nil, errors.New(`glob ends with an unescaped \`)
			}
			_, size := utf8.DecodeRuneInString(glob[i+1:])
			b.WriteString(regexp.QuoteMeta(glob[i+1 : i+1+size]))
			i += size
		default:
			j := i
			for j < len(glob) && glob[j] != '*' && glob[j] != '?' && glob[j] != '\\' {
				j++
			}
			b.WriteString(regexp.QuoteMeta(glob[i:j]))
			i = j - 1
		}
	}
	b.WriteString(`$`)
	return regexp.Compile(b.String())
}
