package template_test

import (
	"encoding/json"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/template"
)

// hostile is text that breaks JSON, HTML and UTF-8 cutting if handled
// carelessly.
const hostile = "\"}], \"x\": 1, \\u0000 </script>\u2028é😀"

func TestLimitHelpers(t *testing.T) {
	long := strings.Repeat("é", 3001)
	cases := []struct {
		name, src string
		data      map[string]any
		want      string
	}{
		{"truncate keeps short text", `{"t": "{{truncate s 5}}"}`, map[string]any{"s": "héllo"}, `{"t": "héllo"}`},
		{"truncate counts characters and adds an ellipsis", `{"t": "{{truncate s 4}}"}`, map[string]any{"s": "héllo"}, `{"t": "hél…"}`},
		{"truncate with a custom ellipsis", `{"t": "{{truncate s 6 "..."}}"}`, map[string]any{"s": "abcdefgh"}, `{"t": "abc..."}`},
		{"truncate shorter than the ellipsis", `{"t": "{{truncate s 2 "..."}}"}`, map[string]any{"s": "abcdefgh"}, `{"t": "ab"}`},
		{"truncate to zero", `{"t": "{{truncate s 0}}"}`, map[string]any{"s": "abc"}, `{"t": ""}`},
		{"truncate in value position writes a string", `{"t": {{truncate s 3}}}`, map[string]any{"s": "abcdef"}, `{"t": "ab…"}`},
		{"truncate a number's text", `{"t": "{{truncate n 3}}"}`, map[string]any{"n": json.Number("123456")}, `{"t": "12…"}`},
		{"truncate a missing field", `{"t": "{{truncate nope 3}}"}`, map[string]any{}, `{"t": ""}`},
		{"truncate to Slack's limit", `{"t": "{{count (truncate s 3000)}}"}`, map[string]any{"s": long}, `{"t": "3000"}`},
		{"truncateBytes never splits a character", `{"t": "{{truncateBytes s 7}}"}`, map[string]any{"s": "a😀😀"}, `{"t": "a…"}`},
		{"truncateBytes counts the ellipsis' bytes", `{"t": "{{truncateBytes s 5}}"}`, map[string]any{"s": "abcdef"}, `{"t": "ab…"}`},
		{"count of a list", `{"n": {{count xs}}}`, map[string]any{"xs": []any{1, 2, 3}}, `{"n": 3}`},
		{"count of an object", `{"n": {{count o}}}`, map[string]any{"o": map[string]any{"a": 1}}, `{"n": 1}`},
		{"count of a string in characters", `{"n": {{count s}}}`, map[string]any{"s": "é😀"}, `{"n": 2}`},
		{"count of a missing field", `{"n": {{count nope}}}`, map[string]any{}, `{"n": 0}`},
		{"count in if", `{{#if (count xs)}}{"n": 1}{{else}}{"n": 0}{{/if}}`, map[string]any{"xs": []any{}}, `{"n": 0}`},
		{"millis from fractional seconds", `{"ms": {{millis t}}}`, map[string]any{"t": json.Number("1773134100.482913204")}, `{"ms": 1773134100482}`},
		{"millis from whole seconds", `{"ms": {{millis t}}}`, map[string]any{"t": json.Number("1773134100")}, `{"ms": 1773134100000}`},
		{"millis from a string", `{"ms": {{millis t}}}`, map[string]any{"t": "1.5"}, `{"ms": 1500}`},
		{"millis of null", `{"ms": {{millis t}}}`, map[string]any{"t": nil}, `{"ms": null}`},
		{"flatten a field of each element", `[{{#each (flatten g "u")}}{{json .}}{{#unless @last}},{{/unless}}{{/each}}]`,
			map[string]any{"g": []any{map[string]any{"u": []any{1, 2}}, map[string]any{"u": []any{}}, map[string]any{}, map[string]any{"u": []any{3}}}}, `[1,2,3]`},
		{"flatten a dotted path", `[{{#each (flatten g "a.u")}}"{{.}}"{{#unless @last}},{{/unless}}{{/each}}]`,
			map[string]any{"g": []any{map[string]any{"a": map[string]any{"u": []any{"x"}}}, map[string]any{"a": map[string]any{"u": "y"}}}}, `["x","y"]`},
		{"flatten lists of lists", `[{{#each (flatten g)}}{{.}}{{#unless @last}},{{/unless}}{{/each}}]`,
			map[string]any{"g": []any{[]any{1}, []any{}, 2}}, `[1,2]`},
		{"flatten of no list", `[{{#each (flatten g "u")}}{{.}}{{#unless @last}},{{/unless}}{{/each}}]`, map[string]any{"g": "x"}, `[]`},
		{"helpers on hostile text", `{"t": "{{truncate s 100}}", "v": {{truncate s 100}}, "m": "{\"in\": \"{{truncate s 100}}\"}"}`,
			map[string]any{"s": hostile}, ""},
		{"flatten of hostile items", `[{{#each (flatten g "u")}}{{.}}{{#unless @last}},{{/unless}}{{/each}}]`,
			map[string]any{"g": []any{map[string]any{"u": []any{hostile, map[string]any{hostile: hostile}}}, map[string]any{"u": hostile}}}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := template.Parse(tc.src)
			require.NoError(t, err)
			out, err := tmpl.Append(nil, tc.data)
			require.NoError(t, err)
			require.True(t, json.Valid(out), "%s", out)
			require.True(t, utf8.Valid(out), "%q", out)
			if tc.want != "" {
				require.Equal(t, tc.want, string(out))
			}
		})
	}
}

