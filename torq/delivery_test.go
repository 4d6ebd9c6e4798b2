package torq_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/torq"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// standIn returns a Torq preset pointed at r.
func standIn(t *testing.T, r *webhooktest.Receiver, url, token string, opts ...torq.Option) webhook.Webhook {
	t.Helper()
	w, err := torq.New(url, token, append([]torq.Option{torq.WithBaseURL(r.URL)}, opts...)...)
	require.NoError(t, err)
	return w
}

func publish(t *testing.T, d *webhooktest.Dispatcher, trigger event.Trigger) {
	t.Helper()
	e, ok := accessrequest.Mock(trigger)
	require.True(t, ok)
	_, err := d.Publish(context.Background(), e)
	require.NoError(t, err)
}

// TestDeliveryFollowsTorqsRules checks, end to end and with the webhook
// package's retry decisions, that 2xx succeeds, that 5xx and 429 are
// retried and that other 4xx are not.
func TestDeliveryFollowsTorqsRules(t *testing.T) {
	leakcheck.Check(t)
	for _, tt := range []struct {
		name     string
		script   []webhooktest.Response
		outcome  webhook.Outcome
		attempts int
	}{
		{"200", []webhooktest.Response{{Status: 200}}, webhook.Delivered, 1},
		{"202", []webhooktest.Response{{Status: 202, Body: `{"execution_id":"ex-1"}`}}, webhook.Delivered, 1},
		{"503 then 200", []webhooktest.Response{{Status: 503}, {Status: 200}}, webhook.Delivered, 2},
		{"429 then 200", []webhooktest.Response{{Status: 429, RetryAfter: time.Second}, {Status: 200}}, webhook.Delivered, 2},
		{"500, 502, 504, 200", []webhooktest.Response{{Status: 500}, {Status: 502}, {Status: 504}, {Status: 200}}, webhook.Delivered, 4},
		{"always 503", []webhooktest.Response{{Status: 503}}, webhook.Failed, webhooktest.FastRetries.MaxAttempts},
		{"401 is final", []webhooktest.Response{{Status: 401}}, webhook.Failed, 1},
		{"404 is final", []webhooktest.Response{{Status: 404}}, webhook.Failed, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := webhooktest.NewReceiver(webhooktest.Respond(tt.script...))
			t.Cleanup(r.Close)
			d := webhooktest.NewDispatcher(t)
			_, err := d.Add(standIn(t, r, hookURL, "s3cr3t"))
			require.NoError(t, err)
			publish(t, d, accessrequest.Approved)

			final := d.WaitFinal(1)[0]
			require.Equal(t, tt.outcome, final.Outcome, final.Reason)
			require.Equal(t, tt.attempts, final.Attempt)
			got := r.Requests()
			require.Len(t, got, tt.attempts)
			for _, req := range got {
				require.Equal(t, "/v1/webhooks/0f9a1c", req.Path)
				require.Equal(t, http.MethodPost, req.Method)
				require.Equal(t, "Bearer s3cr3t", req.Header.Get("Authorization"))
				require.Equal(t, "application/json", req.Header.Get("Content-Type"))
				require.JSONEq(t, `{"body":{"event":"New Apono RequestApproved request made by Zoë Ångström-Okafor"}}`, req.Body)
			}
		})
	}
}

