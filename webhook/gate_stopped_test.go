package webhook_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// answerThenCancel is a transport that answers each request with the next
// status of statuses and, for a request sent with cancelAfter set, cancels
// the caller's context once the answer is in hand: the receiver took the
// call, then the caller gave up.
type answerThenCancel struct {
	statuses    []int
	cancelAfter context.CancelFunc
}

func (a *answerThenCancel) RoundTrip(r *http.Request) (*http.Response, error) {
	status := a.statuses[0]
	a.statuses = a.statuses[1:]
	if a.cancelAfter != nil {
		a.cancelAfter()
		a.cancelAfter = nil
	}
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
}

// A gate call the receiver answered 2xx just as the caller's ctx ended
// passes, and the breaker hears the success, as a delivery's would: with a
// threshold of 2, a failure, that call and another failure leave it
// closed.
func TestGateAnsweredAsCtxEndsCountsForTheBreaker(t *testing.T) {
	tr := &answerThenCancel{statuses: []int{500, 200, 500}}
	var changes []webhook.BreakerState
	d, err := webhook.New(webhook.WithHTTPClient(&http.Client{Transport: tr}),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 2}),
		webhook.WithBreakerHook(func(_ string, _, to webhook.BreakerState) { changes = append(changes, to) }))
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	w, err := d.Add(webhook.Webhook{Name: "gate", Active: true, URL: "https://gate.example.com/check", Triggers: []event.Trigger{accessrequest.Created}})
	require.NoError(t, err)
	ev, err := event.New(accessrequest.Created, map[string]any{"id": "r-1"})
	require.NoError(t, err)

	dec, err := d.Gate(context.Background(), w.ID, ev)
	require.NoError(t, err)
	require.False(t, dec.Passed)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr.cancelAfter = cancel
	dec, err = d.Gate(ctx, w.ID, ev)
	require.NoError(t, err, "the receiver answered: the decision was made")
	require.True(t, dec.Passed)
	require.Equal(t, webhook.Delivered, dec.Invocation.Outcome)

	dec, err = d.Gate(context.Background(), w.ID, ev)
	require.NoError(t, err)
	require.False(t, dec.Passed)
	require.Empty(t, changes, "failure, success, failure opened a breaker of threshold 2")
}
