package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

const ticketUpdated event.Trigger = "TicketUpdated"

func ticketSchema(t *testing.T) *event.Schema {
	t.Helper()
	s, err := event.NewSchema(
		event.SchemaField{Path: "event_type", Type: "string", Description: "type"},
		event.SchemaField{Path: "data", Type: "object", Description: "data"},
		event.SchemaField{Path: "data.ticket", Type: "object", Description: "ticket"},
		event.SchemaField{Path: "data.ticket.id", Type: "string", Description: "id"},
		event.SchemaField{Path: "data.tenant", Type: "string", Description: "tenant"},
	)
	require.NoError(t, err)
	return s
}

func ticketEvent(t *testing.T, id, tenant string) *event.Event {
	t.Helper()
	e, err := event.New(ticketUpdated, map[string]any{"ticket": map[string]any{"id": id}, "tenant": tenant})
	require.NoError(t, err)
	return e
}

// rawReceiver records each request's raw request URI, as the client sent it.
type rawReceiver struct {
	mu   sync.Mutex
	uris []string
	hdrs []http.Header
	echo bool
}

func (rr *rawReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rr.mu.Lock()
	rr.uris = append(rr.uris, r.RequestURI)
	rr.hdrs = append(rr.hdrs, r.Header.Clone())
	rr.mu.Unlock()
	if rr.echo { // a receiver that echoes the request back, secrets and all
		_, _ = fmt.Fprintf(w, "%s %s", r.RequestURI, r.Header.Get("X-Tenant"))
	}
}

func (rr *rawReceiver) got() ([]string, []http.Header) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return append([]string(nil), rr.uris...), append([]http.Header(nil), rr.hdrs...)
}

func newTicketDispatcher(t *testing.T, opts ...webhook.Option) (*webhook.Dispatcher, chan webhook.Invocation) {
	t.Helper()
	return newDispatcher(t, append([]webhook.Option{webhook.WithEventType(ticketUpdated, ticketSchema(t))}, opts...)...)
}

func TestTemplatedURLEscapesEachValueForWhereItStands(t *testing.T) {
	rr := &rawReceiver{}
	srv := newServer(t, rr)
	d, invs := newTicketDispatcher(t)
	_, err := d.Add(webhook.Webhook{
		Name: "tickets", Active: true, Triggers: []event.Trigger{ticketUpdated},
		URL:     srv + "/tickets/{{data.ticket.id}}/close?tenant={{data.tenant}}&fixed=a",
		Headers: map[string]string{"X-Ticket": "ticket {{data.ticket.id}}"},
	})
	require.NoError(t, err)

	cases := []struct{ id, tenant, wantURI string }{
		{"../../admin?x=1#", "t&x=1", "/tickets/..%2F..%2Fadmin%3Fx=1%23/close?tenant=t%26x%3D1&fixed=a"},
		{"ünï/cødé", "a b+c", "/tickets/%C3%BCn%C3%AF%2Fc%C3%B8d%C3%A9/close?tenant=a+b%2Bc&fixed=a"},
		{"%2e%2e", "#", "/tickets/%252e%252e/close?tenant=%23&fixed=a"},
	}
	for _, c := range cases {
		_, err := d.Publish(context.Background(), ticketEvent(t, c.id, c.tenant))
		require.NoError(t, err)
		inv := waitFinal(t, invs, 1)[0]
		require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	}
	uris, hdrs := rr.got()
	for i, c := range cases {
		require.Equal(t, c.wantURI, uris[i])
		// The receiver decodes back exactly the values published.
		u, err := url.ParseRequestURI(uris[i])
		require.NoError(t, err)
		segments := strings.Split(u.EscapedPath(), "/")
		require.Len(t, segments, 4)
		id, err := url.PathUnescape(segments[2])
		require.NoError(t, err)
		require.Equal(t, c.id, id)
		require.Equal(t, c.tenant, u.Query().Get("tenant"))
		require.Equal(t, "a", u.Query().Get("fixed"))
		require.Equal(t, "ticket "+c.id, hdrs[i].Get("X-Ticket"))
	}
}

