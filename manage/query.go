package manage

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// checkQuery refuses a query the operation rt cannot read as its client
// meant it: a parameter it does not take (?active=true would otherwise
// list every webhook, unfiltered), one given empty (?limit= is not the
// default limit; an empty cursor is, as the first page's), one given
// twice (which would count?), or a pair badly escaped or holding a ';',
// which net/url drops without a word. Each is a 400 naming the parameter.
func checkQuery(raw string, rt route) error {
	seen := map[string]bool{}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue // a stray &, as in ?a=1&&b=2, holds no parameter
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			return fieldProblem(shown(rawName), fmt.Sprintf("query parameter %s is not percent-encoded correctly", shown(rawName)))
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return fieldProblem(shown(name), fmt.Sprintf("query parameter %s: its value is not percent-encoded correctly", shown(name)))
		}
		switch {
		case strings.Contains(pair, ";"):
			// net/url drops such a pair whole, as an old separator.
			return fieldProblem(shown(name), fmt.Sprintf("query parameter %s holds a ';', which is no separator: separate parameters with &, and escape a ';' in a value as %%3B", shown(name)))
		case !slices.Contains(rt.query, name):
			return fieldProblem(shown(name), unknownParameter(name, rt))
		case value == "" && name != "cursor":
			return fieldProblem(name, fmt.Sprintf("query parameter %s is empty: give it a value, or leave it out for its default", name))
		case seen[name] && name != rt.repeated:
			return fieldProblem(name, fmt.Sprintf("query parameter %s is given more than once", name))
		}
		seen[name] = true
	}
	return nil
}

func unknownParameter(name string, rt route) string {
	op := rt.method + " " + rt.path
	if len(rt.query) == 0 {
		return fmt.Sprintf("unknown query parameter %s: %s takes none", shown(name), op)
	}
	return fmt.Sprintf("unknown query parameter %s: %s takes %s", shown(name), op, strings.Join(rt.query, ", "))
}

// shown is a parameter's name as a problem names it: quoted when it is
// not plain text, and cut when long, since the caller chose it.
func shown(name string) string {
	const most = 64
	plain := name != "" && utf8.ValidString(name) && !strings.ContainsFunc(name, func(r rune) bool {
		return r <= ' ' || r == 0x7f || r == '"'
	})
	if len(name) > most {
		cut := most
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut] + "…"
	}
	if !plain {
		return strconv.Quote(name)
	}
	return name
}
