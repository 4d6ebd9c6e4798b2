package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

// Deliveries in flight at once, answered with bodies of every length, with
// and without a Content-Length, each record shows its own response: the
// body, cut at the record's bound and said to be, and what the validator
// found in it, however the Dispatcher reuses what it reads responses
// into. Run with -race.
func TestConcurrentResponsesEachRecordTheirOwnBody(t *testing.T) {
	const deliveries, bound = 120, 100
	var mu sync.Mutex
	sent := map[string]string{} // by delivery id
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("Webhook-Id")
		body := fmt.Sprintf(`{"id":%q,"pad":"%s"}`, id, strings.Repeat(strconv.Itoa(n%10), n*7%300))
		mu.Lock()
		sent[id+r.URL.Path] = body
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if n%2 == 0 {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		} else {
			w.(http.Flusher).Flush() // chunked: no length announced
		}
		_, _ = w.Write([]byte(body))
	})
	d, invs := newDispatcher(t, webhook.WithMaxResponseBytes(bound), webhook.WithWorkers(8), webhook.WithConcurrency(8))
	validated := torqLike(rc.URL + "/validated")
	validated.ResponseValidators = []webhook.ResponseValidator{{JSONPath: "$.data.id"}}
	_, err := d.Add(validated)
	require.NoError(t, err)
	plain := torqLike(rc.URL + "/plain")
	plain.Name = "plain"
	_, err = d.Add(plain)
	require.NoError(t, err)

	ctx := context.Background()
	for range deliveries / 2 {
		_, err := d.Publish(ctx, mock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	got := waitFinal(t, invs, deliveries)
	mu.Lock()
	defer mu.Unlock()
	for _, inv := range got {
		require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
		path := "/plain"
		if len(inv.Validation) > 0 {
			path = "/validated"
			require.Equal(t, inv.DeliveryID, inv.Validation[0].Found)
		}
		body, ok := sent[inv.DeliveryID+path]
		require.True(t, ok, "no response sent for %s%s", inv.DeliveryID, path)
		require.Equal(t, len(body) > bound, inv.Response.BodyTruncated, body)
		require.Equal(t, body[:min(len(body), bound)], inv.Response.Body)
	}
}

// Each attempt sends a timestamp of its own, and a handler that edits the
// id and timestamp of the first attempt's record changes neither the next
// attempt's request nor its record. Run with -race.
func TestAttemptHeadersAreEachAttemptsOwn(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	var tick atomic.Int64 // a second a reading, so that attempts differ
	now := func() time.Time { return time.Unix(1_800_000_000+tick.Add(1), 0) }
	type seen struct {
		outcome   webhook.Outcome
		id, stamp string
	}
	records := make(chan seen, 10)
	d, err := webhook.New(
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithRetryPolicy(fastRetries), webhook.WithClock(now),
		webhook.WithInvocationHook(func(inv webhook.Invocation) {
			h := inv.Request.Header
			records <- seen{inv.Outcome, h.Get("Webhook-Id"), h.Get("Webhook-Timestamp")}
			if inv.Outcome == webhook.Retrying {
				h["Webhook-Id"][0], h["Webhook-Timestamp"][0] = "edited", "edited"
			}
		}),
	)
	require.NoError(t, err)
	defer d.Close(context.Background())
	added, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)

	first, second := <-records, <-records
	require.Equal(t, webhook.Retrying, first.outcome)
	require.Equal(t, webhook.Delivered, second.outcome)
	require.NotEqual(t, first.stamp, second.stamp)
	got := rc.got()
	require.Len(t, got, 2)
	for i, r := range []seen{first, second} {
		require.Equal(t, r.id, got[i].header.Get("Webhook-Id"))
		require.Equal(t, r.stamp, got[i].header.Get("Webhook-Timestamp"))
		require.NotEqual(t, "edited", r.id)
	}
	held, err := d.Invocations(context.Background(), added.ID, 0)
	require.NoError(t, err)
	require.Len(t, held, 2)
	require.Equal(t, "edited", held[1].Request.Header.Get("Webhook-Id")) // the edited record, older
	require.Equal(t, got[1].header.Get("Webhook-Timestamp"), held[0].Request.Header.Get("Webhook-Timestamp"))
}
