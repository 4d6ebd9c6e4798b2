package riverengine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/keyring"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// sharedDatabase is one database that several instances of a service
// share, each with an engine of its own.
type sharedDatabase struct {
	// engine returns a new engine on the database: on PostgreSQL through a
	// pool of its own, as another process has; on SQLite through the one
	// *sql.DB of a single-node service.
	engine func(t *testing.T, opts ...riverengine.Option) *riverengine.Engine
	// jobs counts River's jobs by state.
	jobs func(ctx context.Context) (map[string]int, error)
	// snoozes counts how often River's jobs were snoozed, all together.
	snoozes func(ctx context.Context) (int, error)
}

// eachSharedDatabase runs test on a fresh migrated PostgreSQL database,
// and on a fresh SQLite one unless test is PostgreSQL's only.
func eachSharedDatabase(t *testing.T, test func(t *testing.T, db sharedDatabase)) {
	t.Run("postgres", func(t *testing.T) {
		url := needPostgres(t)
		admin := newPool(t, url)
		require.NoError(t, riverengine.Migrate(context.Background(), admin))
		test(t, sharedDatabase{
			engine: func(t *testing.T, opts ...riverengine.Option) *riverengine.Engine {
				eng, err := riverengine.New(context.Background(), newPool(t, url), opts...)
				require.NoError(t, err)
				return eng
			},
			jobs: func(ctx context.Context) (map[string]int, error) {
				rows, err := admin.Query(ctx, jobStates)
				if err != nil {
					return nil, err
				}
				defer rows.Close()
				return countStates(rows)
			},
			snoozes: func(ctx context.Context) (n int, err error) {
				err = admin.QueryRow(ctx, "SELECT coalesce(sum((metadata->>'snoozes')::int), 0) FROM river_job").Scan(&n)
				return n, err
			},
		})
	})
	t.Run("sqlite", func(t *testing.T) {
		db := openSQLite(t, filepath.Join(t.TempDir(), "outhook.db"))
		require.NoError(t, riverengine.MigrateSQLite(context.Background(), db))
		test(t, sharedDatabase{
			engine: func(t *testing.T, opts ...riverengine.Option) *riverengine.Engine {
				eng, err := riverengine.NewSQLite(context.Background(), db, opts...)
				require.NoError(t, err)
				return eng
			},
			jobs: func(ctx context.Context) (map[string]int, error) {
				rows, err := db.QueryContext(ctx, jobStates)
				if err != nil {
					return nil, err
				}
				defer rows.Close()
				return countStates(rows)
			},
			snoozes: func(ctx context.Context) (n int, err error) {
				err = db.QueryRowContext(ctx, "SELECT coalesce(sum(json_extract(metadata, '$.snoozes')), 0) FROM river_job").Scan(&n)
				return n, err
			},
		})
	})
}

// testKeyring returns a keyring of one fresh key: the key every instance
// of a service is given.
func testKeyring(t testing.TB) *keyring.Keyring {
	t.Helper()
	key, err := keyring.GenerateKey("k1")
	require.NoError(t, err)
	ring, err := keyring.New(key)
	require.NoError(t, err)
	return ring
}

// instance is one instance of a service: a Dispatcher on an engine of its
// own, following the definition store on the engine's database.
type instance struct {
	name string
	eng  *riverengine.Engine
	d    *webhook.Dispatcher
}

// instanceConfig says how to start an instance.
type instanceConfig struct {
	engine []riverengine.Option
	// store wraps the engine's definition store; nil keeps it as it is.
	store    func(defstore.Store) defstore.Store
	dispatch []webhook.Option
}

