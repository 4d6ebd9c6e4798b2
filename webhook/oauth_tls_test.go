package webhook_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// mtlsHandlerServer is mtlsServer with handler: a TLS server whose
// certificate only ca's roots trust, requiring a client certificate of ca.
func mtlsHandlerServer(t *testing.T, ca *testCA, serial int64, handler http.HandlerFunc) *httptest.Server {
	cert, key := ca.issue(t, serial, x509.ExtKeyUsageServerAuth, net.IPv4(127, 0, 0, 1))
	pair, err := tls.X509KeyPair([]byte(cert), []byte(key))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	s := httptest.NewUnstartedServer(handler)
	s.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// TestOAuthTokenRequestUsesTheWebhooksTLS fetches a token from an
// endpoint of the same private CA as the target, which asks for the
// webhook's client certificate: the token request must trust the
// webhook's roots and present its certificate, as the delivery does, and
// stay behind the SSRF guard.
func TestOAuthTokenRequestUsesTheWebhooksTLS(t *testing.T) {
	ca := newTestCA(t)
	token := mtlsHandlerServer(t, ca, 4, func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if id, secret, ok := r.BasicAuth(); !ok || id != "outhook" || secret != oauthSecret {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"access_token":"tok-for-%s","token_type":"bearer","expires_in":3600}`, r.TLS.PeerCertificates[0].Subject.CommonName)
	})
	target := mtlsHandlerServer(t, ca, 5, func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, `{"authorization":%q}`, r.Header.Get("Authorization"))
	})
	clientCert, clientKey := ca.issue(t, 3, x509.ExtKeyUsageClientAuth)
	w := oauthHook(target.URL, token.URL+"/token")
	w.TLS = &webhook.TLSSettings{ClientCertificate: clientCert, ClientKey: clientKey, CACertificates: certPEM(ca.cert)}

	var logs lockedBuffer
	d, invs := egressDispatcher(t, "", &logs, "127.0.0.1")
	_, err := d.Add(w)
	require.NoError(t, err)
	inv := publishN(t, d, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.JSONEq(t, `{"authorization":"Bearer REDACTED"}`, inv.Response.Body, "the token is redacted in the record")
	require.NotContains(t, inv.Response.Body, "tok-for")

	// Without the target allowed, the SSRF guard stops the token request.
	guarded, ginvs := egressDispatcher(t, "", &logs)
	_, err = guarded.Add(w)
	require.NoError(t, err)
	inv = publishN(t, guarded, ginvs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Contains(t, inv.Reason, "oauth")
	require.Contains(t, inv.Reason, "SSRF guard")
}
