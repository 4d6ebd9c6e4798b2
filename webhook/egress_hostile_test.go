package webhook_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/webhook"
)

// TestProxyRefusesEverySpellingOfABlockedTarget: however a private,
// loopback or metadata address is written, the proxy is asked for nothing.
func TestProxyRefusesEverySpellingOfABlockedTarget(t *testing.T) {
	for _, target := range []string{
		"http://[::1]:9/", "http://[::ffff:127.0.0.1]:9/", "http://[fe80::1%25eth0]:9/",
		"http://[0:0:0:0:0:ffff:7f00:1]:9/", "http://2130706433:9/", "http://0x7f.1:9/",
		"http://017700000001:9/", "http://127.1:9/", "http://127.0.0.1.:9/", "http://LOCALHOST.:9/",
		"https://169.254.169.254./latest", "http://[64:ff9b::a9fe:a9fe]/", "http://[::]:9/", "http://0:9/",
		"https://[fd00:ec2::254]/",
	} {
		t.Run(target, func(t *testing.T) {
			proxy := newConnectProxy(t)
			var logs lockedBuffer
			d, invs := egressDispatcher(t, proxy.proxyURL(), &logs)
			_, err := d.Add(webhook.Webhook{Name: "hostile", Active: true, URL: target, Triggers: accessrequest.Triggers()})
			if err != nil {
				require.ErrorIs(t, err, webhook.ErrInvalidURL)
				return
			}
			inv := publishN(t, d, invs, 1)[0]
			require.Equal(t, webhook.Failed, inv.Outcome, inv.Reason)
			require.Empty(t, proxy.requests(), "nothing reaches the proxy")
			requireNoProxySecret(t, string(mustJSON(t, inv)), logs.String(), inv.Reason)
		})
	}
}

// TestTLSWebhookStaysGuarded: a webhook with TLS settings gets a transport
// of its own, still dialled by the SSRF guard, still through the proxy.
func TestTLSWebhookStaysGuarded(t *testing.T) {
	ca := newTestCA(t)
	srv := mtlsServer(t, ca, 0)
	cert, key := ca.issue(t, 3, x509.ExtKeyUsageClientAuth)
	settings := &webhook.TLSSettings{ClientCertificate: cert, ClientKey: key, CACertificates: certPEM(ca.cert)}
	for _, viaProxy := range []bool{false, true} {
		proxy := newConnectProxy(t)
		var logs lockedBuffer
		raw := ""
		if viaProxy {
			raw = proxy.proxyURL()
		}
		d, invs := egressDispatcher(t, raw, &logs) // no WithAllowedTargets
		_, err := d.Add(webhook.Webhook{Name: "mtls", Active: true, URL: srv.URL, Triggers: accessrequest.Triggers(), TLS: settings,
			Delivery: &webhook.DeliverySettings{MaxRedirects: 3}})
		require.NoError(t, err)
		inv := publishN(t, d, invs, 1)[0]
		require.Equal(t, webhook.Failed, inv.Outcome)
		require.Contains(t, inv.Reason, "blocked by the SSRF guard")
		require.Empty(t, proxy.requests())
	}
}

// TestProxyRefusalKeepsItsCredentials: a proxy that refuses the request
// (403, quoting the credentials in its page and a header, recorded as an
// http target's response) or cannot be reached leaves no credentials in the record, logs
// or spans.
func TestProxyRefusalKeepsItsCredentials(t *testing.T) {
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Denied-For", r.Header.Get("Proxy-Authorization"))
		http.Error(w, "denied "+r.Header.Get("Proxy-Authorization"), http.StatusForbidden)
	}))
	t.Cleanup(refusing.Close)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	for _, p := range []string{refusing.URL, deadURL} {
		raw := strings.Replace(p, "http://", "http://outhook:"+proxyPassword+"@", 1)
		for _, target := range []string{"https://127.0.0.1:1/", "http://127.0.0.1:1/", "http://127.0.0.1:1/{{data.id}}"} {
			var logs lockedBuffer
			d, invs := egressDispatcher(t, raw, &logs, "127.0.0.1")
			_, err := d.Add(webhook.Webhook{Name: "through", Active: true, URL: target, Triggers: accessrequest.Triggers()})
			require.NoError(t, err)
			inv := publishN(t, d, invs, 1)[0]
			require.Equal(t, webhook.Failed, inv.Outcome)
			b, _ := json.Marshal(inv)
			requireNoProxySecret(t, string(b), logs.String())
		}
	}
}

