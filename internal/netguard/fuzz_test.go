package netguard_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/outhook/outhook/internal/netguard"
)

// hashResolver answers every name with addresses derived from its hash, a
// mix of blocked and public ones.
type hashResolver struct{}

func (hashResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	sum := sha256.Sum256([]byte(host))
	return []netip.Addr{netip.AddrFrom4([4]byte(sum[:4])), netip.AddrFrom16([16]byte(sum[4:20]))}, nil
}

// Whatever the host, only addresses that pass the rules reach the dialer,
// and a refusal is a BlockedError or a plain failure, never a panic.
func FuzzDialContext(f *testing.F) {
	for _, seed := range []string{
		"127.0.0.1", "2130706433", "0x7f.1", "017700000001", "127.1", "[::ffff:127.0.0.1]",
		"[2002:7f00:1::]", "[64:ff9b::7f00:1]", "[2001:0:4136:e378:8000:63bf:80ff:fffe]",
		"[fe80::1%eth0]", "example.com", "0x", "1.2.3.4.5", "", "[", "08.1", "LOCALHOST.",
	} {
		f.Add(seed)
	}
	check, err := netguard.New(netguard.Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, host string) {
		var dialed []string
		g, err := netguard.New(netguard.Config{
			Resolver: hashResolver{},
			Dial: func(_ context.Context, _, address string) (net.Conn, error) {
				dialed = append(dialed, address)
				return nil, errors.New("not connecting")
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = g.DialContext(context.Background(), "tcp", host+":80")
		var be *netguard.BlockedError
		if errors.As(err, &be) && len(dialed) > 0 {
			t.Fatalf("blocked %v after dialling %v", be, dialed)
		}
		for _, a := range dialed {
			ap, perr := netip.ParseAddrPort(a)
			if perr != nil {
				t.Fatalf("dialled %q, not an IP literal", a)
			}
			if cerr := check.Check("", ap.Addr()); cerr != nil {
				t.Fatalf("dialled %s for host %q: %v", a, host, cerr)
			}
		}
	})
}
