package webhook_test

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

// A definition held costs little heap until it delivers: 2,000 realistic
// definitions added with AddAll hold at most 2,048 bytes each with the
// preset body, and 4,500 with a body each of its own, the default
// definition store's records (about 600 bytes each) included.
func TestDefinitionHeapBound(t *testing.T) {
	if testing.Short() {
		t.Skip("adds 4,000 definitions")
	}
	const defs = 2000
	for _, c := range []struct {
		name  string
		body  func(i int) string
		bound float64
	}{
		{"preset", func(int) string { return torqBody }, 2048},
		{"own", func(i int) string {
			return fmt.Sprintf(`{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}","tenant":"org-%06d"}}`, i)
		}, 4500},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := webhook.New(webhook.WithEngine(&countingEngine{}))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close(context.Background())
			before := heapAlloc()
			hooks := make([]webhook.Webhook, defs)
			for i := range hooks {
				hooks[i] = realisticDefinition(t, i, c.body(i))
			}
			if _, err := d.AddAll(hooks); err != nil {
				t.Fatal(err)
			}
			hooks = nil
			perDef := float64(heapAlloc()-before) / defs
			runtime.KeepAlive(d)
			t.Logf("%.0f bytes of heap per definition", perDef)
			if perDef > c.bound {
				t.Errorf("%.0f bytes of heap per definition, want at most %.0f", perDef, c.bound)
			}
		})
	}
}

// presetBody stands for an integration's preset body: the size of a
// real one, which a definition loaded from a store must not hold a copy
// of.
var presetBody = `{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}","details":"` +
	strings.Repeat("Request {{data.id}} for {{data.requester.email}} by {{data.requester.name}}. ", 16) + `"}}`

// Definitions another instance wrote cost what added ones do once this
// instance loads and compiles them: those sharing a preset body hold one
// copy of it, their one trigger's list and their names once, and each
// stays within 2,048 bytes of heap, the store's records included.
func TestLoadedDefinitionHeapBound(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 2,000 definitions")
	}
	const defs = 2000
	perDef := loadedHeap(t, defs, presetBody)
	t.Logf("%.0f bytes of heap per definition loaded (body %d bytes)", perDef, len(presetBody))
	require.LessOrEqual(t, perDef, 2048.0, "bytes of heap per definition loaded")
}

// A webhook compiled keeps its headers compactly, not as the map given:
// Add, Get and List give them back as given, an empty map as an empty
// map, and every request sends them, however the caller changes its map
// afterwards.
func TestHeadersKeptAsGiven(t *testing.T) {
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	given := map[string]string{"Authorization": "Bearer s3cr3t", "x-tenant": "acme", "X-Trace": "{{event_type}}"}
	w := tenantHook(rc, "headers", accessrequest.Created)
	w.Headers = maps.Clone(given)
	added, err := d.Add(w)
	require.NoError(t, err)
	w.Headers["Authorization"] = "changed by the caller"
	require.Equal(t, given, added.Headers)
	got, ok := d.Get(added.ID)
	require.True(t, ok)
	require.Equal(t, given, got.Headers)

	none := tenantHook(rc, "no headers", accessrequest.Created)
	none.Headers = map[string]string{}
	added2, err := d.Add(none)
	require.NoError(t, err)
	require.NotNil(t, added2.Headers)
	require.Empty(t, added2.Headers)

	_, err = d.Publish(context.Background(), mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(rc.got()) == 2 }, 5*time.Second, time.Millisecond)
	for _, r := range rc.got() {
		if r.path != "/headers" {
			continue
		}
		require.Equal(t, "Bearer s3cr3t", r.header.Get("Authorization"))
		require.Equal(t, "acme", r.header.Get("X-Tenant"))
		require.Equal(t, string(accessrequest.Created), r.header.Get("X-Trace"))
	}
}
