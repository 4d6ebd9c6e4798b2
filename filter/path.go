package filter

import (
	"errors"
	"strconv"
	"strings"
)

// stepKind is what one step of a path does.
type stepKind uint8

const (
	stepMember stepKind = iota // an object member
	stepIndex                  // an array element by index
	stepEach                   // every array element: []
)

type step struct {
	kind  stepKind
	key   string
	index int
}

// parsePath parses an event path: members separated by dots, [] for the
// elements of an array, [n] for one element, ["key"] for a member whose name
// holds a dot, a bracket or a quote. A leading "$." is allowed and ignored.
// The steps are appended to dst.
func parsePath(path string, dst []step) ([]step, error) {
	p := strings.TrimPrefix(path, "$.")
	if p == "" {
		return nil, errors.New("empty path")
	}
	steps := dst
	for i := 0; i < len(p); {
		switch c := p[i]; {
		case c == '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, errors.New("unclosed [")
			}
			inner := p[i+1 : i+end]
			switch {
			case inner == "":
				steps = append(steps, step{kind: stepEach})
				i += end + 1
			case inner[0] == '"':
				key, n, err := quotedKey(p[i+1:])
				if err != nil {
					return nil, err
				}
				i += 1 + n
				if i >= len(p) || p[i] != ']' {
					return nil, errors.New(`expected ] after a quoted member`)
				}
				steps = append(steps, step{kind: stepMember, key: key})
				i++
			default:
				n, err := strconv.Atoi(inner)
				if err != nil || n < 0 || inner[0] == '+' {
					return nil, errors.New("[" + inner + "] is not [], [n] or [\"member\"]")
				}
				steps = append(steps, step{kind: stepIndex, index: n})
				i += end + 1
			}
		case c == '.':
			if i == 0 || i == len(p)-1 || p[i+1] == '.' || p[i+1] == '[' {
				return nil, errors.New("empty member name at offset " + strconv.Itoa(i))
			}
			i++
		case c == ']':
			return nil, errors.New("unexpected ] at offset " + strconv.Itoa(i))
		default:
			if i > 0 && p[i-1] != '.' {
				return nil, errors.New("expected . or [ at offset " + strconv.Itoa(i))
			}
			end := strings.IndexAny(p[i:], ".[]")
			if end < 0 {
				end = len(p) - i
			}
			steps = append(steps, step{kind: stepMember, key: p[i : i+end]})
			i += end
		}
	}
	return steps, nil
}

// quotedKey reads the JSON string literal at the start of s and returns its
// value and length.
func quotedKey(s string) (string, int, error) {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			key, err := strconv.Unquote(s[:i+1])
			if err != nil {
				return "", 0, errors.New("malformed quoted member " + s[:i+1])
			}
			return key, i + 1, nil
		}
	}
	return "", 0, errors.New("unclosed quoted member")
}

// appendMember appends a member step to a path in path syntax, quoting the
// name when it needs it.
func appendMember(path, key string) string {
	if key == "" || strings.ContainsAny(key, `.[]"`) || (path == "" && strings.HasPrefix(key, "$")) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// schemaPath writes steps the way a Schema is asked about them: members
// joined by dots, every array step (an index too) as [].
func schemaPath(steps []step) string {
	var p string
	for _, s := range steps {
		switch s.kind {
		case stepMember:
			p = appendMember(p, s.key)
		default:
			p += "[]"
		}
	}
	return p
}

// fanOut reports whether a path can reach several values.
func fanOut(steps []step) bool {
	for _, s := range steps {
		if s.kind == stepEach {
			return true
		}
	}
	return false
}
