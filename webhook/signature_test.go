package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/signature"
	"github.com/outhook/outhook/webhook"
)

func TestSignedDeliveriesVerifyAcrossRotationAndRetries(t *testing.T) {
	oldSecret, newSecret := signature.NewSecret(), signature.NewSecret()
	private, public := signature.NewKeyPair()
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	d, invs := newDispatcher(t)
	w := torqLike(rc.URL)
	w.SigningSecrets = []string{oldSecret, newSecret, private}
	_, err := d.Add(w)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Granted))
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, waitFinal(t, invs, 1)[0].Outcome)

	got := rc.got()
	require.Len(t, got, 2)
	require.Equal(t, got[0].header.Get("Webhook-Id"), got[1].header.Get("Webhook-Id"), "webhook-id is stable across retries")
	require.Len(t, strings.Fields(got[0].header.Get("Webhook-Signature")), 3, "one signature per secret")
	for _, secret := range []string{oldSecret, newSecret, public} {
		v, err := signature.ParseVerifier(0, secret)
		require.NoError(t, err)
		for _, r := range got {
			require.NoError(t, v.Verify(r.header, []byte(r.body), time.Now()), "each secret alone verifies")
		}
	}

	other, err := signature.ParseVerifier(0, signature.NewSecret())
	require.NoError(t, err)
	require.ErrorIs(t, other.Verify(got[0].header, []byte(got[0].body), time.Now()), signature.ErrInvalidSignature)
	v, _ := signature.ParseVerifier(time.Minute, oldSecret)
	require.ErrorIs(t, v.Verify(got[0].header, []byte(got[0].body), time.Now().Add(time.Hour)), signature.ErrTimestampOutOfRange)
	require.ErrorIs(t, v.Verify(got[0].header, []byte(got[0].body+" "), time.Now()), signature.ErrInvalidSignature)
	require.ErrorIs(t, v.Verify(http.Header{}, nil, time.Now()), signature.ErrInvalidHeader)
	_, err = signature.ParseVerifier(0, "whsec_short")
	require.ErrorIs(t, err, signature.ErrInvalidSecret)

	bad := torqLike(rc.URL)
	bad.Name = "bad"
	bad.SigningSecrets = []string{"not-a-secret-value"}
	_, err = d.Add(bad)
	require.ErrorIs(t, err, signature.ErrInvalidSecret)
	require.NotContains(t, err.Error(), "not-a-secret-value")

	// Hand-made, without the padding the Go reference verifier needs.
	unpadded := strings.TrimRight(signature.NewSecret(), "=")
	bad.SigningSecrets = []string{unpadded}
	_, err = d.Add(bad)
	var de *webhook.DefinitionError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "signing_secrets[0]", de.Field)
	require.ErrorIs(t, err, signature.ErrInvalidSecret)
	require.ErrorContains(t, err, "padding")
	require.NotContains(t, err.Error(), strings.TrimPrefix(unpadded, "whsec_"))
	_, err = signature.ParseVerifier(0, unpadded)
	require.ErrorIs(t, err, signature.ErrInvalidSecret)
}

// Each attempt is signed anew: a retry keeps the webhook-id and the bytes,
// and carries the time of its own attempt, as the specification asks, so a
// receiver verifies it however late it comes, while the first attempt's
// headers replayed at that time are refused as too old.
func TestRetriesAreSignedAtTheirOwnTime(t *testing.T) {
	leakcheck.Check(t)
	secret := signature.NewSecret()
	var skew atomic.Int64 // how far the Dispatcher's clock runs ahead
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			skew.Store(int64(10 * time.Minute)) // the retry comes ten minutes on
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	d, invs := newDispatcher(t, webhook.WithClock(clock))
	w := torqLike(rc.URL)
	w.SigningSecrets = []string{secret}
	_, err := d.Add(w)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Granted))
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, waitFinal(t, invs, 1)[0].Outcome)

	got := rc.got()
	require.Len(t, got, 2)
	first, retry := got[0], got[1]
	require.Equal(t, first.header.Get("Webhook-Id"), retry.header.Get("Webhook-Id"))
	require.Equal(t, first.body, retry.body)
	at := func(r received) time.Time {
		unix, err := strconv.ParseInt(r.header.Get("Webhook-Timestamp"), 10, 64)
		require.NoError(t, err)
		return time.Unix(unix, 0)
	}
	require.GreaterOrEqual(t, at(retry).Sub(at(first)), 10*time.Minute)
	require.NotEqual(t, first.header.Get("Webhook-Signature"), retry.header.Get("Webhook-Signature"))

	v, err := signature.ParseVerifier(0, secret)
	require.NoError(t, err)
	require.NoError(t, v.Verify(first.header, []byte(first.body), at(first)))
	require.NoError(t, v.Verify(retry.header, []byte(retry.body), at(retry)))
	require.ErrorIs(t, v.Verify(first.header, []byte(first.body), at(retry)), signature.ErrTimestampTooOld)
}

