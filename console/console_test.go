package console_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/console"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// site is a console mounted under /console/ of a test server, with the
// tenant read from the X-Tenant header.
type site struct {
	d        *webhook.Dispatcher
	srv      *httptest.Server
	receiver *webhooktest.Receiver
	client   *http.Client
}

func newSite(t *testing.T, opts ...console.Option) *site {
	t.Helper()
	receiver := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{
		Body:   `{"status":"ok","echo":"<script>alert(1)</script>"}`,
		Header: http.Header{"Content-Type": {"application/json"}},
	}))
	t.Cleanup(receiver.Close)
	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
	)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	tenantOf := func(r *http.Request) (string, string, error) {
		switch r.Header.Get("X-Tenant") {
		case "":
			return "", "", manage.ErrUnauthenticated
		case "banned":
			return "", "", manage.ErrForbidden
		case "broken":
			return "", "", errors.New("the session store is down")
		}
		return r.Header.Get("X-Tenant"), "admin@" + r.Header.Get("X-Tenant"), nil
	}
	h, err := console.New(d, tenantOf, opts...)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/console/", http.StripPrefix("/console", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &site{d: d, srv: srv, receiver: receiver, client: client}
}

// do sends a request as tenant and returns the status, the Location and
// the body.
func (s *site) do(t *testing.T, tenant, method, path string, form url.Values, header ...string) (int, string, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.srv.URL+"/console"+path, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if tenant != "" {
		req.Header.Set("X-Tenant", tenant)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := s.client.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, res.Header.Get("Location"), string(b)
}

// torqForm is the form of a webhook as the editor sends it.
func (s *site) torqForm(name, token string) url.Values {
	return url.Values{
		"name":                  {name},
		"active":                {"on"},
		"method":                {"POST"},
		"url":                   {s.receiver.URL + "/v1/webhooks/abc/"},
		"body_template":         {`{"body": {"event": "New Apono {{event_type}} request made by {{data.requester.name}}"}}`},
		"triggers":              {"RequestCreated", "RequestApproved"},
		"headers.0.key":         {"Authorization"},
		"headers.0.value":       {"Bearer " + token},
		"validators.0.path":     {"$.data.status"},
		"validators.0.values":   {"ok"},
		"timeout_in_sec":        {"10"},
		"mock_trigger":          {"RequestCreated"},
		"filters.0.dimension":   {"integration_types"},
		"filters.0.values":      {"Postgresql\nMysql"},
		"conditions.3.path":     {"data.requester.email"},
		"conditions.3.operator": {"suffix"},
		"conditions.3.values":   {"@acme-corp.example"},
	}
}

func TestFormSavesEveryFieldAndKeepsTheMaskedSecret(t *testing.T) {
	s := newSite(t)
	status, loc, body := s.do(t, "acme", http.MethodPost, "/webhooks/new", s.torqForm("torq", "s3cr3t-token"))
	require.Equal(t, http.StatusSeeOther, status, body)
	require.True(t, strings.HasPrefix(loc, "/console/?done=created"), "the redirect stays under the prefix: %s", loc)

	page, err := s.d.Tenant("acme").List(context.Background(), webhookListAll)
	require.NoError(t, err)
	require.Len(t, page.Webhooks, 1)
	w := page.Webhooks[0]
	require.Equal(t, "torq", w.Name)
	require.True(t, w.Active)
	require.Equal(t, 10, w.TimeoutInSec)
	require.Equal(t, []event.Trigger{"RequestCreated", "RequestApproved"}, w.Triggers)
	require.Equal(t, []webhook.ResponseValidator{{JSONPath: "$.data.status", ExpectedValues: []string{"ok"}}}, w.ResponseValidators)
	fs, ok := w.Filters.Filters()
	require.True(t, ok)
	require.Equal(t, []string{"Postgresql", "Mysql"}, fs.IntegrationTypes)
	require.Len(t, fs.Conditions, 1)
	require.NotContains(t, w.Headers["Authorization"], "s3cr3t-token", "the Tenant view masks it")

	// The edit page never shows the secret; sent back unchanged, it keeps it.
	status, _, edit := s.do(t, "acme", http.MethodGet, "/webhooks/"+w.ID, nil)
	require.Equal(t, http.StatusOK, status)
	require.NotContains(t, edit, "s3cr3t-token")
	require.Contains(t, edit, "Postgresql\nMysql")

	form := formOfPage(t, edit)
	form.Set("name", "torq-renamed")
	status, _, body = s.do(t, "acme", http.MethodPost, "/webhooks/"+w.ID, form)
	require.Equal(t, http.StatusSeeOther, status, body)
	inv, err := s.d.Tenant("acme").Test(context.Background(), w.ID, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	reqs := s.receiver.Requests()
	require.Equal(t, "Bearer s3cr3t-token", reqs[len(reqs)-1].Header.Get("Authorization"), "the stored secret was kept")
}

var webhookListAll = defstoreList()

func mustMock(t *testing.T, tr event.Trigger) *event.Event {
	t.Helper()
	e, ok := accessrequest.Mock(tr)
	require.True(t, ok)
	return e
}

func TestARefusedFormDoesNotSendATypedSecretBack(t *testing.T) {
	s := newSite(t)
	form := s.torqForm("bad name!", "fresh-s3cr3t")
	status, _, body := s.do(t, "acme", http.MethodPost, "/webhooks/new", form)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, body, "Please correct the following")
	require.Contains(t, body, "name")
	require.NotContains(t, body, "fresh-s3cr3t")
	require.Contains(t, body, "enter the header values")
	require.Contains(t, body, "New Apono {{event_type}}", "the rest of the form comes back")
}

func TestTemplateErrorsSayTheirLineAndColumn(t *testing.T) {
	s := newSite(t)
	form := url.Values{"body_template": {"{\n  \"a\": 1,\n  \"b\": {{#each data.access_groups}}\n}"}, "mock_trigger": {"RequestCreated"}}
	status, _, body := s.do(t, "acme", http.MethodPost, "/live/preview", form)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `"field":"body_template"`)
	require.Contains(t, body, `"line":3`)

	form.Set("body_template", `{"who": {{data.requester.name}}}`)
	_, _, body = s.do(t, "acme", http.MethodPost, "/live/preview", form)
	require.Contains(t, body, `"ok":true`)
	require.Contains(t, body, `\"who\"`)
}