// newServer starts an httptest server for h and returns its URL.
func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) })
	return rc.URL
}

func TestTemplatedTargetRefusesHostileValuesUnsent(t *testing.T) {
	rr := &rawReceiver{}
	srv := newServer(t, rr)
	d, invs := newTicketDispatcher(t)
	w, err := d.Add(webhook.Webhook{
		Name: "tickets", Active: true, Triggers: []event.Trigger{ticketUpdated},
		URL:     srv + "/tickets/{{data.ticket.id}}/close",
		Headers: map[string]string{"X-Tenant": "{{data.tenant}}"},
	})
	require.NoError(t, err)
	cases := []struct{ id, tenant, reason string }{
		{"1", "a\r\nX-Evil: 1", "header X-Tenant: the rendered value holds a control character"},
		{"1", "a\nb", "header X-Tenant: the rendered value holds a control character"},
		{"1", "nul\x00", "header X-Tenant: the rendered value holds a control character"},
		{"..", "ok", "renders to a dot segment"},
		{".", "ok", "renders to a dot segment"},
	}
	for _, c := range cases {
		_, err := d.Publish(context.Background(), ticketEvent(t, c.id, c.tenant))
		require.NoError(t, err)
		inv := waitFinal(t, invs, 1)[0]
		require.Equal(t, webhook.Failed, inv.Outcome)
		require.Contains(t, inv.Reason, c.reason)
		require.Contains(t, inv.Reason, "not sent")
		require.NotContains(t, inv.Reason, "Evil")
	}
	uris, _ := rr.got()
	require.Empty(t, uris, "nothing may be sent")
	dls, err := d.DeadLetters(context.Background(), w.ID, 100)
	require.NoError(t, err)
	require.Len(t, dls, len(cases))
}

func TestTemplatedTargetRegistrationErrors(t *testing.T) {
	d, _ := newTicketDispatcher(t)
	base := func(u string, headers map[string]string) webhook.Webhook {
		return webhook.Webhook{Name: "t", Active: true, Triggers: []event.Trigger{ticketUpdated}, URL: u, Headers: headers}
	}
	cases := []struct {
		name          string
		w             webhook.Webhook
		field         string
		line, col     int
		is            error
		contains      string
		notContaining string
	}{
		{"templated host", base("https://{{data.tenant}}.example/x", nil), "url", 1, 9, webhook.ErrInvalidURL, "may not be templated", ""},
		{"templated port", base("https://h.example:{{data.tenant}}/x", nil), "url", 1, 19, webhook.ErrInvalidURL, "may not be templated", ""},
		{"templated userinfo", base("https://{{data.tenant}}@h.example/x", nil), "url", 1, 9, webhook.ErrInvalidURL, "may not be templated", ""},
		{"whole url", base("{{data.tenant}}", nil), "url", 1, 1, webhook.ErrInvalidURL, "may not be templated", ""},
		{"unknown field in url", base("https://h.example/t/{{data.ticket.idd}}", nil), "url", 1, 23, webhook.ErrInvalidTemplate, `data.ticket.id`, ""},
		{"unknown field after query", base("https://h.example/t?a=b&x={{data.tenat}}", nil), "url", 1, 29, webhook.ErrInvalidTemplate, "data.tenant", ""},
		{"unclosed block", base("https://h.example/t/{{#if data.tenant}}x/y{{/if}}", nil), "url", 1, 0, webhook.ErrInvalidTemplate, "", ""},
		{"escape beside a template", base("https://h.example/t/a%20{{data.tenant}}", nil), "url", 1, 21, webhook.ErrInvalidURL, "without %", ""},
		{"unknown field in header", base("https://h.example/t", map[string]string{"X-Ticket": "id {{data.tickt.id}}"}), "headers.X-Ticket", 1, 6, webhook.ErrInvalidTemplate, "data.ticket.id", ""},
		{"bad header template", base("https://h.example/t", map[string]string{"X-Ticket": "{{#if data.tenant}}"}), "headers.X-Ticket", 1, 0, webhook.ErrInvalidTemplate, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := d.Add(c.w)
			require.Error(t, err)
			require.ErrorIs(t, err, c.is)
			var de *webhook.DefinitionError
			require.ErrorAs(t, err, &de)
			require.Equal(t, c.field, de.Field, err.Error())
			require.Equal(t, c.line, de.Line, err.Error())
			if c.col > 0 {
				require.Equal(t, c.col, de.Column, err.Error())
			} else {
				require.Positive(t, de.Column, err.Error())
			}
			require.Contains(t, err.Error(), c.contains)
		})
	}
}

