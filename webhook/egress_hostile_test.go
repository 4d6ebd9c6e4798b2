package webhook_test

import (
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
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
// (407, quoting the credentials in its page, recorded as an http target's
// response) or cannot be reached leaves no credentials in the record, logs
// or spans.
func TestProxyRefusalKeepsItsCredentials(t *testing.T) {
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Proxy-Authenticate", `Basic realm="`+r.Header.Get("Proxy-Authorization")+`"`)
		http.Error(w, "denied "+r.Header.Get("Proxy-Authorization"), http.StatusProxyAuthRequired)
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
