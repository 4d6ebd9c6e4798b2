package webhook_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

// integrationError is an error whose text holds a secret, as errors of
// integrations and transports quote URLs and tokens.
type integrationError struct{ text string }

func (e *integrationError) Error() string { return e.text }

// A record kept by a MemoryStore holds what it shows and nothing more:
// the error an attempt failed with, which the record shows redacted, is
// not kept whole in the store's memory for as long as the record is,
// whether the attempt was a delivery's or a gate call's.
func TestMemoryStoreKeepsNoAttemptError(t *testing.T) {
	var made, collected atomic.Int64
	store := webhook.NewMemoryStore(100, 10)
	d, invs := newDispatcher(t, webhook.WithInvocationStore(store),
		webhook.WithAction("list_pagerduty_incidents", func(context.Context, *webhook.ActionRequest) (*webhook.ActionResponse, error) {
			err := &integrationError{text: "pagerduty unreachable with token " + actionSecret}
			made.Add(1)
			runtime.AddCleanup(err, func(*atomic.Int64) { collected.Add(1) }, &collected)
			return nil, err
		}))
	w, err := d.Add(actionGate("acknowledged"))
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	waitFinal(t, invs, 1)
	dec, err := d.Gate(context.Background(), w.ID, mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.False(t, dec.Passed)
	dec = webhook.Decision{} // the caller lets go of it; the store keeps its copy

	kept, err := store.QueryInvocations(context.Background(), "", webhook.InvocationQuery{WebhookID: w.ID})
	require.NoError(t, err)
	require.Len(t, kept.Invocations, int(made.Load()), "every attempt is kept")
	for _, inv := range kept.Invocations {
		require.NotContains(t, inv.Reason, actionSecret)
	}
	deadline := time.Now().Add(5 * time.Second)
	for collected.Load() < made.Load() && time.Now().Before(deadline) {
		runtime.GC() // cleanups run after a collection finds the error unreachable
		time.Sleep(10 * time.Millisecond)
	}
	require.Equal(t, made.Load(), collected.Load(), "errors of attempts are still reachable from the store's records")
	runtime.KeepAlive(store)
}
