package webhooktest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/signature"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// post sends body to url with client and returns the status and body, or
// the error.
func post(t *testing.T, client *http.Client, url, body string) (int, string, http.Header, error) {
	t.Helper()
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header, err
}

func newClient(t *testing.T, timeout time.Duration) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: timeout}
}

func TestReceiverScripts(t *testing.T) {
	leakcheck.Check(t)
	r := webhooktest.NewReceiver(
		webhooktest.Respond(
			webhooktest.Response{Status: http.StatusServiceUnavailable, RetryAfter: 1500 * time.Millisecond},
			webhooktest.Response{Status: http.StatusCreated, Body: `{"ok":true}`, Header: http.Header{"x-id": {"7"}}},
		),
		webhooktest.Route("/teapot", webhooktest.Response{Status: http.StatusTeapot}),
	)
	defer r.Close()
	client := newClient(t, 5*time.Second)

	for _, tt := range []struct {
		path       string
		status     int
		body       string
		retryAfter string
	}{
		{"/a", http.StatusServiceUnavailable, "", "2"},
		{"/teapot", http.StatusTeapot, "", ""},
		{"/b?x=1", http.StatusCreated, `{"ok":true}`, ""},
		{"/c", http.StatusCreated, `{"ok":true}`, ""}, // the last response repeats
		{"/teapot", http.StatusTeapot, "", ""},
	} {
		status, body, header, err := post(t, client, r.URL+tt.path, `{"n":1}`)
		require.NoError(t, err)
		require.Equal(t, tt.status, status, tt.path)
		require.Equal(t, tt.body, body, tt.path)
		require.Equal(t, tt.retryAfter, header.Get("Retry-After"), tt.path)
	}
	got := r.Requests()
	require.Len(t, got, 5)
	require.Equal(t, "/b", got[2].Path)
	require.Equal(t, "x=1", got[2].Query)
	require.Equal(t, http.MethodPost, got[2].Method)
	require.Equal(t, `{"n":1}`, got[2].Body)
	require.Equal(t, "application/json", got[2].Header.Get("Content-Type"))
	require.Equal(t, http.StatusCreated, got[2].Answer.Status)
	require.False(t, got[2].Verified)
	require.NoError(t, got[2].SignatureErr)
}

func TestReceiverDefaultAnswers200(t *testing.T) {
	r := webhooktest.NewReceiver()
	defer r.Close()
	status, body, _, err := post(t, newClient(t, 5*time.Second), r.URL, "{}")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, body)
}

func TestReceiverFaults(t *testing.T) {
	leakcheck.Check(t)
	for _, tt := range []struct {
		name     string
		response webhooktest.Response
		check    func(t *testing.T, status int, body string, err error)
	}{
		{
			name:     "reset",
			response: webhooktest.Response{Reset: true},
			check: func(t *testing.T, _ int, _ string, err error) {
				require.Error(t, err)
			},
		},
		{
			name:     "delay past the client's timeout",
			response: webhooktest.Response{Delay: time.Hour},
			check: func(t *testing.T, _ int, _ string, err error) {
				require.ErrorIs(t, err, context.DeadlineExceeded)
			},
		},
		{
			name:     "short delay",
			response: webhooktest.Response{Delay: time.Millisecond, Body: "late"},
			check: func(t *testing.T, status int, body string, err error) {
				require.NoError(t, err)
				require.Equal(t, "late", body)
			},
		},
		{
			name:     "slow body past the client's timeout",
			response: webhooktest.Response{Status: http.StatusAccepted, Body: "0123456789", SlowBody: time.Hour},
			check: func(t *testing.T, status int, _ string, err error) {
				require.Equal(t, http.StatusAccepted, status, "the status comes at once")
				require.ErrorIs(t, err, context.DeadlineExceeded)
			},
		},
		{
			name:     "slow body",
			response: webhooktest.Response{Body: "abc", SlowBody: time.Microsecond},
			check: func(t *testing.T, status int, body string, err error) {
				require.NoError(t, err)
				require.Equal(t, "abc", body)
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := webhooktest.NewReceiver(webhooktest.Respond(tt.response))
			defer r.Close()
			status, body, _, err := post(t, newClient(t, 200*time.Millisecond), r.URL, "{}")
			tt.check(t, status, body, err)
			require.Len(t, r.Requests(), 1)
		})
	}
}

