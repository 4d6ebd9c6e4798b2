package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/console"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// gateSite saves a webhook that sends a header secret and a body secret,
// and returns its id and the site.
func gateSite(t *testing.T, opts ...console.Option) (*site, string) {
	t.Helper()
	s := newSite(t, opts...)
	form := s.torqForm("pagerduty-gate", "gate-h3ader-token")
	form.Set("body_template", `{"event": "{{event_type}}", "key": "{{secrets.routing_key}}"}`)
	form.Set("secrets.0.key", "routing_key")
	form.Set("secrets.0.value", "gate-b0dy-secret")
	form.Del("filters.0.dimension")
	form.Del("filters.0.values")
	form.Del("conditions.3.path")
	form.Del("conditions.3.operator")
	form.Del("conditions.3.values")
	status, _, body := s.do(t, "acme", http.MethodPost, "/webhooks/new", form)
	require.Equal(t, http.StatusSeeOther, status, body)
	page, err := s.d.Tenant("acme").List(context.Background(), webhookListAll)
	require.NoError(t, err)
	require.Len(t, page.Webhooks, 1)
	return s, page.Webhooks[0].ID
}

func TestTheGateButtonCallsTheSavedWebhook(t *testing.T) {
	s, id := gateSite(t)

	status, _, edit := s.do(t, "acme", http.MethodGet, "/webhooks/"+id, nil)
	require.Equal(t, http.StatusOK, status)
	requireIn(t, edit, `id="gate-button"`)
	requireIn(t, edit, `formaction="/console/webhooks/`+id+`/gate"`)
	_, _, fresh := s.do(t, "acme", http.MethodGet, "/webhooks/new?kind=request", nil)
	requireNotIn(t, fresh, `id="gate-button"`, "a webhook not saved yet has no gate to call")

	// Without the page's script: the whole page again, with the decision.
	form := formOfPage(t, edit)
	form.Set("mock_trigger", "RequestApproved")
	status, _, page := s.do(t, "acme", http.MethodPost, "/webhooks/"+id+"/gate", form)
	require.Equal(t, http.StatusOK, status, page)
	requireIn(t, page, "Gate passed")
	requireIn(t, page, "View Invocation Data")
	requireIn(t, page, `id="gate-button"`)
	requireIn(t, page, `<option value="RequestApproved" selected>`, "the mock chosen stays chosen")
	requireNotIn(t, page, "gate-h3ader-token")
	requireNotIn(t, page, "gate-b0dy-secret")

	reqs := s.receiver.Requests()
	require.Len(t, reqs, 1)
	require.Equal(t, "Bearer gate-h3ader-token", reqs[0].Header.Get("Authorization"))
	var sent struct{ Event, Key string }
	require.NoError(t, json.Unmarshal([]byte(reqs[0].Body), &sent))
	require.Equal(t, "RequestApproved", sent.Event, "the chosen mock event")
	require.Equal(t, "gate-b0dy-secret", sent.Key)

	// With the script: the console's own fragment.
	status, _, frag := s.do(t, "acme", http.MethodPost, "/webhooks/"+id+"/gate", form, "X-Console-Fragment", "1")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, frag, "Gate passed")
	require.NotContains(t, frag, "<html")
	require.NotContains(t, frag, "gate-h3ader-token")
	require.NotContains(t, frag, "gate-b0dy-secret")
	require.Len(t, s.receiver.Requests(), 2)
}

func TestAGateRefusedSaysWhy(t *testing.T) {
	s, id := gateSite(t)
	w, err := s.d.Tenant("acme").Get(context.Background(), id)
	require.NoError(t, err)
	_, err = s.d.Tenant("acme").SetActive(context.Background(), id, false, w.Version, "admin@acme")
	require.NoError(t, err)

	_, _, edit := s.do(t, "acme", http.MethodGet, "/webhooks/"+id, nil)
	status, _, frag := s.do(t, "acme", http.MethodPost, "/webhooks/"+id+"/gate", formOfPage(t, edit), "X-Console-Fragment", "1")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, frag, "Gate refused")
	require.Contains(t, frag, "inactive")
	require.Empty(t, s.receiver.Requests(), "an inactive gate is not called")
}

