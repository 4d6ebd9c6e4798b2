package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/webhook"
)

const oauthSecret = "cl13nt-s3cr3t-Zq9"

// tokenEndpoint is a local OAuth 2.0 token endpoint of the client
// credentials grant: it checks the client's credentials and issues
// tokens tok-1, tok-2, … (a new one each time: rotation), each valid for
// expiresIn seconds. answer, when set, replaces its answer.
type tokenEndpoint struct {
	*httptest.Server
	expiresIn int
	fetches   atomic.Int64
	answer    func(n int64, w http.ResponseWriter, r *http.Request) bool // true: answered
	gate      chan struct{}                                              // when set, each answer waits for it
}

func newTokenEndpoint(t *testing.T, expiresIn int) *tokenEndpoint {
	te := &tokenEndpoint{expiresIn: expiresIn}
	te.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := te.fetches.Add(1)
		_ = r.ParseForm() // read the body, so that the server sees the client go
		if te.gate != nil {
			select {
			case <-te.gate:
			case <-r.Context().Done():
				return
			}
		}
		if te.answer != nil && te.answer(n, w, r) {
			return
		}
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		if r.FormValue("grant_type") != "client_credentials" || id != "outhook" || secret != oauthSecret {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"bearer","expires_in":%d,"scope":%q}`, n, te.expiresIn, r.FormValue("scope"))
	}))
	t.Cleanup(te.Close)
	return te
}

func oauthHook(url, tokenURL string) webhook.Webhook {
	return webhook.Webhook{
		Name: "oauth-target", Active: true, URL: url,
		BodyTemplate: `{"request":"{{data.id}}"}`,
		Triggers:     accessrequest.Triggers(),
		Authentication: &webhook.Authentication{OAuth: &webhook.OAuth{
			ClientID: "outhook", ClientSecret: oauthSecret, TokenEndpointURL: tokenURL, Scopes: []string{"webhooks.write", "audit"},
		}},
	}
}

// publishN publishes n Created events and waits for their final records.
func publishN(t *testing.T, d *webhook.Dispatcher, invs chan webhook.Invocation, n int) []webhook.Invocation {
	t.Helper()
	for range n {
		_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	return waitFinal(t, invs, n)
}

func TestOAuthTokenIsCachedAndSentAsBearer(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	rc := newReceiver(t, nil)
	d, invs := newDispatcher(t)
	_, err := d.Add(oauthHook(rc.URL, te.URL+"/oauth2/token"))
	require.NoError(t, err)

	for range 5 { // one after the other: no fetch under way to share
		inv := publishN(t, d, invs, 1)[0]
		require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
		require.Equal(t, []string{"REDACTED"}, inv.Request.Header["Authorization"])
	}
	require.EqualValues(t, 1, te.fetches.Load(), "one token for five deliveries")
	for _, got := range rc.got() {
		require.Equal(t, "Bearer tok-1", got.header.Get("Authorization"))
	}
}

func TestOAuthTokenAboutToExpireIsFetchedAgain(t *testing.T) {
	te := newTokenEndpoint(t, 5) // within TokenEarlyExpiry: stale at once
	rc := newReceiver(t, nil)
	d, invs := newDispatcher(t)
	_, err := d.Add(oauthHook(rc.URL, te.URL))
	require.NoError(t, err)
	for range 3 {
		inv := publishN(t, d, invs, 1)[0]
		require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	}
	require.EqualValues(t, 3, te.fetches.Load())
	var sent []string
	for _, got := range rc.got() {
		sent = append(sent, got.header.Get("Authorization"))
	}
	require.Equal(t, []string{"Bearer tok-1", "Bearer tok-2", "Bearer tok-3"}, sent, "each rotated token is used")
}

func TestOAuthConcurrentDeliveriesShareOneFetch(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	te.gate = make(chan struct{})
	rc := newReceiver(t, nil)
	d, invs := newDispatcher(t, webhook.WithWorkers(8))
	w := oauthHook(rc.URL, te.URL)
	w.Delivery = &webhook.DeliverySettings{Concurrency: 8}
	_, err := d.Add(w)
	require.NoError(t, err)
	for range 8 {
		_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return te.fetches.Load() == 1 }, 5*time.Second, time.Millisecond)
	close(te.gate)
	for _, inv := range waitFinal(t, invs, 8) {
		require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	}
	require.EqualValues(t, 1, te.fetches.Load(), "eight deliveries, one token request")
}

func TestOAuth401FetchesAnotherTokenAndSendsAgainOnce(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer tok-1" { // revoked early
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	d, invs := newDispatcher(t)
	_, err := d.Add(oauthHook(rc.URL, te.URL))
	require.NoError(t, err)

	inv := publishN(t, d, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.Equal(t, 1, inv.Attempt, "the second sending is within the attempt")
	require.True(t, inv.TokenRefetched)
	require.Equal(t, 200, inv.Response.StatusCode)
	require.EqualValues(t, 2, te.fetches.Load())

	inv = publishN(t, d, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.False(t, inv.TokenRefetched, "the new token is cached")
	require.EqualValues(t, 2, te.fetches.Load())
}

func TestOAuth401TwiceIsAFailedAttempt(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	d, invs := newDispatcher(t, webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}))
	_, err := d.Add(oauthHook(rc.URL, te.URL))
	require.NoError(t, err)
	inv := publishN(t, d, invs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Equal(t, "status 401 Unauthorized", inv.Reason)
	require.True(t, inv.TokenRefetched)
	require.Len(t, rc.got(), 2, "sent again once, not more")
	require.EqualValues(t, 2, te.fetches.Load())
}

func TestOAuthTokenEndpointFailures(t *testing.T) {
	cases := []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
		reason string
	}{
		{"invalid client", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"bad secret"}`))
		}, "oauth: token endpoint answered 400 Bad Request: invalid_client (bad secret)"},
		{"server error echoing the secret", func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			http.Error(w, "boom for "+r.Header.Get("Authorization")+" "+r.PostForm.Get("client_secret"), http.StatusInternalServerError)
		}, "oauth: token endpoint answered 500 Internal Server Error: boom for"},
		{"invalid JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":`))
		}, "oauth: fetching a token: oauth2: cannot parse json"},
		{"no access token", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"token_type":"bearer"}`))
		}, "oauth: fetching a token: oauth2: server response missing access_token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			te := newTokenEndpoint(t, 3600)
			te.answer = func(n int64, w http.ResponseWriter, r *http.Request) bool {
				if n == 1 || n == 2 { // auto-detection tries the secret in a header, then in the body
					tc.answer(w, r)
					return true
				}
				return false
			}
			rc := newReceiver(t, nil)
			var logs bytes.Buffer
			var mu sync.Mutex
			d, invs := newDispatcher(t, webhook.WithLogger(slog.New(slog.NewJSONHandler(&syncWriter{w: &logs, mu: &mu}, nil))))
			_, err := d.Add(oauthHook(rc.URL, te.URL))
			require.NoError(t, err)
			_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
			require.NoError(t, err)
			var records []webhook.Invocation
			for inv := range invs {
				records = append(records, inv)
				if inv.Outcome.Final() {
					break
				}
			}
			first, last := records[0], records[len(records)-1]
			require.Equal(t, webhook.Retrying, first.Outcome, "a failed token fetch is retried as a failed attempt")
			require.True(t, strings.HasPrefix(first.Reason, tc.reason), "reason %q", first.Reason)
			require.Nil(t, first.Response, "nothing was sent to the target")
			require.Equal(t, webhook.Delivered, last.Outcome, last.Reason)
			require.Len(t, rc.got(), 1)
			all, _ := json.Marshal(records)
			require.NotContains(t, string(all), oauthSecret)
			mu.Lock()
			defer mu.Unlock()
			require.NotContains(t, logs.String(), oauthSecret)
		})
	}
}

