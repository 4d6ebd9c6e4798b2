package webhook_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
	"weak"

	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/webhook"
)

// Dispatchers created and closed one after another, as a host that
// builds one per test or per reload does, each with deliveries stalled
// at the receiver, retries waiting for their timers, an open breaker,
// operational events, a hook that calls the Dispatcher back, and
// telemetry on providers the host keeps: once closed, none stays
// reachable, the heap comes back near where it began, and no goroutine
// outlives them.
func TestClosedDispatchersAreReleased(t *testing.T) {
	leakcheck.Check(t)
	stalled := make(chan struct{}, 1024)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read first: the server sees the client go only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		switch r.URL.Path {
		case "/stall":
			stalled <- struct{}{}
			select {
			case <-r.Context().Done():
			case <-release:
			}
		case "/fail":
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	defer close(release)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer mp.Shutdown(context.Background())
	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(context.Background())

	round := func() weak.Pointer[webhook.Dispatcher] {
		var d *webhook.Dispatcher // a hook of the host's calls it back
		var err error
		d, err = webhook.New(
			webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
			webhook.WithAllowedTargets("127.0.0.1"),
			webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 5, InitialInterval: webhook.Duration(time.Minute)}),
			webhook.WithBreaker(webhook.BreakerSettings{Threshold: 2}),
			webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 1, Hook: func(operational.Event) {}}),
			webhook.WithInvocationHook(func(webhook.Invocation) {}),
			webhook.WithBreakerHook(func(id string, _, _ webhook.BreakerState) { d.Get(id) }),
			webhook.WithMeterProvider(mp),
			webhook.WithTracerProvider(tp),
		)
		require.NoError(t, err)
		for _, path := range []string{"/ok", "/fail", "/stall"} {
			w := torqLike(srv.URL + path)
			w.Name = "to" + path[1:]
			_, err := d.Add(w)
			require.NoError(t, err)
		}
		for range 10 {
			_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
			require.NoError(t, err)
		}
		<-stalled // a delivery is under way when Close begins
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if err := d.Close(ctx); err != nil {
			require.ErrorIs(t, err, context.DeadlineExceeded)
		}
		return weak.Make(d)
	}

	round() // the first use's allocations that stay: pools, instruments
	for len(stalled) > 0 {
		<-stalled
	}
	before := heapAlloc()
	const rounds = 30
	var closed []weak.Pointer[webhook.Dispatcher]
	for range rounds {
		closed = append(closed, round())
		for len(stalled) > 0 {
			<-stalled
		}
	}
	after := heapAlloc()
	// The last round's stalled request ends in net/http's own goroutines,
	// which let go of it a moment after Close returns: they may hold its
	// Dispatcher (through the request's attempt) that long.
	for deadline := time.Now().Add(time.Second); closed[len(closed)-1].Value() != nil && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		after = heapAlloc()
	}
	alive := 0
	for _, w := range closed {
		if w.Value() != nil {
			alive++
		}
	}
	t.Logf("heap %d KiB before, %d KiB after %d Dispatchers closed", before>>10, after>>10, rounds)
	require.Zero(t, alive, "closed Dispatchers still reachable")
	require.Less(t, after-before, int64(512<<10), "the heap grew by %d KiB", (after-before)>>10)
}