func TestTruncateHostileRoundTrip(t *testing.T) {
	tmpl, err := template.Parse(`{"t": "{{truncate s 9}}"}`)
	require.NoError(t, err)
	out, err := tmpl.Append(nil, map[string]any{"s": hostile})
	require.NoError(t, err)
	var got struct{ T string }
	require.NoError(t, json.Unmarshal(out, &got))
	require.Equal(t, []rune(hostile)[:8], []rune(got.T)[:8])
	require.Equal(t, "…", string([]rune(got.T)[8:]))
}

func TestHelperArgumentErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`{"t": "{{truncate s -1}}"}`, "whole number"},
		{`{"t": "{{truncate s "x"}}"}`, "whole number"},
		{`{"t": "{{truncate s 1.5}}"}`, "whole number"},
		{`{"t": {{millis s}}}`, "not a number of seconds"},
		{`[{{#each (flatten g 1)}}{{.}}{{#unless @last}},{{/unless}}{{/each}}]`, "path"},
	} {
		tmpl, err := template.Parse(tc.src)
		require.NoError(t, err, tc.src)
		_, err = tmpl.Append(nil, map[string]any{"s": map[string]any{}, "g": []any{}})
		require.ErrorContains(t, err, tc.want, tc.src)
	}
}

func TestUnknownHelperSuggests(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`{"t": "{{truncat s 10}}"}`, `unknown helper "truncat"; did you mean truncate?`},
		{`{"t": "{{uper s}}"}`, `; did you mean upper?`},
		{`{"n": {{cont xs}}}`, `; did you mean count?`},
		{`[{{#eachh xs}}1{{/eachh}}]`, `unknown helper "eachh"; did you mean each?`},
		{`[{{#unles x}}1{{/unles}}]`, `; did you mean unless?`},
		{`{"n": {{qqqqqqqq xs 1}}}`, `unknown helper "qqqqqqqq" (`},
	} {
		_, err := template.Parse(tc.src)
		var te *template.Error
		require.ErrorAs(t, err, &te, tc.src)
		if strings.HasSuffix(tc.want, "(") {
			require.Contains(t, err.Error(), strings.TrimSuffix(tc.want, " ("))
			require.NotContains(t, err.Error(), "did you mean")
			continue
		}
		require.ErrorContains(t, err, tc.want)
	}
	_, err := template.Parse(`{"t": "{{shout s}}"}`, template.WithHelpers(map[string]template.Helper{"shout": func(a []any) (any, error) { return a, nil }}))
	require.NoError(t, err)
	_, err = template.Parse(`{"t": "{{shoot s}}"}`, template.WithHelpers(map[string]template.Helper{"shout": func(a []any) (any, error) { return a, nil }}))
	require.ErrorContains(t, err, "did you mean shout?")
}

// TestTruncateBytesLimitsInvalidUTF8: a byte that is not UTF-8 reaches the
// target as U+FFFD, three bytes, so truncateBytes counts it so: the text
// the target decodes is never longer than the limit.
func TestTruncateBytesLimitsInvalidUTF8(t *testing.T) {
	tmpl, err := template.Parse(`{"t": "{{truncateBytes s n}}", "u": "{{truncateBytes s n e}}", "c": "{{truncate s n}}"}`)
	require.NoError(t, err)
	for _, s := range []string{"\xff\xff", "a\xffb\xfe", "\xe2\x80", "é\xff😀\xc3"} {
		for n := range 8 {
			out, err := tmpl.Append(nil, map[string]any{"s": s, "n": n, "e": "\xff"})
			require.NoError(t, err)
			var got struct{ T, U, C string }
			require.NoError(t, json.Unmarshal(out, &got), "%s", out)
			require.LessOrEqual(t, len(got.T), n, "truncateBytes %q %d rendered %q", s, n, got.T)
			require.LessOrEqual(t, len(got.U), n, "truncateBytes %q %d with an ellipsis that is not UTF-8 rendered %q", s, n, got.U)
			require.LessOrEqual(t, utf8.RuneCountInString(got.C), n, "truncate %q %d rendered %q", s, n, got.C)
		}
	}
}

