package netguard_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/netguard"
)

// TestMappedAddressesAreIPv4 resolves names to IPv4-mapped addresses, as
// Go's resolver may answer: the rules, AllowNets, the error and the dialler
// all see the IPv4 address.
func TestMappedAddressesAreIPv4(t *testing.T) {
	res := fakeResolver{
		"metadata.test": {"::ffff:169.254.169.254"},
		"self.test":     {"::ffff:127.0.0.1"},
	}
	for _, tt := range []struct {
		addr, ip, msg string
	}{
		{"metadata.test:80", "169.254.169.254", "netguard: metadata.test (169.254.169.254) is blocked: cloud metadata"},
		{"[::ffff:10.0.0.1]:80", "10.0.0.1", "netguard: 10.0.0.1 is blocked: private"},
	} {
		rec := &recorder{}
		g, err := netguard.New(netguard.Config{Resolver: res, Dial: rec.dial})
		require.NoError(t, err)
		_, err = g.DialContext(context.Background(), "tcp", tt.addr)
		var be *netguard.BlockedError
		require.ErrorAs(t, err, &be)
		require.Equal(t, netip.MustParseAddr(tt.ip), be.IP)
		require.True(t, be.IP.Is4())
		require.EqualError(t, err, tt.msg)
		require.Empty(t, rec.dials)
	}

	var be *netguard.BlockedError
	require.ErrorAs(t, (&netguard.Guard{}).Check("hooks.test", netip.MustParseAddr("::ffff:192.168.0.9")), &be)
	require.Equal(t, "192.168.0.9", be.IP.String())
	require.ErrorAs(t, (&netguard.Guard{}).Control("tcp6", "[::ffff:127.0.0.1]:443", nil), &be)
	require.Equal(t, "127.0.0.1", be.IP.String())

	rec := &recorder{}
	g, err := netguard.New(netguard.Config{Resolver: res, Dial: rec.dial, AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	require.NoError(t, err)
	conn, err := g.DialContext(context.Background(), "tcp", "self.test:8080")
	require.NoError(t, err)
	conn.Close()
	require.Equal(t, []string{"127.0.0.1:8080"}, rec.dials, "the IPv4 address is dialled")
}
