package main

import (
	"cmp"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

const torqBody = `{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}","why":"{{data.justification}}"}}`

// renderOutput is render's -o json shape.
type renderOutput struct {
	OK        bool              `json:"ok"`
	EventType string            `json:"event_type"`
	Body      *string           `json:"body"`
	Errors    []templateProblem `json:"errors"`
}

// libraryPreview renders as Tenant.Preview does, for comparison.
func libraryPreview(t *testing.T, tmpl string, trigger string) string {
	t.Helper()
	d, err := webhook.New()
	require.NoError(t, err)
	defer d.Close(t.Context())
	e, ok := accessrequest.Mock(accessrequest.Canonical(event.Trigger(trigger)))
	require.True(t, ok)
	out, err := d.Tenant("").Preview(tmpl, e)
	require.NoError(t, err)
	return out
}

func TestRenderMockEvents(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tmpl := writeFile(t, dir, "torq.hbs", torqBody)

	for _, trigger := range []string{"", "RequestApproved", "AccessRequestGranted"} {
		t.Run("mock="+trigger, func(t *testing.T) {
			args := []string{"render", tmpl}
			if trigger != "" {
				args = []string{"render", "-mock", trigger, tmpl}
			}
			r := outhook(t, runOpts{}, args...)
			require.Equal(t, 0, r.code, r.stderr)
			require.Empty(t, r.stderr)
			want := libraryPreview(t, torqBody, cmp.Or(trigger, "RequestCreated"))
			require.Equal(t, want+"\n", r.stdout)
			require.True(t, json.Valid([]byte(r.stdout)))
			require.NotContains(t, r.stdout, "\x1b[", "no colour when stdout is not a terminal")
		})
	}

	t.Run("json", func(t *testing.T) {
		r := outhook(t, runOpts{}, "render", "-o", "json", "-mock", "RequestFailed", tmpl)
		require.Equal(t, 0, r.code, r.stderr)
		var out renderOutput
		decodeStrictly(t, r.stdout, &out)
		require.True(t, out.OK)
		require.Equal(t, "RequestFailed", out.EventType)
		require.NotNil(t, out.Body)
		require.Equal(t, libraryPreview(t, torqBody, "RequestFailed"), *out.Body)
		require.Empty(t, out.Errors)
	})

	t.Run("flags after the file, template on stdin", func(t *testing.T) {
		r := outhook(t, runOpts{stdin: torqBody}, "render", "-", "-mock", "RequestRejected")
		require.Equal(t, 0, r.code, r.stderr)
		require.Equal(t, libraryPreview(t, torqBody, "RequestRejected")+"\n", r.stdout)
	})

	t.Run("blank template renders the whole event", func(t *testing.T) {
		r := outhook(t, runOpts{stdin: " \n"}, "render", "-mock", "RequestExpired", "-")
		require.Equal(t, 0, r.code, r.stderr)
		e, _ := accessrequest.Mock(accessrequest.Expired)
		require.JSONEq(t, string(e.JSON()), r.stdout)
	})
}

func TestRenderGivenEvent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A value that would break a naive body: quote, backslash, newline,
	// U+2028, and a field of the service's own event type.
	ev := writeFile(t, dir, "event.json", `{"event_type":"InvoicePaid","event_time":1767225600.000000001,"customer":"Ann \"The\" Hacker\\\n\u2028"}`)
	tmpl := writeFile(t, dir, "t.hbs", `{"text":"{{customer}} paid","raw":{{customer}}}`)

	r := outhook(t, runOpts{}, "render", "-event", ev, tmpl)
	require.Equal(t, 0, r.code, r.stderr)
	var body struct{ Text, Raw string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &body))
	require.Equal(t, "Ann \"The\" Hacker\\\n\u2028 paid", body.Text)
	require.Equal(t, "Ann \"The\" Hacker\\\n\u2028", body.Raw)

	t.Run("event on stdin", func(t *testing.T) {
		r := outhook(t, runOpts{stdin: `{"event_type":"X","event_time":1,"customer":"z"}`}, "render", "-event", "-", tmpl)
		require.Equal(t, 0, r.code, r.stderr)
		require.JSONEq(t, `{"text":"z paid","raw":"z"}`, r.stdout)
	})
}

