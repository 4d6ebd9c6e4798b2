package riverengine_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/outhook/outhook/internal/testkit/chaos"
	"github.com/outhook/outhook/internal/testkit/heappeak"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

var (
	chaosEvents = flag.Int("chaos.events", 400, "how many events TestChaosPostgres publishes to each of its 3 webhooks (TestChaosSQLite a quarter as many)")
	chaosSeed   = flag.Uint64("chaos.seed", 1, "seed of the chaos tests' fault injection")
)

// TestChaosPostgres is the webhook package's TestChaos on the durable
// engine: events published through a Dispatcher on riverengine and its
// Store to 3 webhooks of a chaos.Receiver, which answers 30% of attempts
// with a 500, resets 10% of connections, answers 10% past the 1 s timeout,
// 5% with a 429 and Retry-After, and drips 10% of bodies slowly. Once
// every delivery ended it checks chaos.Check's invariants (each pair
// delivered or dead-lettered with a reason, exactly once; nothing lost;
// every attempt under the delivery's webhook-id) and, here, that every
// River job completed, that the Store's records agree with what the
// Dispatcher reported, that neither River nor the Dispatcher logged a
// problem, that no goroutine outlived the Dispatcher, and that the heap
// stayed bounded. (River warns, for one, when it overrides the engine's
// retry schedule: given a retry time already past, it applies its own,
// attempt⁴ seconds, and FastRetries' nanosecond delays would wait 1 s,
// 16 s, 81 s.)
//
// CI runs 400 events (1,200 deliveries, about 2,500 attempts) in about
// 12 s under -race; -chaos.events sets more. Deliveries make at most 5
// attempts, retries take no time beyond River's polling
// (webhooktest.FastRetries), and the breaker is off.
func TestChaosPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos takes tens of seconds")
	}
	leakcheck.Check(t)
	river := &logSink{min: slog.LevelWarn}
	pool, eng := newPostgresEngine(t, needPostgres(t), riverengine.WithPollInterval(50*time.Millisecond), riverengine.WithLogger(slog.New(river)))
	runChaos(t, eng, river, *chaosEvents, func(ctx context.Context) (map[string]int, error) {
		rows, err := pool.Query(ctx, jobStates)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		return countStates(rows)
	})
}

// TestChaosSQLite is TestChaosPostgres on SQLite, with a quarter of the
// events: its single connection writes every job, record and completion
// one at a time.
func TestChaosSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos takes tens of seconds")
	}
	leakcheck.Check(t)
	river := &logSink{min: slog.LevelWarn}
	db, eng := newSQLiteEngine(t, riverengine.WithPollInterval(50*time.Millisecond), riverengine.WithLogger(slog.New(river)))
	runChaos(t, eng, river, max(*chaosEvents/4, 1), func(ctx context.Context) (map[string]int, error) {
		rows, err := db.QueryContext(ctx, jobStates)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		return countStates(rows)
	})
}

// jobStates counts River's jobs by state, on either database.
const jobStates = "SELECT CAST(state AS TEXT), count(*) FROM river_job GROUP BY state"

// countStates reads jobStates' rows, from pgx or database/sql.
func countStates(rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}) (map[string]int, error) {
	out := map[string]int{}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, err
		}
		out[state] = n
	}
	return out, rows.Err()
}

// runChaos publishes n events to the chaos webhooks through a Dispatcher
// on eng, waits until every delivery ended, and checks the invariants;
// river has what eng's River logged, states counts its jobs by state.
func runChaos(t *testing.T, eng *riverengine.Engine, river *logSink, n int, states func(context.Context) (map[string]int, error)) {
	rcv := chaos.NewReceiver(*chaosSeed)
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	ledger := chaos.NewLedger()
	dispatcher := &logSink{min: slog.LevelError} // it warns of every failed attempt
	d, err := webhook.New(append(ledger.Options(),
		webhook.WithEngine(eng), webhook.WithInvocationStore(eng.Store()),
		webhook.WithLogger(slog.New(dispatcher)))...)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			_ = d.Close(context.Background())
		}
	}()
	if _, err := d.AddAll(chaos.Webhooks(srv.URL)); err != nil {
		t.Fatal(err)
	}

	runtime.GC()
	stopSampler := heappeak.Sample(10 * time.Millisecond)
	start := time.Now()
	ctx := context.Background()
	if err := ledger.Publish(ctx, d, n); err != nil {
		t.Fatal(err)
	}
	published := time.Since(start)
	waitEnded(ledger)
	elapsed := time.Since(start)
	checkJobs(ctx, t, states, len(d.List())*n)

	closeCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := d.Close(closeCtx); err != nil {
		t.Errorf("Close: %v", err)
	}
	closed = true
	peak := stopSampler()
	srv.Close() // before the checks read the receiver's state

	sum := chaos.Check(ctx, t, d, ledger, rcv)
	checkStore(ctx, t, d, ledger, rcv)
	for _, l := range []struct {
		who  string
		sink *logSink
	}{{"River", river}, {"the Dispatcher", dispatcher}} {
		for _, m := range l.sink.logged() {
			t.Errorf("%s logged %s", l.who, m)
		}
	}
	// Bounded memory: the deliveries wait in the database, not in the
	// heap; the bound is the webhook package's, generous for the race
	// detector, and does not depend on n.
	const heapBound = 256 << 20
	if peak > heapBound {
		t.Errorf("peak heap %d MiB, want at most %d MiB", peak>>20, heapBound>>20)
	}
	t.Logf("%s; published in %s, all ended in %s; peak heap %.1f MiB",
		sum, published.Round(time.Millisecond), elapsed.Round(time.Millisecond), float64(peak)/(1<<20))
}

