package netguard

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrBlocked is what every *BlockedError wraps: errors.Is(err, ErrBlocked)
// tells a refused destination from a network failure.
var ErrBlocked = errors.New("netguard: destination blocked")

// BlockedError reports a destination the Guard refused to dial.
type BlockedError struct {
	// Host is the host as it was dialled, a name or an IP literal; it is
	// empty when only the address was known (Control).
	Host string
	// IP is the address that is blocked: the literal, or the first blocked
	// address the name resolved to. An IPv4-mapped address (::ffff:a.b.c.d)
	// is the IPv4 address a.b.c.d.
	IP netip.Addr
	// Reason says which rule blocks IP, such as "loopback", "cloud metadata"
	// or "6to4 form of 10.0.0.1 (private)".
	Reason string
}

// Error implements error.
func (e *BlockedError) Error() string {
	// A literal address is named once, in its IPv4 form when it is one
	// written as IPv6.
	if literal, err := netip.ParseAddr(e.Host); e.Host == "" || err == nil && literal.Unmap() == e.IP {
		return fmt.Sprintf("netguard: %s is blocked: %s", e.IP, e.Reason)
	}
	return fmt.Sprintf("netguard: %s (%s) is blocked: %s", e.Host, e.IP, e.Reason)
}

// Unwrap returns ErrBlocked.
func (e *BlockedError) Unwrap() error { return ErrBlocked }

// Resolver looks up the addresses of a host name. *net.Resolver implements
// it; tests pass their own.
type Resolver interface {
	// LookupNetIP returns the addresses of host for network "ip", "ip4" or
	// "ip6".
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

var _ Resolver = (*net.Resolver)(nil)

// Config configures a Guard. The zero Config blocks everything the package
// comment lists, resolves with net.DefaultResolver and dials with a
// net.Dialer.
type Config struct {
	// AllowNets lists prefixes whose addresses may be dialled although a
	// rule blocks them, such as 127.0.0.1/32 for tests or 10.20.0.0/16 for
	// a self-hosted receiver. An IPv4-mapped prefix counts as the IPv4
	// prefix it maps. Nil allows none.
	AllowNets []netip.Prefix
	// AllowHosts lists host names that may be dialled whatever they resolve
	// to: exact names (hooks.internal) or patterns of the form
	// *.corp.example, which match every name below corp.example but not
	// corp.example itself. Matching ignores case and a trailing dot. Nil
	// allows none. IP literals are not names: allow them with AllowNets.
	AllowHosts []string
	// Resolver looks up host names. Nil means net.DefaultResolver.
	Resolver Resolver
	// Dial connects to an address the Guard has checked, always an IP
	// literal and a port. Nil means the DialContext of a net.Dialer with a
	// 30-second timeout and keep-alive, as http.DefaultTransport uses.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
}

// Guard checks destinations and dials only those that pass. It is
// immutable and safe for concurrent use. The zero Guard behaves as one made
// from the zero Config.
type Guard struct {
	nets     []netip.Prefix
	exact    map[string]bool
	suffixes []string // ".corp.example" for *.corp.example
	resolver Resolver
	dial     func(ctx context.Context, network, address string) (net.Conn, error)
}

// New returns a Guard for c. It fails when an entry of AllowHosts is not a
// host name or a *. pattern.
func New(c Config) (*Guard, error) {
	g := &Guard{exact: map[string]bool{}, resolver: c.Resolver, dial: c.Dial}
	for _, p := range c.AllowNets {
		if !p.IsValid() {
			return nil, fmt.Errorf("netguard: invalid prefix in AllowNets")
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		g.nets = append(g.nets, p.Masked())
	}
	for _, h := range c.AllowHosts {
		name := normalizeHost(h)
		suffix, pattern := strings.CutPrefix(name, "*.")
		if !pattern {
			suffix = name
		}
		if !validName(suffix) {
			return nil, fmt.Errorf("netguard: AllowHosts entry %q is not a host name or a *.name pattern", h)
		}
		if pattern {
			g.suffixes = append(g.suffixes, "."+suffix)
		} else {
			g.exact[name] = true
		}
	}
	return g, nil
}

var defaultDialer = &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}

// Check returns a *BlockedError when ip must not be dialled for host, and
// nil when it may be: because no rule blocks it, because AllowNets holds it,
// or because host is a name AllowHosts lets through. host may be empty.
func (g *Guard) Check(host string, ip netip.Addr) error {
	if host != "" && g.hostAllowed(normalizeHost(host)) {
		return nil
	}
	return g.checkIP(host, ip)
}

func (g *Guard) checkIP(host string, ip netip.Addr) error {
	ip = ip.Unmap() // for Check and Control: resolve unmaps already
	reason := blockReason(ip)
	if reason == "" {
		return nil
	}
	plain := ip.WithZone("")
	for _, p := range g.nets {
		if p.Contains(plain) {
			return nil
		}
	}
	return &BlockedError{Host: host, IP: ip, Reason: reason}
}

// DialContext resolves the host of address, checks every address it
// resolves to, and dials the checked addresses in turn until one connects.
// A host that is an IP literal, or that inet_aton would read as IPv4, is
// checked as that address without a lookup. When any address is blocked it
// dials none and returns a *BlockedError. Only the tcp, tcp4 and tcp6
// networks are supported. Use it as http.Transport.DialContext.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	var lookup string
	switch network {
	case "tcp":
		lookup = "ip"
	case "tcp4":
		lookup = "ip4"
	case "tcp6":
		lookup = "ip6"
	default:
		return nil, fmt.Errorf("netguard: network %q is not supported", network)
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("netguard: %w", err)
	}
	addrs, err := g.resolve(ctx, lookup, host)
	if err != nil {
		return nil, err
	}
	dial := g.dial
	if dial == nil {
		dial = defaultDialer.DialContext
	}
	var first error
	for _, ip := range addrs {
		conn, err := dial(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// resolve returns the checked addresses of host. An IPv4-mapped address,
// written so or returned so by the resolver (as Go's may), becomes the
// IPv4 address it is, which is checked, reported and dialled: as net.Dialer
// does, since it dials a mapped address over IPv4.
func (g *Guard) resolve(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		return []netip.Addr{ip}, g.checkIP(host, ip)
	}
	name := normalizeHost(host)
	if ip, ok := parseLegacyIPv4(name); ok {
		return []netip.Addr{ip}, g.checkIP(host, ip)
	}
	var r Resolver = net.DefaultResolver
	if g.resolver != nil {
		r = g.resolver
	}
	addrs, err := r.LookupNetIP(ctx, network, name)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: name, IsNotFound: true}
	}
	addrs = unmapAll(addrs)
	if g.hostAllowed(name) {
		return addrs, nil
	}
	for _, ip := range addrs {
		if err := g.checkIP(host, ip); err != nil {
			return nil, err
		}
	}
	return addrs, nil
}

