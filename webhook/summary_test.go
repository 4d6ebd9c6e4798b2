package webhook_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

// TestTenantSummary delivers through a receiver that always fails: the
// summary says so (last outcome, attempts, the breaker open, a dead
// letter waiting), and follows the dead letter as it is redelivered.
func TestTenantSummary(t *testing.T) {
	// The redelivery's first request waits for release, so that the
	// summary is read while the dead letter is taken and not yet back.
	release, waiting := make(chan struct{}), make(chan struct{})
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == fastRetries.MaxAttempts+1 {
			close(waiting)
			<-release
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	store := webhook.NewMemoryStore(0, 0)
	d, invs := newDispatcher(t, webhook.WithInvocationStore(store),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: fastRetries.MaxAttempts, Cooldown: time.Hour}))
	ctx := context.Background()
	acme := d.Tenant("acme")
	w, err := acme.Create(ctx, tenantHook(rc, "failing", accessrequest.Created), "test")
	require.NoError(t, err)
	e, _ := accessrequest.Mock(accessrequest.Created)
	_, err = acme.Publish(ctx, e)
	require.NoError(t, err)
	waitFinal(t, invs, 1)

	s, err := acme.Summary(ctx, w.ID)
	require.NoError(t, err)
	require.Equal(t, webhook.Failed, s.LastOutcome)
	require.Contains(t, s.LastReason, "503")
	require.False(t, s.LastAt.IsZero())
	require.Equal(t, int64(1), s.DeadLetters)
	require.Equal(t, webhook.BreakerOpen, s.Breaker, "this instance's breaker")
	require.True(t, s.Active)
	require.Len(t, s.Windows, 3)
	day := s.Windows[2]
	require.Equal(t, int64(fastRetries.MaxAttempts), day.Attempts, "every attempt counts")
	require.Equal(t, [2]int64{0, day.Attempts}, [2]int64{day.Delivered, day.Failed})
	require.Zero(t, day.SuccessRate)

	page, err := acme.DeadLetters(ctx, webhook.DeadLetterQuery{})
	require.NoError(t, err)
	require.NoError(t, acme.ResetBreaker(w.ID))
	require.NoError(t, acme.Redeliver(ctx, page.DeadLetters[0].DeliveryID))
	select {
	case <-waiting:
	case <-time.After(10 * time.Second):
		t.Fatal("the redelivery never reached the receiver")
	}
	s, err = acme.Summary(ctx, w.ID)
	require.NoError(t, err)
	require.Zero(t, s.DeadLetters, "taken for redelivery")
	close(release)
	waitFinal(t, invs, 1)
	s, err = acme.Summary(ctx, w.ID)
	require.NoError(t, err)
	require.Equal(t, int64(1), s.DeadLetters, "dead again")
	require.Equal(t, int64(2*fastRetries.MaxAttempts), s.Windows[2].Attempts)

	// Another tenant's webhook, or none, is not found; nothing is returned.
	_, err = d.Tenant("globex").Summary(ctx, w.ID)
	require.ErrorIs(t, err, webhook.ErrNotFound)
	got, err := acme.Summaries(ctx, []string{w.ID, "nope"})
	require.ErrorIs(t, err, webhook.ErrNotFound)
	require.Nil(t, got)
	got, err = acme.Summaries(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, got)
	_, err = d.Tenant("bad\x00tenant").Summary(ctx, w.ID)
	require.ErrorIs(t, err, webhook.ErrInvalidTenant)
}

// listOnly is an InvocationStore and nothing more.
type listOnly struct{ webhook.InvocationStore }

func TestTenantSummaryUnsupported(t *testing.T) {
	d, _ := newDispatcher(t, webhook.WithInvocationStore(listOnly{webhook.NewMemoryStore(0, 0)}))
	_, err := d.Tenant("acme").Summary(context.Background(), "x")
	require.ErrorIs(t, err, webhook.ErrSummaryUnsupported)
}