func TestReceiverCloseEndsWaits(t *testing.T) {
	leakcheck.Check(t)
	r := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Delay: time.Hour}))
	errc := make(chan error, 1)
	go func() {
		_, _, _, err := post(t, newClient(t, 0), r.URL, "{}")
		errc <- err
	}()
	_, err := r.Wait(context.Background(), 1)
	require.NoError(t, err)
	start := time.Now()
	r.Close()
	r.Close() // a second Close does nothing
	require.Less(t, time.Since(start), 5*time.Second)
	require.Error(t, <-errc)
}

func TestReceiverWait(t *testing.T) {
	r := webhooktest.NewReceiver()
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	got, err := r.Wait(ctx, 1)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Empty(t, got)

	go func() { _, _, _, _ = post(t, newClient(t, 5*time.Second), r.URL, "{}") }()
	got, err = r.Wait(context.Background(), 1)
	require.NoError(t, err)
	require.Len(t, got, 1)
}

func TestReceiverVerifiesSignatures(t *testing.T) {
	secret := signature.NewSecret()
	r := webhooktest.NewReceiver(webhooktest.WithSecrets(secret))
	defer r.Close()
	d := webhooktest.NewDispatcher(t)

	for _, tt := range []struct {
		name    string
		secrets []string
		outcome webhook.Outcome
		err     error
	}{
		{"signed", []string{secret}, webhook.Delivered, nil},
		{"rotated", []string{signature.NewSecret(), secret}, webhook.Delivered, nil},
		{"wrong secret", []string{signature.NewSecret()}, webhook.Failed, signature.ErrInvalidSignature},
		{"unsigned", nil, webhook.Failed, signature.ErrInvalidHeader},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := webhook.Webhook{Name: "signed", URL: r.URL, SigningSecrets: tt.secrets, Triggers: []event.Trigger{accessrequest.Created}}
			inv, err := d.Test(context.Background(), w, accessrequest.Created)
			require.NoError(t, err)
			require.Equal(t, tt.outcome, inv.Outcome, inv.Reason)
			got := r.Requests()
			last := got[len(got)-1]
			require.ErrorIs(t, last.SignatureErr, tt.err)
			require.Equal(t, tt.err == nil, last.Verified)
			if tt.err != nil {
				require.Equal(t, http.StatusUnauthorized, inv.Response.StatusCode)
			}
		})
	}
}

func TestWithSecretsPanicsOnAMalformedSecret(t *testing.T) {
	defer func() {
		msg, _ := recover().(string)
		require.True(t, strings.HasPrefix(msg, "webhooktest: WithSecrets: "), "panic value %q", msg)
		require.NotContains(t, msg, "not-a-secret")
	}()
	webhooktest.NewReceiver(webhooktest.WithSecrets("not-a-secret"))
}

func TestReceiverIsSafeForConcurrentUse(t *testing.T) {
	r := webhooktest.NewReceiver()
	defer r.Close()
	client := newClient(t, 5*time.Second)
	errc := make(chan error, 20)
	for range 20 {
		go func() {
			_, _, _, err := post(t, client, r.URL, "{}")
			errc <- err
		}()
	}
	for range 20 {
		require.NoError(t, <-errc)
	}
	got, err := r.Wait(context.Background(), 20)
	require.NoError(t, err)
	require.Len(t, got, 20)
	require.False(t, errors.Is(err, context.Canceled))
}

// A Dispatcher whose clock is not the wall clock signs with its own time;
// a Receiver given the same clock verifies those signatures.
func TestReceiverVerifiesAtTheDispatchersClock(t *testing.T) {
	secret := signature.NewSecret()
	at := time.Date(2026, 3, 10, 9, 15, 0, 0, time.UTC)
	clock := func() time.Time { return at }
	r := webhooktest.NewReceiver(webhooktest.WithSecrets(secret), webhooktest.WithClock(clock))
	defer r.Close()
	d := webhooktest.NewDispatcher(t, webhook.WithClock(clock))
	_, err := d.Add(webhook.Webhook{Name: "signed", Active: true, URL: r.URL, Triggers: accessrequest.Triggers(), SigningSecrets: []string{secret}})
	require.NoError(t, err)
	e, _ := accessrequest.Mock(accessrequest.Created)
	_, err = d.Publish(context.Background(), e)
	require.NoError(t, err)

	inv := d.WaitFinal(1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	got := r.Requests()
	require.Len(t, got, 1)
	require.True(t, got[0].Verified, "%v", got[0].SignatureErr)
	require.Equal(t, at, got[0].Received)
}
