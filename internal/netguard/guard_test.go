package netguard_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/netguard"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
)

// fakeResolver answers from a table and fails for any other name, so no
// test ever reaches real DNS.
type fakeResolver map[string][]string

func (r fakeResolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	texts, ok := r[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []netip.Addr
	for _, t := range texts {
		ip := netip.MustParseAddr(t)
		if network == "ip4" && !ip.Is4() || network == "ip6" && !ip.Is6() {
			continue
		}
		out = append(out, ip)
	}
	return out, nil
}

var resolver = fakeResolver{
	"localhost":                {"127.0.0.1"},
	"dual.test":                {"127.0.0.1", "::1"},
	"rebind.test":              {"10.0.0.5"},
	"mixed.test":               {"93.184.215.14", "127.0.0.1"},
	"metadata.google.internal": {"169.254.169.254"},
	"v6only.test":              {"fd12:3456::1"},
	"public.test":              {"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"},
	"a.svc.test":               {"10.9.0.1"},
	"a.b.svc.test":             {"10.9.0.2"},
	"svc.test":                 {"10.9.0.3"},
	"evilsvc.test":             {"10.9.0.4"},
}

// recorder is a Dial func that records what reaches it and connects to
// nothing: it returns one end of a pipe.
type recorder struct {
	mu    sync.Mutex
	dials []string
}

func (r *recorder) dial(_ context.Context, _, address string) (net.Conn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dials = append(r.dials, address)
	c1, c2 := net.Pipe()
	c2.Close()
	return c1, nil
}

func newGuard(t *testing.T, c netguard.Config) (*netguard.Guard, *recorder) {
	t.Helper()
	rec := &recorder{}
	c.Resolver = resolver
	c.Dial = rec.dial
	g, err := netguard.New(c)
	require.NoError(t, err)
	return g, rec
}

// dialAddress turns a URL into the address http.Transport dials.
func dialAddress(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// Every form is blocked by default; a Guard that allows exactly the
// blocked address lets it through and dials that literal; one that allows
// the next address does not.
func TestAddressForms(t *testing.T) {
	tests := []struct {
		url    string
		ip     string // the blocked address, as BlockedError.IP reports it
		reason string
		dialed string // what reaches the dialer once allowed; empty: ip
	}{
		// IPv4
		{"http://127.0.0.1/", "127.0.0.1", "loopback", ""},
		{"https://127.255.255.254:8443/", "127.255.255.254", "loopback", ""},
		{"http://10.1.2.3/", "10.1.2.3", "private", ""},
		{"http://172.16.0.1/", "172.16.0.1", "private", ""},
		{"http://172.31.255.255/", "172.31.255.255", "private", ""},
		{"http://192.168.1.1/", "192.168.1.1", "private", ""},
		{"http://100.64.0.1/", "100.64.0.1", "CGNAT", ""},
		{"http://169.254.169.254/latest/meta-data/", "169.254.169.254", "cloud metadata", ""},
		{"http://169.254.170.2/v2/credentials", "169.254.170.2", "cloud metadata", ""},
		{"http://100.100.100.200/latest/meta-data/", "100.100.100.200", "cloud metadata", ""},
		{"http://168.63.129.16/", "168.63.129.16", "cloud metadata", ""},
		{"http://169.254.1.1/", "169.254.1.1", "link-local", ""},
		{"http://0.0.0.0/", "0.0.0.0", "unspecified", ""},
		{"http://0.1.2.3/", "0.1.2.3", "this network", ""},
		{"http://224.0.0.1/", "224.0.0.1", "multicast", ""},
		{"http://255.255.255.255/", "255.255.255.255", "broadcast", ""},
		{"http://240.0.0.1/", "240.0.0.1", "reserved", ""},
		{"http://198.18.0.1/", "198.18.0.1", "benchmarking", ""},
		{"http://192.0.2.1/", "192.0.2.1", "documentation", ""},
		// IPv6
		{"http://[::1]/", "::1", "loopback", ""},
		{"http://[::]/", "::", "unspecified", ""},
		{"http://[fc00::1]/", "fc00::1", "private", ""},
		{"http://[fd00:ec2::254]/latest/meta-data/", "fd00:ec2::254", "cloud metadata", ""},
		{"http://[fe80::1%25eth0]/", "fe80::1%eth0", "link-local", ""},
		{"http://[ff02::1]/", "ff02::1", "multicast", ""},
		{"http://[fec0::1]/", "fec0::1", "site-local", ""},
		{"http://[100::1]/", "100::1", "discard", ""},
		{"http://[2001:db8::1]/", "2001:db8::1", "documentation", ""},
		{"http://[4000::1]/", "4000::1", "outside global unicast", ""},
		// IPv4 inside IPv6
		{"http://[::ffff:127.0.0.1]/", "127.0.0.1", "loopback", ""},
		{"http://[::ffff:7f00:1]/", "127.0.0.1", "loopback", ""},
		{"http://[::ffff:169.254.169.254]/", "169.254.169.254", "cloud metadata", ""},
		{"http://[::ffff:100.64.0.1]:8080/", "100.64.0.1", "CGNAT", ""},
		{"http://[::127.0.0.1]/", "::127.0.0.1", "IPv4-compatible form of 127.0.0.1 (loopback)", ""},
		{"http://[::ffff:0:10.0.0.1]/", "::ffff:0:a00:1", "IPv4-translated form of 10.0.0.1 (private)", ""},
		{"http://[64:ff9b::127.0.0.1]/", "64:ff9b::7f00:1", "NAT64 form of 127.0.0.1 (loopback)", ""},
		{"http://[64:ff9b::a9fe:a9fe]/", "64:ff9b::a9fe:a9fe", "NAT64 form of 169.254.169.254 (cloud metadata)", ""},
		{"http://[64:ff9b:1::808:808]/", "64:ff9b:1::808:808", "local-use NAT64", ""},
		{"http://[2002:7f00:1::]/", "2002:7f00:1::", "6to4 form of 127.0.0.1 (loopback)", ""},
		{"http://[2002:a9fe:a9fe::1]/", "2002:a9fe:a9fe::1", "6to4 form of 169.254.169.254 (cloud metadata)", ""},
		{"http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo client form of 127.0.0.1 (loopback)", ""},
		{"http://[2001:0:a00:1::f7f7:f7f7]/", "2001:0:a00:1::f7f7:f7f7", "Teredo server form of 10.0.0.1 (private)", ""},
		// Host spellings inet_aton reads as IPv4; Go's URL parser keeps them
		// as names, and the Guard dials the address they spell.
		{"http://2130706433/", "127.0.0.1", "loopback", ""},
		{"http://0x7f.1/", "127.0.0.1", "loopback", ""},
		{"http://017700000001/", "127.0.0.1", "loopback", ""},
		{"http://0x7f000001/", "127.0.0.1", "loopback", ""},
		{"http://127.1/", "127.0.0.1", "loopback", ""},
		{"http://0177.0.0.1/", "127.0.0.1", "loopback", ""},
		{"http://127.0.0.010/", "127.0.0.8", "loopback", ""},
		{"http://0/", "0.0.0.0", "unspecified", ""},
		{"http://3232235777/", "192.168.1.1", "private", ""},
		{"http://0xA9.0xFE.0xA9.0xFE/", "169.254.169.254", "cloud metadata", ""},
		// Names, resolved through the injected resolver.
		{"http://localhost/", "127.0.0.1", "loopback", "127.0.0.1:80"},
		{"http://LOCALHOST./", "127.0.0.1", "loopback", "127.0.0.1:80"},
		{"http://rebind.test/", "10.0.0.5", "private", ""},
		{"http://metadata.google.internal/computeMetadata/v1/", "169.254.169.254", "cloud metadata", ""},
		{"http://v6only.test/", "fd12:3456::1", "private", ""},
		{"http://mixed.test/", "127.0.0.1", "loopback", "93.184.215.14:80"},
	}
	require.GreaterOrEqual(t, len(tests), 30)
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			ctx := context.Background()
			addr := dialAddress(t, tt.url)
			ip := netip.MustParseAddr(tt.ip)

			g, rec := newGuard(t, netguard.Config{})
			_, err := g.DialContext(ctx, "tcp", addr)
			require.ErrorIs(t, err, netguard.ErrBlocked)
			var be *netguard.BlockedError
			require.ErrorAs(t, err, &be)
			require.Equal(t, ip, be.IP)
			require.Contains(t, be.Reason, tt.reason)
			require.Empty(t, rec.dials, "a blocked address reached the dialer")

			exact := netip.PrefixFrom(ip.WithZone(""), ip.BitLen())
			g, rec = newGuard(t, netguard.Config{AllowNets: []netip.Prefix{exact}})
			conn, err := g.DialContext(ctx, "tcp", addr)
			require.NoError(t, err)
			conn.Close()
			dialed := tt.dialed
			if dialed == "" {
				_, port, _ := net.SplitHostPort(addr)
				dialed = net.JoinHostPort(ip.String(), port)
			}
			require.Equal(t, []string{dialed}, rec.dials)

			next := ip.WithZone("").Next()
			if !next.IsValid() {
				return
			}
			g, rec = newGuard(t, netguard.Config{AllowNets: []netip.Prefix{netip.PrefixFrom(next, next.BitLen())}})
			_, err = g.DialContext(ctx, "tcp", addr)
			require.ErrorIs(t, err, netguard.ErrBlocked)
			require.Empty(t, rec.dials)
		})
	}
}

