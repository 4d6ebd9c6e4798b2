package template_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/template"
)

// pastedHandlebarsCases are templates users paste from handlebars.js, with what
// handlebars.js 4.7.10 renders for them (compiled with noEscape, as the
// Text mode writes values; eq registered as a === b).
var pastedHandlebarsCases = []struct {
	name, src, data, want string
}{
	{"length of an array", `{{list.length}}`, `{"list":[1,2,3]}`, `3`},
	{"length of an empty array in if", `{{#if list.length}}y{{else}}n{{/if}}`, `{"list":[]}`, `n`},
	{"length of an array in if", `{{#if list.length}}y{{else}}n{{/if}}`, `{"list":[0]}`, `y`},
	{"length of a string in UTF-16 units", `{{s.length}}`, `{"s":"héllo😀"}`, `7`},
	{"length member of an object", `{{o.length}}`, `{"o":{"length":5}}`, `5`},
	{"object without length", `[{{o.length}}]`, `{"o":{"a":1}}`, `[]`},
	{"number has no length", `[{{n.length}}]`, `{"n":5}`, `[]`},
	{"length of this in each", `{{#each l}}{{length}},{{/each}}`, `{"l":["ab",[1,2,3]]}`, `2,3,`},
	{"length in brackets", `{{list.[length]}}`, `{"list":[1,2]}`, `2`},
	{"if true is a literal", `{{#if true}}y{{else}}n{{/if}}`, `{"true":false}`, `y`},
	{"if false is a literal", `{{#if false}}y{{else}}n{{/if}}`, `{"false":true}`, `n`},
	{"if null is a literal", `{{#if null}}y{{else}}n{{/if}}`, `{"null":true}`, `n`},
	{"if undefined is a literal", `{{#if undefined}}y{{else}}n{{/if}}`, `{"undefined":true}`, `n`},
	{"unless true", `{{#unless true}}y{{else}}n{{/unless}}`, `{}`, `n`},
	{"lone string literal is a name", `{{"event_type"}}`, `{"event_type":"E"}`, `E`},
	{"lone single-quoted literal is a name", `{{'a b'}}`, `{"a b":"AB"}`, `AB`},
	{"string literal name is not split at dots", `{{"a.b"}}`, `{"a.b":1,"a":{"b":2}}`, `1`},
	{"lone true is a name", `{{true}}`, `{"true":"T"}`, `T`},
	{"lone null is a name", `{{null}}`, `{"null":"N"}`, `N`},
	{"lone number is a name", `{{10}}`, `{"10":"ten"}`, `ten`},
	{"lone number is a name in JavaScript form", `{{1.50}}`, `{"1.5":"x"}`, `x`},
	{"string parameter", `{{eq x "a"}} {{eq x 'b'}}`, `{"x":"a"}`, `true false`},
	{"number parameter", `{{eq n 10}} {{eq n 1.5}} {{eq m -2}}`, `{"n":10,"m":-2}`, `true false true`},
	{"leading zeros", `{{eq 01 1}}`, `{}`, `true`},
	{"1e3 is a name", `{{eq 1e3 1000}}`, `{}`, `false`},
	{"1e3 is a name found", `{{eq 1e3 1000}}`, `{"1e3":1000}`, `true`},
	{"true and null parameters", `{{eq x true}} {{eq y null}}`, `{"x":true,"y":null}`, `true true`},
	{"escaped tag", `\{{x}}`, `{"x":1}`, `{{x}}`},
	{"escaped tag runs to the next tag", `a\{{x}}b {{x}}`, `{"x":1}`, `a{{x}}b 1`},
	{"escaped backslash", `\\{{x}}`, `{"x":1}`, `\1`},
	{"three backslashes", `\\\{{x}}`, `{"x":1}`, `\\1`},
	{"two escaped tags", `\{{x}}\{{y}}`, `{"x":1,"y":2}`, `{{x}}{{y}}`},
	{"raw block", `{{{{raw}}}} {{x}} {{#if}} {{{{/raw}}}}`, `{"raw":true,"x":1}`, ` {{x}} {{#if}} `},
	{"raw block calls the raw helper, whatever the data", `[{{{{raw}}}} {{x}} {{{{/raw}}}}]`, `{"raw":false}`, `[ {{x}} ]`},
	{"raw block over a missing field", `[{{{{y}}}} {{x}} {{{{/y}}}}]`, `{"x":1}`, `[]`},
	{"raw block over a list", `{{{{y}}}}{{x}}{{{{/y}}}}`, `{"y":[1,2]}`, `{{x}}{{x}}`},
	{"raw block holds raw tags", `{{{{raw}}}}{{{{x}}}}{{{{/x}}}}{{{{/raw}}}}`, `{"raw":true}`, `{{{{x}}}}{{{{/x}}}}`},
	{"standalone raw block", "a\n{{{{raw}}}}\n{{x}}\n{{{{/raw}}}}\nb", `{"raw":true}`, "a\n{{x}}\nb"},
	{"inverse if", `{{^if x}}no{{else}}yes{{/if}}`, `{"x":0}`, `no`},
	{"inverse if truthy", `{{^if x}}no{{else}}yes{{/if}}`, `{"x":1}`, `yes`},
	{"inverse each", `{{^each l}}none{{/each}}`, `{"l":[]}`, `none`},
	{"includeZero", `{{#if x includeZero=true}}y{{else}}n{{/if}}`, `{"x":0}`, `y`},
	{"includeZero false", `{{#if x includeZero=false}}y{{else}}n{{/if}}`, `{"x":0}`, `n`},
	{"includeZero on an empty string", `{{#if x includeZero=true}}y{{else}}n{{/if}}`, `{"x":""}`, `n`},
	{"includeZero on unless", `{{#unless x includeZero=true}}y{{else}}n{{/unless}}`, `{"x":0}`, `n`},
	{"log renders nothing", `a{{log "hi" x}}b`, `{"x":1}`, `ab`},
	{"parent index", `{{#each l}}{{#each ../m}}{{@../index}}-{{@index}} {{/each}}{{/each}}`, `{"l":[1,2],"m":[1,2]}`, `0-0 0-1 1-0 1-1 `},
	{"parent key", `{{#each o}}{{#each ../m}}{{@../key}}-{{@key}} {{/each}}{{/each}}`, `{"o":{"a":1,"b":2},"m":[1]}`, `a-0 b-0 `},
	{"each block params", `{{#each l as |v i|}}{{i}}={{v}} {{/each}}`, `{"l":["a","b"]}`, `0=a 1=b `},
	{"each block params over an object", `{{#each o as |v k|}}{{k}}={{v}} {{/each}}`, `{"o":{"a":1,"b":2}}`, `a=1 b=2 `},
	{"with block param", `{{#with x as |y|}}{{y.a}}{{/with}}`, `{"x":{"a":1}}`, `1`},
	{"block param in a nested block", `{{#each l as |item|}}{{#each item.tags}}{{item.name}}:{{this}} {{/each}}{{/each}}`, `{"l":[{"name":"n","tags":["t1","t2"]}]}`, `n:t1 n:t2 `},
	{"array as text", `{{x}}|{{#each y}}{{this}};{{/each}}`, `{"x":[["a","b"],null,1.5,true,"c"],"y":[[1,2],[]]}`, `a,b,,1.5,true,c|1,2;;`},
	{"block param not in else", `{{#each l as |v|}}{{v}}{{else}}[{{v}}]{{/each}}`, `{"l":[],"v":"field"}`, `[field]`},
	{"block param shadows a field", `{{#each l as |name|}}{{name}}{{/each}}`, `{"l":["a"],"name":"root"}`, `a`},
	{"with over 0", `{{#with x}}[{{this}}]{{else}}E{{/with}}`, `{"x":0}`, `[0]`},
	{"if over 0", `{{#if x}}Y{{else}}N{{/if}}`, `{"x":0}`, `N`},
	{"section over 0", `{{#x}}[{{.}}]{{else}}E{{/x}}`, `{"x":0}`, `[0]`},
	{"inverted section over 0", `{{^x}}INV{{/x}}`, `{"x":0}`, ``},
	{"each over 0", `{{#each x}}[{{this}}]{{else}}E{{/each}}`, `{"x":0}`, `E`},
	{"unless over 0", `{{#unless x}}U{{/unless}}`, `{"x":0}`, `U`},
	{"with over empty string", `{{#with x}}[{{this}}]{{else}}E{{/with}}`, `{"x":""}`, `E`},
	{"if over empty string", `{{#if x}}Y{{else}}N{{/if}}`, `{"x":""}`, `N`},
	{"section over empty string", `{{#x}}[{{.}}]{{else}}E{{/x}}`, `{"x":""}`, `[]`},
	{"inverted section over empty string", `{{^x}}INV{{/x}}`, `{"x":""}`, ``},
	{"each over empty string", `{{#each x}}[{{this}}]{{else}}E{{/each}}`, `{"x":""}`, `E`},
	{"unless over empty string", `{{#unless x}}U{{/unless}}`, `{"x":""}`, `U`},
	{"with over empty array", `{{#with x}}[{{this}}]{{else}}E{{/with}}`, `{"x":[]}`, `E`},
	{"if over empty array", `{{#if x}}Y{{else}}N{{/if}}`, `{"x":[]}`, `N`},
	{"section over empty array", `{{#x}}[{{.}}]{{else}}E{{/x}}`, `{"x":[]}`, `E`},
	{"inverted section over empty array", `{{^x}}INV{{/x}}`, `{"x":[]}`, `INV`},
	{"each over empty array", `{{#each x}}[{{this}}]{{else}}E{{/each}}`, `{"x":[]}`, `E`},
	{"unless over empty array", `{{#unless x}}U{{/unless}}`, `{"x":[]}`, `U`},
	{"if over empty object", `{{#if x}}Y{{else}}N{{/if}}`, `{"x":{}}`, `Y`},
	{"inverted section over empty object", `{{^x}}INV{{/x}}`, `{"x":{}}`, ``},
	{"each over empty object", `{{#each x}}[{{this}}]{{else}}E{{/each}}`, `{"x":{}}`, `E`},
	{"unless over empty object", `{{#unless x}}U{{/unless}}`, `{"x":{}}`, ``},
	{"with over false", `{{#with x}}[{{this}}]{{else}}E{{/with}}`, `{"x":false}`, `E`},
	{"if over false", `{{#if x}}Y{{else}}N{{/if}}`, `{"x":false}`, `N`},
	{"section over false", `{{#x}}[{{.}}]{{else}}E{{/x}}`, `{"x":false}`, `E`},
	{"inverted section over false", `{{^x}}INV{{/x}}`, `{"x":false}`, `INV`},
	{"each over false", `{{#each x}}[{{this}}]{{else}}E{{/each}}`, `{"x":false}`, `E`},
	{"unless over false", `{{#unless x}}U{{/unless}}`, `{"x":false}`, `U`},
	{"with over null", `{{#with x}}[{{this}}]{{else}}E{{/with}}`, `{"x":null}`, `E`},
	{"if over null", `{{#if x}}Y{{else}}N{{/if}}`, `{"x":null}`, `N`},
	{"section over null", `{{#x}}[{{.}}]{{else}}E{{/x}}`, `{"x":null}`, `E`},
	{"inverted section over null", `{{^x}}INV{{/x}}`, `{"x":null}`, `INV`},
	{"each over null", `{{#each x}}[{{this}}]{{else}}E{{/each}}`, `{"x":null}`, `E`},
	{"unless over null", `{{#unless x}}U{{/unless}}`, `{"x":null}`, `U`},
	{"with over string 0", `{{#with x}}[{{this}}]{{else}}E{{/with}}`, `{"x":"0"}`, `[0]`},
	{"if over string 0", `{{#if x}}Y{{else}}N{{/if}}`, `{"x":"0"}`, `Y`},
	{"section over string 0", `{{#x}}[{{.}}]{{else}}E{{/x}}`, `{"x":"0"}`, `[0]`},
	{"inverted section over string 0", `{{^x}}INV{{/x}}`, `{"x":"0"}`, ``},
	{"each over string 0", `{{#each x}}[{{this}}]{{else}}E{{/each}}`, `{"x":"0"}`, `E`},
	{"unless over string 0", `{{#unless x}}U{{/unless}}`, `{"x":"0"}`, ``},
	{"tilde on the left, standalone on the right", "a\n{{~#if x}}\nb\n{{/if}}\nc", `{"x":1}`, "ab\nc"},
	{"tilde on the right, standalone on the left", "a\n  {{#if x~}}\nb\n{{/if}}\nc", `{"x":1}`, "a\nb\nc"},
	{"tilde on a closing tag", "a\n{{#if x}}\nb\n  {{~/if}}  \nc", `{"x":1}`, "a\nbc"},
	{"tilde list on standalone lines", "[\n  {{~#each l}}\n  {{this}},\n  {{~/each}}\n]", `{"l":[1,2]}`, "[  1,  2,]"},
	{"tilde on a standalone comment", "x\n  {{~! c}}\ny", `{}`, "xy"},
	{"tilde after a standalone comment", "x\n  {{! c~}}\ny", `{}`, "x\ny"},
	{"object as text", `{{o}}|{{l}}|{{n}}`, `{"o":{"a":1},"l":[{"a":1},[1,[2,null]],true,"s"],"n":[]}`, `[object Object]|[object Object],1,2,,true,s|`},
	{"object as a helper's text", `{{upper o}} {{join l}}`, `{"o":{"a":1},"l":[{"a":1},"x"]}`, `[OBJECT OBJECT] [object Object], x`},
	{"number inside a path", `{{l.1.n}}`, `{"l":[{},{"n":"b"}]}`, `b`},
	// handlebars.js passes these in options.hash; Outhook's helpers take
	// them as the optional arguments they name.
	{"hash arguments of helpers", `{{join l sep="-"}} {{time t layout="DateOnly"}} {{truncate s 4 ellipsis="~"}} {{upper (join l sep="+")}}`,
		`{"l":["a","b"],"t":1773134100,"s":"abcdef"}`, `a-b 2026-03-10 abc~ A+B`},
	// Handlebars' own helpers ignore hash arguments they do not read.
	{"hash arguments of Handlebars' helpers", `{{lookup o "a" k=1}}|{{#if z k=(upper s) includeZero=true}}y{{/if}}|{{#each l k=1}}{{this}}{{/each}}|{{#with o k=1 as |w|}}{{w.a}}{{/with}}|{{#unless f k=1}}u{{/unless}}|{{#if f}}{{else if z includeZero=true k=1}}z{{/if}}`,
		`{"o":{"a":1},"z":0,"l":["a","b"],"f":false,"s":"x"}`, `1|y|ab|1|u|z`},
	// With hash arguments a name is a helper call; with no helper of that
	// name, handlebars.js calls its value, which renders nothing when false.
	{"hash arguments on a name that is no helper", `a{{m k=1}}b{{#m k=1}}x{{else}}y{{/m}}c{{^f k=1}}x{{/f}}d{{default (m k=1) "e"}}`,
		`{"f":false}`, `abcde`},
	{"a helper called in an else chain", `{{#if f}}a{{else lookup o "c"}}{{d}}{{/if}}|{{#if f}}a{{else log "x"}}b{{else}}c{{/if}}`,
		`{"f":false,"o":{"c":{"d":"deep"}}}`, `[object Object]|`},
}

