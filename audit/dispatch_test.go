package audit_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/audit"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/internal/testkit/sharedtest"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

func readTemplate(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return string(b)
}

// Every mock event reaches the webhooks whose filters take it, and the
// objects a template writes in value position arrive as the event held
// them: nulls, empty lists, hostile strings and all.
func TestDispatchAuditEvents(t *testing.T) {
	ctx := context.Background()
	d := webhooktest.NewDispatcher(t, webhook.WithEventKind(audit.Kind()))
	r := webhooktest.NewReceiver()
	t.Cleanup(r.Close)
	hooks := []webhook.Webhook{
		{Name: "all", URL: r.URL + "/all"},
		{Name: "terraform", URL: r.URL + "/terraform", Filters: filter.Must(filter.New(filter.Eq("data.source", "Terraform")))},
		{Name: "deletions", URL: r.URL + "/deletions", Filters: filter.Must(filter.New(filter.Eq("data.action", "deleted")))},
		// A path into an open object: any member may be named.
		{Name: "lost-k8s", URL: r.URL + "/lost-k8s", Filters: filter.Must(filter.New(filter.Eq("data.previous_target_object.type", "Kubernetes")))},
	}
	tenant := d.Tenant("acme")
	for _, w := range hooks {
		w.Active, w.Triggers, w.BodyTemplate = true, audit.Triggers(), readTemplate(t, "objects.json.hbs")
		_, err := tenant.Create(ctx, w, "dana")
		require.NoError(t, err, w.Name)
	}
	for _, e := range audit.Mocks() {
		_, err := tenant.Publish(ctx, e)
		require.NoError(t, err)
	}
	got, err := r.Wait(ctx, 3+1+1+1)
	require.NoError(t, err)
	d.WaitFinal(12)

	texts := map[string][]string{}
	for _, req := range got {
		body := sharedtest.DecodeExact(t, []byte(req.Body)).(map[string]any)
		texts[req.Path] = append(texts[req.Path], body["text"].(string))
	}
	require.ElementsMatch(t, []string{
		"Zoë Åkesson-Nakamura created access flow Prod DB \"break-glass\" C:\\oncall\nEU via web application",
		"Terraform · plateforme-données updated bundle Data engineering starter via Terraform",
		"CI deploy key deleted integration k8s-staging-東京 via API",
	}, texts["/all"])
	require.Equal(t, []string{"Terraform · plateforme-données updated bundle Data engineering starter via Terraform"}, texts["/terraform"])
	require.Equal(t, []string{"CI deploy key deleted integration k8s-staging-東京 via API"}, texts["/deletions"])
	require.Equal(t, texts["/deletions"], texts["/lost-k8s"])

	// The objects decode to the event's, digit for digit.
	for _, req := range got {
		if req.Path != "/all" {
			continue
		}
		body := sharedtest.DecodeExact(t, []byte(req.Body)).(map[string]any)
		var match map[string]any
		for _, e := range audit.Mocks() {
			data := sharedtest.DecodeExact(t, e.JSON()).(map[string]any)["data"].(map[string]any)
			if data["timestamp"] == body["timestamp"] {
				match = data
			}
		}
		require.NotNil(t, match, "timestamp %v", body["timestamp"])
		require.Equal(t, match["metadata"], body["metadata"])
		require.Equal(t, match["previous_target_object"], body["before"])
		require.Equal(t, match["current_target_object"], body["after"])
	}
}

func TestTestSendsTheAuditMock(t *testing.T) {
	ctx := context.Background()
	d := webhooktest.NewDispatcher(t, webhook.WithEventKind(audit.Kind()))
	r := webhooktest.NewReceiver()
	t.Cleanup(r.Close)
	tenant := d.Tenant("acme")
	w, err := tenant.Create(ctx, webhook.Webhook{Name: "audit", Active: true, URL: r.URL + "/audit",
		Triggers: audit.Triggers(), BodyTemplate: readTemplate(t, "apono-guide.json.hbs")}, "dana")
	require.NoError(t, err)
	for _, et := range tenant.EventTypes() {
		if et.Trigger != audit.Recorded {
			continue
		}
		require.Same(t, audit.Schema(), et.Schema)
		inv, err := tenant.Test(ctx, w.ID, et.Mock)
		require.NoError(t, err)
		require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
		got, err := r.Wait(ctx, 1)
		require.NoError(t, err)
		var body struct{ Data map[string]string }
		require.NoError(t, json.Unmarshal([]byte(got[0].Body), &body), got[0].Body)
		require.Equal(t, "Prod DB \"break-glass\" C:\\oncall\nEU", body.Data["target_name"])
		return
	}
	t.Fatal("AuditRecorded is not listed")
}

// Apono's audit-webhook guide quotes every value, the objects included:
// as in Handlebars, an object written inside a string is [object Object]
// and a null one nothing. The template registers, and renders so.
func TestAponoGuideTemplate(t *testing.T) {
	rendered := webhooktest.Render(t, webhook.Webhook{Name: "apono-guide", Triggers: audit.Triggers(), BodyTemplate: readTemplate(t, "apono-guide.json.hbs")},
		webhooktest.Events(audit.Mocks()...), webhooktest.Schema(audit.Schema()), webhooktest.Strict(), webhooktest.Golden("testdata/golden"))
	require.Len(t, rendered, 3)
	var first struct{ Data map[string]string }
	require.NoError(t, json.Unmarshal(rendered[0].Body, &first))
	require.Equal(t, "[object Object]", first.Data["metadata"])
	require.Equal(t, "[object Object]", first.Data["current_target_object"])
	require.Equal(t, "", first.Data["previous_target_object"])
	require.Equal(t, "1774620010.981002114", first.Data["timestamp"])

	webhooktest.Render(t, webhook.Webhook{Name: "objects", Triggers: audit.Triggers(), BodyTemplate: readTemplate(t, "objects.json.hbs")},
		webhooktest.Events(audit.Mocks()...), webhooktest.Schema(audit.Schema()), webhooktest.Golden("testdata/golden"))
}