// startInstance starts an instance on db, sealing secrets with ring and
// sending requests with the User-Agent "outhook-<name>", so that a
// receiver can tell which instance sent each. It is closed at the end of
// the test.
func startInstance(t *testing.T, db sharedDatabase, ring *keyring.Keyring, name string, cfg instanceConfig) *instance {
	t.Helper()
	eng := db.engine(t, cfg.engine...)
	var store defstore.Store = eng.DefinitionStore()
	if cfg.store != nil {
		store = cfg.store(store)
	}
	opts := append([]webhook.Option{
		webhook.WithDefinitionStore(store), webhook.WithKeyring(ring), webhook.WithUserAgent("outhook-" + name),
	}, cfg.dispatch...)
	d, err := webhook.New(dispatcherOptions(eng, opts...)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	return &instance{name: name, eng: eng, d: d}
}

// errRollback rolls back the transaction of a probe.
var errRollback = errors.New("rolled back")

// probe publishes e for tenant through in inside a transaction that it
// rolls back, so that nothing is queued, and returns what Publish did as
// "deliveries filtered inactive": whether in has a change of the tenant's
// webhooks in effect, seen as a publisher sees it.
func (in *instance) probe(ctx context.Context, tenant string, e *event.Event) (string, error) {
	var got string
	err := in.eng.InTx(ctx, func(tx engine.Tx) error {
		pub, err := in.d.Tenant(tenant).PublishTx(ctx, tx, e)
		if err != nil {
			return err
		}
		got = fmt.Sprintf("%d %d %d", len(pub.Deliveries), pub.Filtered, pub.Inactive)
		return errRollback
	})
	if errors.Is(err, errRollback) {
		err = nil
	}
	return got, err
}

// waitProbe polls in's probe until it says want, and returns how long
// after since it first did; it fails the test after timeout.
func (in *instance) waitProbe(t testing.TB, tenant string, e *event.Event, want string, since time.Time, timeout time.Duration) time.Duration {
	t.Helper()
	ctx := context.Background()
	for {
		got, err := in.probe(ctx, tenant, e)
		if err != nil {
			t.Errorf("instance %s: probe: %v", in.name, err)
			return 0
		}
		if got == want {
			return time.Since(since)
		}
		if time.Since(since) > timeout {
			t.Errorf("instance %s: tenant %q publishes %q after %s, want %q", in.name, tenant, got, timeout, want)
			return 0
		}
		time.Sleep(time.Millisecond)
	}
}

// deafStore is a definition store whose notifications are all lost: its
// Subscribe succeeds and never calls notify.
type deafStore struct{ defstore.Store }

func (deafStore) Subscribe(func()) (func(), error) { return func() {}, nil }

// gatedStore is a definition store whose Changes wait, once it is closed,
// until it is opened again: an instance that has not read the latest
// changes yet.
type gatedStore struct {
	defstore.Store
	mu     sync.Mutex
	gate   chan struct{} // nil when open; closed to open it
	waited int           // Changes calls that waited at the gate
}

func (g *gatedStore) Changes(ctx context.Context, after uint64, limit int) ([]defstore.Change, error) {
	g.mu.Lock()
	gate := g.gate
	if gate != nil {
		g.waited++
	}
	g.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Store.Changes(ctx, after, limit)
}

func (g *gatedStore) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gate = make(chan struct{})
}

func (g *gatedStore) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	close(g.gate)
	g.gate = nil
}

func (g *gatedStore) waits() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waited
}

// percentile returns the p-th percentile of sorted ds, the nearest rank.
func percentile(ds []time.Duration, p int) time.Duration {
	i := (len(ds)*p + 99) / 100
	return ds[max(i-1, 0)]
}

// followBound bounds the time a change takes to reach the other
// instances in the tests: about 1 ms with notifications and a sync
// interval without, on a quiet machine, but the tests share theirs, so
// they check that changes arrive, not how fast.
const followBound = 5 * time.Second

