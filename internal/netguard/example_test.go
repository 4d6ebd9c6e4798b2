package netguard_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"github.com/outhook/outhook/internal/netguard"
)

// A client that cannot be pointed at the host's own network, except at the
// self-hosted receivers of 10.20.0.0/16.
func Example() {
	g, err := netguard.New(netguard.Config{
		AllowNets: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	client := &http.Client{
		Transport:     g.Transport(&http.Transport{ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 64}),
		CheckRedirect: netguard.CheckRedirect(0, nil),
		Timeout:       10 * time.Second,
	}
	_, err = client.Get("http://169.254.169.254/latest/meta-data/")
	fmt.Println(errors.Is(err, netguard.ErrBlocked))
	fmt.Println(g.Check("", netip.MustParseAddr("10.20.1.2")))
	fmt.Println(g.Check("hooks.example", netip.MustParseAddr("::ffff:10.21.0.1")))
	fmt.Println(g.Check("", netip.MustParseAddr("2002:a14:101::1")))
	// Output:
	// true
	// <nil>
	// netguard: hooks.example (10.21.0.1) is blocked: private
	// netguard: 2002:a14:101::1 is blocked: 6to4 form of 10.20.1.1 (private)
}