// connTracker is a TLS receiver that reports each connection it sees
// closed, and whose handler waits on hold when it is not nil.
type connTracker struct {
	*httptest.Server
	closed  chan struct{}
	entered chan struct{}
	hold    chan struct{}
}

func newConnTracker(t *testing.T, hold bool) *connTracker {
	c := &connTracker{closed: make(chan struct{}, 10), entered: make(chan struct{}, 10)}
	if hold {
		c.hold = make(chan struct{})
	}
	c.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.entered <- struct{}{}
		if c.hold != nil {
			<-c.hold
		}
	}))
	c.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			c.closed <- struct{}{}
		}
	}
	c.StartTLS()
	t.Cleanup(c.Close)
	return c
}

// requireClosed fails unless the client closed its connection, which it
// would otherwise keep idle for 90 seconds.
func (c *connTracker) requireClosed(t *testing.T) {
	t.Helper()
	select {
	case <-c.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the webhook's own transport keeps its connection open")
	}
}

// TestTLSTransportOfATestIsClosed: Test compiles a transport of its own
// for a webhook with TLS settings, and closes its connection when done.
func TestTLSTransportOfATestIsClosed(t *testing.T) {
	srv := newConnTracker(t, false)
	d, _ := egressDispatcher(t, "", new(lockedBuffer), "127.0.0.1")
	inv, err := d.Test(context.Background(), webhook.Webhook{Name: "tested", Active: true, URL: srv.URL, Triggers: accessrequest.Triggers(),
		TLS: &webhook.TLSSettings{CACertificates: certPEM(srv.Certificate())}}, accessrequest.Created)
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	srv.requireClosed(t)
}

// TestTLSTransportReplacedMidDeliveryIsClosed: a webhook updated while a
// delivery is on its way has its old transport's connection closed when
// that delivery ends, not left idle.
func TestTLSTransportReplacedMidDeliveryIsClosed(t *testing.T) {
	srv := newConnTracker(t, true)
	d, invs := egressDispatcher(t, "", new(lockedBuffer), "127.0.0.1")
	w, err := d.Add(webhook.Webhook{Name: "slow", Active: true, URL: srv.URL, Triggers: accessrequest.Triggers(),
		TLS: &webhook.TLSSettings{CACertificates: certPEM(srv.Certificate())}})
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	<-srv.entered
	w.Name = "renamed"
	_, err = d.Update(w)
	require.NoError(t, err)
	close(srv.hold)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	srv.requireClosed(t)
}

// TestProxyAndTheTokenEndpoint: a token endpoint at a blocked address is
// not asked for through the proxy, and a proxy refusing the token request
// with a page quoting its credentials leaves them in no record.
func TestProxyAndTheTokenEndpoint(t *testing.T) {
	proxy := newConnectProxy(t)
	var logs lockedBuffer
	d, invs := egressDispatcher(t, proxy.proxyURL(), &logs)
	_, err := d.Add(oauthHook("https://hooks.example/x", "http://169.254.169.254/token"))
	require.NoError(t, err)
	inv := publishN(t, d, invs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Contains(t, inv.Reason, "169.254.169.254 is blocked")
	require.Empty(t, proxy.requests())

	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "denied "+r.Header.Get("Proxy-Authorization"), http.StatusProxyAuthRequired)
	}))
	t.Cleanup(refusing.Close)
	d, invs = egressDispatcher(t, strings.Replace(refusing.URL, "http://", "http://outhook:"+proxyPassword+"@", 1), &logs, "127.0.0.1")
	_, err = d.Add(oauthHook("https://127.0.0.1:1/x", "http://127.0.0.1:1/token"))
	require.NoError(t, err)
	inv = publishN(t, d, invs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Contains(t, inv.Reason, "407")
	requireNoProxySecret(t, string(mustJSON(t, inv)), logs.String())
}

