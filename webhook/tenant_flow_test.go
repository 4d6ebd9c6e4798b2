package webhook_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

// TestTenantInFlightLimitKeepsItsSlotsBusy: a tenant whose burst is over
// its in-flight limit gets that many attempts at a time, one after the
// other, not a few a second: its held deliveries come back as slots
// free up.
func TestTenantInFlightLimitKeepsItsSlotsBusy(t *testing.T) {
	var inFlight, peak atomic.Int64
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		cur := inFlight.Add(1)
		for p := peak.Load(); cur > p && !peak.CompareAndSwap(p, cur); p = peak.Load() {
		}
		time.Sleep(time.Millisecond) // an endpoint that takes a moment
		inFlight.Add(-1)
		w.WriteHeader(http.StatusOK)
	})
	d, _ := newDispatcher(t, webhook.WithTenantLimits(func(string) webhook.TenantLimits {
		return webhook.TenantLimits{MaxInFlight: 2}
	}))
	ctx := context.Background()
	for _, name := range []string{"first", "second"} {
		_, err := d.Tenant("busy").Create(ctx, tenantHook(rc, name, accessrequest.Created), "x")
		require.NoError(t, err)
	}
	start := time.Now()
	for range 100 {
		_, err := d.Tenant("busy").Publish(ctx, mustMock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	// 200 attempts of about a millisecond, two at a time: a few hundred
	// milliseconds; held deliveries that back off to half a second each
	// took about ten seconds.
	require.Eventually(t, func() bool { return len(rc.got()) == 200 }, 20*time.Second, time.Millisecond)
	took := time.Since(start)
	require.Less(t, took, 3*time.Second, "200 deliveries under a limit of 2 in flight")
	require.LessOrEqual(t, peak.Load(), int64(2))
	t.Logf("200 deliveries, 2 in flight: %s", took)
}
