package console_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/console"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// hostSite is a console mounted at prefix on a test server, serving the
// tenant the X-Tenant header names ("" included: the single-tenant
// service, whose webhooks Dispatcher.Get returns whole).
type hostSite struct {
	*site
	prefix string
}

func newHostSite(t *testing.T, prefix string, dopts []webhook.Option, opts ...console.Option) *hostSite {
	t.Helper()
	receiver := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{
		Body:   `{"status":"ok"}`,
		Header: http.Header{"Content-Type": {"application/json"}},
	}))
	t.Cleanup(receiver.Close)
	dopts = append([]webhook.Option{
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
	}, dopts...)
	d, err := webhook.New(dopts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	tenantOf := func(r *http.Request) (string, string, error) {
		return r.Header.Get("X-Tenant"), "admin", nil
	}
	h, err := console.New(d, tenantOf, opts...)
	require.NoError(t, err)
	var handler http.Handler = h
	if prefix != "" {
		mux := http.NewServeMux()
		mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
		handler = mux
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &hostSite{site: &site{d: d, srv: srv, receiver: receiver, client: client}, prefix: prefix}
}

// send is site.do under the site's own prefix.
func (s *hostSite) send(t *testing.T, tenant, method, path string, form url.Values, header ...string) (int, string, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.srv.URL+s.prefix+path, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("X-Tenant", tenant)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultTransport.RoundTrip(req) // follows nothing, reads Location as sent
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, res.Header.Get("Location"), string(b)
}

// browserForm is the editor's form as a browser sends it: textareas'
// lines end with CRLF.
func browserForm(t *testing.T, page string) url.Values {
	t.Helper()
	values := formOfPage(t, page)
	for k, vs := range values {
		if k == "body_template" || k == "filter_json" || k == "delivery_json" || strings.HasSuffix(k, ".values") {
			for i := range vs {
				vs[i] = strings.ReplaceAll(vs[i], "\n", "\r\n")
			}
		}
	}
	return values
}

func signingSecret(b byte) string {
	return "whsec_" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(rune('a'+b)), 32)))
}

// everyField is a webhook with every field of webhook.Webhook set, in
// the spellings the editor is most likely to change.
func everyField(t *testing.T, receiver string, flt *filter.Filter) webhook.Webhook {
	t.Helper()
	return webhook.Webhook{
		Name:          "every field",
		Active:        true,
		Method:        "PUT",
		URL:           receiver + "/services/T000/B000/XXXX?token=q-s3cret",
		SecretURLPath: true,
		Headers: map[string]string{
			"Authorization": "Bearer h-s3cret",
			"x-api-key":     "k-s3cret",
			"Content-Type":  "application/json",
		},
		BodyTemplate: "\n{\n  \"event\": \"{{event_type}}\",\n  \"who\": \"{{data.requester.name}}\"\n}\n",
		Triggers:     []event.Trigger{accessrequest.Granted, accessrequest.Created},
		Filters:      flt,
		TimeoutInSec: 45,
		ResponseValidators: []webhook.ResponseValidator{
			{JSONPath: "$.data.status", ExpectedValues: []string{"ok", "accepted"}},
			{Status: []string{"200-204", "2xx"}},
			{Header: "Content-Type", ExpectedValues: []string{"application/json"}},
			{Header: "X-Seen"},
			{JSONPath: "$.data.id"},
		},
		CustomValidationErrorMessage: "the receiver did not accept it:\nsee the runbook",
		SigningSecrets:               []string{signingSecret(0), signingSecret(1)},
		Delivery: &webhook.DeliverySettings{
			Retry:        &webhook.RetryPolicy{MaxAttempts: 3, InitialInterval: webhook.Duration(2 * time.Second), Multiplier: 1.5},
			Concurrency:  2,
			QueueSize:    100,
			OrderingKey:  "data.id",
			RateLimit:    &webhook.RateLimit{Requests: 10, Per: webhook.Duration(time.Second), Burst: 5},
			MaxRedirects: 2,
		},
	}
}

