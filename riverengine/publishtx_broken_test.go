package riverengine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// PublishTx records the Skipped record of a definition this instance
// cannot compile in the caller's transaction: outside it, on SQLite, the
// write would wait for the one connection, which the caller holds.
func TestPublishTxOfABrokenDefinitionWaitsForNothing(t *testing.T) {
	eachSharedDatabase(t, func(t *testing.T, db sharedDatabase) {
		ctx := context.Background()
		ring := testKeyring(t)
		act := func(context.Context, *webhook.ActionRequest) (*webhook.ActionResponse, error) { return nil, nil }
		a := startInstance(t, db, ring, "a", instanceConfig{dispatch: []webhook.Option{webhook.WithAction("act", act)}})
		b := startInstance(t, db, ring, "b", instanceConfig{}) // lacks the action
		w := webhook.Webhook{ID: "hook", Name: "hook", Active: true, Action: "act", Triggers: []event.Trigger{testEvent}}
		_, err := a.d.Tenant("acme").Create(ctx, w, "ops")
		require.NoError(t, err)
		eventually(t, 10*time.Second, "b has loaded the definition", func() bool {
			pub, err := b.d.Tenant("acme").Publish(ctx, newEvent(t, 0)) // outside a tx: recorded Skipped
			require.NoError(t, err)
			return pub.Inactive == 1
		})
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		began := time.Now()
		err = b.eng.InTx(pctx, func(tx engine.Tx) error {
			pub, err := b.d.Tenant("acme").PublishTx(pctx, tx, newEvent(t, 1))
			require.Equal(t, 1, pub.Inactive)
			return err
		})
		require.NoError(t, err)
		require.Less(t, time.Since(began), 2*time.Second, "PublishTx waited for a connection its own caller holds")
		p, err := b.eng.Store().QueryInvocations(ctx, "acme", webhook.InvocationQuery{WebhookID: "hook"})
		require.NoError(t, err)
		require.Len(t, p.Invocations, 2, "the Skipped record, committed with the transaction, beside the probe's")
		for _, inv := range p.Invocations {
			require.Equal(t, webhook.Skipped, inv.Outcome)
		}
	})
}
