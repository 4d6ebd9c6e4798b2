package webhook_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/webhook"
)

// A receiver that answers 200 with a body of 10 MB, its length announced:
// the delivery succeeds at once, the record keeps DefaultMaxResponseBytes
// of the body, said to be cut, and the Dispatcher reads a bounded part of
// the rest before it drops the connection rather than read it all.
func TestTenMegabyteAnswer(t *testing.T) {
	leakcheck.Check(t)
	const size = 10 << 20
	var written atomic.Int64
	srv := newHostileServer(t, func(c net.Conn) {
		_, _ = fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", size)
		chunk := []byte(strings.Repeat("x", 32<<10))
		for left := size; left > 0; left -= len(chunk) {
			n, err := c.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
		untilClosed(c)
	})
	inv, took, _ := hostileRun(t, srv.url())
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.Less(t, took, 2*time.Second)
	require.NotNil(t, inv.Response)
	require.True(t, inv.Response.BodyTruncated)
	require.LessOrEqual(t, int64(len(inv.Response.Body)), int64(webhook.DefaultMaxResponseBytes))
	srv.waitClientClosed(t, 2*time.Second)
	// The socket buffers let the receiver write ahead of what was read.
	require.Less(t, written.Load(), int64(size), "the Dispatcher read the whole body")
}

// A receiver that redirects: a webhook that does not ask to follow
// redirects (Delivery.MaxRedirects) gets the 3xx as its answer, a failure,
// and the target is never asked.
func TestRedirectNotFollowedUnlessAsked(t *testing.T) {
	leakcheck.Check(t)
	target := newReceiver(t, nil)
	srv := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/landed", http.StatusFound)
	})
	inv, _, _ := hostileRun(t, srv.URL)
	require.Equal(t, webhook.Failed, inv.Outcome)
	require.NotNil(t, inv.Response)
	require.Equal(t, http.StatusFound, inv.Response.StatusCode)
	require.Empty(t, target.got())
}

// A thousand webhooks, one of whose endpoints stalls: the 999 others are
// delivered, the stalled one holds no worker past the stall threshold, and
// Close leaves no goroutine behind. With as many workers as stalled
// attempts and a ten-minute timeout, a stalled attempt that held its
// worker would stop every delivery, and waitFinal would fail on its
// silence, not on a bound on the machine's speed.
func TestThousandWebhooksOneStalled(t *testing.T) {
	leakcheck.Check(t)
	const hooks = 1000
	dead := newDeadReceiver(t)
	healthy := newReceiver(t, nil)
	d, invs := newDispatcher(t, webhook.WithWorkers(3), webhook.WithStallThreshold(50*time.Millisecond))
	for i := range hooks {
		url := healthy.URL
		if i == hooks/2 {
			url = dead.URL
		}
		_, err := d.Add(webhook.Webhook{Name: fmt.Sprintf("hook-%d", i), Active: true, URL: url, TimeoutInSec: 600, Triggers: []event.Trigger{accessrequest.Created}})
		require.NoError(t, err)
	}
	defer dead.free() // before the Dispatcher's Close, which would wait for its attempts
	for range 3 {
		_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	got := waitFinal(t, invs, 3*(hooks-1))
	for _, inv := range got {
		require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	}
	require.EqualValues(t, 3, dead.holding.Load(), "the stalled endpoint's three attempts go on")
}

// Remove of a webhook whose attempts stall returns at once, without
// waiting for them; as documented, the attempts in flight finish (here at
// their 5 s timeout) and then end, with the deliveries queued behind them,
// as Skipped, with no further request. Nothing of the webhook is left
// running and no goroutine is left once they have ended.
func TestRemoveWhileAttemptsStall(t *testing.T) {
	leakcheck.Check(t)
	dead := newDeadReceiver(t)
	d, invs := newDispatcher(t, webhook.WithWorkers(2), webhook.WithStallThreshold(20*time.Millisecond))
	w, err := d.Add(webhook.Webhook{Name: "dead", Active: true, URL: dead.URL, TimeoutInSec: 5, Triggers: []event.Trigger{accessrequest.Created},
		Delivery: &webhook.DeliverySettings{Concurrency: 4}})
	require.NoError(t, err)
	idle := runtime.NumGoroutine()
	for range 6 {
		_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return dead.holding.Load() == 4 }, 5*time.Second, time.Millisecond)

	start := time.Now()
	require.NoError(t, d.Remove(w.ID))
	// Half the attempts' 5 s timeout: Remove did not wait for them.
	require.Less(t, time.Since(start), 2500*time.Millisecond, "Remove waited for the stalled attempts")
	final := waitFinal(t, invs, 6)
	require.Less(t, time.Since(start), 15*time.Second, "the deliveries outlived the attempts' timeout")
	for _, inv := range final {
		require.Equal(t, webhook.Skipped, inv.Outcome, inv.Reason)
	}
	require.EqualValues(t, 4, dead.arrived.Load(), "no request after the removal")
	require.Eventually(t, func() bool { return dead.holding.Load() == 0 }, 5*time.Second, time.Millisecond, "the receiver still holds attempts")
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= idle+4 }, 5*time.Second, 10*time.Millisecond,
		"the stalled attempts' goroutines outlived them")
}