func TestOAuthSlowTokenEndpointIsBoundedByTheTimeout(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	te.gate = make(chan struct{}) // never opened: the endpoint answers after the timeout
	rc := newReceiver(t, nil)
	d, invs := newDispatcher(t, webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}))
	w := oauthHook(rc.URL, te.URL)
	w.TimeoutInSec = 1
	_, err := d.Add(w)
	require.NoError(t, err)
	start := time.Now()
	inv := publishN(t, d, invs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Equal(t, "oauth: no token from the token endpoint within the 1s timeout", inv.Reason)
	require.Less(t, time.Since(start), 3*time.Second)
	require.Empty(t, rc.got())
}

func TestOAuthTokenEndpointIsCheckedByTheSSRFGuard(t *testing.T) {
	rc := newReceiver(t, nil)
	d, invs := newDispatcher(t) // loopback allowed, the rest guarded
	_, err := d.Add(oauthHook(rc.URL, "http://169.254.169.254/token"))
	require.NoError(t, err)
	inv := publishN(t, d, invs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome, "blocked: not retried")
	require.Equal(t, 1, inv.Attempt)
	require.Contains(t, inv.Reason, "oauth: token endpoint blocked by the SSRF guard")
	require.Empty(t, rc.got())

	// The URL policy applies to the token endpoint's URL as to the URL.
	strict, err := webhook.New()
	require.NoError(t, err)
	defer strict.Close(context.Background())
	_, err = strict.Add(oauthHook("https://hooks.example.com/in", "http://auth.example.com/token"))
	var de *webhook.DefinitionError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "authentication_config.oauth.token_endpoint_url", de.Field)
	require.ErrorIs(t, err, webhook.ErrInsecureURL)
}

