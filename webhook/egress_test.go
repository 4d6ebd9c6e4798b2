package webhook_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/webhook"
)

const proxyPassword = "pr0xy-pa55-Wq7"

// connectProxy is an HTTP forward proxy: it tunnels CONNECT and forwards
// absolute-form requests, and records every request it is asked for.
type connectProxy struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string // "CONNECT host:port" or "POST http://…", with the Proxy-Authorization
}

func newConnectProxy(t *testing.T) *connectProxy { return startConnectProxy(t, nil) }

// startConnectProxy starts a connectProxy, over TLS when tlsConfig is not
// nil, noting in seen the client certificates it is shown.
func startConnectProxy(t *testing.T, tlsConfig *tls.Config) *connectProxy {
	p := &connectProxy{}
	p.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.seen = append(p.seen, r.Method+" "+r.RequestURI+" "+r.Header.Get("Proxy-Authorization"))
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			p.seen = append(p.seen, "client certificate "+r.TLS.PeerCertificates[0].Subject.CommonName)
		}
		p.mu.Unlock()
		if r.Method != http.MethodConnect {
			out, err := http.NewRequestWithContext(r.Context(), r.Method, r.RequestURI, r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			out.Header = r.Header.Clone()
			out.Header.Del("Proxy-Authorization")
			resp, err := (&http.Transport{}).RoundTrip(out)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			for k, v := range resp.Header {
				w.Header()[k] = v
			}
			w.WriteHeader(resp.StatusCode)
			_, _ = io.Copy(w, resp.Body)
			return
		}
		target, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			target.Close()
			return
		}
		_, _ = conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
		go func() { _, _ = io.Copy(target, buf); target.Close() }()
		_, _ = io.Copy(conn, target)
		conn.Close()
	}))
	if tlsConfig != nil {
		p.TLS = tlsConfig
		p.StartTLS()
	} else {
		p.Start()
	}
	t.Cleanup(p.Close)
	return p
}

func (p *connectProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

// proxyURL is p's URL with credentials.
func (p *connectProxy) proxyURL() string {
	return strings.Replace(p.URL, "://", "://outhook:"+proxyPassword+"@", 1)
}

// egressDispatcher is a Dispatcher sending through proxy, logging to logs
// and tracing to spans, with the SSRF guard's default rules unless allowed
// names targets.
func egressDispatcher(t *testing.T, proxy string, logs *lockedBuffer, allowed ...string) (*webhook.Dispatcher, chan webhook.Invocation) {
	t.Helper()
	invs := make(chan webhook.Invocation, 100)
	opts := []webhook.Option{
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}),
		webhook.WithInvocationHook(func(inv webhook.Invocation) { invs <- inv }),
		webhook.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		webhook.WithAllowedTargets(allowed...),
		webhook.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(spanLog{logs}))),
	}
	if proxy != "" {
		opts = append(opts, webhook.WithProxy(proxy))
	}
	d, err := webhook.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, d.Close(ctx))
	})
	return d, invs
}

// spanLog writes every span's name, status, attributes and events'
// attributes to a log, for tests to search.
type spanLog struct{ logs *lockedBuffer }

func (l spanLog) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	for _, s := range spans {
		fmt.Fprintln(l.logs, "span", s.Name(), s.Status().Description)
		for _, kv := range s.Attributes() {
			fmt.Fprintln(l.logs, "  ", kv.Key, kv.Value.String())
		}
		for _, ev := range s.Events() {
			for _, kv := range ev.Attributes {
				fmt.Fprintln(l.logs, "  ", ev.Name, kv.Key, kv.Value.String())
			}
		}
	}
	return nil
}

func (spanLog) Shutdown(context.Context) error { return nil }

// requireNoProxySecret fails when the proxy's password, or the Basic
// credentials made of it, appear in any of outputs.
func requireNoProxySecret(t *testing.T, outputs ...string) {
	t.Helper()
	basic := base64.StdEncoding.EncodeToString([]byte("outhook:" + proxyPassword))
	for _, out := range outputs {
		require.NotContains(t, out, proxyPassword)
		require.NotContains(t, out, basic)
	}
}

