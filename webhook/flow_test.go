package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/template"
	"github.com/outhook/outhook/webhook"
)

func requestEvent(t *testing.T, trigger event.Trigger, id string) *event.Event {
	e, err := event.New(trigger, map[string]any{"id": id, "requester": map[string]any{"name": "n"}})
	require.NoError(t, err)
	return e
}

func TestOrderingPerKeyUnderConcurrency(t *testing.T) {
	var mu sync.Mutex
	seen := map[string][]string{}
	failedOnce := map[string]bool{}
	var rc *receiver
	rc = newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		var got struct{ ID, T string }
		require.NoError(t, json.Unmarshal([]byte(rc.got()[n-1].body), &got))
		mu.Lock()
		defer mu.Unlock()
		// Every Approved fails once, so the Granted behind it must wait for
		// its retry.
		if got.T == "RequestApproved" && !failedOnce[got.ID] {
			failedOnce[got.ID] = true
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		seen[got.ID] = append(seen[got.ID], got.T)
		w.WriteHeader(http.StatusOK)
	})
	// The breaker is off: ten Approved failing in a row would open it.
	d, invs := newDispatcher(t, webhook.WithConcurrency(8), webhook.WithBreaker(webhook.BreakerSettings{Threshold: -1}))
	w := torqLike(rc.URL)
	w.BodyTemplate = `{"id":"{{data.id}}","t":"{{event_type}}"}`
	w.Delivery = &webhook.DeliverySettings{OrderingKey: "data.id"}
	_, err := d.Add(w)
	require.NoError(t, err)

	const requests = 10
	for _, trigger := range []event.Trigger{accessrequest.Created, accessrequest.Approved, accessrequest.Granted} {
		for i := range requests {
			_, err := d.Publish(context.Background(), requestEvent(t, trigger, fmt.Sprint("req-", i)))
			require.NoError(t, err)
		}
	}
	for _, inv := range waitFinal(t, invs, 3*requests) {
		require.Equal(t, webhook.Delivered, inv.Outcome)
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, requests)
	for id, order := range seen {
		require.Equal(t, []string{"RequestCreated", "RequestApproved", "RequestGranted"}, order, id)
	}
}

func TestRateLimitSpacesDeliveries(t *testing.T) {
	rc := newReceiver(t, nil)
	d, invs := newDispatcher(t)
	w := torqLike(rc.URL)
	w.Delivery = &webhook.DeliverySettings{RateLimit: &webhook.RateLimit{Requests: 50, Per: webhook.Duration(time.Second), Burst: 1}}
	_, err := d.Add(w)
	require.NoError(t, err)
	start := time.Now()
	const n = 20
	for range n {
		_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	for _, inv := range waitFinal(t, invs, n) {
		require.Equal(t, webhook.Delivered, inv.Outcome)
		require.Equal(t, 1, inv.Attempt, "waiting for the rate limit is not an attempt")
	}
	// A limit can only slow deliveries down, so this bound holds on any
	// machine: 19 gaps of 20 ms after the first.
	require.GreaterOrEqual(t, time.Since(start), (n-1)*20*time.Millisecond*9/10)

	bad := torqLike(rc.URL)
	bad.Name = "bad"
	bad.Delivery = &webhook.DeliverySettings{RateLimit: &webhook.RateLimit{Requests: 0, Per: webhook.Duration(time.Second)}}
	_, err = d.Add(bad)
	require.ErrorIs(t, err, webhook.ErrInvalidSettings)
}

type transition struct {
	from, to webhook.BreakerState
}

func TestBreakerOpensProbesAndCloses(t *testing.T) {
	var mu sync.Mutex
	healthy := false
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if !healthy {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	changes := make(chan transition, 16)
	d, invs := newDispatcher(t,
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 3, Cooldown: 100 * time.Millisecond, MaxCooldown: 100 * time.Millisecond}),
		webhook.WithBreakerHook(func(id string, from, to webhook.BreakerState) { changes <- transition{from, to} }),
	)
	_, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	for range 3 {
		_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	for _, inv := range waitFinal(t, invs, 3) {
		require.Equal(t, webhook.Failed, inv.Outcome)
	}
	require.Equal(t, transition{webhook.BreakerClosed, webhook.BreakerOpen}, <-changes)

	// While open, a new delivery is held, not sent.
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Approved))
	require.NoError(t, err)
	require.Len(t, rc.got(), 3)
	// After the cool-down it is the probe; it fails and re-opens the breaker.
	require.Equal(t, transition{webhook.BreakerOpen, webhook.BreakerHalfOpen}, <-changes)
	require.Equal(t, transition{webhook.BreakerHalfOpen, webhook.BreakerOpen}, <-changes)
	probe := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Failed, probe.Outcome)
	require.Equal(t, accessrequest.Approved, probe.EventType)

	// The endpoint recovers: the next delivery waits for the cool-down,
	// probes, succeeds, and closes the breaker.
	mu.Lock()
	healthy = true
	mu.Unlock()
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Granted))
	require.NoError(t, err)
	require.Equal(t, transition{webhook.BreakerOpen, webhook.BreakerHalfOpen}, <-changes)
	require.Equal(t, transition{webhook.BreakerHalfOpen, webhook.BreakerClosed}, <-changes)
	last := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, last.Outcome)
	require.Equal(t, 1, last.Attempt, "holding for the breaker is not an attempt")
	require.Len(t, rc.got(), 5)
}

