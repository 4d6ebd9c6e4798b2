package webhook_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/webhook"
)

// Event types without a schema, so that filters may name any path.
const (
	fxCreated event.Trigger = "thing.created"
	fxOther   event.Trigger = "thing.other"
)

// Values few enough that random filters and events meet often.
var fxValues = []any{"a", "b", "c", true, nil, 1}

func fxClause(r *rand.Rand, depth int) filter.Clause {
	paths := []string{"data.env", "data.tags[]", "data.groups[].type", "data.on"}
	path := paths[r.IntN(len(paths))]
	v := func() any { return fxValues[r.IntN(len(fxValues))] }
	if depth > 0 && r.IntN(3) == 0 {
		kids := make([]filter.Clause, 1+r.IntN(3))
		for i := range kids {
			kids[i] = fxClause(r, depth-1)
		}
		switch r.IntN(3) {
		case 0:
			return filter.All(kids...)
		case 1:
			return filter.Any(kids...)
		}
		return filter.Not(kids[0])
	}
	switch r.IntN(6) {
	case 0, 1:
		return filter.Eq(path, v())
	case 2, 3:
		return filter.In(path, v(), v())
	case 4:
		return filter.Neq(path, v())
	}
	return filter.Exists(path)
}

func fxEvent(t *testing.T, r *rand.Rand, n int) *event.Event {
	v := func() any { return fxValues[r.IntN(len(fxValues))] }
	data := map[string]any{"n": n}
	if r.IntN(4) > 0 {
		data["env"] = v()
	}
	if r.IntN(2) > 0 {
		data["tags"] = []any{v(), v()}
	}
	if r.IntN(2) > 0 {
		data["groups"] = []any{map[string]any{"type": v()}}
	}
	if r.IntN(2) > 0 {
		data["on"] = v()
	}
	e, err := event.New(fxCreated, data, event.WithID(fmt.Sprint("e", n)))
	require.NoError(t, err)
	return e
}

// Publish queues an event for exactly the active webhooks whose filters
// match it, in the order they were added, and counts every other active
// one as filtered, whatever the mix of filters (indexable or not), as
// webhooks are added, updated, switched off and removed; with
// WithRecordFiltered every filtered and inactive webhook still gets its
// record.
func TestPublishFiltersAsEachFilterSays(t *testing.T) {
	for _, record := range []bool{false, true} {
		t.Run(fmt.Sprintf("record-filtered=%v", record), func(t *testing.T) {
			r := rand.New(rand.NewPCG(21, 2))
			var records []webhook.Invocation
			eng := &countingEngine{}
			d, err := webhook.New(webhook.WithEngine(eng), webhook.WithRecordFiltered(record),
				webhook.WithEventType(fxCreated, nil), webhook.WithEventType(fxOther, nil),
				webhook.WithInvocationHook(func(inv webhook.Invocation) { records = append(records, inv) }))
			require.NoError(t, err)
			defer d.Close(context.Background())
			ctx := context.Background()
			tenant := d.Tenant("acme")
			type live struct {
				w webhook.Webhook
				f *filter.Filter
			}
			var hooks []live // in the order added
			for n := range 300 {
				switch op := r.IntN(10); {
				case op < 5 || len(hooks) == 0:
					f := filter.Must(filter.New(fxClause(r, 2)))
					if r.IntN(10) == 0 {
						f = nil
					}
					trigger := fxCreated
					if r.IntN(5) == 0 {
						trigger = fxOther
					}
					w, err := tenant.Create(ctx, webhook.Webhook{
						Name: fmt.Sprint("h", n), Active: r.IntN(8) > 0, URL: "https://hooks.example/x",
						Triggers: []event.Trigger{trigger}, Filters: f,
					}, "")
					require.NoError(t, err)
					hooks = append(hooks, live{w, f})
				case op < 7:
					i := r.IntN(len(hooks))
					h := &hooks[i]
					h.f = filter.Must(filter.New(fxClause(r, 2)))
					h.w.Filters, h.w.Active = h.f, r.IntN(3) > 0
					h.w, err = tenant.Update(ctx, h.w, "")
					require.NoError(t, err)
				case op < 8:
					i := r.IntN(len(hooks))
					require.NoError(t, tenant.Delete(ctx, hooks[i].w.ID, 0, ""))
					hooks = slices.Delete(hooks, i, i+1)
				}
				e := fxEvent(t, r, n)
				var want []string
				filtered, inactive := 0, 0
				for _, h := range hooks {
					switch {
					case h.w.Triggers[0] != fxCreated:
					case !h.w.Active:
						inactive++
					case h.f.Match(e.Document()):
						want = append(want, h.w.ID)
					default:
						filtered++
					}
				}
				records = records[:0]
				pub, err := tenant.Publish(ctx, e)
				require.NoError(t, err)
				var got []string
				for _, q := range pub.Deliveries {
					got = append(got, q.WebhookID)
				}
				require.Equal(t, want, got, "event %d: %s", n, e.Document())
				require.Equal(t, filtered, pub.Filtered, "event %d", n)
				require.Equal(t, inactive, pub.Inactive, "event %d", n)
				if record {
					require.Len(t, records, filtered+inactive, "event %d", n)
				} else {
					require.Empty(t, records)
				}
			}
		})
	}
}