func TestAnEditedFormSentBackUnchangedKeepsTheDefinitionExactly(t *testing.T) {
	filtersForm, err := filter.FromFilters(filter.Filters{
		Integrations:     []string{"int-1"},
		IntegrationTypes: []string{"Postgresql", "Mysql"},
		IntegrationNames: []string{"prod db"},
		ResourceTypes:    []string{"postgresql-table"},
		Resources:        []string{"res-1"},
		Permissions:      []string{"SELECT"},
		AccessFlows:      []string{"flow-1"},
		Bundles:          []string{"bundle-1"},
		Requesters:       []string{"user-1"},
		Grantees:         []string{"grantee-1"},
		Approval:         filter.ApprovalManual,
		Environments:     []string{"production"},
		Tags:             []string{"pci"},
		Conditions: []filter.Condition{
			{Path: "data.access_duration_in_seconds", Operator: filter.OpLte, Values: []any{json.Number("14400")}},
			{Path: "data.justification", Operator: filter.OpEq, Values: []any{"14400"}},
			{Path: "data.justification", Operator: filter.OpNeq, Values: []any{"true"}},
			{Path: "data.requester.email", Operator: filter.OpIn, Values: []any{`"quoted"`, " padded ", "two\nlines", ""}},
			{Path: "data.access_groups[].integration.type", Operator: filter.OpPrefix, Values: []any{"Postgres"}, Every: true},
			{Path: "data.revocation_date", Operator: filter.OpExist, Values: []any{true}},
		},
	})
	require.NoError(t, err)
	operatorForm, err := filter.Parse([]byte(`{"$or": [{"data.custom_fields.environment": "production"}, {"data.access_duration_in_seconds": {"$lte": 3600}}]}`))
	require.NoError(t, err)

	builderForm, err := filter.FromFilters(filter.Filters{
		IntegrationTypes: []string{"Postgresql", "Mysql"},
		Conditions: []filter.Condition{
			{Path: "data.access_duration_in_seconds", Operator: filter.OpLte, Values: []any{json.Number("14400")}},
			{Path: "data.justification", Operator: filter.OpIn, Values: []any{"14400", "true", "null", `"quoted"`}},
			{Path: "data.revocation_date", Operator: filter.OpExist, Values: []any{false}},
		},
	})
	require.NoError(t, err)

	for name, change := range map[string]func(w *webhook.Webhook){
		"filters form":                   func(w *webhook.Webhook) { w.Filters = filtersForm },
		"filters form the builder shows": func(w *webhook.Webhook) { w.Filters = builderForm },
		"operator form":                  func(w *webhook.Webhook) { w.Filters = operatorForm },
		"default method, no filter":      func(w *webhook.Webhook) { w.Method = "" },
		"method in lower case":           func(w *webhook.Webhook) { w.Method = "patch" },
		"no secrets": func(w *webhook.Webhook) {
			w.Headers, w.SigningSecrets, w.SecretURLPath, w.Delivery = nil, nil, false, nil
			w.URL = strings.Replace(w.URL, "?token=q-s3cret", "", 1)
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := newHostSite(t, "/console", nil)
			w := everyField(t, s.receiver.URL, nil)
			change(&w)
			added, err := s.d.Add(w)
			require.NoError(t, err)
			before, ok := s.d.Get(added.ID)
			require.True(t, ok)

			status, _, edit := s.send(t, "", http.MethodGet, "/webhooks/"+added.ID, nil)
			require.Equal(t, http.StatusOK, status)
			for _, secret := range []string{"h-s3cret", "k-s3cret", "q-s3cret", "B000", signingSecret(0), signingSecret(1)} {
				if name != "no secrets" {
					requireAbsent(t, edit, secret)
				}
			}
			if name == "filters form the builder shows" {
				require.False(t, strings.Contains(edit, `name="filter_json"`), "the builder shows the filter")
				require.True(t, strings.Contains(edit, "&#34;14400&#34;\n&#34;true&#34;\n&#34;null&#34;\n&#34;\\&#34;quoted\\&#34;&#34;</textarea>"),
					"strings that would read as something else are quoted: %s", edit[strings.Index(edit, `name="conditions.1.values"`):][:200])
			}
			status, _, body := s.send(t, "", http.MethodPost, "/webhooks/"+added.ID, browserForm(t, edit))
			require.Equal(t, http.StatusSeeOther, status, problems(body))

			after, ok := s.d.Get(added.ID)
			require.True(t, ok)
			before.Version++
			require.Equal(t, jsonOf(t, before), jsonOf(t, after))
		})
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	return string(b)
}

