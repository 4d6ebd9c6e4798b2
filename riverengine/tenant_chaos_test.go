package riverengine_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/chaos"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

var tenantChaosEvents = flag.Int("chaos.tenant-events", 100, "how many events TestTenantChaos publishes for each of its 3 tenants, to each tenant's 3 webhooks (a quarter as many on SQLite)")

// TestTenantChaos is TestChaosPostgres (and TestChaosSQLite) with three
// tenants, "" (the single-tenant service's) among them, whose webhooks
// have the same ids and names, on two instances on one database that
// follow the engine's definition store, secrets sealed with a keyring.
// The webhooks are created through one instance; each tenant's events
// are published through both, concurrently. Once every delivery ended it
// checks chaos.Check's invariants, per tenant: every (tenant, webhook,
// event) ended exactly once, delivered or dead-lettered with a reason,
// recorded for its tenant, listed among its tenant's dead letters when
// it failed; no tenant's webhook got another tenant's event. And every
// River job completed, the Store's records, read through each tenant's
// queries, agree with what the Dispatchers reported, neither River nor
// the Dispatchers logged a problem, and no goroutine outlived them.
//
// CI runs 100 events per tenant on PostgreSQL (900 deliveries) and 25 on
// SQLite; -chaos.tenant-events sets more.
func TestTenantChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos takes tens of seconds")
	}
	leakcheck.Check(t)
	eachSharedDatabase(t, func(t *testing.T, db sharedDatabase) {
		n := *tenantChaosEvents
		if strings.HasSuffix(t.Name(), "sqlite") {
			n = max(n/4, 2)
		}
		runTenantChaos(t, db, n)
	})
}

func runTenantChaos(t *testing.T, db sharedDatabase, n int) {
	ctx := context.Background()
	rcv := chaos.NewReceiver(*chaosSeed)
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	ledger := chaos.NewLedger()
	ring := testKeyring(t)
	river := &logSink{min: slog.LevelWarn}
	dispatcher := &logSink{min: slog.LevelError} // it warns of every failed attempt
	var ins []*instance
	attempts := make([]atomic.Int64, 2) // by instance
	for i, name := range []string{"a", "b"} {
		eng := db.engine(t, riverengine.WithPollInterval(50*time.Millisecond), riverengine.WithLogger(slog.New(river)))
		d, err := webhook.New(append(ledger.Options(),
			webhook.WithEngine(eng),
			webhook.WithDefinitionStore(eng.DefinitionStore()), webhook.WithKeyring(ring),
			webhook.WithLogger(slog.New(dispatcher)),
			webhook.WithInvocationHook(func(webhook.Invocation) { attempts[i].Add(1) }))...)
		require.NoError(t, err)
		ins = append(ins, &instance{name: name, eng: eng, d: d})
	}
	closed := false
	defer func() {
		if !closed {
			for _, in := range ins {
				_ = in.d.Close(ctx)
			}
		}
	}()

	tenants := []string{"", "acme", "globex"}
	for _, tenant := range tenants {
		for _, w := range chaos.TenantWebhooks(srv.URL, tenant) {
			_, err := ins[0].d.Tenant(tenant).Create(ctx, w, "chaos")
			require.NoError(t, err)
		}
	}
	probe, err := event.Parse(fmt.Appendf(nil, `{"event_type":%q,"event_time":1774526412.1,"event_id":"probe","data":{"n":0}}`, chaos.EventType))
	require.NoError(t, err)
	for _, tenant := range tenants {
		ins[1].waitProbe(t, tenant, probe, "3 0 0", time.Now(), 10*time.Second)
	}

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, len(tenants)*len(ins))
	for _, tenant := range tenants {
		for _, in := range ins {
			wg.Go(func() { errs <- ledger.PublishTenant(ctx, in.d, tenant, n/len(ins)) })
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	published := time.Since(start)
	waitEnded(ledger)
	elapsed := time.Since(start)
	checkJobs(ctx, t, db.jobs, len(tenants)*3*(n/len(ins))*len(ins))

	closeCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, in := range ins {
		if err := in.d.Close(closeCtx); err != nil {
			t.Errorf("Close of instance %s: %v", in.name, err)
		}
	}
	closed = true
	srv.Close() // before the checks read the receiver's state

	sum := chaos.Check(ctx, t, ins[0].d, ledger, rcv)
	checkStore(ctx, t, ins[1].d, ledger, rcv)
	for _, l := range []struct {
		who  string
		sink *logSink
	}{{"River", river}, {"a Dispatcher", dispatcher}} {
		for _, m := range l.sink.logged() {
			t.Errorf("%s logged %s", l.who, m)
		}
	}
	t.Logf("%s; published in %s, all ended in %s; invocations by instance: a %d, b %d",
		sum, published.Round(time.Millisecond), elapsed.Round(time.Millisecond), attempts[0].Load(), attempts[1].Load())
}