func TestTheGateButtonIsGuardedAsTheOtherForms(t *testing.T) {
	s, id := gateSite(t)
	form := s.torqForm("pagerduty-gate", "")
	for _, c := range []struct {
		tenant string
		header []string
		want   int
	}{
		{"", nil, http.StatusUnauthorized},
		{"banned", nil, http.StatusForbidden},
		{"other", nil, http.StatusNotFound},
		{"acme", []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"acme", []string{"Origin", "https://evil.example"}, http.StatusForbidden},
	} {
		status, _, body := s.do(t, c.tenant, http.MethodPost, "/webhooks/"+id+"/gate", form, c.header...)
		require.Equal(t, c.want, status, "%s %v", c.tenant, c.header)
		require.NotContains(t, body, "gate-h3ader-token")
	}
	status, _, _ := s.do(t, "acme", http.MethodPost, "/webhooks/no-such-id/gate", form)
	require.Equal(t, http.StatusNotFound, status)
	form.Set("mock_trigger", "NoSuchTrigger")
	status, _, body := s.do(t, "acme", http.MethodPost, "/webhooks/"+id+"/gate", form, "X-Console-Fragment", "1")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `event type &#34;NoSuchTrigger&#34; has no mock event`)
	require.Empty(t, s.receiver.Requests(), "no call was made for any of them")
}

func TestGateAndTestShareTheTestRate(t *testing.T) {
	s, id := gateSite(t, console.WithTestRate(1, time.Hour))
	form := s.torqForm("pagerduty-gate", "")
	_, _, frag := s.do(t, "acme", http.MethodPost, "/webhooks/"+id+"/gate", form, "X-Console-Fragment", "1")
	require.Contains(t, frag, "Gate passed")
	_, _, frag = s.do(t, "acme", http.MethodPost, "/webhooks/"+id+"/gate", form, "X-Console-Fragment", "1")
	require.Contains(t, frag, "Too many tests; try again in")
	_, _, frag = s.do(t, "acme", http.MethodPost, "/test", form, "X-Console-Fragment", "1")
	require.Contains(t, frag, "Too many tests; try again in")
	require.Len(t, s.receiver.Requests(), 1)
}

// requireIn and requireNotIn check a whole page without printing it.
func requireIn(t *testing.T, page, want string, why ...string) {
	t.Helper()
	require.True(t, strings.Contains(page, want), "the page lacks %q %s", want, strings.Join(why, ""))
}

func requireNotIn(t *testing.T, page, unwanted string, why ...string) {
	t.Helper()
	require.False(t, strings.Contains(page, unwanted), "the page holds %q %s", unwanted, strings.Join(why, ""))
}

// TestTheGateButtonKeepsStoredSecretsOnTheirPath calls, with the mock of
// a trigger the webhook does not have, a webhook whose URL is templated
// over the event: that mock is another request, with another path, and
// the form's user chose it, so the stored header is not sent there.
func TestTheGateButtonKeepsStoredSecretsOnTheirPath(t *testing.T) {
	s := newSite(t)
	w, err := s.d.Tenant("acme").Create(context.Background(), webhook.Webhook{
		Name: "torq-gate", Active: true, URL: s.receiver.URL + "/v1/webhooks/{{data.friendly_id}}",
		Headers:  map[string]string{"Authorization": "Bearer gate-h3ader-token"},
		Triggers: []event.Trigger{accessrequest.Created},
	}, "admin@acme")
	require.NoError(t, err)

	_, _, edit := s.do(t, "acme", http.MethodGet, "/webhooks/"+w.ID, nil)
	form := formOfPage(t, edit)
	form.Set("mock_trigger", string(accessrequest.Expired))
	status, _, frag := s.do(t, "acme", http.MethodPost, "/webhooks/"+w.ID+"/gate", form, "X-Console-Fragment", "1")
	require.Equal(t, http.StatusOK, status)
	requireIn(t, frag, "Gate refused")
	requireIn(t, frag, "mock event of the webhook")
	requireNotIn(t, frag, "gate-h3ader-token")
	require.Empty(t, s.receiver.Requests(), "the stored header went nowhere")

	// The mock of its own trigger renders the path it was stored for.
	form.Set("mock_trigger", string(accessrequest.Created))
	_, _, frag = s.do(t, "acme", http.MethodPost, "/webhooks/"+w.ID+"/gate", form, "X-Console-Fragment", "1")
	requireIn(t, frag, "Gate passed")
	reqs := s.receiver.Requests()
	require.Len(t, reqs, 1)
	require.Equal(t, "Bearer gate-h3ader-token", reqs[0].Header.Get("Authorization"))
}