// TestTLSSecretsKeptOnlyWhereTheyBelong: a masked certificate or key is
// no value for a new webhook, is kept for the same URL only, and {} removes
// the settings.
func TestTLSSecretsKeptOnlyWhereTheyBelong(t *testing.T) {
	ca := newTestCA(t)
	srv := mtlsServer(t, ca, 0)
	cert, key := ca.issue(t, 3, x509.ExtKeyUsageClientAuth)
	d, invs := egressDispatcher(t, "", new(lockedBuffer), "127.0.0.1")
	tenant := d.Tenant("acme")
	ctx := context.Background()

	masked := &webhook.TLSSettings{ClientCertificate: "REDACTED", ClientKey: "REDACTED", CACertificates: "REDACTED"}
	_, err := tenant.Create(ctx, webhook.Webhook{Name: "new", Active: true, URL: srv.URL, Triggers: accessrequest.Triggers(), TLS: masked}, "mallory")
	require.ErrorIs(t, err, webhook.ErrInvalidTLS)

	w, err := tenant.Create(ctx, webhook.Webhook{Name: "mtls", Active: true, URL: srv.URL, Triggers: accessrequest.Triggers(),
		TLS: &webhook.TLSSettings{ClientCertificate: cert, ClientKey: key, CACertificates: certPEM(ca.cert)}}, "alice")
	require.NoError(t, err)
	for _, settings := range []*webhook.TLSSettings{nil, w.TLS, {ClientCertificate: "REDACTED", ClientKey: "REDACTED"}} {
		moved := w
		moved.URL = "https://collector.example/"
		moved.TLS = settings
		_, err = tenant.Update(ctx, moved, "mallory")
		require.ErrorIs(t, err, webhook.ErrSecretRequired)
		require.ErrorContains(t, err, "tls.client_key")
	}

	w.TLS = &webhook.TLSSettings{}
	w, err = tenant.Update(ctx, w, "alice")
	require.NoError(t, err)
	_, err = tenant.Publish(ctx, mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome, "no certificate, no trusted root: %s", inv.Reason)
	require.NotContains(t, string(mustJSON(t, w)), "REDACTED")
}

// TestTLSBundleIsBounded: a PEM field of more than 256 KiB is refused
// before it is parsed, and names its field.
func TestTLSBundleIsBounded(t *testing.T) {
	ca := newTestCA(t)
	one := certPEM(ca.cert)
	d, _ := egressDispatcher(t, "", new(lockedBuffer), "127.0.0.1")
	fits := strings.Repeat(one, (256<<10)/len(one))
	_, err := d.Add(webhook.Webhook{Name: "fits", Active: true, URL: "https://hooks.example/", Triggers: accessrequest.Triggers(),
		TLS: &webhook.TLSSettings{CACertificates: fits}})
	require.NoError(t, err)
	_, err = d.Add(webhook.Webhook{Name: "huge", Active: true, URL: "https://hooks.example/", Triggers: accessrequest.Triggers(),
		TLS: &webhook.TLSSettings{CACertificates: strings.Repeat(one, 20000)}})
	var de *webhook.DefinitionError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "tls.ca_certificates", de.Field)
	require.ErrorIs(t, err, webhook.ErrInvalidTLS)
}

// TestTLSTransportsCloseWithTheDispatcher: Close closes the connections of
// every webhook's own transport, and Remove those of the removed one.
func TestTLSTransportsCloseWithTheDispatcher(t *testing.T) {
	removed, kept := newConnTracker(t, false), newConnTracker(t, false)
	d, invs := egressDispatcher(t, "", new(lockedBuffer), "127.0.0.1")
	var ids []string
	for i, srv := range []*connTracker{removed, kept} {
		w, err := d.Add(webhook.Webhook{Name: fmt.Sprint("own-", i), Active: true, URL: srv.URL, Triggers: accessrequest.Triggers(),
			TLS: &webhook.TLSSettings{CACertificates: certPEM(srv.Certificate())}})
		require.NoError(t, err)
		ids = append(ids, w.ID)
	}
	for _, inv := range publishN(t, d, invs, 1) {
		require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	}
	for _, inv := range waitFinal(t, invs, 1) {
		require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	}
	require.NoError(t, d.Remove(ids[0]))
	removed.requireClosed(t)
	require.NoError(t, d.Close(context.Background()))
	kept.requireClosed(t)
}

