package jsondoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/testkit/sharedtest"
)

// decodeStd decodes with encoding/json, numbers as json.Number, the reference
// every Parse result is held against.
func decodeStd(t testing.TB, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var x any
	require.NoError(t, d.Decode(&x))
	return x
}

var validInputs = []string{
	`null`, `true`, `false`, `0`, `-0`, `1.5e-3`, `-12.340E+10`, `1696263265.851898000`,
	`""`, `"plain"`, `"quote \" backslash \\ slash \/ nl \n tab \t"`,
	`"\u00e9\u2028\ud83d\ude00"`, `"lone \ud800 surrogate"`, `"Lucía Fernández"`,
	`[]`, `{}`, ` [ 1 , [2, [3]] , {"a": {"b": []}} ] `,
	`{"a":1,"a":2}`,
	`{"event_type":"RequestCreated","event_time":1773134100.482913204,"data":{"x":[null,true,{"y":"z"}]}}`,
}

func TestParseMatchesEncodingJSON(t *testing.T) {
	for _, in := range validInputs {
		t.Run(in, func(t *testing.T) {
			v, err := Parse([]byte(in))
			require.NoError(t, err)
			require.Equal(t, decodeStd(t, []byte(in)), v.Any())
			// What AppendJSON writes decodes back to the same value.
			require.Equal(t, decodeStd(t, []byte(in)), decodeStd(t, v.AppendJSON(nil)))
		})
	}
}

func TestParseFixturesKeepDigits(t *testing.T) {
	for _, f := range sharedtest.Files(t, "fixtures/apono", "*.json") {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		v, err := Parse(b)
		require.NoError(t, err)
		require.Equal(t, decodeStd(t, b), v.Any(), f)
		var raw struct {
			EventTime json.RawMessage `json:"event_time"`
		}
		require.NoError(t, json.Unmarshal(b, &raw))
		require.Equal(t, string(raw.EventTime), v.Get("event_time").Text())
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in        string
		line, col int
		msg       string
	}{
		{``, 1, 1, "unexpected end of input, expected a value"},
		{`{"a":1,}`, 1, 8, "expected a string for an object key"},
		{"{\n  \"a\" 1}", 2, 7, "expected ':'"},
		{`[1 2]`, 1, 4, "expected ',' or ']'"},
		{`"abc`, 1, 5, "unexpected end of input in string"},
		{"\"a\nb\"", 1, 3, "invalid control character"},
		{`01`, 1, 2, "after the top-level value"},
		{`1.`, 1, 3, "expected a digit after '.'"},
		{`-`, 1, 2, "expected a digit"},
		{`1e+`, 1, 4, "expected a digit in the exponent"},
		{`tru`, 1, 1, `expected "true"`},
		{`"\x"`, 1, 2, `invalid escape`},
		{`"\u12"`, 1, 2, `invalid \u escape`},
		{`{"a":1} x`, 1, 9, "after the top-level value"},
		{`[` + string(bytes.Repeat([]byte{'['}, MaxDepth)), 1, MaxDepth + 1, "nesting deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			require.Equal(t, tt.line, se.Line, "line")
			require.Equal(t, tt.col, se.Column, "column")
			require.Contains(t, se.Msg, tt.msg)
			require.Error(t, json.Unmarshal([]byte(tt.in), new(any)), "encoding/json must reject it too")
		})
	}
}

func TestInvalidUTF8BecomesReplacement(t *testing.T) {
	in := []byte("[\"a\xffb\", \"\\n\xfe\"]")
	v, err := Parse(in)
	require.NoError(t, err)
	require.Equal(t, decodeStd(t, in), v.Any())
}

