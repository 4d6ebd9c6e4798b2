package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/signature"
	"github.com/outhook/outhook/webhook"
)

// ticketOAuthHook is a webhook with a templated URL and header values
// that authenticates with OAuth.
func ticketOAuthHook(url, tokenURL string) webhook.Webhook {
	return webhook.Webhook{
		Name: "tickets", Active: true, Triggers: []event.Trigger{ticketUpdated},
		URL:     url + "/tickets/{{data.ticket.id}}?tenant={{data.tenant}}",
		Headers: map[string]string{"X-Api-Key": "key-{{data.tenant}}"},
		Authentication: &webhook.Authentication{OAuth: &webhook.OAuth{
			ClientID: "outhook", ClientSecret: oauthSecret, TokenEndpointURL: tokenURL,
		}},
	}
}

// TestOAuthWithTemplatedTargetEverywhere sends a token to a templated URL
// whose receiver refuses the first token and echoes what it was sent:
// the resend keeps the rendered URL and headers, and neither the token,
// the client secret nor the rendered key shows in any record, whether
// the call is a delivery, a Test or a gate.
func TestOAuthWithTemplatedTargetEverywhere(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	rr := &rawReceiver{}
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		rr.ServeHTTP(http.ResponseWriter(discard{}), r)
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Echo", r.Header.Get("Authorization")+" "+r.Header.Get("X-Api-Key"))
		_, _ = fmt.Fprintf(w, `{"auth":%q,"key":%q,"secret":%q}`, r.Header.Get("Authorization"), r.Header.Get("X-Api-Key"), oauthSecret)
	})
	d, invs := newTicketDispatcher(t)
	w := ticketOAuthHook(rc.URL, te.URL+"/token")
	w.ResponseValidators = []webhook.ResponseValidator{{JSONPath: "$.auth", ExpectedValues: []string{"nope"}}}
	w.CustomValidationErrorMessage = ""
	added, err := d.Add(w)
	require.NoError(t, err)
	e := ticketEvent(t, "T-42", "acme-x1")

	_, err = d.Publish(context.Background(), e)
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	gate, err := d.Gate(context.Background(), added.ID, e)
	require.NoError(t, err)
	<-invs // the gate's record
	test, err := d.TestEvent(context.Background(), w, e)
	require.NoError(t, err)

	uris, hdrs := rr.got()
	require.Len(t, uris, 4, "one 401 and its resend, the gate, and the Test's own token")
	for i, u := range uris {
		require.Equal(t, "/tickets/T-42?tenant=acme-x1", u)
		require.Equal(t, "key-acme-x1", hdrs[i].Get("X-Api-Key"))
	}
	require.Equal(t, "Bearer tok-2", hdrs[1].Get("Authorization"))
	for _, got := range []webhook.Invocation{inv, gate.Invocation, test} {
		require.True(t, got.TokenRefetched || got.Attempt != 0)
		blob, err := json.Marshal(got)
		require.NoError(t, err)
		s := string(blob) + got.Reason + fmt.Sprint(got.Validation)
		for _, secret := range []string{"tok-1", "tok-2", "tok-3", oauthSecret, "key-acme-x1"} {
			require.NotContains(t, s, secret, "record of %s", got.Outcome)
		}
		require.Equal(t, webhook.ValidationFailed, got.Outcome, got.Reason)
	}
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) WriteHeader(int)             {}

