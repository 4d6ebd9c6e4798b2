package console_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/console"
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
		CustomValidationErrorMessage: "the receiver did not accept it",
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

func TestAFormOfThousandsOfRowsIsReadInLinearTime(t *testing.T) {
	s := newHostSite(t, "/console", nil)
	form := url.Values{"name": {"rows"}, "url": {s.receiver.URL}, "triggers": {"RequestCreated"}}
	for i := range 4990 { // net/url reads 10000 fields at most
		form.Set(fmt.Sprintf("headers.%d.key", i), fmt.Sprintf("X-%d", i))
		form.Set(fmt.Sprintf("headers.%d.value", i), "v")
	}
	require.Less(t, len(form.Encode()), console.DefaultMaxFormBytes)
	start := time.Now()
	status, _, _ := s.send(t, "acme", http.MethodPost, "/live/validate", form)
	require.Equal(t, http.StatusOK, status)
	require.Less(t, time.Since(start), 2*time.Second)
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
