package webhook_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// A reset made on someone's behalf names them in the store's history and
// as the definition's last author, as an Update does; one made without
// an actor leaves the reset's author empty.
func TestResetBreakerByNamesItsActor(t *testing.T) {
	store := defstore.NewMemory()
	d, _ := newDispatcher(t, webhook.WithDefinitionStore(store),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: 1}))
	ctx := context.Background()
	_, err := d.Tenant("acme").Create(ctx, webhook.Webhook{ID: "hook", Name: "hook", Active: true,
		URL: "https://hooks.example.com/x", Triggers: []event.Trigger{accessrequest.Created}}, "ops")
	require.NoError(t, err)

	require.NoError(t, d.Tenant("acme").ResetBreakerBy(ctx, "hook", "alice"))
	revs, err := store.History(ctx, "acme", "hook", 0)
	require.NoError(t, err)
	last := revs[0] // newest first
	require.Equal(t, defstore.BreakerReset, last.Action)
	require.Equal(t, "alice", last.Actor)
	rec, err := store.Get(ctx, "acme", "hook")
	require.NoError(t, err)
	require.Equal(t, "alice", rec.UpdatedBy)

	require.ErrorIs(t, d.Tenant("acme").ResetBreakerBy(ctx, "missing", "alice"), webhook.ErrNotFound)
}
