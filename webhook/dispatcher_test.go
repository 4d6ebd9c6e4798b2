package webhook_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/webhook"
)

// receiver is an httptest server that records what it gets and answers
// with respond (200 when nil).
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []received
	respond  func(n int, w http.ResponseWriter, r *http.Request)
}

type received struct {
	header http.Header
	body   string
	method string
	path   string
}

func newReceiver(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	rc := &receiver{respond: respond}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.requests = append(rc.requests, received{header: r.Header.Clone(), body: string(body), method: r.Method, path: r.URL.Path})
		n := len(rc.requests)
		rc.mu.Unlock()
		if rc.respond != nil {
			rc.respond(n, w, r)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.requests...)
}

// fastRetries retries at once, so that retry tests take no time.
var fastRetries = webhook.RetryPolicy{MaxAttempts: 4, InitialInterval: webhook.Duration(time.Millisecond), MaxInterval: webhook.Duration(2 * time.Millisecond), MaxRetryAfter: webhook.Duration(5 * time.Millisecond)}

// newDispatcher returns a Dispatcher for loopback receivers that records
// every invocation on a channel, and closes it when the test ends.
func newDispatcher(t *testing.T, opts ...webhook.Option) (*webhook.Dispatcher, chan webhook.Invocation) {
	t.Helper()
	invs := make(chan webhook.Invocation, 10000)
	base := []webhook.Option{
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"), // the loopback receiver; the SSRF guard blocks it otherwise
		webhook.WithRetryPolicy(fastRetries),
		webhook.WithInvocationHook(func(inv webhook.Invocation) { invs <- inv }),
	}
	d, err := webhook.New(append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, d.Close(ctx))
	})
	return d, invs
}

// waitFinal waits for n final invocations and returns them. It fails when
// none comes for 10s: a stall, not a slow machine, whose thousands of
// deliveries may take longer than that in all.
func waitFinal(t *testing.T, invs chan webhook.Invocation, n int) []webhook.Invocation {
	t.Helper()
	var out []webhook.Invocation
	silence := time.NewTimer(10 * time.Second)
	defer silence.Stop()
	for len(out) < n {
		select {
		case inv := <-invs:
			if inv.Outcome.Final() {
				out = append(out, inv)
				silence.Reset(10 * time.Second)
			}
		case <-silence.C:
			t.Fatalf("got %d of %d final invocations, then none for 10s", len(out), n)
		}
	}
	return out
}

func torqLike(url string) webhook.Webhook {
	return webhook.Webhook{
		Name:         "torq-prod",
		Active:       true,
		URL:          url,
		Headers:      map[string]string{"Authorization": "Bearer s3cr3t-token"},
		BodyTemplate: `{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}"}}`,
		Triggers:     accessrequest.Triggers(),
	}
}

func mock(t *testing.T, trigger event.Trigger) *event.Event {
	e, ok := accessrequest.Mock(trigger)
	require.True(t, ok)
	return e
}

func TestPublishDeliversRenderedBody(t *testing.T) {
	leakcheck.Check(t)
	rc := newReceiver(t, nil)
	d, invs := newDispatcher(t)
	w, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	require.NotEmpty(t, w.ID)

	pub, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Len(t, pub.Deliveries, 1)

	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.Equal(t, 1, inv.Attempt)
	require.Equal(t, pub.Deliveries[0].DeliveryID, inv.DeliveryID)

	got := rc.got()
	require.Len(t, got, 1)
	require.Equal(t, http.MethodPost, got[0].method)
	require.JSONEq(t, `{"body":{"event":"New Apono RequestCreated request made by Zoë Ångström-Okafor"}}`, got[0].body)
	require.Equal(t, "Bearer s3cr3t-token", got[0].header.Get("Authorization"))
	require.Equal(t, "application/json", got[0].header.Get("Content-Type"))
	require.Equal(t, inv.DeliveryID, got[0].header.Get("Webhook-Id"))

	// The record shows the request as sent, with the secret redacted.
	require.Equal(t, got[0].body, inv.Request.Body)
	require.Equal(t, "REDACTED", inv.Request.Header.Get("Authorization"))
	require.Equal(t, http.StatusOK, inv.Response.StatusCode)
	stored, err := d.Invocations(context.Background(), w.ID, 10)
	require.NoError(t, err)
	require.Len(t, stored, 1)
	require.Equal(t, inv.ID, stored[0].ID)
}

