package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

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