func TestHashArgumentsOnAValueFailExecute(t *testing.T) {
	for _, src := range []string{"\n {{n k=1}}", "\n {{#n k=1}}x{{/n}}", "\n {{default (n k=1) 1}}"} {
		tmpl, err := template.Parse(src, template.WithMode(template.Text))
		require.NoError(t, err)
		_, err = tmpl.Append(nil, map[string]any{"n": 3})
		var te *template.Error
		require.ErrorAs(t, err, &te, src)
		require.Equal(t, 2, te.Line, err.Error())
		require.Contains(t, te.Msg, "write n without the hash arguments")
	}
	// The mustache dialect has no hash arguments.
	_, err := template.Parse("{{n k=1}}", template.WithMode(template.Text), template.WithDialect(template.Mustache))
	var te *template.Error
	require.ErrorAs(t, err, &te)
	require.Equal(t, 1, te.Line)
	require.Equal(t, 5, te.Column)
}

func TestRendersAsHandlebars(t *testing.T) {
	for _, tt := range pastedHandlebarsCases {
		t.Run(tt.name, func(t *testing.T) {
			var data any
			require.NoError(t, json.Unmarshal([]byte(tt.data), &data))
			tmpl, err := template.Parse(tt.src, template.WithMode(template.Text))
			require.NoError(t, err)
			out, err := tmpl.Append(nil, data)
			require.NoError(t, err)
			require.Equal(t, tt.want, string(out))
		})
	}
}

