package template

// ParseMarked is Parse, writing mark at the start of the content of every
// string read as an embedded document, for the fuzz tests.
func ParseMarked(src, mark string, opts ...Option) (*Template, error) {
	return parse(src, mark, opts)
}