func TestTemplatedHeaderIsRedactedEverywhere(t *testing.T) {
	const secret = "tenant-secret-7f3a9c"
	rr := &rawReceiver{echo: true}
	srv := newServer(t, rr)
	var logs lockedBuffer
	d, invs := newTicketDispatcher(t, webhook.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	w, err := d.Add(webhook.Webhook{
		Name: "tickets", Active: true, Triggers: []event.Trigger{ticketUpdated},
		URL:           srv + "/t/{{data.ticket.id}}?key={{data.tenant}}",
		Headers:       map[string]string{"X-Tenant": "{{data.tenant}}", "Authorization": "Bearer {{data.tenant}}"},
		SecretURLPath: true,
		BodyTemplate:  `{"kind": "{{event_type}}"}`, // the event itself holds the values
	})
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), ticketEvent(t, "path-secret-1234", secret))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	_, hdrs := rr.got()
	require.Equal(t, secret, hdrs[0].Get("X-Tenant"))
	require.Equal(t, "Bearer "+secret, hdrs[0].Get("Authorization"))

	invJSON, err := json.Marshal(inv)
	require.NoError(t, err)
	test, err := d.TestEvent(context.Background(), w, ticketEvent(t, "path-secret-1234", secret))
	require.NoError(t, err)
	testJSON, err := json.Marshal(test)
	require.NoError(t, err)
	require.NoError(t, d.Close(context.Background())) // the delivery's log line is written
	for name, out := range map[string]string{
		"invocation": string(invJSON), "test": string(testJSON), "logs": logs.String(),
		"printed": fmt.Sprintf("%v %+v %#v", inv, w, w),
	} {
		require.NotContains(t, out, secret, name)
		require.NotContains(t, out, "path-secret-1234", name)
	}
	require.Contains(t, string(invJSON), "REDACTED")
	require.Contains(t, logs.String(), "webhook delivery", "the logs were looked at")
}

func TestTemplatedTargetRenderedURLIsCheckedAgain(t *testing.T) {
	rr := &rawReceiver{}
	srv := newServer(t, rr)
	d, invs := newTicketDispatcher(t)
	// A value cannot reach the authority: '@', ':' and '/' are escaped, so
	// the host stays the registered one.
	_, err := d.Add(webhook.Webhook{
		Name: "tickets", Active: true, Triggers: []event.Trigger{ticketUpdated},
		URL: srv + "/{{data.ticket.id}}",
	})
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), ticketEvent(t, "/evil.example:80@x", "t"))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	uris, _ := rr.got()
	require.Equal(t, []string{"/%2Fevil.example:80@x"}, uris)
}

func TestPlainHeadersAndURLStayPlain(t *testing.T) {
	rr := &rawReceiver{}
	srv := newServer(t, rr)
	d, invs := newTicketDispatcher(t)
	// Without "{{", braces and mustache-like text are sent as written.
	_, err := d.Add(webhook.Webhook{
		Name: "plain", Active: true, Triggers: []event.Trigger{ticketUpdated},
		URL:     srv + "/a%20b/{x}",
		Headers: map[string]string{"X-Literal": "{data.tenant} }}"},
	})
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), ticketEvent(t, "1", "t"))
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, waitFinal(t, invs, 1)[0].Outcome)
	uris, hdrs := rr.got()
	require.Equal(t, "/a%20b/%7Bx%7D", uris[0])
	require.Equal(t, "{data.tenant} }}", hdrs[0].Get("X-Literal"))
}

