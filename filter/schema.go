package filter

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/outhook/outhook/internal/suggest"
)

// checkSchema checks a comparison's path and operands against s.
func checkSchema(s Schema, c *Clause, steps []step) *ClauseError {
	path := schemaPath(steps)
	typ, ok := s.Lookup(path)
	if !ok {
		if !openParent(s, steps) {
			return &ClauseError{Path: c.Path, Op: c.Op, Suggestion: suggest.Closest(path, s.Paths()),
				Err: fmt.Errorf("%w %s", ErrUnknownField, path)}
		}
		typ = "any"
	}
	if typ == "any" || c.Op == OpExist {
		return nil
	}
	mismatch := func(format string, args ...any) *ClauseError {
		return &ClauseError{Path: c.Path, Op: c.Op, Err: fmt.Errorf("%w: "+format, append([]any{ErrType}, args...)...)}
	}
	switch c.Op {
	case OpPrefix, OpSuffix, OpContains, OpGlob, OpRegex:
		if typ != "string" {
			return mismatch("%s applies to strings, and %s is a %s", c.Op.Key(), path, typ)
		}
		return nil
	}
	for _, v := range c.Values {
		if v == nil {
			continue // any field may be null
		}
		if vt := literalType(v); vt != typ {
			return mismatch("%s is a %s, and %s is a %s", path, typ, operandJSON(OpEq, []any{v}), vt)
		}
	}
	return nil
}

func literalType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	}
	return "null"
}

// openParent reports whether the nearest ancestor of steps the schema knows
// is of type any, or an object whose members it does not list.
func openParent(s Schema, steps []step) bool {
	for k := len(steps) - 1; k > 0; k-- {
		prefix := schemaPath(steps[:k])
		typ, ok := s.Lookup(prefix)
		if !ok {
			continue
		}
		if typ == "any" {
			return true
		}
		if typ != "object" {
			return false
		}
		for _, p := range s.Paths() {
			if strings.HasPrefix(p, prefix+".") || strings.HasPrefix(p, prefix+"[") {
				return false
			}
		}
		return true
	}
	return false
}