func TestGoneDisablesUntilReset(t *testing.T) {
	var mu sync.Mutex
	gone := true
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if gone {
			w.WriteHeader(http.StatusGone)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	changes := make(chan transition, 4)
	d, invs := newDispatcher(t, webhook.WithBreakerHook(func(id string, from, to webhook.BreakerState) { changes <- transition{from, to} }))
	w, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)

	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Equal(t, 1, inv.Attempt, "410 is not retried")
	require.Equal(t, transition{webhook.BreakerClosed, webhook.BreakerDisabled}, <-changes)

	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv = waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Contains(t, inv.Reason, "410 Gone")
	require.Len(t, rc.got(), 1, "nothing is sent to a disabled webhook")

	mu.Lock()
	gone = false
	mu.Unlock()
	require.NoError(t, d.ResetBreaker(w.ID))
	require.Equal(t, transition{webhook.BreakerDisabled, webhook.BreakerClosed}, <-changes)
	dead, err := d.DeadLetters(context.Background(), w.ID, 0)
	require.NoError(t, err)
	require.Len(t, dead, 2)
	for _, dl := range dead {
		require.NoError(t, d.Redeliver(context.Background(), dl.DeliveryID))
	}
	for _, inv := range waitFinal(t, invs, 2) {
		require.Equal(t, webhook.Delivered, inv.Outcome)
	}
	require.ErrorIs(t, d.ResetBreaker("nope"), webhook.ErrNotFound)
}

func TestBreakerFailFast(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	d, invs := newDispatcher(t,
		webhook.WithConcurrency(1), // one after another, so the first failure opens the breaker before the next asks
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 1, Cooldown: time.Hour, FailFast: true}),
	)
	_, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	for range 3 {
		_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	reasons := map[string]int{}
	for _, inv := range waitFinal(t, invs, 3) {
		require.Equal(t, webhook.Failed, inv.Outcome)
		reasons[inv.Reason]++
	}
	require.Equal(t, map[string]int{"status 502 Bad Gateway": 1, "circuit breaker open: the endpoint keeps failing": 2}, reasons)
	require.Len(t, rc.got(), 1)
}

func TestRedirects(t *testing.T) {
	target := newReceiver(t, nil)
	redirector := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		default:
			http.Redirect(w, r, target.URL+"/landed", http.StatusTemporaryRedirect)
		}
	})
	d, invs := newDispatcher(t)
	add := func(name, path string, hops int) {
		w := torqLike(redirector.URL + path)
		w.Name = name
		if hops > 0 {
			w.Delivery = &webhook.DeliverySettings{MaxRedirects: hops}
		}
		_, err := d.Add(w)
		require.NoError(t, err)
	}
	add("none", "/a", 0)
	add("follow", "/b", 1)
	add("metadata", "/metadata", 2)
	_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	byName := map[string]webhook.Invocation{}
	for _, inv := range waitFinal(t, invs, 3) {
		byName[inv.WebhookName] = inv
	}
	require.Equal(t, webhook.Failed, byName["none"].Outcome)
	require.Equal(t, "status 307 Temporary Redirect", byName["none"].Reason)
	require.Equal(t, 1, byName["none"].Attempt, "a 3xx is not retried")
	require.Equal(t, webhook.Delivered, byName["follow"].Outcome)
	require.Equal(t, webhook.Failed, byName["metadata"].Outcome)
	require.Contains(t, byName["metadata"].Reason, "blocked by the SSRF guard")
	require.Contains(t, byName["metadata"].Reason, "169.254.169.254")
	require.Len(t, target.got(), 1)
	require.Equal(t, "", target.got()[0].header.Get("Authorization"), "credentials do not follow a redirect to another host")
}

