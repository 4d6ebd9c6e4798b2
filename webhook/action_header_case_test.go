package webhook_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// An action's answer is a Go value: its header names may be written in
// lower case, and the header validators find them as they would in an
// HTTP response.
func TestActionHeaderInLowerCaseIsValidated(t *testing.T) {
	d, _ := newDispatcher(t, webhook.WithAction("lower", func(context.Context, *webhook.ActionRequest) (*webhook.ActionResponse, error) {
		return &webhook.ActionResponse{Header: http.Header{"x-result": {"accepted"}}, Body: []byte(`{}`)}, nil
	}))
	w := webhook.Webhook{
		Name: "lower", Active: true, Action: "lower",
		Triggers:           []event.Trigger{accessrequest.Created},
		ResponseValidators: []webhook.ResponseValidator{{Header: "X-Result", ExpectedValues: []string{"accepted"}}},
	}
	inv, err := d.Test(context.Background(), w, accessrequest.Created)
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
}

// An action's Retry-After in lower case is honoured as an HTTP
// response's is.
func TestActionRetryAfterInLowerCase(t *testing.T) {
	invs := make(chan webhook.Invocation, 10)
	d, err := webhook.New(
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 2, MaxRetryAfter: webhook.Duration(time.Hour)}),
		webhook.WithInvocationHook(func(inv webhook.Invocation) { invs <- inv }),
		webhook.WithAction("busy", func(context.Context, *webhook.ActionRequest) (*webhook.ActionResponse, error) {
			return &webhook.ActionResponse{StatusCode: http.StatusServiceUnavailable, Header: http.Header{"retry-after": {"120"}}}, nil
		}))
	require.NoError(t, err)
	defer func() {
		// The retry is due in two minutes: Close gives it up at once.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		require.ErrorIs(t, d.Close(ctx), context.DeadlineExceeded)
	}()
	_, err = d.Add(webhook.Webhook{Name: "busy", Active: true, Action: "busy", Triggers: []event.Trigger{accessrequest.Created}})
	require.NoError(t, err)
	e, err := event.New(accessrequest.Created, map[string]any{})
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), e)
	require.NoError(t, err)
	select {
	case inv := <-invs:
		require.Equal(t, webhook.Retrying, inv.Outcome, inv.Reason)
		require.InDelta(t, 120, inv.NextAttemptAt.Sub(inv.StartedAt).Seconds(), 5, "the action's Retry-After sets the delay")
	case <-time.After(10 * time.Second):
		t.Fatal("no invocation")
	}
}
