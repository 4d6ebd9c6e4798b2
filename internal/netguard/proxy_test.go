package netguard_test

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/netguard"
)

func TestCheckProxyURL(t *testing.T) {
	const secret = "s3cr3t-pw"
	for raw, ok := range map[string]bool{
		"http://proxy.internal:3128":                 true,
		"http://u:" + secret + "@10.0.0.5:3128":      true,
		"http://proxy.internal/":                     true,
		"http://[fd00::1]:8080":                      true,
		"https://u:" + secret + "@proxy:3128":        true,
		"http://bücher.example:3128":                 true,
		"http://b%C3%BCcher.example:3128":            true,
		"http://xn--bcher-kva.example:3128":          true,
		"http://bü\u200bcher.example:3128":           true, // a zero-width space, mapped away
		"http://u:" + secret + "@a\u00adb\u2488:1":   false,
		"socks5://u:" + secret + "@proxy:1080":       false,
		"http://u:" + secret + "@:3128":              false,
		"http://u:" + secret + "@proxy:3128/p":       false,
		"http://u:" + secret + "@proxy:3128?q=1":     false,
		"http://u:" + secret + "@proxy:3128#f":       false,
		"http://u:" + secret + "@proxy:0":            false,
		"http://u:" + secret + "@proxy:70000":        false,
		"http://u:" + secret + "@pro\x7fxy:1":        false,
		"proxy.internal:3128":                        false,
		"http:u:" + secret + "@proxy":                false,
		"http://u:" + secret + "@proxy:3128%zz/path": false,
	} {
		u, err := netguard.CheckProxyURL(raw)
		if ok {
			require.NoError(t, err, raw)
			require.NotNil(t, u)
			continue
		}
		require.Error(t, err, raw)
		require.NotContains(t, err.Error(), secret, raw)
	}
}

// TestProxyTransportChecksTheTargetFirst: a blocked target fails before
// the proxy is dialled; an allowed one is asked of the proxy, which is
// dialled whatever its address; nothing else is dialled.
func TestProxyTransportChecksTheTargetFirst(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.RequestURI)
		mu.Unlock()
		_, _ = w.Write([]byte("via proxy"))
	}))
	defer proxy.Close()
	g, err := netguard.New(netguard.Config{Resolver: resolver})
	require.NoError(t, err)
	pu, err := netguard.CheckProxyURL(proxy.URL)
	require.NoError(t, err)
	tr := g.ProxyTransport(nil, pu, nil)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}

	resp, err := client.Get("http://public.test/x")
	require.NoError(t, err)
	resp.Body.Close()
	for _, target := range []string{"http://rebind.test/", "http://mixed.test/", "https://MIXED.test./", "http://127.0.0.1/", "http://[::ffff:169.254.169.254]/", "http://2130706433/"} {
		_, err := client.Get(target)
		require.ErrorIs(t, err, netguard.ErrBlocked, target)
	}
	_, err = client.Get("http://unknown.test/")
	var dnsErr *net.DNSError
	require.ErrorAs(t, err, &dnsErr)
	require.Equal(t, []string{"http://public.test/x"}, asked)

	_, err = tr.DialContext(context.Background(), "tcp", "203.0.113.9:80")
	require.Error(t, err)
	require.False(t, errors.Is(err, netguard.ErrBlocked))
	require.True(t, strings.Contains(err.Error(), "only the proxy is dialled"))
	require.Nil(t, tr.DialTLSContext)
	got, err := tr.Proxy(&http.Request{URL: &url.URL{Scheme: "https", Host: "public.test"}})
	require.NoError(t, err)
	require.Equal(t, pu.String(), got.String())
}

// TestCheckProxyURLSpellsAnIDNInASCII: a proxy named in Unicode is dialled
// by its ASCII (punycode) name, as DNS knows it.
func TestCheckProxyURLSpellsAnIDNInASCII(t *testing.T) {
	for raw, host := range map[string]string{
		"http://Bücher.example:3128":        "xn--bcher-kva.example:3128",
		"http://b%C3%BCcher.example":        "xn--bcher-kva.example",
		"https://ｐｒｏｘｙ.example:8443":        "proxy.example:8443",
		"http://u:p@[fd00::1]:8080":         "[fd00::1]:8080",
		"http://xn--bcher-kva.example:3128": "xn--bcher-kva.example:3128",
	} {
		u, err := netguard.CheckProxyURL(raw)
		require.NoError(t, err, raw)
		require.Equal(t, host, u.Host, raw)
	}
	_, err := netguard.CheckProxyURL("socks5://proxy:1080")
	require.ErrorContains(t, err, "SOCKS")
}

// TestProxyTransportDialsAnIDNProxy: a proxy with an international name
// is dialled by its ASCII name and carries the request.
func TestProxyTransportDialsAnIDNProxy(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("via proxy")) }))
	defer proxy.Close()
	var dialled []string
	g, err := netguard.New(netguard.Config{Resolver: resolver, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		dialled = append(dialled, address)
		return (&net.Dialer{}).DialContext(ctx, network, proxy.Listener.Addr().String())
	}})
	require.NoError(t, err)
	pu, err := netguard.CheckProxyURL("http://bücher.example:3128")
	require.NoError(t, err)
	tr := g.ProxyTransport(nil, pu, nil)
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("http://public.test/x")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, []string{"xn--bcher-kva.example:3128"}, dialled)
}

// TestProxyTransportOverTLS: with an https proxy, the connection to the
// proxy is TLS with the configuration given, verified; the target is still
// checked before the proxy is asked, and nothing but the proxy is dialled.
func TestProxyTransportOverTLS(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	proxy := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.RequestURI+" "+r.Header.Get("Proxy-Authorization"))
		mu.Unlock()
		_, _ = w.Write([]byte("via TLS proxy"))
	}))
	proxy.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	proxy.StartTLS()
	defer proxy.Close()
	g, err := netguard.New(netguard.Config{Resolver: resolver})
	require.NoError(t, err)
	pu, err := netguard.CheckProxyURL(strings.Replace(proxy.URL, "https://", "https://u:pw@", 1))
	require.NoError(t, err)
	trusted := proxy.Client().Transport.(*http.Transport).TLSClientConfig

	tr := g.ProxyTransport(nil, pu, trusted)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	resp, err := client.Get("http://public.test/x")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, "via TLS proxy", string(body))
	_, err = client.Get("http://127.0.0.1/")
	require.ErrorIs(t, err, netguard.ErrBlocked)
	require.Equal(t, []string{"http://public.test/x Basic dTpwdw=="}, asked)

	untrusting := g.ProxyTransport(nil, pu, nil) // the system's roots: the test proxy's certificate is not among them
	defer untrusting.CloseIdleConnections()
	_, err = (&http.Client{Transport: untrusting}).Get("http://public.test/y")
	var unknown x509.UnknownAuthorityError
	require.ErrorAs(t, err, &unknown)
	require.Len(t, asked, 1, "nothing reaches a proxy that is not trusted")
}