// TestTLSTransportResealedIsClosed: sealed again, a webhook is compiled
// again with a transport of its own; the replaced one's connection closes.
func TestTLSTransportResealedIsClosed(t *testing.T) {
	srv := newConnTracker(t, false)
	before, after := rotation(t)
	mem := defstore.NewMemory()
	old, _ := newDispatcher(t, webhook.WithDefinitionStore(mem), webhook.WithKeyring(before))
	ctx := context.Background()
	_, err := old.Tenant("t").Create(ctx, webhook.Webhook{Name: "sealed", Active: true, URL: srv.URL, Triggers: accessrequest.Triggers(),
		TLS: &webhook.TLSSettings{CACertificates: certPEM(srv.Certificate())}}, "alice")
	require.NoError(t, err)
	d, invs := newDispatcher(t, webhook.WithDefinitionStore(mem), webhook.WithKeyring(after))
	_, err = d.Tenant("t").Publish(ctx, mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	n, err := d.Reseal(ctx, "ops")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	srv.requireClosed(t)
}

// TestProxyRefusalIsRetriedForEveryScheme: a proxy answering 407 fails an
// http target's attempt as it fails an https target's, as the proxy's
// failure and retried, not as the target's answer that no retry mends.
func TestProxyRefusalIsRetriedForEveryScheme(t *testing.T) {
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "denied", http.StatusProxyAuthRequired)
	}))
	t.Cleanup(refusing.Close)
	for _, target := range []string{"https://127.0.0.1:1/", "http://127.0.0.1:1/"} {
		t.Run(target, func(t *testing.T) {
			d, invs := newDispatcher(t, webhook.WithProxy(refusing.URL))
			_, err := d.Add(webhook.Webhook{Name: "through", Active: true, URL: target, Triggers: accessrequest.Triggers()})
			require.NoError(t, err)
			_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
			require.NoError(t, err)
			first := <-invs
			require.Equal(t, webhook.Retrying, first.Outcome, first.Reason)
			require.Contains(t, first.Reason, "Proxy Authentication Required")
			require.Nil(t, first.Response, "the proxy's page is not the target's response")
			require.Equal(t, 4, waitFinal(t, invs, 1)[0].Attempt)
		})
	}
}

// portOfURL is the port of a test server's URL.
func portOfURL(t *testing.T, raw string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(strings.TrimPrefix(raw, "http://"))
	require.NoError(t, err)
	n, err := strconv.Atoi(p)
	require.NoError(t, err)
	return n
}

// TestRedirectObeysTheURLPolicy: a redirect a webhook follows leads only
// where the webhook's own URL could: to a port the Dispatcher lets
// definitions use, and no other. A hop the policy refuses is not taken,
// and its 3xx is the attempt's answer.
func TestRedirectObeysTheURLPolicy(t *testing.T) {
	forbidden := newReceiver(t, nil)
	allowed := newReceiver(t, nil)
	start := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		to := allowed.URL
		if r.URL.Path == "/to-forbidden" {
			to = forbidden.URL
		}
		http.Redirect(w, r, to+"/landed", http.StatusTemporaryRedirect)
	})
	invs := make(chan webhook.Invocation, 10)
	d, err := webhook.New(
		webhook.WithURLPolicy(webhook.URLPolicy{DefinitionsMayAllowHTTP: true,
			DefinitionPorts: []int{portOfURL(t, start.URL), portOfURL(t, allowed.URL)}}),
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}),
		webhook.WithInvocationHook(func(inv webhook.Invocation) { invs <- inv }),
	)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close(context.Background())) })

	for _, tc := range []struct {
		path    string
		outcome webhook.Outcome
		status  int
	}{
		{"/to-allowed", webhook.Delivered, http.StatusOK},
		{"/to-forbidden", webhook.Failed, http.StatusTemporaryRedirect},
	} {
		t.Run(tc.path, func(t *testing.T) {
			w, err := d.Add(webhook.Webhook{Name: "redirected", Active: true, URL: start.URL + tc.path, Triggers: accessrequest.Triggers(),
				URLPolicy: &webhook.DefinitionURLPolicy{AllowHTTP: true, AllowCustomPort: true},
				Delivery:  &webhook.DeliverySettings{MaxRedirects: 3}})
			require.NoError(t, err)
			defer func() { require.NoError(t, d.Remove(w.ID)) }()
			inv := publishN(t, d, invs, 1)[0]
			require.Equal(t, tc.outcome, inv.Outcome, inv.Reason)
			require.Equal(t, tc.status, inv.Response.StatusCode)
		})
	}
	require.Empty(t, forbidden.got(), "the port the policy refuses is never reached")
	require.Len(t, allowed.got(), 1)
}

