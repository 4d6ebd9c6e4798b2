package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/console"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/integration"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// TestEachKindHasItsOwnForm serves integration events beside access
// requests: Add Webhook offers both, and the integration form offers its
// triggers, schema and mock, and conditions rather than the access-request
// dimensions.
func TestEachKindHasItsOwnForm(t *testing.T) {
	receiver := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Body: `{"ok":true}`}))
	defer receiver.Close()
	d, err := webhook.New(
		webhook.WithEventKind(integration.Kind()),
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
	)
	require.NoError(t, err)
	defer d.Close(context.Background())
	h, err := console.New(d, func(*http.Request) (string, string, error) { return "acme", "admin", nil })
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(path string) string {
		res, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		defer res.Body.Close()
		var b strings.Builder
		_, _ = readBody(&b, res)
		require.Equal(t, http.StatusOK, res.StatusCode, b.String())
		return b.String()
	}

	chooser := get("/webhooks/new")
	require.Contains(t, chooser, "Request Webhook")
	require.Contains(t, chooser, `href="/webhooks/new?kind=integration"`)
	require.Contains(t, chooser, "Integration Webhook")

	page := get("/webhooks/new?kind=integration")
	require.Contains(t, page, "Integration Webhook Name")
	require.Contains(t, page, `value="IntegrationError"`)
	require.NotContains(t, page, `value="RequestCreated"`, "only the kind's triggers")
	require.NotContains(t, page, `name="approval"`, "no access-request dimensions")
	require.Contains(t, page, `<option value="integration_status">Status</option>`, "the kind's own dimensions")
	require.Contains(t, page, "<code>data.issues[].message</code>")

	form := url.Values{
		"kind": {"integration"}, "name": {"integration-alerts"}, "active": {"on"}, "method": {"POST"},
		"url": {receiver.URL + "/alerts"}, "triggers": {"IntegrationError", "IntegrationWarning"},
		"body_template":         {`{"text": "{{data.name}} is {{data.status}}"}`},
		"conditions.0.path":     {"data.type"},
		"conditions.0.operator": {"eq"},
		"conditions.0.values":   {"postgresql"},
		"filters.0.dimension":   {"integration_status"},
		"filters.0.values":      {"Error\nWarning"},
		"mock_trigger":          {"IntegrationError"},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.PostForm(srv.URL+"/webhooks/new", form)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	list, err := d.Tenant("acme").List(context.Background(), defstoreList())
	require.NoError(t, err)
	require.Len(t, list.Webhooks, 1)
	stored, _ := list.Webhooks[0].Filters.Filters()
	require.Equal(t, []filter.Condition{
		{Path: "data.status", Operator: filter.OpIn, Values: []any{"Error", "Warning"}},
		{Path: "data.type", Operator: filter.OpEq, Values: []any{"postgresql"}},
	}, stored.Conditions, "a dimension row is a condition")
	edit := get("/webhooks/" + list.Webhooks[0].ID)
	require.Contains(t, edit, "Integration Webhook Name", "the kind follows the triggers")
	require.Contains(t, edit, `value="data.type"`)
	require.Contains(t, edit, `<option value="integration_status" selected>Status</option>`, "shown as its row again")

	// Sent back unchanged, the filter stays as it was.
	res, err = client.PostForm(srv.URL+"/webhooks/"+list.Webhooks[0].ID, formOfPage(t, edit))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	after, err := d.Tenant("acme").Get(context.Background(), list.Webhooks[0].ID)
	require.NoError(t, err)
	again, _ := after.Filters.Filters()
	require.Equal(t, stored.Conditions, again.Conditions)

	req, err := http.NewRequest(http.MethodPost, srv.URL+"/test", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Console-Fragment", "1")
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var b strings.Builder
	_, _ = readBody(&b, res)
	require.Contains(t, b.String(), "Test successful")
	require.Contains(t, b.String(), "<dt>Event</dt><dd>IntegrationError", "the kind's mock was sent")
	reqs := receiver.Requests()
	require.Contains(t, reqs[len(reqs)-1].Body, `"text"`)
}

// TestAWebhookMayRunAnActionOfTheService offers the service's actions as
// the target of a webhook instead of a URL, and Test runs the action.
func TestAWebhookMayRunAnActionOfTheService(t *testing.T) {
	var ran atomic.Int32
	d, err := webhook.New(webhook.WithAction("list_pagerduty_incidents", func(ctx context.Context, req *webhook.ActionRequest) (*webhook.ActionResponse, error) {
		ran.Add(1)
		return &webhook.ActionResponse{Body: []byte(`{"incidents": [{"status": "acknowledged"}]}`)}, nil
	}))
	require.NoError(t, err)
	defer d.Close(context.Background())
	h, err := console.New(d, func(*http.Request) (string, string, error) { return "acme", "admin", nil })
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/webhooks/new?kind=request")
	require.NoError(t, err)
	var page strings.Builder
	_, _ = readBody(&page, res)
	res.Body.Close()
	require.Contains(t, page.String(), `<option>list_pagerduty_incidents</option>`)

	form := url.Values{
		"kind": {"request"}, "name": {"pagerduty-gate"}, "method": {"POST"},
		"target": {"action"}, "action": {"list_pagerduty_incidents"}, "url": {"https://ignored.example/"},
		"triggers":            {"RequestCreated"},
		"validators.0.kind":   {"json_path"},
		"validators.0.path":   {"$.incidents[0].status"},
		"validators.0.values": {"acknowledged"},
		"mock_trigger":        {"RequestCreated"},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err = client.PostForm(srv.URL+"/webhooks/new", form)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	list, err := d.Tenant("acme").List(context.Background(), defstoreList())
	require.NoError(t, err)
	require.Len(t, list.Webhooks, 1)
	require.Equal(t, "list_pagerduty_incidents", list.Webhooks[0].Action)
	require.Empty(t, list.Webhooks[0].URL, "an action has no URL")

	res, err = http.Get(srv.URL + "/webhooks/" + list.Webhooks[0].ID)
	require.NoError(t, err)
	page.Reset()
	_, _ = readBody(&page, res)
	res.Body.Close()
	require.Contains(t, page.String(), `id="target-action" name="target" value="action" checked`)

	req, err := http.NewRequest(http.MethodPost, srv.URL+"/test", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Console-Fragment", "1")
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	page.Reset()
	_, _ = readBody(&page, res)
	res.Body.Close()
	require.Contains(t, page.String(), "Test successful")
	require.Equal(t, int32(1), ran.Load())
}
