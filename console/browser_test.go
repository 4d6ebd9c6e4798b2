package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/console"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/browser"
	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/webhook"
)

// torqToken is the token the walk types into the Authorization header; it
// may reach the stand-in only, never a page.
const torqToken = "t0rq-T0KEN-4f1c9a"

// standIn stands in for Torq: webhooks at /v1/webhooks/<id>/, a bearer
// token checked, {"status":"ok"} answered. It records every request.
type standIn struct {
	srv   *httptest.Server
	token string

	mu     sync.Mutex
	got    []standInRequest
	status int
	body   string
	more   chan struct{} // closed, and replaced, at each request
}

type standInRequest struct {
	Method, Path, Authorization string
	Body                        string
}

var torqPath = regexp.MustCompile(`^/v1/webhooks/[A-Za-z0-9-]+/$`)

func newStandIn(t *testing.T, token string) *standIn {
	t.Helper()
	s := &standIn{token: token, status: http.StatusOK, body: `{"status":"ok"}`, more: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		req := standInRequest{Method: r.Method, Path: r.URL.Path, Authorization: r.Header.Get("Authorization"), Body: string(b)}
		s.mu.Lock()
		s.got = append(s.got, req)
		status, body, token := s.status, s.body, s.token
		close(s.more)
		s.more = make(chan struct{})
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case !torqPath.MatchString(r.URL.Path):
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"status":"no such webhook"}`)
		case req.Authorization != "Bearer "+token:
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"status":"unauthorized"}`)
		default:
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// webhookURL is the URL of Torq webhook id at the stand-in.
func (s *standIn) webhookURL(id string) string { return s.srv.URL + "/v1/webhooks/" + id + "/" }

// answer makes the stand-in answer status and body from now on.
func (s *standIn) answer(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

// expect makes the stand-in accept token from now on.
func (s *standIn) expect(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

func (s *standIn) requests() []standInRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// wait waits until the stand-in has got n requests, and returns them.
func (s *standIn) wait(t *testing.T, n int) []standInRequest {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		got, more := slices.Clone(s.got), s.more
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-more:
		case <-deadline:
			t.Fatalf("the stand-in got %d of %d requests within 10s", len(got), n)
		}
	}
}

// ui is a console mounted under /console/ of a test server, driven by a
// headless browser. The host's "authentication" is a cookie set by
// /login?tenant=…; the console's TenantFunc reads it.
type ui struct {
	t     *testing.T
	d     *webhook.Dispatcher
	srv   *httptest.Server
	torq  *standIn
	b     *browser.Browser
	saved chan webhook.Invocation // every invocation record once stored
}

func newUI(t *testing.T, opts ...console.Option) *ui {
	t.Helper()
	u := &ui{t: t, torq: newStandIn(t, torqToken), saved: make(chan webhook.Invocation, 256)}
	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}), // a failure is a dead letter at once
		webhook.WithInvocationHook(func(inv webhook.Invocation) {
			select {
			case u.saved <- inv:
			default:
			}
		}),
	)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	u.d = d
	tenantOf := func(r *http.Request) (string, string, error) {
		c, err := r.Cookie("tenant")
		if err != nil || c.Value == "" {
			return "", "", manage.ErrUnauthenticated
		}
		return c.Value, "admin@" + c.Value, nil
	}
	h, err := console.New(d, tenantOf, opts...)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/console/", http.StripPrefix("/console", h))
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "tenant", Value: r.URL.Query().Get("tenant"), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
	})
	u.srv = httptest.NewServer(mux)
	t.Cleanup(u.srv.Close)
	u.b = browser.New(t)
	return u
}

// login signs the browser in as tenant and lands on the webhooks page.
func (u *ui) login(tenant string) {
	u.t.Helper()
	u.b.Run(chromedp.Navigate(u.srv.URL + "/login?tenant=" + tenant))
	u.b.WaitText("h1", "Webhooks")
}

// open loads the console's page p ("/invocations").
func (u *ui) open(p string) {
	u.t.Helper()
	u.b.Run(chromedp.Navigate(u.srv.URL + "/console" + p))
}

// click clicks the element with the mouse, and fails the test when the
// click landed on another element (the page moved under the pointer).
func (u *ui) click(selector string) {
	u.t.Helper()
	eval[bool](u, `(() => { window.__pressed = null; addEventListener("mousedown", e => { window.__pressed = e.target; }, {once: true, capture: true}); return true; })()`)
	u.b.Run(chromedp.Click(chromedp.CSS(selector)))
	hit := eval[string](u, fmt.Sprintf(`(() => { const p = window.__pressed; if (p === undefined) return "navigated"; if (!p) return "nothing"; return document.querySelector(%s)?.contains(p) ? "ok" : p.outerHTML.slice(0, 200) + " at scrollY " + scrollY; })()`, jsString(selector)))
	require.Contains(u.t, []string{"ok", "navigated"}, hit, "the click on %s landed elsewhere", selector)
}

// follow clicks a link or a submit button and waits for the page it loads.
func (u *ui) follow(selector string) {
	u.t.Helper()
	browser.Get(u.b, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(selector))))
}

// tabTo presses Tab until the element with id has the focus, failing
// after limit presses.
func (u *ui) tabTo(id string, limit int) {
	u.t.Helper()
	var seen []string
	for range limit {
		u.keys(kb.Tab)
		f := u.focused()
		if f == id {
			return
		}
		seen = append(seen, eval[string](u, `(e => e.id || e.tagName.toLowerCase() + ":" + e.innerText.trim().slice(0, 24))(document.activeElement)`))
	}
	u.t.Fatalf("%d Tabs did not reach #%s; the focus went through %q", limit, id, seen)
}