// TestTemplatedURLSurvivesGetAndUpdate sends back a templated URL as
// Get shows it: it stays a template, and the webhook still renders it.
func TestTemplatedURLSurvivesGetAndUpdate(t *testing.T) {
	rr := &rawReceiver{}
	srv := newServer(t, rr)
	d, _ := newTicketDispatcher(t)
	ten := d.Tenant("acme")
	ctx := context.Background()
	created, err := ten.Create(ctx, webhook.Webhook{
		Name: "tickets", Active: true, Triggers: []event.Trigger{ticketUpdated},
		URL:     srv + "/tickets/{{data.ticket.id}}/close",
		Headers: map[string]string{"Authorization": "Bearer s3cr3t"},
	}, "alice")
	require.NoError(t, err)
	created.Name = "renamed"
	updated, err := ten.Update(ctx, created, "alice")
	require.NoError(t, err)
	_, err = ten.Gate(ctx, updated.ID, ticketEvent(t, "T-1", "acme")) // the host's event, as a delivery's
	require.NoError(t, err)
	uris, hdrs := rr.got()
	require.Equal(t, []string{"/tickets/T-1/close"}, uris)
	require.Equal(t, "Bearer s3cr3t", hdrs[0].Get("Authorization"))
	require.Equal(t, srv+"/tickets/{{data.ticket.id}}/close", updated.URL, "shown as written")

	// A templated query value may hide a secret in its text: masked, and
	// kept when sent back so.
	created, err = ten.Create(ctx, webhook.Webhook{
		Name: "keyed", Active: true, Triggers: []event.Trigger{ticketUpdated},
		URL: srv + "/t/{{data.ticket.id}}?key=s3cr3t-{{data.tenant}}",
	}, "alice")
	require.NoError(t, err)
	require.Equal(t, srv+"/t/{{data.ticket.id}}?key=REDACTED", created.URL)
	updated, err = ten.Update(ctx, created, "alice")
	require.NoError(t, err)
	_, err = ten.Gate(ctx, updated.ID, ticketEvent(t, "T-2", "acme")) // the host's event, as a delivery's
	require.NoError(t, err)
	uris, _ = rr.got()
	require.Equal(t, "/t/T-2?key=s3cr3t-acme", uris[1])
}

// TestActionRefusesOAuth registers an action with an OAuth client: an
// action has no host to send a token to, and no token is fetched.
func TestActionRefusesOAuth(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	var got []string
	d, _ := newDispatcher(t, webhook.WithAction("known", func(_ context.Context, r *webhook.ActionRequest) (*webhook.ActionResponse, error) {
		got = append(got, r.Header.Get("Authorization"))
		return nil, nil
	}))
	w := actionGate("x")
	w.Action = "known"
	w.Authentication = &webhook.Authentication{OAuth: &webhook.OAuth{ClientID: "outhook", ClientSecret: oauthSecret, TokenEndpointURL: te.URL + "/token"}}
	_, err := d.Add(w)
	var de *webhook.DefinitionError
	require.ErrorAs(t, err, &de, "sent %v", got)
	require.Equal(t, "authentication_config", de.Field)
	require.ErrorIs(t, err, webhook.ErrInvalidAuthentication)
	_, err = d.TestEvent(context.Background(), w, mock(t, accessrequest.Created))
	require.ErrorAs(t, err, &de)
	require.Zero(t, te.fetches.Load())
	require.Empty(t, got)
}

// TestOAuthRedirectToAnotherHostGetsNoToken follows a templated URL's
// redirect to another host (and port): neither the token nor a rendered
// header goes with it; a redirect on the same host keeps both.
func TestOAuthRedirectToAnotherHostGetsNoToken(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	other := newReceiver(t, nil)
	home := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/tickets/") {
			http.Redirect(w, r, "/moved"+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/elsewhere", http.StatusTemporaryRedirect)
	})
	d, invs := newTicketDispatcher(t)
	w := ticketOAuthHook(home.URL, te.URL+"/token")
	w.Delivery = &webhook.DeliverySettings{MaxRedirects: 3}
	_, err := d.Add(w)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), ticketEvent(t, "T-9", "acme-x9"))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	got := home.got()
	require.Len(t, got, 2)
	require.Equal(t, "/moved/tickets/T-9", got[1].path)
	require.Equal(t, "Bearer tok-1", got[1].header.Get("Authorization"), "same host: kept")
	require.Equal(t, "key-acme-x9", got[1].header.Get("X-Api-Key"))
	far := other.got()
	require.Len(t, far, 1)
	require.Empty(t, far[0].header.Get("Authorization"))
	require.Empty(t, far[0].header.Get("X-Api-Key"))
}