// A webhook signs with at most signature.MaxSignatures secrets, as many as
// a receiver's Verifier reads; more are refused when it is added, on the
// field, rather than sent to receivers that would refuse them.
func TestTooManySigningSecrets(t *testing.T) {
	d, _ := newDispatcher(t)
	w := torqLike("https://hooks.example.com/in")
	for range signature.MaxSignatures + 1 {
		w.SigningSecrets = append(w.SigningSecrets, signature.NewSecret())
	}
	_, err := d.Add(w)
	var de *webhook.DefinitionError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "signing_secrets", de.Field)
	require.ErrorIs(t, err, signature.ErrInvalidSecret)
	for _, s := range w.SigningSecrets {
		require.NotContains(t, err.Error(), strings.TrimPrefix(s, "whsec_"))
	}

	w.SigningSecrets = w.SigningSecrets[:signature.MaxSignatures]
	_, err = d.Add(w)
	require.NoError(t, err)
}

// TestSecretsNeverShow delivers to failing and succeeding receivers with
// secrets in headers, URL userinfo, query string and signing secrets, and
// scans every invocation record, dead letter, log line, span and error for
// them.
func TestSecretsNeverShow(t *testing.T) {
	secrets := []string{"hdr-secret-4d1f", "x-token-8c2e", "pass-9b3a", "qtoken-7e5d", signature.NewSecret()}
	ok := newReceiver(t, nil)
	failing := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "session=resp-cookie-1a2b")
		w.WriteHeader(http.StatusBadGateway)
	})
	var logs lockedBuffer
	spans := tracetest.NewInMemoryExporter()
	d, invs := newDispatcher(t,
		webhook.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		webhook.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))),
	)
	for i, target := range []string{ok.URL, failing.URL, "http://127.0.0.1:1"} {
		u := strings.Replace(target, "http://", "http://user:pass-9b3a@", 1) + "/hook?token=qtoken-7e5d&kind=a"
		w := torqLike(u)
		w.Name = []string{"ok", "failing", "refused"}[i]
		w.Headers = map[string]string{"Authorization": "Bearer hdr-secret-4d1f", "X-Torq-Token": "x-token-8c2e"}
		w.SigningSecrets = secrets[4:]
		_, err := d.Add(w)
		require.NoError(t, err)
	}
	_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	var all bytes.Buffer
	for _, inv := range waitFinal(t, invs, 3) {
		b, err := json.Marshal(inv)
		require.NoError(t, err)
		all.Write(b)
		all.WriteString(inv.Reason)
	}
	dead, err := d.DeadLetters(context.Background(), "", 0)
	require.NoError(t, err)
	require.Len(t, dead, 2)
	for _, dl := range dead {
		all.WriteString(dl.Reason)
	}
	for _, w := range d.List() {
		inv, err := d.Test(context.Background(), w, accessrequest.Approved)
		require.NoError(t, err)
		b, _ := json.Marshal(inv)
		all.Write(b)
	}
	broken := torqLike("http://user:pass-9b3a@127.0.0.1:1/%zz?token=qtoken-7e5d")
	_, err = d.Add(broken)
	require.Error(t, err)
	all.WriteString(err.Error())
	require.NoError(t, d.Close(context.Background())) // no log line or span comes after this
	all.WriteString(logs.String())
	require.NotEmpty(t, spans.GetSpans())
	all.WriteString(spanText(spans))

	require.Contains(t, all.String(), "REDACTED", "the scan saw redacted records")
	require.Contains(t, logs.String(), "webhook delivery", "the scan saw log lines")
	for _, s := range append(secrets, "resp-cookie-1a2b") {
		require.NotContains(t, all.String(), s)
	}
}

// spanText is every name, status, attribute and event attribute of the
// spans exported, as one text to search for secrets.
func spanText(spans *tracetest.InMemoryExporter) string {
	var b strings.Builder
	for _, span := range spans.GetSpans() {
		b.WriteString(span.Name + span.Status.Description)
		for _, kv := range span.Attributes {
			b.WriteString(kv.Value.String())
		}
		for _, ev := range span.Events {
			for _, kv := range ev.Attributes {
				b.WriteString(kv.Value.String())
			}
		}
	}
	return b.String()
}

// lockedBuffer is a bytes.Buffer that workers may write while a test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestSecretURLPathIsRedacted(t *testing.T) {
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	w := torqLike(rc.URL + "/services/T0001/B0002/XyZsecretPathToken")
	w.SecretURLPath = true
	inv, err := d.Test(context.Background(), w, accessrequest.Created)
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome)
	require.NotContains(t, inv.Request.URL, "XyZsecretPathToken")
	require.Contains(t, inv.Request.URL, "REDACTED")
	require.Len(t, rc.got(), 1)
	require.Equal(t, "/services/T0001/B0002/XyZsecretPathToken", rc.got()[0].path, "the request itself went to the real path")
}