// typeInto types text into the element, key by key, as a user does.
func (u *ui) typeInto(selector, text string) {
	u.t.Helper()
	u.b.Run(chromedp.SendKeys(chromedp.CSS(selector), text))
}

// retype selects the text of the element and types text over it.
func (u *ui) retype(selector, text string) {
	u.t.Helper()
	eval[bool](u, fmt.Sprintf(`(() => { const e = document.querySelector(%s); e.focus(); e.select(); return true; })()`, jsString(selector)))
	u.keys(text)
}

// keys presses keys on whatever has the focus.
func (u *ui) keys(keys string) {
	u.t.Helper()
	u.b.Run(chromedp.KeyEvent(keys))
}

// paste puts the focus on the element and inserts text at once, as a paste
// does: one input event, no key events.
func (u *ui) paste(selector, text string) {
	u.t.Helper()
	u.b.Run(chromedp.Focus(chromedp.CSS(selector)), chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		_, err := cdp.Call(ctx, tab, input.InsertText, input.InsertTextParams{Text: text})
		return err
	}))
}

// choose selects the option of a <select> whose value is value, firing the
// events a user's choice fires.
func (u *ui) choose(selector, value string) {
	u.t.Helper()
	ok := eval[bool](u, fmt.Sprintf(`(() => {
		const s = document.querySelector(%s);
		if (!s || ![...s.options].some(o => o.value === %s)) return false;
		s.value = %[2]s;
		s.dispatchEvent(new Event("input", {bubbles: true}));
		s.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`, jsString(selector), jsString(value)))
	require.True(u.t, ok, "%s offers %q", selector, value)
}

// focused is the id of the element that has the focus.
func (u *ui) focused() string {
	u.t.Helper()
	return eval[string](u, `document.activeElement ? document.activeElement.id : ""`)
}

// html is the whole document as the browser holds it now, form values
// included as attributes where the page set them.
func (u *ui) html() string {
	u.t.Helper()
	return eval[string](u, `document.documentElement.outerHTML`)
}

// checked reports whether the checkbox is ticked.
func (u *ui) checked(selector string) bool {
	u.t.Helper()
	return eval[bool](u, fmt.Sprintf(`document.querySelector(%s).checked`, jsString(selector)))
}

// texts is the rendered text of every element matching selector.
func (u *ui) texts(selector string) []string {
	u.t.Helper()
	return eval[[]string](u, fmt.Sprintf(`[...document.querySelectorAll(%s)].map(e => e.innerText.trim())`, jsString(selector)))
}

// takeErrors takes the errors the page reported and requires each to be
// the browser's note of an answer with one of statuses, which the test
// expects (a refused form, a not-found page).
func (u *ui) takeErrors(statuses ...int) {
	u.t.Helper()
	for _, e := range u.b.TakeJSErrors() {
		ok := false
		for _, s := range statuses {
			ok = ok || strings.Contains(e, fmt.Sprintf("status of %d", s))
		}
		require.True(u.t, ok, "an unexpected error on the page: %s", e)
	}
}