func TestProxyCarriesDeliveriesThroughConnect(t *testing.T) {
	rc := newReceiver(t, nil)
	tlsRC := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{"ok":true}`) }))
	t.Cleanup(tlsRC.Close)
	proxy := newConnectProxy(t)
	var logs lockedBuffer
	d, invs := egressDispatcher(t, proxy.proxyURL(), &logs, "127.0.0.1")

	_, err := d.Add(webhook.Webhook{Name: "tls-target", Active: true, URL: tlsRC.URL, Triggers: accessrequest.Triggers(),
		TLS: &webhook.TLSSettings{CACertificates: certPEM(tlsRC.Certificate())}})
	require.NoError(t, err)
	_, err = d.Add(webhook.Webhook{Name: "plain-target", Active: true, URL: rc.URL, Triggers: accessrequest.Triggers()})
	require.NoError(t, err)
	got := publishN(t, d, invs, 1)
	got = append(got, waitFinal(t, invs, 1)...)
	for _, inv := range got {
		require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	}
	require.Len(t, rc.got(), 1, "the plain receiver is reached")
	require.Contains(t, logs.String(), "span ", "spans are searched too")

	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("outhook:"+proxyPassword))
	seen := proxy.requests()
	require.Contains(t, seen, "CONNECT "+tlsRC.Listener.Addr().String()+" "+basic)
	require.Contains(t, seen, "POST "+rc.URL+"/ "+basic, "http goes in absolute form")
	record, _ := json.Marshal(got)
	requireNoProxySecret(t, string(record), logs.String())
}

func TestProxyIsNotAskedForABlockedTarget(t *testing.T) {
	for _, target := range []string{"http://127.0.0.1:9/x", "https://169.254.169.254/latest", "http://localhost:9/x", "https://[::ffff:127.0.0.1]:9/"} {
		t.Run(target, func(t *testing.T) {
			proxy := newConnectProxy(t)
			var logs lockedBuffer
			d, invs := egressDispatcher(t, proxy.proxyURL(), &logs) // no WithAllowedTargets
			_, err := d.Add(webhook.Webhook{Name: "hostile", Active: true, URL: target, Triggers: accessrequest.Triggers()})
			require.NoError(t, err)
			inv := publishN(t, d, invs, 1)[0]
			require.Equal(t, webhook.Failed, inv.Outcome)
			require.Contains(t, inv.Reason, "blocked by the SSRF guard")
			require.Empty(t, proxy.requests(), "nothing reaches the proxy")
			record, _ := json.Marshal(inv)
			requireNoProxySecret(t, string(record), logs.String(), inv.Reason)
		})
	}
}

func TestProxyURLIsChecked(t *testing.T) {
	for _, raw := range []string{
		"socks5://u:" + proxyPassword + "@proxy:1080", "http://u:" + proxyPassword + "@proxy:3128/path",
		"http://u:" + proxyPassword + "@:3128", "http://u:" + proxyPassword + "@proxy:99999", "http://u:" + proxyPassword + "@pro xy:1",
	} {
		_, err := webhook.New(webhook.WithProxy(raw))
		var ce *webhook.ConfigError
		require.ErrorAs(t, err, &ce, raw)
		require.Equal(t, "WithProxy", ce.Option)
		requireNoProxySecret(t, err.Error())
	}
	_, err := webhook.New(webhook.WithProxy("http://proxy:3128"), webhook.WithHTTPClient(&http.Client{}))
	require.ErrorIs(t, err, webhook.ErrInvalidConfig)
}

// testCA is a certificate authority made for a test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T) *testCA {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "outhook test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &testCA{cert: cert, key: key}
}

// issue returns a certificate signed by ca and its key, in PEM.
func (ca *testCA) issue(t *testing.T, serial int64, usage x509.ExtKeyUsage, ips ...net.IP) (certPEM, keyPEM string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: fmt.Sprint("leaf ", serial)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
}

func certPEM(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

// mtlsServer is a TLS server with a certificate of ca that requires a
// client certificate of ca, answering 200, with TLS up to maxVersion
// (zero: any).
func mtlsServer(t *testing.T, ca *testCA, maxVersion uint16) *httptest.Server {
	cert, key := ca.issue(t, 2, x509.ExtKeyUsageServerAuth, net.IPv4(127, 0, 0, 1))
	pair, err := tls.X509KeyPair([]byte(cert), []byte(key))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, `{"client":%q}`, r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	s.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MaxVersion: maxVersion}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func TestMutualTLS(t *testing.T) {
	ca := newTestCA(t)
	srv := mtlsServer(t, ca, 0)
	clientCert, clientKey := ca.issue(t, 3, x509.ExtKeyUsageClientAuth)
	var logs lockedBuffer
	d, invs := egressDispatcher(t, "", &logs, "127.0.0.1")
	tenant := d.Tenant("acme")
	ctx := context.Background()

	w, err := tenant.Create(ctx, webhook.Webhook{Name: "mtls", Active: true, URL: srv.URL, Triggers: accessrequest.Triggers(),
		TLS: &webhook.TLSSettings{ClientCertificate: clientCert, ClientKey: clientKey, CACertificates: certPEM(ca.cert), MinVersion: "1.3"}}, "alice")
	require.NoError(t, err)
	require.Equal(t, &webhook.TLSSettings{ClientCertificate: "REDACTED", ClientKey: "REDACTED", CACertificates: "REDACTED", MinVersion: "1.3"}, w.TLS)
	_, err = tenant.Publish(ctx, mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.JSONEq(t, `{"client":"leaf 3"}`, inv.Response.Body)

	// Sent back as shown, for the same URL, the secrets are kept.
	w.Name = "mtls-renamed"
	w, err = tenant.Update(ctx, w, "alice")
	require.NoError(t, err)
	_, err = tenant.Publish(ctx, mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv = waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)

	// For another URL, they are not.
	w.URL = strings.Replace(srv.URL, "127.0.0.1", "127.0.0.1.nip.example", 1)
	_, err = tenant.Update(ctx, w, "alice")
	require.ErrorIs(t, err, webhook.ErrSecretRequired)
	require.ErrorContains(t, err, "tls.client_key")

	for _, out := range []string{string(mustJSON(t, inv)), logs.String(), fmt.Sprint(w), fmt.Sprintf("%#v", w)} {
		require.NotContains(t, out, "PRIVATE KEY")
		require.NotContains(t, out, strings.Split(clientKey, "\n")[1])
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestTLSFailuresAreClear(t *testing.T) {
	ca := newTestCA(t)
	clientCert, clientKey := ca.issue(t, 3, x509.ExtKeyUsageClientAuth)
	cases := []struct {
		name     string
		server   *httptest.Server
		settings *webhook.TLSSettings
		reason   string
	}{
		{"no client certificate", mtlsServer(t, ca, 0), &webhook.TLSSettings{CACertificates: certPEM(ca.cert)}, "the server asked for a client certificate, and the webhook has none (tls.client_certificate)"},
		{"no trusted root", mtlsServer(t, ca, 0), nil, "certificate signed by unknown authority"},
		{"server below min_version", mtlsServer(t, ca, tls.VersionTLS12),
			&webhook.TLSSettings{ClientCertificate: clientCert, ClientKey: clientKey, CACertificates: certPEM(ca.cert), MinVersion: "1.3"}, "protocol version"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs lockedBuffer
			d, invs := egressDispatcher(t, "", &logs, "127.0.0.1")
			_, err := d.Add(webhook.Webhook{Name: "mtls", Active: true, URL: tc.server.URL, Triggers: accessrequest.Triggers(), TLS: tc.settings})
			require.NoError(t, err)
			inv := publishN(t, d, invs, 1)[0]
			require.Equal(t, webhook.Failed, inv.Outcome)
			require.Contains(t, inv.Reason, tc.reason)
			t.Log(inv.Reason)
		})
	}
}

func TestTLSSettingsAreCheckedAtRegistration(t *testing.T) {
	ca := newTestCA(t)
	cert, key := ca.issue(t, 3, x509.ExtKeyUsageClientAuth)
	_, otherKey := ca.issue(t, 4, x509.ExtKeyUsageClientAuth)
	cases := []struct {
		settings webhook.TLSSettings
		field    string
	}{
		{webhook.TLSSettings{ClientCertificate: cert}, "tls.client_key"},
		{webhook.TLSSettings{ClientKey: key}, "tls.client_certificate"},
		{webhook.TLSSettings{ClientCertificate: cert, ClientKey: otherKey}, "tls.client_key"},
		{webhook.TLSSettings{ClientCertificate: cert, ClientKey: cert}, "tls.client_key"},
		{webhook.TLSSettings{ClientCertificate: key, ClientKey: key}, "tls.client_certificate"},
		{webhook.TLSSettings{CACertificates: "not PEM"}, "tls.ca_certificates"},
		{webhook.TLSSettings{MinVersion: "1.1"}, "tls.min_version"},
	}
	d, _ := egressDispatcher(t, "", new(lockedBuffer), "127.0.0.1")
	for _, tc := range cases {
		_, err := d.Add(webhook.Webhook{Name: "bad-tls", Active: true, URL: "https://hooks.example", Triggers: accessrequest.Triggers(), TLS: &tc.settings})
		var de *webhook.DefinitionError
		require.ErrorAs(t, err, &de, tc.field)
		require.Equal(t, tc.field, de.Field)
		require.ErrorIs(t, err, webhook.ErrInvalidTLS)
		require.NotContains(t, err.Error(), strings.Split(key, "\n")[1])
		require.False(t, errors.Is(err, webhook.ErrInvalidURL))
	}
}

func TestTLSSecretsAreSealedAtRest(t *testing.T) {
	ca := newTestCA(t)
	srv := mtlsServer(t, ca, 0)
	cert, key := ca.issue(t, 3, x509.ExtKeyUsageClientAuth)
	ring, _ := rotation(t)
	mem := defstore.NewMemory()
	d, _ := newDispatcher(t, webhook.WithDefinitionStore(mem), webhook.WithKeyring(ring))
	ctx := context.Background()
	w, err := d.Tenant("t").Create(ctx, webhook.Webhook{Name: "sealed", Active: true, URL: srv.URL, Triggers: accessrequest.Triggers(),
		TLS: &webhook.TLSSettings{ClientCertificate: cert, ClientKey: key, CACertificates: certPEM(ca.cert)}}, "alice")
	require.NoError(t, err)
	rec, err := mem.Get(ctx, "t", w.ID)
	require.NoError(t, err)
	for _, stored := range [][]byte{rec.Definition, rec.Secrets} {
		require.NotContains(t, string(stored), strings.Split(key, "\n")[1])
		require.NotContains(t, string(stored), strings.Split(cert, "\n")[1])
	}
	// Another instance opens the sealed definition and sends with its certificate.
	other, invs := newDispatcher(t, webhook.WithDefinitionStore(mem), webhook.WithKeyring(ring))
	_, err = other.Tenant("t").Publish(ctx, mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
}

func TestProxyCarriesTokenRequestsAndChecksEachRedirect(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	rc := newReceiver(t, nil)
	redirector := httptest.NewServer(http.RedirectHandler("http://10.1.2.3/steal", http.StatusTemporaryRedirect))
	t.Cleanup(redirector.Close)
	proxy := newConnectProxy(t)
	var logs lockedBuffer
	d, invs := egressDispatcher(t, proxy.proxyURL(), &logs, "127.0.0.1")

	_, err := d.Add(oauthHook(rc.URL, te.URL+"/token"))
	require.NoError(t, err)
	inv := publishN(t, d, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.NoError(t, d.Remove(inv.WebhookID))

	_, err = d.Add(webhook.Webhook{Name: "redirected", Active: true, URL: redirector.URL, Triggers: accessrequest.Triggers(),
		Delivery: &webhook.DeliverySettings{MaxRedirects: 2}})
	require.NoError(t, err)
	inv = publishN(t, d, invs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Contains(t, inv.Reason, "blocked by the SSRF guard: netguard: 10.1.2.3 is blocked")

	var targets []string
	for _, r := range proxy.requests() {
		targets = append(targets, strings.Fields(r)[1])
	}
	require.Equal(t, []string{te.URL + "/token", rc.URL + "/", redirector.URL + "/"}, targets, "the token request goes through the proxy; the redirect's hop never reaches it")
	requireNoProxySecret(t, string(mustJSON(t, inv)), logs.String())
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestTLSSettingsWithTheServicesClient: with WithHTTPClient, a webhook's
// TLS settings go into a copy of that client's transport, whose own roots
// stay trusted; a transport that is no *http.Transport takes none.
func TestTLSSettingsWithTheServicesClient(t *testing.T) {
	ca, own := newTestCA(t), newTestCA(t)
	srv := mtlsServer(t, ca, 0)
	ownSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ownCert, ownKey := own.issue(t, 5, x509.ExtKeyUsageServerAuth, net.IPv4(127, 0, 0, 1))
	pair, err := tls.X509KeyPair([]byte(ownCert), []byte(ownKey))
	require.NoError(t, err)
	ownSrv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	ownSrv.StartTLS()
	t.Cleanup(ownSrv.Close)
	clientCert, clientKey := ca.issue(t, 3, x509.ExtKeyUsageClientAuth)
	roots := x509.NewCertPool()
	roots.AddCert(own.cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	d, invs := newDispatcher(t, webhook.WithHTTPClient(client))

	settings := &webhook.TLSSettings{ClientCertificate: clientCert, ClientKey: clientKey, CACertificates: certPEM(ca.cert)}
	_, err = d.Add(webhook.Webhook{Name: "mtls", Active: true, URL: srv.URL, Triggers: accessrequest.Triggers(), TLS: settings})
	require.NoError(t, err)
	_, err = d.Add(webhook.Webhook{Name: "own-root", Active: true, URL: ownSrv.URL, Triggers: accessrequest.Triggers(), TLS: &webhook.TLSSettings{CACertificates: certPEM(ca.cert), MinVersion: "1.3"}}) // its root is the client's own
	require.NoError(t, err)
	for _, inv := range publishN(t, d, invs, 1) {
		require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	}
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)

	opaque, _ := newDispatcher(t, webhook.WithHTTPClient(&http.Client{Transport: roundTripperFunc(http.DefaultTransport.RoundTrip)}))
	_, err = opaque.Add(webhook.Webhook{Name: "mtls", Active: true, URL: srv.URL, Triggers: accessrequest.Triggers(), TLS: settings})
	var de *webhook.DefinitionError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "tls", de.Field)
	require.ErrorIs(t, err, webhook.ErrInvalidTLS)
}