func TestStrictTemplateFailureIsADeadLetterWithoutAttempt(t *testing.T) {
	rc := newReceiver(t, nil)
	d, invs := newDispatcher(t, webhook.WithTemplateOptions(template.WithStrict()))
	w := torqLike(rc.URL)
	w.BodyTemplate = `{"bundle":"{{data.access_bundle.name}}"}`
	hook, err := d.Add(w)
	require.NoError(t, err)
	e := requestEvent(t, accessrequest.Created, "req-1") // has no access_bundle
	_, err = d.Publish(context.Background(), e)
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.Equal(t, 0, inv.Attempt)
	require.Contains(t, inv.Reason, "rendering the body")
	require.Contains(t, inv.Reason, "data.access_bundle.name")
	dead, err := d.DeadLetters(context.Background(), hook.ID, 0)
	require.NoError(t, err)
	require.Len(t, dead, 1)
	require.Empty(t, rc.got())

	tested, err := d.TestEvent(context.Background(), w, e)
	require.NoError(t, err)
	require.Equal(t, webhook.Failed, tested.Outcome)
	require.Contains(t, tested.Reason, "rendering the body")
}

// Breaker hooks chain as invocation hooks do: each one given hears every
// change, in the order given.
func TestBreakerHooksChain(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	var mu sync.Mutex
	var heard []string
	hear := func(who string) func(string, webhook.BreakerState, webhook.BreakerState) {
		return func(_ string, _, to webhook.BreakerState) {
			mu.Lock()
			defer mu.Unlock()
			heard = append(heard, who+":"+string(to))
		}
	}
	d, invs := newDispatcher(t,
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 1, Cooldown: time.Hour}),
		webhook.WithBreakerHook(hear("pager")), webhook.WithBreakerHook(nil), webhook.WithBreakerHook(hear("audit")),
	)
	_, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	waitFinal(t, invs, 1)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(heard) == 2
	}, 5*time.Second, time.Millisecond)
	require.Equal(t, []string{"pager:open", "audit:open"}, heard)
}

// A body that carries secrets does not follow a redirect to another host
// that would send it again (307, 308): the headers' credentials are
// dropped on such a hop, and the body's must not go in their place. A
// redirect on the same host, or one that turns the request into a GET
// without a body, is followed as the webhook allows.
func TestRedirectsKeepBodySecretsOnTheirHost(t *testing.T) {
	const key = "R0UT1NG-KEY-0123456789"
	elsewhere := newReceiver(t, nil)
	target := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, elsewhere.URL+"/landed", http.StatusTemporaryRedirect)
		case "/away-permanently":
			http.Redirect(w, r, elsewhere.URL+"/landed", http.StatusPermanentRedirect)
		case "/here":
			http.Redirect(w, r, "/landed", http.StatusTemporaryRedirect)
		case "/away-as-get":
			http.Redirect(w, r, elsewhere.URL+"/got", http.StatusSeeOther)
		}
	})
	d, invs := newDispatcher(t)
	for _, path := range []string{"/away", "/away-permanently", "/here", "/away-as-get"} {
		w := torqLike(target.URL + path)
		w.Name = strings.TrimPrefix(path, "/")
		w.BodyTemplate = `{"routing_key":"{{secrets.key}}"}`
		w.Secrets = map[string]string{"key": key}
		w.Delivery = &webhook.DeliverySettings{MaxRedirects: 2}
		_, err := d.Add(w)
		require.NoError(t, err)
	}
	_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	byName := map[string]webhook.Invocation{}
	for _, inv := range waitFinal(t, invs, 4) {
		byName[inv.WebhookName] = inv
	}
	require.Equal(t, "status 307 Temporary Redirect", byName["away"].Reason)
	require.Equal(t, "status 308 Permanent Redirect", byName["away-permanently"].Reason)
	require.Equal(t, webhook.Delivered, byName["here"].Outcome, byName["here"].Reason)
	require.Equal(t, webhook.Delivered, byName["away-as-get"].Outcome, byName["away-as-get"].Reason)
	for _, r := range elsewhere.got() {
		require.NotContains(t, r.body, key, "%s %s", r.method, r.path)
		require.Equal(t, "/got", r.path)
	}
	require.Len(t, elsewhere.got(), 1)
}
