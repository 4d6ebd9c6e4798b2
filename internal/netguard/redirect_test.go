package netguard_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/netguard"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
)

func loopbackClient(t *testing.T, maxHops int, base *http.Transport) *http.Client {
	t.Helper()
	g, err := netguard.New(netguard.Config{AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	require.NoError(t, err)
	tr := g.Transport(base)
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, CheckRedirect: netguard.CheckRedirect(maxHops, nil)}
}

func TestCheckRedirectHops(t *testing.T) {
	leakcheck.Check(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/hop1", http.StatusFound) })
	mux.HandleFunc("/hop1", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/hop2", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/hop2", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	mux.HandleFunc("/private", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.0.0.1/admin", http.StatusFound)
	})
	mux.HandleFunc("/ftp", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ftp://example.com/file", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		name     string
		maxHops  int
		path     string
		status   int
		location string
		blocked  bool
	}{
		{"refused by default", 0, "/start", http.StatusFound, "/hop1", false},
		{"negative means none", -1, "/start", http.StatusFound, "/hop1", false},
		{"one hop of two", 1, "/start", http.StatusTemporaryRedirect, "/hop2", false},
		{"two hops", 2, "/start", http.StatusAccepted, "", false},
		{"many allowed", 10, "/start", http.StatusAccepted, "", false},
		{"hop to a private address", 5, "/private", 0, "", true},
		{"hop to another scheme", 5, "/ftp", http.StatusFound, "ftp://example.com/file", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := loopbackClient(t, tt.maxHops, nil).Post(srv.URL+tt.path, "application/json", strings.NewReader("{}"))
			if tt.blocked {
				require.ErrorIs(t, err, netguard.ErrBlocked)
				return
			}
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, tt.status, resp.StatusCode)
			require.Equal(t, tt.location, resp.Header.Get("Location"))
		})
	}
}

func TestCheckRedirectHeaders(t *testing.T) {
	leakcheck.Check(t)
	got := make(chan http.Header, 1)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
	}))
	defer other.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/same", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/final", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/final", func(w http.ResponseWriter, r *http.Request) { got <- r.Header.Clone() })
	mux.HandleFunc("/other", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/final", http.StatusTemporaryRedirect)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	send := func(path string) http.Header {
		req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader("{}"))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Torq-Token", "s3cr3t-token")
		req.Header.Set("Authorization", "Bearer s3cr3t")
		req.Header.Set("Webhook-Id", "msg_1")
		req.Header.Set("Webhook-Timestamp", "1773134100")
		req.Header.Set("Webhook-Signature", "v1,c2lnbmF0dXJl")
		resp, err := loopbackClient(t, 3, nil).Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		return <-got
	}

	h := send("/same")
	require.Equal(t, "s3cr3t-token", h.Get("X-Torq-Token"), "a hop on the same host keeps headers")
	require.Equal(t, "Bearer s3cr3t", h.Get("Authorization"))
	require.Equal(t, "v1,c2lnbmF0dXJl", h.Get("Webhook-Signature"), "a hop on the same host keeps the signature")

	h = send("/other")
	require.Empty(t, h.Get("X-Torq-Token"), "a hop to another host drops credentials")
	require.Empty(t, h.Get("Authorization"))
	for _, name := range []string{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"} {
		require.Empty(t, h.Values(name), "a hop to another host drops the signature headers: %s", name)
	}
	require.Equal(t, "application/json", h.Get("Content-Type"))
}

func TestCheckRedirectNoDowngrade(t *testing.T) {
	leakcheck.Check(t)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer plain.Close()
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL, http.StatusFound)
	}))
	defer secure.Close()

	c := loopbackClient(t, 5, secure.Client().Transport.(*http.Transport))
	resp, err := c.Get(secure.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
}

// TestCheckRedirectAppliesTheURLPolicy: a hop the caller's check refuses
// is not taken, whatever hops are left; one it accepts is.
func TestCheckRedirectAppliesTheURLPolicy(t *testing.T) {
	leakcheck.Check(t)
	var reached atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached.Add(1) }))
	defer other.Close()
	start := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/next", http.StatusFound)
	}))
	defer start.Close()
	onlyStart := func(u *url.URL) error {
		if u.Host != start.Listener.Addr().String() {
			return errors.New("port not allowed")
		}
		return nil
	}
	g, err := netguard.New(netguard.Config{AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	require.NoError(t, err)
	tr := g.Transport(nil)
	defer tr.CloseIdleConnections()

	for _, tc := range []struct {
		check  func(*url.URL) error
		status int
	}{{onlyStart, http.StatusFound}, {nil, http.StatusOK}} {
		c := &http.Client{Transport: tr, CheckRedirect: netguard.CheckRedirect(5, tc.check)}
		resp, err := c.Get(start.URL)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, tc.status, resp.StatusCode)
	}
	require.Equal(t, int32(1), reached.Load(), "reached only when the check lets the hop through")
}
