package netguard

import (
	"net/netip"
)

// rule blocks a prefix for a reason.
type rule struct {
	prefix netip.Prefix
	reason string
}

func rules(pairs ...string) []rule {
	rs := make([]rule, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		rs = append(rs, rule{netip.MustParsePrefix(pairs[i]), pairs[i+1]})
	}
	return rs
}

// Reasons a destination is blocked, as BlockedError.Reason reports them.
const (
	reasonMetadata = "cloud metadata"
	reasonPrivate  = "private"
)

// v4Rules are checked in order, so the specific entries come first.
var v4Rules = rules(
	"169.254.169.254/32", reasonMetadata, // AWS, GCP, Azure, OpenStack, Oracle
	"169.254.170.2/32", reasonMetadata, // AWS ECS task metadata
	"169.254.170.23/32", reasonMetadata, // AWS EKS pod identity
	"100.100.100.200/32", reasonMetadata, // Alibaba Cloud
	"168.63.129.16/32", reasonMetadata, // Azure WireServer (a public address)
	"192.0.0.192/32", reasonMetadata, // Oracle Cloud Classic
	"255.255.255.255/32", "broadcast",
	"0.0.0.0/32", "unspecified",
	"0.0.0.0/8", "this network",
	"10.0.0.0/8", reasonPrivate,
	"100.64.0.0/10", "shared address space (CGNAT)",
	"127.0.0.0/8", "loopback",
	"169.254.0.0/16", "link-local",
	"172.16.0.0/12", reasonPrivate,
	"192.0.0.0/24", "IETF protocol assignments",
	"192.0.2.0/24", "documentation",
	"192.88.99.0/24", "6to4 relay anycast",
	"192.168.0.0/16", reasonPrivate,
	"198.18.0.0/15", "benchmarking",
	"198.51.100.0/24", "documentation",
	"203.0.113.0/24", "documentation",
	"224.0.0.0/4", "multicast",
	"240.0.0.0/4", "reserved",
)

var v6Rules = rules(
	"fd00:ec2::254/128", reasonMetadata, // AWS instance metadata over IPv6
	"::/128", "unspecified",
	"::1/128", "loopback",
	"64:ff9b:1::/48", "local-use NAT64",
	"100::/64", "discard-only",
	"2001:2::/48", "benchmarking",
	"2001:db8::/32", "documentation",
	"3fff::/20", "documentation",
	"fc00::/7", reasonPrivate+" (unique local)",
	"fe80::/10", "link-local",
	"fec0::/10", "site-local",
	"ff00::/8", "multicast",
)

var (
	translated    = netip.MustParsePrefix("::ffff:0:0:0/96")
	compatible    = netip.MustParsePrefix("::/96")
	nat64         = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour     = netip.MustParsePrefix("2002::/16")
	teredo        = netip.MustParsePrefix("2001::/32")
	globalUnicast = netip.MustParsePrefix("2000::/3")
)

// blockReason returns why ip must not be dialled, or "" when it may be. An
// IPv4-mapped address is judged as the IPv4 address it is.
func blockReason(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() {
		return "invalid address"
	}
	if ip.Is4() {
		for _, r := range v4Rules {
			if r.prefix.Contains(ip) {
				return r.reason
			}
		}
		return ""
	}
	for _, r := range v6Rules {
		if r.prefix.Contains(ip) {
			return r.reason
		}
	}
	b := ip.As16()
	switch {
	case translated.Contains(ip):
		return embedded("IPv4-translated", v4(b[12:]))
	case compatible.Contains(ip):
		return embedded("IPv4-compatible", v4(b[12:]))
	case nat64.Contains(ip):
		return embedded("NAT64", v4(b[12:]))
	case sixToFour.Contains(ip):
		return embedded("6to4", v4(b[2:6]))
	case teredo.Contains(ip):
		if r := embedded("Teredo server", v4(b[4:8])); r != "" {
			return r
		}
		client := [4]byte{^b[12], ^b[13], ^b[14], ^b[15]}
		return embedded("Teredo client", netip.AddrFrom4(client))
	case !globalUnicast.Contains(ip):
		return "outside global unicast"
	}
	return ""
}

func v4(b []byte) netip.Addr { return netip.AddrFrom4([4]byte(b)) }

// embedded judges the IPv4 address carried by an IPv6 form.
func embedded(form string, ip netip.Addr) string {
	r := blockReason(ip)
	if r == "" {
		return ""
	}
	return form + " form of " + ip.String() + " (" + r + ")"
}
