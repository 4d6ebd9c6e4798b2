package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/keyring"
	"github.com/outhook/outhook/webhook"
)

var scale = flag.Bool("scale", false, "run BenchmarkScale with 1,000,000 definitions too (minutes, several GiB)")

// Every tenant of BenchmarkScale has this many definitions, of which
// scaleMatching receive the event published.
const (
	scaleHooksPerTenant = 10
	scaleMatching       = 5
)

// BenchmarkScale measures one instance following a definition store of
// 10 definitions (the anchor: one tenant), 10,000 (1,000 tenants) and,
// with -scale, 1,000,000 (100,000 tenants), in the default in-memory
// store (defstore.Memory), secrets sealed with a keyring. Each tenant has
// 10 webhooks, 5 of them on the event published; most use Torq's body,
// one in ten the rich body and one in a hundred a body of its own; each
// has an Authorization header and a secret header, its own URL, and some
// have a signing secret, a filter or a response validator. The store is
// filled with the records Tenant.Encode makes, before the measures.
//
// ns/op is Tenant(t).Publish of the 3 KB event matching 5 webhooks whose
// compiled form is in use already, into an engine that drops the
// deliveries: one-tenant/ publishes for one tenant, as the anchor does, so
// that the ratio is the cost of the store's size alone (target: at most 2x
// the anchor's at 1,000,000); spread/ for 1,000 tenants in turn, whose
// compiled webhooks no longer fit in the CPU's caches, as a service's
// events would. one-tenant/ also reports:
//
//   - load-ms: webhook.New over the filled store (it loads every
//     definition, compiling none), and load-µs/def;
//   - store-B/def and total-B/def: the heap in use after a GC, per
//     definition, of the store alone and of the store with the
//     Dispatcher following it;
//   - compiled-B/hook: the heap a webhook's compiled form adds, once a
//     Publish needs it;
//   - cold-publish-µs: the first Publish of a tenant, which compiles its
//     5 webhooks.
func BenchmarkScale(b *testing.B) {
	sizes := []int{10, 10_000}
	if *scale {
		sizes = append(sizes, 1_000_000)
	}
	ev, err := event.Parse(eventJSON(b))
	if err != nil {
		b.Fatal(err)
	}
	key, err := keyring.GenerateKey("bench-1")
	if err != nil {
		b.Fatal(err)
	}
	kr, err := keyring.New(key)
	if err != nil {
		b.Fatal(err)
	}
	var anchor float64 // ns per Publish
	for _, defs := range sizes {
		name := fmt.Sprintf("defs=%d", defs)
		if defs == sizes[0] {
			name = "anchor=" + name
		}
		env := newScale(b, kr, ev, defs)
		b.Run("one-tenant/"+name, func(b *testing.B) {
			perOp := env.publish(b, 1)
			if defs == sizes[0] {
				anchor = perOp
			} else if anchor > 0 {
				b.ReportMetric(perOp/anchor, "publish-ratio")
			}
			env.report(b)
		})
		if env.tenants > 1 {
			b.Run("spread/"+name, func(b *testing.B) {
				perOp := env.publish(b, 1000)
				if anchor > 0 {
					b.ReportMetric(perOp/anchor, "publish-ratio")
				}
			})
		}
		env.close()
	}
}

// scaleEnv is a store of definitions and a Dispatcher following it.
type scaleEnv struct {
	d       *webhook.Dispatcher
	ev      *event.Event
	defs    int
	tenants int
	ids     []string // of the tenants, by number
	// What newScale measured.
	load                     time.Duration
	stored, loaded, compiled int64 // heap in use beyond what it was before
	hooks                    int   // compiled
	coldPublish              time.Duration
}

// newScale fills a store with defs definitions and loads it, and
// compiles the webhooks of the first 1,000 tenants by publishing for them.
func newScale(b *testing.B, kr *keyring.Keyring, ev *event.Event, defs int) *scaleEnv {
	env := &scaleEnv{ev: ev, defs: defs, tenants: defs / scaleHooksPerTenant}
	for t := range env.tenants {
		env.ids = append(env.ids, scaleTenant(t))
	}
	base := heapInUse()
	store := defstore.NewMemory()
	fillStore(b, store, kr, env.tenants)
	env.stored = heapInUse() - base

	start := time.Now()
	d, err := webhook.New(webhook.WithDefinitionStore(store), webhook.WithKeyring(kr), webhook.WithEngine(&countingEngine{}))
	if err != nil {
		b.Fatal(err)
	}
	env.load = time.Since(start)
	env.d = d
	loaded := heapInUse()
	env.loaded = loaded - base

	// The first Publish of a tenant compiles its webhooks.
	touched := map[int]bool{}
	cold := min(env.tenants, 100)
	start = time.Now()
	for k := range cold {
		t := k * (env.tenants / cold)
		env.publishOnce(b, t)
		touched[t] = true
	}
	env.coldPublish = time.Since(start) / time.Duration(cold)
	for t := range min(env.tenants, 1000) {
		env.publishOnce(b, t)
		touched[t] = true
	}
	env.compiled = heapInUse() - loaded
	env.hooks = len(touched) * scaleMatching
	return env
}

