package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/webhook"
)

const pagerDutyToken = "pd-api-token-7c1e"

// pagerDuty stands in for PagerDuty's REST API (GET /incidents): it
// answers with one incident in the state status holds, or none when it is
// empty, or with the status code it holds ("500").
func pagerDuty(t *testing.T, status *atomic.Value) *receiver {
	return newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Token token="+pagerDutyToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		s := status.Load().(string)
		var code int
		if _, err := fmt.Sscan(s, &code); err == nil {
			w.WriteHeader(code)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if s == "" {
			_, _ = w.Write([]byte(`{"incidents":[],"limit":25,"offset":0,"more":false}`))
			return
		}
		// An echo of the token, as a careless API might: records must redact it.
		fmt.Fprintf(w, `{"incidents":[{"id":"PT4KHLK","type":"incident","status":%q,"urgency":"high","assignments":[{"assignee":{"summary":"Ada"}}]}],"echo":%q}`, s, r.Header.Get("Authorization"))
	})
}

// acknowledgedGate is Apono's PagerDuty recipe: a manual webhook that
// passes when the first incident is acknowledged.
func acknowledgedGate(url string) webhook.Webhook {
	return webhook.Webhook{
		Name: "pagerduty-ack", Active: true, Method: "GET", URL: url + "/incidents",
		Headers:  map[string]string{"Authorization": "Token token=" + pagerDutyToken, "Accept": "application/json"},
		Triggers: []event.Trigger{accessrequest.Created},
		ResponseValidators: []webhook.ResponseValidator{
			{JSONPath: "$.incidents[0].status", ExpectedValues: []string{"acknowledged"}},
		},
		CustomValidationErrorMessage: "Acknowledge your PagerDuty incident before requesting access",
		Delivery:                     &webhook.DeliverySettings{Retry: &fastRetries},
	}
}

func TestGatePagerDutyAcknowledged(t *testing.T) {
	leakcheck.Check(t)
	var status atomic.Value
	pd := pagerDuty(t, &status)
	d, invs := newDispatcher(t)
	w, err := d.Add(acknowledgedGate(pd.URL))
	require.NoError(t, err)
	ctx := context.Background()
	e := mock(t, accessrequest.Created)

	for _, tc := range []struct {
		status  string
		passed  bool
		outcome webhook.Outcome
		message string
	}{
		{"acknowledged", true, webhook.Delivered, ""},
		{"triggered", false, webhook.ValidationFailed, "Acknowledge your PagerDuty incident before requesting access"},
		{"resolved", false, webhook.ValidationFailed, "Acknowledge your PagerDuty incident before requesting access"},
		{"", false, webhook.ValidationFailed, "Acknowledge your PagerDuty incident before requesting access"}, // no incident at all
		{"500", false, webhook.Failed, "status 500 Internal Server Error"},
		{"429", false, webhook.Failed, "status 429 Too Many Requests"},
	} {
		t.Run(fmt.Sprintf("status=%q", tc.status), func(t *testing.T) {
			status.Store(tc.status)
			before := len(pd.got())
			dec, err := d.Gate(ctx, w.ID, e)
			require.NoError(t, err)
			require.Equal(t, tc.passed, dec.Passed)
			require.Equal(t, tc.message, dec.Message)
			require.Equal(t, tc.outcome, dec.Invocation.Outcome)
			require.Equal(t, 1, dec.Invocation.Attempt)
			require.Len(t, pd.got(), before+1, "sent once, never retried")
			require.Equal(t, http.MethodGet, pd.got()[before].method)
			require.NotNil(t, dec.Invocation.Response)

			recorded := <-invs
			require.Equal(t, dec.Invocation.ID, recorded.ID, "the decision's invocation is the one recorded")
			require.Equal(t, tc.outcome, recorded.Outcome)

			out, err := json.Marshal(dec)
			require.NoError(t, err)
			require.NotContains(t, string(out), pagerDutyToken, "the token is redacted, in the request and in the echo")
			require.NotContains(t, dec.Message, pagerDutyToken)
		})
	}
	select {
	case inv := <-invs:
		t.Fatalf("an extra record: %+v", inv)
	default:
	}
}

