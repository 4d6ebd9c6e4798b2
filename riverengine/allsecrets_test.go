package riverengine_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// No secret of a definition is anywhere in the database once its
// deliveries have failed, retried and become dead letters, in clear or
// hex-encoded: not the URL's password or a query parameter, header values,
// body secrets, signing secrets, the OAuth client secret or its access
// token, though the receiver echoed the request it got (URL, headers and
// body) in every response, which the records keep.
func TestNoSecretOfADefinitionIsInTheDatabase(t *testing.T) {
	const (
		urlPass      = "URLPASS7f3a9c2e"
		querySecret  = "QUERYSEC4b8d1e6f"
		headerSecret = "HEADERSEC9e2c7a1b"
		apiKey       = "XAPIKEY3d5f8b2c"
		bodySecret   = "BODYSEC6a1e4c9d"
		clientSecret = "CLIENTSEC2b7f5e3a"
		accessToken  = "ACCESSTOK8c4a2d6e"
	)
	signing := "whsec_" + base64.StdEncoding.EncodeToString([]byte("SIGNINGKEY5e9b3c7f0123456789abcdef"))
	secrets := []string{urlPass, querySecret, headerSecret, apiKey, bodySecret, clientSecret, accessToken, signing,
		strings.TrimPrefix(signing, "whsec_"), "SIGNINGKEY5e9b3c7f0123456789abcdef"}
	run := func(t *testing.T, eng *riverengine.Engine, defs defstore.Store, dump func() string) {
		echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			w.WriteHeader(500)
			fmt.Fprintf(w, "url=%s auth=%q headers=%v body=%s", r.URL.String(), r.Header.Get("Authorization"), r.Header, body)
		}))
		t.Cleanup(echo.Close)
		tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer","expires_in":3600}`, accessToken)
		}))
		t.Cleanup(tokens.Close)
		d, err := webhook.New(dispatcherOptions(eng, webhook.WithDefinitionStore(defs), webhook.WithKeyring(testKeyring(t)),
			webhook.WithRetryPolicy(webhooktest.FastRetries))...)
		require.NoError(t, err)
		closeDispatcher(t, d)
		acme := d.Tenant("acme")
		u := strings.Replace(echo.URL, "http://", "http://user:"+urlPass+"@", 1) + "/a?api_key=" + querySecret
		_, err = acme.Create(context.Background(), webhook.Webhook{ID: "a", Name: "a", Active: true, URL: u, Triggers: []event.Trigger{testEvent},
			Headers:        map[string]string{"X-Api-Key": apiKey, "X-Other": headerSecret},
			BodyTemplate:   `{"t": "{{secrets.tok}}", "n": {{data.n}}}`,
			Secrets:        map[string]string{"tok": bodySecret},
			SigningSecrets: []string{signing},
		}, "ops")
		require.NoError(t, err)
		_, err = acme.Create(context.Background(), webhook.Webhook{ID: "b", Name: "b", Active: true, URL: echo.URL + "/b", Triggers: []event.Trigger{testEvent},
			Authentication: &webhook.Authentication{OAuth: &webhook.OAuth{ClientID: "cid", ClientSecret: clientSecret, TokenEndpointURL: tokens.URL + "/token"}},
		}, "ops")
		require.NoError(t, err)
		_, err = acme.Publish(context.Background(), newEvent(t, 1))
		require.NoError(t, err)
		eventually(t, 30*time.Second, "both dead letters", func() bool {
			page, err := acme.DeadLetters(context.Background(), webhook.DeadLetterQuery{})
			return err == nil && len(page.DeadLetters) == 2
		})
		rows := dump()
		require.Contains(t, rows, "REDACTED", "the records' requests and responses are in the dump")
		require.Contains(t, rows, "outhook_dead_letter", "so are the dead letters")
		for _, s := range secrets {
			for _, form := range []string{s, hex.EncodeToString([]byte(s))} {
				require.NotContains(t, rows, form, s)
			}
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		db, eng := newSQLiteEngine(t, riverengine.WithPollInterval(20*time.Millisecond))
		run(t, eng, riverengine.NewSQLiteDefinitionStore(db), func() string { return dumpSQLite(t, db) })
	})
	t.Run("postgres", func(t *testing.T) {
		pool, eng := newPostgresEngine(t, needPostgres(t), riverengine.WithPollInterval(20*time.Millisecond))
		run(t, eng, riverengine.NewDefinitionStore(pool), func() string { return dumpPostgres(t, pool) })
	})
}