// Close whose ctx ends while attempts stall beside the pool and others
// wait behind them: it returns soon after ctx, every delivery is a dead
// letter, and the goroutines of the stalled attempts end with Close.
func TestCloseCutsStalledAttempts(t *testing.T) {
	leakcheck.Check(t)
	dead := newDeadReceiver(t)
	store := webhook.NewMemoryStore(0, 0)
	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithInvocationStore(store),
		webhook.WithWorkers(2), webhook.WithStallThreshold(20*time.Millisecond), webhook.WithStalledAttempts(4),
	)
	require.NoError(t, err)
	w, err := d.Add(webhook.Webhook{Name: "dead", Active: true, URL: dead.URL, Triggers: []event.Trigger{accessrequest.Created},
		Delivery: &webhook.DeliverySettings{Concurrency: 8}})
	require.NoError(t, err)
	for range 10 {
		_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return dead.holding.Load() == 6 }, 5*time.Second, time.Millisecond, "two workers and four stalled beside them")

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	require.ErrorIs(t, d.Close(ctx), context.DeadlineExceeded)
	// Well short of the stalled attempts' 30 s timeout.
	require.Less(t, time.Since(start), 10*time.Second)
	letters, err := store.DeadLetters(context.Background(), w.ID, 0)
	require.NoError(t, err)
	require.Len(t, letters, 10)
	require.Eventually(t, func() bool { return dead.holding.Load() == 0 }, 5*time.Second, time.Millisecond, "the receiver still holds attempts")
}

// An endless body read by the Dispatcher's own client, not a test's: the
// attempt ends well within its timeout, the record is bounded, and the
// connection is dropped rather than drained for ever.
func TestEndlessBodyWithTheDispatchersClient(t *testing.T) {
	leakcheck.Check(t)
	var written atomic.Int64
	srv := newHostileServer(t, func(c net.Conn) {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
		chunk := []byte("8000\r\n" + strings.Repeat("x", 0x8000) + "\r\n")
		for {
			n, err := c.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	inv, took, _ := hostileRun(t, srv.url())
	require.NotNil(t, inv.Response, "%s %s", inv.Outcome, inv.Reason)
	require.True(t, inv.Response.BodyTruncated)
	require.LessOrEqual(t, int64(len(inv.Response.Body)), int64(webhook.DefaultMaxResponseBytes))
	require.Less(t, took, 2*time.Second)
	srv.waitClientClosed(t, 2*time.Second)
	require.Less(t, written.Load(), int64(8<<20), "the Dispatcher read on past its bounds")
}
