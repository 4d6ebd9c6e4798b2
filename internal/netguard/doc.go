// Package netguard keeps outbound webhook requests away from addresses they
// must not reach: the host's own loopback, private networks, link-local and
// cloud metadata services, and the IPv4 forms of these hidden in IPv6
// addresses. It is the SSRF guard of a service that sends requests to URLs
// its users type in.
//
// The check happens when a connection is dialled, on every address the host
// name resolves to, and the Guard then dials exactly the addresses it
// checked, as IP literals. A name that resolves to a public address when a
// URL is registered and to 127.0.0.1 when it is used (DNS rebinding) is
// therefore refused, and no second lookup can slip between the check and the
// connection. A name is refused when any of its addresses is blocked, not
// only the blocked ones skipped.
//
// # What is blocked
//
// IPv4: 0.0.0.0/8 (this network, 0.0.0.0 being unspecified), 10.0.0.0/8,
// 172.16.0.0/12 and 192.168.0.0/16 (private), 100.64.0.0/10 (shared address
// space, CGNAT), 127.0.0.0/8 (loopback), 169.254.0.0/16 (link-local),
// 192.0.0.0/24 (IETF protocol assignments), 192.0.2.0/24, 198.51.100.0/24
// and 203.0.113.0/24 (documentation), 192.88.99.0/24 (6to4 relay anycast),
// 198.18.0.0/15 (benchmarking), 224.0.0.0/4 (multicast), 240.0.0.0/4
// (reserved, with 255.255.255.255, broadcast) and the cloud metadata
// addresses 169.254.169.254, 169.254.170.2, 169.254.170.23, 100.100.100.200,
// 168.63.129.16 (a public address Azure uses for its platform services)
// and 192.0.0.192.
//
// IPv6: :: (unspecified), ::1 (loopback), fc00::/7 (unique local, with the
// metadata address fd00:ec2::254), fe80::/10 (link-local), fec0::/10
// (site-local), ff00::/8 (multicast), 100::/64 (discard), 2001:2::/48
// (benchmarking), 2001:db8::/32 and 3fff::/20 (documentation),
// 64:ff9b:1::/48 (local-use NAT64, blocked whole: it belongs to the local
// network, and where it carries an IPv4 address depends on a prefix length
// only the operator knows), and every address outside 2000::/3, the global
// unicast range, except the forms below.
//
// IPv6 forms that carry an IPv4 address are judged by that address with the
// IPv4 rules: IPv4-mapped ::ffff:a.b.c.d (which is the IPv4 address itself:
// it is unmapped before anything else, the allow-list included, and a
// BlockedError and the dialler see the IPv4 address, whether the mapped
// form was written in the URL or returned by the resolver),
// IPv4-translated ::ffff:0:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64
// 64:ff9b::a.b.c.d, 6to4 2002:aabb:ccdd::/48, and Teredo 2001::/32, whose
// server address and (inverted) client address must both pass.
//
// # Host spellings
//
// A host that is not an IP literal in canonical form but that the C
// library's inet_aton would read as IPv4 (2130706433, 0x7f.1, 017700000001,
// 127.1, 127.0.0.010) is read the same way here, and the address it spells is
// checked and dialled. Go's own resolver would look such a host up in DNS
// and the C resolver would read it as an address; reading it here makes the
// outcome the same whichever resolver is in use.
//
// # Allow-lists
//
// Self-hosted targets and tests name what they need: prefixes such as
// 127.0.0.1/32 or 10.20.0.0/16 let those addresses through, and host names,
// exact (hooks.internal) or suffix patterns (*.corp.example, which matches
// any name below corp.example but not corp.example itself), let a name
// through whatever it resolves to. Nothing else is let through: allowing
// 127.0.0.1/32 does not allow 127.0.0.2, ::1 or the 6to4 form of 127.0.0.1.
//
// # Wiring
//
// Transport returns an *http.Transport that dials through the Guard and
// uses no proxy (a proxy would connect on the client's behalf, out of the
// Guard's sight). ProxyTransport returns one that sends through a forward
// proxy the caller trusts, http or https, the target checked before each
// request instead of at the dial, which the proxy makes; CheckProxyURL
// checks the proxy's URL. CheckRedirect bounds redirects and applies the
// caller's URL policy to each hop. ValidHeaderName and
// ValidHeaderValue check configured headers before they reach the wire.
package netguard
