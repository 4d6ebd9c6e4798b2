package webhook

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outhook/outhook/engine"
	"github.com/stretchr/testify/require"
)

// A delivery that reserved a slot of a rate limit (its webhook's or its
// tenant's) and is then held back by something else (its breaker open,
// its tenant's in-flight limit) keeps that slot until it is attempted.
// Were it given up at each hold, every delivery waiting out a breaker
// would reserve another slot at each cool-down, pushing the limiter
// further out for every later delivery, or past the retry budget.
func TestHeldDeliveryKeepsItsRateSlot(t *testing.T) {
	perMinute := &RateLimit{Requests: 1, Per: Duration(time.Minute)}
	for _, tc := range []struct {
		name     string
		delivery *DeliverySettings
		limits   TenantLimits
	}{
		{"webhook rate limit", &DeliverySettings{RateLimit: perMinute}, TenantLimits{}},
		{"tenant rate limit", nil, TenantLimits{Rate: perMinute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var failed atomic.Bool
			s := newBudgetDispatcher(t, RetryPolicy{MaxElapsed: Duration(time.Hour)}, tc.delivery,
				func(w http.ResponseWriter, _ *http.Request) {
					if failed.CompareAndSwap(false, true) {
						w.WriteHeader(http.StatusServiceUnavailable)
						return
					}
					w.WriteHeader(http.StatusOK)
				},
				WithBreaker(BreakerSettings{Threshold: 1, Cooldown: 2 * time.Minute, MaxCooldown: 2 * time.Minute}),
				WithTenantLimits(func(string) TenantLimits { return tc.limits }))
			a, b, c := s.publish(t), s.publish(t), s.publish(t)
			require.Equal(t, engine.Retry, s.attempt(a).Outcome, "a fails: the breaker opens for 2m")
			require.Equal(t, engine.Result{Outcome: engine.Held, Delay: time.Minute}, s.attempt(b), "b's slot is in 1m")
			require.Equal(t, engine.Result{Outcome: engine.Held, Delay: 2 * time.Minute}, s.attempt(c), "c's slot is in 2m")
			s.clock.Advance(time.Minute)
			require.Equal(t, engine.Result{Outcome: engine.Held, Delay: time.Minute}, s.attempt(b), "in its slot, b waits for the breaker")
			s.clock.Advance(time.Minute)
			require.Equal(t, done, s.attempt(b), "the breaker lets a probe through: b is sent in the slot it kept")
			require.Equal(t, done, s.attempt(c), "c is sent in its slot")
			require.Equal(t, int32(3), s.requests.Load())
		})
	}
}

// A delivery that took a slot of its tenant's rate and found the tenant's
// in-flight limit reached keeps the slot while it waits for room, rather
// than take another at every look.
func TestTenantRateSlotKeptWhileWaitingForRoom(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	arrived := make(chan struct{}, 1)
	var calls atomic.Int32
	s := newBudgetDispatcher(t, RetryPolicy{MaxElapsed: Duration(time.Hour)}, nil,
		func(w http.ResponseWriter, _ *http.Request) {
			if calls.Add(1) == 1 {
				arrived <- struct{}{}
				<-release
			}
			w.WriteHeader(http.StatusOK)
		},
		WithTenantLimits(func(string) TenantLimits {
			return TenantLimits{MaxInFlight: 1, Rate: &RateLimit{Requests: 2, Per: Duration(time.Minute)}}
		}))
	t.Cleanup(unblock) // before the server's Close, which waits for a's request
	a, b, c := s.publish(t), s.publish(t), s.publish(t)
	first := make(chan engine.Result, 1)
	go func() { first <- s.attempt(a) }()
	<-arrived
	for range 3 {
		res := s.attempt(b)
		require.Equal(t, engine.Held, res.Outcome, "no room: a is in flight")
		require.LessOrEqual(t, res.Delay, maxTenantWait, "b waits for room, not for the rate: it took its slot")
	}
	unblock()
	require.Equal(t, done, <-first)
	require.Equal(t, done, s.attempt(b), "b is sent in the slot it took")
	s.clock.Advance(30 * time.Second)
	require.Equal(t, done, s.attempt(c), "the next slot is c's: b took one only")
	require.Equal(t, int32(3), s.requests.Load())
}

// Only attempts teach a tenant the time its deliveries spend in flight,
// by which those waiting for room space out their looks: a delivery
// admitted under the tenant's limits and then held by its webhook's open
// breaker spent no time in flight, and taken for an attempt of no time
// it would make every delivery waiting for room look again at once.
func TestTenantPaceLearnsFromAttemptsOnly(t *testing.T) {
	var s budgetSetup
	s = newBudgetDispatcher(t, RetryPolicy{MaxElapsed: Duration(2 * time.Hour)}, nil,
		func(w http.ResponseWriter, _ *http.Request) {
			s.clock.Advance(10 * time.Second) // the endpoint takes 10s to fail
			w.WriteHeader(http.StatusServiceUnavailable)
		},
		WithBreaker(BreakerSettings{Threshold: 1, Cooldown: time.Hour}),
		WithTenantLimits(func(string) TenantLimits { return TenantLimits{MaxInFlight: 1} }))
	a, b := s.publish(t), s.publish(t)
	require.Equal(t, engine.Retry, s.attempt(a).Outcome, "a fails after 10s: the breaker opens")
	require.Equal(t, engine.Held, s.attempt(b).Outcome, "b waits for the breaker")
	v, ok := s.d.flows.Load("")
	require.True(t, ok)
	require.Equal(t, int64(10*time.Second), v.(*tenantFlow).attempt.Load(), "the time in flight of a's attempt, b's hold not counted")
}