// Credentials in the URL are sent as Basic authentication, as http.Client
// sends them, and recorded neither in the header nor in the URL.
func TestURLCredentialsAreBasicAuth(t *testing.T) {
	rc := newReceiver(t, nil)
	d, invs := newDispatcher(t)
	w := torqLike(strings.Replace(rc.URL, "http://", "http://ada:pa55word@", 1))
	w.Headers = nil
	_, err := d.Add(w)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)

	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	got := rc.got()
	require.Len(t, got, 1)
	require.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte("ada:pa55word")), got[0].header.Get("Authorization"))
	require.Equal(t, "REDACTED", inv.Request.Header.Get("Authorization"))
	require.NotContains(t, inv.Request.URL, "pa55word")
}

func TestHostileValuesStayValidJSON(t *testing.T) {
	rc := newReceiver(t, nil)
	d, invs := newDispatcher(t)
	w := torqLike(rc.URL)
	w.BodyTemplate = `{"why":"{{data.justification}}","who":"{{data.requester.name}}","ends":{{data.revocation_date}},"groups":{{json data.access_groups}}}`
	_, err := d.Add(w)
	require.NoError(t, err)
	for _, e := range accessrequest.Mocks() {
		_, err := d.Publish(context.Background(), e)
		require.NoError(t, err)
	}
	for _, inv := range waitFinal(t, invs, 6) {
		require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	}
	for _, r := range rc.got() {
		require.True(t, json.Valid([]byte(r.body)), r.body)
	}
	var created struct{ Why string }
	for _, r := range rc.got() {
		if strings.Contains(r.body, "RB-77") {
			require.NoError(t, json.Unmarshal([]byte(r.body), &created))
		}
	}
	var ev accessrequest.Event
	require.NoError(t, mock(t, accessrequest.Created).Decode(&ev))
	require.Equal(t, ev.Data.Justification, created.Why, "the value decodes back exactly")
}

func TestRoutingByTriggerFilterAndActive(t *testing.T) {
	rc := newReceiver(t, nil)
	d, invs := newDispatcher(t, webhook.WithRecordFiltered(true))
	mk := func(name string, active bool, triggers []event.Trigger, f *filter.Filter) string {
		w := torqLike(rc.URL + "/" + name)
		w.Name, w.Active, w.Triggers, w.Filters = name, active, triggers, f
		added, err := d.Add(w)
		require.NoError(t, err)
		return added.ID
	}
	granted := mk("granted", true, []event.Trigger{"AccessRequestGranted"}, nil)
	mk("created", true, []event.Trigger{accessrequest.Created}, nil)
	inactive := mk("inactive", false, []event.Trigger{accessrequest.Granted}, nil)
	aws := mk("aws", true, []event.Trigger{accessrequest.Granted}, filter.Must(filter.New(filter.IntegrationType("AWS"))))

	pub, err := d.Publish(context.Background(), mock(t, accessrequest.Granted))
	require.NoError(t, err)
	require.Len(t, pub.Deliveries, 1)
	require.Equal(t, granted, pub.Deliveries[0].WebhookID)
	require.Equal(t, 1, pub.Filtered)
	require.Equal(t, 1, pub.Inactive)

	byHook := map[string]webhook.Invocation{}
	for _, inv := range waitFinal(t, invs, 3) {
		byHook[inv.WebhookID] = inv
	}
	require.Equal(t, webhook.Delivered, byHook[granted].Outcome)
	require.Equal(t, webhook.Skipped, byHook[inactive].Outcome)
	require.Equal(t, webhook.Filtered, byHook[aws].Outcome)
	require.Contains(t, byHook[aws].Reason, "Postgresql", "the explanation names the value found")
	require.Len(t, rc.got(), 1)
}

