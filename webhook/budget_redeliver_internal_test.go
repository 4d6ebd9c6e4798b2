package webhook

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestBudgetRedeliveryStartsAFreshBudget redelivers a dead letter whose
// budget ran out: the budget counts from the redelivery, or a dead letter
// of the budget could never be delivered again.
func TestBudgetRedeliveryStartsAFreshBudget(t *testing.T) {
	s := newBudgetDispatcher(t, RetryPolicy{MaxElapsed: Duration(time.Minute)}, nil, func(w http.ResponseWriter, _ *http.Request) {})
	del := s.publish(t)
	s.clock.Advance(time.Minute)
	s.requireBudgetDeadLetter(t, s.attempt(del), del)
	require.Zero(t, s.requests.Load())

	s.clock.Advance(time.Hour)
	require.NoError(t, s.d.Redeliver(context.Background(), del.ID))
	s.engine.mu.Lock()
	again := s.engine.queued[len(s.engine.queued)-1]
	s.engine.mu.Unlock()
	require.Equal(t, del.ID, again.ID, "the same delivery")
	require.Equal(t, done, s.attempt(again))
	require.Equal(t, int32(1), s.requests.Load(), "the redelivery was sent")
	invs, err := s.d.Invocations(context.Background(), del.WebhookID, 1)
	require.NoError(t, err)
	require.Equal(t, Delivered, invs[0].Outcome, invs[0].Reason)
}