// TestOAuthGatesAndDeliveriesShareOneFetch calls a templated OAuth
// webhook as a gate and as a delivery, many at once, while the token
// endpoint holds its answer: one token request serves them all, and each
// goes to its own rendered URL with its own header.
func TestOAuthGatesAndDeliveriesShareOneFetch(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	te.gate = make(chan struct{})
	rc := newReceiver(t, nil)
	d, invs := newTicketDispatcher(t, webhook.WithWorkers(4))
	w := ticketOAuthHook(rc.URL, te.URL+"/token")
	w.Delivery = &webhook.DeliverySettings{Concurrency: 4}
	added, err := d.Add(w)
	require.NoError(t, err)
	const n = 8
	var wg sync.WaitGroup
	decisions := make([]webhook.Decision, n)
	for i := range n {
		_, err := d.Publish(context.Background(), ticketEvent(t, fmt.Sprint("P-", i), "acme"))
		require.NoError(t, err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			decisions[i], _ = d.Gate(context.Background(), added.ID, ticketEvent(t, fmt.Sprint("G-", i), "acme"))
		}()
	}
	require.Eventually(t, func() bool { return te.fetches.Load() == 1 }, 5*time.Second, time.Millisecond)
	close(te.gate)
	wg.Wait()
	for i, dec := range decisions {
		require.True(t, dec.Passed, dec.Message)
		require.Contains(t, dec.Invocation.Request.URL, fmt.Sprint("/tickets/G-", i))
	}
	final := 0
	for final < n {
		if inv := <-invs; inv.Outcome == webhook.Delivered && strings.Contains(inv.Request.URL, "/tickets/P-") {
			final++
		}
	}
	require.EqualValues(t, 1, te.fetches.Load(), "one token request for all")
	paths := map[string]bool{}
	for _, r := range rc.got() {
		require.Equal(t, "Bearer tok-1", r.header.Get("Authorization"))
		require.Equal(t, "key-acme", r.header.Get("X-Api-Key"))
		paths[r.path] = true
	}
	require.Len(t, paths, 2*n)
}

// TestRebuiltDeliveryRendersItsTargetAgain runs a templated OAuth
// webhook's delivery under an engine that, as a durable one does on
// another instance, rebuilds the delivery from what it stored: the retry
// renders the same URL and headers again from the event, and the
// retries in memory keep the ones of the first attempt.
func TestRebuiltDeliveryRendersItsTargetAgain(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	eng := &scriptedEngine{}
	d, invs := newTicketDispatcher(t, webhook.WithEngine(eng))
	_, err := d.Add(ticketOAuthHook(rc.URL, te.URL+"/token"))
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), ticketEvent(t, "T-7", "acme-7"))
	require.NoError(t, err)
	queued := eng.queued[0]
	require.Equal(t, engine.Retry, eng.runner.Run(context.Background(), queued).Outcome)
	require.Equal(t, engine.Retry, eng.runner.Run(context.Background(), queued).Outcome, "retried in memory")
	rebuilt := *queued
	rebuilt.RunnerState = nil
	require.Equal(t, engine.Done, eng.runner.Run(context.Background(), &rebuilt).Outcome)
	var last webhook.Invocation
	for range 3 {
		last = <-invs
	}
	require.Equal(t, webhook.Delivered, last.Outcome, last.Reason)
	require.Equal(t, 3, last.Attempt)
	got := rc.got()
	require.Len(t, got, 3)
	for _, r := range got {
		require.Equal(t, "/tickets/T-7", r.path)
		require.Equal(t, "key-acme-7", r.header.Get("X-Api-Key"))
		require.Equal(t, "Bearer tok-1", r.header.Get("Authorization"))
		require.Equal(t, got[0].header.Get("Webhook-Id"), r.header.Get("Webhook-Id"))
	}
}

// TestTemplatedHeaderCannotReplaceTheSignature gives a signed webhook
// templated headers named as the attempt's own: the attempt's id,
// timestamp and signature win, as they do over plain headers, so that an
// event cannot choose the id a receiver deduplicates on, and the record
// shows what was sent.
func TestTemplatedHeaderCannotReplaceTheSignature(t *testing.T) {
	rc := newReceiver(t, nil)
	d, invs := newTicketDispatcher(t)
	secret := signature.NewSecret()
	_, err := d.Add(webhook.Webhook{
		Name: "signed", Active: true, Triggers: []event.Trigger{ticketUpdated},
		URL:            rc.URL + "/tickets/{{data.ticket.id}}",
		SigningSecrets: []string{secret},
		Headers: map[string]string{
			"Webhook-Id": "{{data.ticket.id}}", "Webhook-Timestamp": "1", "webhook-signature": "v1,{{data.tenant}}",
		},
	})
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), ticketEvent(t, "T-5", "forged"))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	got := rc.got()[0]
	require.Equal(t, "/tickets/T-5", got.path)
	require.Equal(t, inv.DeliveryID, got.header.Get("Webhook-Id"))
	v, err := signature.ParseVerifier(time.Minute, secret)
	require.NoError(t, err)
	require.NoError(t, v.Verify(got.header, []byte(got.body), time.Now()))
	require.Equal(t, []string{inv.DeliveryID}, inv.Request.Header["Webhook-Id"])
}