func TestRetriesSendSameBytesAndHonourRetryAfter(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			w.Header().Set("Retry-After", "3600") // capped at MaxRetryAfter (5ms)
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.WriteHeader(http.StatusAccepted)
		}
	})
	d, invs := newDispatcher(t)
	_, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Approved))
	require.NoError(t, err)

	final := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, final.Outcome)
	require.Equal(t, 3, final.Attempt)
	got := rc.got()
	require.Len(t, got, 3)
	for _, r := range got[1:] {
		require.Equal(t, got[0].body, r.body, "every retry sends the same bytes")
		require.Equal(t, got[0].header.Get("Webhook-Id"), r.header.Get("Webhook-Id"), "and the same webhook-id")
	}
}

func TestNoRetryOn4xxAndDeadLetterRedeliver(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"bad field"}`)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	d, invs := newDispatcher(t)
	w, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Rejected))
	require.NoError(t, err)

	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Equal(t, 1, inv.Attempt, "a 400 is not retried")
	require.Equal(t, "status 400 Bad Request", inv.Reason)
	require.Equal(t, `{"error":"bad field"}`, inv.Response.Body)

	dead, err := d.DeadLetters(context.Background(), w.ID, 0)
	require.NoError(t, err)
	require.Len(t, dead, 1)
	require.Equal(t, inv.DeliveryID, dead[0].DeliveryID)

	fail.Store(false)
	require.NoError(t, d.Redeliver(context.Background(), inv.DeliveryID))
	again := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, again.Outcome)
	require.Equal(t, inv.DeliveryID, again.DeliveryID, "a redelivery keeps the delivery id")
	dead, err = d.DeadLetters(context.Background(), w.ID, 0)
	require.NoError(t, err)
	require.Empty(t, dead)
	require.ErrorIs(t, d.Redeliver(context.Background(), inv.DeliveryID), webhook.ErrNotFound)
}

func TestRetriesExhaustedBecomeDeadLetters(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	d, invs := newDispatcher(t)
	_, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Failed))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Equal(t, fastRetries.MaxAttempts, inv.Attempt)
	require.Len(t, rc.got(), fastRetries.MaxAttempts)
}

func TestConnectionResetIsRetried(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // RST instead of FIN
				}
				conn.Close()
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	d, invs := newDispatcher(t)
	_, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	final := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, final.Outcome)
	require.Equal(t, 2, final.Attempt)
}

func TestTimeoutEndsAStalledAttempt(t *testing.T) {
	release := make(chan struct{})
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	d, invs := newDispatcher(t, webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}))
	w := torqLike(rc.URL)
	w.TimeoutInSec = 1
	_, err := d.Add(w)
	require.NoError(t, err)
	start := time.Now()
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Equal(t, "no response within the 1s timeout", inv.Reason)
	require.Less(t, time.Since(start), 3*time.Second)
}

// A worker whose attempt ran out of time makes its next attempt in a fresh
// context: the retry of the stalled delivery is delivered.
func TestRetryAfterTimeoutOnTheSameWorker(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	d, invs := newDispatcher(t, webhook.WithWorkers(1))
	w := torqLike(rc.URL)
	w.TimeoutInSec = 1
	_, err := d.Add(w)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)

	var first webhook.Invocation
	select {
	case first = <-invs:
	case <-time.After(10 * time.Second):
		t.Fatal("no invocation")
	}
	require.Equal(t, webhook.Retrying, first.Outcome)
	require.Equal(t, "no response within the 1s timeout", first.Reason)
	final := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, final.Outcome, final.Reason)
	require.Equal(t, 2, final.Attempt)
}

func TestResponseValidators(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"queued","execution":{"id":"ex-1"}}`)
	})
	for _, tt := range []struct {
		name     string
		retry    bool
		expected []string
		outcome  webhook.Outcome
		attempts int
	}{
		{"passes", false, []string{"queued", "done"}, webhook.Delivered, 1},
		{"fails final", false, []string{"done"}, webhook.ValidationFailed, 1},
		{"fails retried", true, []string{"done"}, webhook.ValidationFailed, fastRetries.MaxAttempts},
	} {
		t.Run(tt.name, func(t *testing.T) {
			policy := fastRetries
			policy.RetryValidationFailures = tt.retry
			d, invs := newDispatcher(t, webhook.WithRetryPolicy(policy))
			w := torqLike(rc.URL)
			w.ResponseValidators = []webhook.ResponseValidator{{JSONPath: "$.data.status", ExpectedValues: tt.expected}}
			w.CustomValidationErrorMessage = "Torq did not queue the workflow"
			_, err := d.Add(w)
			require.NoError(t, err)
			_, err = d.Publish(context.Background(), mock(t, accessrequest.Granted))
			require.NoError(t, err)
			inv := waitFinal(t, invs, 1)[0]
			require.Equal(t, tt.outcome, inv.Outcome)
			require.Equal(t, tt.attempts, inv.Attempt)
			require.Len(t, inv.Validation, 1)
			require.Equal(t, "queued", inv.Validation[0].Found)
			if tt.outcome != webhook.Delivered {
				require.Equal(t, "Torq did not queue the workflow", inv.Reason)
			}
		})
	}
}