func TestDefinitionURLPolicy(t *testing.T) {
	rc := newReceiver(t, nil)
	u, err := url.Parse(rc.URL)
	require.NoError(t, err)
	var port int
	_, err = fmt.Sscan(u.Port(), &port)
	require.NoError(t, err)
	hook := func(p *webhook.DefinitionURLPolicy, target string) webhook.Webhook {
		w := torqLike(target)
		w.URLPolicy = p
		return w
	}
	newD := func(p webhook.URLPolicy) *webhook.Dispatcher {
		d, err := webhook.New(webhook.WithURLPolicy(p), webhook.WithAllowedTargets("127.0.0.1"))
		require.NoError(t, err)
		t.Cleanup(func() { _ = d.Close(context.Background()) })
		return d
	}
	requireRefused := func(t *testing.T, err error, field, says string) {
		t.Helper()
		require.ErrorIs(t, err, webhook.ErrInsecureURL)
		var de *webhook.DefinitionError
		require.ErrorAs(t, err, &de)
		require.Equal(t, field, de.Field)
		require.Contains(t, err.Error(), says)
	}
	// The host lets definitions open the receiver's port (Splunk HEC's
	// 8088 in production) and use HTTP, as a loopback receiver needs.
	host := webhook.URLPolicy{DefinitionsMayAllowHTTP: true, DefinitionPorts: []int{port}}

	t.Run("a definition allowed a custom port reaches it", func(t *testing.T) {
		d := newD(host)
		w, err := d.Add(hook(&webhook.DefinitionURLPolicy{AllowHTTP: true, AllowCustomPort: true}, rc.URL))
		require.NoError(t, err)
		inv, err := d.Test(context.Background(), w, "AccessRequestCreated")
		require.NoError(t, err)
		require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	})
	t.Run("a definition without it is refused", func(t *testing.T) {
		_, err := newD(host).Add(hook(&webhook.DefinitionURLPolicy{AllowHTTP: true}, rc.URL))
		requireRefused(t, err, "url", "needs url_policy.allow_custom_port")
		_, err = newD(host).Add(hook(nil, rc.URL))
		requireRefused(t, err, "url", "url_policy.allow_http")
	})
	t.Run("a port the host did not list is refused", func(t *testing.T) {
		_, err := newD(host).Add(hook(&webhook.DefinitionURLPolicy{AllowHTTP: true, AllowCustomPort: true}, "http://127.0.0.1:1/x"))
		requireRefused(t, err, "url", "not one the Dispatcher lets definitions use")
	})
	t.Run("a definition asking for more than the host allows is refused", func(t *testing.T) {
		_, err := newD(webhook.URLPolicy{}).Add(hook(&webhook.DefinitionURLPolicy{AllowCustomPort: true}, "https://hec.example:8088/services/collector"))
		requireRefused(t, err, "url_policy.allow_custom_port", "does not let definitions allow custom ports")
		_, err = newD(webhook.URLPolicy{DefinitionPorts: []int{8088}}).Add(hook(&webhook.DefinitionURLPolicy{AllowHTTP: true, AllowCustomPort: true}, "http://hec.example:8088/services/collector"))
		requireRefused(t, err, "url_policy.allow_http", "does not let definitions allow HTTP")
	})
	t.Run("the host's own policy needs no definition setting", func(t *testing.T) {
		_, err := newD(webhook.URLPolicy{AllowCustomPorts: true}).Add(hook(nil, "https://hec.example:8088/services/collector"))
		require.NoError(t, err)
	})
	t.Run("a rendered URL is held to the definition's policy too", func(t *testing.T) {
		d := newD(webhook.URLPolicy{DefinitionPorts: []int{8088}})
		_, err := d.Add(hook(nil, "https://hec.example:8088/{{data.id}}"))
		requireRefused(t, err, "url", "needs url_policy.allow_custom_port")
	})
	t.Run("ports out of range are a config error", func(t *testing.T) {
		_, err := webhook.New(webhook.WithURLPolicy(webhook.URLPolicy{DefinitionPorts: []int{0}}))
		var ce *webhook.ConfigError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, "WithURLPolicy", ce.Option)
	})
}