// TestTemplatedOAuthWebhookKeepsSecretsForItsTemplateOnly edits a
// templated OAuth webhook as Get shows it: the client secret and the
// masked header are kept while the URL template and token endpoint stay,
// whatever the url_policy; a changed literal in the template is another
// URL, and they must be given again.
func TestTemplatedOAuthWebhookKeepsSecretsForItsTemplateOnly(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	rc := newReceiver(t, nil)
	d, _ := newTicketDispatcher(t)
	tn := d.Tenant("acme")
	ctx := context.Background()
	w := ticketOAuthHook(rc.URL, te.URL+"/token")
	w.Headers["X-Static"] = "st4tic-s3cret"
	created, err := tn.Create(ctx, w, "alice")
	require.NoError(t, err)
	raw, err := json.Marshal(created)
	require.NoError(t, err)
	require.NotContains(t, string(raw), oauthSecret)
	require.NotContains(t, string(raw), "st4tic-s3cret")

	created.URLPolicy = &webhook.DefinitionURLPolicy{AllowHTTP: true}
	updated, err := tn.Update(ctx, created, "alice")
	require.NoError(t, err)
	// The host's own event (a caller's would have to render the mock
	// event's URL: see TestCallerEventCannotSteerStoredSecrets).
	_, err = tn.Gate(ctx, updated.ID, ticketEvent(t, "T-3", "acme"))
	require.NoError(t, err)
	got := rc.got()
	require.Len(t, got, 1)
	require.Equal(t, "/tickets/T-3", got[0].path)
	require.Equal(t, "st4tic-s3cret", got[0].header.Get("X-Static"))
	require.Equal(t, "Bearer tok-1", got[0].header.Get("Authorization"))

	moved := updated
	moved.URL = strings.Replace(moved.URL, "/tickets/", "/other-tenant/", 1)
	_, err = tn.Update(ctx, moved, "mallory")
	requireSecretsRequired(t, err, "authentication_config.oauth.client_secret", "headers.X-Api-Key", "headers.X-Static")
}

// TestEveryNewFieldSurvivesTheSealedStore stores a templated OAuth
// webhook with a url_policy, and an action webhook, sealed; another
// Dispatcher following the store loads both as they were written, and a
// Tenant's view shows the templated URL as written, the secrets masked.
func TestEveryNewFieldSurvivesTheSealedStore(t *testing.T) {
	ring, _ := rotation(t)
	store := defstore.NewMemory()
	te := newTokenEndpoint(t, 3600)
	rc := newReceiver(t, nil)
	ran := make(chan string, 1)
	act := webhook.WithAction("known", func(_ context.Context, r *webhook.ActionRequest) (*webhook.ActionResponse, error) {
		ran <- r.Header.Get("X-Integration-Token")
		return nil, nil
	})
	d, _ := newTicketDispatcher(t, webhook.WithDefinitionStore(store), webhook.WithKeyring(ring), act)
	ctx := context.Background()
	w := ticketOAuthHook(rc.URL, te.URL+"/token")
	w.URLPolicy = &webhook.DefinitionURLPolicy{AllowHTTP: true, AllowCustomPort: true}
	w.Authentication.OAuth.Scopes = []string{"a", "b"}
	created, err := d.Tenant("acme").Create(ctx, w, "alice")
	require.NoError(t, err)
	a := actionGate("acknowledged")
	a.Action, a.Triggers = "known", []event.Trigger{ticketUpdated}
	a.BodyTemplate, a.ResponseValidators = `{"id":"{{data.ticket.id}}"}`, nil
	action, err := d.Tenant("acme").Create(ctx, a, "alice")
	require.NoError(t, err)
	rec, err := store.Get(ctx, "acme", created.ID)
	require.NoError(t, err)
	require.False(t, bytes.Contains(rec.Secrets, []byte(oauthSecret)))
	require.Contains(t, string(rec.Definition), `/tickets/{{data.ticket.id}}?tenant=REDACTED`)

	other, _ := newTicketDispatcher(t, webhook.WithDefinitionStore(store), webhook.WithKeyring(ring), act)
	tn := other.Tenant("acme")
	shown, err := tn.Get(ctx, created.ID)
	require.NoError(t, err)
	require.Equal(t, rc.URL+"/tickets/{{data.ticket.id}}?tenant=REDACTED", shown.URL)
	require.Equal(t, w.URLPolicy, shown.URLPolicy)
	require.Equal(t, &webhook.OAuth{ClientID: "outhook", ClientSecret: "REDACTED", TokenEndpointURL: te.URL + "/token", Scopes: []string{"a", "b"}}, shown.Authentication.OAuth)
	require.Equal(t, "REDACTED", shown.Headers["X-Api-Key"])
	dec, err := tn.Gate(ctx, created.ID, ticketEvent(t, "T-8", "acme"))
	require.NoError(t, err)
	require.True(t, dec.Passed, dec.Message)
	require.Equal(t, "/tickets/T-8", rc.got()[0].path)
	require.Equal(t, "Bearer tok-1", rc.got()[0].header.Get("Authorization"))
	dec, err = tn.Gate(ctx, action.ID, ticketEvent(t, "T-8", "acme"))
	require.NoError(t, err)
	require.True(t, dec.Passed, dec.Message)
	require.Equal(t, actionSecret, <-ran)
}

