package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/webhook"
)

// Webhooks of two tenants with the same response validator share its
// compiled form; what one tenant's invocation record holds of it is the
// record's own, so that code handling that record (sorting or editing the
// expected values, say) changes nothing of another tenant's deliveries.
func TestInvocationRecordsShareNothingWithOtherWebhooks(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"accepted"}`)
	})
	d, invs := newDispatcher(t)
	ctx := context.Background()
	for _, tenant := range []string{"acme", "globex"} {
		w := torqLike(rc.URL)
		w.ResponseValidators = []webhook.ResponseValidator{{JSONPath: "$.data.status", ExpectedValues: []string{"accepted", "queued"}}}
		_, err := d.Tenant(tenant).Create(ctx, w, "test")
		require.NoError(t, err)
	}

	_, err := d.Tenant("acme").Publish(ctx, mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.Equal(t, []string{"accepted", "queued"}, inv.Validation[0].Expected)
	inv.Validation[0].Expected[0] = "edited by acme's handler"

	_, err = d.Tenant("globex").Publish(ctx, mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv = waitFinal(t, invs, 1)[0]
	require.Equal(t, "globex", inv.Tenant)
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.Equal(t, []string{"accepted", "queued"}, inv.Validation[0].Expected)
}

// Tenants creating, publishing to and reading webhooks with one body,
// filter and validator at once, each delivery rendered from the shared
// template, are no data race (run with -race) and each receiver gets its
// tenant's event.
func TestSharedCompiledPartsUnderConcurrentUse(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"status":"accepted"}`)
	})
	d, invs := newDispatcher(t)
	ctx := context.Background()
	f := filter.Must(filter.New(filter.Eq("data.grantee.type", "user")))
	tenants := []string{"acme", "globex", "initech", "umbrella"}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for _, tenant := range tenants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tn := d.Tenant(tenant)
			for i := range 3 {
				w := torqLike(rc.URL)
				w.Name = fmt.Sprint("torq-", i)
				w.Filters = f
				w.ResponseValidators = []webhook.ResponseValidator{{JSONPath: "$.data.status", ExpectedValues: []string{"accepted"}}}
				created, err := tn.Create(ctx, w, "test")
				if err != nil {
					errs <- err
					return
				}
				if _, err := tn.Get(ctx, created.ID); err != nil {
					errs <- err
					return
				}
				if _, err := tn.Publish(ctx, mock(t, accessrequest.Created)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	// Each tenant published 3 times, to 1, 2 and then 3 webhooks.
	got := waitFinal(t, invs, len(tenants)*6)
	perTenant := map[string]int{}
	for _, inv := range got {
		require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
		perTenant[inv.Tenant]++
	}
	for _, tenant := range tenants {
		require.Equal(t, 6, perTenant[tenant], tenant)
	}
	for _, r := range rc.got() {
		require.Contains(t, r.body, "New Apono")
	}
}

// heldEngine keeps what is queued, never running it: the deliveries a
// stalled webhook's queue holds.
type heldEngine struct {
	mu   sync.Mutex
	held []*engine.Delivery
}

func (e *heldEngine) Start(engine.Runner) error { return nil }
func (e *heldEngine) Enqueue(_ context.Context, _ engine.Tx, batch []*engine.Delivery) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.held = append(e.held, batch...)
	return nil
}
func (e *heldEngine) Stats(context.Context) (engine.Stats, error) { return engine.Stats{}, nil }
func (e *heldEngine) Close(context.Context) error                 { return nil }

// A publisher that reuses its buffer once PublishJSON returns, as one
// reading events off a socket does, leaves the queued deliveries' events
// as they were published.
func TestPublishJSONKeepsNoHoldOfTheCallersBuffer(t *testing.T) {
	eng := &heldEngine{}
	d, err := webhook.New(webhook.WithEngine(eng), webhook.WithEventType("invoice.paid", nil))
	require.NoError(t, err)
	defer d.Close(context.Background())
	_, err = d.Add(webhook.Webhook{Name: "billing", Active: true, URL: "https://hooks.example/billing",
		Triggers: []event.Trigger{"invoice.paid"}, Filters: filter.Must(filter.New(filter.Eq("data.customer", "acme")))})
	require.NoError(t, err)

	first := `{"event_type":"invoice.paid","event_time":1774526412,"event_id":"ev-1","data":{"customer":"acme","total":"12.50"}}`
	other := `{"event_type":"invoice.void","event_time":1774526499,"event_id":"ev-2","data":{"customer":"init","total":"99.99"}}`
	require.Len(t, other, len(first))
	buf := []byte(first)
	pub, err := d.PublishJSON(context.Background(), buf)
	require.NoError(t, err)
	require.Len(t, pub.Deliveries, 1)
	copy(buf, other)

	require.Len(t, eng.held, 1)
	e := eng.held[0].Event
	require.Equal(t, first, string(e.JSON()))
	require.Equal(t, event.Trigger("invoice.paid"), e.Type())
	require.Equal(t, "ev-1", e.ID())
	require.Equal(t, "1774526412", e.Time().String())
	out, err := json.Marshal(e.Document())
	require.NoError(t, err)
	require.JSONEq(t, first, string(out))
}

// A filter whose path starts at the root ("$.data...") is stored in a
// form that loads back: Get and Tenant.Get read the webhook, and its
// deliveries go on.
func TestRootPathFilterReadsBackFromTheStore(t *testing.T) {
	eng := &heldEngine{}
	d, err := webhook.New(webhook.WithEngine(eng))
	require.NoError(t, err)
	defer d.Close(context.Background())
	f := filter.Must(filter.New(filter.All(filter.Eq("$.data.grantee.type", "user"), filter.Neq("$.data.requester.id", "x"))))
	w, err := d.Add(webhook.Webhook{Name: "root", Active: true, URL: "https://hooks.example/root",
		Triggers: []event.Trigger{accessrequest.Created}, Filters: f})
	require.NoError(t, err)

	got, ok := d.Get(w.ID)
	require.True(t, ok, "Get reads the stored definition")
	ev := mock(t, accessrequest.Created)
	require.True(t, got.Filters.Match(ev.Document()))
	masked, err := d.Tenant("").Get(context.Background(), w.ID)
	require.NoError(t, err)
	require.True(t, masked.Filters.Match(ev.Document()))
	pub, err := d.Publish(context.Background(), ev)
	require.NoError(t, err)
	require.Len(t, pub.Deliveries, 1)
}
