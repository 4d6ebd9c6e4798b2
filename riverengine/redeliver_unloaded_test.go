package riverengine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// A dead letter whose webhook this instance has not loaded (deleted, or
// made on another instance a moment ago) has Redeliver look in the
// definition store; on SQLite's single connection, which Redeliver's
// transaction holds, that look is made outside the transaction, so the
// answer is not found at once rather than a wait for the connection
// until ctx ends.
func TestRedeliverOfAnUnloadedWebhookSQLite(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, eng := newSQLiteEngine(t, riverengine.WithPublishOnly())
	d, err := webhook.New(dispatcherOptions(eng,
		webhook.WithDefinitionStore(eng.DefinitionStore()), webhook.WithKeyring(testKeyring(t)))...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	_, err = d.Add(hook("a", "http://127.0.0.1:1"))
	require.NoError(t, err)
	require.NoError(t, eng.Store().AddDeadLetter(ctx, webhook.DeadLetter{
		DeliveryID: "dl-1", WebhookID: "a", Event: newEvent(t, 1), Outcome: webhook.Failed, Reason: "x", Attempts: 3, FailedAt: time.Now(),
	}))
	require.NoError(t, d.Remove("a"))

	start := time.Now()
	require.ErrorIs(t, d.Redeliver(ctx, "dl-1"), webhook.ErrNotFound)
	require.Less(t, time.Since(start), 2*time.Second, "Redeliver waited for the connection its own transaction held")
	dls, err := eng.Store().DeadLetters(ctx, "", 0)
	require.NoError(t, err)
	require.Len(t, dls, 1, "the dead letter stays")
}