// TestTLSSettingsNeedHTTPS: TLS settings on an http:// URL, plain or
// templated, would be silently unused: the definition is refused, on the
// tls field. An action makes no connection, so it takes none either.
func TestTLSSettingsNeedHTTPS(t *testing.T) {
	ca := newTestCA(t)
	cert, key := ca.issue(t, 3, x509.ExtKeyUsageClientAuth)
	d, _ := newDispatcher(t, webhook.WithAction("noop", func(context.Context, *webhook.ActionRequest) (*webhook.ActionResponse, error) { return nil, nil }))
	for _, tc := range []struct {
		name string
		w    webhook.Webhook
	}{
		{"http", webhook.Webhook{URL: "http://hooks.example/in"}},
		{"templated http", webhook.Webhook{URL: "http://hooks.example/{{data.id}}"}},
		{"min_version only", webhook.Webhook{URL: "http://hooks.example/in"}},
		{"action", webhook.Webhook{Action: "noop"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.w
			w.Name, w.Active, w.Triggers = tc.name, true, accessrequest.Triggers()
			w.TLS = &webhook.TLSSettings{ClientCertificate: cert, ClientKey: key}
			if tc.name == "min_version only" {
				w.TLS = &webhook.TLSSettings{MinVersion: "1.3"}
			}
			_, err := d.Add(w)
			var de webhook.DefinitionErrors
			require.ErrorAs(t, err, &de)
			require.ErrorIs(t, err, webhook.ErrInvalidTLS)
			require.Len(t, de, 1, err.Error())
			require.Equal(t, "tls", de[0].Field)
			require.NotContains(t, err.Error(), "PRIVATE KEY")
		})
	}
	// The same settings on https are taken.
	_, err := d.Add(webhook.Webhook{Name: "https", Active: true, URL: "https://hooks.example/in", Triggers: accessrequest.Triggers(),
		TLS: &webhook.TLSSettings{ClientCertificate: cert, ClientKey: key}})
	require.NoError(t, err)
}

// echoServer is an mTLS receiver that sends back the client certificate
// it was shown, as TLS terminators pass it on, in the form the request's
// path names.
func echoServer(t *testing.T, ca *testCA) *httptest.Server {
	cert, key := ca.issue(t, 2, x509.ExtKeyUsageServerAuth, net.IPv4(127, 0, 0, 1))
	pair, err := tls.X509KeyPair([]byte(cert), []byte(key))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		der := r.TLS.PeerCertificates[0].Raw
		pemText := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
		w.Header().Set("X-Client-Cert", url.QueryEscape(pemText)) // as an ALB or nginx's $ssl_client_escaped_cert
		var body string
		switch strings.TrimPrefix(r.URL.Path, "/") {
		case "pem":
			body = pemText
		case "crlf":
			body = strings.ReplaceAll(pemText, "\n", "\r\n")
		case "tabbed": // nginx's $ssl_client_cert
			body = strings.ReplaceAll(strings.TrimSuffix(pemText, "\n"), "\n", "\n\t")
		case "escaped":
			body = "cert=" + url.QueryEscape(pemText)
		case "der":
			body = `{"der":"` + base64.StdEncoding.EncodeToString(der) + `"}`
		default: // json
			b, _ := json.Marshal(map[string]string{"cert": pemText})
			body = string(b)
		}
		w.Header().Set("Content-Type", "text/plain; cert="+base64.StdEncoding.EncodeToString(der))
		_, _ = io.WriteString(w, body)
	}))
	s.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// TestTLSClientCertificateEchoedIsRedacted: a receiver that echoes the