// Adding a webhook to a trigger that thousands of others listen to
// allocates what adding it to one of a few does, and so does removing
// one: neither copies the trigger's list of webhooks.
func TestAddAndRemoveCostNoMoreWithManyWebhooks(t *testing.T) {
	perAddRemove := func(registered int) uint64 {
		d, err := webhook.New(webhook.WithEngine(&countingEngine{}))
		require.NoError(t, err)
		defer d.Close(context.Background())
		hook := func(i int) webhook.Webhook {
			return webhook.Webhook{
				ID: fmt.Sprint("wh-", i), Name: fmt.Sprint("h", i), Active: true, URL: "https://hooks.example/x",
				Triggers: []event.Trigger{accessrequest.Created},
				Filters:  filter.Must(filter.New(filter.Requester(fmt.Sprint("usr-", i)))),
			}
		}
		hooks := make([]webhook.Webhook, registered)
		for i := range hooks {
			hooks[i] = hook(i)
		}
		_, err = d.AddAll(hooks)
		require.NoError(t, err)
		const rounds = 50
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := range rounds {
			_, err := d.Add(hook(registered + i))
			require.NoError(t, err)
			require.NoError(t, d.Remove(hook(registered+i).ID))
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / rounds
	}
	few, many := perAddRemove(10), perAddRemove(20_000)
	t.Logf("bytes allocated per Add and Remove: %d with 10 registered, %d with 20,000", few, many)
	require.Less(t, many, 2*few, "an Add and a Remove beside 20,000 webhooks allocate %d bytes, beside 10 %d", many, few)
}

// Publishing while other goroutines add, update and remove webhooks
// (some filters matching, some not, some of no index) queues only
// matching webhooks, and once the writers stop exactly those that are
// left: run with -race.
func TestPublishDuringRegistration(t *testing.T) {
	d, err := webhook.New(webhook.WithEngine(&countingEngine{}), webhook.WithEventType(fxCreated, nil))
	require.NoError(t, err)
	defer d.Close(context.Background())
	ctx := context.Background()
	filters := []*filter.Filter{
		filter.Must(filter.New(filter.Eq("data.env", "a"))),                                        // matches
		filter.Must(filter.New(filter.Prefix("data.env", "a"))),                                    // matches, no index
		filter.Must(filter.New(filter.Eq("data.env", "b"))),                                        // does not
		filter.Must(filter.New(filter.All(filter.Eq("data.on", true), filter.Exists("data.env")))), // does not
	}
	hook := func(w, i int) webhook.Webhook {
		return webhook.Webhook{
			ID: fmt.Sprintf("w%d-%d", w, i), Name: fmt.Sprintf("w%d-%d", w, i), Active: true, URL: "https://hooks.example/x",
			Triggers: []event.Trigger{fxCreated}, Filters: filters[i%len(filters)],
		}
	}
	e, err := event.New(fxCreated, map[string]any{"env": "a"})
	require.NoError(t, err)
	matches := func(id string) bool {
		var w, i int
		_, err := fmt.Sscanf(id, "w%d-%d", &w, &i)
		assert.NoError(t, err)
		return i%len(filters) < 2
	}
	done := make(chan struct{})
	var publishers sync.WaitGroup
	for range 2 {
		publishers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				pub, err := d.Publish(ctx, e)
				assert.NoError(t, err)
				for _, q := range pub.Deliveries {
					assert.True(t, matches(q.WebhookID), q.WebhookID)
				}
			}
		})
	}
	var writers sync.WaitGroup
	for w := range 2 {
		writers.Go(func() {
			for i := range 200 {
				_, err := d.Add(hook(w, i))
				assert.NoError(t, err)
				if j := i / 3; i%3 == 0 && j%5 != 3 { // not removed
					upd := hook(w, j)
					// The same filter, a new version: it keeps its place.
					_, err := d.Update(upd)
					assert.NoError(t, err)
				}
				if i%5 == 4 {
					assert.NoError(t, d.Remove(hook(w, i-1).ID))
				}
			}
		})
	}
	writers.Wait()
	close(done)
	publishers.Wait()
	var want []string
	for _, w := range d.List() {
		if matches(w.ID) {
			want = append(want, w.ID)
		}
	}
	pub, err := d.Publish(ctx, e)
	require.NoError(t, err)
	var got []string
	for _, q := range pub.Deliveries {
		got = append(got, q.WebhookID)
	}
	require.Equal(t, want, got, "in the order added")
	require.Equal(t, len(d.List())-len(want), pub.Filtered)
}

// Publish allocates for each match what its delivery needs, and nothing
// more per Publish: 16 matches cost no more than 16 times one. Each byte
// a Publish allocates costs the collector marking of the live heap,
// which holds every webhook registered.
func TestPublishAllocatesPerMatchOnly(t *testing.T) {
	perPublish := func(matching int) uint64 {
		d, err := webhook.New(webhook.WithEngine(&countingEngine{}), webhook.WithEventType(fxCreated, nil))
		require.NoError(t, err)
		defer d.Close(context.Background())
		for i := range matching {
			_, err := d.Add(webhook.Webhook{
				ID: fmt.Sprint("wh-", i), Name: fmt.Sprint("h", i), Active: true, URL: "https://hooks.example/x",
				Triggers: []event.Trigger{fxCreated},
				Filters:  filter.Must(filter.New(filter.Eq("data.env", "a"))),
			})
			require.NoError(t, err)
		}
		e, err := event.New(fxCreated, map[string]any{"env": "a"})
		require.NoError(t, err)
		publish := func() {
			pub, err := d.Publish(context.Background(), e)
			require.NoError(t, err)
			require.Len(t, pub.Deliveries, matching)
		}
		publish() // compiles the webhooks
		const rounds = 200
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range rounds {
			publish()
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / rounds
	}
	one, many := perPublish(1), perPublish(16)
	t.Logf("bytes allocated per Publish: %d with 1 match, %d with 16", one, many)
	require.LessOrEqual(t, many, 16*one, "16 matches allocate %d bytes per Publish, 1 match %d", many, one)
}
