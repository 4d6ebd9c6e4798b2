// Package template renders Handlebars and mustache templates into webhook
// bodies, and by default guarantees that the body is valid JSON.
//
// A template is parsed once and executed many times, safely in parallel:
//
//	t, err := template.Parse(`{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}"}}`)
//	...
//	body, err := t.Append(buf[:0], event)
//
// # Escaping that follows the JSON structure
//
// In the default JSON mode, Parse reads the text of the template as JSON and
// knows where each tag stands, and Execute escapes each value for that
// place:
//
//   - inside a string, "{{x}}" writes the text of x, JSON-string-escaped
//     (quotes, backslashes, control characters, U+2028 and U+2029);
//   - in value position, "duration": {{x}} writes x as a JSON value: a
//     number as its literal, a string with its quotes, an object or array as
//     compact JSON, a missing field as null;
//   - in member-name position, { {{x}}: 1 } writes the text of x as a JSON
//     string;
//   - inside a JSON document that is itself escaped in a string, as in
//     "message": "{ \"who\": \"{{x}}\" }", the value is escaped for the inner
//     document and then once more for each enclosing string, so that both
//     the body and the inner document stay valid and decode back to the
//     value, and no value can add a member to the inner document.
//
// Sections make the output depend on the data, so Parse follows every way
// through them: a body may render zero, one or many times, and the
// separators of {{#each}} and of mustache sections over a list are
// understood when written with @first, @last or @index, as in
// [{{#each xs}}{{json .}}{{#unless @last}},{{/unless}}{{/each}}]. A mustache
// section over a value that is not a list renders it once and, as in
// Handlebars, leaves @first, @last and @index to the loop around it
// (outside every loop they are missing, so false); WithDialect(Mustache)
// makes the value the only item of a list instead: @first and @last are
// true and @index is 0. A section over @first or @last is a condition, as
// {{#if}} is, and a section or with over @index or @key has the index or
// key as its context, as in Handlebars (a section takes 0 and "", a with
// 0); each leaves the loop data to the loop around it. A section must
// begin and end in the same JSON
// context (inside the same string, or at the same depth of objects and
// arrays), or hold the whole of a document embedded in a string it begins,
// as in "{{#if a}}{\"v\": 1}{{/if}}"; every way through the template must
// give one complete JSON document. Parse rejects any other template with
// the position of the problem, so a template that parses renders valid JSON
// for any data whatsoever, or Execute returns an error.
//
// Blocks that test the same field path, as if, unless, with and sections
// do, take complementary ways when they stand in the same context (side by
// side, or one inside an if or unless part of the other, or in an else
// part), so that {"v": {{#if p}}"{{p}}"{{/if}}{{^if p}}null{{/if}}}
// parses: the path gives the same value in both. Only blocks that select
// values alike are paired: if and unless together, with blocks together,
// a section and its inverse (a section also takes 0 and "", and with takes
// 0, where if does not). Helper calls, includeZero
// tests and tests inside a with, each or section body, where the path may
// name another value, are not taken as known.
//
// Shapes that handlebars.js renders as valid JSON for some data only are
// refused, and the error names the form to write instead:
//
//   - items of nested loops, [{{#each g}}{{#each u}}…{{#unless @last}},{{/unless}}{{/each}}{{/each}}],
//     miss the comma between groups (and leave one after an empty group):
//     loop once over the flattened list,
//     [{{#each (flatten g "u")}}…{{#unless @last}},{{/unless}}{{/each}}]
//     (inside it, ../ is the context around the loop, not the group);
//   - items with no separator: {{#unless @last}},{{/unless}} after each;
//   - separators in a mustache section, [{{#xs}}{{#unless @first}},{{/unless}}…{{/xs}}],
//     which over a value that is not a list belong to the loop around (or
//     to none: handlebars.js renders [,…]): {{#each xs}};
//   - a mustache section used to choose a value,
//     {{#p}}"{{name}}"{{/p}}{{^p}}null{{/p}}, repeats when p is a list:
//     {{#with p}}"{{name}}"{{else}}null{{/with}} renders once;
//   - a with, if or each that renders nothing where a value is needed,
//     such as a whole body {{#with data}}{…}{{/with}}: add
//     {{else}}null (or another value) for that case;
//   - digits after a value tag, as in {{n}}000 for milliseconds, which
//     breaks when n has a fraction: {{millis n}};
//   - a text string that starts like a document because a section writes
//     [ or { first: begin it with {{!plain}}.
//
// The HTML mode escapes as Handlebars does, and the Text mode
// writes values as they are, for bodies that are not JSON (see WithMode).
//
// # Embedded documents fail closed
//
// A string whose content begins, after optional whitespace, with { or [ is
// read as an embedded JSON document, at any depth, and so is what follows
// sections and values at the start of a string when they may write nothing
// (a missing field, null and "" write nothing, and so may most helpers), as
// in "{{x}}{\"a\": 1}". It must be JSON to its end on every way through
// the template, or Parse fails with the position
// of the first byte that is not, as html/template refuses what it cannot
// escape: read as text, its tags would be escaped one round short, and a
// value could change the shape of the inner document. A string that is text
// and only starts like a document says so with a {{!plain}} comment before
// any other character of its content (spaces around the word, or the
// {{!-- --}} form, are fine). The mark stays in the template, and any other
// Handlebars or mustache engine reads it as a comment:
//
//	{"text": "{{!plain}}[{{severity}}] {{summary}}"}
//
// {{!plain}} anywhere else is a Parse error; in the HTML and Text modes it
// is an ordinary comment.
//
// # Language
//
// Everything in the required modules of the mustache specification:
// interpolation, sections, inverted sections, comments, partials, set
// delimiters, dotted names, the implicit iterator {{.}} and the
// standalone-line whitespace rules. The specification's empty output for a
// missing partial needs WithMissingPartialsEmpty; its lookup of names in
// the current context first and then in the enclosing ones, and its
// indentation of a standalone partial's template lines (rather than of the
// lines it outputs, as Handlebars does), need WithDialect(Mustache).
//
// The Handlebars forms Apono's published templates use: spaces inside tags
// ({{ data.requester.name }}), segment literals
// ({{data.access_groups.[0].[integration].name}}), this, ../ and @root
// paths, {{#each}} with @index, @key, @first and @last, {{else}} and
// {{else if x}}, {{#if}}, {{#unless}}, {{#with}}, {{{raw}}} and {{& raw}},
// {{!-- comments --}}, whitespace control {{~x~}} and subexpressions
// ({{#if (eq a "b")}}). In a tag inside a JSON string (anywhere in a
// document embedded in one, too), a string literal may be written with the
// quotes escaped for the string around it, as in
// "text": "{{#if (eq event_type \"RequestApproved\")}}…", which is what its
// author means; elsewhere \"x\" is a Parse error. A name holding a character
// that Handlebars refuses in names (such as \ " ' ! # % & ( ) + , ; < = > ^ `
// { | } ~) outside [segment literals] is a Parse error, never a field that
// is silently missing.
//
// These forms mean what they mean in handlebars.js 4.7:
//
//   - a name is looked up in the current context only: inside
//     {{#each data.approvals}}, {{event_type}} is the item's member, and
//     the data's is {{../event_type}} or {{@root.event_type}} (helpers and
//     block parameters are found by name); a section over true keeps the
//     context around it;
//   - a block whose context equals the one around it (the same object or
//     array, a scalar of the same kind and value, or values JavaScript's
//     == converts to equal ones, as 3 and "3", [3] and 3, true and 1),
//     as {{#with this}}, adds no level for ../: handlebars.js compares
//     them with ==;
//   - x.length is the count of an array or the length of a string in
//     UTF-16 units (an object's own length member otherwise), and x.[i]
//     of a string its UTF-16 unit i (U+FFFD for half of a surrogate
//     pair); only the canonical text of an index names an element, so
//     xs.[01] is the member "01", missing from an array;
//   - true, false, null, undefined, string literals and numbers
//     (-?[0-9]+(.[0-9]+)?, so 1e3 is a name) are literals as parameters,
//     while a tag made of a single literal is the name it spells: {{"a b"}}
//     is the field "a b", {{1.50}} the field "1.5" (and, with hash
//     arguments, {{"a b" k=v}} is {{x k=v}} for that name, below); in a string literal
//     of the HTML and Text modes only a backslash before its own quote
//     escapes ('it\'s'; 'a\\b' is a, two backslashes and b), and it may
//     hold }} ({{default x "}}"}}; in JSON mode, a single-quoted one);
//   - \{{x}} writes {{x}} and the text after it up to the next tag, and
//     \\{{x}} a backslash then x;
//   - a raw block {{{{raw}}}}…{{{{/raw}}}} writes its content as it is,
//     tags included, as the raw helper such blocks conventionally call
//     does (as in handlebars.js, a {{{{x}}}} in it opens a raw block
//     nested in it, which the next {{{{/name}}}} closes, and the close
//     of the outer one must name it); under another name, {{{{name}}}}…{{{{/name}}}} is a section
//     over name whose content is text (in JSON mode, the content is text
//     read as JSON like any other);
//   - a path cannot end with a number, which Handlebars reads as a literal
//     there: {{xs.1}} is a Parse error, {{xs.[1]}} the element (in the
//     middle of a path, as in xs.1.name, a number is a name);
//   - wherever a tag writes text (in a JSON string or member name, in the
//     HTML and Text modes, as a helper's text argument), an object is
//     [object Object] and an array its elements' text separated by commas,
//     as JavaScript writes them; {{json x}} writes either as JSON;
//   - a block, comment, else or partial tag alone on its line takes the
//     line even with a ~ on one side, which trims only that side (and, on
//     the left of a partial, its indentation);
//   - standalone tags follow handlebars.js where it judges a tag by the
//     block as a whole: the close tag of an {{else if}} chain, with or
//     without a last {{else}}, takes its line when the part after the
//     first else ends a line, whatever stands before it on its own line,
//     and leaves the indentation before it to the last part (a ~ before
//     it trims the end of that first part too); in {{^x}}A{{else}}B{{/x}},
//     whose parts handlebars.js swaps, the open tag is judged by the start of B (whose first line
//     it takes), the else by the end of B and the start of A, the close
//     by the end of A; and a partial whose indentation the ~ of the tag
//     before it removed (a value, partial, comment or close tag, not an
//     open or else tag) indents nothing;
//   - so does ~ where handlebars.js strips by the block as a whole: in
//     {{^x}}A{{else}}B{{/x}} the open tag's right ~ strips the start of
//     B, the else's left ~ the end of B and its right ~ the start of A,
//     and the close's left ~ the end of A; a ~ on the left of the close
//     of an {{else if}} chain strips the ends of the parts after its
//     first and second else tags, not of a later last part, and one on
//     the left of a later {{else y}} also strips the end of the part
//     after the next else tag (or of its own, the last);
//   - a partial tag alone on its line writes its indentation at the start
//     of every line the partial outputs, those that values write included;
//   - {{^if x}}, {{^each xs}} and the like swap the two parts of the
//     block (only a plain {{else}} may follow them, no {{else if y}}),
//     and {{^x}}A{{else}}B{{/x}} is the section {{#x}}B{{else}}A{{/x}};
//     {{#if x includeZero=true}} counts 0 as true; {{log …}} renders
//     nothing, and so does a {{#log …}} or {{^log …}} block (a
//     subexpression among its arguments is computed, and fails Execute
//     where it fails, as in handlebars.js); a built-in
//     helper called as a block, as {{#eq a b}}…{{/eq}} or
//     {{^lookup x k}}…{{/lookup}}, writes its value as {{{eq a b}}}
//     does, whatever its parts, as handlebars.js calls a helper that
//     takes no block (for a condition, write {{#if (eq a b)}});
//   - the parts of if, unless, and the {{else}} of each and with, have an
//     empty object as their context where the context around is null or
//     missing ({{this}} writes [object Object] there, and it is no level
//     for ../ over null, but one over a missing partial context), as
//     handlebars.js calls its helpers with {} for this; sections keep
//     the null;
//   - a subexpression (x) whose x is no helper calls the value of x, as
//     handlebars.js does: false, null, a missing field, 0 and "" give a
//     missing value, and any other value fails Execute with the position
//     (x not being a function), but for a lone block parameter, which is
//     its value; so do {{x k=v}}, (x k=v) and {{#x k=v}}…{{/x}} (hash
//     arguments make x a helper call), the block's parts aside; a tag
//     cannot begin with a subexpression, so {{(x)}} is a Parse error;
//   - if, unless, each, with and lookup ignore hash arguments they do not
//     read (all but includeZero of if and unless), as handlebars.js does,
//     and so do {{x k=v}} and (x k=v) above; a subexpression among them
//     is computed all the same, as there, and fails Execute where it
//     fails ({{#if a k=(b)}} where b is "s"); a lone block parameter
//     with hash arguments computes none;
//   - a built-in helper in an else chain, {{else lookup x k}}, writes its
//     value as it does as a block;
//   - a helper's optional arguments may be given as hash arguments:
//     {{join xs sep="-"}}, {{time x layout="DateOnly"}},
//     {{truncate x 100 ellipsis="..."}}; one that skips optional
//     arguments leaves them at their defaults, as
//     {{truncate x 100 escaped=true}} keeps the "…";
//   - {{#each}} goes through an object's members in the order JavaScript
//     enumerates them: keys that are array indexes (0, 2, 10, not 01 or
//     -1) first, in increasing order, then the others in document order
//     (sorted, for a Go map); {{json x}} keeps the document's order;
//   - @../index, @../key, @../first and @../last are those of the loop
//     around the current one (a partial called as a block, and the
//     content it includes with {{> @partial-block}} or in place of a
//     missing partial, each count as one more level that holds the loop
//     data of its place, as handlebars.js copies the data for them); any other data variable, such as @foo, is
//     missing (Handlebars' helpers could set it, Outhook's set none; with
//     WithStrict it is a Parse error), and @this an empty object; a path
//     from @root or a loop variable stops at a value JavaScript counts as
//     false, which is its value, as handlebars.js joins its steps with &&
//     (@root.zero.x is 0 where zero is 0, @index.x is 0 in the first
//     round and missing in the others), while other paths stop at null
//     or a missing member only;
//   - a path may begin with any run of .., . and this (this/../x is
//     ../x), which after a name, as in a.this or a/../b, is a Parse error;
//   - {{#each xs as |x i|}} and {{#with x as |y|}} name the item and its
//     index or key (the value, for with), and so does a section over a
//     list, {{#xs as |x i|}}, as each, in the whole block, nested blocks
//     included (and the content of a partial block there, but not an
//     inline partial, where a use of one is a Parse error, as
//     handlebars.js fails there), before any field of the data; more
//     names than these are missing there; a tag {{x k=v}} or {{"x"}}
//     that names a parameter x gives its value; a name with a word that
//     ends in this, as |this|, |athis| or |a-this|, is never found, as
//     handlebars.js reads any such path as one that begins with this;
//   - {{> p x k=v}} renders p with x as its context (the current one when
//     omitted) and the hash arguments as extra members (a hash argument
//     whose value is undefined is left out; over an array or a string,
//     its elements or UTF-16 units are members under their indexes, as
//     handlebars.js copies them; the hash's new members come last, from
//     the last written to the first, as handlebars.js builds the hash);
//     inside p, a partial called
//     as a block, or an inline partial written outside every block, ../
//     does not reach the contexts around the tag, while @root and loop
//     data such as @index do (an inline partial written in a block
//     reaches the contexts around that block's tag from its own context,
//     wherever it is included, nested blocks and partials too; the content of a partial block reaches those around its
//     block tag; with WithDialect(Mustache) ../ reaches them all); a
//     partial that
//     WithPartials does not provide is a Parse error (see
//     WithMissingPartialsEmpty); {{> (expr)}} includes the partial named
//     by the value of expr, and Execute fails when there is none, or when
//     it includes one that is missing there, as a layout's
//     {{> @partial-block}} or its callers' inline partials (in JSON mode,
//     Parse checks every partial WithPartials provides where the tag
//     stands);
//   - {{#*inline "name"}}…{{/inline}} defines a partial for the block part
//     it is written in (before the definition too; the last of a name
//     wins) and the partials included from there, ahead of WithPartials;
//   - {{#> name x k=v}}…{{/name}} includes the partial name, in which
//     {{> @partial-block}} renders the content between the tags (whose
//     inline partials name sees too); when there is no partial name, the
//     content is rendered in its place.
//
// Block parameters on blocks other than {{#each}}, {{#with}} and sections
// name no value, and a use of one in the block's first part is a Parse
// error, as handlebars.js fails there. A section over a value that is not
// a list gives, as handlebars.js does, the block parameters of the parts
// around its tag as its own, one list for each part from the innermost
// out: [item, index or key] for a part each renders (or a section over a
// list), [value] for with, the list of its own for a section over another
// value, and nothing for the parts of if and unless, else parts and past
// the text of the template or partial (so outside every block they are
// missing); over true, and past a partial block's content or an inline
// partial, a use of one fails Execute with its position. Hash arguments (k=v) other than those above, of
// partials and the named optional arguments of the built-in helpers
// (WithDialect(Mustache) takes none), block helpers other than the
// built-in ones, decorators other than inline, {{else}} in a partial block and
// partial blocks named by a value are not supported and fail to parse; a
// partial named by a value does not see inline partials. A partial that
// includes itself is refused in JSON mode, an inline partial and a partial
// block's content included (but a layout's content may call the layout
// again, as in {{#> lay}}{{#> lay}}…{{/lay}}{{/lay}}).
//
// # Differences from Handlebars
//
// The differential suite (testdata/handlebars) renders a corpus with
// handlebars.js 4.7 and with this package; these differences are
// deliberate, and each is checked there to be the one it claims:
//
//   - Numbers keep the digits of their JSON literal: 1773134100.482913204
//     and 1.50 are written as they are, where JavaScript rounds each
//     number to a float64 first (1773134100.4829133, 1.5). Epoch
//     timestamps keep their nanoseconds.
//   - In JSON mode, a value is escaped for where it stands: a string in
//     value position gets its quotes, a missing field is null, {{{x}}}
//     inside a string is escaped too. Handlebars writes these as they are,
//     and the body is not JSON.
//   - In JSON mode, where handlebars.js renders a body that is not JSON for
//     the data at hand, the template is refused at Parse, with the
//     position of the problem.
//   - In JSON mode, a template that handlebars.js renders as JSON for some
//     data but not for other data is refused at Parse too (the JSON
//     safety of the mode), and the error names the form to write instead
//     (flatten, a separator, each, {{else}}null, with, millis or
//     {{!plain}}, see above).
//   - Inside a JSON string, a string literal of a tag may be written with
//     its quotes escaped for that string, \"x\", which handlebars.js
//     refuses to parse; and in JSON mode a backslash in a string literal
//     escapes the character after it ("\\" is one backslash, "\[" is [),
//     where handlebars.js keeps every backslash but one before the
//     literal's own quote.
//   - A tag followed by a }, as in {"n": {{n}}}, is the tag then the };
//     handlebars.js reads }}} as the end of a triple-stash (and }}}} as
//     that of a raw block) and refuses the template. Only in JSON mode: in
//     the HTML and Text modes of the Handlebars dialect, }} followed by }
//     is a Parse error, as there (but after ~}}, a comment or a plain
//     {{else}}).
//   - In the Text mode, two numbers written by adjacent tags, as in
//     {{@../index}}{{@index}}, are written one after the other; handlebars.js
//     with noEscape adds them up, as it does in every mode for two
//     {{{x}}} or {{& x}} tags with nothing written between them.
//
// And one that the corpus does not show: the hash context of a partial
// over a string, {{> p "abc" k=v}}, holds only the hash arguments, where
// JavaScript adds a member for each character. (A hash context keeps the
// order of x's members, then the hash's new ones, for {{#each this}}, as
// in handlebars.js; over a Go map x, its keys are sorted.)
//
// Falsy values, which skip if and unless, are false, null, a missing
// field, 0, "" and the empty array. As in Handlebars, {{#with x}} renders
// its body for 0 too, and a section {{#x}} for 0 and "" (with that value
// as its context), so {{^x}} renders only for false, null, a missing field
// and the empty array; the mustache specification tests none of these.
//
// # Helpers
//
// Built in:
//
//	{{json x}}             x as JSON; in a string, its JSON text escaped
//	{{eq a b}} {{ne a b}}  compare by JSON meaning (numbers by value)
//	{{default x y}}        y when x is missing, null or ""
//	{{join list [sep]}}    the elements' text, separated by sep (", ")
//	{{lookup x key}}       the member or element key of x (a string's
//	                       length or UTF-16 unit too, as for paths), or x
//	                       itself when it is false, null, missing, 0 or ""
//	                       (handlebars.js gives it back)
//	{{time x [layout]}}    epoch seconds (1773134100.482913204, kept to the
//	                       nanosecond) formatted in UTC, RFC 3339 by default;
//	                       layout is a Go layout or a name such as
//	                       "RFC3339Nano" or "DateTime"; null gives null
//	{{upper x}} {{lower x}}
//	{{count x}}            the elements of a list, the members of an object,
//	                       the characters of a string; 0 when missing
//	{{truncate x n [e]}}   the text of x cut to at most n characters, the
//	                       ellipsis e ("…") included, as for Slack's 3,000
//	                       characters per block
//	{{truncateBytes x n [e]}} the same counting UTF-8 bytes, as for Teams'
//	                       28 KB; neither splits a character. Both measure
//	                       the text before JSON escaping, which may lengthen
//	                       it, unless a fourth argument (escaped=true) counts
//	                       each character as JSON-escaped (\" 2, \u0001 6),
//	                       for a limit on a body's bytes or on a document
//	                       embedded in a string
//	{{replace x old new …}} the text of x with each old string of the pairs
//	                       replaced by its new one, all in one pass (a new
//	                       string is not replaced again), as for escaping
//	                       Slack's & < > or Markdown
//	{{millis x}}           epoch seconds as whole epoch milliseconds, exact
//	                       whatever the decimals; null gives null, and a
//	                       value past what int64 milliseconds hold (about
//	                       292 million years) is an Execute error
//	{{flatten xs [path]}}  one list of the items of the lists found at path
//	                       (dotted, such as "access_units") in each element
//	                       of xs, or of the elements themselves; an element
//	                       without a list there adds itself, or nothing when
//	                       missing or null
//
// A tag that calls a name which is neither a built-in helper nor a caller's
// is a Parse error that suggests the nearest helper name.
//
// Callers add their own with WithHelpers. A tag made of a single name is a
// field reference unless a caller's helper has that name, so data fields
// named like the built-in helpers stay reachable; but for Handlebars' own
// helpers, which handlebars.js calls before any field: {{log}} writes
// nothing, and {{if}}, {{unless}}, {{each}}, {{with}}, {{lookup}},
// {{helperMissing}} and {{blockHelperMissing}} (in a subexpression too)
// are Parse errors, as handlebars.js fails on them.
//
// # Data
//
// Execute accepts JSON-like Go values (map[string]any, []any, string,
// json.Number, float64 and the other number types, bool, nil,
// map[string]string, []string) and the parsed documents Outhook's webhook
// package decodes each event into once, which render without allocating.
//
// # Errors and checks
//
// Parse, Execute and Check report problems as *Error values carrying the
// template name, line and column. WithStrict turns a missing field into an
// error naming its path, and Check, or WithSchema, compares every field
// reference with a Schema and suggests the nearest known path for each
// unknown one.
//
// Parse takes time about linear in the template. Blocks nest at most 1000
// deep, each {{else if}} of a chain counting as one level, and
// subexpressions 1000 deep; deeper is a Parse error at the tag that opens
// the level too many. In JSON mode, inlining partials for the check, and
// the analysis, each stop with an error at a fixed amount of work
// (partials that include others several times, and nested sections,
// multiply it). A rendering is bounded only by WithRenderLimit.
package template
