package webhooktest_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/integration"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/template"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// A body the Dispatcher would refuse to render, for passing its render
// limit, fails Render too; WithTemplateOptions' way of raising the limit,
// TemplateOptions, raises it here.
func TestRenderKeepsTheDispatchersRenderLimit(t *testing.T) {
	big, err := event.New(accessrequest.Created, map[string]any{"justification": strings.Repeat("x", webhook.DefaultRenderLimit+1)})
	require.NoError(t, err)
	w := webhook.Webhook{Name: "big", Active: true, URL: "https://audit.example.com/hooks",
		BodyTemplate: `{"justification":"{{data.justification}}"}`, Triggers: []event.Trigger{accessrequest.Created}}

	d, err := webhook.New()
	require.NoError(t, err)
	defer d.Close(context.Background())
	_, err = d.Tenant("").Preview(w.BodyTemplate, big)
	require.ErrorIs(t, err, template.ErrRenderLimit, "the Dispatcher refuses it")

	r := record(t, func(tb testing.TB) { webhooktest.Render(tb, w, webhooktest.Events(big)) })
	require.Len(t, r.errors, 1, "%q", r.errors)
	require.Contains(t, r.errors[0], "big:1:")
	require.Contains(t, r.errors[0], "limit")
	r = record(t, func(tb testing.TB) { webhooktest.RenderTemplate(tb, "big", w.BodyTemplate, webhooktest.Events(big)) })
	require.Len(t, r.errors, 1, "%q", r.errors)

	raised := webhooktest.TemplateOptions(template.WithRenderLimit(2 * webhook.DefaultRenderLimit))
	out := webhooktest.Render(t, w, webhooktest.Events(big), raised)
	require.Len(t, out, 1)
}

// Render checks a template against the schema of each of its webhook's
// triggers, as Dispatcher.Add does, whatever their kind, and renders over
// their kind's mock events.
func TestRenderFollowsEachTriggersKind(t *testing.T) {
	t.Run("operational, served by default", func(t *testing.T) {
		w := webhook.Webhook{Name: "ops", BodyTemplate: `{"webhook":"{{data.webhook_name}}"}`, Triggers: []event.Trigger{operational.Failing, operational.Recovered}}
		out := webhooktest.Render(t, w, webhooktest.Strict())
		require.Len(t, out, 2)
		require.Equal(t, operational.Failing, out[0].Event.Type())
		require.Equal(t, "ops.webhook-failing.json", out[0].Name)

		w.BodyTemplate = `{"webhook":"{{data.webhok_name}}"}`
		r := record(t, func(tb testing.TB) { webhooktest.Render(tb, w) })
		require.True(t, r.fatal)
		require.Contains(t, r.errors[0], "ops:1:15: unknown field data.webhok_name")
		// Events of the test's own are checked against the kind's schema too.
		r = record(t, func(tb testing.TB) { webhooktest.Render(tb, w, webhooktest.Events(operational.Kind().Mocks...)) })
		require.True(t, r.fatal)
	})
	t.Run("a kind given with Kinds", func(t *testing.T) {
		w := webhook.Webhook{Name: "integrations", BodyTemplate: `{"name":"{{data.nmae}}"}`, Triggers: []event.Trigger{integration.Error}}
		d, err := webhook.New(webhook.WithEventKind(integration.Kind()))
		require.NoError(t, err)
		defer d.Close(context.Background())
		w.URL = "https://ops.example.com/hooks"
		_, err = d.Add(w)
		var errs webhook.DefinitionErrors
		require.True(t, errors.As(err, &errs), "the Dispatcher refuses the typo: %v", err)

		r := record(t, func(tb testing.TB) { webhooktest.Render(tb, w, webhooktest.Kinds(integration.Kind())) })
		require.True(t, r.fatal)
		require.Contains(t, r.errors[0], "did you mean data.name")

		w.BodyTemplate = `{"name":"{{data.name}}"}`
		out := webhooktest.Render(t, w, webhooktest.Kinds(integration.Kind()), webhooktest.Strict())
		require.Len(t, out, 1)
		require.Equal(t, integration.Error, out[0].Event.Type())
		out = webhooktest.RenderTemplate(t, "integrations", w.BodyTemplate, webhooktest.Kinds(integration.Kind()))
		require.Len(t, out, len(integration.Mocks()), "RenderTemplate renders over the kinds' mock events")
	})
	t.Run("triggers of two kinds", func(t *testing.T) {
		// The Dispatcher checks the template against both schemas.
		w := webhook.Webhook{Name: "mixed", BodyTemplate: `{"who":"{{data.requester.name}}"}`,
			Triggers: []event.Trigger{accessrequest.Created, operational.Failing}}
		r := record(t, func(tb testing.TB) { webhooktest.Render(tb, w) })
		require.True(t, r.fatal)
		require.Contains(t, r.errors[0], "unknown field data.requester.name")

		w.BodyTemplate = `{"type":"{{event_type}}"}`
		out := webhooktest.Render(t, w)
		require.Len(t, out, 2)
	})
}

