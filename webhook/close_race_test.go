package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/webhook"
)

// keyedEvent returns the mock Created event with event_id "p-i" and
// data.id p: one ordering key per publisher p, in the order of i.
func keyedEvent(t *testing.T, p, i int) *event.Event {
	var doc map[string]any
	if err := json.Unmarshal(mock(t, accessrequest.Created).JSON(), &doc); err != nil {
		panic(err)
	}
	doc["event_id"] = fmt.Sprintf("%d-%d", p, i)
	doc["data"].(map[string]any)["id"] = strconv.Itoa(p)
	raw, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	e, err := event.Parse(raw)
	if err != nil {
		panic(err)
	}
	return e
}

// seqOf returns i of an event_id "p-i".
func seqOf(eventID string) int {
	_, i, _ := strings.Cut(eventID, "-")
	n, _ := strconv.Atoi(i)
	return n
}

// Publishers race with two Closes whose deadline falls among retries,
// breaker holds, tenants' in-flight limits and ordering keys: every
// delivery Publish queued ends exactly once (one final record; taken by
// the receiver or a dead letter, not both), and none the receiver takes
// comes after one of its key that Close gave up.
func TestCloseEndsEveryDeliveryOnceUnderARace(t *testing.T) {
	leakcheck.Check(t)
	for round := range 4 {
		var mu sync.Mutex
		took := map[string]int{}      // by delivery id (webhook-id), answered 2xx
		lastTaken := map[string]int{} // by webhook path and key: the last i taken
		rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			if rand.IntN(3) == 0 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			var body struct{ Event, Key string }
			b, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(b, &body)
			mu.Lock()
			defer mu.Unlock()
			took[r.Header.Get("Webhook-Id")]++
			lastTaken[r.URL.Path+"|"+body.Key] = max(lastTaken[r.URL.Path+"|"+body.Key], seqOf(body.Event))
		})
		store := webhook.NewMemoryStore(0, 0)
		finals := map[string]int{}
		d, err := webhook.New(
			webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
			webhook.WithAllowedTargets("127.0.0.1"),
			webhook.WithInvocationStore(store),
			webhook.WithWorkers(4),
			webhook.WithInvocationHook(func(inv webhook.Invocation) {
				if inv.Outcome.Final() {
					mu.Lock()
					finals[inv.DeliveryID]++
					mu.Unlock()
				}
			}),
			webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 50, InitialInterval: webhook.Duration(2 * time.Millisecond), MaxInterval: webhook.Duration(40 * time.Millisecond)}),
			webhook.WithBreaker(webhook.BreakerSettings{Threshold: 4, Cooldown: 25 * time.Millisecond}),
			webhook.WithTenantLimits(func(string) webhook.TenantLimits { return webhook.TenantLimits{MaxInFlight: 2} }),
		)
		require.NoError(t, err)
		type hookOf struct{ tenant, id, path string }
		var hooks []hookOf
		for i, tenant := range []string{"", "acme", "acme", "globex"} {
			path := fmt.Sprintf("/w%d", i)
			w := webhook.Webhook{
				Name: "w" + path[2:], Active: true, URL: rc.URL + path, Triggers: []event.Trigger{accessrequest.Created},
				BodyTemplate: `{"event":"{{event_id}}","key":"{{data.id}}"}`,
				Delivery:     &webhook.DeliverySettings{OrderingKey: "data.id", Concurrency: 2, QueueSize: 64},
			}
			created, err := d.Tenant(tenant).Create(context.Background(), w, "test")
			require.NoError(t, err)
			hooks = append(hooks, hookOf{tenant, created.ID, path})
		}

		queued := map[string]bool{}
		var wg sync.WaitGroup
		for p := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					e := keyedEvent(t, p, i)
					for _, tenant := range []string{"", "acme", "globex"} {
						pub, err := d.Tenant(tenant).Publish(context.Background(), e)
						mu.Lock()
						for _, q := range pub.Deliveries {
							queued[q.DeliveryID] = true
						}
						mu.Unlock()
						if errors.Is(err, webhook.ErrClosed) {
							return
						}
					}
				}
			}()
		}
		time.Sleep(time.Duration(20+rand.IntN(30)) * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		closed := make(chan error, 2)
		for range 2 {
			go func() { closed <- d.Close(ctx) }()
		}
		for range 2 {
			if err := <-closed; err != nil {
				require.ErrorIs(t, err, context.DeadlineExceeded)
			}
		}
		cancel()
		wg.Wait()

		mu.Lock()
		dead := map[string]int{}
		for _, h := range hooks {
			dls, err := store.DeadLetters(context.Background(), h.id, 0)
			require.NoError(t, err)
			for _, dl := range dls {
				dead[dl.DeliveryID]++
				if !strings.Contains(dl.Reason, "Close") && !strings.Contains(dl.Reason, "closed") {
					continue // failed for good on its own
				}
				var data struct{ Data struct{ ID string } }
				require.NoError(t, dl.Event.Decode(&data))
				last, ok := lastTaken[h.path+"|"+data.Data.ID]
				require.False(t, ok && last > seqOf(dl.Event.ID()), "round %d: %s: %s taken after %s, given up: %s", round, h.path, strconv.Itoa(last), dl.Event.ID(), dl.Reason)
			}
		}
		require.NotEmpty(t, queued)
		// An attempt the deadline cut may have reached the receiver: its
		// dead letter is redelivered with the same webhook-id, for the
		// receiver to deduplicate.
		cut := map[string]bool{}
		for _, h := range hooks {
			invs, err := store.Invocations(context.Background(), h.id, 0)
			require.NoError(t, err)
			for _, inv := range invs {
				if strings.Contains(inv.Reason, "attempt interrupted") {
					cut[inv.DeliveryID] = true
				}
			}
		}
		for id := range queued {
			require.Equal(t, 1, finals[id], "round %d: delivery %s: one final record", round, id)
			if !cut[id] {
				require.LessOrEqual(t, took[id]+dead[id], 1, "round %d: delivery %s: taken and a dead letter", round, id)
			}
		}
		for id, n := range dead {
			require.Equal(t, 1, n, "round %d: delivery %s: dead letters", round, id)
		}
		for id, n := range took {
			require.Equal(t, 1, n, "round %d: delivery %s taken twice", round, id)
		}
		mu.Unlock()
	}
}
