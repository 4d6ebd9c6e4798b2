package webhook_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/template"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// invoiceKind is a kind of the service's own, served as Apono's other
// kinds are.
func invoiceKind(t *testing.T) event.Kind {
	t.Helper()
	schema, err := event.NewSchema(
		event.SchemaField{Path: "event_type", Type: "string", Description: "The trigger."},
		event.SchemaField{Path: "event_time", Type: "number", Description: "When."},
		event.SchemaField{Path: "data", Type: "object", Description: "The invoice."},
		event.SchemaField{Path: "data.number", Type: "string", Description: "Its number."},
		event.SchemaField{Path: "data.amount", Type: "number", Description: "Its amount."},
	)
	require.NoError(t, err)
	paid, err := event.New("invoice.paid", map[string]any{"number": "INV-\"7\"\n\\", "amount": 12.5}, event.WithTime(ts(t, "1774612203.5")))
	require.NoError(t, err)
	return event.Kind{Name: "invoice", Triggers: []event.Trigger{"invoice.paid", "invoice.voided"}, Schema: schema, Mocks: []*event.Event{paid}}
}

func ts(t *testing.T, s string) event.Timestamp {
	t.Helper()
	v, err := event.ParseTimestamp(s)
	require.NoError(t, err)
	return v
}

func TestEventKindIsServed(t *testing.T) {
	kind := invoiceKind(t)
	d := webhooktest.NewDispatcher(t, webhook.WithEventKind(kind))
	r := webhooktest.NewReceiver()
	t.Cleanup(r.Close)

	// Listed with its schema and mock, beside the access-request triggers.
	byTrigger := map[event.Trigger]webhook.EventType{}
	for _, et := range d.Tenant("acme").EventTypes() {
		byTrigger[et.Trigger] = et
	}
	require.Len(t, byTrigger, 8)
	require.Same(t, kind.Schema, byTrigger["invoice.paid"].Schema)
	require.Same(t, kind.Mocks[0], byTrigger["invoice.paid"].Mock)
	require.Same(t, kind.Schema, byTrigger["invoice.voided"].Schema)
	require.Nil(t, byTrigger["invoice.voided"].Mock, "a trigger without a mock event has none")
	require.Equal(t, "invoice", byTrigger["invoice.voided"].Kind)
	for _, tr := range accessrequest.Triggers() {
		require.Same(t, accessrequest.Schema(), byTrigger[tr].Schema)
		require.NotNil(t, byTrigger[tr].Mock)
		require.Equal(t, "access request", byTrigger[tr].Kind)
	}

	// Registration checks templates and filters against the kind's schema.
	w := webhook.Webhook{Name: "invoices", Active: true, URL: r.URL + "/inv", Triggers: []event.Trigger{"invoice.paid"},
		BodyTemplate: `{"text": "{{data.numbr}}"}`}
	err := d.Tenant("acme").Validate(w)
	require.ErrorIs(t, err, template.ErrUnknownField)
	require.ErrorContains(t, err, "data.number")
	w.BodyTemplate = `{"text": "Invoice {{data.number}} paid", "amount": {{data.amount}}}`
	w.Filters = filter.Must(filter.New(filter.Eq("data.requester.id", "x")))
	require.ErrorIs(t, d.Tenant("acme").Validate(w), webhook.ErrInvalidFilter)
	w.Filters = filter.Must(filter.New(filter.Gte("data.amount", 10)))
	saved, err := d.Tenant("acme").Create(context.Background(), w, "dana")
	require.NoError(t, err)

	// Test sends the kind's mock, escaped for JSON.
	inv, err := d.Tenant("acme").Test(context.Background(), saved.ID, byTrigger["invoice.paid"].Mock)
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome)
	inv, err = d.Test(context.Background(), w, "invoice.paid")
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome)
	_, err = d.Test(context.Background(), w, "invoice.voided")
	require.ErrorContains(t, err, "no mock event")
	got, err := r.Wait(context.Background(), 2)
	require.NoError(t, err)
	for _, req := range got {
		var body struct {
			Text   string      `json:"text"`
			Amount json.Number `json:"amount"`
		}
		require.NoError(t, json.Unmarshal([]byte(req.Body), &body), req.Body)
		require.Equal(t, "Invoice INV-\"7\"\n\\ paid", body.Text)
		require.Equal(t, json.Number("12.5"), body.Amount)
	}
}

func TestEventKindRefused(t *testing.T) {
	ar, _ := accessrequest.Mock(accessrequest.Created)
	tests := []struct {
		name string
		kind event.Kind
		says string
	}{
		{"no triggers", event.Kind{Name: "empty"}, `kind "empty" has no triggers`},
		{"empty trigger", event.Kind{Name: "k", Triggers: []event.Trigger{"a", ""}}, "empty trigger"},
		{"nil mock", event.Kind{Name: "k", Triggers: []event.Trigger{"a"}, Mocks: []*event.Event{nil}}, "mock event 0 is nil"},
		{"foreign mock", event.Kind{Name: "k", Triggers: []event.Trigger{"a"}, Mocks: []*event.Event{ar}}, `mock event 0 is of type "RequestCreated"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := webhook.New(webhook.WithEventKind(tt.kind))
			var ce *webhook.ConfigError
			require.ErrorAs(t, err, &ce)
			require.ErrorIs(t, err, webhook.ErrInvalidConfig)
			require.Equal(t, "WithEventKind", ce.Option)
			require.ErrorContains(t, err, tt.says)
		})
	}
}

func TestEventTypeKeepsTheKindsMock(t *testing.T) {
	d := webhooktest.NewDispatcher(t, webhook.WithEventType(accessrequest.Granted, nil), webhook.WithEventType("invoice.paid", nil))
	for _, et := range d.Tenant("").EventTypes() {
		if et.Trigger == "invoice.paid" {
			require.Empty(t, et.Kind, "declared alone, of no kind")
			require.Nil(t, et.Mock)
		}
	}
	for _, et := range d.Tenant("").EventTypes() {
		if et.Trigger == accessrequest.Granted {
			require.Nil(t, et.Schema)
			require.Equal(t, "access request", et.Kind)
			want, _ := accessrequest.Mock(accessrequest.Granted)
			require.Same(t, want, et.Mock)
			return
		}
	}
	t.Fatal("RequestGranted is not listed")
}
