package integration_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/integration"
	"github.com/outhook/outhook/template"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

func readTemplate(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return string(b)
}

// Every mock event reaches the webhooks whose filters on data.type and
// data.status take it, rendered into JSON that decodes back to the event's
// values, hostile ones included.
func TestDispatchIntegrationEvents(t *testing.T) {
	ctx := context.Background()
	d := webhooktest.NewDispatcher(t, webhook.WithEventKind(integration.Kind()))
	r := webhooktest.NewReceiver()
	t.Cleanup(r.Close)

	// Apono's dimensions Integration, Type and Status as generic
	// conditions of the filters form, the form the filters editor saves.
	parse := func(src string) *filter.Filter {
		f, err := filter.Parse([]byte(src))
		require.NoError(t, err)
		return f
	}
	hooks := []webhook.Webhook{
		{Name: "all", URL: r.URL + "/all"},
		{Name: "troubled", URL: r.URL + "/troubled",
			Filters: parse(`{"conditions": [{"path": "data.status", "operator": "in", "values": ["Error", "Warning"]}]}`)},
		{Name: "aws", URL: r.URL + "/aws",
			Filters: parse(`{"conditions": [{"path": "data.type", "operator": "eq", "values": ["AWS"]}]}`)},
		{Name: "orders", URL: r.URL + "/orders", Filters: filter.Must(filter.New(filter.In("data.id", "int-pg-orders-eu")))},
		{Name: "active-k8s", URL: r.URL + "/active-k8s", Filters: filter.Must(filter.New(filter.All(
			filter.Eq("data.status", "Active"), filter.Eq("data.type", "Kubernetes"))))},
	}
	tenant := d.Tenant("acme")
	for _, w := range hooks {
		w.Active, w.Triggers, w.BodyTemplate = true, integration.Triggers(), readTemplate(t, "every-issue.json.hbs")
		_, err := tenant.Create(ctx, w, "dana")
		require.NoError(t, err, w.Name)
	}
	for _, e := range integration.Mocks() {
		_, err := tenant.Publish(ctx, e)
		require.NoError(t, err)
	}
	// 3 + 2 + 1 + 1 + 1 deliveries; the other 7 pairs are filtered.
	got, err := r.Wait(ctx, 8)
	require.NoError(t, err)
	d.WaitFinal(15)

	byPath := map[string][]integration.Event{}
	for _, req := range got {
		var ev integration.Event
		require.NoError(t, json.Unmarshal([]byte(req.Body), &struct {
			*integration.Event
			EventTime json.Number `json:"event_time"` // the template quotes it, as Apono's does
		}{Event: &ev}), req.Body)
		byPath[req.Path] = append(byPath[req.Path], ev)
	}
	statuses := func(path string) []string {
		var out []string
		for _, ev := range byPath[path] {
			out = append(out, ev.Data.Status)
		}
		return out
	}
	require.ElementsMatch(t, []string{"Error", "Warning", "Active"}, statuses("/all"))
	require.ElementsMatch(t, []string{"Error", "Warning"}, statuses("/troubled"))
	require.Equal(t, []string{"Warning"}, statuses("/aws"))
	require.Equal(t, []string{"Error"}, statuses("/orders"))
	require.Equal(t, []string{"Active"}, statuses("/active-k8s"))

	// What each receiver decoded is what the event held, down to the
	// quotes, backslashes, newlines and non-ASCII names.
	for _, ev := range byPath["/all"] {
		want, ok := integration.Mock(ev.EventType)
		require.True(t, ok)
		var orig integration.Event
		require.NoError(t, want.Decode(&orig))
		require.Equal(t, orig.Data, ev.Data)
	}
	filtered := 0
	for _, inv := range d.Recorded() {
		if inv.Outcome == webhook.Filtered {
			filtered++
		}
	}
	require.Equal(t, 7, filtered)
}

