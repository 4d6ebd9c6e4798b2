package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// lintOutput is lint's -o json shape.
type lintOutput struct {
	OK       bool                `json:"ok"`
	File     string              `json:"file"`
	Webhooks int                 `json:"webhooks"`
	Problems []definitionProblem `json:"problems"`
}

// where is a problem's place, for comparing lists of problems.
type where struct {
	Line, Column, Index int
	Webhook, Field      string
	TLine, TColumn      int
}

func wheres(ps []definitionProblem) []where {
	out := make([]where, len(ps))
	for i, p := range ps {
		out[i] = where{p.Line, p.Column, p.Index, p.Webhook, p.Field, p.TemplateLine, p.TemplateColumn}
	}
	return out
}

// jsonString encodes s as a JSON string the way a person might write it:
// control characters and non-ASCII as \u escapes, so that positions must
// see through escapes.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r >= 0x80 && r <= 0xFFFF:
			fmt.Fprintf(&b, `\u%04x`, r)
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func TestLintReportsEveryProblemAtItsPosition(t *testing.T) {
	t.Parallel()
	// The template's second line has escapes before each bad tag: a
	// quote, an é and an emoji written as \u escapes, and a raw é.
	tmpl := "{\"by\": \"{{data.requester.name}}\",\n \"q\": \"\\\"é😀\", \"é\": \"{{data.requester.nmae}}\", \"w\": {{data.creation_dat}}}"
	content := `{
  "webhooks": [
    {
      "name": "torq",
      "active": true,
      "url": "http://hooks.torq.io/v1/webhooks/x",
      "headers": {"Authorization": "Bearer t", "Bad Header": "x"},
      "body_template": ` + jsonString(tmpl) + `,
      "triggers": ["RequestCreated", "RequestApprovd"],
      "response_validators": [{"json_path": "$.data.status", "expected_values": ["ok"]}, {"json_path": "$.data.x", "status": ["200"]}]
    },
    {"name": "siem", "url": "https://siem.example/a", "triggers": ["RequestGranted"]},
    {"name": "siem", "url": "https://siem.example/b", "triggers": ["RequestGranted"]},
    {"url": "https://x.example", "triggers": ["RequestCreated"], "timeout_in_sec": 9999}
  ]
}
`
	file := writeFile(t, t.TempDir(), "hooks.json", content)
	at := func(needle string) (int, int) { return positionOf(t, content, needle) }
	pos := func(needle string, index int, name, field string) where {
		l, c := at(needle)
		return where{Line: l, Column: c, Index: index, Webhook: name, Field: field}
	}
	tpos := func(needle string) where {
		w := pos(needle, 0, "torq", "body_template")
		w.TLine, w.TColumn = positionOf(t, tmpl, needle)
		return w
	}
	want := []where{
		pos(`"http://hooks`, 0, "torq", "url"),
		pos(`"x"}`, 0, "torq", "headers.Bad Header"),
		tpos("data.requester.nmae}}"),
		tpos("data.creation_dat}}"),
		pos(`["RequestCreated", "RequestApprovd"]`, 0, "torq", "triggers"),
		pos(`{"json_path": "$.data.x"`, 0, "torq", "response_validators[1]"),
		pos(`"siem", "url": "https://siem.example/b"`, 2, "siem", "name"),
		pos(`{"url": "https://x.example"`, 3, "", "name"),
		pos(`9999`, 3, "", "timeout_in_sec"),
	}

	r := outhook(t, runOpts{}, "lint", "-o", "json", file)
	require.Equal(t, 1, r.code, r.stderr)
	require.Empty(t, r.stderr)
	var out lintOutput
	decodeStrictly(t, r.stdout, &out)
	require.False(t, out.OK)
	require.Equal(t, file, out.File)
	require.Equal(t, 4, out.Webhooks)
	require.Equal(t, want, wheres(out.Problems))
	for i, msg := range []string{
		"HTTPS is required", `name "Bad Header"`, "unknown field data.requester.nmae; did you mean data.requester.name?",
		"did you mean data.creation_date?", `unknown trigger "RequestApprovd"`, "exactly one of json_path, status and header",
		"name already used by another webhook", "name must be", "9999 is not between 1 and 600",
	} {
		require.Contains(t, out.Problems[i].Message, msg)
	}

	t.Run("text", func(t *testing.T) {
		r := outhook(t, runOpts{}, "lint", file)
		require.Equal(t, 1, r.code, r.stderr)
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		require.Len(t, lines, len(want), r.stdout)
		require.Equal(t, fmt.Sprintf(`%s:%d:%d: webhook "torq": url: URL not allowed by the URL policy: HTTPS is required`, file, want[0].Line, want[0].Column), lines[0])
		require.Equal(t, fmt.Sprintf(`%s:%d:%d: webhook "torq": body_template (template %d:%d): invalid body template: unknown field data.requester.nmae; did you mean data.requester.name?`,
			file, want[2].Line, want[2].Column, want[2].TLine, want[2].TColumn), lines[2])
		require.Equal(t, fmt.Sprintf(`%s:%d:%d: webhook #4: timeout_in_sec: timeout out of range: 9999 is not between 1 and 600`, file, want[8].Line, want[8].Column), lines[8])
		require.NotContains(t, r.stdout, "\x1b[")
	})
}

