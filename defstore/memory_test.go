package defstore_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/defstore/defstoretest"
)

func TestMemoryConformance(t *testing.T) {
	defstoretest.Run(t, func(*testing.T) defstore.Store { return defstore.NewMemory() })
}

func TestMemoryZeroValueConformance(t *testing.T) {
	defstoretest.Run(t, func(*testing.T) defstore.Store { return new(defstore.Memory) })
}

func TestMemoryIsNotAtRest(t *testing.T) {
	require.False(t, defstore.NewMemory().AtRest())
}

func record(tenant, id string) defstore.Record {
	return defstore.Record{Tenant: tenant, ID: id, Name: id, Definition: []byte(`{}`)}
}

// TestMemoryKeepsTheNewestRevisions checks that History keeps the
// HistoryKept newest revisions, however many are asked for.
func TestMemoryKeepsTheNewestRevisions(t *testing.T) {
	m := defstore.NewMemory()
	ctx := t.Context()
	_, err := m.Create(ctx, record("t", "hook"), "creator", 0)
	require.NoError(t, err)
	for i := range 2*defstore.HistoryKept + 7 {
		_, err := m.Update(ctx, record("t", "hook"), defstore.AnyVersion, fmt.Sprint("actor-", i))
		require.NoError(t, err)
	}
	last := int64(2*defstore.HistoryKept + 8)
	h, err := m.History(ctx, "t", "hook", 1000)
	require.NoError(t, err)
	require.Len(t, h, defstore.HistoryKept)
	for i, r := range h {
		require.Equal(t, last-int64(i), r.Version)
		require.Equal(t, fmt.Sprint("actor-", last-int64(i)-2), r.Actor)
	}
	got, err := m.Get(ctx, "t", "hook")
	require.NoError(t, err)
	require.Equal(t, h[0].Actor, got.UpdatedBy)
	require.Equal(t, h[0].At, got.UpdatedAt)
}

// TestMemoryListsLargeTenantsInOrder checks List over a tenant of many
// definitions created and deleted in random order, against a sorted
// slice.
func TestMemoryListsLargeTenantsInOrder(t *testing.T) {
	m := defstore.NewMemory()
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(1, 2))
	live := map[string]bool{}
	for range 6000 {
		id := fmt.Sprint(rng.IntN(4000))
		if live[id] && rng.IntN(3) == 0 {
			require.NoError(t, m.Delete(ctx, "t", id, defstore.AnyVersion, "a"))
			delete(live, id)
		} else if !live[id] {
			_, err := m.Create(ctx, record("t", id), "a", 0)
			require.NoError(t, err)
			live[id] = true
		}
	}
	var want []string
	for id := range live {
		want = append(want, id)
	}
	slices.Sort(want)

	var got []string
	page := defstore.Page{}
	for {
		var err error
		page, err = m.List(ctx, "t", defstore.ListOptions{After: page.Next, Limit: 333})
		require.NoError(t, err)
		for _, r := range page.Records {
			got = append(got, r.ID)
		}
		if page.Next == "" {
			break
		}
	}
	require.Equal(t, want, got)
	n, err := m.Count(ctx, "t")
	require.NoError(t, err)
	require.Equal(t, len(want), n)
}

func TestMemoryRefusesAForeignCursor(t *testing.T) {
	_, err := defstore.NewMemory().List(t.Context(), "t", defstore.ListOptions{After: "not base64!"})
	require.ErrorContains(t, err, "not a cursor of List")
}

// TestMemoryNotifiesWithoutBlockingWriters checks that a notify that does
// not return holds no write, that calls do not overlap, and that writes
// made during a call give one more call after it.
func TestMemoryNotifiesWithoutBlockingWriters(t *testing.T) {
	m := defstore.NewMemory()
	ctx := t.Context()
	release := make(chan struct{})
	var calls, running atomic.Int32
	entered := make(chan struct{}, 1)
	cancel, err := m.Subscribe(func() {
		if running.Add(1) != 1 {
			t.Error("notify calls overlap")
		}
		defer running.Add(-1)
		if calls.Add(1) == 1 {
			entered <- struct{}{}
			<-release
		}
	})
	require.NoError(t, err)
	defer cancel()

	_, err = m.Create(ctx, record("t", "hook"), "a", 0)
	require.NoError(t, err)
	<-entered
	for i := range 100 {
		_, err := m.Update(ctx, record("t", "hook"), defstore.AnyVersion, fmt.Sprint(i))
		require.NoError(t, err, "writes go on while notify is stuck")
	}
	require.Equal(t, int32(1), calls.Load())
	close(release)
	require.Eventually(t, func() bool { return calls.Load() == 2 }, 10*time.Second, time.Millisecond,
		"the writes during the call give one call after it")
	// Nothing more comes without writes: a second subscriber's call after
	// one more write shows the first had its turn.
	var witness atomic.Int32
	cancelWitness, err := m.Subscribe(func() { witness.Add(1) })
	require.NoError(t, err)
	defer cancelWitness()
	_, err = m.Update(ctx, record("t", "hook"), defstore.AnyVersion, "last")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return witness.Load() == 1 && calls.Load() == 3 }, 10*time.Second, time.Millisecond)
}