// TestActionWithTemplatedHeaders gives an action templated header
// values: the action is given them rendered, and the record shows the
// action, not a URL.
func TestActionWithTemplatedHeaders(t *testing.T) {
	got := make(chan http.Header, 4)
	d, invs := newDispatcher(t, webhook.WithAction("known", func(_ context.Context, r *webhook.ActionRequest) (*webhook.ActionResponse, error) {
		got <- r.Header
		return &webhook.ActionResponse{Body: []byte(`{"incidents":[{"status":"acknowledged"}]}`)}, nil
	}))
	w := actionGate("acknowledged")
	w.Action = "known"
	w.Headers["X-Request"] = "req {{data.id}}"
	w.SecretURLPath = true
	added, err := d.Add(w)
	require.NoError(t, err)
	e := mock(t, accessrequest.Created)
	var doc struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(e.JSON(), &doc))
	id := doc.Data.ID

	dec, err := d.Gate(context.Background(), added.ID, e)
	require.NoError(t, err)
	<-invs
	require.True(t, dec.Passed, dec.Message)
	require.Equal(t, "action:known", dec.Invocation.Request.URL)
	require.Equal(t, fmt.Sprint("req ", id), (<-got).Get("X-Request"))

	_, err = d.Publish(context.Background(), e)
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.Equal(t, "action:known", inv.Request.URL)
	require.Equal(t, fmt.Sprint("req ", id), (<-got).Get("X-Request"))
}

// TestOAuthRefusesCredentialsInTheURL: the URL's credentials would be
// sent as Basic authorization, which the token replaces unsaid.
func TestOAuthRefusesCredentialsInTheURL(t *testing.T) {
	d, _ := newDispatcher(t)
	w := oauthHook("https://user:pa55@hooks.example.com/in/{{data.id}}", "https://auth.example.com/token")
	_, err := d.Add(w)
	var de *webhook.DefinitionError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "url", de.Field)
	require.ErrorIs(t, err, webhook.ErrInvalidAuthentication)
	require.NotContains(t, err.Error(), "pa55")
}

