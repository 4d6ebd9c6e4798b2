package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

// A MemoryStore keeps the Dispatcher's records without copying them: a
// record a reader holds must not change, nor race, while later deliveries
// are recorded and push it out of the store, and it shows no secret.
func TestHeldRecordsStayAsReadWhileDeliveriesGoOn(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) { echo(w, r) })
	store := webhook.NewMemoryStore(3, 0)
	d, invs := newDispatcher(t, webhook.WithInvocationStore(store), webhook.WithConcurrency(4), webhook.WithWorkers(4))
	w := torqLike(rc.URL + "/hook?token=qtoken-9a1f3e")
	w.Headers = map[string]string{"Authorization": "Bearer bearer-5f2a9c"}
	w.ResponseValidators = []webhook.ResponseValidator{{JSONPath: "$.data.headers.Authorization[0]"}}
	added, err := d.Add(w)
	require.NoError(t, err)
	ctx := context.Background()

	_, err = d.Publish(ctx, mock(t, accessrequest.Created))
	require.NoError(t, err)
	waitFinal(t, invs, 1)
	held, err := store.Invocations(ctx, added.ID, 0)
	require.NoError(t, err)
	require.Len(t, held, 1)
	before, err := json.Marshal(held)
	require.NoError(t, err)

	// A reader goes through every record kept, headers, body and
	// validation results included, while deliveries are recorded.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			got, err := store.Invocations(ctx, added.ID, 0)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := json.Marshal(got); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	const more = 40
	for range more {
		_, err := d.Publish(ctx, mock(t, accessrequest.Created))
		require.NoError(t, err)
	}
	waitFinal(t, invs, more)
	close(stop)
	wg.Wait()

	after, err := json.Marshal(held)
	require.NoError(t, err)
	require.JSONEq(t, string(before), string(after), "a held record changed")
	kept, err := store.Invocations(ctx, added.ID, 0)
	require.NoError(t, err)
	require.Len(t, kept, 3)
	require.NotContains(t, []string{kept[0].ID, kept[1].ID, kept[2].ID}, held[0].ID, "the first record is still kept")
	all, err := json.Marshal(append(held, kept...))
	require.NoError(t, err)
	for _, secret := range []string{"bearer-5f2a9c", "qtoken-9a1f3e"} {
		require.NotContains(t, string(all), secret)
	}
	require.True(t, strings.Contains(string(all), `"Authorization":["REDACTED"]`), "%s", all)
}

// Recording to a MemoryStore costs the copy the store keeps and nothing
// more: no second copy for the webhook's summary, none per list a record
// is kept in.
func TestMemoryStoreRecordAllocations(t *testing.T) {
	store := webhook.NewMemoryStore(8, 0)
	ctx := context.Background()
	inv := webhook.Invocation{ID: "r", WebhookID: "w", Outcome: webhook.Delivered, Attempt: 1}
	require.NoError(t, store.Record(ctx, inv)) // the webhook's lists are made
	allocs := testing.AllocsPerRun(100, func() {
		inv.StartedAt = inv.StartedAt.Add(1)
		_ = store.Record(ctx, inv)
	})
	require.LessOrEqual(t, allocs, 1.0)
}
