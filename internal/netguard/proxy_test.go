package netguard_test

import (
	"context"
	"errors"
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
		"https://u:" + secret + "@proxy:3128":        false,
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
	tr := g.ProxyTransport(nil, pu)
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