func TestTestSendsTheKindsMock(t *testing.T) {
	ctx := context.Background()
	d := webhooktest.NewDispatcher(t, webhook.WithEventKind(integration.Kind()))
	r := webhooktest.NewReceiver()
	t.Cleanup(r.Close)
	tenant := d.Tenant("acme")
	w, err := tenant.Create(ctx, webhook.Webhook{Name: "warn", Active: true, URL: r.URL + "/warn",
		Triggers: []event.Trigger{integration.Warning}}, "dana")
	require.NoError(t, err)

	var mock *event.Event
	for _, et := range tenant.EventTypes() {
		if et.Trigger == integration.Warning {
			require.Same(t, integration.Schema(), et.Schema)
			mock = et.Mock
		}
	}
	require.NotNil(t, mock)
	inv, err := tenant.Test(ctx, w.ID, mock)
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	inv, err = d.Test(ctx, w, integration.Warning)
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	got, err := r.Wait(ctx, 2)
	require.NoError(t, err)
	for _, req := range got {
		require.JSONEq(t, string(mock.JSON()), req.Body, "no template: the event as it is")
	}
}

// Apono's integration-webhook guide shows a body template whose issue
// fields read data.issues.status and data.issues.message: paths through
// the array with no index, which Handlebars renders as empty strings. It
// renders so here too, but registration checks paths against the schema
// and refuses it, pointing at the element's fields; the template written
// with each renders every issue.
func TestAponoGuideTemplate(t *testing.T) {
	src := readTemplate(t, "apono-guide.json.hbs")
	rendered := webhooktest.Render(t, webhook.Webhook{Name: "apono-guide", Triggers: integration.Triggers(), BodyTemplate: src},
		webhooktest.Events(integration.Mocks()...), webhooktest.Schema(nil), webhooktest.Golden("testdata/golden"))
	require.Len(t, rendered, 3)
	for _, r := range rendered {
		var body struct {
			Data struct{ Issues []map[string]string }
		}
		require.NoError(t, json.Unmarshal(r.Body, &body))
		require.Equal(t, []map[string]string{{"status": "", "message": ""}}, body.Data.Issues)
	}

	d := webhooktest.NewDispatcher(t, webhook.WithEventKind(integration.Kind()))
	err := d.Tenant("acme").Validate(webhook.Webhook{Name: "apono-guide", URL: "http://127.0.0.1:9/x", Triggers: integration.Triggers(), BodyTemplate: src})
	var defs webhook.DefinitionErrors
	require.ErrorAs(t, err, &defs)
	require.ErrorIs(t, err, template.ErrUnknownField)
	require.Len(t, defs, 2)
	require.Equal(t, [2]int{11, 22}, [2]int{defs[0].Line, defs[0].Column})
	require.ErrorContains(t, defs[0], "did you mean data.issues[].status")
	require.ErrorContains(t, defs[1], "did you mean data.issues[].message")

	webhooktest.Render(t, webhook.Webhook{Name: "every-issue", Triggers: integration.Triggers(), BodyTemplate: readTemplate(t, "every-issue.json.hbs")},
		webhooktest.Events(integration.Mocks()...), webhooktest.Schema(integration.Schema()), webhooktest.Strict(), webhooktest.Golden("testdata/golden"))
}

// The filters form's dimension keys name access-request paths
// (integration_types is data.access_groups[].integration.type), which an
// integration event does not have: registration says so rather than
// letting the webhook silently receive nothing.
func TestAccessRequestDimensionsRefused(t *testing.T) {
	d := webhooktest.NewDispatcher(t, webhook.WithEventKind(integration.Kind()))
	f, err := filter.Parse([]byte(`{"integration_types": ["AWS"]}`))
	require.NoError(t, err)
	err = d.Tenant("acme").Validate(webhook.Webhook{Name: "aws", URL: "http://127.0.0.1:9/x", Triggers: integration.Triggers(), Filters: f})
	require.ErrorIs(t, err, webhook.ErrInvalidFilter)
	require.ErrorContains(t, err, "data.access_groups[].integration.type")
}
