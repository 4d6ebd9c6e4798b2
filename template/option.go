package template

import "fmt"

// Mode selects how interpolated values are escaped.
type Mode uint8

const (
	// JSON is the default mode, for JSON bodies. Parse follows the JSON
	// structure of the template text and escapes every tag for the place
	// where it stands: inside a string the value's text is string-escaped, in
	// value position the value is written as a JSON value, and inside a JSON
	// document that is itself escaped inside a string the value is escaped
	// once per level. A template that parses in this mode renders valid JSON
	// for any data, or Execute returns an error; a string that starts like
	// an embedded document must be one, or begin with {{!plain}} (see the
	// package documentation). Raw tags ({{{x}}} and {{&x}}) are escaped by
	// context too, since unescaped text could break the document.
	JSON Mode = iota
	// HTML escapes interpolated text for HTML as Handlebars does (& < > "
	// ' ` and =); raw tags are not escaped.
	HTML
	// Text writes interpolated text as is, for plain-text bodies. In the
	// HTML and Text modes an array is written as its elements' text
	// separated by commas, as Handlebars writes it, and an object as
	// compact JSON.
	Text
)

// String returns "json", "html" or "text".
func (m Mode) String() string {
	switch m {
	case JSON:
		return "json"
	case HTML:
		return "html"
	case Text:
		return "text"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// Dialect selects the rule where Handlebars and the mustache specification
// disagree on what a template renders.
type Dialect uint8

const (
	// Handlebars, the default, renders as handlebars.js 4.7: a name is
	// looked up in the current context only (../ and @root reach the
	// others), and a partial tag alone on its line writes its indentation
	// at the start of every line the partial outputs, lines that values
	// write included.
	Handlebars Dialect = iota
	// Mustache renders as the mustache specification requires: a name not
	// in the current context is looked up in the enclosing ones, innermost
	// first, and such a partial indents the lines of its template, so a
	// value holding line breaks is written as it is.
	Mustache
)

// Helper is a function that a template calls by name: {{name arg1 arg2}}, or
// as a subexpression: {{#if (name arg)}}. Arguments arrive as plain JSON-like
// Go values: nil, bool, string, json.Number, []any and map[string]any (values
// the data holds in another representation are converted first); a missing
// field arrives as nil. The result is rendered like a data value of the same
// JSON type, so in JSON mode it is escaped for the place where the tag stands.
// A non-nil error stops Execute, which returns an *Error wrapping it.
// Helpers must be safe for concurrent use.
type Helper func(args []any) (any, error)

// Option configures Parse. Options are created by the With functions of this
// package; a nil Option is ignored.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	name     string
	mode     Mode
	strict   bool
	partials map[string]string
	helpers  map[string]Helper
	schema   Schema
	left     string
	right    string
	dialect  Dialect

	// missingEmpty makes a missing partial render nothing.
	missingEmpty bool

	limit int
}

// WithName names the template in error messages. The default is no name.
func WithName(name string) Option {
	return optionFunc(func(c *config) { c.name = name })
}

// WithMode selects the escaping mode. The default is JSON.
func WithMode(m Mode) Option {
	return optionFunc(func(c *config) { c.mode = m })
}

// WithDialect selects Handlebars (the default) or Mustache where the two
// disagree; see Dialect. In JSON mode, where no value writes a line break,
// only the lookup of names differs.
func WithDialect(d Dialect) Option {
	return optionFunc(func(c *config) { c.dialect = d })
}

// WithStrict makes Execute fail with an *Error wrapping ErrMissingField when
// a referenced field is absent, instead of rendering nothing (or null in JSON
// value position). Conditions of if, unless and inverted sections and the
// first argument of default may still be absent. Strict mode also makes a
// reference to an unknown partial a Parse error, even with
// WithMissingPartialsEmpty, and so is a data variable that no helper sets
// (such as @indx for @index). The default is not strict.
func WithStrict() Option {
	return optionFunc(func(c *config) { c.strict = true })
}

// WithPartials makes the named templates available to {{> name}} tags. The
// map is read during Parse only. Partials are parsed with the same options;
// in JSON mode each inclusion is checked in the JSON context where it stands,
// so a partial cannot include itself there.
// The default is no partials. An inclusion {{> name}} of a partial that is
// not in the map is a Parse error, as Handlebars fails on it, unless
// WithMissingPartialsEmpty is given.
func WithPartials(partials map[string]string) Option {
	return optionFunc(func(c *config) {
		if c.partials == nil {
			c.partials = make(map[string]string, len(partials))
		}
		for k, v := range partials {
			c.partials[k] = v
		}
	})
}

// WithHelpers registers helpers by name, in addition to the built-in ones
// (see the package documentation); a registered helper replaces a built-in
// helper of the same name. The map is read during Parse only; nil helpers
// are ignored.
func WithHelpers(helpers map[string]Helper) Option {
	return optionFunc(func(c *config) {
		if c.helpers == nil {
			c.helpers = make(map[string]Helper, len(helpers))
		}
		for k, h := range helpers {
			if h != nil {
				c.helpers[k] = h
			}
		}
	})
}

// WithSchema makes Parse check every field reference against s, as Check
// does, and fail with the ErrorList of unknown references. The default is no
// check.
func WithSchema(s Schema) Option {
	return optionFunc(func(c *config) { c.schema = s })
}

// WithDelimiters replaces the tag delimiters "{{" and "}}" at the start of
// the template, as a {{=left right=}} tag would. Empty strings keep the
// default.
func WithDelimiters(left, right string) Option {
	return optionFunc(func(c *config) {
		c.left, c.right = left, right
	})
}

// WithMissingPartialsEmpty makes an inclusion {{> name}} of a partial that
// WithPartials does not provide render nothing, as the mustache
// specification requires, instead of being a Parse error. WithStrict
// overrides it. Dynamic names ({{>*x}}) that name no partial always render
// nothing.
func WithMissingPartialsEmpty() Option {
	return optionFunc(func(c *config) { c.missingEmpty = true })
}

// WithRenderLimit bounds each rendering of the template at n: Append and
// Execute fail with an *Error wrapping ErrRenderLimit, at the tag where
// the limit is passed, once the output plus the work done pass n. Work
// counts one for each block body entered (each iteration of a loop
// included), each partial and each helper call, and a helper's result
// by its length. Loops nested over the data multiply, as helpers fed
// their own results do, so that without a limit a short template over a
// small document may ask for gigabytes or hours; a template rendered for
// someone else's data needs one. Zero or less, the default, means no
// limit.
func WithRenderLimit(n int) Option {
	return optionFunc(func(c *config) { c.limit = max(n, 0) })
}
