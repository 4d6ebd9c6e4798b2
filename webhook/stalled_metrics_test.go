package webhook_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/webhook"
)

// gauge reads the one value of an int64 gauge, and whether it was there.
func gauge(t *testing.T, reader sdkmetric.Reader, name string) (int64, bool) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				dps := m.Data.(metricdata.Gauge[int64]).DataPoints
				require.Len(t, dps, 1, name)
				return dps[0].Value, true
			}
		}
	}
	return 0, false
}

// An endpoint that never answers: its attempts stall, the stalled gauge
// counts every one of them, beside the pool or, past the limit, holding
// a worker, and the limit gauge says how many may go on beside the pool.
// Once the endpoint answers, the gauge is back to zero.
func TestStalledAttemptsAreObserved(t *testing.T) {
	leakcheck.Check(t)
	const workers, stalledCap = 2, 1
	dead := newDeadReceiver(t)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1/32"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithWorkers(workers), webhook.WithConcurrency(8),
		webhook.WithStallThreshold(20*time.Millisecond), webhook.WithStalledAttempts(stalledCap),
		webhook.WithMeterProvider(mp),
	)
	require.NoError(t, err)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, d.Close(ctx))
	}()
	_, err = d.Add(webhook.Webhook{Name: "dead", Active: true, URL: dead.URL, Triggers: []event.Trigger{accessrequest.Created}})
	require.NoError(t, err)

	stalled, ok := gauge(t, reader, "outhook.attempts.stalled")
	require.True(t, ok, "the gauge is there before any attempt")
	require.Zero(t, stalled)
	limit, ok := gauge(t, reader, "outhook.attempts.stalled.limit")
	require.True(t, ok)
	require.EqualValues(t, stalledCap, limit)

	publishStalled(t, d, accessrequest.Created, 4)
	// Two workers, one stalled attempt beside them: three attempts go on,
	// all stalled, two of them past the limit and holding the workers.
	require.Eventually(t, func() bool { return dead.holding.Load() == workers+stalledCap }, 5*time.Second, time.Millisecond)
	require.Eventually(t, func() bool {
		n, _ := gauge(t, reader, "outhook.attempts.stalled")
		return n == workers+stalledCap
	}, 5*time.Second, 5*time.Millisecond)
	time.Sleep(10 * 20 * time.Millisecond)
	stalled, _ = gauge(t, reader, "outhook.attempts.stalled")
	require.EqualValues(t, workers+stalledCap, stalled, "the fourth waits in the queue: it is no attempt yet")

	dead.free()
	require.Eventually(t, func() bool {
		n, _ := gauge(t, reader, "outhook.attempts.stalled")
		return n == 0 && dead.arrived.Load() == 4
	}, 10*time.Second, 5*time.Millisecond)
}