func TestAccessorsAgreeAcrossRepresentations(t *testing.T) {
	src := `{"s":"x\"y","n":1773134100.482913204,"i":42,"b":true,"z":null,"a":["p",{"k":"v"}],"o":{"m":"n"}}`
	tree, err := Parse([]byte(src))
	require.NoError(t, err)
	plain := decodeStd(t, []byte(src))
	var floats any
	require.NoError(t, json.Unmarshal([]byte(src), &floats))

	for name, doc := range map[string]any{"tree": tree, "json.Number": plain, "float64": floats} {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, Object, KindOf(doc))
			require.Equal(t, 7, Len(doc))
			s, _ := Field(doc, "s")
			str, ok := Str(s)
			require.True(t, ok)
			require.Equal(t, `x"y`, str)
			require.Equal(t, `x"y`, string(AppendText(nil, s)))
			js, err := AppendJSON(nil, s)
			require.NoError(t, err)
			require.Equal(t, `"x\"y"`, string(js))

			i, _ := Field(doc, "i")
			require.Equal(t, "42", string(AppendText(nil, i)))
			f, ok := Float(i)
			require.True(t, ok)
			require.Equal(t, 42.0, f)

			z, ok := Field(doc, "z")
			require.True(t, ok)
			require.Equal(t, Null, KindOf(z))
			require.Empty(t, AppendText(nil, z))
			_, ok = Field(doc, "missing")
			require.False(t, ok)

			a, _ := Field(doc, "a")
			require.Equal(t, Array, KindOf(a))
			require.Equal(t, 2, Len(a))
			e1, ok := Elem(a, 1)
			require.True(t, ok)
			k, _ := Field(e1, "k")
			require.Equal(t, "v", string(AppendText(nil, k)))
			_, ok = Elem(a, 2)
			require.False(t, ok)

			o, _ := Field(doc, "o")
			var keys []string
			for key, val := range Members(o) {
				keys = append(keys, key+"="+string(AppendText(nil, val)))
			}
			require.Equal(t, []string{"m=n"}, keys)

			whole, err := AppendJSON(nil, doc)
			require.NoError(t, err)
			std, err := json.Marshal(doc)
			require.NoError(t, err)
			require.Equal(t, decodeStd(t, std), decodeStd(t, whole))
		})
	}

	n, _ := Field(tree, "n")
	text, ok := NumberText(n)
	require.True(t, ok)
	require.Equal(t, "1773134100.482913204", text, "the tree keeps the literal")
}

func TestStructsGoThroughEncodingJSON(t *testing.T) {
	type inner struct {
		Name string `json:"name"`
	}
	doc := map[string]any{"who": inner{Name: "Dana"}, "list": []inner{{"a"}, {"b"}}}
	who, ok := Field(doc, "who")
	require.True(t, ok)
	name, ok := Field(who, "name")
	require.True(t, ok)
	require.Equal(t, "Dana", string(AppendText(nil, name)))
	list, _ := Field(doc, "list")
	require.Equal(t, Array, KindOf(list))
	require.Equal(t, 2, Len(list))
	require.Equal(t, Absent, KindOf(make(chan int)))
}

func TestAppendQuoted(t *testing.T) {
	tests := map[string]string{
		"plain":            `"plain"`,
		"a\"b\\c":          `"a\"b\\c"`,
		"nl\n\r\t\b\f":     `"nl\n\r\t\b\f"`,
		"\x00\x1f":         `"\u0000\u001f"`,
		"ls\u2028ps\u2029": `"ls\u2028ps\u2029"`,
		"é😀":               `"é😀"`,
		"bad\xffutf8":      `"bad\ufffdutf8"`,
	}
	for in, want := range tests {
		got := string(AppendQuoted(nil, in))
		require.Equal(t, want, got)
		var back string
		require.NoError(t, json.Unmarshal([]byte(got), &back))
		if in != "bad\xffutf8" {
			require.Equal(t, in, back, "decodes back to the input")
		}
	}
}

func TestNumberTextOfGoNumbers(t *testing.T) {
	for x, want := range map[any]string{
		42: "42", int64(-7): "-7", uint8(3): "3", 1.5: "1.5", 1e21: "1e+21", float32(0.1): "0.1", 1e-7: "1e-7",
	} {
		got, ok := NumberText(x)
		require.True(t, ok)
		require.Equal(t, want, got, "%T %v", x, x)
		std, _ := json.Marshal(x)
		require.Equal(t, string(std), got, "same text as encoding/json")
	}
}

