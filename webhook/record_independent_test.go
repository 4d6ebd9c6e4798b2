package webhook_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

// scribble overwrites every header value of inv's request and response in
// place, as a careless reader of a record might.
func scribble(inv webhook.Invocation) {
	for _, h := range []http.Header{inv.Request.Header, inv.Response.Header} {
		for _, values := range h {
			for i := range values {
				values[i] = "scribbled"
			}
		}
	}
}

// requireNoScribble fails when a header value of inv's request or response
// is one scribble wrote.
func requireNoScribble(t *testing.T, inv webhook.Invocation) {
	t.Helper()
	var edited []string
	for _, h := range []http.Header{inv.Request.Header, inv.Response.Header} {
		for name, values := range h {
			if slices.Contains(values, "scribbled") {
				edited = append(edited, name)
			}
		}
	}
	require.Empty(t, edited, "record %s, attempt %d: headers edited through another record", inv.ID, inv.Attempt)
}

// A reader that edits the headers of a record, read from a MemoryStore or
// returned by Gate, changes no other record: not the next delivery's, which
// has the same definition headers, nor the retry's of the same delivery,
// which has the same rendered header values.
func TestRecordHeadersAreEachRecordsOwn(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; from=edge-1")
		mu.Lock()
		again := seen[r.Header.Get("Webhook-Id")]
		seen[r.Header.Get("Webhook-Id")] = true
		mu.Unlock()
		if !again { // each delivery fails once, then goes
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	store := webhook.NewMemoryStore(0, 0)
	d, invs := newDispatcher(t, webhook.WithInvocationStore(store), webhook.WithWorkers(1), webhook.WithConcurrency(1))
	w := torqLike(rc.URL)
	w.Headers = map[string]string{
		"Authorization": "Bearer s3cr3t-token",          // redacted, as every header not known to be safe
		"Content-Type":  "application/json",             // safe: shown as it is
		"User-Agent":    "hook/{{data.requester.name}}", // rendered once per delivery, for each of its attempts, and shown
	}
	added, err := d.Add(w)
	require.NoError(t, err)
	ctx := context.Background()

	publish := func() {
		t.Helper()
		_, err := d.Publish(ctx, mock(t, accessrequest.Created))
		require.NoError(t, err)
		got := waitFinal(t, invs, 1)
		require.Equal(t, webhook.Delivered, got[0].Outcome)
	}
	records := func() []webhook.Invocation {
		t.Helper()
		page, err := store.QueryInvocations(ctx, "", webhook.InvocationQuery{WebhookID: added.ID})
		require.NoError(t, err)
		return page.Invocations
	}
	publish()
	first := records()
	require.Len(t, first, 2)
	scribble(first[0]) // the delivery's second attempt
	requireNoScribble(t, first[1])

	dec, err := d.Tenant("").Gate(ctx, added.ID, mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.False(t, dec.Passed)
	scribble(dec.Invocation)
	require.Equal(t, dec.Invocation.ID, waitFinal(t, invs, 1)[0].ID) // the hook saw it

	publish()
	kept := records()
	require.Len(t, kept, 5)
	for _, inv := range kept {
		requireNoScribble(t, inv)
		require.Equal(t, []string{"application/json"}, inv.Request.Header["Content-Type"])
		require.Equal(t, []string{"REDACTED"}, inv.Request.Header["Authorization"])
		require.Equal(t, []string{"text/plain; from=edge-1"}, inv.Response.Header["Content-Type"])
	}
	require.Equal(t, []string{"hook/Zoë Ångström-Okafor"}, kept[0].Request.Header["User-Agent"])
	require.Equal(t, kept[0].Request.Header["User-Agent"], kept[1].Request.Header["User-Agent"])
}

// keepingStore keeps the records it is given as they come, as a store of
// an adopter's might, beside a MemoryStore for the rest.
type keepingStore struct {
	*webhook.MemoryStore
	mu   sync.Mutex
	kept []webhook.Invocation
}

func (s *keepingStore) Record(_ context.Context, inv webhook.Invocation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kept = append(s.kept, inv)
	return nil
}

// A store of the adopter's gets each record with headers of its own: one
// it keeps and hands out as it came is edited alone.
func TestRecordHeadersAreEachRecordsOwnInAnyStore(t *testing.T) {
	rc := newReceiver(t, nil)
	store := &keepingStore{MemoryStore: webhook.NewMemoryStore(0, 0)}
	d, invs := newDispatcher(t, webhook.WithInvocationStore(store))
	_, err := d.Add(torqLike(rc.URL))
	require.NoError(t, err)
	for range 2 {
		_, err := d.Publish(context.Background(), mock(t, accessrequest.Created))
		require.NoError(t, err)
		waitFinal(t, invs, 1)
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	require.Len(t, store.kept, 2)
	scribble(store.kept[0])
	requireNoScribble(t, store.kept[1])
}