// The decision says why when a validator's path is not there, and the
// failed path is in the invocation's validation results.
func TestGateValidationResults(t *testing.T) {
	var status atomic.Value
	status.Store("triggered")
	pd := pagerDuty(t, &status)
	d, _ := newDispatcher(t)
	w := acknowledgedGate(pd.URL)
	w.CustomValidationErrorMessage = ""
	w, err := d.Add(w)
	require.NoError(t, err)
	dec, err := d.Gate(context.Background(), w.ID, mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.False(t, dec.Passed)
	require.NotEmpty(t, dec.Message, "a generic message without a custom one")
	require.Len(t, dec.Invocation.Validation, 1)
	require.Equal(t, "$.incidents[0].status", dec.Invocation.Validation[0].Validator)
	require.Equal(t, "triggered", dec.Invocation.Validation[0].Found)
}

// Gates fail closed: an inactive webhook, an event its filters exclude,
// an open breaker and an exhausted rate limit send nothing and do not pass.
func TestGateRefusesWithoutSending(t *testing.T) {
	leakcheck.Check(t)
	ctx := context.Background()
	e := mock(t, accessrequest.Created)

	t.Run("inactive", func(t *testing.T) {
		rc := newReceiver(t, nil)
		d, invs := newDispatcher(t)
		w := acknowledgedGate(rc.URL)
		w.Active = false
		w, err := d.Add(w)
		require.NoError(t, err)
		dec, err := d.Gate(ctx, w.ID, e)
		require.NoError(t, err)
		require.False(t, dec.Passed)
		require.Equal(t, webhook.Skipped, dec.Invocation.Outcome)
		require.Equal(t, "webhook is inactive", dec.Message)
		require.Zero(t, dec.Invocation.Attempt)
		require.Nil(t, dec.Invocation.Request)
		require.Empty(t, rc.got())
		require.Equal(t, dec.Invocation.ID, (<-invs).ID, "recorded")
	})

	t.Run("filtered", func(t *testing.T) {
		rc := newReceiver(t, nil)
		d, _ := newDispatcher(t)
		w := acknowledgedGate(rc.URL)
		w.Filters = filter.Must(filter.New(filter.Eq("data.requester.id", "nobody")))
		w, err := d.Add(w)
		require.NoError(t, err)
		dec, err := d.Gate(ctx, w.ID, e)
		require.NoError(t, err)
		require.False(t, dec.Passed)
		require.Equal(t, webhook.Filtered, dec.Invocation.Outcome)
		require.Contains(t, dec.Message, "data.requester.id")
		require.Empty(t, rc.got())
	})

	t.Run("breaker open", func(t *testing.T) {
		rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) })
		d, _ := newDispatcher(t, webhook.WithBreaker(webhook.BreakerSettings{Threshold: 2, Cooldown: time.Hour}))
		w, err := d.Add(acknowledgedGate(rc.URL))
		require.NoError(t, err)
		for range 2 {
			dec, err := d.Gate(ctx, w.ID, e)
			require.NoError(t, err)
			require.False(t, dec.Passed)
			require.Equal(t, "status 502 Bad Gateway", dec.Message)
		}
		state, err := d.Tenant("").Breaker(w.ID)
		require.NoError(t, err)
		require.Equal(t, webhook.BreakerOpen, state, "the gate's failures count")
		dec, err := d.Gate(ctx, w.ID, e)
		require.NoError(t, err)
		require.False(t, dec.Passed)
		require.Contains(t, dec.Message, "circuit breaker open")
		require.Equal(t, webhook.Failed, dec.Invocation.Outcome)
		require.Zero(t, dec.Invocation.Attempt)
		require.Len(t, rc.got(), 2, "no request while open")
	})

	t.Run("rate limit", func(t *testing.T) {
		rc := newReceiver(t, nil)
		d, _ := newDispatcher(t)
		w := acknowledgedGate(rc.URL)
		w.ResponseValidators = nil
		w.Delivery.RateLimit = &webhook.RateLimit{Requests: 1, Per: webhook.Duration(time.Hour)}
		w, err := d.Add(w)
		require.NoError(t, err)
		dec, err := d.Gate(ctx, w.ID, e)
		require.NoError(t, err)
		require.True(t, dec.Passed)
		start := time.Now()
		dec, err = d.Gate(ctx, w.ID, e)
		require.NoError(t, err)
		require.Less(t, time.Since(start), 10*time.Second, "a slot past the timeout (30 s) is refused at once")
		require.False(t, dec.Passed)
		require.Contains(t, dec.Message, "rate limit")
		require.Len(t, rc.got(), 1)
	})
}

// A slot of the rate limit that comes within the timeout is waited for.
func TestGateWaitsForRateLimitSlot(t *testing.T) {
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	w := acknowledgedGate(rc.URL)
	w.ResponseValidators = nil
	w.Delivery.RateLimit = &webhook.RateLimit{Requests: 1, Per: webhook.Duration(100 * time.Millisecond)}
	w, err := d.Add(w)
	require.NoError(t, err)
	e := mock(t, accessrequest.Created)
	start := time.Now()
	for range 2 {
		dec, err := d.Gate(context.Background(), w.ID, e)
		require.NoError(t, err)
		require.True(t, dec.Passed, dec.Message)
	}
	require.GreaterOrEqual(t, time.Since(start), 90*time.Millisecond, "the second waited for its slot")
	require.Len(t, rc.got(), 2)

	// A ctx that ends while waiting cuts the call short, and says so.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = d.Gate(context.Background(), w.ID, e)
	require.NoError(t, err)
	dec, err := d.Gate(ctx, w.ID, e)
	require.False(t, dec.Passed)
	if err != nil { // the ctx ended while waiting
		require.ErrorIs(t, err, context.DeadlineExceeded)
	} else { // or the deadline came before the slot: refused at once
		require.Contains(t, dec.Message, "rate limit")
	}
	require.Len(t, rc.got(), 3)
}