// problems is the list of a refused form's errors, for a failure message.
func problems(page string) string {
	_, rest, ok := strings.Cut(page, `id="form-errors"`)
	if !ok {
		return page
	}
	list, _, _ := strings.Cut(rest, "</div>")
	return list
}

// requireAbsent fails when page holds secret, quoting where.
func requireAbsent(t *testing.T, page, secret string) {
	t.Helper()
	if i := strings.Index(page, secret); i >= 0 {
		t.Fatalf("the page shows %q: …%s…", secret, page[max(0, i-120):min(len(page), i+len(secret)+40)])
	}
}

// location is where a browser goes for a Location header: it drops tabs
// and newlines before it reads the URL.
func location(t *testing.T, base, loc string) *url.URL {
	t.Helper()
	loc = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, loc)
	loc = strings.ReplaceAll(loc, `\`, "/") // as browsers read http URLs
	b, err := url.Parse(base)
	require.NoError(t, err)
	u, err := b.Parse(loc)
	require.NoError(t, err)
	return u
}

func TestTheBackFieldCannotLeaveTheSite(t *testing.T) {
	for _, prefix := range []string{"", "/console"} {
		s := newHostSite(t, prefix, nil)
		added, err := s.d.Tenant("acme").Create(context.Background(), everyField(t, s.receiver.URL, nil), "admin")
		require.NoError(t, err)
		version := added.Version
		for _, back := range []string{"/\t/evil.example/", "/\n/evil.example/", "/\\evil.example/", "/%2F/evil.example", "//evil.example/", "https://evil.example/", "/\t\\evil.example"} {
			status, loc, _ := s.send(t, "acme", http.MethodPost, "/webhooks/"+added.ID+"/active", url.Values{"version": {strconv.FormatInt(version, 10)}, "active": {"true"}, "back": {back}})
			require.Equal(t, http.StatusSeeOther, status, "%q", back)
			version++
			u := location(t, s.srv.URL+prefix+"/", loc)
			require.Equal(t, strings.TrimPrefix(s.srv.URL, "http://"), u.Host, "back %q under %q sent the browser to %q", back, prefix, loc)
		}
	}
}

func TestARefusedFormDoesNotSendTypedURLSecretsBack(t *testing.T) {
	s := newHostSite(t, "/console", nil)
	form := url.Values{
		"name":         {"bad name!"},
		"method":       {"POST"},
		"url":          {"http://user:typed-pw@127.0.0.1:1/hook?token=typed-token"},
		"triggers":     {"RequestCreated"},
		"mock_trigger": {"RequestCreated"},
	}
	status, _, body := s.send(t, "acme", http.MethodPost, "/webhooks/new", form)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	requireAbsent(t, body, "typed-pw")
	requireAbsent(t, body, "typed-token")
	require.Contains(t, body, "enter the header values, signing secrets and secret URL again")

	// The Test button without the script answers with the page again.
	form.Set("name", "fine")
	status, _, body = s.send(t, "acme", http.MethodPost, "/test", form)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Test failed")
	requireAbsent(t, body, "typed-pw")
	requireAbsent(t, body, "typed-token")
}

func TestNoPageOrAnswerQuotesATypedSigningSecret(t *testing.T) {
	s := newHostSite(t, "/console", nil)
	form := url.Values{
		"name":                    {"hook"},
		"url":                     {s.receiver.URL + "/hook"},
		"triggers":                {"RequestCreated"},
		"mock_trigger":            {"RequestCreated"},
		"signing_secrets.0.value": {"whsec_typed-s3cret-not-base64"},
		"signing_secrets.1.value": {"typed-s3cret-no-prefix"},
		"headers.0.key":           {"Authorization"},
		"headers.0.value":         {"Bearer typed-s3cret\x01"},
		"headers.1.key":           {"Bad Name typed-s3cret"},
		"headers.1.value":         {"x"},
	}
	for _, path := range []string{"/webhooks/new", "/test", "/live/validate"} {
		status, _, body := s.send(t, "acme", http.MethodPost, path, form)
		require.NotEqual(t, http.StatusInternalServerError, status, path)
		requireAbsent(t, strings.ReplaceAll(body, "Bad Name typed-s3cret", ""), "typed-s3cret")
	}
	_, _, frag := s.send(t, "acme", http.MethodPost, "/test", form, "X-Console-Fragment", "1")
	requireAbsent(t, strings.ReplaceAll(frag, "Bad Name typed-s3cret", ""), "typed-s3cret")
}

// plainStore is an InvocationStore that cannot query: what a service
// with its own store of records may give WithInvocationStore.
type plainStore struct{ webhook.InvocationStore }

func TestPagesWorkWithAStoreThatCannotQuery(t *testing.T) {
	s := newHostSite(t, "/console", []webhook.Option{webhook.WithInvocationStore(plainStore{webhook.NewMemoryStore(0, 0)})})
	added, err := s.d.Tenant("acme").Create(context.Background(), everyField(t, s.receiver.URL, nil), "admin")
	require.NoError(t, err)
	_, err = s.d.Tenant("acme").Test(context.Background(), added.ID, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	for _, p := range []struct{ method, path, want string }{
		{http.MethodGet, "/", "not recorded"},
		{http.MethodGet, "/webhooks/" + added.ID, "every field"},
		{http.MethodGet, "/invocations", "keeps no queryable history"},
		{http.MethodGet, "/dead-letters?webhook=" + added.ID, "keeps no queryable dead letters"},
		{http.MethodPost, "/webhooks/" + added.ID + "/recover", "keeps no queryable dead letters"},
	} {
		var form url.Values
		if p.method == http.MethodPost {
			form = url.Values{"since": {"2026-01-01T00:00"}}
		}
		status, _, body := s.send(t, "acme", p.method, p.path, form)
		require.Less(t, status, 500, "%s %s", p.method, p.path)
		require.True(t, strings.Contains(body, p.want), "%s %s says %q", p.method, p.path, p.want)
	}
}

func TestACursorThatIsNotOneIsTheUsersMistake(t *testing.T) {
	s := newHostSite(t, "/console", nil)
	for _, tenant := range []string{"acme", "globex"} {
		for i := range 3 {
			w := everyField(t, s.receiver.URL, nil)
			w.Name = fmt.Sprintf("%s %d", tenant, i)
			_, err := s.d.Tenant(tenant).Create(context.Background(), w, "admin")
			require.NoError(t, err)
		}
	}
	for _, cursor := range []string{"garbage", "%00", "%ff", strings.Repeat("x", 5000)} {
		status, _, body := s.send(t, "acme", http.MethodGet, "/?cursor="+cursor, nil)
		require.Less(t, status, 500, cursor)
		if cursor == "%00" || cursor == "%ff" {
			require.Equal(t, http.StatusBadRequest, status, cursor)
			require.Contains(t, body, "start from the first page")
		}
		for _, records := range []string{"/invocations", "/dead-letters"} {
			status, _, body = s.send(t, "acme", http.MethodGet, records+"?cursor="+cursor, nil)
			require.Equal(t, http.StatusOK, status, records)
			require.Contains(t, body, "Please correct the following", records)
		}
	}
	// Another tenant's cursor shows nothing of theirs.
	page, err := s.d.Tenant("globex").List(context.Background(), defstoreListOf(1))
	require.NoError(t, err)
	_, _, body := s.send(t, "acme", http.MethodGet, "/?cursor="+url.QueryEscape(page.Next), nil)
	requireAbsent(t, body, "globex")
}

// TestAFormOfThousandsOfRowsIsRead sends the most rows net/url reads; each
// row prefix is found in one pass over the form's keys.
func TestAFormOfThousandsOfRowsIsRead(t *testing.T) {
	s := newHostSite(t, "/console", nil)
	form := url.Values{"name": {"rows"}, "url": {s.receiver.URL}, "triggers": {"RequestCreated"}}
	for i := range 4990 { // net/url reads 10000 fields at most
		form.Set(fmt.Sprintf("headers.%d.key", i), fmt.Sprintf("X-%d", i))
		form.Set(fmt.Sprintf("headers.%d.value", i), "v")
	}
	require.Less(t, len(form.Encode()), console.DefaultMaxFormBytes)
	status, _, body := s.send(t, "acme", http.MethodPost, "/live/validate", form)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `"ok":`, "the form was read and checked")
}

func TestFormsTooLargeOrMalformed(t *testing.T) {
	s := newHostSite(t, "/console", nil, console.WithMaxFormBytes(1000))
	status, _, _ := s.send(t, "acme", http.MethodPost, "/live/validate", url.Values{"name": {strings.Repeat("x", 2000)}})
	require.Equal(t, http.StatusRequestEntityTooLarge, status)
	req, err := http.NewRequest(http.MethodPost, s.srv.URL+"/console/webhooks/new", strings.NewReader("name=%zz"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Tenant", "acme")
	res, err := http.DefaultTransport.RoundTrip(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
}

func TestHeadRequestsChangeNothing(t *testing.T) {
	s := newHostSite(t, "/console", nil)
	added, err := s.d.Tenant("acme").Create(context.Background(), everyField(t, s.receiver.URL, nil), "admin")
	require.NoError(t, err)
	for _, p := range []string{"/", "/webhooks/" + added.ID, "/invocations", "/dead-letters", "/webhooks/new"} {
		status, _, body := s.send(t, "acme", http.MethodHead, p, nil)
		require.Equal(t, http.StatusOK, status, p)
		require.Empty(t, body)
	}
	for _, p := range []string{"/webhooks/" + added.ID + "/delete", "/webhooks/" + added.ID + "/active", "/test", "/dead-letters/redeliver"} {
		status, _, _ := s.send(t, "acme", http.MethodHead, p, nil)
		require.GreaterOrEqual(t, status, 400, p)
		status, _, _ = s.send(t, "acme", http.MethodGet, p, nil)
		require.GreaterOrEqual(t, status, 400, p)
	}
	got, err := s.d.Tenant("acme").Get(context.Background(), added.ID)
	require.NoError(t, err)
	require.Equal(t, added.Version, got.Version)
}

func TestARateLimitedTestSaysWhenToTryAgain(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := newHostSite(t, "/console", nil, console.WithClock(func() time.Time { return now }), console.WithTestRate(10, time.Second))
	form := url.Values{"name": {"hook"}, "url": {s.receiver.URL}, "triggers": {"RequestCreated"}, "mock_trigger": {"RequestCreated"}}
	for range 10 {
		_, _, frag := s.send(t, "acme", http.MethodPost, "/test", form, "X-Console-Fragment", "1")
		require.Contains(t, frag, "Test successful")
	}
	status, _, frag := s.send(t, "acme", http.MethodPost, "/test", form, "X-Console-Fragment", "1")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, frag, "Test failed")
	require.Contains(t, frag, "Too many tests; try again in 1s.")
	_, _, frag = s.send(t, "globex", http.MethodPost, "/test", form, "X-Console-Fragment", "1")
	require.Contains(t, frag, "Test successful", "each tenant has its own limit")
}

// echoServer is a hostile receiver: it sends back what it was sent, the
// Authorization header included, in its body and its headers, with markup.
func echoServer(t *testing.T) (*httptest.Server, *[]string) {
	t.Helper()
	var got []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("X-Echo", r.Header.Get("Authorization"))
		w.Header().Set("X-Markup", `"><script>alert(1)</script>`)
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"status":"ok","auth":%q,"html":"</pre><script>alert(1)</script>"}`, r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func TestAHostileReceiverSeesNoSecretOfAnotherAndShowsNoMarkup(t *testing.T) {
	s := newHostSite(t, "/console", nil)
	w := everyField(t, s.receiver.URL, nil)
	w.URL = s.receiver.URL + "/hook"
	w.SecretURLPath, w.ResponseValidators = false, nil
	added, err := s.d.Tenant("acme").Create(context.Background(), w, "admin")
	require.NoError(t, err)
	evil, got := echoServer(t)

	_, _, edit := s.send(t, "acme", http.MethodGet, "/webhooks/"+added.ID, nil)
	form := browserForm(t, edit)
	form.Set("url", evil.URL+"/hook")
	form.Set("mock_trigger", "RequestCreated")
	// Test and Save with the stored secrets masked and another URL.
	_, _, frag := s.send(t, "acme", http.MethodPost, "/test", form, "X-Console-Fragment", "1")
	require.Contains(t, frag, "Test failed")
	_, _, page := s.send(t, "acme", http.MethodPost, "/test", form)
	require.Contains(t, page, "Test failed")
	status, _, page := s.send(t, "acme", http.MethodPost, "/webhooks/"+added.ID, form)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, page, "secret is kept for the URL it was given for only")
	for _, auth := range *got {
		require.NotContains(t, auth, "h-s3cret", "the stored secret went to another URL")
	}

	// Given the secret whole, the echo comes back: the page shows it
	// redacted, and the receiver's markup as text.
	form.Set("headers.0.value", "Bearer typed-s3cret")
	form.Del("signing_secrets.0.value")
	form.Del("signing_secrets.1.value")
	for _, k := range []string{"headers.1.value", "headers.2.value"} {
		form.Set(k, "x-"+k)
	}
	_, _, frag = s.send(t, "acme", http.MethodPost, "/test", form, "X-Console-Fragment", "1")
	require.Contains(t, frag, "Test successful")
	require.Contains(t, frag, "&lt;script&gt;")
	require.NotContains(t, frag, "<script>alert")
	requireAbsent(t, frag, "typed-s3cret")
	_, err = s.d.Tenant("acme").Test(context.Background(), added.ID, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	for _, p := range []string{"/invocations", "/"} {
		_, _, body := s.send(t, "acme", http.MethodGet, p, nil)
		require.NotContains(t, body, "<script>alert")
		requireAbsent(t, body, "h-s3cret")
	}
}

// failingDefs is a definition store that fails the calls named in fail.
type failingDefs struct {
	defstore.Store
	mu   sync.Mutex
	fail map[string]bool
}

var errStoreDown = errors.New("store down at 10.0.0.7: password=db-s3cret")

func (f *failingDefs) failing(call string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fail[call]
}

func (f *failingDefs) set(calls ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = map[string]bool{}
	for _, c := range calls {
		f.fail[c] = true
	}
}

func (f *failingDefs) Get(ctx context.Context, tenant, id string) (defstore.Record, error) {
	if f.failing("Get") {
		return defstore.Record{}, errStoreDown
	}
	return f.Store.Get(ctx, tenant, id)
}

func (f *failingDefs) List(ctx context.Context, tenant string, opts defstore.ListOptions) (defstore.Page, error) {
	if f.failing("List") {
		return defstore.Page{}, errStoreDown
	}
	return f.Store.List(ctx, tenant, opts)
}

func (f *failingDefs) Update(ctx context.Context, rec defstore.Record, version int64, actor string) (defstore.Record, error) {
	if f.failing("Update") {
		return defstore.Record{}, errStoreDown
	}
	return f.Store.Update(ctx, rec, version, actor)
}

func TestAFailingDefinitionStoreIsA500ThatShowsNothingOfIt(t *testing.T) {
	defs := &failingDefs{Store: defstore.NewMemory()}
	var logged strings.Builder
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logged.Write(p)
	}), nil))
	s := newHostSite(t, "/console", []webhook.Option{webhook.WithDefinitionStore(defs)}, console.WithLogger(logger))
	added, err := s.d.Tenant("acme").Create(context.Background(), everyField(t, s.receiver.URL, nil), "admin")
	require.NoError(t, err)
	_, _, edit := s.send(t, "acme", http.MethodGet, "/webhooks/"+added.ID, nil)
	form := browserForm(t, edit)

	for _, c := range []struct {
		fail         []string
		method, path string
		form         url.Values
	}{
		{[]string{"List"}, http.MethodGet, "/", nil},
		{[]string{"Get"}, http.MethodGet, "/webhooks/" + added.ID, nil},
		{[]string{"List"}, http.MethodGet, "/invocations", nil},
		{[]string{"Update"}, http.MethodPost, "/webhooks/" + added.ID, form},
		{[]string{"Get"}, http.MethodPost, "/webhooks/" + added.ID, form},
		{[]string{"Get"}, http.MethodPost, "/test", form},
		{[]string{"Update"}, http.MethodPost, "/webhooks/" + added.ID + "/active", url.Values{"version": {"1"}, "active": {"false"}}},
	} {
		defs.set(c.fail...)
		status, _, body := s.send(t, "acme", c.method, c.path, c.form, "X-Console-Fragment", "")
		require.Equal(t, http.StatusInternalServerError, status, "%v %s %s", c.fail, c.method, c.path)
		requireAbsent(t, body, "db-s3cret")
		requireAbsent(t, body, "10.0.0.7")
	}
	defs.set()
	logMu.Lock()
	require.Contains(t, logged.String(), "store down")
	logMu.Unlock()
	got, err := s.d.Tenant("acme").Get(context.Background(), added.ID)
	require.NoError(t, err)
	require.Equal(t, added.Version, got.Version, "nothing was written")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestParallelRequestsOfSeveralTenants(t *testing.T) {
	s := newHostSite(t, "/console", nil)
	var wg sync.WaitGroup
	for g := range 6 {
		tenant := fmt.Sprintf("t%d", g%3)
		wg.Add(1)
		go func() {
			defer wg.Done()
			form := url.Values{
				"name": {fmt.Sprintf("hook %d", g)}, "url": {s.receiver.URL + "/hook"}, "triggers": {"RequestCreated"},
				"mock_trigger": {"RequestCreated"}, "body_template": {`{"a": "{{data.id}}"}`},
				"filters.0.dimension": {"integration_types"}, "filters.0.values": {"Postgresql"},
			}
			for i := range 8 {
				var status int
				switch i % 4 {
				case 0:
					form.Set("name", fmt.Sprintf("hook %d %d", g, i))
					status, _, _ = s.send(t, tenant, http.MethodPost, "/webhooks/new", form)
				case 1:
					status, _, _ = s.send(t, tenant, http.MethodPost, "/live/preview", form)
				case 2:
					status, _, _ = s.send(t, tenant, http.MethodPost, "/test", form, "X-Console-Fragment", "1")
				case 3:
					status, _, _ = s.send(t, tenant, http.MethodGet, "/", nil)
				}
				if status >= 500 {
					t.Errorf("tenant %s request %d: %d", tenant, i, status)
				}
			}
		}()
	}
	wg.Wait()
	for g := range 3 {
		page, err := s.d.Tenant(fmt.Sprintf("t%d", g)).List(context.Background(), defstoreList())
		require.NoError(t, err)
		require.Len(t, page.Webhooks, 4, "each of the tenant's two writers created two")
	}
}

func TestAnotherTenantsIDsReachNothing(t *testing.T) {
	s := newHostSite(t, "/console", nil)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(failing.Close)
	w := webhook.Webhook{
		Name: "acme only", Active: true, URL: failing.URL + "/hook", Triggers: []event.Trigger{accessrequest.Created},
		Headers:  map[string]string{"Authorization": "Bearer acme-s3cret"},
		Delivery: &webhook.DeliverySettings{Retry: &webhook.RetryPolicy{MaxAttempts: 1}},
	}
	acme := s.d.Tenant("acme")
	added, err := acme.Create(context.Background(), w, "admin")
	require.NoError(t, err)
	_, err = acme.Publish(context.Background(), mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	var dl webhook.DeadLetter
	require.Eventually(t, func() bool {
		page, err := acme.DeadLetters(context.Background(), webhook.DeadLetterQuery{})
		if err != nil || len(page.DeadLetters) == 0 {
			return false
		}
		dl = page.DeadLetters[0]
		return true
	}, 5*time.Second, 10*time.Millisecond)

	for _, c := range []struct {
		method, path string
		form         url.Values
	}{
		{http.MethodPost, "/webhooks/" + added.ID + "/breaker/reset", url.Values{}},
		{http.MethodPost, "/webhooks/" + added.ID + "/recover", url.Values{"since": {"2000-01-01T00:00"}}},
		{http.MethodPost, "/dead-letters/redeliver", url.Values{"delivery_id": {dl.DeliveryID}}},
		{http.MethodPost, "/webhooks/" + added.ID, url.Values{"version": {"1"}, "name": {"taken"}, "url": {failing.URL}, "triggers": {"RequestCreated"}}},
	} {
		status, _, body := s.send(t, "globex", c.method, c.path, c.form)
		require.Equal(t, http.StatusNotFound, status, c.path)
		requireAbsent(t, body, "acme only")
	}
	for _, p := range []string{"/dead-letters?webhook=" + added.ID, "/invocations?webhook=" + added.ID, "/"} {
		_, _, body := s.send(t, "globex", http.MethodGet, p, nil)
		requireAbsent(t, body, "acme only")
		requireAbsent(t, body, dl.DeliveryID)
	}
	page, err := acme.DeadLetters(context.Background(), webhook.DeadLetterQuery{})
	require.NoError(t, err)
	require.Len(t, page.DeadLetters, 1, "globex's redeliver and recover took nothing")
	got, err := acme.Get(context.Background(), added.ID)
	require.NoError(t, err)
	require.Equal(t, added.Version, got.Version)
}

func TestTheTestFragmentIsMarkedAsTheConsoles(t *testing.T) {
	s := newHostSite(t, "/console", nil)
	form := url.Values{"name": {"hook"}, "url": {s.receiver.URL}, "triggers": {"RequestCreated"}, "mock_trigger": {"RequestCreated"}}
	req, err := http.NewRequest(http.MethodPost, s.srv.URL+"/console/test", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Tenant", "acme")
	req.Header.Set("X-Console-Fragment", "1")
	res, err := http.DefaultTransport.RoundTrip(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "1", res.Header.Get("X-Console-Fragment"), "the script inserts only a marked answer as HTML")
}

// rawGet sends one request line as written, as a client that does not
// clean its URL would, and returns the answer.
func rawGet(t *testing.T, srv *httptest.Server, requestURI string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nX-Tenant: acme\r\nConnection: close\r\n\r\n", requestURI, srv.Listener.Addr())
	require.NoError(t, err)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(b)
}

var linkAttr = regexp.MustCompile(`(?:href|src|action|formaction|data-base)="([^"]*)"`)