func TestFilterExplanationAgainstTheMockEvent(t *testing.T) {
	s := newSite(t)
	form := url.Values{"filters.0.dimension": {"integration_types"}, "filters.0.values": {"AWS"}, "mock_trigger": {"RequestCreated"}}
	_, _, body := s.do(t, "acme", http.MethodPost, "/live/explain", form)
	require.Contains(t, body, `"matches":false`)
	require.Contains(t, body, "data.access_groups[].integration.type")
	form.Set("filters.0.values", "Postgresql")
	_, _, body = s.do(t, "acme", http.MethodPost, "/live/explain", form)
	require.Contains(t, body, `"matches":true`)
	form.Set("filters.0.values", "")
	_, _, body = s.do(t, "acme", http.MethodPost, "/live/explain", form)
	require.Contains(t, body, `"field":"filters[0]"`, "an empty row is an error naming the row")
}

func TestNothingFromADefinitionOrAResponseIsRenderedUnescaped(t *testing.T) {
	s := newSite(t)
	form := s.torqForm("torq", "tok")
	hostile := `{"x": "</textarea><script>alert(1)</script>"}`
	form.Set("body_template", hostile)
	form.Set("custom_validation_error_message", `"><img src=x onerror=alert(1)>`)
	form.Del("filters.0.dimension")
	form.Del("filters.0.values")
	form.Del("conditions.3.path")
	form.Del("conditions.3.operator")
	form.Del("conditions.3.values")
	status, _, body := s.do(t, "acme", http.MethodPost, "/webhooks/new", form)
	require.Equal(t, http.StatusSeeOther, status, body)
	page, err := s.d.Tenant("acme").List(context.Background(), webhookListAll)
	require.NoError(t, err)
	id := page.Webhooks[0].ID

	_, _, edit := s.do(t, "acme", http.MethodGet, "/webhooks/"+id, nil)
	require.NotContains(t, edit, "<script>alert")
	require.NotContains(t, edit, "<img src=x")
	require.Contains(t, edit, "&lt;/textarea&gt;&lt;script&gt;")

	// The receiver's answer echoes a script; the test panel shows it as text.
	form = formOfPage(t, edit)
	form.Set("mock_trigger", "RequestCreated")
	status, _, frag := s.do(t, "acme", http.MethodPost, "/test", form, "X-Console-Fragment", "1")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, frag, "Test successful")
	require.Contains(t, frag, "View Invocation Data")
	require.NotContains(t, frag, "<script>")
	require.Contains(t, frag, `&lt;script&gt;alert(1)&lt;/script&gt;`)
	require.NotContains(t, frag, "Bearer tok\"")

	_, _, inv := s.do(t, "acme", http.MethodGet, "/invocations", nil)
	require.NotContains(t, inv, "<script>alert")
}

