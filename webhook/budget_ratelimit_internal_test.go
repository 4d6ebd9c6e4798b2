package webhook

import (
	"net/http"
	"testing"
	"time"

	"github.com/outhook/outhook/engine"
	"github.com/stretchr/testify/require"
)

// TestBudgetRateLimitRefusalTakesNoSlot fills a webhook's rate limit past
// the budget: the delivery that would wait too long ends, but must not
// keep its slot, or every refused delivery pushes the next slot further
// out and, under steady traffic, no delivery ever fits its budget again.
func TestBudgetRateLimitRefusalTakesNoSlot(t *testing.T) {
	policy := RetryPolicy{MaxElapsed: Duration(90 * time.Second)}
	limit := &DeliverySettings{RateLimit: &RateLimit{Requests: 1, Per: Duration(time.Minute)}}
	s := newBudgetDispatcher(t, policy, limit, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	a, b, c := s.publish(t), s.publish(t), s.publish(t)
	require.Equal(t, done, s.attempt(a), "sent at once")
	require.Equal(t, engine.Result{Outcome: engine.Held, Delay: time.Minute}, s.attempt(b), "the next slot, within the budget")
	s.requireBudgetDeadLetter(t, s.attempt(c), c, "2m0s (rate limit)")

	s.clock.Advance(time.Minute)
	require.Equal(t, done, s.attempt(b), "sent in its slot")
	require.Equal(t, int32(2), s.requests.Load())
	d := s.publish(t)
	require.Equal(t, engine.Result{Outcome: engine.Held, Delay: time.Minute}, s.attempt(d),
		"the slot after b's is free: c, refused, did not take it")
	s.clock.Advance(time.Minute)
	require.Equal(t, done, s.attempt(d))
	require.Equal(t, int32(3), s.requests.Load())
}