func TestOAuthDefinitionErrors(t *testing.T) {
	d, _ := newDispatcher(t)
	w := oauthHook("https://hooks.example.com/in", "")
	w.Authentication.OAuth.ClientSecret = ""
	w.Authentication.OAuth.Scopes = []string{"a b"}
	w.Headers = map[string]string{"authorization": "Bearer fixed"}
	_, err := d.Add(w)
	var errs webhook.DefinitionErrors
	require.ErrorAs(t, err, &errs)
	var fields []string
	for _, e := range errs {
		require.ErrorIs(t, e, webhook.ErrInvalidAuthentication)
		fields = append(fields, e.Field)
	}
	require.ElementsMatch(t, []string{"authentication_config.oauth.client_secret", "authentication_config.oauth.token_endpoint_url",
		"authentication_config.oauth.scopes[0]", "headers.authorization"}, fields)
}

func TestOAuthUpdateDropsTheCachedToken(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	rc := newReceiver(t, nil)
	d, invs := newDispatcher(t)
	w, err := d.Add(oauthHook(rc.URL, te.URL))
	require.NoError(t, err)
	publishN(t, d, invs, 1)
	publishN(t, d, invs, 1)
	require.EqualValues(t, 1, te.fetches.Load())
	w.Authentication.OAuth.Scopes = []string{"other"}
	_, err = d.Update(w)
	require.NoError(t, err)
	inv := publishN(t, d, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.EqualValues(t, 2, te.fetches.Load())
	require.Equal(t, "Bearer tok-2", rc.got()[2].header.Get("Authorization"))
}

// TestOAuthSecretsNeverShow greps every output for the client secret and
// the access token: records (a receiver echoing everything), logs, the
// printed definition, errors, and a Tenant's view.
func TestOAuthSecretsNeverShow(t *testing.T) {
	const token = "at-9f8e7d6c5b4a"
	var mu sync.Mutex
	te := newTokenEndpoint(t, 3600)
	te.answer = func(n int64, w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, token)
		return true
	}
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) { echo(w, r) })
	var logs bytes.Buffer
	spans := tracetest.NewInMemoryExporter()
	d, invs := newDispatcher(t, webhook.WithLogger(slog.New(slog.NewJSONHandler(&syncWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		webhook.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))))
	tn := d.Tenant("acme")
	hook := oauthHook(rc.URL, te.URL+"/token?audience=aud-Q7x")
	hook.ResponseValidators = []webhook.ResponseValidator{{Header: "Echo-Authorization", ExpectedValues: []string{"nope"}}}
	added, err := tn.Create(context.Background(), hook, "alice")
	require.NoError(t, err)
	_, err = tn.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, "Bearer "+token, rc.got()[0].header.Get("Authorization"))

	shown, err := tn.Get(context.Background(), added.ID)
	require.NoError(t, err)
	require.Equal(t, "REDACTED", shown.Authentication.OAuth.ClientSecret)
	list, err := tn.List(context.Background(), defstore.ListOptions{})
	require.NoError(t, err)
	record, _ := json.Marshal(inv)
	shownJSON, _ := json.Marshal(shown)
	listJSON, _ := json.Marshal(list)
	require.NotEmpty(t, spans.GetSpans())
	mu.Lock()
	defer mu.Unlock()
	for what, out := range map[string]string{
		"spans": spanText(spans), "record": string(record), "logs": logs.String(), "shown": string(shownJSON), "list": string(listJSON),
		"%v": fmt.Sprintf("%v", added), "%+v": fmt.Sprintf("%+v", added), "%#v": fmt.Sprintf("%#v", added),
	} {
		require.NotContains(t, out, oauthSecret, what)
		require.NotContains(t, out, token, what)
		require.NotContains(t, out, "aud-Q7x", what)
	}
	require.Contains(t, string(record), "Echo-Authorization", "the echo was recorded, redacted")
}

type syncWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// A Tenant's view shows the client secret masked; sent back masked, the
// stored secret is kept for the same token endpoint and URL only.
func TestOAuthMaskedSecretIsKeptForTheSameEndpointOnly(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	rc := newReceiver(t, nil)
	d, invs := newDispatcher(t)
	tn := d.Tenant("acme")
	added, err := tn.Create(context.Background(), oauthHook(rc.URL, te.URL), "alice")
	require.NoError(t, err)
	shown, err := tn.Get(context.Background(), added.ID)
	require.NoError(t, err)

	shown.Name = "renamed"
	updated, err := tn.Update(context.Background(), shown, "alice")
	require.NoError(t, err)
	_, err = tn.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)

	moved := updated
	moved.Authentication.OAuth.TokenEndpointURL = "https://attacker.example/token"
	_, err = tn.Update(context.Background(), moved, "alice")
	var de *webhook.DefinitionError
	require.ErrorAs(t, err, &de)
	require.ErrorIs(t, err, webhook.ErrSecretRequired)
	require.Equal(t, "authentication_config.oauth.client_secret", de.Field)

	shown, err = tn.Get(context.Background(), added.ID)
	require.NoError(t, err)
	shown.URL = "https://attacker.example/hook"
	_, err = tn.Update(context.Background(), shown, "alice")
	require.ErrorIs(t, err, webhook.ErrSecretRequired, "the token it buys would go to another URL")
	require.True(t, errors.As(err, &de))
}

// The client secret is sealed in the definition store: the shown part
// holds it masked, the sealed part not in clear, and a Dispatcher with the
// keyring opens it to fetch tokens.
func TestOAuthClientSecretIsSealedAtRest(t *testing.T) {
	ring, _ := rotation(t)
	store := defstore.NewMemory()
	te := newTokenEndpoint(t, 3600)
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t, webhook.WithDefinitionStore(store), webhook.WithKeyring(ring))
	ctx := context.Background()
	created, err := d.Tenant("acme").Create(ctx, oauthHook(rc.URL, te.URL), "alice")
	require.NoError(t, err)
	rec, err := store.Get(ctx, "acme", created.ID)
	require.NoError(t, err)
	require.False(t, bytes.Contains(rec.Definition, []byte(oauthSecret)))
	require.True(t, bytes.Contains(rec.Definition, []byte(`"client_secret":"REDACTED"`)), string(rec.Definition))
	require.False(t, bytes.Contains(rec.Secrets, []byte(oauthSecret)))

	other, invs := newDispatcher(t, webhook.WithDefinitionStore(store), webhook.WithKeyring(ring))
	_, err = other.Tenant("acme").Publish(ctx, mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.EqualValues(t, 1, te.fetches.Load())
}

func TestOAuthDefinitionJSONRoundTrip(t *testing.T) {
	const file = `[{"name": "siem", "url": "https://siem.example.com/in", "triggers": ["RequestCreated"],
  "authentication_config": {"oauth": {"client_id": "outhook", "client_secret": "` + oauthSecret + `",
    "token_endpoint_url": "https://auth.example.com/oauth2/token", "scopes": ["a", "b"]}}}]`
	hooks, err := webhook.DecodeWebhooks(strings.NewReader(file))
	require.NoError(t, err)
	require.Equal(t, &webhook.OAuth{ClientID: "outhook", ClientSecret: oauthSecret,
		TokenEndpointURL: "https://auth.example.com/oauth2/token", Scopes: []string{"a", "b"}}, hooks[0].Authentication.OAuth)
	var buf bytes.Buffer
	require.NoError(t, webhook.EncodeWebhooks(&buf, hooks))
	require.Contains(t, buf.String(), oauthSecret, "the stored form is whole")
	again, err := webhook.DecodeWebhooks(&buf)
	require.NoError(t, err)
	require.Equal(t, hooks, again)

	_, err = webhook.DecodeWebhooks(strings.NewReader(strings.Replace(file, `"token_endpoint_url"`, `"tokenEndpointUrl"`, 1)))
	var de *webhook.DefinitionError
	require.ErrorAs(t, err, &de)
	require.Equal(t, 3, de.Line)
}
