package webhook_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/signature"
	"github.com/outhook/outhook/validate"
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
	w.SigningSecrets = []string{signature.NewSecret()}
	w.Delivery = &webhook.DeliverySettings{MaxRedirects: 1}
	_, err = d.Add(w)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
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

// echo answers 200 with everything it received: the request's headers,
// URL and body as a JSON body, and the credentials again in response
// headers, safe-listed ones among them.
func echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	for name, values := range r.Header {
		w.Header()["Echo-"+name] = values
	}
	w.Header().Set("Content-Type", "application/json; charset="+r.Header.Get("Authorization"))
	w.Header().Set("User-Agent", r.Header.Get("X-Api-Key"))
	w.Header().Set("Webhook-Id", r.RequestURI)
	w.Header().Set("Date", "http://"+r.Host+r.RequestURI)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"status": "accepted", "headers": r.Header, "uri": r.RequestURI, "url": "http://" + r.Host + r.RequestURI,
		"body": string(body),
	})
}

// TestEchoedSecretsNeverShow delivers to a receiver that echoes the request
// back, body and headers, to webhooks whose validators look at what it
// echoed: no secret of theirs may appear in the invocation, the dead
// letter, the Test result, the logs or the spans.
func TestEchoedSecretsNeverShow(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) { echo(w, r) })
	var logs lockedBuffer
	spans := tracetest.NewInMemoryExporter()
	d, invs := newDispatcher(t,
		webhook.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		webhook.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))),
	)
	signing := signature.NewSecret()
	secrets := []string{"bearer-5f2a9c", "apikey-3d8e71", "basic-user-6b", "basic-pass-4c", "qtoken-9a1f3e", "T0001/B0002/path-secret-8d7c", signing}
	bearer := torqLike(rc.URL + "/services/T0001/B0002/path-secret-8d7c?token=qtoken-9a1f3e")
	bearer.Name = "bearer"
	bearer.SecretURLPath = true
	bearer.Headers = map[string]string{"Authorization": "Bearer bearer-5f2a9c", "X-Api-Key": "apikey-3d8e71"}
	bearer.SigningSecrets = []string{signing}
	basic := torqLike(strings.Replace(rc.URL, "http://", "http://basic-user-6b:basic-pass-4c@", 1) + "/hook?token=qtoken-9a1f3e")
	basic.Name = "basic"
	basic.Headers = nil
	var all bytes.Buffer
	for _, w := range []*webhook.Webhook{&bearer, &basic} {
		w.ResponseValidators = []webhook.ResponseValidator{
			{JSONPath: "$.data.headers.Authorization[0]", ExpectedValues: []string{"not what was sent"}},
			{JSONPath: `$.data.headers["X-Api-Key"]`, ExpectedValues: []string{"nor this"}},
			{JSONPath: "$.data.uri", ExpectedValues: []string{"nor this"}},
			{JSONPath: "$.data.url"},
			{JSONPath: "$.data.headers", ExpectedValues: []string{"nor this"}},
		}
		_, err := d.Add(*w)
		require.NoError(t, err)
		inv, err := d.Test(context.Background(), *w, accessrequest.Approved)
		require.NoError(t, err)
		require.Equal(t, webhook.ValidationFailed, inv.Outcome, inv.Reason)
		b, err := json.Marshal(inv)
		require.NoError(t, err)
		all.Write(b)
	}
	_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	for _, inv := range waitFinal(t, invs, 2) {
		require.Equal(t, webhook.ValidationFailed, inv.Outcome, inv.Reason)
		require.NotEmpty(t, inv.Validation[0].Found, "the validator found the echoed header")
		require.ErrorIs(t, inv.Validation[0].Err, validate.ErrMismatch)
		b, err := json.Marshal(inv)
		require.NoError(t, err)
		all.Write(b)
		for _, res := range inv.Validation {
			all.WriteString(res.String())
		}
	}
	dead, err := d.DeadLetters(context.Background(), "", 0)
	require.NoError(t, err)
	require.Len(t, dead, 2)
	b, err := json.Marshal(dead)
	require.NoError(t, err)
	all.Write(b)
	require.NoError(t, d.Close(context.Background()))
	all.WriteString(logs.String())
	all.WriteString(spanText(spans))

	require.Len(t, rc.got(), 4, "the receiver saw every request")
	require.Contains(t, rc.got()[0].header.Get("Authorization"), "bearer-5f2a9c", "the secrets were sent")
	require.Contains(t, all.String(), "REDACTED", "the scan saw redacted records")
	require.Contains(t, all.String(), "accepted", "the scan saw the echoed bodies")
	basicCreds := base64.StdEncoding.EncodeToString([]byte("basic-user-6b:basic-pass-4c"))
	for _, s := range append(secrets, basicCreds, strings.TrimPrefix(signing, "whsec_")) {
		require.NotContains(t, all.String(), s)
	}
}

