package webhook_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// TestCrossHostRedirectDropsSignature follows a signed delivery's redirect
// from 127.0.0.1 to 127.0.0.2: the other host must get neither the
// credentials nor the signature headers, which it could replay at the
// first host.
func TestCrossHostRedirectDropsSignature(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no second loopback address on this machine: %v", err)
	}
	got := make(chan http.Header, 1)
	other := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
	}))
	other.Listener.Close()
	other.Listener = ln
	other.Start()
	defer other.Close()
	redirector := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/landed", http.StatusTemporaryRedirect)
	})

	d, invs := newDispatcher(t, webhook.WithAllowedTargets("127.0.0.1", "127.0.0.2"))
	w := torqLike(redirector.URL)
	w.Headers["X-Api-Key"] = "k3y-for-the-first-host"
	w.SigningSecrets = []string{webhook.NewSigningSecret()}
	w.Delivery = &webhook.DeliverySettings{MaxRedirects: 1}
	_, err = d.Add(w)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, webhook.RequestCreated))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)

	sent := redirector.got()[0].header
	require.NotEmpty(t, sent.Get("Webhook-Signature"), "the first host gets the signature")
	h := <-got
	for _, name := range []string{"Authorization", "X-Api-Key", "Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"} {
		require.Empty(t, h.Values(name), "%s followed the redirect to another host", name)
	}
	require.Equal(t, "application/json", h.Get("Content-Type"))
}