// The gate sends once within the webhook's timeout: a slow endpoint fails
// it with the timeout's reason, and no retry follows.
func TestGateTimeout(t *testing.T) {
	release := make(chan struct{})
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) })
	d, _ := newDispatcher(t)
	w := acknowledgedGate(rc.URL)
	w.TimeoutInSec = 1
	w, err := d.Add(w)
	require.NoError(t, err)
	start := time.Now()
	dec, err := d.Gate(context.Background(), w.ID, mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Less(t, time.Since(start), 5*time.Second)
	require.False(t, dec.Passed)
	require.Equal(t, "no response within the 1s timeout", dec.Message)
	require.Len(t, rc.got(), 1)
}

func TestGateErrors(t *testing.T) {
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	ctx := context.Background()
	e := mock(t, accessrequest.Created)
	w, err := d.Tenant("acme").Create(ctx, acknowledgedGate(rc.URL), "ada")
	require.NoError(t, err)

	_, err = d.Gate(ctx, "no-such-hook", e)
	require.ErrorIs(t, err, webhook.ErrNotFound)
	_, err = d.Tenant("globex").Gate(ctx, w.ID, e)
	require.ErrorIs(t, err, webhook.ErrNotFound, "another tenant's webhook is not found")
	_, err = d.Gate(ctx, w.ID, e)
	require.ErrorIs(t, err, webhook.ErrNotFound, "nor is it the empty tenant's")
	_, err = d.Tenant("acme").Gate(ctx, w.ID, nil)
	require.Error(t, err)
	dec, err := d.Tenant("acme").Gate(ctx, w.ID, e)
	require.NoError(t, err)
	require.False(t, dec.Passed, "the receiver answers without incidents")
	require.Equal(t, "acme", dec.Invocation.Tenant)
	require.True(t, strings.HasSuffix(rc.got()[0].path, "/incidents"))

	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, d.Close(cctx))
	_, err = d.Tenant("acme").Gate(ctx, w.ID, e)
	require.ErrorIs(t, err, webhook.ErrClosed)
}

// A call cut short by its ctx returns ctx's error, and is recorded still,
// by a store that writes nothing under an ended ctx.
func TestGateCutShortIsRecorded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		cancel() // the flow gives up while the endpoint thinks
		<-r.Context().Done()
	})
	store := deadlineStore{webhook.NewMemoryStore(10, 10)}
	d, _ := newDispatcher(t, webhook.WithInvocationStore(store))
	w, err := d.Add(acknowledgedGate(rc.URL))
	require.NoError(t, err)
	dec, err := d.Gate(ctx, w.ID, mock(t, accessrequest.Created))
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, dec.Passed)
	require.Equal(t, webhook.Failed, dec.Invocation.Outcome)
	got, err := store.Invocations(context.Background(), w.ID, 10)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, dec.Invocation.ID, got[0].ID)
}

// A gate created on one instance can be called on another at once, before
// that one's follower has read the store.
func TestGateFindsWebhookCreatedElsewhere(t *testing.T) {
	var status atomic.Value
	status.Store("acknowledged")
	pd := pagerDuty(t, &status)
	mem := defstore.NewMemory()
	a, _ := newDispatcher(t, webhook.WithDefinitionStore(mem))
	b, _ := newDispatcher(t, webhook.WithDefinitionStore(deafStore{mem}), webhook.WithSyncInterval(time.Hour))
	ctx := context.Background()
	w, err := a.Tenant("acme").Create(ctx, acknowledgedGate(pd.URL), "ada")
	require.NoError(t, err)
	dec, err := b.Tenant("acme").Gate(ctx, w.ID, mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.True(t, dec.Passed, dec.Message)
}

// Switched off with SetActive, a gate no longer passes; switched on, it
// does again.
func TestGateFollowsSetActive(t *testing.T) {
	var status atomic.Value
	status.Store("acknowledged")
	pd := pagerDuty(t, &status)
	d, _ := newDispatcher(t)
	ctx := context.Background()
	tn := d.Tenant("acme")
	w, err := tn.Create(ctx, acknowledgedGate(pd.URL), "ada")
	require.NoError(t, err)
	e := mock(t, accessrequest.Created)
	for _, active := range []bool{false, true} {
		w, err = tn.SetActive(ctx, w.ID, active, 0, "ada")
		require.NoError(t, err)
		dec, err := tn.Gate(ctx, w.ID, e)
		require.NoError(t, err)
		require.Equal(t, active, dec.Passed, dec.Message)
	}
	require.Len(t, pd.got(), 1)
	raw, err := json.Marshal(webhook.Decision{Passed: true})
	require.NoError(t, err)
	require.Contains(t, string(raw), `"passed":true`)
}
