package webhook_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/webhook"
)

// A gate is a condition of an access flow: what its definition says now
// decides, on every instance. Instance b has loaded the gate and hears of
// no change (its store tells nothing, its sync interval is an hour);
// what instance a changes still decides b's next call at once.
func TestGateOnAnotherInstanceFollowsTheStoredDefinition(t *testing.T) {
	var status atomic.Value
	status.Store("acknowledged")
	pd := pagerDuty(t, &status)
	mem := defstore.NewMemory()
	a, _ := newDispatcher(t, webhook.WithDefinitionStore(mem))
	b, _ := newDispatcher(t, webhook.WithDefinitionStore(deafStore{mem}), webhook.WithSyncInterval(time.Hour))
	ctx := context.Background()
	e := mock(t, accessrequest.Created)
	w, err := a.Tenant("acme").Create(ctx, acknowledgedGate(pd.URL), "ada")
	require.NoError(t, err)
	dec, err := b.Tenant("acme").Gate(ctx, w.ID, e)
	require.NoError(t, err)
	require.True(t, dec.Passed, "loaded on b: %s", dec.Message)

	t.Run("switched off", func(t *testing.T) {
		w, err := a.Tenant("acme").SetActive(ctx, w.ID, false, 0, "ada")
		require.NoError(t, err)
		sent := len(pd.got())
		dec, err := b.Tenant("acme").Gate(ctx, w.ID, e)
		require.NoError(t, err)
		require.False(t, dec.Passed, "a gate switched off on a passed on b")
		require.Equal(t, webhook.Skipped, dec.Invocation.Outcome)
		require.Len(t, pd.got(), sent, "nothing sent")
		_, err = a.Tenant("acme").SetActive(ctx, w.ID, true, 0, "ada")
		require.NoError(t, err)
	})
	t.Run("validators changed", func(t *testing.T) {
		w, err := a.Tenant("acme").Get(ctx, w.ID)
		require.NoError(t, err)
		w.ResponseValidators[0].ExpectedValues = []string{"resolved"}
		_, err = a.Tenant("acme").Update(ctx, w, "ada")
		require.NoError(t, err)
		dec, err := b.Tenant("acme").Gate(ctx, w.ID, e)
		require.NoError(t, err)
		require.False(t, dec.Passed, "b judged by the validators a replaced")
		require.Equal(t, webhook.ValidationFailed, dec.Invocation.Outcome)
	})
	t.Run("deleted", func(t *testing.T) {
		require.NoError(t, a.Tenant("acme").Delete(ctx, w.ID, 0, "ada"))
		sent := len(pd.got())
		_, err := b.Tenant("acme").Gate(ctx, w.ID, e)
		require.ErrorIs(t, err, webhook.ErrNotFound, "a gate deleted on a is called on b")
		require.Len(t, pd.got(), sent, "nothing sent")
	})
}

// brokenGets is a definition store whose reads of one definition fail
// once broken.
type brokenGets struct {
	deafStore
	broken atomic.Bool
}

func (s *brokenGets) Get(ctx context.Context, tenant, id string) (defstore.Record, error) {
	if s.broken.Load() {
		return defstore.Record{}, errors.New("store unreachable")
	}
	return s.deafStore.Get(ctx, tenant, id)
}

// A gate whose definition cannot be read makes no decision: the call
// fails closed with the store's error, and sends nothing.
func TestGateFailsClosedWhenTheStoreCannotBeRead(t *testing.T) {
	var status atomic.Value
	status.Store("acknowledged")
	pd := pagerDuty(t, &status)
	store := &brokenGets{deafStore: deafStore{defstore.NewMemory()}}
	d, _ := newDispatcher(t, webhook.WithDefinitionStore(store), webhook.WithSyncInterval(time.Hour))
	ctx := context.Background()
	w, err := d.Tenant("acme").Create(ctx, acknowledgedGate(pd.URL), "ada")
	require.NoError(t, err)
	store.broken.Store(true)
	dec, err := d.Tenant("acme").Gate(ctx, w.ID, mock(t, accessrequest.Created))
	require.ErrorContains(t, err, "store unreachable")
	require.False(t, dec.Passed)
	require.Empty(t, pd.got())
}