func TestPartialsAsHandlebars(t *testing.T) {
	tests := []struct {
		name, src, data, partials, want string
	}{
		{"partial with a context", `{{> person data.requester}}`, `{"data":{"requester":{"name":"Ann"}}}`, `{"person":"{{name}}!"}`, `Ann!`},
		{"partial with a hash", `{{> p name="x" n=2}}`, `{"name":"root"}`, `{"p":"{{name}} {{n}}"}`, `x 2`},
		{"partial with a context and a hash", `{{> p user greeting="hi"}}`, `{"user":{"name":"Ann"}}`, `{"p":"{{greeting}} {{name}}"}`, `hi Ann`},
		{"partial with a hash over the current context", `{{> p extra=x}}`, `{"name":"Ann","x":1}`, `{"p":"{{name}} {{extra}}"}`, `Ann 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var data any
			require.NoError(t, json.Unmarshal([]byte(tt.data), &data))
			var partials map[string]string
			require.NoError(t, json.Unmarshal([]byte(tt.partials), &partials))
			for _, mode := range []template.Mode{template.Text, template.HTML} {
				tmpl, err := template.Parse(tt.src, template.WithMode(mode), template.WithPartials(partials))
				require.NoError(t, err)
				out, err := tmpl.Append(nil, data)
				require.NoError(t, err)
				require.Equal(t, tt.want, string(out), mode)
			}
			// In JSON mode, as a string's content.
			tmpl, err := template.Parse(`{"v": "`+tt.src+`"}`, template.WithPartials(partials))
			require.NoError(t, err)
			out, err := tmpl.Append(nil, data)
			require.NoError(t, err)
			require.Equal(t, `{"v": "`+tt.want+`"}`, string(out))
		})
	}
}

func TestPartialWithContextInJSONValuePosition(t *testing.T) {
	tmpl, err := template.Parse(`{"a": {{> p user}}, "b": {{> p name=x}}}`,
		template.WithPartials(map[string]string{"p": `{"n": {{name}}}`}))
	require.NoError(t, err)
	out, err := tmpl.Append(nil, map[string]any{"user": map[string]any{"name": "A\"nn"}, "x": 1})
	require.NoError(t, err)
	require.Equal(t, `{"a": {"n": "A\"nn"}, "b": {"n": 1}}`, string(out))
	require.True(t, json.Valid(out))
}

// In JSON mode the same forms render valid JSON for hostile data, and mean
// what they mean in Handlebars.
func TestHandlebarsFormsInJSONMode(t *testing.T) {
	data := map[string]any{
		"xs":   []any{"a\"", json.Number("2")},
		"s":    "h\u00e9\U0001F600\"",
		"zero": json.Number("0"),
		"raw":  true,
		"o":    map[string]any{"k\"": json.Number("1")},
	}
	tests := []struct {
		name, src, want string
	}{
		{"length", `{"n": {{xs.length}}, "s": "{{s.length}}", "c": {{#if xs.length}}true{{else}}false{{/if}}}`, `{"n": 2, "s": "5", "c": true}`},
		{"literals", `{"a": {{#if true}}1{{else}}2{{/if}}, "b": {{eq xs.length 2}}, "c": "{{eq 1e3 1000}}"}`, `{"a": 1, "b": true, "c": "false"}`},
		{"lone literal is a name", `{"v": {{"s"}}}`, `{"v": "hé😀\""}`},
		{"lone escaped literal is a name", `{"v": "{{\"s\"}}"}`, `{"v": "hé😀\""}`},
		{"escaped tag", `{"v": "a \{{s}} b"}`, `{"v": "a {{s}} b"}`},
		{"raw block", `{"v": "{{!plain}}{{{{raw}}}}{{s}}{{{{/raw}}}}"}`, `{"v": "{{s}}"}`},
		{"inverse if and includeZero", `[{{^if zero}}1{{else}}2{{/if}}, {{#if zero includeZero=true}}3{{else}}4{{/if}}{{log s}}]`, `[1, 3]`},
		{"block parameters", `[{{#each xs as |x i|}}{"i": {{i}}, "x": {{x}}}{{#unless @last}},{{/unless}}{{/each}}]`, `[{"i": 0, "x": "a\""},{"i": 1, "x": 2}]`},
		{"block parameter key", `{ {{#each o as |v k|}}{{k}}: {{v}}{{#unless @last}},{{/unless}}{{/each}} }`, `{ "k\"": 1 }`},
		{"parent index", `[{{#each xs}}[{{#each ../xs}}"{{@../index}}{{@index}}"{{#unless @last}},{{/unless}}{{/each}}]{{#unless @last}},{{/unless}}{{/each}}]`, `[["00","01"],["10","11"]]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := template.Parse(tt.src)
			require.NoError(t, err)
			out, err := tmpl.Append(nil, data)
			require.NoError(t, err)
			require.Equal(t, tt.want, string(out))
			require.True(t, json.Valid(out))
		})
	}
}

// handlebars.js fails on a partial it does not know ("The partial p could
// not be found"); rendering nothing would lose part of the body silently.
func TestMissingPartialIsAParseError(t *testing.T) {
	for _, src := range []string{`{"a": "x{{> p}}"}`, `{"a": "x{{> p user}}"}`, `{"a": "x{{> p k=1}}"}`} {
		for _, mode := range []template.Mode{template.JSON, template.HTML, template.Text} {
			_, err := template.Parse(src, template.WithMode(mode), template.WithName("body"))
			var te *template.Error
			require.ErrorAs(t, err, &te, "%s in mode %v", src, mode)
			require.Equal(t, 9, te.Column, err.Error())
			require.Contains(t, te.Msg, `unknown partial "p"`)
		}
		tmpl, err := template.Parse(src, template.WithMissingPartialsEmpty())
		require.NoError(t, err)
		out, err := tmpl.Append(nil, nil)
		require.NoError(t, err)
		require.Equal(t, `{"a": "x"}`, string(out))
		_, err = template.Parse(src, template.WithMissingPartialsEmpty(), template.WithStrict())
		require.ErrorContains(t, err, `unknown partial "p"`)
	}
}

// In Handlebars \\{{x}} is a backslash then x, so in a JSON string the
// backslash escapes the value's first character: Parse refuses it and says
// how to write an escaped backslash before a tag.
func TestBackslashBeforeTagInJSONString(t *testing.T) {
	_, err := template.Parse(`{"p": "C:\\{{dir}}"}`)
	require.ErrorContains(t, err, `write \\\{{x}}`)
	tmpl, err := template.Parse(`{"p": "C:\\\{{dir}}"}`)
	require.NoError(t, err)
	out, err := tmpl.Append(nil, map[string]any{"dir": `a"`})
	require.NoError(t, err)
	require.Equal(t, `{"p": "C:\\a\""}`, string(out))
}

func TestHandlebarsFormsDoNotAllocate(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation counts are checked in the full run without the race detector")
	}
	items := make([]string, 300)
	for i := range items {
		items[i] = `{"v": "x"}`
	}
	doc, err := jsondoc.Parse([]byte(`{"s": "abc", "l": [` + strings.Join(items, ",") + `]}`))
	require.NoError(t, err)
	tmpl := template.MustParse(`{"n": {{l.length}}, "t": "{{l.length}} {{s.length}}", "c": {{#if l.length}}1{{else}}0{{/if}}, ` +
		`"p": [{{#each l as |x i|}}"{{i}}{{x.v}}"{{#unless @last}},{{/unless}}{{/each}}], "q": {{#if true}}1{{/if}}}`)
	buf, err := tmpl.Append(nil, doc)
	require.NoError(t, err)
	require.True(t, json.Valid(buf))
	require.Contains(t, string(buf), `"n": 300, "t": "300 3", "c": 1, "p": ["0x","1x",`)
	require.Contains(t, string(buf), `"299x"]`)
	allocs := testing.AllocsPerRun(100, func() {
		buf, _ = tmpl.Append(buf[:0], doc)
	})
	require.Zero(t, allocs)
}

func TestHTMLEscapesAsHandlebars(t *testing.T) {
	tmpl, err := template.Parse("{{x}}|{{{x}}}", template.WithMode(template.HTML))
	require.NoError(t, err)
	out, err := tmpl.Append(nil, map[string]any{"x": "a&b<c>d\"e'f`g=h"})
	require.NoError(t, err)
	require.Equal(t, "a&amp;b&lt;c&gt;d&quot;e&#x27;f&#x60;g&#x3D;h|a&b<c>d\"e'f`g=h", string(out))
}

func TestPartialNamedByAValue(t *testing.T) {
	partials := map[string]string{"admin": "[{{greeting}} {{name}}]"}
	for _, mode := range []template.Mode{template.Text, template.HTML} {
		tmpl, err := template.Parse(`{{> (lower type)}}|{{> (lower type) user greeting="hi"}}|{{> (lookup . "p")}}`,
			template.WithMode(mode), template.WithPartials(partials))
		require.NoError(t, err)
		out, err := tmpl.Append(nil, map[string]any{"type": "ADMIN", "p": "admin", "user": map[string]any{"name": "Ann"}})
		require.NoError(t, err)
		require.Equal(t, "[ ]|[hi Ann]|[ ]", string(out))
		// handlebars.js: "The partial nope could not be found".
		_, err = tmpl.Append(nil, map[string]any{"type": "nope"})
		require.ErrorContains(t, err, `no partial named "nope"`)
	}
}

// In JSON mode a partial named by a value is checked as each of the
// partials given, where the tag stands.
func TestPartialNamedByAValueInJSONMode(t *testing.T) {
	tmpl, err := template.Parse(`{"a": "{{> (lower type)}}"}`,
		template.WithPartials(map[string]string{"admin": `<{{name}}>`, "user": `{{name}}!`}))
	require.NoError(t, err)
	out, err := tmpl.Append(nil, map[string]any{"type": "ADMIN", "name": `A "q"`})
	require.NoError(t, err)
	require.Equal(t, `{"a": "<A \"q\">"}`, string(out))
	// handlebars.js: "The partial nope could not be found".
	_, err = tmpl.Append(nil, map[string]any{"type": "nope"})
	require.ErrorContains(t, err, `no partial named "nope"`)

	// {{>*which}} over a name that is no partial renders nothing, as the
	// mustache dynamic-names module says.
	tmpl, err = template.Parse(`[{{>*which}}]`, template.WithPartials(map[string]string{"one": "1", "two": `{{n}}, 2`}))
	require.NoError(t, err)
	out, err = tmpl.Append(nil, map[string]any{"which": "two", "n": `x"`})
	require.NoError(t, err)
	require.Equal(t, `["x\"", 2]`, string(out))
	out, err = tmpl.Append(nil, map[string]any{"which": "nope"})
	require.NoError(t, err)
	require.Equal(t, `[]`, string(out))

	for src, partials := range map[string]map[string]string{
		// One partial that would break the body is enough.
		`{"v": {{> (lower t)}}}`: {"ok": "1", "bad": "1 2"},
		// A string that starts like a document must be one.
		`{"a": "{{> (lower type)}}"}`: {"admin": "[{{greeting}} {{name}}]"},
		// With no partial that may be, a body that needs one is empty.
		`{{>*which}}`: {"one": "1"},
	} {
		_, err := template.Parse(src, template.WithPartials(partials))
		require.Error(t, err, src)
	}
}

func TestBlockParameterErrors(t *testing.T) {
	for src, msg := range map[string]string{
		// handlebars.js reads block parameters on any block, and fails
		// where one that each or with does not give is used.
		`{{#if x as |y|}}{{/if}}`:                                            "",
		`{{#if x as |y|}}a{{else}}{{y}}{{/if}}`:                              "",
		`{{#x as |y|}}a{{/x}}`:                                               "",
		`{{^each x as |y|}}{{/each}}`:                                        "",
		`{{#if x as |y|}}{{y}}{{/if}}`:                                       "block parameter y of {{#if}} has no value",
		`{{^each x as |y|}}{{#if t}}{{y.z}}{{/if}}{{/each}}`:                 "block parameter y of {{^each}} has no value",
		`{{#> }}x{{/}}`:                                                      "a partial block needs the partial's name",
		`{{#each x as |v|}}{{#*inline "i"}}{{v}}{{/inline}}{{> i}}{{/each}}`: "not seen in an inline partial",
		`{{#each x as |v|}}{{#*inline "i"}}{{#each v as |v|}}{{v}}{{/each}}{{/inline}}{{> i}}{{/each}}`: "not seen in an inline partial",
		`{{#each x as |v|}}{{#*inline "i"}}{{#each y as |v|}}{{v}}{{/each}}{{/inline}}{{/each}}`:        "",
		`{{#each x as |v|}}{{else}}{{#*inline "i"}}{{v}}{{/inline}}{{> i}}{{/each}}`:                    "",
		`{{#each x as |a b c|}}{{/each}}`:  "",
		`{{#each x as |a.b|}}{{/each}}`:    "bad block parameter name",
		`{{#each x as ||}}{{/each}}`:       "names no block parameter",
		`{{#with x as |y|}}{{y}}{{/with}}`: "",
	} {
		_, err := template.Parse(src, template.WithMode(template.Text))
		if msg == "" {
			require.NoError(t, err, src)
			continue
		}
		require.ErrorContains(t, err, msg, src)
	}
}

// A partial tag with ~ on one side is still standalone on the other, and
// trimming its left side drops the indentation, as in handlebars.js.
func TestWhitespaceControlAroundPartials(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"tilde on the right", "x\n  {{> p~}}\ny", "x\n  P\n  Q\ny"},
		{"tilde on the left", "x\n  {{~> p}}\ny", "xP\nQ\ny"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := template.Parse(tt.src, template.WithMode(template.Text),
				template.WithPartials(map[string]string{"p": "P\nQ\n"}))
			require.NoError(t, err)
			out, err := tmpl.Append(nil, map[string]any{})
			require.NoError(t, err)
			require.Equal(t, tt.want, string(out))
		})
	}
}

// The JSON analysis follows the part that a literal selects, with the
// same rules as Execute: {{#with 0}} renders its body.
func TestWithZeroLiteralInJSONMode(t *testing.T) {
	tmpl, err := template.Parse(`{"v": {{#with 0}}{{this}}{{else}}null{{/with}}, "s": "{{#x}}({{.}}){{/x}}"}`)
	require.NoError(t, err)
	out, err := tmpl.Append(nil, map[string]any{"x": ""})
	require.NoError(t, err)
	require.Equal(t, `{"v": 0, "s": "()"}`, string(out))
}

// Partial blocks and inline partials, with what handlebars.js 4.7.10
// renders for them.
func TestPartialBlocksAndInlinePartials(t *testing.T) {
	tests := []struct {
		name, src, data, partials, want string
	}{
		{"inline partial", `{{#*inline "x"}}X{{/inline}}{{> x}}`, `{}`, `{}`, `X`},
		{"inline partial used before its definition", `{{> x}}{{#*inline "x"}}X{{/inline}}`, `{}`, `{}`, `X`},
		{"inline partial named with single quotes", `{{#*inline 'x'}}X{{/inline}}{{> x}}`, `{}`, `{}`, `X`},
		{"inline partial in a nested block", `{{#*inline "x"}}X{{/inline}}{{#if 1}}{{> x}}{{/if}}`, `{}`, `{}`, `X`},
		{"inline partial scoped to its block", `{{#if 1}}{{#*inline "x"}}X{{/inline}}{{/if}}{{> x}}`, `{}`, `{"x":"P"}`, `P`},
		{"inline partial shadows a partial", `{{#*inline "x"}}X{{/inline}}{{> p}}`, `{}`, `{"p":"({{> x}})","x":"G"}`, `(X)`},
		{"last inline partial of a name wins", `{{#*inline "x"}}A{{/inline}}{{#*inline "x"}}B{{/inline}}{{> x}}`, `{}`, `{}`, `B`},
		{"inline partial over the current context", `{{#*inline "x"}}{{a}}{{/inline}}{{#with o}}{{> x}}{{/with}}`, `{"a":"root","o":{"a":"inner"}}`, `{}`, `inner`},
		{"inline partial with a context", `{{#*inline "x"}}{{a}}{{/inline}}{{> x o}}`, `{"a":"root","o":{"a":"inner"}}`, `{}`, `inner`},
		{"partial block", `{{#> layout}}body {{a}}{{/layout}}`, `{"a":1}`, `{"layout":"({{> @partial-block}})"}`, `(body 1)`},
		{"missing partial renders the block", `{{#> layout}}missing{{/layout}}`, `{}`, `{}`, `missing`},
		{"partial block with a context", `{{#> layout o}}body {{a}}{{/layout}}`, `{"a":1,"o":{"a":2}}`, `{"layout":"({{a}} {{> @partial-block}})"}`, `(2 body 2)`},
		{"partial block with a hash", `{{#> layout k=1}}B{{k}}{{/layout}}`, `{}`, `{"layout":"{{k}}{{> @partial-block}}"}`, `1B1`},
		{"partial block in a loop", `{{#> layout}}B{{this}}{{/layout}}`, `{"l":[1,2]}`, `{"layout":"{{#each l}}{{> @partial-block}}{{/each}}"}`, `B1B2`},
		{"inline partial in a partial block", `{{#> layout}}{{#*inline "c"}}C{{a}}{{/inline}}{{/layout}}`, `{"a":1}`, `{"layout":"({{> c}})"}`, `(C1)`},
		{"nested partial blocks", `{{#> outer}}O{{/outer}}`, `{}`, `{"outer":"({{#> inner}}I{{> @partial-block}}{{/inner}})","inner":"<{{> @partial-block}}>"}`, `(<IO>)`},
		{"inline partial called as a block", `{{#*inline "layout"}}({{> @partial-block}}){{/inline}}{{#> layout}}B{{/layout}}`, `{}`, `{}`, `(B)`},
		{"partial block through a partial", `{{#> layout}}B{{/layout}}`, `{}`, `{"layout":"{{> p}}","p":"<{{> @partial-block}}>"}`, `<B>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var data any
			require.NoError(t, json.Unmarshal([]byte(tt.data), &data))
			var partials map[string]string
			require.NoError(t, json.Unmarshal([]byte(tt.partials), &partials))
			for _, mode := range []template.Mode{template.Text, template.HTML} {
				tmpl, err := template.Parse(tt.src, template.WithMode(mode), template.WithPartials(partials))
				require.NoError(t, err)
				out, err := tmpl.Append(nil, data)
				require.NoError(t, err)
				require.Equal(t, tt.want, string(out), mode)
			}
			tmpl, err := template.Parse(`{"v": "`+tt.src+`"}`, template.WithPartials(partials))
			require.NoError(t, err)
			out, err := tmpl.Append(nil, data)
			require.NoError(t, err)
			require.Equal(t, `{"v": "`+tt.want+`"}`, string(out))
		})
	}
}

// Partials written in the template keep the whitespace rules: standalone
// tags take their lines, and a standalone inclusion indents every line.
func TestPartialBlocksWhitespace(t *testing.T) {
	tests := []struct{ name, src, data, partials, want string }{
		{"standalone inline partial", "{{#*inline \"x\"}}\nX\n{{/inline}}\n  {{> x}}\nend", `{}`, `{}`, "  X\nend"},
		{"indented inline partial with a block", "{{#*inline \"x\"}}\nA\n{{#if 1}}\nB{{v}}\n{{/if}}\n{{/inline}}\n<\n  {{> x}}\n>", `{"v":1}`, `{}`, "<\n  A\n  B1\n>"},
		{"indented partial block", "{{#> layout}}\n  body\n{{/layout}}\n", `{}`, `{"layout":"<\n  {{> @partial-block}}\n>\n"}`, "<\n    body\n>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var data any
			require.NoError(t, json.Unmarshal([]byte(tt.data), &data))
			var partials map[string]string
			require.NoError(t, json.Unmarshal([]byte(tt.partials), &partials))
			tmpl, err := template.Parse(tt.src, template.WithMode(template.Text), template.WithPartials(partials))
			require.NoError(t, err)
			out, err := tmpl.Append(nil, data)
			require.NoError(t, err)
			require.Equal(t, tt.want, string(out))
		})
	}
}

// An inline partial may include itself in the HTML and Text modes, as a
// partial given to WithPartials may; JSON mode refuses it at Parse.
func TestRecursiveInlinePartial(t *testing.T) {
	src := `{{#*inline "t"}}{{n}}({{#each c}}{{> t}}{{/each}}){{/inline}}{{> t}}`
	tmpl, err := template.Parse(src, template.WithMode(template.Text))
	require.NoError(t, err)
	out, err := tmpl.Append(nil, map[string]any{"n": "a", "c": []any{
		map[string]any{"n": "b", "c": []any{}},
		map[string]any{"n": "c", "c": []any{map[string]any{"n": "d", "c": []any{}}}},
	}})
	require.NoError(t, err)
	require.Equal(t, "a(b()c(d()))", string(out))

	_, err = template.Parse(`{"v": "` + src + `"}`)
	require.ErrorContains(t, err, `partial "t" includes itself`)
}

func TestPartialBlockErrors(t *testing.T) {
	tests := []struct{ src, msg string }{
		{`{{> @partial-block}}`, `1:1: {{> @partial-block}} outside a partial called as a block`},
		{`{{#> p}}x`, `1:1: unclosed partial block {{#>p}}: missing {{/p}}`},
		{`{{#> p}}x{{/q}}`, `1:10: closing tag {{/q}} does not match {{#> p}} opened at 1:1`},
		{`{{#> p}}x{{else}}y{{/p}}`, `1:10: {{else}} in a partial block`},
		{`{{#*inline "x"}}x`, `1:1: unclosed inline partial: missing {{/inline}}`},
		{`{{#*inline "x"}}x{{/y}}`, `1:18: closing tag {{/y}} does not match {{#*inline}} opened at 1:1`},
		{`{{#*inline x}}x{{/inline}}`, `1:1: an inline partial is named by a string`},
		{`{{#*foo "x"}}x{{/foo}}`, `1:1: unknown decorator "*foo"`},
		{`{{#*inline "x"}}{{> y}}{{/inline}}{{> x}}`, `unknown partial "y"`},
		{`{{#> (p)}}x{{/p}}`, `1:1: a partial block needs the partial's name`},
		{"{{#*inline \"x\"}}{{a b(}}{{/inline}}ok", `1:22: empty tag`},
		{"{{#> layout}}\n{{a b(}}{{/layout}}ok", `2:6: empty tag`},
	}
	for _, tt := range tests {
		for _, mode := range []template.Mode{template.Text, template.JSON} {
			_, err := template.Parse(tt.src, template.WithMode(mode))
			var perr *template.Error
			require.ErrorAs(t, err, &perr, tt.src)
			require.ErrorContains(t, err, tt.msg, tt.src)
		}
	}
}

// {{>*}} names no field; it used to parse and then panic in Execute.
func TestDynamicPartialWithoutAName(t *testing.T) {
	_, err := template.Parse(`{{#> p}}{{> *}}{{/p}}`, template.WithMode(template.Text))
	require.ErrorContains(t, err, "1:9: a dynamic partial name must be a field")
}

// A standalone partial indents every line it outputs, lines written by
// values included, as handlebars.js does; the Mustache dialect indents the
// partial's template lines only, as the mustache specification requires.
func TestStandalonePartialIndentsItsOutput(t *testing.T) {
	tests := []struct{ name, src, data, partials, want string }{
		{"spec template", "\\\n {{>partial}}\n/\n", `{"content":"<\n->"}`, `{"partial":"|\n{{{content}}}\n|\n"}`, "\\\n |\n <\n ->\n |\n/\n"},
		{"without a final line break", ">\n  {{> p}}\n<", `{"x":"a\nb"}`, `{"p":"[{{x}}]"}`, ">\n  [a\n  b]<"},
		{"value ending with a line break", "  {{> p}}\n", `{"x":"a\nb\n"}`, `{"p":"{{x}}"}`, "  a\n  b\n"},
		{"empty line", "  {{> p}}\n", `{"x":"a\n\nb"}`, `{"p":"{{x}}\n"}`, "  a\n  \n  b\n"},
		{"nested", "  {{> outer}}\n", `{"x":"a\nb"}`, `{"outer":"<\n  {{> p}}\n>\n","p":"{{x}}\n"}`, "  <\n    a\n    b\n  >\n"},
		{"partial block", "  {{#> layout}}\n{{x}}\n{{/layout}}\n", `{"x":"a\nb"}`, `{"layout":"<\n  {{> @partial-block}}\n>\n"}`, "<\n  a\n  b\n>\n"},
		{"inline partial", "{{#*inline \"p\"}}{{x}}{{/inline}}\n  {{> p}}\n", `{"x":"a\nb"}`, `{}`, "\n  a\n  b"},
		{"empty output", "  {{> p}}\n", `{"x":""}`, `{"p":"{{x}}"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var data any
			require.NoError(t, json.Unmarshal([]byte(tt.data), &data))
			var partials map[string]string
			require.NoError(t, json.Unmarshal([]byte(tt.partials), &partials))
			for _, mode := range []template.Mode{template.Text, template.HTML} {
				tmpl, err := template.Parse(tt.src, template.WithMode(mode), template.WithPartials(partials))
				require.NoError(t, err)
				out, err := tmpl.Append(nil, data)
				require.NoError(t, err)
				require.Equal(t, tt.want, string(out), mode)
			}
		})
	}
	tmpl, err := template.Parse("\\\n {{>partial}}\n/\n", template.WithMode(template.Text), template.WithDialect(template.Mustache),
		template.WithPartials(map[string]string{"partial": "|\n{{{content}}}\n|\n"}))
	require.NoError(t, err)
	out, err := tmpl.Append(nil, map[string]any{"content": "<\n->"})
	require.NoError(t, err)
	require.Equal(t, "\\\n |\n <\n->\n |\n/\n", string(out))

	_, err = template.Parse("x", template.WithDialect(template.Dialect(9)))
	require.ErrorContains(t, err, "unknown dialect 9")
}

// Indenting the output of a standalone partial moves bytes in the
// caller's buffer and allocates nothing once the buffer is large enough.
func TestIndentedPartialDoesNotAllocate(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation counts are checked in the full run without the race detector")
	}
	doc, err := jsondoc.Parse([]byte(`{"x": "a\nb\nc"}`))
	require.NoError(t, err)
	tmpl := template.MustParse("<\n  {{> outer}}\n>", template.WithMode(template.Text),
		template.WithPartials(map[string]string{"outer": "(\n  {{> p}}\n)\n", "p": "{{x}}\n"}))
	buf, err := tmpl.Append(nil, doc)
	require.NoError(t, err)
	require.Equal(t, "<\n  (\n    a\n    b\n    c\n  )\n>", string(buf))
	allocs := testing.AllocsPerRun(100, func() {
		buf, _ = tmpl.Append(buf[:0], doc)
	})
	require.Zero(t, allocs)
}

// In JSON mode a partial block and an inline partial are checked where
// their text ends up, like any partial.
func TestPartialBlocksInJSONMode(t *testing.T) {
	partials := map[string]string{"list": `[{{> @partial-block}}]`, "quoted": `"{{> @partial-block}}`}
	tmpl, err := template.Parse(`{"a": {{#> list}}{{#each xs}}{{json .}}{{#unless @last}},{{/unless}}{{/each}}{{/list}}, `+
		`"b": "{{#*inline "who"}}{{name}} <{{mail}}>{{/inline}}{{> who user}}"}`, template.WithPartials(partials))
	require.NoError(t, err)
	out, err := tmpl.Append(nil, map[string]any{
		"xs":   []any{`"],"zz":[`, 1, map[string]any{"k": "\u2028"}},
		"user": map[string]any{"name": `A"n\n`, "mail": `x", "zz": "`},
	})
	require.NoError(t, err)
	require.True(t, json.Valid(out), string(out))
	require.Equal(t, `{"a": ["\"],\"zz\":[",1,{"k":"\u2028"}], "b": "A\"n\\n <x\", \"zz\": \">"}`, string(out))

	// The content lands inside a string the layout opens and never closes.
	_, err = template.Parse(`{"a": {{#> quoted}}x{{/quoted}}}`, template.WithPartials(partials))
	var perr *template.Error
	require.ErrorAs(t, err, &perr)
}

// TestIncludeZeroOnIndex: as in Handlebars, includeZero=true makes @index 0
// true, for if and unless alike, and the JSON analysis knows it.
func TestIncludeZeroOnIndex(t *testing.T) {
	data := map[string]any{"xs": []any{"a", "b"}}
	text, err := template.Parse(`{{#each xs}}{{#if @index includeZero=true}}<{{@index}}>{{/if}}{{#unless @index includeZero=true}}-{{else}}+{{/unless}}{{/each}}`, template.WithMode(template.Text))
	require.NoError(t, err)
	out, err := text.Append(nil, data)
	require.NoError(t, err)
	require.Equal(t, "<0>+<1>+", string(out))
	body, err := template.Parse(`[{{#each xs}}{{#if @index includeZero=true}}"{{.}}"{{#unless @last}},{{/unless}}{{/if}}{{/each}}]`)
	require.NoError(t, err)
	out, err = body.Append(nil, data)
	require.NoError(t, err)
	require.JSONEq(t, `["a", "b"]`, string(out))
}

// Handlebars looks a name up in the current context only; the Mustache
// dialect keeps the specification's walk through the enclosing contexts.
// Both the parsed documents of the webhook package and plain Go values are
// read alike.
func TestLookupFollowsDialect(t *testing.T) {
	const data = `{"event_type": "RequestApproved", "flag": true, "name": "root", "p": "x",
		"data": {"id": "req-1", "approvals": [{"name": "a"}, {"name": "b"}], "access_groups": [{"id": "g1"}, {}]}}`
	tests := []struct {
		name, src, handlebars, mustache string
	}{
		{"each", `{{#each data.approvals}}[{{event_type}}]{{/each}}`, `[][]`, `[RequestApproved][RequestApproved]`},
		{"member missing from an item", `{{#data}}{{#access_groups}}[{{id}}]{{/access_groups}}{{/data}}`, `[g1][]`, `[g1][req-1]`},
		{"with", `{{#with data}}{{name}}|{{../name}}|{{@root.name}}{{/with}}`, `|root|root`, `root|root|root`},
		{"condition", `{{#each data.approvals}}{{#if event_type}}1{{else}}0{{/if}}{{/each}}`, `00`, `11`},
		{"length", `{{#with data}}{{data.approvals.length}}{{/with}}`, ``, `2`},
		{"helpers and block parameters", `{{#each data.approvals as |a|}}{{#with a}}{{upper a.name}}{{/with}}{{/each}}`, `AB`, `AB`},
		{"section over true", `{{#flag}}{{name}}{{/flag}}`, `root`, `root`},
		{"partial named by a value", `{{> (lookup this "p") data k=1}}`, `req-1`, `req-1`},
	}
	doc, err := jsondoc.Parse([]byte(data))
	require.NoError(t, err)
	var plain any
	require.NoError(t, json.Unmarshal([]byte(data), &plain))
	for _, tt := range tests {
		for _, d := range []struct {
			dialect template.Dialect
			want    string
		}{{template.Handlebars, tt.handlebars}, {template.Mustache, tt.mustache}} {
			tmpl, err := template.Parse(tt.src, template.WithMode(template.Text), template.WithDialect(d.dialect),
				template.WithPartials(map[string]string{"x": "{{id}}"}))
			require.NoError(t, err, tt.name)
			for _, v := range []any{doc, plain} {
				out, err := tmpl.Append(nil, v)
				require.NoError(t, err, tt.name)
				require.Equal(t, d.want, string(out), "%s, dialect %d, %T", tt.name, d.dialect, v)
			}
		}
	}
	// In JSON mode too, where the fast path reads parsed documents.
	tmpl, err := template.Parse(`[{{#each data.access_groups}}"{{id}}",{{/each}}"{{data.id}}"]`)
	require.NoError(t, err)
	out, err := tmpl.Append(nil, doc)
	require.NoError(t, err)
	require.Equal(t, `["g1","","req-1"]`, string(out))
}

// {{#each}} over an object goes through its members in the order
// JavaScript enumerates them, which handlebars.js follows: keys that are
// array indexes first, in increasing order, then the others (in document
// order, or sorted for a Go map, which has none).
func TestEachEnumeratesObjectsAsJavaScript(t *testing.T) {
	const src = `{{#each o}}{{@key}}{{#if @first}}^{{/if}}{{#if @last}}${{/if}}{{@index}} {{/each}}`
	tm, err := template.Parse(src, template.WithMode(template.Text))
	require.NoError(t, err)
	doc, err := jsondoc.Parse([]byte(`{"o": {"b": 1, "10": 2, "2": 3, "01": 4, "a": 5, "4294967295": 6, "4294967294": 7}}`))
	require.NoError(t, err)
	out, err := tm.Append(nil, doc)
	require.NoError(t, err)
	require.Equal(t, "2^0 101 42949672942 b3 014 a5 4294967295$6 ", string(out))

	m := map[string]any{"o": map[string]any{"b": 1, "10": 2, "2": 3, "01": 4, "a": 5}}
	out, err = tm.Append(nil, m)
	require.NoError(t, err)
	require.Equal(t, "2^0 101 012 a3 b$4 ", string(out))
}

// An Execute error inside a partial block's content, which JSON mode
// inlines between marks, ends the rendering with that error.
func TestErrorInsidePartialBlockContent(t *testing.T) {
	partials := template.WithPartials(map[string]string{"lay": "({{a}}{{> @partial-block}})"})
	for _, src := range []string{
		`{"v": "{{#> lay a=1}}{{#unless (x)}}y{{/unless}}{{/lay}}"}`,
		`{"v": "{{#> lay}}{{#> lay a=1}}{{#if (x)}}y{{/if}}{{/lay}}{{/lay}}"}`,
	} {
		tm, err := template.Parse(src, partials)
		require.NoError(t, err, src)
		_, err = tm.Append(nil, map[string]any{"x": "not a function"})
		var e *template.Error
		require.ErrorAs(t, err, &e, src)
		require.Equal(t, 1, e.Line)
	}
}

// In JSON mode a backslash in a string literal escapes the character
// after it, as the presets' replace pairs rely on ("\\" is one
// backslash); the HTML and Text modes read literals as handlebars.js does,
// where only a backslash before the literal's own quote escapes.
func TestStringLiteralBackslashes(t *testing.T) {
	data := map[string]any{"s": `a\b*`}
	tm, err := template.Parse(`{"t": "{{replace s "\\" "\\\\" "*" "\\*"}}|{{default x 'it\'s'}}|{{default x '}}'}}"}`)
	require.NoError(t, err)
	out, err := tm.Append(nil, data)
	require.NoError(t, err)
	require.Equal(t, `{"t": "a\\\\b\\*|it's|}}"}`, string(out))

	tm, err = template.Parse(`{{replace s "*" "\*"}}|{{default x 'a\\b'}}|{{default x "say \"hi\""}}|{{default x "}}"}}`, template.WithMode(template.Text))
	require.NoError(t, err)
	out, err = tm.Append(nil, data)
	require.NoError(t, err)
	require.Equal(t, `a\b\*|a\\b|say "hi"|}}`, string(out))
}

// A data variable that no helper sets is missing, as in handlebars.js,
// and a Parse error with WithStrict, where it is most likely a typo.
func TestUnknownDataVariable(t *testing.T) {
	tm, err := template.Parse(`{{@indx}}|{{#if @foo}}y{{else}}n{{/if}}`, template.WithMode(template.Text))
	require.NoError(t, err)
	out, err := tm.Append(nil, map[string]any{})
	require.NoError(t, err)
	require.Equal(t, "|n", string(out))

	_, err = template.Parse(`{"a": "{{#each xs}}{{@indx}}{{/each}}"}`, template.WithStrict())
	var e *template.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, 1, e.Line)
	require.Equal(t, 22, e.Column) // the @
	require.ErrorContains(t, err, `unknown data variable "@indx"`)
}

// A section gives block parameters as each does over a list. Over another
// value handlebars.js calls the block without them: over true it fails
// where one is used, and otherwise gives the parameters of the parts
// around the tag, one list for each (none outside every block), which
// Outhook follows but in a partial block's content or an inline partial,
// where it fails Execute with the position rather than write something
// else.
func TestSectionBlockParameters(t *testing.T) {
	data := map[string]any{"xs": []any{"a", "b"}, "o": map[string]any{"k": 1}, "t": true, "ys": []any{map[string]any{"k": 2}}}
	for _, tc := range []struct{ src, want, err string }{
		{`{{#xs as |v i|}}{{i}}={{v}};{{/xs}}`, "0=a;1=b;", ""},
		{`{{#o as |v i|}}[{{v}}{{i}}{{k}}]{{/o}}`, "[1]", ""},
		{`{{#t as |v|}}[{{v}}]{{/t}}`, "", "1:17: block parameter v has no value where its section's value is true"},
		{`{{#t as |v i|}}[{{i}}]{{/t}}`, "", "1:19: block parameter i has no value where its section's value is true"},
		{`{{#ys as |y|}}{{#y as |z|}}{{z}}{{/y}}{{/ys}}`, "[object Object],0", ""},
		{`{{#> p}}{{#o as |z|}}{{z}}{{/o}}{{/p}}`, "", "1:24: block parameter z has no value where its section's value is not a list, inside a partial block's content"},
		{`{{#t as |v|}}[{{k}}]{{/t}}`, "[]", ""},
	} {
		tm, err := template.Parse(tc.src, template.WithMode(template.Text))
		require.NoError(t, err, tc.src)
		out, err := tm.Append(nil, data)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.src)
			continue
		}
		require.NoError(t, err, tc.src)
		require.Equal(t, tc.want, string(out), tc.src)
	}
}
