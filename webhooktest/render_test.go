package webhooktest_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/template"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

const torqBody = `{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}"}}`

func TestRenderTemplateOverEveryMockEvent(t *testing.T) {
	out := webhooktest.RenderTemplate(t, "torq", torqBody, webhooktest.Strict())
	require.Len(t, out, len(accessrequest.Mocks()))
	for i, r := range out {
		require.Equal(t, accessrequest.Mocks()[i], r.Event)
		require.Contains(t, string(r.Body), string(r.Event.Type()))
	}
	require.Equal(t, "torq.request-created.json", out[0].Name)
}

func TestRenderWebhookFollowsTheDispatcher(t *testing.T) {
	w := webhook.Webhook{Name: "granted", Triggers: []event.Trigger{"AccessRequestGranted"}}
	out := webhooktest.Render(t, w)
	require.Len(t, out, 1, "only the events of the webhook's triggers")
	e, _ := accessrequest.Mock(accessrequest.Granted)
	require.Equal(t, string(e.JSON()), string(out[0].Body), "no template: the whole event")

	custom, err := event.New("invoice.paid", map[string]any{"amount": 12})
	require.NoError(t, err)
	w = webhook.Webhook{Name: "invoices", BodyTemplate: `{"amount":{{data.amount}}}`, Triggers: []event.Trigger{"invoice.paid"}}
	out = webhooktest.Render(t, w, webhooktest.Events(custom, custom))
	require.Len(t, out, 2)
	require.Equal(t, `{"amount":12}`, string(out[0].Body))
	require.Equal(t, []string{"invoices.invoice-paid.json", "invoices.invoice-paid-2.json"}, []string{out[0].Name, out[1].Name})
}

func TestRenderHelpers(t *testing.T) {
	shout := template.WithHelpers(map[string]template.Helper{
		"shout": func(args []any) (any, error) { return strings.ToUpper(args[0].(string)) + "!", nil },
	})
	out := webhooktest.RenderTemplate(t, "shout", `{"who":"{{shout data.friendly_id}}"}`, webhooktest.TemplateOptions(shout))
	require.Equal(t, `{"who":"AR-2187!"}`, string(out[0].Body))
}

func TestGoldenWriteThenCompare(t *testing.T) {
	dir := t.TempDir()
	setUpdate(t, true)
	webhooktest.RenderTemplate(t, "torq", torqBody, webhooktest.Golden(dir))
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.Len(t, files, 6)

	setUpdate(t, false)
	webhooktest.RenderTemplate(t, "torq", torqBody, webhooktest.Golden(dir))

	changed := strings.Replace(torqBody, "New Apono", "New", 1)
	r := record(t, func(tb testing.TB) { webhooktest.RenderTemplate(tb, "torq", changed, webhooktest.Golden(dir)) })
	require.False(t, r.fatal)
	require.Len(t, r.errors, 6, "one failure per event")
	require.Contains(t, r.errors[0], "torq.request-created.json")
	require.Contains(t, r.errors[0], "line 1, column 23")
	require.Contains(t, r.errors[0], "OUTHOOK_UPDATE_GOLDEN=1")

	r = record(t, func(tb testing.TB) {
		webhooktest.RenderTemplate(tb, "other", torqBody, webhooktest.Golden(dir))
	})
	require.Len(t, r.errors, 6)
	require.Contains(t, r.errors[0], "run the test with OUTHOOK_UPDATE_GOLDEN=1 to write it")
}

func TestRenderFailures(t *testing.T) {
	for _, tt := range []struct {
		name  string
		run   func(tb testing.TB)
		fatal bool
		want  string
		count int
	}{
		{
			name:  "parse error",
			run:   func(tb testing.TB) { webhooktest.RenderTemplate(tb, "bad", `{"a":"{{#if x}}"}`) },
			fatal: true, want: "bad:1:", count: 1,
		},
		{
			name: "missing field in strict mode",
			run: func(tb testing.TB) {
				webhooktest.RenderTemplate(tb, "strict", `{"ticket":"{{data.custom_fields.ticket}}"}`, webhooktest.Strict())
			},
			want: "data.custom_fields.ticket", count: 3, // three mock events have no ticket
		},
		{
			name: "not JSON",
			run: func(tb testing.TB) {
				webhooktest.RenderTemplate(tb, "text", `{{data.friendly_id}}`, webhooktest.TemplateOptions(template.WithMode(template.Text)))
			},
			want: "is not valid JSON", count: 6,
		},
		{
			name: "unknown field under the schema",
			run: func(tb testing.TB) {
				w := webhook.Webhook{Name: "typo", BodyTemplate: `{"who":"{{data.requestor.name}}"}`, Triggers: accessrequest.Triggers()}
				webhooktest.Render(tb, w)
			},
			fatal: true, want: "did you mean data.requester.name", count: 1,
		},
		{
			name: "no event for the triggers",
			run: func(tb testing.TB) {
				webhooktest.Render(tb, webhook.Webhook{Name: "x", Triggers: []event.Trigger{"invoice.paid"}})
			},
			fatal: true, want: "pass the events to render with Events", count: 1,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := record(t, tt.run)
			require.Equal(t, tt.fatal, r.fatal)
			require.Len(t, r.errors, tt.count, "%q", r.errors)
			require.Contains(t, r.errors[0], tt.want)
		})
	}
}

func TestDiff(t *testing.T) {
	require.Empty(t, webhooktest.Diff([]byte("same"), []byte("same")))
	d := webhooktest.Diff([]byte("{\n  \"a\": 1\n}"), []byte("{\n  \"a\": 2\n}"))
	require.Equal(t, "line 2, column 8:\n  want: {\\n  \"a\": 1\\n}⏎EOF\n   got: {\\n  \"a\": 2\\n}⏎EOF", d)
	long := strings.Repeat("x", 100)
	d = webhooktest.Diff([]byte(long+"a"+long), []byte(long+"b"+long))
	require.Contains(t, d, "…"+strings.Repeat("x", 40)+"a"+strings.Repeat("x", 39)+"…")
}

// setUpdate sets OUTHOOK_UPDATE_GOLDEN for the rest of the test.
func setUpdate(t *testing.T, on bool) {
	t.Setenv(webhooktest.UpdateEnv, map[bool]string{true: "1", false: ""}[on])
	require.Equal(t, on, webhooktest.Updating())
}

// TestUpdating reads the values of the environment variable, and checks
// that importing webhooktest defines no flag in the test binary.
func TestUpdating(t *testing.T) {
	for value, want := range map[string]bool{"": false, "0": false, "false": false, "no": false, "1": true, "true": true, "TRUE": true} {
		t.Setenv(webhooktest.UpdateEnv, value)
		require.Equal(t, want, webhooktest.Updating(), "%s=%q", webhooktest.UpdateEnv, value)
	}
	require.Nil(t, flag.Lookup("update"), "webhooktest defines no -update flag")
}

func TestMain(m *testing.M) {
	// This package's tests write goldens to temporary directories only.
	os.Unsetenv(webhooktest.UpdateEnv)
	os.Exit(m.Run())
}