// unmapAll returns addrs with every IPv4-mapped address unmapped, copying
// addrs only when one is: the resolver may share its slice.
func unmapAll(addrs []netip.Addr) []netip.Addr {
	for i, ip := range addrs {
		if ip.Is4In6() {
			out := slices.Clone(addrs)
			for j := i; j < len(out); j++ {
				out[j] = out[j].Unmap()
			}
			return out
		}
	}
	return addrs
}

// Control checks the address a net.Dialer is about to connect to, with the
// rules and AllowNets; it cannot see the host name, so AllowHosts does not
// apply. It is for a net.Dialer that dials by other means than
// DialContext; DialContext itself needs no Control.
func (g *Guard) Control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("netguard: %w", err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("netguard: %s is not an IP address", host)
	}
	return g.checkIP("", ip)
}

// Transport returns a clone of t that dials through the Guard and connects
// directly: its DialContext is the Guard's, and its Proxy, DialTLS and
// DialTLSContext are cleared, since a proxy would connect on the
// client's behalf and a custom TLS dialer would bypass the Guard. t itself
// is not modified. A nil t means a new http.Transport with ForceAttemptHTTP2
// set and net/http's default pool sizes, which are small: pass a tuned
// transport for throughput.
func (g *Guard) Transport(t *http.Transport) *http.Transport {
	if t == nil {
		t = &http.Transport{ForceAttemptHTTP2: true}
	}
	t = t.Clone()
	t.Proxy = nil
	t.OnProxyConnectResponse = nil
	t.DialContext = g.DialContext // takes priority over Dial
	t.DialTLSContext = nil
	//lint:ignore SA1019 cleared because, set, it would dial instead of the Guard
	t.DialTLS = nil
	return t
}

// CheckHost resolves host, a name or an IP literal, and checks every
// address it resolves to as DialContext does, without dialling: it returns
// a *BlockedError when any is blocked, the resolver's error when the name
// does not resolve, and nil otherwise.
func (g *Guard) CheckHost(ctx context.Context, host string) error {
	_, err := g.resolve(ctx, "ip", host)
	return err
}