func (env *scaleEnv) publishOnce(b *testing.B, tenant int) {
	pub, err := env.d.Tenant(env.ids[tenant]).Publish(context.Background(), env.ev)
	if err != nil {
		b.Fatal(err)
	}
	if len(pub.Deliveries) != scaleMatching {
		b.Fatalf("tenant %d: %d deliveries, want %d (filtered %d, inactive %d)",
			tenant, len(pub.Deliveries), scaleMatching, pub.Filtered, pub.Inactive)
	}
}

// publish measures Publish for the first tenants tenants in turn, and
// returns the ns per Publish.
func (env *scaleEnv) publish(b *testing.B, tenants int) float64 {
	b.ReportAllocs()
	t := 0
	for b.Loop() {
		env.publishOnce(b, t)
		if t++; t == tenants {
			t = 0
		}
	}
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N)
}

// report reports what newScale measured.
func (env *scaleEnv) report(b *testing.B) {
	b.ReportMetric(float64(env.load)/float64(time.Millisecond), "load-ms")
	b.ReportMetric(float64(env.load)/float64(time.Microsecond)/float64(env.defs), "load-µs/def")
	b.ReportMetric(float64(env.stored)/float64(env.defs), "store-B/def")
	b.ReportMetric(float64(env.loaded)/float64(env.defs), "total-B/def")
	b.ReportMetric(float64(env.compiled)/float64(env.hooks), "compiled-B/hook")
	b.ReportMetric(float64(env.coldPublish)/float64(time.Microsecond), "cold-publish-µs")
}

func (env *scaleEnv) close() {
	_ = env.d.Close(context.Background())
	env.d = nil
}

// heapInUse returns the bytes of heap spans in use after a collection.
func heapInUse() int64 {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

func scaleTenant(i int) string { return fmt.Sprintf("org-%06d", i) }

// fillStore stores the definitions of tenants tenants, as Tenant.Create
// would (Create itself would keep each compiled in the Dispatcher that
// creates it).
func fillStore(b *testing.B, store defstore.Store, kr *keyring.Keyring, tenants int) {
	encoder, err := webhook.New(webhook.WithKeyring(kr), webhook.WithEngine(&countingEngine{}))
	if err != nil {
		b.Fatal(err)
	}
	defer encoder.Close(context.Background())
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for w := range 2 {
		wg.Go(func() {
			for t := w; t < tenants; t += 2 {
				tenant := encoder.Tenant(scaleTenant(t))
				for i, w := range scaleHooks(t) {
					rec, err := tenant.Encode(w)
					if err == nil {
						_, err = store.Create(ctx, rec, "seed", 0)
					}
					if err != nil {
						errs <- fmt.Errorf("tenant %d, webhook %d: %w", t, i, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

// The triggers of a tenant's webhooks that do not get the event
// published.
var otherTriggers = []event.Trigger{accessrequest.Approved, accessrequest.Granted, accessrequest.Expired, accessrequest.Rejected, accessrequest.Failed}

// scaleHooks returns the definitions of tenant t: 5 on the event
// published, 5 on other triggers.
func scaleHooks(t int) []webhook.Webhook {
	hooks := make([]webhook.Webhook, scaleHooksPerTenant)
	for i := range hooks {
		trigger := accessrequest.Created
		if i >= scaleMatching {
			trigger = otherTriggers[i-scaleMatching]
		}
		body := torqOuthook
		switch n := t*scaleHooksPerTenant + i; {
		case n%100 == 7: // a body of the tenant's own
			body = fmt.Sprintf(`{"body":{"event":"%s: {{event_type}} by {{data.requester.name}}","tenant":"org-%06d"}}`, "Access", t)
		case n%10 == 3:
			body = richOuthook
		}
		w := webhook.Webhook{
			ID: fmt.Sprintf("wh-%02d", i), Name: fmt.Sprintf("Torq %d", i), Active: true,
			URL:          "https://hooks.torq.io/v1/webhooks/" + randomHex(16),
			BodyTemplate: body,
			Headers: map[string]string{
				"Authorization": "Bearer " + randomHex(20),
				"X-Torq-Secret": randomHex(16),
				"Content-Type":  "application/json",
			},
			Triggers: []event.Trigger{trigger},
		}
		switch i {
		case 1:
			w.SigningSecrets = []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
		case 2:
			w.Filters = integrationFilter
		case 3:
			w.ResponseValidators = []webhook.ResponseValidator{{JSONPath: "$.data.status", ExpectedValues: []string{"ok"}}}
		}
		hooks[i] = w
	}
	return hooks
}

// integrationFilter matches the event published.
var integrationFilter = func() *filter.Filter {
	f, err := filter.New(filter.IntegrationType("Postgresql", "Mysql"))
	if err != nil {
		panic(err)
	}
	return f
}()

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
