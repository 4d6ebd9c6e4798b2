package riverengine_test

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

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/benchinput"
	"github.com/outhook/outhook/keyring"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

var scale = flag.Bool("scale", false, "run BenchmarkLoadDefinitions with 1,000,000 definitions too (minutes, GiBs)")

// BenchmarkLoadDefinitions measures an instance starting on a PostgreSQL
// definition store of 10,000 and, with -scale, 1,000,000 definitions, 10
// per tenant, as the bench module's BenchmarkScale makes them (Torq's
// body for most, headers with secrets, sealed with a keyring): ns/op is
// webhook.New over the store, which reads every definition (Changes, a
// page of 1,000 at a time) and compiles none; it also reports the heap
// the Dispatcher keeps per definition (dispatcher-B/def). The table is
// filled with COPY from records Tenant.Encode makes, without revisions,
// which loading does not read:
//
//	go test -run '^$' -bench LoadDefinitions -benchtime 3x -scale -timeout 60m
func BenchmarkLoadDefinitions(b *testing.B) {
	sizes := []int{10_000}
	if *scale {
		sizes = append(sizes, 1_000_000)
	}
	key, err := keyring.GenerateKey("bench-1")
	require.NoError(b, err)
	kr, err := keyring.New(key)
	require.NoError(b, err)
	for _, defs := range sizes {
		b.Run(fmt.Sprintf("db=postgres/defs=%d", defs), func(b *testing.B) {
			ctx := context.Background()
			pool := newPool(b, needPostgres(b))
			require.NoError(b, riverengine.Migrate(ctx, pool))
			b.StopTimer()
			copyDefinitions(b, pool, kr, defs/10)
			store := riverengine.NewDefinitionStore(pool)
			b.StartTimer()
			var heap int64
			for i := 0; b.Loop(); i++ {
				base := heapInUse()
				d, err := webhook.New(webhook.WithDefinitionStore(store), webhook.WithKeyring(kr))
				if err != nil {
					b.Fatal(err)
				}
				if i == 0 {
					b.StopTimer()
					heap = heapInUse() - base
					page, err := d.Tenant(scaleTenant(defs/10-1)).List(ctx, defstore.ListOptions{})
					require.NoError(b, err)
					require.Len(b, page.Webhooks, 10, "the last tenant's webhooks are there")
					b.StartTimer()
				}
				require.NoError(b, d.Close(ctx))
			}
			b.ReportMetric(float64(heap)/float64(defs), "dispatcher-B/def")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(defs), "load-µs/def")
		})
	}
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

// copyDefinitions writes 10 definitions for each of tenants tenants into
// outhook_definition with COPY, as versions 1 numbered from 1: what
// Create would write, some 10,000 times faster.
func copyDefinitions(b *testing.B, pool *pgxpool.Pool, kr *keyring.Keyring, tenants int) {
	encoder, err := webhook.New(webhook.WithKeyring(kr))
	require.NoError(b, err)
	defer encoder.Close(context.Background())
	rows := make(chan []any, 1024)
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	now := time.Now()
	for w := range 2 {
		wg.Go(func() {
			for t := w; t < tenants; t += 2 {
				tenant := encoder.Tenant(scaleTenant(t))
				for i, h := range scaleHooks(t) {
					rec, err := tenant.Encode(h)
					if err != nil {
						errs <- err
						return
					}
					seq := int64(t*10 + i + 1)
					rows <- []any{rec.Tenant, rec.ID, int64(1), rec.Name, rec.Active, rec.Triggers,
						rec.Definition, rec.Secrets, seq, false, now, now, "seed"}
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(rows)
	}()
	n, err := pool.CopyFrom(context.Background(), pgx.Identifier{"outhook_definition"},
		[]string{"tenant", "id", "version", "name", "active", "triggers", "definition", "secrets",
			"seq", "deleted", "created_at", "updated_at", "updated_by"},
		&rowSource{rows: rows})
	for range rows { // what COPY left when it failed, so that the encoders end
	}
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	require.NoError(b, err)
	require.EqualValues(b, tenants*10, n)
	_, err = pool.Exec(context.Background(), "ANALYZE outhook_definition")
	require.NoError(b, err)
}

// rowSource is a pgx.CopyFromSource reading rows from a channel.
type rowSource struct {
	rows <-chan []any
	row  []any
}

func (s *rowSource) Next() bool {
	var ok bool
	s.row, ok = <-s.rows
	return ok
}
func (s *rowSource) Values() ([]any, error) { return s.row, nil }
func (s *rowSource) Err() error             { return nil }

// The triggers of a tenant's webhooks other than Created.
var otherTriggers = []event.Trigger{accessrequest.Approved, accessrequest.Granted, accessrequest.Expired, accessrequest.Rejected, accessrequest.Failed}

// scaleHooks returns the definitions of tenant t: 5 on Created, 5 on
// other triggers; most with Torq's body, one in ten the rich body, one
// in a hundred one of the tenant's own.
func scaleHooks(t int) []webhook.Webhook {
	hooks := make([]webhook.Webhook, 10)
	for i := range hooks {
		trigger := accessrequest.Created
		if i >= 5 {
			trigger = otherTriggers[i-5]
		}
		body := benchinput.Torq
		switch n := t*10 + i; {
		case n%100 == 7:
			body = fmt.Sprintf(`{"body":{"event":"Access: {{event_type}} by {{data.requester.name}}","tenant":"org-%06d"}}`, t)
		case n%10 == 3:
			body = benchinput.Rich
		}
		hooks[i] = webhook.Webhook{
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
		if i == 1 {
			hooks[i].SigningSecrets = []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
		}
	}
	return hooks
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