func TestTestSendsMockEvent(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	d, _ := newDispatcher(t)
	w := torqLike(rc.URL + "/hook?token=abc123")
	w.Active = false
	inv, err := d.Test(context.Background(), w, "AccessRequestExpired")
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome)
	require.Equal(t, accessrequest.Expired, inv.EventType)
	require.JSONEq(t, `{"body":{"event":"New Apono RequestExpired request made by 佐藤 花子"}}`, inv.Request.Body)
	require.NotContains(t, inv.Request.URL, "abc123")
	require.Equal(t, "REDACTED", inv.Request.Header.Get("Authorization"))
	require.Equal(t, `{"ok":true}`, inv.Response.Body)
	require.Len(t, rc.got(), 1)

	_, err = d.Test(context.Background(), w, "invoice.paid")
	require.Error(t, err)
	bad := w
	bad.URL = "ftp://x"
	_, err = d.Test(context.Background(), bad, accessrequest.Created)
	require.ErrorIs(t, err, webhook.ErrInvalidURL)
}

func TestSlowEndpointDoesNotDelayOthers(t *testing.T) {
	stall := make(chan struct{})
	slow := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-stall:
		case <-r.Context().Done():
		}
	})
	fast := newReceiver(t, nil)
	d, invs := newDispatcher(t, webhook.WithWorkers(4), webhook.WithConcurrency(2), webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}))
	sw := torqLike(slow.URL)
	sw.Name, sw.Triggers = "slow", []event.Trigger{accessrequest.Created}
	slowHook, err := d.Add(sw)
	require.NoError(t, err)
	fw := torqLike(fast.URL)
	fw.Name = "fast"
	fastHook, err := d.Add(fw)
	require.NoError(t, err)

	for range 20 {
		_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	// Every fast delivery completes while the slow endpoint holds its two
	// workers.
	for _, inv := range waitFinal(t, invs, 20) {
		require.Equal(t, fastHook.ID, inv.WebhookID)
		require.Equal(t, webhook.Delivered, inv.Outcome)
	}
	close(stall)
	rest := waitFinal(t, invs, 20)
	for _, inv := range rest {
		require.Equal(t, slowHook.ID, inv.WebhookID)
	}
}

// stalledReceiver answers nothing until release is called. Make it before
// the Dispatcher and pass release to t.Cleanup after, so that cleanups run
// release, then the Dispatcher's Close, then the receiver's.
func stalledReceiver(t *testing.T) (rc *receiver, release func()) {
	stall := make(chan struct{})
	rc = newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-stall:
		case <-r.Context().Done():
		}
	})
	return rc, func() { close(stall) }
}