// ProxyTransport returns a clone of t that sends every request through the
// forward proxy at proxy (see CheckProxyURL): an https request in a
// CONNECT tunnel, an http request in absolute form, with the
// Proxy-Authorization header net/http makes of the proxy URL's userinfo.
// With an https proxy, the connection to the proxy is TLS with a clone of
// proxyTLS (nil: the system's roots), its ServerName the proxy's host when
// empty, TLS 1.2 at least and HTTP/1.1 the only protocol offered; t's
// TLSClientConfig, a target's, is not shown to the proxy.
// Before each request, redirects' included, the target's host is resolved
// and checked as DialContext checks it, and a blocked or unresolvable one
// fails the request before anything reaches the proxy. The proxy itself
// resolves the host again when it connects, so a name that resolves to a
// public address for the check and to a blocked one for the proxy (DNS
// rebinding) is out of the Guard's reach: a proxy that must not reach the
// blocked ranges has to refuse them itself. The proxy's own address is not
// checked (whoever names the proxy trusts it), and the transport dials
// nothing else. t itself is not modified; a nil t is as for Transport.
func (g *Guard) ProxyTransport(t *http.Transport, proxy *url.URL, proxyTLS *tls.Config) *http.Transport {
	t = g.Transport(t)
	addr := proxyAddr(proxy)
	proxy = new(*proxy)
	var tlsConf *tls.Config
	if proxy.Scheme == "https" {
		// The TLS to the proxy is made here, on the dialled connection, so
		// net/http sees an http proxy: its own TLS configuration is the
		// target's, which the proxy has no business with.
		tlsConf = proxyTLS.Clone()
		if tlsConf == nil {
			tlsConf = &tls.Config{}
		}
		if tlsConf.ServerName == "" {
			tlsConf.ServerName = proxy.Hostname()
		}
		tlsConf.MinVersion = max(tlsConf.MinVersion, tls.VersionTLS12)
		tlsConf.NextProtos = []string{"http/1.1"}
		proxy.Scheme, proxy.Host = "http", addr
	}
	t.Proxy = func(req *http.Request) (*url.URL, error) {
		if err := g.CheckHost(req.Context(), req.URL.Hostname()); err != nil {
			return nil, err
		}
		return proxy, nil
	}
	dial := g.dial
	if dial == nil {
		dial = defaultDialer.DialContext
	}
	handshakeTimeout := t.TLSHandshakeTimeout
	t.DialContext = func(ctx context.Context, network, address string) (net.Conn, error) {
		if address != addr {
			return nil, fmt.Errorf("netguard: %s is not the proxy's address; only the proxy is dialled", address)
		}
		conn, err := dial(ctx, network, address)
		if err != nil || tlsConf == nil {
			return conn, err
		}
		if handshakeTimeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, handshakeTimeout)
			defer cancel()
		}
		tc := tls.Client(conn, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("netguard: TLS with the proxy: %w", err)
		}
		return tc, nil
	}
	return t
}

// CheckProxyURL checks the shape of a forward proxy's URL: scheme http or
// https, a host, an optional port, userinfo, and nothing else (no path,
// query or fragment). A host name that is not ASCII is returned in its
// ASCII form (IDNA, punycode), as DNS knows it; one that has none fails.
// A SOCKS proxy is refused. Its errors never quote the URL, whose
// userinfo is a secret.
func CheckProxyURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the URL
		}
		return nil, fmt.Errorf("netguard: proxy URL does not parse: %w", err)
	}
	switch {
	case strings.HasPrefix(strings.ToLower(u.Scheme), "socks"):
		return nil, fmt.Errorf("netguard: proxy URL scheme %q: SOCKS proxies are not supported; use an HTTP or HTTPS forward proxy", u.Scheme)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("netguard: proxy URL scheme must be http or https, not %q", u.Scheme)
	case u.Opaque != "" || u.Hostname() == "":
		return nil, errors.New("netguard: proxy URL has no host")
	case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, errors.New("netguard: proxy URL may hold no path, query or fragment")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("netguard: proxy URL port %q is not between 1 and 65535", p)
		}
	}
	if host := u.Hostname(); !isASCII(host) {
		ascii, err := idna.Lookup.ToASCII(host)
		if err != nil {
			return nil, fmt.Errorf("netguard: proxy URL host is not a valid international domain name: %w", err)
		}
		if p := u.Port(); p != "" {
			ascii = net.JoinHostPort(ascii, p)
		}
		u.Host = ascii
	}
	return u, nil
}

// isASCII reports whether s is ASCII only.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// proxyAddr is the address net/http dials for proxy: its host and port,
// 80 (http) or 443 (https) when it names none.
func proxyAddr(proxy *url.URL) string {
	port := proxy.Port()
	if port == "" {
		port = "80"
		if proxy.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(proxy.Hostname(), port)
}

func (g *Guard) hostAllowed(name string) bool {
	if g.exact[name] {
		return true
	}
	for _, s := range g.suffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// normalizeHost lowers a host name and drops its trailing dot.
func normalizeHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// validName reports whether s is a host name: dot-separated labels of
// letters, digits, hyphens and underscores, not an IP literal.
func validName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
