package webhook_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/webhook"
)

// slowReceiver answers the requests it holds together, every period, as a
// receiver that works in batches does, and counts the connections it
// accepted and the requests it answered.
type slowReceiver struct {
	*httptest.Server
	conns, answered, inFlight, mostInFlight atomic.Int64
}

func newSlowReceiver(t *testing.T, period time.Duration) *slowReceiver {
	r := &slowReceiver{}
	r.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n := r.inFlight.Add(1)
		defer r.inFlight.Add(-1)
		for m := r.mostInFlight.Load(); n > m && !r.mostInFlight.CompareAndSwap(m, n); m = r.mostInFlight.Load() {
		}
		select {
		case <-time.After(period - time.Duration(time.Now().UnixNano())%period):
			r.answered.Add(1)
		case <-req.Context().Done():
		}
	}))
	r.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			r.conns.Add(1)
		}
	}
	r.Start()
	t.Cleanup(r.Close)
	return r
}

// Endpoints that are slow but healthy, answering after the stall
// threshold, have their attempts stall: more attempts are in flight at
// once than there are workers, and when they are answered together their
// connections are kept for the next ones rather than closed and dialled
// again.
func TestSlowEndpointsReuseTheirConnections(t *testing.T) {
	leakcheck.Check(t)
	const workers, stalledCap, hooks, perHook, events = 2, 8, 2, 5, 40
	slow := newSlowReceiver(t, 100*time.Millisecond)
	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1/32"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithWorkers(workers), webhook.WithConcurrency(perHook),
		webhook.WithStallThreshold(20*time.Millisecond), webhook.WithStalledAttempts(stalledCap),
	)
	require.NoError(t, err)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, d.Close(ctx))
	}()
	for i := range hooks {
		_, err := d.Add(webhook.Webhook{Name: fmt.Sprintf("slow-%d", i), Active: true, URL: slow.URL, Triggers: []event.Trigger{accessrequest.Created}})
		require.NoError(t, err)
	}
	publishStalled(t, d, accessrequest.Created, events)
	require.Eventually(t, func() bool { return slow.answered.Load() == hooks*events }, 20*time.Second, 5*time.Millisecond)
	// Up to hooks*perHook attempts go on at once, above the workers.
	require.Greater(t, slow.mostInFlight.Load(), int64(workers))
	require.LessOrEqual(t, slow.mostInFlight.Load(), int64(hooks*perHook))
	require.LessOrEqual(t, slow.conns.Load(), slow.mostInFlight.Load()+2,
		"connections were closed and dialled again: %d for at most %d attempts at once", slow.conns.Load(), slow.mostInFlight.Load())
}