// waitEnded waits for the Dispatchers to report every delivery of l's
// end, for as long as deliveries keep ending: the longest chain of
// attempts lasts about 10 s. Close leaves queued deliveries and retries in
// the database, so a run must wait for this before it closes. A delivery
// that never ends is lost, and chaos.Check names it.
func waitEnded(l *chaos.Ledger) {
	const stall = 30 * time.Second
	pending, progress := l.Pending(), time.Now()
	for pending > 0 && time.Since(progress) < stall {
		time.Sleep(20 * time.Millisecond)
		if p := l.Pending(); p < pending {
			pending, progress = p, time.Now()
		}
	}
}

// checkJobs checks that there is one job per delivery, and every one
// completed: none waits for another attempt, none was cancelled or
// discarded behind the Dispatcher's back. River writes completions in
// batches, after the Dispatcher reported the end.
func checkJobs(ctx context.Context, t *testing.T, states func(context.Context) (map[string]int, error), deliveries int) {
	t.Helper()
	var jobs map[string]int
	for wait := time.Now(); time.Since(wait) < 10*time.Second; time.Sleep(50 * time.Millisecond) {
		var err error
		if jobs, err = states(ctx); err != nil {
			t.Fatal(err)
		}
		if jobs["completed"] == deliveries {
			break
		}
	}
	if jobs["completed"] != deliveries || len(jobs) != 1 {
		t.Errorf("River jobs by state %v, want all %d completed", jobs, deliveries)
	}
}

// checkStore checks that the Store kept a record of every invocation the
// Dispatcher reported, final outcome included, for the delivery's tenant,
// and of every request the receiver got: one sent without a record would
// be a delivery attempt nobody can see. It reads the records through d's
// Tenant queries, for each tenant of the run.
func checkStore(ctx context.Context, t *testing.T, d *webhook.Dispatcher, l *chaos.Ledger, rcv *chaos.Receiver) {
	t.Helper()
	type stored struct {
		records, finals int
		outcome         webhook.Outcome
		tenant          string
	}
	byDelivery := map[string]*stored{}
	dels := l.Deliveries()
	tenants := map[string]bool{}
	for _, del := range dels {
		tenants[del.Tenant] = true
	}
	for tenant := range tenants {
		for q := (webhook.InvocationQuery{Limit: webhook.MaxPageLimit}); ; {
			page, err := d.Tenant(tenant).Invocations(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, inv := range page.Invocations {
				s := byDelivery[inv.DeliveryID]
				if s == nil {
					s = &stored{tenant: tenant}
					byDelivery[inv.DeliveryID] = s
				}
				s.records++
				if inv.Tenant != tenant || s.tenant != tenant {
					t.Errorf("delivery %s: a record of tenant %q among tenant %q's", inv.DeliveryID, inv.Tenant, tenant)
				}
				if inv.Outcome.Final() {
					s.finals++
					s.outcome = inv.Outcome
				}
			}
			if q.Cursor = page.Next; q.Cursor == "" {
				break
			}
		}
	}
	for id, del := range dels {
		s := byDelivery[id]
		if s == nil {
			t.Errorf("delivery %s (%q %s %s) has no record in the Store", id, del.Tenant, del.WebhookID, del.EventID)
			continue
		}
		if s.tenant != del.Tenant || s.records != del.Invocations || s.finals != del.Finals || s.outcome != del.Outcome {
			t.Errorf("delivery %s (%q %s %s): the Store has %d records of tenant %q, %d final (%s); the Dispatcher reported %d, %d final (%s)",
				id, del.Tenant, del.WebhookID, del.EventID, s.records, s.tenant, s.finals, s.outcome, del.Invocations, del.Finals, del.Outcome)
		}
		if p, _ := rcv.Pair(chaos.Path(del.Tenant, del.WebhookID), del.EventID); p.Attempts > s.records {
			t.Errorf("delivery %s (%q %s %s): the receiver got %d requests, the Store recorded %d attempts",
				id, del.Tenant, del.WebhookID, del.EventID, p.Attempts, s.records)
		}
	}
	if len(byDelivery) != len(dels) {
		t.Errorf("the Store has records of %d deliveries, %d were queued", len(byDelivery), len(dels))
	}
}

// logSink is a slog.Handler that keeps the records at min and above, which
// a sound run does not log.
type logSink struct {
	min  slog.Level
	mu   sync.Mutex
	msgs []string
}

func (s *logSink) Enabled(_ context.Context, l slog.Level) bool { return l >= s.min }

func (s *logSink) Handle(_ context.Context, r slog.Record) error {
	msg := fmt.Sprintf("%s %q", r.Level, r.Message)
	r.Attrs(func(a slog.Attr) bool {
		msg += " " + a.String()
		return true
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, msg)
	return nil
}

func (s *logSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *logSink) WithGroup(string) slog.Handler      { return s }

func (s *logSink) logged() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}
