package console_test

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/console"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// TestOAuthInTheForm saves a webhook authenticating with OAuth client
// credentials: the client secret never shows, the form sent back keeps it
// (the token endpoint keeps being asked with it), and choosing headers
// instead removes OAuth.
func TestOAuthInTheForm(t *testing.T) {
	const secret = "cl1ent-s3cret-value"
	var asked atomic.Int32
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		_ = r.ParseForm()
		if (user != "console-client" || pass != secret) && r.PostForm.Get("client_secret") != secret {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		asked.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"tok-1","token_type":"Bearer","expires_in":3600}`))
	}))
	defer tokens.Close()
	receiver := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Body: `{}`}))
	defer receiver.Close()
	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
	)
	require.NoError(t, err)
	defer d.Close(context.Background())
	h, err := console.New(d, func(*http.Request) (string, string, error) { return "acme", "admin", nil })
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	b := newBrowserless(t, srv.URL)
	post, get := b.post, b.get
	form := url.Values{
		"kind": {"request"}, "name": {"oauth-hook"}, "active": {"on"}, "method": {"POST"},
		"url": {receiver.URL + "/hook"}, "triggers": {"RequestCreated"}, "mock_trigger": {"RequestCreated"},
		"auth": {"oauth"}, "oauth_client_id": {"console-client"}, "oauth_client_secret": {secret},
		"oauth_token_endpoint_url": {tokens.URL + "/token"}, "oauth_scopes": {"webhooks.write\nwebhooks.read"},
	}
	status, body := post("/webhooks/new", form)
	require.Equal(t, http.StatusSeeOther, status, body)
	list, err := d.Tenant("acme").List(context.Background(), defstoreList())
	require.NoError(t, err)
	w := list.Webhooks[0]
	require.NotNil(t, w.Authentication)
	require.Equal(t, []string{"webhooks.write", "webhooks.read"}, w.Authentication.OAuth.Scopes)

	edit := get("/webhooks/" + w.ID)
	require.NotContains(t, edit, secret)
	require.Contains(t, edit, `id="auth-oauth" name="auth" value="oauth" checked`)

	// Sent back as shown (the secret masked), the stored secret is used.
	again := formOfPage(t, edit)
	status, body = post("/test", again)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Test successful", body)
	require.NotContains(t, body, secret)
	require.NotContains(t, body, "tok-1", "the token is redacted")
	require.Equal(t, int32(1), asked.Load())
	status, _ = post("/webhooks/"+w.ID, again)
	require.Equal(t, http.StatusSeeOther, status)

	// Headers instead: OAuth is removed.
	again = formOfPage(t, get("/webhooks/"+w.ID))
	again.Set("auth", "headers")
	status, _ = post("/webhooks/"+w.ID, again)
	require.Equal(t, http.StatusSeeOther, status)
	got, err := d.Tenant("acme").Get(context.Background(), w.ID)
	require.NoError(t, err)
	require.True(t, got.Authentication == nil || got.Authentication.OAuth == nil, "OAuth was removed")
}

// TestTLSInTheForm trusts a self-hosted target's own CA through the form:
// the certificate shows masked, is kept when sent back as shown, and an
// emptied field removes it.
func TestTLSInTheForm(t *testing.T) {
	target := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{}`))
	}))
	defer target.Close()
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: target.Certificate().Raw}))
	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowCustomPorts: true}),
	)
	require.NoError(t, err)
	defer d.Close(context.Background())
	h, err := console.New(d, func(*http.Request) (string, string, error) { return "acme", "admin", nil })
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	b := newBrowserless(t, srv.URL)
	post := b.post
	edit := func(id string) string { return b.get("/webhooks/" + id) }
	form := url.Values{
		"kind": {"request"}, "name": {"self-hosted"}, "active": {"on"}, "method": {"POST"},
		"url": {target.URL + "/hook"}, "triggers": {"RequestCreated"}, "mock_trigger": {"RequestCreated"},
		"tls_ca_certificates": {ca}, "tls_min_version": {"1.2"},
	}
	status, body := post("/webhooks/new", form)
	require.Equal(t, http.StatusSeeOther, status, body)
	list, err := d.Tenant("acme").List(context.Background(), defstoreList())
	require.NoError(t, err)
	id := list.Webhooks[0].ID

	page := edit(id)
	require.NotContains(t, page, strings.TrimSpace(strings.Split(ca, "\n")[1]), "the certificate shows masked")
	again := formOfPage(t, page)
	_, body = post("/test", again)
	require.Contains(t, body, "Test successful", "the stored CA was kept")

	again.Set("tls_ca_certificates", "")
	again.Set("tls_min_version", "")
	status, _ = post("/webhooks/"+id, again)
	require.Equal(t, http.StatusSeeOther, status)
	_, body = post("/test", formOfPage(t, edit(id)))
	require.Contains(t, body, "Test failed", "without the CA the target is not trusted")
}
