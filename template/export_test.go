package template

// ParseMarked is Parse, writing mark at the start of the content of every
// string read as an embedded document, for the fuzz tests.
func ParseMarked(src, mark string, opts ...Option) (*Template, error) {
	return parse(src, mark, opts)
}

// Replacers returns how many replacers the replace helper has cached.
func Replacers() int32 { return nReplacers.Load() }

// ReplacerCached reports whether the replacer of pairs is cached.
func ReplacerCached(pairs ...string) bool {
	_, ok := replacers.Load(replacerKey(pairs))
	return ok
}