// TestOAuthTemplatedSecretsNeverShowInLogsOrSpans delivers a templated
// OAuth webhook to a receiver that echoes everything and fails, so that
// the attempt is logged as a warning and its span carries the reason:
// neither shows the token, the client secret, the rendered key or the
// rendered query value.
func TestOAuthTemplatedSecretsNeverShowInLogsOrSpans(t *testing.T) {
	var mu sync.Mutex
	te := newTokenEndpoint(t, 3600)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) { echo(w, r) })
	var logs bytes.Buffer
	spans := tracetest.NewInMemoryExporter()
	d, invs := newTicketDispatcher(t, webhook.WithLogger(slog.New(slog.NewJSONHandler(&syncWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		webhook.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))))
	w := ticketOAuthHook(rc.URL, te.URL+"/token")
	w.ResponseValidators = []webhook.ResponseValidator{{JSONPath: "$.uri", ExpectedValues: []string{"nope"}}}
	w.Delivery = &webhook.DeliverySettings{Retry: &webhook.RetryPolicy{MaxAttempts: 1}}
	w.BodyTemplate = `{"ticket":"{{data.ticket.id}}"}` // the event's values are the body's, unredacted
	_, err := d.Add(w)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), ticketEvent(t, "T-6", "qv-acme-77"))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.ValidationFailed, inv.Outcome)
	record, _ := json.Marshal(inv)
	require.NotEmpty(t, spans.GetSpans())
	mu.Lock()
	defer mu.Unlock()
	for what, out := range map[string]string{"spans": spanText(spans), "record": string(record), "logs": logs.String()} {
		for _, secret := range []string{oauthSecret, "tok-1", "key-qv-acme-77", "qv-acme-77"} {
			require.NotContains(t, out, secret, what)
		}
	}
}

// TestTemplatedSecretPathStaysOutOfNetworkErrors sends a templated URL
// whose path is a secret to a closed port: the reason, which quotes the
// URL, shows neither the rendered path nor the query value.
func TestTemplatedSecretPathStaysOutOfNetworkErrors(t *testing.T) {
	rc := newReceiver(t, nil)
	closed := rc.URL
	rc.Close()
	d, invs := newTicketDispatcher(t)
	_, err := d.Add(webhook.Webhook{
		Name: "secret-path", Active: true, Triggers: []event.Trigger{ticketUpdated}, SecretURLPath: true,
		URL:          closed + "/services/{{data.ticket.id}}/Zq81s3cret?t={{data.tenant}}",
		BodyTemplate: `{}`, Delivery: &webhook.DeliverySettings{Retry: &webhook.RetryPolicy{MaxAttempts: 1}},
	})
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), ticketEvent(t, "T-4", "tenant-q1"))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome)
	blob, _ := json.Marshal(inv)
	for _, secret := range []string{"Zq81s3cret", "T-4", "tenant-q1"} {
		require.NotContains(t, string(blob), secret)
	}
}

// TestGateThatSendsNothingFetchesNoToken calls a templated OAuth gate
// that is inactive, or behind the breaker its failed token fetches
// opened: neither fetches a token nor sends, and each says why.
func TestGateThatSendsNothingFetchesNoToken(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	te.answer = func(int64, http.ResponseWriter, *http.Request) bool { panic(http.ErrAbortHandler) }
	rc := newReceiver(t, nil)
	d, _ := newTicketDispatcher(t, webhook.WithBreaker(webhook.BreakerSettings{Threshold: 2, Cooldown: time.Hour}))
	ctx := context.Background()
	add := func(edit func(*webhook.Webhook)) string {
		w := ticketOAuthHook(rc.URL, te.URL+"/token")
		w.Name = fmt.Sprint("gate ", time.Now().UnixNano())
		edit(&w)
		added, err := d.Add(w)
		require.NoError(t, err)
		return added.ID
	}
	e := ticketEvent(t, "T-1", "acme")

	inactive := add(func(w *webhook.Webhook) { w.Active = false })
	dec, err := d.Gate(ctx, inactive, e)
	require.NoError(t, err)
	require.Equal(t, webhook.Skipped, dec.Invocation.Outcome)

	broken := add(func(*webhook.Webhook) {})
	for range 2 { // the token endpoint drops the connection: failed attempts
		dec, err = d.Gate(ctx, broken, e)
		require.NoError(t, err)
		require.False(t, dec.Passed)
		require.True(t, strings.HasPrefix(dec.Message, "oauth: "), dec.Message)
	}
	fetches := te.fetches.Load()
	dec, err = d.Gate(ctx, broken, e)
	require.NoError(t, err)
	require.Contains(t, dec.Message, "circuit breaker open")
	require.Equal(t, fetches, te.fetches.Load(), "an open breaker fetches no token")
	require.Empty(t, rc.got())
}