func TestRenderErrorPositions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// An unknown field on line 3, and another on line 4: both reported,
	// at the tag, with the schema's suggestion.
	src := "{\n  \"body\": {\n    \"by\": \"{{data.requester.nmae}}\",\n    \"at\": {{data.creation_dat}}\n  }\n}\n"
	tmpl := writeFile(t, dir, "body.hbs", src)
	l1, c1 := positionOf(t, src, "data.requester.nmae}}") // the library points at the path
	l2, c2 := positionOf(t, src, "data.creation_dat}}")

	r := outhook(t, runOpts{}, "render", tmpl)
	require.Equal(t, 1, r.code)
	require.Empty(t, r.stdout, "nothing rendered")
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	require.Len(t, lines, 2, r.stderr)
	require.Equal(t, tmpl+":"+strconv.Itoa(l1)+":"+strconv.Itoa(c1)+": unknown field data.requester.nmae; did you mean data.requester.name?", lines[0])
	require.True(t, strings.HasPrefix(lines[1], tmpl+":"+strconv.Itoa(l2)+":"+strconv.Itoa(c2)+": unknown field data.creation_dat; did you mean data.creation_date?"), lines[1])

	t.Run("json", func(t *testing.T) {
		r := outhook(t, runOpts{}, "render", "-o", "json", tmpl)
		require.Equal(t, 1, r.code)
		require.Empty(t, r.stderr)
		var out renderOutput
		decodeStrictly(t, r.stdout, &out)
		require.False(t, out.OK)
		require.Nil(t, out.Body)
		require.Equal(t, []templateProblem{
			{File: tmpl, Line: l1, Column: c1, Path: "data.requester.nmae", Message: "unknown field data.requester.nmae; did you mean data.requester.name?"},
			{File: tmpl, Line: l2, Column: c2, Path: "data.creation_dat", Message: "unknown field data.creation_dat; did you mean data.creation_date?"},
		}, out.Errors)
	})

	t.Run("syntax error", func(t *testing.T) {
		src := "{\"a\": 1,\n \"b\": {{#if}} }"
		r := outhook(t, runOpts{stdin: src}, "render", "-")
		require.Equal(t, 1, r.code)
		l, c := positionOf(t, src, "{{#if}}")
		require.Equal(t, "<stdin>:"+strconv.Itoa(l)+":"+strconv.Itoa(c)+": {{#if}} needs an argument\n", r.stderr)
	})

	t.Run("placement error over an event of the service's own type", func(t *testing.T) {
		ev := writeFile(t, dir, "own.json", `{"event_type":"Own","event_time":1,"x":1}`)
		src := "{\"a\" {{x}}}"
		r := outhook(t, runOpts{stdin: src}, "render", "-event", ev, "-")
		require.Equal(t, 1, r.code)
		require.Equal(t, "<stdin>:1:6: tag where JSON expects ':' after a member name: {{x}} cannot be placed here\n", r.stderr)
	})
}

func TestRenderUsageAndRuntimeErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tmpl := writeFile(t, dir, "t.hbs", torqBody)
	ev := writeFile(t, dir, "ev.json", `{"event_type":"X","event_time":1}`)
	badJSON := "{\"event_type\":\"X\",\n \"event_time\": 1,,}"
	bad := writeFile(t, dir, "bad.json", badJSON)
	badLine, badCol := positionOf(t, badJSON, ",,")
	badAt := bad + ":" + strconv.Itoa(badLine) + ":" + strconv.Itoa(badCol+1) + ": malformed JSON"
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no template", []string{"render"}, 2, "want one template file, got 0 arguments"},
		{"two templates", []string{"render", tmpl, tmpl}, 2, "want one template file, got 2"},
		{"unknown trigger", []string{"render", "-mock", "RequestApprove", tmpl}, 2, `unknown trigger "RequestApprove"`},
		{"both events", []string{"render", "-mock", "RequestCreated", "-event", ev, tmpl}, 2, "-mock and -event exclude each other"},
		{"stdin twice", []string{"render", "-event", "-", "-"}, 2, "stdin can hold only one"},
		{"bad format", []string{"render", "-o", "yaml", tmpl}, 2, `must be "text" or "json"`},
		{"unknown flag", []string{"render", "-strict", tmpl}, 2, "flag provided but not defined: -strict"},
		{"missing template", []string{"render", filepath.Join(dir, "nope.hbs")}, 3, "no such file"},
		{"missing event", []string{"render", "-event", filepath.Join(dir, "nope.json"), tmpl}, 3, "no such file"},
		{"malformed event", []string{"render", "-event", bad, tmpl}, 3, badAt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := outhook(t, runOpts{}, tc.args...)
			require.Equal(t, tc.code, r.code, "stderr: %s", r.stderr)
			require.Empty(t, r.stdout)
			require.Contains(t, r.stderr, tc.stderr)
			if tc.code == 2 {
				require.Contains(t, r.stderr, "Run 'outhook render -h' for usage.")
			}
		})
	}
}

// TestRenderBodySecrets renders a template naming body secrets, as
// PagerDuty's does: it must render, each secret shown REDACTED, since the
// command knows no definition's secrets to check the names against.
func TestRenderBodySecrets(t *testing.T) {
	t.Parallel()
	tmpl := writeFile(t, t.TempDir(), "pd.hbs", `{"routing_key": "{{secrets.routing_key}}", "id": "{{data.id}}"}`)
	r := outhook(t, runOpts{}, "render", tmpl)
	require.Equal(t, 0, r.code, r.stderr)
	var body struct {
		RoutingKey string `json:"routing_key"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &body))
	require.Equal(t, "REDACTED", body.RoutingKey)
}
