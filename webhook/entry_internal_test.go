package webhook

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/filter"
)

// A Dispatcher keeps of each definition it loads only the sealed form it
// delivers from, not the masked JSON beside it in the store's record
// (which Get and List read from the store), and that only until it
// compiles the definition: the compiled copy holds all of it then, and
// Get returns the same definition before and after.
func TestLoadedDefinitionKeepsOnlyItsSealedForm(t *testing.T) {
	store := defstore.NewMemory()
	writer, err := New(WithDefinitionStore(store))
	require.NoError(t, err)
	defer writer.Close(context.Background())
	ctx := context.Background()
	w := bodyHook("kept", torqBody)
	w.SigningSecrets = []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	w.Filters, err = filter.Parse([]byte(`{"data.access_groups[].integration.type":{"$in":["Postgresql","Mysql"]}}`))
	require.NoError(t, err)
	w, err = writer.Add(w)
	require.NoError(t, err)
	rec, err := store.Get(ctx, "", w.ID)
	require.NoError(t, err)

	// Compiled when added: nothing but the compiled copy is kept.
	e := writer.byKey[queueKey("", w.ID)]
	require.NotNil(t, e.hook.Load())
	require.Nil(t, e.sealed.Load())
	got, ok := writer.Get(w.ID)
	require.True(t, ok)
	require.Equal(t, w, got)

	// Loaded from the store by another instance: sealed until compiled.
	reader, err := New(WithDefinitionStore(store))
	require.NoError(t, err)
	defer reader.Close(context.Background())
	reader.mu.RLock()
	e = reader.byKey[queueKey("", w.ID)]
	reader.mu.RUnlock()
	require.Equal(t, rec.Secrets, *e.sealed.Load())
	before, ok := reader.Get(w.ID)
	require.True(t, ok)
	h, err := reader.compiled(e)
	require.NoError(t, err)
	require.Equal(t, "Bearer kept", h.headerOf().Get("Authorization"))
	require.Nil(t, e.sealed.Load())
	after, ok := reader.Get(w.ID)
	require.True(t, ok)
	require.Equal(t, before, after)
	require.Equal(t, w, after)
	require.Equal(t, []Webhook{after}, reader.List())
}