// followChanges makes changes changes to webhooks through the instances,
// in turn, and measures how long each takes to be in effect on the other
// instances, seen through their Publish: create, update (the filter stops
// matching), update (it matches again), deactivate, activate, delete,
// over and over, cycling through tenants whose webhooks all have the id
// "w", so that ids come back after their deletion. The writer has each
// change in effect when its call returns. It returns the latencies,
// sorted, and fails the test as soon as too many of them reach bound for
// their p-th percentile to stay under it.
func followChanges(t *testing.T, ins []*instance, changes int, bound time.Duration, p int) []time.Duration {
	t.Helper()
	total := changes * (len(ins) - 1)
	allowed := total - (total*p+99)/100 // latencies that may reach bound
	over := 0
	ctx := context.Background()
	e := newEvent(t, 1)
	match := filter.Must(filter.New(filter.Eq("data.n", 1)))
	miss := filter.Must(filter.New(filter.Eq("data.n", 2)))
	tenants := []string{"acme", "globex", "initech"}
	var w webhook.Webhook
	var lat []time.Duration
	for i := range changes {
		writer := ins[i%len(ins)]
		tenant := tenants[i/6%len(tenants)]
		tn := writer.d.Tenant(tenant)
		var want, what string
		var err error
		switch i % 6 {
		case 0:
			w = hook("w", "http://127.0.0.1:9")
			w.Filters = match
			what, want = "create", "1 0 0"
			w, err = tn.Create(ctx, w, "alice")
		case 1:
			w.Filters = miss
			what, want = "update", "0 1 0"
			w, err = tn.Update(ctx, w, "bob")
		case 2:
			w.Filters = match
			what, want = "update", "1 0 0"
			w, err = tn.Update(ctx, w, "bob")
		case 3:
			what, want = "deactivate", "0 0 1"
			w, err = tn.SetActive(ctx, w.ID, false, w.Version, "carol")
		case 4:
			what, want = "activate", "1 0 0"
			w, err = tn.SetActive(ctx, w.ID, true, w.Version, "carol")
		case 5:
			what, want = "delete", "0 0 0"
			err = tn.Delete(ctx, w.ID, w.Version, "dave")
		}
		require.NoError(t, err, "change %d (%s of tenant %q) through %s", i, what, tenant, writer.name)
		written := time.Now()
		got, err := writer.probe(ctx, tenant, e)
		require.NoError(t, err)
		require.Equal(t, want, got, "change %d (%s) is in effect on %s, which made it, when the call returns", i, what, writer.name)

		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, in := range ins {
			if in == writer {
				continue
			}
			wg.Go(func() {
				d := in.waitProbe(t, tenant, e, want, written, 10*time.Second)
				mu.Lock()
				defer mu.Unlock()
				lat = append(lat, d)
			})
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		for _, d := range lat[len(lat)-(len(ins)-1):] {
			if d >= bound {
				over++
			}
		}
		if over > allowed {
			t.Fatalf("after %d changes, %d latencies reached %s: the %dth percentile of %d cannot stay under it", i+1, over, bound, p, total)
		}
	}
	slices.Sort(lat)
	return lat
}

// TestInstancesFollowChanges runs three instances of a service on one
// database, each a Dispatcher on an engine of its own following the
// engine's definition store: a change made through one (create, update,
// deactivate, activate, delete) is in effect on the two others, over
// 204 changes, within a bound generous enough for a loaded machine (5 s at
// the 99th percentile); the latencies are logged. (On SQLite, a single
// node, the instances share one *sql.DB.)
func TestInstancesFollowChanges(t *testing.T) {
	eachSharedDatabase(t, func(t *testing.T, db sharedDatabase) {
		ring := testKeyring(t)
		var ins []*instance
		for _, name := range []string{"a", "b", "c"} {
			ins = append(ins, startInstance(t, db, ring, name, instanceConfig{}))
		}
		const changes = 204
		lat := followChanges(t, ins, changes, followBound, 99)
		p99 := percentile(lat, 99)
		t.Logf("%d changes, %d latencies: p50 %s, p99 %s, max %s", changes, len(lat),
			percentile(lat, 50).Round(time.Microsecond), p99.Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
		require.Less(t, p99, followBound, "p99 of the time a change takes to reach the other instances")
	})
}

// TestInstancesFollowChangesWithoutNotifications is
// TestInstancesFollowChanges with every notification of the store lost:
// the periodic sync (WithSyncInterval, 250 ms here) still brings every
// change to the other instances, each within followBound.
func TestInstancesFollowChangesWithoutNotifications(t *testing.T) {
	const interval = 250 * time.Millisecond
	eachSharedDatabase(t, func(t *testing.T, db sharedDatabase) {
		ring := testKeyring(t)
		var ins []*instance
		for _, name := range []string{"a", "b", "c"} {
			ins = append(ins, startInstance(t, db, ring, name, instanceConfig{
				store:    func(s defstore.Store) defstore.Store { return deafStore{s} },
				dispatch: []webhook.Option{webhook.WithSyncInterval(interval)},
			}))
		}
		lat := followChanges(t, ins, 36, followBound, 100)
		t.Logf("sync every %s, %d latencies: p50 %s, p99 %s, max %s", interval, len(lat),
			percentile(lat, 50).Round(time.Microsecond), percentile(lat, 99).Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
		require.Less(t, lat[len(lat)-1], followBound, "the longest time a change took to reach the other instances")
	})
}

// bodyReceiver is a loopback endpoint that keeps every request: its
// path, body, User-Agent (the instance that sent it) and arrival, and
// answers with answer's status and headers (nil: 200).
type bodyReceiver struct {
	*httptest.Server
	answer func(w http.ResponseWriter)

	mu   sync.Mutex
	reqs []request
}

type request struct {
	path, body, from string
	at               time.Time
}

func newBodyReceiver(t testing.TB, answer func(w http.ResponseWriter)) *bodyReceiver {
	r := &bodyReceiver{answer: answer}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, request{path: req.URL.Path, body: string(body), from: req.UserAgent(), at: time.Now()})
		r.mu.Unlock()
		if r.answer != nil {
			r.answer(w)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

// requests returns the requests whose path is path, in the order they
// arrived.
func (r *bodyReceiver) requests(path string) []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []request
	for _, q := range r.reqs {
		if q.path == path {
			out = append(out, q)
		}
	}
	return out
}

// queryAll returns every invocation record and dead letter of tenant,
// through d's Tenant queries.
func queryAll(t testing.TB, d *webhook.Dispatcher, tenant string) ([]webhook.Invocation, []webhook.DeadLetter) {
	t.Helper()
	ctx, tn := context.Background(), d.Tenant(tenant)
	var invs []webhook.Invocation
	for q := (webhook.InvocationQuery{Limit: webhook.MaxPageLimit}); ; {
		page, err := tn.Invocations(ctx, q)
		require.NoError(t, err)
		invs = append(invs, page.Invocations...)
		if q.Cursor = page.Next; q.Cursor == "" {
			break
		}
	}
	var dls []webhook.DeadLetter
	for q := (webhook.DeadLetterQuery{Limit: webhook.MaxPageLimit}); ; {
		page, err := tn.DeadLetters(ctx, q)
		require.NoError(t, err)
		dls = append(dls, page.DeadLetters...)
		if q.Cursor = page.Next; q.Cursor == "" {
			break
		}
	}
	return invs, dls
}

// TestDeliveryWaitsForItsDefinitionVersion: instance A updates a webhook
// to version 2, a new body template, and publishes; instance B, which
// has not read the update yet, runs the job. It holds it, with no
// attempt, no record and no dead letter, and once it has read version 2
// it delivers the body of version 2, once.
func TestDeliveryWaitsForItsDefinitionVersion(t *testing.T) {
	eachSharedDatabase(t, func(t *testing.T, db sharedDatabase) {
		ctx := context.Background()
		ring := testKeyring(t)
		rcv := newBodyReceiver(t, nil)
		// A publishes and runs no job: B runs them all.
		a := startInstance(t, db, ring, "a", instanceConfig{engine: []riverengine.Option{riverengine.WithPublishOnly()}})
		var gate *gatedStore
		logs := &logSink{min: slog.LevelWarn}
		b := startInstance(t, db, ring, "b", instanceConfig{
			engine: []riverengine.Option{riverengine.WithPollInterval(50 * time.Millisecond)},
			store: func(s defstore.Store) defstore.Store {
				gate = &gatedStore{Store: s}
				return gate
			},
			dispatch: []webhook.Option{webhook.WithLogger(slog.New(logs))},
		})

		e := newEvent(t, 1)
		w := hook("h", rcv.URL)
		w.BodyTemplate = `{"event_id":"{{event_id}}","version":1}`
		w, err := a.d.Tenant("acme").Create(ctx, w, "alice")
		require.NoError(t, err)
		b.waitProbe(t, "acme", e, "1 0 0", time.Now(), 10*time.Second)

		gate.close()
		w.BodyTemplate = `{"event_id":"{{event_id}}","version":2}`
		w, err = a.d.Tenant("acme").Update(ctx, w, "bob")
		require.NoError(t, err)
		require.EqualValues(t, 2, w.Version)
		pub, err := a.d.Tenant("acme").Publish(ctx, e)
		require.NoError(t, err)
		require.Len(t, pub.Deliveries, 1)

		// B runs the job, finds version 1 loaded, and holds it, again and
		// again, asking its follower to read the store.
		eventually(t, 10*time.Second, "B to hold the delivery three times", func() bool {
			if got := rcv.requests("/h"); len(got) > 0 {
				t.Fatalf("B sent %s before it read version 2", got[0].body)
			}
			n, err := db.snoozes(ctx)
			require.NoError(t, err)
			return n >= 3
		})
		require.Positive(t, gate.waits(), "B's follower tried to read the store")
		require.Empty(t, rcv.requests("/h"), "no attempt while B has version 1 only")
		invs, dls := queryAll(t, b.d, "acme")
		require.Empty(t, invs, "a held delivery has no record")
		require.Empty(t, dls)
		held := strings.Join(logs.logged(), "\n")
		require.Contains(t, held, "deliveries wait for their webhook to be loaded")
		require.Contains(t, held, "version=2 loaded=1")

		gate.open()
		eventually(t, 10*time.Second, "the delivery once B has read version 2", func() bool {
			jobs, err := db.jobs(ctx)
			require.NoError(t, err)
			return jobs["completed"] == 1
		})
		got := rcv.requests("/h")
		require.Len(t, got, 1)
		require.JSONEq(t, `{"event_id":"e-1","version":2}`, got[0].body)
		require.Equal(t, "outhook-b", got[0].from)
		invs, dls = queryAll(t, b.d, "acme")
		require.Len(t, invs, 1)
		require.Equal(t, webhook.Delivered, invs[0].Outcome)
		require.Equal(t, 1, invs[0].Attempt)
		require.Equal(t, pub.Deliveries[0].DeliveryID, invs[0].DeliveryID)
		require.Empty(t, dls)
	})
}

// TestDeleteStopsAttemptsOnEveryInstance: deliveries of a webhook retry
// on instances B and C (the receiver answers 500 and Retry-After: 2);
// the webhook is deleted through A. Every delivery ends Skipped at its
// next attempt, whichever instance makes it, with no further request and
// no dead letter; the webhook of another tenant with the same id keeps
// retrying.
func TestDeleteStopsAttemptsOnEveryInstance(t *testing.T) {
	eachSharedDatabase(t, func(t *testing.T, db sharedDatabase) {
		ctx := context.Background()
		ring := testKeyring(t)
		rcv := newBodyReceiver(t, func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusInternalServerError)
		})
		a := startInstance(t, db, ring, "a", instanceConfig{engine: []riverengine.Option{riverengine.WithPublishOnly()}})
		invs := make(chan webhook.Invocation, 100)
		var workers []*instance
		for _, name := range []string{"b", "c"} {
			workers = append(workers, startInstance(t, db, ring, name, instanceConfig{
				engine: []riverengine.Option{riverengine.WithPollInterval(50 * time.Millisecond)},
				dispatch: []webhook.Option{
					webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 50}),
					webhook.WithBreaker(webhook.BreakerSettings{Threshold: -1}),
					webhook.WithInvocationHook(func(inv webhook.Invocation) { invs <- inv }),
				},
			}))
		}

		e := newEvent(t, 1)
		acme, globex := a.d.Tenant("acme"), a.d.Tenant("globex")
		w, err := acme.Create(ctx, hook("h", rcv.URL+"/acme"), "alice")
		require.NoError(t, err)
		_, err = globex.Create(ctx, hook("h", rcv.URL+"/globex"), "alice")
		require.NoError(t, err)
		for _, in := range workers {
			in.waitProbe(t, "acme", e, "1 0 0", time.Now(), 10*time.Second)
			in.waitProbe(t, "globex", e, "1 0 0", time.Now(), 10*time.Second)
		}

		const events = 4
		queued := map[string]bool{}
		for i := range events {
			pub, err := acme.Publish(ctx, newEvent(t, i))
			require.NoError(t, err)
			require.Len(t, pub.Deliveries, 1)
			queued[pub.Deliveries[0].DeliveryID] = true
		}
		_, err = globex.Publish(ctx, e)
		require.NoError(t, err)

		// Every delivery failed its first attempt and waits 2 s.
		for range events + 1 {
			select {
			case inv := <-invs:
				require.Equal(t, webhook.Retrying, inv.Outcome, inv.Reason)
			case <-time.After(10 * time.Second):
				t.Fatal("timed out waiting for the first attempts")
			}
		}
		require.NoError(t, acme.Delete(ctx, w.ID, w.Version, "dave"))
		deleted := len(rcv.requests("/acme/h"))
		require.Equal(t, events, deleted)

		skipped := map[string]bool{}
		for len(skipped) < events {
			select {
			case inv := <-invs:
				if inv.Tenant == "globex" {
					require.Equal(t, webhook.Retrying, inv.Outcome, "the deletion is acme's")
					continue
				}
				require.Equal(t, webhook.Skipped, inv.Outcome, inv.Reason)
				require.Equal(t, "webhook was removed after 1 attempts", inv.Reason)
				require.True(t, queued[inv.DeliveryID])
				skipped[inv.DeliveryID] = true
			case <-time.After(10 * time.Second):
				t.Fatalf("%d of %d deliveries ended Skipped", len(skipped), events)
			}
		}
		eventually(t, 10*time.Second, "acme's jobs to complete", func() bool {
			jobs, err := db.jobs(ctx)
			require.NoError(t, err)
			return jobs["completed"] == events
		})
		require.Len(t, rcv.requests("/acme/h"), deleted, "no request after the deletion")
		_, dls := queryAll(t, a.d, "acme")
		require.Empty(t, dls)
		// globex's webhook h is another webhook: it keeps retrying.
		eventually(t, 10*time.Second, "globex's second attempt", func() bool { return len(rcv.requests("/globex/h")) >= 2 })
	})
}