// TestPrintedWebhookHidesSecrets prints a definition with every verb, in
// containers, and through log/slog: its secrets never show, its JSON (the
// stored form) keeps them.
func TestPrintedWebhookHidesSecrets(t *testing.T) {
	signing := signature.NewSecret()
	w := webhook.Webhook{
		Name: "slack", Active: true, SecretURLPath: true,
		URL:            "https://bot-user:pw-71c3e9@hooks.slack.example/services/T01/B02/path-5e6f7a?token=qtok-2b4d6f",
		Headers:        map[string]string{"Authorization": "Bearer hdr-8a9b0c", "x-api-key": "key-1d2e3f", "Content-Type": "application/json"},
		SigningSecrets: []string{signing},
		Triggers:       accessrequest.Triggers(),
	}
	secrets := []string{"pw-71c3e9", "bot-user", "T01/B02/path-5e6f7a", "qtok-2b4d6f", "hdr-8a9b0c", "key-1d2e3f", strings.TrimPrefix(signing, "whsec_")}

	var out []string
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%20.30s", "%T %v"} {
		for _, arg := range []any{w, &w, []webhook.Webhook{w}, struct{ W webhook.Webhook }{w}, map[string]*webhook.Webhook{"a": &w}} {
			out = append(out, fmt.Sprintf(format, arg))
		}
	}
	out = append(out, fmt.Sprint(w), fmt.Sprintln(&w), w.String(), w.GoString())
	for _, h := range []func(io.Writer) slog.Handler{
		func(wr io.Writer) slog.Handler { return slog.NewJSONHandler(wr, nil) },
		func(wr io.Writer) slog.Handler { return slog.NewTextHandler(wr, nil) },
	} {
		var logs bytes.Buffer
		slog.New(h(&logs)).Info("added", "webhook", w, "ptr", &w)
		require.Contains(t, logs.String(), "slack")
		require.Contains(t, logs.String(), "whsec_REDACTED")
		out = append(out, logs.String())
	}

	for _, o := range out {
		for _, s := range secrets {
			require.NotContains(t, o, s)
			require.NotContains(t, strings.ToLower(o), hex.EncodeToString([]byte(s)), "%x shows the secret in hex")
		}
	}
	require.Contains(t, fmt.Sprintf("%v", w), `"Content-Type":"application/json"`, "safe headers show")
	require.Contains(t, fmt.Sprintf("%v", w), `https://REDACTED:REDACTED@hooks.slack.example/REDACTED?token=REDACTED`)
	require.True(t, strings.HasPrefix(fmt.Sprintf("%#v", w), "webhook.Webhook{"), fmt.Sprintf("%#v", w))
	require.Contains(t, fmt.Sprintf("%#v", w), `"x-api-key":"REDACTED"`)

	// The stored form keeps the secrets, so that it loads whole.
	var buf bytes.Buffer
	require.NoError(t, webhook.EncodeWebhooks(&buf, []webhook.Webhook{w}))
	back, err := webhook.DecodeWebhooks(&buf)
	require.NoError(t, err)
	require.Equal(t, w.URL, back[0].URL)
	require.Equal(t, w.Headers, back[0].Headers)
	require.Equal(t, w.SigningSecrets, back[0].SigningSecrets)
}

// TestEchoedSecretCutByTheReadLimit echoes a header secret across the
// byte where the Dispatcher stops reading the response: the part before
// the cut must not show in the record.
func TestEchoedSecretCutByTheReadLimit(t *testing.T) {
	const secret = "apikey-0a1b2c3d4e5f"
	const limit = 64
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		pad := strings.Repeat("x", limit-8) // the cut falls 8 bytes into the echoed key
		_, _ = io.WriteString(w, pad+r.Header.Get("X-Api-Key")+strings.Repeat("y", 100))
	})
	d, invs := newDispatcher(t, webhook.WithMaxResponseBytes(limit))
	w := torqLike(rc.URL)
	w.Headers = map[string]string{"x-api-key": secret}
	_, err := d.Add(w)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.True(t, inv.Response.BodyTruncated)
	require.LessOrEqual(t, len(inv.Response.Body), limit)
	require.True(t, strings.HasPrefix(inv.Response.Body, strings.Repeat("x", limit-8)), inv.Response.Body)
	require.NotContains(t, inv.Response.Body, secret[:8])
}

// TestSecretsEchoedWithEscapedSlashes echoes the request as PHP's
// json_encode writes it, every '/' escaped as '\/': a secret path and a
// token holding '/' must still be hidden.
func TestSecretsEchoedWithEscapedSlashes(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		esc := strings.NewReplacer("/", `\/`)
		_, _ = io.WriteString(w, `{"uri":"`+esc.Replace(r.URL.Path)+`","auth":"`+esc.Replace(r.Header.Get("Authorization"))+`"}`)
	})
	d, invs := newDispatcher(t)
	w := torqLike(rc.URL + "/services/T01/B02/path-9f8e7d")
	w.SecretURLPath = true
	w.Headers = map[string]string{"authorization": "Bearer ab/cd+ef/gh=="}
	_, err := d.Add(w)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.Contains(t, inv.Response.Body, `"uri":"\/REDACTED"`)
	for _, s := range []string{"path-9f8e7d", `cd+ef`} {
		require.NotContains(t, inv.Response.Body, s)
	}
}