// TestRetryAfterIsHonoured checks that the delay before a retry is the
// receiver's Retry-After, capped by the policy, not the backoff's.
func TestRetryAfterIsHonoured(t *testing.T) {
	r := webhooktest.NewReceiver(webhooktest.Respond(
		webhooktest.Response{Status: http.StatusServiceUnavailable},
		webhooktest.Response{Status: http.StatusTooManyRequests, RetryAfter: time.Hour},
		webhooktest.Response{Status: http.StatusOK},
	))
	t.Cleanup(r.Close)
	const ceiling = 30 * time.Millisecond
	policy := webhooktest.FastRetries
	policy.MaxRetryAfter = webhook.Duration(ceiling)
	d := webhooktest.NewDispatcher(t, webhook.WithRetryPolicy(policy))
	_, err := d.Add(standIn(t, r, hookURL, "s3cr3t"))
	require.NoError(t, err)
	publish(t, d, accessrequest.Granted)

	require.Equal(t, webhook.Delivered, d.WaitFinal(1)[0].Outcome)
	all := d.Recorded()
	require.Len(t, all, 3)
	delay := func(inv webhook.Invocation) time.Duration {
		return inv.NextAttemptAt.Sub(inv.StartedAt.Add(inv.Duration))
	}
	require.Less(t, delay(all[0]), ceiling/2, "a 503 without Retry-After backs off by the policy (a nanosecond)")
	require.InDelta(t, ceiling, delay(all[1]), float64(ceiling/2), "a 429's Retry-After of an hour waits the cap")
	require.GreaterOrEqual(t, all[2].StartedAt.Sub(all[1].StartedAt), ceiling)

	// The defaults are Torq's rules.
	ctx := context.Background()
	for status, retry := range map[int]bool{429: true, 500: true, 502: true, 503: true, 504: true, 400: false, 401: false, 403: false, 404: false, 422: false} {
		require.Equal(t, retry, webhook.DefaultRetryDecider(ctx, status, nil), "status %d", status)
	}
	require.Positive(t, webhook.DefaultRetryPolicy.MaxRetryAfter)
}

// syncBuffer is a bytes.Buffer safe for the Dispatcher's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTokenNeverRecorded delivers with every kind of outcome, under both
// header styles, and scans the invocation records, dead letters, Test's
// result and the debug log for the token.
func TestTokenNeverRecorded(t *testing.T) {
	const token = "tq_5ecr3t-T0KEN-value"
	for _, opts := range [][]torq.Option{nil, {torq.WithAuthHeader("X-Torq-Token")}} {
		r := webhooktest.NewReceiver(
			webhooktest.Route("/v1/webhooks/flaky", webhooktest.Response{Status: 503}, webhooktest.Response{Status: 200}),
			webhooktest.Route("/v1/webhooks/broken", webhooktest.Response{Status: 400, Body: `{"error":"bad"}`}),
			webhooktest.Route("/v1/webhooks/reset", webhooktest.Response{Reset: true}),
		)
		t.Cleanup(r.Close)
		var logs syncBuffer
		d := webhooktest.NewDispatcher(t, webhook.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		var ids []string
		for _, name := range []string{"ok", "flaky", "broken", "reset"} {
			w := standIn(t, r, "https://hooks.torq.io/v1/webhooks/"+name, token, opts...)
			w.Name = name
			added, err := d.Add(w)
			require.NoError(t, err)
			ids = append(ids, added.ID)
		}
		publish(t, d, accessrequest.Created)
		d.WaitFinal(4)

		tested, err := d.Test(context.Background(), standIn(t, r, hookURL, token, opts...), accessrequest.Failed)
		require.NoError(t, err)
		var records []any
		records = append(records, tested)
		for _, id := range ids {
			invs, err := d.Invocations(context.Background(), id, 0)
			require.NoError(t, err)
			records = append(records, invs)
		}
		dead, err := d.DeadLetters(context.Background(), "", 0)
		require.NoError(t, err)
		require.NotEmpty(t, dead)
		records = append(records, dead, d.Recorded())
		dump, err := json.Marshal(records)
		require.NoError(t, err)

		for where, text := range map[string]string{"records": string(dump), "logs": logs.String()} {
			require.NotEmpty(t, text)
			require.NotContains(t, text, token, where)
			require.NotContains(t, text, strings.ToLower(token), where)
		}
		require.Contains(t, string(dump), "REDACTED", "the header is shown, redacted")
		for _, req := range r.Requests() {
			require.Contains(t, []string{"Bearer " + token, token}, req.Header.Get(headerName(opts)), "the receiver gets it")
		}
	}
}

func headerName(opts []torq.Option) string {
	if opts == nil {
		return "Authorization"
	}
	return "X-Torq-Token"
}