// client certificate, in any of the forms TLS terminators pass it on (PEM,
// its lines joined otherwise, JSON- or URL-escaped, or its DER in base64
// without the armour), leaves none of it in the record, the validators'
// results, the logs or the spans.
func TestTLSClientCertificateEchoedIsRedacted(t *testing.T) {
	ca := newTestCA(t)
	srv := echoServer(t, ca)
	cert, key := ca.issue(t, 3, x509.ExtKeyUsageClientAuth)
	block, _ := pem.Decode([]byte(cert))
	der := base64.StdEncoding.EncodeToString(block.Bytes)
	for _, path := range []string{"/pem", "/crlf", "/tabbed", "/escaped", "/der", "/json", "/json?v={{data.id}}"} {
		t.Run(path, func(t *testing.T) {
			var logs lockedBuffer
			d, invs := egressDispatcher(t, "", &logs, "127.0.0.1")
			w := webhook.Webhook{Name: "echo", Active: true, URL: srv.URL + path, Triggers: accessrequest.Triggers(),
				TLS: &webhook.TLSSettings{ClientCertificate: cert, ClientKey: key, CACertificates: certPEM(ca.cert)}}
			if strings.HasPrefix(path, "/json") {
				w.ResponseValidators = []webhook.ResponseValidator{{JSONPath: "$.cert", ExpectedValues: []string{"none"}}}
			}
			_, err := d.Add(w)
			require.NoError(t, err)
			inv := publishN(t, d, invs, 1)[0]
			require.NotNil(t, inv.Response, inv.Reason)
			require.Contains(t, inv.Response.Body, "REDACTED")
			if w.ResponseValidators != nil {
				require.Equal(t, webhook.ValidationFailed, inv.Outcome, inv.Reason)
				require.Contains(t, inv.Validation[0].Found, "BEGIN CERTIFICATE", "the armour is no secret: it says what was there")
			}
			outputs := []string{string(mustJSON(t, inv)), logs.String(), fmt.Sprint(inv.Validation)}
			for _, out := range outputs {
				for i := 0; i+16 <= len(der); i += 64 {
					line := der[i:min(i+64, len(der))]
					require.NotContains(t, out, line)
					require.NotContains(t, out, url.QueryEscape(line))
				}
			}
		})
	}
}

// TestProxyWithAnInternationalName: a proxy named in Unicode is reached by
// the ASCII name DNS knows it by (here, fullwidth letters IDNA maps to
// localhost).
func TestProxyWithAnInternationalName(t *testing.T) {
	rc := newReceiver(t, nil)
	proxy := newConnectProxy(t)
	_, port, err := net.SplitHostPort(proxy.Listener.Addr().String())
	require.NoError(t, err)
	var logs lockedBuffer
	d, invs := egressDispatcher(t, "http://outhook:"+proxyPassword+"@ｌｏｃａｌｈｏｓｔ:"+port, &logs, "127.0.0.1")
	_, err = d.Add(webhook.Webhook{Name: "via-idn", Active: true, URL: rc.URL, Triggers: accessrequest.Triggers()})
	require.NoError(t, err)
	inv := publishN(t, d, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.Len(t, proxy.requests(), 1)
	require.Len(t, rc.got(), 1)

	_, err = webhook.New(webhook.WithProxy("http://outhook:" + proxyPassword + "@bad\u2488name:3128"))
	var ce *webhook.ConfigError
	require.ErrorAs(t, err, &ce)
	require.ErrorContains(t, err, "international domain name")
	requireNoProxySecret(t, err.Error())
}

// TestProxyOverTLS: an https proxy is spoken to over TLS, verified with
// WithProxyTLS's roots; the targets are checked before it is asked, and a
// webhook's client certificate goes to its target only, never to the
// proxy, which asks for one.
func TestProxyOverTLS(t *testing.T) {
	ca := newTestCA(t)
	proxyCert, proxyKey := ca.issue(t, 9, x509.ExtKeyUsageServerAuth, net.IPv4(127, 0, 0, 1))
	pair, err := tls.X509KeyPair([]byte(proxyCert), []byte(proxyKey))
	require.NoError(t, err)
	proxy := startConnectProxy(t, &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequestClientCert})
	proxy.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusting client's handshake
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	mtls := mtlsServer(t, ca, 0)
	plain := newReceiver(t, nil)
	clientCert, clientKey := ca.issue(t, 3, x509.ExtKeyUsageClientAuth)

	newD := func(opts ...webhook.Option) (*webhook.Dispatcher, chan webhook.Invocation) {
		invs := make(chan webhook.Invocation, 10)
		d, err := webhook.New(append([]webhook.Option{webhook.WithProxy(proxy.proxyURL()),
			webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
			webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}),
			webhook.WithInvocationHook(func(inv webhook.Invocation) { invs <- inv }),
		}, opts...)...)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, d.Close(context.Background())) })
		return d, invs
	}
	d, invs := newD(webhook.WithProxyTLS(&tls.Config{RootCAs: roots}), webhook.WithAllowedTargets("127.0.0.1"))
	_, err = d.Add(webhook.Webhook{Name: "mtls", Active: true, URL: mtls.URL, Triggers: accessrequest.Triggers(),
		TLS: &webhook.TLSSettings{ClientCertificate: clientCert, ClientKey: clientKey, CACertificates: certPEM(ca.cert)}})
	require.NoError(t, err)
	_, err = d.Add(webhook.Webhook{Name: "plain", Active: true, URL: plain.URL, Triggers: accessrequest.Triggers()})
	require.NoError(t, err)
	for _, inv := range append(publishN(t, d, invs, 1), waitFinal(t, invs, 1)...) { // one event, two webhooks
		require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("outhook:"+proxyPassword))
	seen := proxy.requests()
	require.ElementsMatch(t, []string{"CONNECT " + mtls.Listener.Addr().String() + " " + basic, "POST " + plain.URL + "/ " + basic}, seen,
		"the proxy is asked once per target, and is shown no client certificate")

	// A blocked target: the proxy is asked nothing.
	blocked, blockedInvs := newD(webhook.WithProxyTLS(&tls.Config{RootCAs: roots}))
	_, err = blocked.Add(webhook.Webhook{Name: "hostile", Active: true, URL: "https://169.254.169.254/latest", Triggers: accessrequest.Triggers()})
	require.NoError(t, err)
	inv := publishN(t, blocked, blockedInvs, 1)[0]
	require.Contains(t, inv.Reason, "blocked by the SSRF guard")

	// A proxy not trusted: the delivery fails, and the proxy is sent nothing.
	untrusting, untrustingInvs := newD(webhook.WithAllowedTargets("127.0.0.1"))
	_, err = untrusting.Add(webhook.Webhook{Name: "plain", Active: true, URL: plain.URL, Triggers: accessrequest.Triggers()})
	require.NoError(t, err)
	inv = publishN(t, untrusting, untrustingInvs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Contains(t, inv.Reason, "certificate signed by unknown authority")
	require.Equal(t, seen, proxy.requests())
	requireNoProxySecret(t, string(mustJSON(t, inv)), inv.Reason)
}

