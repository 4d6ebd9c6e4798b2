package webhook

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/defstore"
)

// A Dispatcher keeps of each definition it loads only the sealed form it
// delivers from, not the masked JSON beside it in the store's record,
// which Get and List read from the store.
func TestLoadedDefinitionKeepsOnlyItsSealedForm(t *testing.T) {
	store := defstore.NewMemory()
	d, err := New(WithDefinitionStore(store))
	require.NoError(t, err)
	defer d.Close(context.Background())
	ctx := context.Background()
	w, err := d.Tenant("acme").Create(ctx, bodyHook("kept", torqBody), "test")
	require.NoError(t, err)
	rec, err := store.Get(ctx, "acme", w.ID)
	require.NoError(t, err)

	d.mu.RLock()
	e := d.byKey[queueKey("acme", w.ID)]
	d.mu.RUnlock()
	require.Nil(t, e.rec.Definition)
	require.Equal(t, rec.Secrets, e.rec.Secrets)

	got, err := d.Tenant("acme").Get(ctx, w.ID)
	require.NoError(t, err)
	require.Equal(t, "kept", got.Name)
	h, err := d.compiled(e)
	require.NoError(t, err)
	require.Equal(t, "Bearer kept", h.header.Get("Authorization"))
}