func TestCrossOriginFormsAreRefused(t *testing.T) {
	s := newSite(t)
	status, _, _ := s.do(t, "acme", http.MethodPost, "/webhooks/new", s.torqForm("torq", "tok"), "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusForbidden, status)
	status, _, _ = s.do(t, "acme", http.MethodPost, "/webhooks/new", s.torqForm("torq", "tok"), "Origin", "https://evil.example")
	require.Equal(t, http.StatusForbidden, status)
	page, err := s.d.Tenant("acme").List(context.Background(), webhookListAll)
	require.NoError(t, err)
	require.Empty(t, page.Webhooks, "nothing was created")
}

func TestTheHostDecidesWhoMaySee(t *testing.T) {
	s := newSite(t, console.WithChallenge(`Bearer realm="webhooks"`))
	for tenant, want := range map[string]int{"": http.StatusUnauthorized, "banned": http.StatusForbidden, "broken": http.StatusInternalServerError} {
		status, _, body := s.do(t, tenant, http.MethodGet, "/", nil)
		require.Equal(t, want, status, tenant)
		require.NotContains(t, body, "session store", "the tenant function's error is logged, not shown")
	}
}

func TestATenantSeesNothingOfAnother(t *testing.T) {
	s := newSite(t)
	status, _, _ := s.do(t, "acme", http.MethodPost, "/webhooks/new", s.torqForm("torq-acme", "tok"))
	require.Equal(t, http.StatusSeeOther, status)
	page, err := s.d.Tenant("acme").List(context.Background(), webhookListAll)
	require.NoError(t, err)
	w := page.Webhooks[0]
	_, err = s.d.Tenant("acme").Test(context.Background(), w.ID, mustMock(t, accessrequest.Created))
	require.NoError(t, err)

	_, _, list := s.do(t, "globex", http.MethodGet, "/", nil)
	require.NotContains(t, list, "torq-acme")
	require.Contains(t, list, "No webhooks yet")
	status, _, _ = s.do(t, "globex", http.MethodGet, "/webhooks/"+w.ID, nil)
	require.Equal(t, http.StatusNotFound, status)
	status, _, _ = s.do(t, "globex", http.MethodPost, "/webhooks/"+w.ID+"/active", url.Values{"version": {"1"}, "active": {"false"}})
	require.Equal(t, http.StatusNotFound, status)
	status, _, _ = s.do(t, "globex", http.MethodPost, "/webhooks/"+w.ID+"/delete", url.Values{"version": {"1"}})
	require.Equal(t, http.StatusNotFound, status)
	_, _, inv := s.do(t, "globex", http.MethodGet, "/invocations?webhook="+w.ID, nil)
	require.NotContains(t, inv, "torq-acme")
	// A test of another tenant's webhook id does not borrow its secrets:
	// the id is no webhook of globex's, so no stored secret stands behind
	// the mask, and the test is refused naming the header rather than
	// sending the mask itself as the token.
	form := s.torqForm("torq-globex", "")
	form.Set("id", w.ID)
	form.Set("headers.0.value", page.Webhooks[0].Headers["Authorization"])
	before := len(s.receiver.Requests())
	_, _, frag := s.do(t, "globex", http.MethodPost, "/test", form, "X-Console-Fragment", "1")
	require.Contains(t, frag, "Test failed")
	require.Contains(t, frag, "headers.Authorization")
	require.Len(t, s.receiver.Requests(), before, "nothing is sent")

	got, err := s.d.Tenant("acme").Get(context.Background(), w.ID)
	require.NoError(t, err)
	require.True(t, got.Active, "globex's toggle did nothing")
}

func TestAStaleFormIsAConflictNotALostUpdate(t *testing.T) {
	s := newSite(t)
	s.do(t, "acme", http.MethodPost, "/webhooks/new", s.torqForm("torq", "tok"))
	page, _ := s.d.Tenant("acme").List(context.Background(), webhookListAll)
	id := page.Webhooks[0].ID
	_, _, edit := s.do(t, "acme", http.MethodGet, "/webhooks/"+id, nil)
	form := formOfPage(t, edit)
	_, err := s.d.Tenant("acme").SetActive(context.Background(), id, false, 0, "someone")
	require.NoError(t, err)
	form.Set("name", "mine")
	status, _, body := s.do(t, "acme", http.MethodPost, "/webhooks/"+id, form)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, body, "someone changed this webhook")
	got, _ := s.d.Tenant("acme").Get(context.Background(), id)
	require.Equal(t, "torq", got.Name)
	require.False(t, got.Active)
}

