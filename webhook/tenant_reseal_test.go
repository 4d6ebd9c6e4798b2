package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/keyring"
	"github.com/outhook/outhook/webhook"
)

// rotation returns a keyring with k1 as primary and one with k2, the key
// rotated to, as primary; each opens what the other seals.
func rotation(t *testing.T) (before, after *keyring.Keyring) {
	t.Helper()
	k1, err := keyring.GenerateKey("k1")
	require.NoError(t, err)
	k2, err := keyring.GenerateKey("k2")
	require.NoError(t, err)
	before, err = keyring.New(k1, k2)
	require.NoError(t, err)
	after, err = keyring.New(k2, k1)
	require.NoError(t, err)
	return before, after
}

func plainHook(name string) webhook.Webhook {
	return webhook.Webhook{
		Name: name, Active: true, URL: "https://example.com/" + name, Headers: map[string]string{"Authorization": "Bearer " + name},
		Triggers: []event.Trigger{accessrequest.Created},
	}
}

// TestResealPassesOverADefinitionItCannotOpen: one definition whose
// sealed secrets do not open does not keep Reseal from the others, and
// is reported.
func TestResealPassesOverADefinitionItCannotOpen(t *testing.T) {
	before, after := rotation(t)
	mem := defstore.NewMemory()
	d, _ := newDispatcher(t, webhook.WithDefinitionStore(mem), webhook.WithKeyring(before))
	ctx := context.Background()
	var ids []string
	for i := range 3 {
		w, err := d.Tenant("t").Create(ctx, plainHook(fmt.Sprint("w", i)), "alice")
		require.NoError(t, err)
		ids = append(ids, w.ID)
	}
	first, err := mem.Get(ctx, "t", ids[0])
	require.NoError(t, err)
	// The first definition's sealed secrets copied onto the second do not
	// open there; the first changes after, so that the broken one comes
	// first in the store's order.
	require.NoError(t, mem.ReplaceSecrets(ctx, "t", ids[1], 0, first.Secrets, "mallory"))
	require.NoError(t, mem.ReplaceSecrets(ctx, "t", ids[0], 0, first.Secrets, "alice"))

	rotated, _ := newDispatcher(t, webhook.WithDefinitionStore(mem), webhook.WithKeyring(after))
	n, err := rotated.Reseal(ctx, "ops")
	require.ErrorIs(t, err, keyring.ErrCorrupt)
	require.Contains(t, err.Error(), ids[1])
	require.Equal(t, 2, n)
	for _, id := range []string{ids[0], ids[2]} {
		rec, err := mem.Get(ctx, "t", id)
		require.NoError(t, err)
		require.True(t, after.Current(rec.Secrets), "definition %s still sealed under k1", id)
	}
}

// resealRacer is a definition store on which an instance that still seals
// under the old key updates a definition just before Reseal's first write.
type resealRacer struct {
	*defstore.Memory
	before func()
}

func (s *resealRacer) ReplaceSecrets(ctx context.Context, tenant, id string, version int64, secrets []byte, actor string) error {
	if f := s.before; f != nil {
		s.before = nil
		f()
	}
	return s.Memory.ReplaceSecrets(ctx, tenant, id, version, secrets, actor)
}

// TestResealReadsAgainADefinitionChangedMeanwhile: a definition updated
// under the old key while Reseal runs is sealed again all the same, not
// left under a key about to be dropped.
func TestResealReadsAgainADefinitionChangedMeanwhile(t *testing.T) {
	before, after := rotation(t)
	mem := defstore.NewMemory()
	old, _ := newDispatcher(t, webhook.WithDefinitionStore(mem), webhook.WithKeyring(before))
	ctx := context.Background()
	w, err := old.Tenant("t").Create(ctx, plainHook("raced"), "alice")
	require.NoError(t, err)
	store := &resealRacer{Memory: mem, before: func() {
		w.Name = "raced again"
		_, err := old.Tenant("t").Update(ctx, w, "bob")
		require.NoError(t, err)
	}}
	rotated, _ := newDispatcher(t, webhook.WithDefinitionStore(store), webhook.WithKeyring(after))
	n, err := rotated.Reseal(ctx, "ops")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	rec, err := mem.Get(ctx, "t", w.ID)
	require.NoError(t, err)
	require.Equal(t, int64(2), rec.Version)
	require.True(t, after.Current(rec.Secrets), "left under the old key")
}

// TestResealKeepsBreakers: sealing a webhook's secrets again changes
// nothing of the webhook, on any instance: a breaker that a 410 Gone
// disabled stays disabled.
func TestResealKeepsBreakers(t *testing.T) {
	gone := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) })
	before, after := rotation(t)
	mem := defstore.NewMemory()
	d, invs := newDispatcher(t, webhook.WithDefinitionStore(mem), webhook.WithKeyring(before))
	rotated, _ := newDispatcher(t, webhook.WithDefinitionStore(mem), webhook.WithKeyring(after))
	ctx := context.Background()
	w := tenantHook(gone, "gone", accessrequest.Created)
	w.Headers = map[string]string{"Authorization": "Bearer x"}
	created, err := d.Tenant("acme").Create(ctx, w, "alice")
	require.NoError(t, err)
	_, err = d.Tenant("acme").Publish(ctx, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	waitFinal(t, invs, 1)
	state, err := d.Tenant("acme").Breaker(created.ID)
	require.NoError(t, err)
	require.Equal(t, webhook.BreakerDisabled, state)

	n, err := rotated.Reseal(ctx, "ops")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	// d has read the reseal once it has read a change made after it.
	marker, err := rotated.Tenant("acme").Create(ctx, tenantHook(gone, "marker", accessrequest.Approved), "ops")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := d.Tenant("acme").Breaker(marker.ID)
		return err == nil
	}, 2*time.Second, time.Millisecond)
	state, err = d.Tenant("acme").Breaker(created.ID)
	require.NoError(t, err)
	require.Equal(t, webhook.BreakerDisabled, state, "Reseal re-enabled a webhook its endpoint said is gone")
}
