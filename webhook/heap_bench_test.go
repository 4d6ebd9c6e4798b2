package webhook_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/webhook"
)

// torqBody is Apono's suggested Torq body, the preset most tenants use.
const torqBody = `{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}"}}`

// realisticDefinition is the i-th of many webhooks as a service's tenants
// register them: its own URL and credentials, a signing secret, a filter
// (decoded for each, as from a request's JSON) and a response validator;
// body is its body template.
func realisticDefinition(tb testing.TB, i int, body string) webhook.Webhook {
	f, err := filter.Parse([]byte(`{"data.access_groups[].integration.type":{"$in":["Postgresql","Mysql"]}}`))
	if err != nil {
		tb.Fatal(err)
	}
	return webhook.Webhook{
		Name: fmt.Sprintf("Torq %d", i), Active: true,
		URL:          fmt.Sprintf("https://hooks.torq.io/v1/webhooks/%032x", i),
		BodyTemplate: body,
		Headers: map[string]string{
			"Authorization": fmt.Sprintf("Bearer %040x", i),
			"X-Torq-Secret": fmt.Sprintf("%032x", i),
		},
		Triggers:       []event.Trigger{accessrequest.Created},
		SigningSecrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		Filters:        f,
		ResponseValidators: []webhook.ResponseValidator{
			{JSONPath: "$.data.status", ExpectedValues: []string{"ok"}},
		},
	}
}

// BenchmarkDefinitionHeap reports the heap each definition added with
// AddAll holds (B/definition), the definition itself included, measured
// with runtime.MemStats over 2,000 definitions: preset/ all with one body
// template, as most tenants have; own/ each with a body of its own. The
// default definition store's records (about 600 bytes each here) are
// included; bench's BenchmarkScale reports the store's share apart.
func BenchmarkDefinitionHeap(b *testing.B) {
	const defs = 2000
	for _, shared := range []bool{true, false} {
		name := "own"
		if shared {
			name = "preset"
		}
		b.Run(name, func(b *testing.B) {
			var perDef float64
			for b.Loop() {
				d, err := webhook.New(webhook.WithEngine(&countingEngine{}))
				if err != nil {
					b.Fatal(err)
				}
				before := heapAlloc()
				hooks := make([]webhook.Webhook, defs)
				for i := range hooks {
					body := torqBody
					if !shared {
						body = fmt.Sprintf(`{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}","tenant":"org-%06d"}}`, i)
					}
					hooks[i] = realisticDefinition(b, i, body)
				}
				if _, err := d.AddAll(hooks); err != nil {
					b.Fatal(err)
				}
				hooks = nil
				perDef = float64(heapAlloc()-before) / defs
				runtime.KeepAlive(d)
				_ = d.Close(context.Background())
			}
			b.ReportMetric(perDef, "B/definition")
		})
	}
}

// BenchmarkLoadedDefinitionHeap is BenchmarkDefinitionHeap's preset
// case for definitions another instance wrote, as every instance but the
// writer holds them, and all after a restart: loaded from the store and
// compiled by a Publish. torq/ has the 88-byte Torq body, preset-1kb/ a
// body of 1,330 bytes.
func BenchmarkLoadedDefinitionHeap(b *testing.B) {
	for _, c := range []struct{ name, body string }{{"torq", torqBody}, {"preset-1kb", presetBody}} {
		b.Run(c.name, func(b *testing.B) {
			var perDef float64
			for b.Loop() {
				perDef = loadedHeap(b, 2000, c.body)
			}
			b.ReportMetric(perDef, "B/definition")
		})
	}
}

// loadedHeap returns the heap each of defs realistic definitions with
// body holds in a Dispatcher that loaded them from its store, written
// by another, and compiled them, the store's records included.
func loadedHeap(tb testing.TB, defs int, body string) float64 {
	ctx := context.Background()
	store := defstore.NewMemory()
	writer, err := webhook.New(webhook.WithEngine(&countingEngine{}), webhook.WithDefinitionStore(store))
	if err != nil {
		tb.Fatal(err)
	}
	for i := range defs {
		rec, err := writer.Tenant("").Encode(realisticDefinition(tb, i, body))
		if err == nil {
			_, err = store.Create(ctx, rec, "seed", 0)
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	if err := writer.Close(ctx); err != nil {
		tb.Fatal(err)
	}
	writer = nil
	before := heapAlloc()
	reader, err := webhook.New(webhook.WithEngine(&countingEngine{}), webhook.WithDefinitionStore(store))
	if err != nil {
		tb.Fatal(err)
	}
	defer reader.Close(ctx)
	// Compiles them all: the mock's integration type is not Postgresql or
	// Mysql, so none matches.
	pub, err := reader.Publish(ctx, mustMock(tb, accessrequest.Created))
	if err != nil {
		tb.Fatal(err)
	}
	if n := pub.Filtered + len(pub.Deliveries); n != defs {
		tb.Fatalf("%d definitions looked at, want %d", n, defs)
	}
	perDef := float64(heapAlloc()-before) / float64(defs)
	runtime.KeepAlive(reader)
	return perDef
}

// heapAlloc returns the bytes of live heap objects after a collection.
func heapAlloc() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