// TestDeletedBeforeAnInstanceStarted: a delivery of a webhook deleted
// before the instance that runs it started ends Skipped at once: the
// instance read the deletion from the store when it started, and does
// not take the webhook for one it has not loaded yet.
func TestDeletedBeforeAnInstanceStarted(t *testing.T) {
	eachSharedDatabase(t, func(t *testing.T, db sharedDatabase) {
		ctx := context.Background()
		ring := testKeyring(t)
		rcv := newBodyReceiver(t, nil)
		a := startInstance(t, db, ring, "a", instanceConfig{engine: []riverengine.Option{riverengine.WithPublishOnly()}})
		w, err := a.d.Tenant("acme").Create(ctx, hook("h", rcv.URL), "alice")
		require.NoError(t, err)
		pub, err := a.d.Tenant("acme").Publish(ctx, newEvent(t, 1))
		require.NoError(t, err)
		require.Len(t, pub.Deliveries, 1)
		require.NoError(t, a.d.Tenant("acme").Delete(ctx, w.ID, w.Version, "dave"))

		ended := make(chan webhook.Invocation, 10)
		startInstance(t, db, ring, "b", instanceConfig{
			engine:   []riverengine.Option{riverengine.WithPollInterval(50 * time.Millisecond)},
			dispatch: []webhook.Option{webhook.WithInvocationHook(func(inv webhook.Invocation) { ended <- inv })},
		})
		select {
		case inv := <-ended:
			require.Equal(t, webhook.Skipped, inv.Outcome, inv.Reason)
			require.Equal(t, "webhook was removed before the delivery started", inv.Reason)
		case <-time.After(10 * time.Second):
			t.Fatal("the delivery did not end")
		}
		snoozes, err := db.snoozes(ctx)
		require.NoError(t, err)
		require.Zero(t, snoozes, "not held as a webhook not loaded yet")
		require.Empty(t, rcv.requests("/h"))
	})
}