func TestDefinitionURLPolicyRoundTripsAsJSON(t *testing.T) {
	in := `{"webhooks":[{"name":"splunk","active":true,"url":"https://hec.example:8088/services/collector","triggers":["AccessRequestCreated"],"url_policy":{"allow_custom_port":true}}]}`
	hooks, err := webhook.DecodeWebhooks(strings.NewReader(in))
	require.NoError(t, err)
	require.Equal(t, &webhook.DefinitionURLPolicy{AllowCustomPort: true}, hooks[0].URLPolicy)
	var out bytes.Buffer
	require.NoError(t, webhook.EncodeWebhooks(&out, hooks))
	again, err := webhook.DecodeWebhooks(&out)
	require.NoError(t, err)
	require.Equal(t, hooks, again)
	_, err = webhook.DecodeWebhooks(strings.NewReader(strings.Replace(in, "allow_custom_port", "allow_custom_prot", 1)))
	var de *webhook.DefinitionError
	require.ErrorAs(t, err, &de)
	require.Equal(t, 1, de.Line)
}

func TestTemplateErrorOutsideTheBodySaysWhere(t *testing.T) {
	d, _ := newTicketDispatcher(t)
	_, err := d.Add(webhook.Webhook{Name: "t", Active: true, Triggers: []event.Trigger{ticketUpdated},
		URL: "https://h.example/t/{{data.ticket.idd}}"})
	require.ErrorIs(t, err, webhook.ErrInvalidTemplate)
	require.EqualError(t, err, `webhook "t": url:1:23: invalid template: unknown field data.ticket.idd; did you mean data.ticket.id?`)
}

// BenchmarkTemplatedTarget is one delivery through the inline engine with
// a plain URL and headers, and with the URL's path, a query value and a
// header rendered per event: the price of templating, paid only by the
// webhooks that use it.
func BenchmarkTemplatedTarget(b *testing.B) {
	client := &http.Client{Transport: cannedTransport{}}
	ev := mustMock(b, "AccessRequestCreated")
	for _, c := range []struct{ name, url, header string }{
		{"plain", "https://hooks.example/requests/x?tenant=acme", "Bearer token"},
		{"templated", "https://hooks.example/requests/{{data.id}}?tenant={{data.requester.name}}", "Bearer {{data.requester.email}}"},
	} {
		b.Run(c.name, func(b *testing.B) {
			d, err := webhook.New(webhook.WithHTTPClient(client), webhook.WithEngine(&inlineEngine{}))
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close(context.Background())
			w := webhook.Webhook{Name: "t", Active: true, URL: c.url, Headers: map[string]string{"Authorization": c.header},
				BodyTemplate: `{"id": "{{data.id}}"}`, Triggers: []event.Trigger{"AccessRequestCreated"}}
			if _, err := d.Add(w); err != nil {
				b.Fatal(err)
			}
			publishEach(b, d, ev)
		})
	}
}

func TestTemplatedURLGoesThroughTheSSRFGuard(t *testing.T) {
	rr := &rawReceiver{}
	srv := newServer(t, rr)
	invs := make(chan webhook.Invocation, 10)
	// No WithAllowedTargets: the loopback receiver is a blocked address.
	d, err := webhook.New(webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithEventType(ticketUpdated, ticketSchema(t)), webhook.WithInvocationHook(func(inv webhook.Invocation) { invs <- inv }))
	require.NoError(t, err)
	defer d.Close(context.Background())
	_, err = d.Add(webhook.Webhook{Name: "tickets", Active: true, Triggers: []event.Trigger{ticketUpdated},
		URL: srv + "/tickets/{{data.ticket.id}}"})
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), ticketEvent(t, "1", "t"))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Contains(t, inv.Reason, "blocked by the SSRF guard")
	uris, _ := rr.got()
	require.Empty(t, uris)
}