func TestQueuePolicies(t *testing.T) {
	t.Run("reject", func(t *testing.T) {
		rc, release := stalledReceiver(t)
		d, _ := newDispatcher(t, webhook.WithQueue(2, webhook.QueueReject), webhook.WithConcurrency(1))
		t.Cleanup(release)
		w, err := d.Add(torqLike(rc.URL))
		require.NoError(t, err)
		for range 2 {
			_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
			require.NoError(t, err)
		}
		pub, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
		var qf *webhook.QueueFullError
		require.ErrorAs(t, err, &qf)
		require.ErrorIs(t, err, webhook.ErrQueueFull)
		require.Equal(t, []string{w.ID}, qf.WebhookIDs)
		require.Empty(t, pub.Deliveries)
		dead, err := d.DeadLetters(context.Background(), w.ID, 0)
		require.NoError(t, err)
		require.Len(t, dead, 1, "the rejected delivery is kept")
		require.Contains(t, dead[0].Reason, "queue full")
	})

	t.Run("block until ctx", func(t *testing.T) {
		rc, release := stalledReceiver(t)
		d, _ := newDispatcher(t, webhook.WithQueue(1, webhook.QueueBlock), webhook.WithConcurrency(1))
		t.Cleanup(release)
		_, err := d.Add(torqLike(rc.URL))
		require.NoError(t, err)
		_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err = d.Publish(ctx, mock(t, accessrequest.Created))
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

func TestCloseDrainsAndAbandonsWhatIsLeft(t *testing.T) {
	leakcheck.Check(t)
	stall := make(chan struct{})
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-stall:
		case <-r.Context().Done():
		}
	})
	defer close(stall)
	invs := make(chan webhook.Invocation, 100)
	d, err := webhook.New(
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"), // the loopback receiver; the SSRF guard blocks it otherwise
		webhook.WithConcurrency(1),
		webhook.WithInvocationHook(func(inv webhook.Invocation) { invs <- inv }),
	)
	require.NoError(t, err)
	w, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	for range 3 {
		_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, d.Close(ctx), context.DeadlineExceeded)
	require.NoError(t, d.Close(context.Background()), "a second Close does nothing")

	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.ErrorIs(t, err, webhook.ErrClosed)
	_, err = d.Add(torqLike(rc.URL))
	require.ErrorIs(t, err, webhook.ErrClosed)

	// Nothing is lost: the one in flight and the two queued are dead letters.
	dead, err := d.DeadLetters(context.Background(), w.ID, 0)
	require.NoError(t, err)
	require.Len(t, dead, 3)
	close(invs)
	final := 0
	for inv := range invs {
		if inv.Outcome.Final() {
			require.Equal(t, webhook.Failed, inv.Outcome)
			final++
		}
	}
	require.Equal(t, 3, final)
}

func TestRegistryIsSafeWhilePublishing(t *testing.T) {
	rc := newReceiver(t, nil)
	d, invs := newDispatcher(t)
	base, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var published atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Bounded below the queue's size and the invocation channel's, so
		// that no copy is refused for room and no hook waits for a reader.
		for ctx.Err() == nil && published.Load() < 8000 {
			pub, err := d.Publish(ctx, mock(t, accessrequest.Created))
			if err == nil {
				published.Add(int64(len(pub.Deliveries)))
			}
		}
	}()
	for i := range 50 {
		w := torqLike(rc.URL)
		w.Name = "churn" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		added, err := d.Add(w)
		require.NoError(t, err)
		added.BodyTemplate = `{"n":"{{data.friendly_id}}"}`
		_, err = d.Update(added)
		require.NoError(t, err)
		require.NoError(t, d.Remove(added.ID))
	}
	cancel()
	wg.Wait()
	require.Len(t, d.List(), 1)
	got, ok := d.Get(base.ID)
	require.True(t, ok)
	require.Equal(t, base, got)
	n := int(published.Load())
	outcomes := map[webhook.Outcome]int{}
	for _, inv := range waitFinal(t, invs, n) {
		outcomes[inv.Outcome]++
	}
	require.Equal(t, n, outcomes[webhook.Delivered]+outcomes[webhook.Skipped], "each delivery ends delivered, or skipped when its webhook was removed first: %v", outcomes)
}

func TestSSRFGuardIsOnByDefault(t *testing.T) {
	rc := newReceiver(t, nil)
	invs := make(chan webhook.Invocation, 10)
	d, err := webhook.New(
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithInvocationHook(func(inv webhook.Invocation) { invs <- inv }),
	)
	require.NoError(t, err)
	defer d.Close(context.Background())
	_, err = d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Equal(t, 1, inv.Attempt, "a blocked address is not retried")
	require.Contains(t, inv.Reason, "blocked by the SSRF guard")
	require.Contains(t, inv.Reason, "127.0.0.1")
	require.Empty(t, rc.got(), "nothing reached the receiver")

	_, err = webhook.New(webhook.WithAllowedTargets("not a host!"))
	require.Error(t, err)
}
