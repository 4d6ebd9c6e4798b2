package webhooktest_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/integration"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// A trigger of no kind Render knows fails the test, as Dispatcher.Add
// refuses it, even beside triggers it knows: a misspelt trigger among
// good ones rendered the good ones' mock events and passed, and the
// webhook was then refused, or never fired for the misspelt event.
func TestRenderFailsOnATriggerOfNoKnownKind(t *testing.T) {
	w := webhook.Webhook{Name: "w", URL: "https://a.example/h", BodyTemplate: `{"id": "{{data.id}}"}`,
		Triggers: []event.Trigger{accessrequest.Created, "RequestAproved"}}
	r := record(t, func(tb testing.TB) { webhooktest.Render(tb, w) })
	require.True(t, r.fatal)
	require.Len(t, r.errors, 1)
	require.Contains(t, r.errors[0], `"RequestAproved"`)
	require.Contains(t, r.errors[0], `did you mean "RequestApproved"`)
	require.Contains(t, r.errors[0], "Kinds")

	// Its kind given, it renders over its mock events.
	w.Triggers = []event.Trigger{accessrequest.Created, integration.Kind().Triggers[0]}
	w.BodyTemplate = ""
	out := webhooktest.Render(t, w, webhooktest.Kinds(integration.Kind()))
	require.Greater(t, len(out), 1)

	// A service's own trigger with the events to render: the test names
	// what to render over.
	e, err := event.New("invoice.paid", map[string]any{"id": "in_1"})
	require.NoError(t, err)
	w.Triggers = []event.Trigger{"invoice.paid"}
	require.Len(t, webhooktest.Render(t, w, webhooktest.Events(e)), 1)
}