func TestMemoryCancelFromNotify(t *testing.T) {
	m := defstore.NewMemory()
	var cancel func()
	var mu sync.Mutex
	var calls atomic.Int32
	done := make(chan struct{})
	mu.Lock()
	cancel, err := m.Subscribe(func() {
		mu.Lock()
		defer mu.Unlock()
		if calls.Add(1) == 1 {
			cancel()
			close(done)
		}
	})
	mu.Unlock()
	require.NoError(t, err)
	_, err = m.Create(t.Context(), record("t", "hook"), "a", 0)
	require.NoError(t, err)
	<-done
	for i := range 10 {
		_, err = m.Update(t.Context(), record("t", "hook"), defstore.AnyVersion, fmt.Sprint(i))
		require.NoError(t, err)
	}
	require.Equal(t, int32(1), calls.Load())
}

// BenchmarkMemoryScale fills a Memory with definitions across tenants of
// ten; its Count reports the heap each definition costs (B/def) beside
// its own bytes (payload-B/def) and the time to create one; then it
// measures a page of 1000 Changes from a random sequence number, a Get,
// and a List of a tenant.
func BenchmarkMemoryScale(b *testing.B) {
	for _, defs := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprint("defs=", defs), func(b *testing.B) {
			benchmarkScale(b, defs)
		})
	}
}

func benchmarkScale(b *testing.B, defs int) {
	const perTenant = 10
	ctx := b.Context()
	secrets := make([]byte, 80) // a sealed header value and signing secret
	body := `{"url":"https://hooks.example.com/services/T000/B000/%08d","method":"POST",` +
		`"body_template":"{\"text\":\"{{data.requester.name}} asked for {{data.access_bundle.name}}\"}",` +
		`"timeout_in_sec":10,"filters":{"integration":["aws-prod"]}}`
	triggers := []string{"RequestCreated", "RequestGranted", "RequestFailed"}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := defstore.NewMemory()
	payload := 0
	start := time.Now()
	for i := range defs {
		r := defstore.Record{
			Tenant:     fmt.Sprintf("tenant-%06d", i/perTenant),
			ID:         fmt.Sprintf("webhook-%08d", i),
			Name:       fmt.Sprintf("Slack %08d", i),
			Active:     true,
			Triggers:   triggers,
			Definition: fmt.Appendf(nil, body, i),
			Secrets:    secrets,
		}
		payload += len(r.ID) + len(r.Name) + len(r.Definition) + len(r.Secrets)
		if _, err := m.Create(ctx, r, "admin@example.com", 0); err != nil {
			b.Fatal(err)
		}
	}
	load := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)

	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([][2]string, 1024)
	for i := range keys {
		n := rng.IntN(defs)
		keys[i] = [2]string{fmt.Sprintf("tenant-%06d", n/perTenant), fmt.Sprintf("webhook-%08d", n)}
	}
	// Count carries the figures of the load, as a benchmark with
	// sub-benchmarks reports none.
	b.Run("Count", func(b *testing.B) {
		for b.Loop() {
			if _, err := m.Count(ctx, keys[0][0]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(defs), "B/def")
		b.ReportMetric(float64(payload)/float64(defs), "payload-B/def")
		b.ReportMetric(float64(load.Nanoseconds())/float64(defs), "load-ns/def")
	})
	b.Run("Changes1000", func(b *testing.B) {
		for b.Loop() {
			page, err := m.Changes(ctx, rng.Uint64N(uint64(defs-1000)), 1000)
			if err != nil || len(page) != 1000 {
				b.Fatal(err, len(page))
			}
		}
	})
	b.Run("Get", func(b *testing.B) {
		i := 0
		for b.Loop() {
			k := keys[i%len(keys)]
			i++
			if _, err := m.Get(ctx, k[0], k[1]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("List", func(b *testing.B) {
		i := 0
		for b.Loop() {
			k := keys[i%len(keys)]
			i++
			if page, err := m.List(ctx, k[0], defstore.ListOptions{}); err != nil || len(page.Records) != perTenant {
				b.Fatal(err)
			}
		}
	})
	runtime.KeepAlive(m)
}