// Golden writes only inside its directory: a name that is no file name
// fails the test rather than write elsewhere.
func TestGoldenNamesStayInTheDirectory(t *testing.T) {
	dir := t.TempDir()
	setUpdate(t, true)
	for _, name := range []string{"../escape", "a/b", `a\b`, "", ".."} {
		r := record(t, func(tb testing.TB) {
			webhooktest.RenderTemplate(tb, name, `{"type":"{{event_type}}"}`, webhooktest.Golden(dir))
		})
		require.True(t, r.fatal, "%q", name)
		require.Contains(t, r.errors[0], "golden", "%q", name)
	}
	entries, err := filepath.Glob(filepath.Join(filepath.Dir(dir), "*escape*"))
	require.NoError(t, err)
	require.Empty(t, entries)
}

// Diff's column is that of the character that differs, not of a byte
// within it.
func TestDiffPointsAtACharacter(t *testing.T) {
	d := webhooktest.Diff([]byte(`{"who":"Zoé"}`), []byte(`{"who":"Zoè"}`))
	require.True(t, strings.HasPrefix(d, "line 1, column 11:"), d)
}

// Render parses a webhook's body in JSON mode, as the Dispatcher does
// whatever WithTemplateOptions says: a justification holding '"', '\' and
// a newline stays one string.
func TestRenderParsesAWebhooksBodyAsTheDispatcherDoes(t *testing.T) {
	w := webhook.Webhook{Name: "why", BodyTemplate: `{"why":"{{data.justification}}"}`, Triggers: accessrequest.Triggers()}
	out := webhooktest.Render(t, w, webhooktest.TemplateOptions(template.WithMode(template.Text)))
	require.Len(t, out, len(accessrequest.Mocks()))
}

// A nil event, such as the Mock of a trigger that has none, fails the
// test with a message rather than a panic.
func TestRenderRefusesANilEvent(t *testing.T) {
	missing, _ := accessrequest.Mock("RequestPaused")
	r := record(t, func(tb testing.TB) {
		webhooktest.RenderTemplate(tb, "paused", `{"type":"{{event_type}}"}`, webhooktest.Events(missing))
	})
	require.True(t, r.fatal)
	require.Contains(t, r.errors[0], "event 1 of 1 is nil")
}

// The zero Event, which event.Parse and event.New never make (a struct
// field decoded from null holds one), fails the test as a nil one does,
// rather than render over nothing into a golden file with no type.
func TestRenderRefusesTheZeroEvent(t *testing.T) {
	r := record(t, func(tb testing.TB) {
		webhooktest.RenderTemplate(tb, "zero", `{"type":"{{event_type}}"}`, webhooktest.Events(&event.Event{}))
	})
	require.True(t, r.fatal)
	require.Contains(t, r.errors[0], "event 1 of 1 is the zero Event")
}