// TestDeleteThenCreateAgainStopsTheOldDeliveries: a webhook deleted and
// created again under its id is another webhook. A delivery of the
// deleted one, between retries, ends Skipped at its next attempt, with no
// request to either definition's URL, even when the instance that makes
// it never saw the deletion: the new webhook was loaded in its place
// before ("held": the instance that made the first attempt runs it
// again), or the instance started after it ("restarted": another one
// rebuilds the delivery from its job). When the store's history, which
// tells, cannot be read, the delivery waits for it ("history
// unreadable").
func TestDeleteThenCreateAgainStopsTheOldDeliveries(t *testing.T) {
	for _, mode := range []string{"held", "restarted", "history unreadable"} {
		t.Run(mode, func(t *testing.T) {
			eachSharedDatabase(t, func(t *testing.T, db sharedDatabase) {
				deleteThenCreateAgain(t, db, mode)
			})
		})
	}
}

// historyless is a definition store whose History fails while broken is
// set, counting the calls.
type historyless struct {
	defstore.Store
	broken atomic.Bool
	calls  atomic.Int64
}

func (s *historyless) History(ctx context.Context, tenant, id string, limit int) ([]defstore.Revision, error) {
	s.calls.Add(1)
	if s.broken.Load() {
		return nil, errors.New("history unavailable")
	}
	return s.Store.History(ctx, tenant, id, limit)
}