// TestProxyOptionsThatWouldGoUnused: WithProxyTLS needs an https proxy, and
// a SOCKS proxy is refused by name.
func TestProxyOptionsThatWouldGoUnused(t *testing.T) {
	for _, opts := range [][]webhook.Option{
		{webhook.WithProxyTLS(&tls.Config{})},
		{webhook.WithProxy("http://proxy.internal:3128"), webhook.WithProxyTLS(&tls.Config{})},
	} {
		_, err := webhook.New(opts...)
		var ce *webhook.ConfigError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, "WithProxyTLS", ce.Option)
	}
	_, err := webhook.New(webhook.WithProxy("socks5://outhook:" + proxyPassword + "@proxy.internal:1080"))
	require.ErrorIs(t, err, webhook.ErrInvalidConfig)
	require.ErrorContains(t, err, "SOCKS proxies are not supported")
	requireNoProxySecret(t, err.Error())
	_, err = webhook.New(webhook.WithProxy("https://proxy.internal:3128"), webhook.WithProxyTLS(&tls.Config{}))
	require.NoError(t, err)
}

// TestTLSTransportOfATenantsTestIsClosed: a tenant's Test and
// TestDefinition, as the console and the manage API call them, close the
// connection of a TLS webhook's own transport when done, as Test does.
func TestTLSTransportOfATenantsTestIsClosed(t *testing.T) {
	srv := newConnTracker(t, false)
	d, _ := egressDispatcher(t, "", new(lockedBuffer), "127.0.0.1")
	ten := d.Tenant("acme")
	ctx := context.Background()
	w, err := ten.Create(ctx, webhook.Webhook{Name: "tested", Active: true, URL: srv.URL, Triggers: accessrequest.Triggers(),
		TLS: &webhook.TLSSettings{CACertificates: certPEM(srv.Certificate())}}, "alice")
	require.NoError(t, err)
	inv, err := ten.Test(ctx, w.ID, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	srv.requireClosed(t)
	inv, err = ten.TestDefinition(ctx, w, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	srv.requireClosed(t)
}