func TestReplaceAndEscapedTruncate(t *testing.T) {
	cases := []struct {
		name, src string
		data      map[string]any
		want      string
	}{
		{"replace escapes Slack's control characters once", `{"t": "{{replace s "&" "&amp;" "<" "&lt;" ">" "&gt;"}}"}`,
			map[string]any{"s": "<!channel> & <@U1>"}, `{"t": "&lt;!channel&gt; &amp; &lt;@U1&gt;"}`},
		{"replace a missing field", `{"t": "{{replace nope "a" "b"}}"}`, map[string]any{}, `{"t": ""}`},
		{"replace with a backslash", `{"t": "{{replace s "[" "\\["}}"}`, map[string]any{"s": "[x]"}, `{"t": "\\[x]"}`},
		{"truncate escaped counts escapes", `{"t": "{{truncate s 7 ellipsis="…" escaped=true}}"}`, map[string]any{"s": `ab"cdef`}, `{"t": "ab\"cd…"}`},
		{"truncate escaped alone keeps the ellipsis", `{"t": "{{truncate s 7 escaped=true}}"}`, map[string]any{"s": `ab"cdef`}, `{"t": "ab\"cd…"}`},
		{"truncateBytes escaped alone", `{"t": "{{truncateBytes s 5 escaped=true}}"}`, map[string]any{"s": "\u00e9\u00e9\u00e9"}, `{"t": "é…"}`},
		{"truncate escaped counts \\u escapes", `{"m": "{\"t\": \"{{truncate s 8 \"…\" true}}\"}"}`, map[string]any{"s": "a\x01bcdef"}, `{"m": "{\"t\": \"a\\u0001…\"}"}`},
		{"truncateBytes escaped", `{"t": "{{truncateBytes s 6 "" true}}"}`, map[string]any{"s": "é\"\"x"}, `{"t": "é\"\""}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := template.Parse(tc.src)
			require.NoError(t, err)
			out, err := tmpl.Append(nil, tc.data)
			require.NoError(t, err)
			require.Equal(t, tc.want, string(out))
		})
	}
	_, err := template.Parse(`{"t": "{{replace s "a"}}"}`)
	require.ErrorContains(t, err, "at least 3")
	tmpl, err := template.Parse(`{"t": "{{replace s "a" "b" "c"}}"}`)
	require.NoError(t, err)
	_, err = tmpl.Append(nil, map[string]any{"s": "x"})
	require.ErrorContains(t, err, "pairs")
	// A replacement that grows text is held to the render limit.
	tmpl, err = template.Parse(`{"t": "{{replace s "a" "0123456789"}}"}`, template.WithRenderLimit(1000))
	require.NoError(t, err)
	_, err = tmpl.Append(nil, map[string]any{"s": strings.Repeat("a", 500)})
	require.ErrorIs(t, err, template.ErrRenderLimit)
}

// TestReplaceCacheIsBounded replaces with pairs taken from the data, each
// different: the cache of replacers stops growing at its bound.
func TestReplaceCacheIsBounded(t *testing.T) {
	tmpl, err := template.Parse(`{"t": "{{replace s old "y"}}"}`)
	require.NoError(t, err)
	for i := range 1000 {
		old := strings.Repeat("x", i+1)
		out, err := tmpl.Append(nil, map[string]any{"s": "a" + old, "old": old})
		require.NoError(t, err)
		require.Equal(t, `{"t": "ay"}`, string(out))
	}
	require.LessOrEqual(t, template.Replacers(), int32(256))
}

// TestReplaceCacheIsBoundedUnderConcurrency renders pairs from the data,
// each different, from several goroutines at once: the cache still stops
// at its bound.
func TestReplaceCacheIsBoundedUnderConcurrency(t *testing.T) {
	tmpl, err := template.Parse(`{"t": "{{replace s old "y" "z" "w"}}"}`)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				old := strconv.Itoa(g) + "-" + strconv.Itoa(i)
				out, err := tmpl.Append(nil, map[string]any{"s": "a" + old, "old": old})
				assert.NoError(t, err)
				assert.Equal(t, `{"t": "ay"}`, string(out))
			}
		}()
	}
	wg.Wait()
	require.LessOrEqual(t, template.Replacers(), int32(256))
}

// TestReplaceCacheKeepsPairsApart replaces with pairs from the data whose
// strings hold NUL: pairs that join to the same text are different pairs,
// and each gets its own replacer.
func TestReplaceCacheKeepsPairsApart(t *testing.T) {
	tmpl, err := template.Parse(`{"t": "{{replace s old new}}"}`)
	require.NoError(t, err)
	for _, tc := range []struct{ s, old, new, want string }{
		{"a\x00b", "a\x00b", "1", `{"t": "1"}`},
		{"a", "a", "b\x001", `{"t": "b\u00001"}`},
	} {
		out, err := tmpl.Append(nil, map[string]any{"s": tc.s, "old": tc.old, "new": tc.new})
		require.NoError(t, err)
		require.Equal(t, tc.want, string(out), "replace %q %q %q", tc.s, tc.old, tc.new)
	}
}

// TestReplaceCacheSkipsHugePairs replaces with a megabyte-long old string
// from the data: the cache does not keep it, so that 256 of them cannot
// hold hundreds of megabytes for the life of the process.
func TestReplaceCacheSkipsHugePairs(t *testing.T) {
	tmpl, err := template.Parse(`{"t": "{{replace s old "y"}}"}`)
	require.NoError(t, err)
	old := strings.Repeat("x", 1<<20)
	out, err := tmpl.Append(nil, map[string]any{"s": "a" + old, "old": old})
	require.NoError(t, err)
	require.Equal(t, `{"t": "ay"}`, string(out))
	require.False(t, template.ReplacerCached(old, "y"), "a megabyte of pairs is cached")

	// A template's own pairs are short, and cached.
	tmpl, err = template.Parse(`{"t": "{{replace s "q" "r" "s" "t"}}"}`)
	require.NoError(t, err)
	_, err = tmpl.Append(nil, map[string]any{"s": "q"})
	require.NoError(t, err)
	if template.Replacers() < 256 {
		require.True(t, template.ReplacerCached("q", "r", "s", "t"))
	}

	// Two old strings of a megabyte over two megabytes of text.
	tmpl, err = template.Parse(`{"t": "{{replace s old "y" old2 "z"}}"}`)
	require.NoError(t, err)
	out, err = tmpl.Append(nil, map[string]any{"s": old + "a" + old, "old": old, "old2": "x" + old})
	require.NoError(t, err)
	require.Equal(t, `{"t": "yay"}`, string(out))
}

// TestReplaceLongOldStringsAsReplacer checks the replacement of old
// strings too long for strings.Replacer against strings.Replacer itself:
// the leftmost match first, the earlier pair when two match at one place.
func TestReplaceLongOldStringsAsReplacer(t *testing.T) {
	long := strings.Repeat("ab", 40)
	tmpl, err := template.Parse(`{{replace s o1 n1 o2 n2 o3 n3}}`, template.WithMode(template.Text))
	require.NoError(t, err)
	for _, tc := range [][7]string{
		{long + long + "a" + long, long, "1", long + "a", "2", "b", "3"},
		{"x" + long + "b" + long, long + "b", "1", long, "2", "ab", "3"},
		{"ababab" + long + "abab", "ba", "1", long, "2", "abab", "3"},
		{long[:70] + "ab" + long, long, "", long[1:], "<", "a", ">"},
	} {
		out, err := tmpl.Append(nil, map[string]any{"s": tc[0], "o1": tc[1], "n1": tc[2], "o2": tc[3], "n2": tc[4], "o3": tc[5], "n3": tc[6]})
		require.NoError(t, err)
		require.Equal(t, strings.NewReplacer(tc[1:]...).Replace(tc[0]), string(out), "%q", tc)
	}
}

// TestReplaceStopsAtTheRenderLimit replaces each byte of 100 KB with a
// kilobyte under a render limit of 10,000: replace fails with
// ErrRenderLimit before it has written much more than the limit, not after
// making the 100 MB result.
func TestReplaceStopsAtTheRenderLimit(t *testing.T) {
	// Single bytes and longer old strings take different replacers.
	for _, olds := range [][2]string{{"a", "b"}, {"ab", "ba"}} {
		tmpl, err := template.Parse(`{"t": "{{replace s old1 new old2 new}}"}`, template.WithRenderLimit(10_000))
		require.NoError(t, err)
		data := map[string]any{"s": strings.Repeat("ab", 50_000), "old1": olds[0], "old2": olds[1],
			"new": strings.Repeat("0123456789", 100)}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err = tmpl.Append(nil, data)
		runtime.ReadMemStats(&after)
		require.ErrorIs(t, err, template.ErrRenderLimit, "old strings %q", olds)
		require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(10<<20), "bytes allocated")
	}
}