func deleteThenCreateAgain(t *testing.T, db sharedDatabase, mode string) {
	restart := mode != "held"
	ctx := context.Background()
	ring := testKeyring(t)
	rcv := newBodyReceiver(t, func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusInternalServerError)
	})
	a := startInstance(t, db, ring, "a", instanceConfig{engine: []riverengine.Option{riverengine.WithPublishOnly()}})
	ended := make(chan webhook.Invocation, 10)
	history := &historyless{}
	history.broken.Store(mode == "history unreadable")
	worker := func(name string) *instance {
		return startInstance(t, db, ring, name, instanceConfig{
			engine: []riverengine.Option{riverengine.WithPollInterval(50 * time.Millisecond)},
			store: func(s defstore.Store) defstore.Store {
				history.Store = s
				return history
			},
			dispatch: []webhook.Option{
				webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 50}),
				webhook.WithBreaker(webhook.BreakerSettings{Threshold: -1}),
				webhook.WithInvocationHook(func(inv webhook.Invocation) { ended <- inv }),
			},
		})
	}
	next := func() webhook.Invocation {
		t.Helper()
		select {
		case inv := <-ended:
			return inv
		case <-time.After(10 * time.Second):
			t.Fatal("timed out waiting for an attempt")
			return webhook.Invocation{}
		}
	}
	b := worker("b")
	acme := a.d.Tenant("acme")
	w, err := acme.Create(ctx, hook("h", rcv.URL+"/old"), "alice")
	require.NoError(t, err)
	b.waitProbe(t, "acme", newEvent(t, 1), "1 0 0", time.Now(), 10*time.Second)
	_, err = acme.Publish(ctx, newEvent(t, 1))
	require.NoError(t, err)
	first := next()
	require.Equal(t, webhook.Retrying, first.Outcome, first.Reason)
	if restart {
		closeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		require.NoError(t, b.d.Close(closeCtx), "the job stays in the database")
	}
	require.NoError(t, acme.Delete(ctx, w.ID, w.Version, "dave"))
	again, err := acme.Create(ctx, hook("h", rcv.URL+"/new"), "erin")
	require.NoError(t, err)
	require.EqualValues(t, 3, again.Version)
	if restart {
		worker("c")
	}
	if history.broken.Load() {
		eventually(t, 10*time.Second, "C to look for the history twice", func() bool { return history.calls.Load() >= 2 })
		select {
		case inv := <-ended:
			t.Fatalf("the delivery ended %s (%s) while the history could not be read", inv.Outcome, inv.Reason)
		default:
		}
		require.Len(t, rcv.requests("/old/h"), 1)
		require.Empty(t, rcv.requests("/new/h"))
		history.broken.Store(false)
	}
	inv := next()
	require.Equal(t, first.DeliveryID, inv.DeliveryID)
	require.Equal(t, webhook.Skipped, inv.Outcome, "%s: %s", inv.Outcome, inv.Reason)
	require.Equal(t, "webhook was removed after 1 attempts", inv.Reason)
	require.Len(t, rcv.requests("/old/h"), 1)
	require.Empty(t, rcv.requests("/new/h"))
	eventually(t, 10*time.Second, "the job to complete", func() bool {
		jobs, err := db.jobs(ctx)
		require.NoError(t, err)
		return jobs["completed"] == 1
	})
}