func TestPagesAnswerWithTheirSecurityHeaders(t *testing.T) {
	s := newSite(t)
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/console/", nil)
	req.Header.Set("X-Tenant", "acme")
	res, err := s.client.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Contains(t, res.Header.Get("Content-Security-Policy"), "script-src 'self'")
	require.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	require.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
	_, _, js := s.do(t, "acme", http.MethodGet, "/assets/console.js", nil)
	require.Contains(t, js, "use strict")
}

func TestSuccessRateAndLastOutcome(t *testing.T) {
	now := time.Now()
	s := newSite(t, console.WithClock(func() time.Time { return now }))
	form := s.torqForm("torq", "tok")
	for _, k := range []string{"filters.0.dimension", "filters.0.values", "conditions.3.path", "conditions.3.operator", "conditions.3.values"} {
		form.Del(k)
	}
	status, _, _ := s.do(t, "acme", http.MethodPost, "/webhooks/new", form)
	require.Equal(t, http.StatusSeeOther, status)
	for range 3 {
		_, err := s.d.Tenant("acme").Publish(context.Background(), mustMock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		p, err := s.d.Tenant("acme").Invocations(context.Background(), webhook.InvocationQuery{})
		return err == nil && len(p.Invocations) == 3
	}, 5*time.Second, 10*time.Millisecond)
	_, _, list := s.do(t, "acme", http.MethodGet, "/", nil)
	require.Contains(t, list, "100%")
	require.Contains(t, list, "of 3")
	require.Contains(t, list, "outcome-delivered")
}

func TestThePrefixAloneRedirectsUnderIt(t *testing.T) {
	s := newSite(t)
	h, err := console.New(s.d, func(*http.Request) (string, string, error) { return "acme", "a", nil })
	require.NoError(t, err)
	srv := httptest.NewServer(http.StripPrefix("/console", h))
	defer srv.Close()
	res, err := s.client.Get(srv.URL + "/console")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusMovedPermanently, res.StatusCode)
	require.Equal(t, "/console/", res.Header.Get("Location"))
	res, err = s.client.Get(srv.URL + "/console/webhooks/../x")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode, "no page has dot segments")
}

func TestATextareaSavesAsTyped(t *testing.T) {
	s := newSite(t)
	form := s.torqForm("torq", "tok")
	// A browser submitting the form sends a textarea's line breaks as CRLF.
	form.Set("body_template", "{\r\n  \"who\": \"{{data.requester.name}}\"\r\n}")
	status, _, body := s.do(t, "acme", http.MethodPost, "/webhooks/new", form)
	require.Equal(t, http.StatusSeeOther, status, body)
	page, err := s.d.Tenant("acme").List(context.Background(), webhookListAll)
	require.NoError(t, err)
	require.Equal(t, "{\n  \"who\": \"{{data.requester.name}}\"\n}", page.Webhooks[0].BodyTemplate)
}

func TestANewWebhookStartsInactive(t *testing.T) {
	s := newSite(t)
	status, _, page := s.do(t, "acme", http.MethodGet, "/webhooks/new?kind=request", nil)
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, formOfPage(t, page).Get("active"), "the Status toggle starts off")
}