func TestLinksStayOnTheSiteWhateverTheRequestURI(t *testing.T) {
	h, err := console.New(mustDispatcher(t), func(r *http.Request) (string, string, error) { return "acme", "a", nil })
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/console/", http.StripPrefix("/console", h))
	// A router that mounts the console under a path segment of its own.
	mux.Handle("/t/{tenant}/hooks/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + strings.SplitN(r.URL.Path, "/", 5)[4]
		r2.URL.RawPath = ""
		h.ServeHTTP(w, r2)
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	self := "http://" + srv.Listener.Addr().String()
	for _, uri := range []string{
		"/console/", "/console", "/console/invocations?since=x",
		self + "/console/", "http://evil.example/console/", "http://evil.example//evil.example/console/",
		"/console//evil.example/", "/console/%2F%2Fevil.example/", "/console/webhooks/%2E%2E",
		"/t/%2F%2Fevil.example/hooks/", `/t/\evil.example/hooks/`, "/t/%5Cevil.example/hooks/", "/t/acme/hooks/invocations",
	} {
		res, body := rawGet(t, srv, uri)
		links := []string{res.Header.Get("Location")}
		for _, m := range linkAttr.FindAllStringSubmatch(body, -1) {
			links = append(links, html.UnescapeString(m[1]))
		}
		for _, l := range links {
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			u := location(t, self+"/console/", l)
			require.Equal(t, srv.Listener.Addr().String(), u.Host, "GET %s: a link %q leaves the site", uri, l)
		}
	}
}

func mustDispatcher(t *testing.T) *webhook.Dispatcher {
	t.Helper()
	d, err := webhook.New()
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	return d
}