func eval[T any](u *ui, js string) T {
	u.t.Helper()
	return browser.Get(u.b, chromedp.Evaluate[T](js))
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitInvocations waits until n more invocation records are stored.
func (u *ui) waitInvocations(n int) []webhook.Invocation {
	u.t.Helper()
	var out []webhook.Invocation
	for len(out) < n {
		select {
		case inv := <-u.saved:
			out = append(out, inv)
		case <-time.After(10 * time.Second):
			u.t.Fatalf("%d of %d invocation records stored within 10s", len(out), n)
		}
	}
	return out
}

// torqBody is the guide's body template, exactly as step 7 gives it.
const torqBody = `{
   "body": {
      "event": "New Apono {{event_type}} request made by {{data.requester.name}}"
   }
}`

// TestTorqGuideWalk follows the fourteen steps of Apono's Torq guide on
// the console, against a stand-in for Torq, asserting what each page shows
// and keeping a screenshot of each step.
func TestTorqGuideWalk(t *testing.T) {
	u := newUI(t)
	u.login("acme")
	u.b.WaitText("main", "No webhooks yet")
	u.b.Axe() // the webhooks page, empty

	// 1. Add Webhook: the Add Webhook page, which asks what kind.
	u.click(`a.button.primary`)
	u.b.WaitText("h1", "Add Webhook")
	u.b.WaitText("a.kind", "Request Webhook")
	require.False(t, u.b.Visible("#webhook-form"), "the kind comes first")
	u.b.Screenshot("step-01-add-webhook")
	u.b.Axe() // the kind chooser

	// 2. Request Webhook: the editor.
	u.click(`a.kind`)
	u.b.WaitVisible("#webhook-form")
	require.Equal(t, "Request Webhook Name", u.b.Text(`label[for="name"]`))
	u.b.Screenshot("step-02-request-webhook")
	u.b.Axe() // the editor

	// 3. The name.
	u.typeInto("#name", "TorqAccessRequests")
	require.Equal(t, "TorqAccessRequests", u.b.Value("#name"))
	u.b.Screenshot("step-03-name")

	// 4. The Status toggle to Active: a new webhook starts inactive.
	require.False(t, u.checked("#active"), "a new webhook starts inactive")
	require.Equal(t, "switch", eval[string](u, `document.getElementById("active").getAttribute("role")`))
	u.click(`label[for="active"]`)
	require.True(t, u.checked("#active"), "the toggle turned it active")
	u.b.Screenshot("step-04-status-active")

	// 5. Method POST.
	require.Equal(t, []string{"POST", "PUT", "PATCH", "DELETE", "GET"}, eval[[]string](u, `[...document.getElementById("method").options].map(o => o.value)`))
	u.choose("#method", "PUT")
	u.choose("#method", "POST")
	require.Equal(t, "POST", u.b.Value("#method"))
	u.b.Screenshot("step-05-method")

	// 6. The URL.
	url := u.torq.webhookURL("a1b2c3")
	u.typeInto("#url", url)
	require.Equal(t, url, u.b.Value("#url"))
	u.b.Screenshot("step-06-url")

	// 7. The body template, pasted; the live check and preview; the schema.
	u.paste("#body_template", torqBody)
	require.Equal(t, torqBody, u.b.Value("#body_template"))
	u.b.WaitText("#template-status", "The template renders valid JSON.")
	mock := u.b.Value("#mock_trigger") // the event the preview, the filter check and Test use
	require.NotEmpty(t, mock)
	u.click("#preview-panel > summary")
	u.b.WaitText("#template-preview", `"event": "New Apono `+mock+` request made by Zoë Ångström-Okafor"`)
	require.Empty(t, eval[string](u, `document.getElementById("body_template").getAttribute("aria-invalid") || ""`))
	u.click("#schema-panel > summary")
	u.b.WaitVisible(`.schema-of[data-trigger="` + mock + `"] table`)
	rows := eval[[][]string](u, `[...document.querySelectorAll(".schema-of")].filter(s => !s.hidden)
		.flatMap(s => [...s.querySelectorAll("tbody tr")].map(r => [r.querySelector("code").innerText, r.cells[1].innerText, r.cells[2].innerText]))`)
	fields := accessrequest.Schema().Fields()
	require.Len(t, rows, len(fields), "the schema of the mock event's type only, every field")
	for i, f := range fields {
		require.Equal(t, []string{f.Path, f.Type + map[bool]string{true: " or null"}[f.Nullable], f.Description}, rows[i])
	}
	require.Contains(t, rows, []string{"data.requester.name", "string", "Display name of the requester."})
	u.b.Screenshot("step-07-body-template")

	// 8. The Authorization header.
	u.click(`button[data-add="headers"]`)
	require.Equal(t, "headers-0-key", u.focused(), "the new row has the focus")
	u.typeInto("#headers-0-key", "Authorization")
	u.typeInto("#headers-0-value", "Bearer "+torqToken)
	require.Equal(t, "password", eval[string](u, `document.getElementById("headers-0-value").type`), "the value is masked as typed")
	u.b.Screenshot("step-08-headers")

	// 9. The six triggers.
	triggers := []event.Trigger{accessrequest.Created, accessrequest.Approved, accessrequest.Expired, accessrequest.Failed, accessrequest.Granted, accessrequest.Rejected}
	for _, tr := range triggers {
		require.False(t, u.checked("#trigger-"+string(tr)))
		u.click(`label[for="trigger-` + string(tr) + `"]`)
		require.True(t, u.checked("#trigger-"+string(tr)), tr)
	}
	u.b.Screenshot("step-09-triggers")

	// 10. A filter, explained against the mock event: first one that
	// leaves it out, then one it passes.
	u.b.WaitText("#filter-explanation", "No filter")
	u.click(`button[data-add="filters"]`)
	require.Equal(t, "filters-0-dimension", u.focused())
	u.choose("#filters-0-dimension", "integration_types")
	u.typeInto("#filters-0-values", "AWS")
	u.b.WaitText("#filter-explanation", "This event would not be sent")
	require.Contains(t, u.b.Text("#filter-explanation"), "data.access_groups[].integration.type")
	u.retype("#filters-0-values", "Postgresql")
	u.b.WaitText("#filter-explanation", "This event would be sent: it passes every filter.")
	u.b.Screenshot("step-10-filters")

	// 11. The timeout.
	u.typeInto("#timeout_in_sec", "10")
	u.b.Screenshot("step-11-timeout")

	// 12. A response validator: + Add, a path after $.data., a value and
	// Enter.
	u.click(`button[data-add="validators"]`)
	require.Equal(t, "validators-0-path", u.focused())
	require.Equal(t, "$.data.", u.b.Value("#validators-0-path"), "the path starts with $.data.")
	u.keys(kb.End + "status")
	require.Equal(t, "$.data.status", u.b.Value("#validators-0-path"))
	u.typeInto("#validators-0-values", "ok\n")
	require.Equal(t, "ok\n", u.b.Value("#validators-0-values"))
	u.b.Screenshot("step-12-response-validators")

	// 13. Test: successful, and the invocation data as sent.
	u.click("#test-button")
	u.b.WaitText("#test-result", "Test successful")
	require.Contains(t, u.b.Text("#test-result"), "View Invocation Data")
	u.click("#invocation-data > summary")
	u.b.WaitVisible("#invocation-data .invocation")
	sent := invocationShown(u, "#invocation-data")
	require.Equal(t, "POST "+url, sent.Request)
	require.Equal(t, "REDACTED", sent.RequestHeaders["Authorization"], "the token is redacted")
	require.JSONEq(t, `{"body":{"event":"New Apono `+mock+` request made by Zoë Ångström-Okafor"}}`, sent.RequestBody)
	require.Equal(t, "200", sent.Status)
	require.JSONEq(t, `{"status":"ok"}`, sent.ResponseBody)
	require.Equal(t, [][]string{{"$.data.status", "passed", "ok", "ok"}}, sent.Validators)
	require.NotEmpty(t, sent.Facts["Duration"], "the timing")
	require.Equal(t, "delivered", sent.Facts["Outcome"])
	require.NotContains(t, u.html(), torqToken, "the token never reaches the page")
	got := u.torq.requests()
	require.Len(t, got, 1, "the test sent one request")
	require.Equal(t, standInRequest{
		Method: "POST", Path: "/v1/webhooks/a1b2c3/", Authorization: "Bearer " + torqToken,
		Body: got[0].Body,
	}, got[0], "the real token reached the stand-in")
	require.JSONEq(t, sent.RequestBody, got[0].Body, "the panel shows the body as sent")
	u.b.Screenshot("step-13-test")
	u.b.Axe() // the editor with the test panel open

	// 14. Save Webhook: the table, with a green dot.
	u.click("#save-button")
	u.b.WaitText(".notice", "The webhook was saved.")
	row := `tr:has(a[href*="/webhooks/"])`
	require.Equal(t, []string{"TorqAccessRequests"}, u.texts(row+` th a`))
	require.True(t, u.b.Visible(row+" .dot.dot-active"), "a green dot")
	require.Equal(t, "rgb(45, 164, 78)", eval[string](u, `getComputedStyle(document.querySelector(".dot")).backgroundColor`), "green")
	require.Contains(t, u.b.Text(row), "Active:")
	require.Contains(t, u.b.Text(row), "RequestApproved, RequestCreated, RequestExpired, RequestFailed, RequestGranted, RequestRejected")
	require.Contains(t, u.b.Text(row), u.torq.srv.Listener.Addr().String(), "the target host")
	require.Equal(t, "true", eval[string](u, `document.querySelector("button.toggle").getAttribute("aria-checked")`))
	u.b.Screenshot("step-14-save-webhook")
	u.b.Axe() // the webhooks page with a webhook

	// What was saved is what the walk entered.
	page, err := u.d.Tenant("acme").List(context.Background(), webhookListAll)
	require.NoError(t, err)
	require.Len(t, page.Webhooks, 1)
	w := page.Webhooks[0]
	require.Equal(t, "TorqAccessRequests", w.Name)
	require.True(t, w.Active)
	require.Equal(t, "POST", w.Method)
	require.Equal(t, url, w.URL)
	require.Equal(t, torqBody, w.BodyTemplate)
	require.ElementsMatch(t, triggers, w.Triggers)
	require.Equal(t, 10, w.TimeoutInSec)
	require.Equal(t, []webhook.ResponseValidator{{JSONPath: "$.data.status", ExpectedValues: []string{"ok"}}}, w.ResponseValidators)
	fs, ok := w.Filters.Filters()
	require.True(t, ok)
	require.Equal(t, []string{"Postgresql"}, fs.IntegrationTypes)

	// An access request goes to the stand-in with the token, and shows on
	// the invocations page, which does not show the token.
	_, err = u.d.Tenant("acme").Publish(context.Background(), mustMock(t, accessrequest.Granted))
	require.NoError(t, err)
	delivered := u.torq.wait(t, 2)[1]
	require.Equal(t, "Bearer "+torqToken, delivered.Authorization)
	require.Contains(t, delivered.Body, "New Apono RequestGranted request made by")
	u.waitInvocations(1)
	u.open("/invocations")
	u.b.WaitText("main table", "RequestGranted")
	require.Contains(t, u.b.Text("main table tbody tr"), "delivered")
	u.click("main table tbody tr details > summary")
	require.Equal(t, "REDACTED", invocationShown(u, "main table tbody tr details").RequestHeaders["Authorization"])
	require.NotContains(t, u.html(), torqToken)
	u.b.Axe() // the invocations page, a record open
	u.open("/dead-letters")
	u.b.WaitText("h1", "Dead letters")
	u.b.Axe() // the dead letters page
}

// shownInvocation is what an invocation panel shows.
type shownInvocation struct {
	Facts          map[string]string
	Request        string
	RequestHeaders map[string]string
	RequestBody    string
	Status         string
	ResponseBody   string
	Validators     [][]string
}

// invocationShown reads the invocation panel inside the element selector
// finds.
func invocationShown(u *ui, selector string) shownInvocation {
	u.t.Helper()
	return eval[shownInvocation](u, fmt.Sprintf(`(() => {
		const p = document.querySelector(%s + " .invocation");
		const text = e => e ? e.innerText.trim() : "";
		const facts = {};
		p.querySelectorAll("dl.facts dt").forEach(dt => facts[text(dt)] = text(dt.nextElementSibling));
		const heads = [...p.querySelectorAll("table.headers")];
		const headers = t => Object.fromEntries(t ? [...t.querySelectorAll("tbody tr")].map(r => [text(r.cells[0]), text(r.cells[1])]) : []);
		const status = [...p.querySelectorAll("p")].find(e => e.innerText.startsWith("Status"));
		return {
			Facts: facts,
			Request: text(p.querySelector("h3 + p code")),
			RequestHeaders: headers(heads[0]),
			RequestBody: text(p.querySelector('pre[aria-label="Request body"]')),
			Status: status ? text(status.querySelector("strong")) : "",
			ResponseBody: text(p.querySelector('pre[aria-label="Response body"]')),
			Validators: [...p.querySelectorAll("table.validation tbody tr")].map(r => [...r.cells].map(text)),
		};
	})()`, jsString(selector)))
}

// selectAll selects the whole text of a field, so that what is typed or
// pasted next replaces it.
func (u *ui) selectAll(selector string) {
	u.t.Helper()
	eval[bool](u, fmt.Sprintf(`(() => { const e = document.querySelector(%s); e.focus(); e.select(); return true; })()`, jsString(selector)))
}

func (u *ui) attr(selector, name string) string {
	u.t.Helper()
	return eval[string](u, fmt.Sprintf(`document.querySelector(%s).getAttribute(%s) || ""`, jsString(selector), jsString(name)))
}

// preview is what the Dispatcher renders for template over the mock event
// of trigger, for comparing with the page's preview.
func (u *ui) preview(template, trigger string) string {
	u.t.Helper()
	body, err := u.d.Tenant("acme").Preview(template, mustMock(u.t, event.Trigger(trigger)))
	require.NoError(u.t, err)
	return body
}

func TestTemplateErrorsShowAtTheirLineAndColumn(t *testing.T) {
	u := newUI(t)
	u.login("acme")
	u.open("/webhooks/new?kind=request")
	u.b.WaitVisible("#webhook-form")

	// An each block left open on line 3, after a non-ASCII key: the column
	// counts bytes, as the template package's errors do.
	line3 := `  "né": "{{#each data.access_groups}}{{integration.name}};",`
	bad := "{\n  \"a\": 1,\n" + line3 + "\n  \"z\": 2\n}"
	column := strings.Index(line3, "{{#each") + 1
	require.Equal(t, 11, column)
	u.paste("#body_template", bad)
	u.b.WaitText("#template-status", fmt.Sprintf("Line 3, column %d: ", column))
	require.Contains(t, u.b.Text("#template-status"), "unclosed section {{#each}}")
	require.Equal(t, "true", u.attr("#body_template", "aria-invalid"))
	require.NotContains(t, u.b.Text("#template-status"), "renders valid JSON")

	// Its button puts the cursor on the spot.
	u.click("#template-status button.goto")
	require.Equal(t, "body_template", u.focused())
	at := len(utf16.Encode([]rune(bad[:strings.Index(bad, "{{#each")])))
	require.Equal(t, []int{at, at}, eval[[]int](u, `(e => [e.selectionStart, e.selectionEnd])(document.getElementById("body_template"))`))
	u.b.Screenshot("template-error-line-3")

	// Mended, the error goes and the preview shows the rendered JSON.
	good := strings.Replace(bad, `;",`, `;{{/each}}",`, 1)
	u.selectAll("#body_template")
	u.paste("#body_template", good)
	u.b.WaitText("#template-status", "The template renders valid JSON.")
	require.Empty(t, u.attr("#body_template", "aria-invalid"))
	require.NotContains(t, u.b.Text("#template-status"), "Line 3")
	u.click("#preview-panel > summary")
	u.b.WaitText("#template-preview", `"né"`)
	shown := u.b.Text("#template-preview")
	require.JSONEq(t, u.preview(good, u.b.Value("#mock_trigger")), shown)
	require.Contains(t, shown, "billing-pg-prod;")
	u.b.Screenshot("template-mended")
}

func TestSchemaPanelInsertsAtTheCursor(t *testing.T) {
	u := newUI(t)
	u.login("acme")
	u.open("/webhooks/new?kind=request")
	u.b.WaitVisible("#webhook-form")
	mock := u.b.Value("#mock_trigger")
	u.paste("#body_template", `{"who": "", "where": ""}`)
	u.b.WaitText("#template-status", "The template renders valid JSON.")
	u.click("#preview-panel > summary")
	u.click("#schema-panel > summary")

	// The cursor between the first quotes, by keyboard.
	u.click("#body_template")
	u.keys(kb.Home + strings.Repeat(kb.ArrowRight, len(`{"who": "`)))
	insert := func(path string) string {
		t.Helper()
		sel := fmt.Sprintf(`.schema-of[data-trigger=%q] button[aria-label="Insert %s into the body template"]`, mock, path)
		u.click(sel)
		require.Equal(t, "body_template", u.focused(), "the focus goes back to the template")
		return u.attr(sel, "data-insert")
	}
	require.Equal(t, "{{data.requester.name}}", insert("data.requester.name"))
	want := `{"who": "{{data.requester.name}}", "where": ""}`
	require.Equal(t, want, u.b.Value("#body_template"))
	end := len(`{"who": "{{data.requester.name}}`)
	require.Equal(t, end, eval[int](u, `document.getElementById("body_template").selectionStart`), "the cursor after the insertion")
	u.b.WaitText("#template-preview", "Zoë Ångström-Okafor")

	// An array's field: an each block.
	u.keys(strings.Repeat(kb.ArrowRight, len(`", "where": "`)))
	require.Equal(t, "{{#each data.access_groups}}{{integration.name}}{{/each}}", insert("data.access_groups[].integration.name"))
	want = `{"who": "{{data.requester.name}}", "where": "{{#each data.access_groups}}{{integration.name}}{{/each}}"}`
	require.Equal(t, want, u.b.Value("#body_template"))
	u.b.WaitText("#template-preview", "billing-pg-prod")
	require.JSONEq(t, u.preview(want, mock), u.b.Text("#template-preview"))

	// A map's entries ("*" for any key): an each block over them too.
	u.keys(kb.End + kb.ArrowLeft + `, "fields": ""` + kb.ArrowLeft)
	require.Equal(t, "{{#each data.custom_fields}}{{@key}}: {{this}}{{/each}}", insert("data.custom_fields.*"))
	u.b.WaitText("#template-preview", `"fields": "environment: `)
	want = strings.TrimSuffix(want, `}`) + `, "fields": "{{#each data.custom_fields}}{{@key}}: {{this}}{{/each}}"}`
	require.Equal(t, want, u.b.Value("#body_template"))
	require.JSONEq(t, u.preview(want, mock), u.b.Text("#template-preview"))
	u.b.Screenshot("schema-inserted")
}

// fillTorqForm fills the editor of a new webhook as the guide does, for
// the tests that are about what follows.
func (u *ui) fillTorqForm(name string) {
	u.t.Helper()
	u.open("/webhooks/new?kind=request")
	u.b.WaitVisible("#webhook-form")
	u.typeInto("#name", name)
	u.click(`label[for="active"]`)
	u.typeInto("#url", u.torq.webhookURL("f00d"))
	u.paste("#body_template", torqBody)
	u.click(`label[for="trigger-RequestCreated"]`)
	u.click(`button[data-add="headers"]`)
	u.typeInto("#headers-0-key", "Authorization")
	u.typeInto("#headers-0-value", "Bearer "+torqToken)
	u.click(`button[data-add="validators"]`)
	u.keys(kb.End + "status")
	u.typeInto("#validators-0-values", "ok\n")
	u.b.WaitText("#template-status", "The template renders valid JSON.")
}

func TestAFailedTestSaysWhy(t *testing.T) {
	u := newUI(t)
	u.login("acme")
	u.fillTorqForm("torq")
	u.typeInto("#custom_validation_error_message", "Torq did not say ok")

	// The stand-in fails: the reason, and the 500 in the invocation data.
	u.torq.answer(http.StatusInternalServerError, `{"status":"down"}`)
	u.click("#test-button")
	u.b.WaitText("#test-result", "Test failed")
	require.NotContains(t, u.b.Text("#test-result"), "Test successful")
	require.Contains(t, u.b.Text("#test-result .reason"), "500")
	u.click("#invocation-data > summary")
	shown := invocationShown(u, "#invocation-data")
	require.Equal(t, "500", shown.Status)
	require.JSONEq(t, `{"status":"down"}`, shown.ResponseBody)
	require.Contains(t, shown.Facts["Outcome"], "failed")
	u.b.Screenshot("test-failed-500")

	// It answers 200 but not ok: the validator fails, with the webhook's
	// own message.
	u.torq.answer(http.StatusOK, `{"status":"busy"}`)
	u.click("#test-button")
	u.b.WaitText("#test-result", "Test failed")
	u.b.WaitText("#test-result .reason", "Torq did not say ok")
	u.click("#invocation-data > summary")
	shown = invocationShown(u, "#invocation-data")
	require.Equal(t, "200", shown.Status)
	require.Equal(t, [][]string{{"$.data.status", "failed", "busy", "ok"}}, shown.Validators)
	require.Contains(t, shown.Facts["Outcome"], "validation_failed")
	u.b.Screenshot("test-failed-validator")

	// And ok again: successful, so the failures above were the stand-in's.
	u.torq.answer(http.StatusOK, `{"status":"ok"}`)
	u.click("#test-button")
	u.b.WaitText("#test-result", "Test successful")
	require.Len(t, u.torq.requests(), 3)
}

// createTorq saves a webhook to the stand-in for tenant through the
// Dispatcher, as another session of the console would have.
func (u *ui) createTorq(tenant, name, token string) webhook.Webhook {
	u.t.Helper()
	w, err := u.d.Tenant(tenant).Create(context.Background(), webhook.Webhook{
		Name: name, Active: true, URL: u.torq.webhookURL(name), BodyTemplate: torqBody,
		Headers:  map[string]string{"Authorization": "Bearer " + token},
		Triggers: []event.Trigger{accessrequest.Created},
	}, "setup")
	require.NoError(u.t, err)
	return w
}

func (u *ui) publish(tenant string, tr event.Trigger) {
	u.t.Helper()
	_, err := u.d.Tenant(tenant).Publish(context.Background(), mustMock(u.t, tr))
	require.NoError(u.t, err)
}

func TestSecretsNeverReachAPage(t *testing.T) {
	const secret = "s3cr3t-token"
	u := newUI(t)
	u.torq.expect(secret)
	w := u.createTorq("acme", "torq", secret)
	u.publish("acme", accessrequest.Created)
	require.Equal(t, "Bearer "+secret, u.torq.wait(t, 1)[0].Authorization)
	u.waitInvocations(1)

	// The edit page shows the header masked.
	u.login("acme")
	u.open("/webhooks/" + w.ID)
	u.b.WaitVisible("#webhook-form")
	require.Equal(t, "Authorization", u.b.Value("#headers-0-key"))
	masked := u.b.Value("#headers-0-value")
	require.NotEmpty(t, masked, "a value is there, masked")
	require.NotContains(t, masked, secret)
	require.NotContains(t, u.html(), secret)

	// So does the invocations page, a record open.
	u.open("/invocations")
	u.click("main table tbody tr details > summary")
	require.Equal(t, "REDACTED", invocationShown(u, "main table tbody tr details").RequestHeaders["Authorization"])
	require.NotContains(t, u.html(), secret)

	// Saved unchanged, the form keeps the secret: the next delivery has it.
	u.open("/webhooks/" + w.ID)
	u.b.WaitVisible("#webhook-form")
	u.follow("#save-button")
	u.b.WaitText(".notice", "The webhook was updated.")
	u.publish("acme", accessrequest.Created)
	require.Equal(t, "Bearer "+secret, u.torq.wait(t, 2)[1].Authorization, "the stored secret was kept")
	saved, err := u.d.Tenant("acme").Get(context.Background(), w.ID)
	require.NoError(t, err)
	require.Equal(t, w.Version+1, saved.Version)

	// A form refused for another error does not send a new secret back.
	const typed = "n3w-s3cr3t"
	u.open("/webhooks/" + w.ID)
	u.b.WaitVisible("#webhook-form")
	u.selectAll("#headers-0-value")
	u.keys("Bearer " + typed)
	u.typeInto("#timeout_in_sec", "soon")
	u.follow("#save-button")
	u.b.WaitText("#form-errors", "Please correct the following")
	u.takeErrors(http.StatusUnprocessableEntity)
	require.Contains(t, u.b.Text("#form-errors"), `"soon" is not a whole number of seconds`)
	require.Equal(t, "true", u.attr("#timeout_in_sec", "aria-invalid"))
	require.Contains(t, u.b.Text("main"), "Secrets typed into the form are not sent back")
	require.Empty(t, u.b.Value("#headers-0-value"), "the typed secret is asked for again")
	html := u.html()
	require.NotContains(t, html, typed)
	require.NotContains(t, html, secret)
	u.b.Screenshot("refused-form-without-secrets")
	u.b.Axe() // the editor with its errors
	kept, err := u.d.Tenant("acme").Get(context.Background(), w.ID)
	require.NoError(t, err)
	require.Equal(t, saved.Version, kept.Version, "nothing was saved")
}

// pageTexts follows the Next page links from the page loaded, collecting
// the texts of selector on each page.
func (u *ui) pageTexts(selector string) [][]string {
	u.t.Helper()
	pages := [][]string{u.texts(selector)}
	for len(pages) < 10 && eval[bool](u, `!!document.querySelector('a[rel="next"]')`) {
		u.follow(`a[rel="next"]`)
		require.True(u.t, u.b.Visible(`.pages a:not([rel])`), "a later page links to the first")
		pages = append(pages, u.texts(selector))
	}
	return pages
}

func TestPagesWalkEveryRowOnce(t *testing.T) {
	u := newUI(t, console.WithPageSize(2))
	var names []string
	for i := range 5 {
		names = append(names, u.createTorq("acme", fmt.Sprintf("torq-%d", i+1), torqToken).Name)
	}
	u.publish("acme", accessrequest.Created)
	u.waitInvocations(5)

	u.login("acme")
	pages := u.pageTexts(`table.webhooks tbody th a`)
	require.Len(t, pages, 3)
	for _, p := range pages {
		require.NotEmpty(t, p)
		require.LessOrEqual(t, len(p), 2)
	}
	require.ElementsMatch(t, names, slices.Concat(pages...), "every webhook once")
	u.follow(`.pages a:not([rel])`)
	require.Equal(t, pages[0], u.texts(`table.webhooks tbody th a`), "First page")
	require.False(t, u.b.Visible(`.pages a:not([rel])`), "the first page has no First page link")

	u.open("/invocations")
	pages = u.pageTexts(`table.records tbody td:nth-child(2) a`)
	require.Len(t, pages, 3)
	require.ElementsMatch(t, names, slices.Concat(pages...), "every invocation once")
	u.follow(`.pages a:not([rel])`)
	require.Equal(t, pages[0], u.texts(`table.records tbody td:nth-child(2) a`))
}

func TestATenantSeesNothingOfAnotherInTheBrowser(t *testing.T) {
	u := newUI(t)
	a := u.createTorq("acme", "acme-torq", torqToken)
	u.torq.answer(http.StatusInternalServerError, `{"status":"down"}`)
	u.publish("acme", accessrequest.Created)
	u.waitInvocations(1)
	var dead webhook.DeadLetterPage
	require.Eventually(t, func() bool {
		var err error
		dead, err = u.d.Tenant("acme").DeadLetters(context.Background(), webhook.DeadLetterQuery{})
		return err == nil && len(dead.DeadLetters) == 1
	}, 10*time.Second, 10*time.Millisecond, "the failed delivery became a dead letter")

	// Acme sees its records: what globex must not.
	u.login("acme")
	require.Equal(t, []string{"acme-torq"}, u.texts(`table.webhooks tbody th a`))
	u.open("/invocations")
	require.Equal(t, []string{"acme-torq"}, u.texts(`table.records tbody td:nth-child(2) a`))
	u.b.Axe() // the invocations page with a failed record
	u.open("/dead-letters")
	require.Equal(t, []string{"acme-torq"}, u.texts(`table.records tbody td:nth-child(2) a`))
	u.b.Axe() // the dead letters page with a dead letter

	u.login("globex")
	u.b.WaitText("main", "No webhooks yet")
	require.NotContains(t, u.html(), "acme-torq")
	u.open("/webhooks/" + a.ID)
	u.b.WaitText("h1", "Not Found")
	require.Contains(t, u.b.Text("main"), "There is no such webhook or record.")
	require.NotContains(t, u.html(), "acme-torq")
	u.takeErrors(http.StatusNotFound)
	for _, p := range []string{"/invocations", "/invocations?webhook=" + a.ID, "/dead-letters", "/dead-letters?webhook=" + a.ID} {
		u.open(p)
		u.b.WaitVisible("p.empty")
		require.Regexp(t, `^No (invocations|dead letters)`, u.b.Text("p.empty"), p)
		require.NotContains(t, u.html(), "acme-torq", p)
	}

	// Forms sent from globex's page to acme's webhook and dead letter.
	post := func(path string, form map[string]string) int {
		t.Helper()
		f, _ := json.Marshal(form)
		return browser.Get(u.b, chromedp.Evaluate[int](fmt.Sprintf(`fetch(document.body.dataset.base + %s, {method: "POST", body: new URLSearchParams(%s)}).then(r => r.status)`, jsString(path), f), chromedp.EvalAwaitPromise))
	}
	require.Equal(t, http.StatusNotFound, post("/webhooks/"+a.ID+"/active", map[string]string{"version": "1", "active": "false"}))
	require.Equal(t, http.StatusNotFound, post("/dead-letters/redeliver", map[string]string{"delivery_id": dead.DeadLetters[0].DeliveryID}))
	u.takeErrors(http.StatusNotFound)
	got, err := u.d.Tenant("acme").Get(context.Background(), a.ID)
	require.NoError(t, err)
	require.True(t, got.Active, "acme's webhook is as it was")
	require.Equal(t, a.Version, got.Version)
	still, err := u.d.Tenant("acme").DeadLetters(context.Background(), webhook.DeadLetterQuery{})
	require.NoError(t, err)
	require.Len(t, still.DeadLetters, 1, "acme's dead letter was not redelivered")
	require.Len(t, u.torq.requests(), 1)
}

func TestTheEditorByKeyboard(t *testing.T) {
	u := newUI(t)
	u.login("acme")
	u.open("/webhooks/new?kind=request")
	u.b.WaitVisible("#webhook-form")

	u.tabTo("name", 8)
	u.keys("keyboard-torq")
	u.tabTo("active", 1)
	u.keys(" ")
	require.True(t, u.checked("#active"), "Space turns the switch on")
	u.tabTo("url", 3)
	u.keys(u.torq.webhookURL("k3y"))
	u.tabTo("trigger-RequestApproved", 5)
	u.keys(" ")
	u.tabTo("body_template", 10)
	u.keys(`{"event": "{{event_type}} by {{data.requester.name}}"}`)

	// + Add header: Enter on the button, the focus into the new row.
	var add string
	for range 8 {
		u.keys(kb.Tab)
		if add = eval[string](u, `document.activeElement.dataset.add || ""`); add == "headers" {
			break
		}
	}
	require.Equal(t, "headers", add, "Tab reaches + Add header")
	u.keys(kb.Enter)
	require.Equal(t, "headers-0-key", u.focused(), "the focus moved into the new row")
	u.keys("Authorization")
	u.tabTo("headers-0-value", 1)
	u.keys("Bearer " + torqToken)

	// Test: Enter on the focused button.
	u.tabTo("test-button", 40)
	u.keys(kb.Enter)
	u.b.WaitText("#test-result", "Test successful")
	got := u.torq.requests()
	require.Len(t, got, 1)
	require.Equal(t, "Bearer "+torqToken, got[0].Authorization)
	require.JSONEq(t, `{"event": "RequestApproved by Zoë Ångström-Okafor"}`, got[0].Body)
	u.b.Screenshot("keyboard-test")
}

func TestTheGateButtonShowsTheDecision(t *testing.T) {
	const secret = "g4te-s3cr3t-token"
	u := newUI(t)
	u.torq.expect(secret)
	w := u.createTorq("acme", "torq-gate", secret)
	u.login("acme")
	u.open("/webhooks/" + w.ID)
	u.b.WaitVisible("#webhook-form")

	// The stand-in says ok: the gate passes, on the page itself.
	u.click("#gate-button")
	u.b.WaitText("#gate-result", "Gate passed")
	require.Empty(t, u.b.Text("#test-result"), "Test's result is not Gate's")
	require.True(t, strings.HasSuffix(eval[string](u, `location.pathname`), "/webhooks/"+w.ID), "the page stays")
	got := u.torq.wait(t, 1)
	require.Equal(t, "Bearer "+secret, got[0].Authorization)
	u.click("#gate-invocation-data > summary")
	shown := invocationShown(u, "#gate-invocation-data")
	require.Equal(t, "REDACTED", shown.RequestHeaders["Authorization"])
	require.Contains(t, shown.Facts["Outcome"], "delivered")
	require.NotContains(t, u.html(), secret)
	u.b.Screenshot("gate-passed")

	// It fails: the gate refuses, and says why.
	u.torq.answer(http.StatusInternalServerError, `{"status":"down"}`)
	u.click("#gate-button")
	u.b.WaitText("#gate-result", "Gate refused")
	require.Contains(t, u.b.Text("#gate-result .reason"), "500")
	require.NotContains(t, u.html(), secret)
	require.Len(t, u.torq.requests(), 2)
	u.b.Axe() // the editor with a gate's decision
}