func TestLintForms(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := `{"name": "a", "active": true, "url": "https://a.example/h", "triggers": ["RequestCreated"], "body_template": "{\"x\": {{data.id}}}"}`
	for _, tc := range []struct {
		name, content string
		count         int
	}{
		{"array", "[" + good + "," + strings.Replace(good, `"a"`, `"b"`, 1) + "]", 2},
		{"wrapper", `{"webhooks": [` + good + `]}`, 1},
		{"lone", good, 1},
		{"empty array", `[]`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeFile(t, dir, tc.name+".json", tc.content)
			r := outhook(t, runOpts{}, "lint", file)
			require.Equal(t, 0, r.code, r.stdout+r.stderr)
			noun := "definitions"
			if tc.count == 1 {
				noun = "definition"
			}
			require.Equal(t, fmt.Sprintf("%s: %d %s, no problems\n", file, tc.count, noun), r.stdout)

			r = outhook(t, runOpts{}, "lint", "-o", "json", file)
			require.Equal(t, 0, r.code)
			var out lintOutput
			decodeStrictly(t, r.stdout, &out)
			require.Equal(t, lintOutput{OK: true, File: file, Webhooks: tc.count, Problems: []definitionProblem{}}, out)
		})
	}

	t.Run("lone definition with problems", func(t *testing.T) {
		content := "{\n  \"name\": \"a\",\n  \"url\": \"https://a.example:8443/h\",\n  \"triggers\": [\"RequestCreated\"]\n}"
		r := outhook(t, runOpts{stdin: content}, "lint", "-o", "json", "-")
		require.Equal(t, 1, r.code)
		var out lintOutput
		decodeStrictly(t, r.stdout, &out)
		l, c := positionOf(t, content, `"https://a.example:8443/h"`)
		require.Equal(t, []where{{Line: l, Column: c, Index: 0, Webhook: "a", Field: "url"}}, wheres(out.Problems))
		require.Equal(t, "<stdin>", out.File)

		r = outhook(t, runOpts{stdin: content}, "lint", "-allow-custom-ports", "-")
		require.Equal(t, 0, r.code, r.stdout)
	})

	t.Run("http allowed", func(t *testing.T) {
		content := `[{"name": "a", "url": "http://a.example/h", "triggers": ["RequestCreated"]}]`
		require.Equal(t, 1, outhook(t, runOpts{stdin: content}, "lint", "-").code)
		require.Equal(t, 0, outhook(t, runOpts{stdin: content}, "lint", "-allow-http", "-").code)
	})
}

func TestLintJSONErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, content string
		at            string // the text the position starts; "" for the end of the input
		within        int    // the column may be this many bytes past at's
		field, msg    string
	}{
		{"syntax", "{\"webhooks\": [\n  {\"name\": \"a\",, \"url\": \"x\"}\n]}", `, "url"`, 0, "", "invalid character ','"},
		{"misspelt field", "[\n  {\"name\": \"a\", \"tiggers\": [\"RequestCreated\"]}\n]", `"tiggers"`, 0, "", `unknown field "tiggers"`},
		{"misspelt field, lone", "{\"name\": \"a\",\n \"urll\": \"x\"}", `"urll"`, 0, "", `unknown field "urll"`},
		{"misspelt field, lone, first line", `{"name": "a", "urll": "x"}`, `"urll"`, 0, "", `unknown field "urll"`},
		// encoding/json says where the value ends, not where it starts.
		{"wrong type", "[{\"name\": \"a\",\n \"timeout_in_sec\": \"30\"}]", `"30"`, len(`"30"`), "timeout_in_sec", "cannot unmarshal string"},
		{"truncated", "[{\"name\": \"a\",\n \"url\": \"x\"", "", 0, "", "unexpected EOF"},
		{"trailing data", "[]\n  [{}]", "[{}]", 0, "", "unexpected data after the definitions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := outhook(t, runOpts{stdin: tc.content}, "lint", "-o", "json", "-")
			require.Equal(t, 1, r.code, r.stderr)
			var out lintOutput
			decodeStrictly(t, r.stdout, &out)
			require.Len(t, out.Problems, 1)
			p := out.Problems[0]
			// Past the last byte by default.
			l, c := 1+strings.Count(tc.content, "\n"), len(tc.content)-strings.LastIndex(tc.content, "\n")
			if tc.at != "" {
				l, c = positionOf(t, tc.content, tc.at)
			}
			require.Equal(t, -1, p.Index)
			require.Equal(t, l, p.Line, p.Message)
			require.GreaterOrEqual(t, p.Column, c, p.Message)
			require.LessOrEqual(t, p.Column, c+tc.within, p.Message)
			require.Contains(t, p.Field, tc.field)
			require.Contains(t, p.Message, tc.msg)
		})
	}
}

func TestLintUsage(t *testing.T) {
	t.Parallel()
	r := outhook(t, runOpts{}, "lint")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "want one definitions file")
	r = outhook(t, runOpts{}, "lint", "/nonexistent/hooks.json")
	require.Equal(t, 3, r.code)
	require.Contains(t, r.stderr, "no such file")
}

// A secret given as the mask that reads show (REDACTED) is a problem at
// its value, as Tenant.Validate and Create find it, though AddAll would
// take the word as the secret and send it: a file copied from a read of
// the API or the console has lost its secrets, and the usage says so.
func TestLintRefusesMaskedSecrets(t *testing.T) {
	t.Parallel()
	content := "[{\"name\": \"a\", \"url\": \"https://a.example/h\", \"triggers\": [\"RequestCreated\"],\n" +
		" \"headers\": {\"Authorization\": \"REDACTED\"},\n" +
		" \"secrets\": {\"key\": \"REDACTED\"}, \"body_template\": \"{\\\"k\\\": \\\"{{secrets.key}}\\\"}\"}]"
	r := outhook(t, runOpts{stdin: content}, "lint", "-o", "json", "-")
	require.Equal(t, 1, r.code, r.stdout+r.stderr)
	var out lintOutput
	decodeStrictly(t, r.stdout, &out)
	require.Len(t, out.Problems, 2, r.stdout)
	hl, hc := positionOf(t, content, `"REDACTED"},`+"\n"+` "secrets"`)
	sl, sc := positionOf(t, content, `"REDACTED"}, "body_template"`)
	require.Equal(t, []where{
		{Line: hl, Column: hc, Index: 0, Webhook: "a", Field: "headers.Authorization"},
		{Line: sl, Column: sc, Index: 0, Webhook: "a", Field: "secrets.key"},
	}, wheres(out.Problems))
	for _, p := range out.Problems {
		require.Contains(t, p.Message, "REDACTED")
	}

	help := outhook(t, runOpts{}, "lint", "-h")
	require.Equal(t, 0, help.code)
	require.Contains(t, help.stdout, `"REDACTED"`, "the usage says what lint does with a masked secret")
	require.NotContains(t, help.stdout, "as Dispatcher.AddAll\ndoes,", "lint is stricter than AddAll")
}

// A name or header name far past the limits is shown cut in the text
// output, which a person reads: each problem stays a line, not the
// 100 KB the file holds. The JSON output keeps them whole.
func TestLintCutsLongNamesInText(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("n", 100_000)
	content := `[{"name": "` + long + `", "url": "https://a.example/h", "triggers": ["RequestCreated"], "headers": {"` + long + `": "v"}}]`
	r := outhook(t, runOpts{stdin: content}, "lint", "-")
	require.Equal(t, 1, r.code, r.stderr)
	for _, line := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
		require.Less(t, len(line), 1000, "%.300s", line)
		require.Contains(t, line, "…")
	}
	r = outhook(t, runOpts{stdin: content}, "lint", "-o", "json", "-")
	var out lintOutput
	decodeStrictly(t, r.stdout, &out)
	require.Equal(t, long, out.Problems[0].Webhook)
}