func TestPublicAddressesPass(t *testing.T) {
	for _, raw := range []string{
		"https://hooks.torq.io.invalid/", // resolved below
		"http://93.184.215.14/",
		"http://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/",
		"http://[::ffff:8.8.8.8]/",
		"http://[64:ff9b::808:808]/",
		"http://[2002:808:808::1]/",
		"http://134744072/", // 8.8.8.8
		"http://public.test/",
		"http://172.32.0.1/",
		"http://100.128.0.1/",
	} {
		t.Run(raw, func(t *testing.T) {
			res := fakeResolver{"hooks.torq.io.invalid": {"34.120.0.1"}}
			for k, v := range resolver {
				res[k] = v
			}
			rec := &recorder{}
			g, err := netguard.New(netguard.Config{Resolver: res, Dial: rec.dial})
			require.NoError(t, err)
			conn, err := g.DialContext(context.Background(), "tcp", dialAddress(t, raw))
			require.NoError(t, err)
			conn.Close()
			require.Len(t, rec.dials, 1)
		})
	}
}

func TestAllowHosts(t *testing.T) {
	g, rec := newGuard(t, netguard.Config{AllowHosts: []string{"Rebind.Test.", "*.svc.test"}})
	tests := []struct {
		addr    string
		allowed bool
	}{
		{"rebind.test:443", true},
		{"REBIND.test.:443", true},
		{"a.svc.test:80", true},
		{"a.b.svc.test:80", true},
		{"svc.test:80", false},
		{"evilsvc.test:80", false},
		{"localhost:80", false},
		{"10.0.0.5:443", false}, // the address rebind.test resolves to, as a literal
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			rec.dials = nil
			conn, err := g.DialContext(context.Background(), "tcp", tt.addr)
			if tt.allowed {
				require.NoError(t, err)
				conn.Close()
				require.Len(t, rec.dials, 1)
				return
			}
			require.ErrorIs(t, err, netguard.ErrBlocked)
			require.Empty(t, rec.dials)
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, h := range []string{"", "*.", "*", "a..b", "127.0.0.1", "::1", "bad host", "*.*.example", "a/b"} {
		_, err := netguard.New(netguard.Config{AllowHosts: []string{h}})
		require.Error(t, err, "%q", h)
	}
	_, err := netguard.New(netguard.Config{AllowNets: []netip.Prefix{{}}})
	require.Error(t, err)
}

func TestDialContextErrors(t *testing.T) {
	g, rec := newGuard(t, netguard.Config{})
	ctx := context.Background()
	_, err := g.DialContext(ctx, "udp", "93.184.215.14:53")
	require.ErrorContains(t, err, "not supported")
	_, err = g.DialContext(ctx, "tcp", "no-port")
	require.Error(t, err)
	_, err = g.DialContext(ctx, "tcp", "unknown.test:80")
	var dnsErr *net.DNSError
	require.ErrorAs(t, err, &dnsErr)
	// tcp6 and tcp4 look up only addresses of their family.
	_, err = g.DialContext(ctx, "tcp6", "public.test:80")
	require.NoError(t, err)
	_, err = g.DialContext(ctx, "tcp4", "v6only.test:80")
	require.ErrorAs(t, err, &dnsErr)
	require.Equal(t, []string{"[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:80"}, rec.dials)
}

// A name is refused when any of its addresses is blocked, even when the
// allow-list holds the others.
func TestAllOrNothing(t *testing.T) {
	g, rec := newGuard(t, netguard.Config{AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	_, err := g.DialContext(context.Background(), "tcp", "dual.test:80")
	var be *netguard.BlockedError
	require.ErrorAs(t, err, &be)
	require.Equal(t, netip.MustParseAddr("::1"), be.IP)
	require.Empty(t, rec.dials)

	// Only IPv4 is asked for, so ::1 is not in the answer.
	conn, err := g.DialContext(context.Background(), "tcp4", "dual.test:80")
	require.NoError(t, err)
	conn.Close()
	require.Equal(t, []string{"127.0.0.1:80"}, rec.dials)
}

// The guard between a real client and a real server on 127.0.0.1.
func TestRealDial(t *testing.T) {
	leakcheck.Check(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	client := func(c netguard.Config) *http.Client {
		g, err := netguard.New(c)
		require.NoError(t, err)
		tr := g.Transport(nil)
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: tr, CheckRedirect: netguard.CheckRedirect(0, nil)}
	}

	_, err := client(netguard.Config{}).Get(srv.URL)
	require.ErrorIs(t, err, netguard.ErrBlocked)
	var be *netguard.BlockedError
	require.ErrorAs(t, err, &be)
	require.Equal(t, "loopback", be.Reason)
	var ue *url.Error
	require.ErrorAs(t, err, &ue)

	resp, err := client(netguard.Config{AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}).Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)

	_, err = client(netguard.Config{AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}}).Get(srv.URL)
	require.ErrorIs(t, err, netguard.ErrBlocked)
}

func TestControl(t *testing.T) {
	leakcheck.Check(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	g, err := netguard.New(netguard.Config{})
	require.NoError(t, err)
	_, err = (&net.Dialer{Control: g.Control}).Dial("tcp", addr)
	require.ErrorIs(t, err, netguard.ErrBlocked)

	g, err = netguard.New(netguard.Config{AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	require.NoError(t, err)
	conn, err := (&net.Dialer{Control: g.Control}).Dial("tcp", addr)
	require.NoError(t, err)
	conn.Close()
}

func TestTransportClearsBypasses(t *testing.T) {
	g, err := netguard.New(netguard.Config{})
	require.NoError(t, err)
	base := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialTLSContext:      func(context.Context, string, string) (net.Conn, error) { return nil, errors.New("bypass") },
		MaxIdleConnsPerHost: 64,
	}
	tr := g.Transport(base)
	require.Nil(t, tr.Proxy)
	require.Nil(t, tr.DialTLSContext)
	require.NotNil(t, tr.DialContext)
	require.Equal(t, 64, tr.MaxIdleConnsPerHost)
	require.NotNil(t, base.Proxy, "the transport given is left as it was")
}

func TestParseLegacyForms(t *testing.T) {
	// Hosts the Guard must treat as names, not as addresses: they go to the
	// resolver, which knows none of them.
	g, rec := newGuard(t, netguard.Config{})
	for _, host := range []string{"1.2.3.4.5", "256.1.1.1", "0x100.1.1", "1..1", "08", "0x1g", "-1", "+1", "4294967296", "1.16777216", "1.2.65536", "0x.1.2.3.4"} {
		_, err := g.DialContext(context.Background(), "tcp", net.JoinHostPort(host, "80"))
		var dnsErr *net.DNSError
		require.ErrorAs(t, err, &dnsErr, host)
	}
	require.Empty(t, rec.dials)
}

func BenchmarkCheck(b *testing.B) {
	g, err := netguard.New(netguard.Config{})
	require.NoError(b, err)
	addrs := []netip.Addr{
		netip.MustParseAddr("93.184.215.14"),
		netip.MustParseAddr("2606:2800:21f:cb07:6820:80da:af6b:8b2c"),
		netip.MustParseAddr("2002:808:808::1"),
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, a := range addrs {
			if err := g.Check("", a); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func TestZeroGuard(t *testing.T) {
	var g netguard.Guard
	_, err := g.DialContext(context.Background(), "tcp", "127.0.0.1:80")
	require.ErrorIs(t, err, netguard.ErrBlocked)
	_, err = g.DialContext(context.Background(), "tcp", "0x7f.1:80")
	require.ErrorIs(t, err, netguard.ErrBlocked)
	require.NoError(t, g.Check("", netip.MustParseAddr("93.184.215.14")))
}