func FuzzParse(f *testing.F) {
	for _, in := range validInputs {
		f.Add([]byte(in))
	}
	f.Add([]byte(`{"a":[1,2,{"b":"\ud83d"}]}`))
	f.Add([]byte("{\"a\":[\"\\n\xff\"]}"))
	f.Add(append(bytes.Repeat([]byte{'['}, MaxDepth+1), bytes.Repeat([]byte{']'}, MaxDepth+1)...)) // valid for encoding/json, too deep here
	f.Fuzz(func(t *testing.T, in []byte) {
		if nesting(in) > MaxDepth {
			// Refused by design, where encoding/json goes deeper.
			if _, err := Parse(in); err == nil {
				t.Fatalf("Parse took %d levels, more than MaxDepth", nesting(in))
			}
			return
		}
		strict := json.Valid(in) && utf8.Valid(in) && !hasLoneSurrogate(in)
		if _, err := ParseStrict(in); (err == nil) != strict {
			t.Fatalf("ParseStrict err %v, but json.Valid, utf8.Valid and hasLoneSurrogate say %v", err, strict)
		}
		v, err := Parse(in)
		// json.Valid, not Unmarshal into float64: 1E700 is valid JSON that
		// a float64 cannot hold, and Parse keeps the literal.
		if (err == nil) != json.Valid(in) {
			t.Fatalf("Parse err %v, but json.Valid says %v", err, json.Valid(in))
		}
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SyntaxError", err)
			}
			return
		}
		if !reflect.DeepEqual(decodeStd(t, in), v.Any()) {
			t.Fatalf("tree differs from encoding/json for %q", in)
		}
		out := v.AppendJSON(nil)
		if !json.Valid(out) || !reflect.DeepEqual(decodeStd(t, in), decodeStd(t, out)) {
			t.Fatalf("AppendJSON round trip changed %q into %q", in, out)
		}
	})
}

func benchEvent(b *testing.B) []byte {
	raw, err := os.ReadFile(filepath.Join(sharedtest.Dir(b, "fixtures/apono"), "request-approved.json"))
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// BenchmarkParse is measured against the anchor BenchmarkEncodingJSON, which
// decodes the same bytes into map[string]any.
func BenchmarkParse(b *testing.B) {
	benchEvent := benchEvent(b)
	b.SetBytes(int64(len(benchEvent)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchEvent); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodingJSON(b *testing.B) {
	benchEvent := benchEvent(b)
	b.SetBytes(int64(len(benchEvent)))
	b.ReportAllocs()
	for b.Loop() {
		d := json.NewDecoder(bytes.NewReader(benchEvent))
		d.UseNumber()
		var x any
		if err := d.Decode(&x); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAppendJSONRefusesBadNumbers(t *testing.T) {
	for _, bad := range []json.Number{"1.", "abc", "01", "1e", "--1", "1 2"} {
		_, err := AppendJSON(nil, []any{bad})
		require.Error(t, err, bad)
		_, err = AppendJSON(nil, bad)
		require.Error(t, err, bad)
	}
	out, err := AppendJSON(nil, map[string]any{"n": json.Number("-1.5e3")})
	require.NoError(t, err)
	require.Equal(t, `{"n":-1.5e3}`, string(out))
}

func TestAppendEscapedBytesMatchesString(t *testing.T) {
	for _, s := range []string{"", "plain", "a\"b\\c\n", "ls\u2028", "bad\xff", "é😀"} {
		require.Equal(t, string(AppendEscaped(nil, s)), string(AppendEscapedBytes(nil, []byte(s))))
	}
}

func TestBoolean(t *testing.T) {
	v, err := Parse([]byte(`[true,false,"true"]`))
	require.NoError(t, err)
	for i, want := range []struct{ v, ok bool }{{true, true}, {false, true}, {false, false}} {
		b, ok := Boolean(v.Elem(i))
		require.Equal(t, want.v, b)
		require.Equal(t, want.ok, ok)
	}
	b, ok := Boolean(true)
	require.True(t, b && ok)
	_, ok = Boolean("true")
	require.False(t, ok)
}

// hasLoneSurrogate reports whether valid JSON in escapes a UTF-16
// surrogate that is not half of a pair: the oracle for ParseStrict, which
// encoding/json (it decodes such an escape to U+FFFD) cannot be.
func hasLoneSurrogate(in []byte) bool {
	unit := func(i int) (uint64, bool) { // the \u escape at i, if any
		if i+6 > len(in) || in[i] != '\\' || in[i+1] != 'u' {
			return 0, false
		}
		u, err := strconv.ParseUint(string(in[i+2:i+6]), 16, 16)
		return u, err == nil
	}
	for i := 0; i < len(in); i++ {
		if in[i] != '\\' {
			continue
		}
		u, ok := unit(i)
		if !ok {
			i++ // a one-letter escape, such as \\ or \"
			continue
		}
		switch {
		case 0xDC00 <= u && u <= 0xDFFF:
			return true
		case 0xD800 <= u && u <= 0xDBFF:
			if lo, ok := unit(i + 6); !ok || lo < 0xDC00 || lo > 0xDFFF {
				return true
			}
			i += 6
		}
		i += 5
	}
	return false
}

// nesting returns how deep in's brackets go outside strings, the measure
// MaxDepth bounds.
func nesting(in []byte) int {
	depth, most, inString, escaped := 0, 0, false, false
	for _, c := range in {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString:
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			most = max(most, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return most
}
