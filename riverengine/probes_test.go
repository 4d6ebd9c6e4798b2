package riverengine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// countingReceiver counts the webhook-ids it answered for each pair of
// (path, event id). Until stallUntil it holds each request, answering it
// then unless its sender is gone (cut by a Close, say): a request that
// got no answer is not counted.
type countingReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	stalled chan struct{} // closed when the receiver answers again; nil: it answers
	got     map[string][]string
}

func newCountingReceiver(t *testing.T) *countingReceiver {
	r := &countingReceiver{got: map[string][]string{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var ev struct {
			EventID string `json:"event_id"`
		}
		_ = json.Unmarshal(body, &ev)
		r.mu.Lock()
		stalled := r.stalled
		r.mu.Unlock()
		if stalled != nil {
			select {
			case <-stalled:
			case <-req.Context().Done():
				return
			}
		}
		r.mu.Lock()
		key := strings.TrimPrefix(req.URL.Path, "/") + " " + ev.EventID
		r.got[key] = append(r.got[key], req.Header.Get("webhook-id"))
		r.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.Close)
	return r
}

// stall holds the requests from now on, until answer.
func (r *countingReceiver) stall() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stalled = make(chan struct{})
}

// answer answers the requests held, and those to come.
func (r *countingReceiver) answer() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stalled != nil {
		close(r.stalled)
		r.stalled = nil
	}
}

// count returns the pairs received, and those received more than once.
func (r *countingReceiver) count() (pairs int, twice []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, ids := range r.got {
		if len(ids) > 1 {
			twice = append(twice, fmt.Sprintf("%s %v", k, ids))
		}
	}
	return len(r.got), twice
}

// Two instances on one PostgreSQL database, each with the same 100
// webhooks; the first publishes events one transaction each (PublishTx,
// fanned out to the 100) and is killed (Close with a ctx already
// cancelled) in the middle of the batch, between a PublishTx and its
// commit, while its attempts wait on a receiver that stalls, then
// answers. Every event whose transaction committed, that one included,
// reaches every webhook once; none whose transaction rolled back
// (PublishTx refused after the kill) arrives; and no job of the killed
// instance is left to River's rescuer.
func TestProbeInstanceKilledMidPublishTx(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	rc := newCountingReceiver(t)
	rc.stall()
	const hooks = 100
	start := func(eng *riverengine.Engine) *webhook.Dispatcher {
		d, err := webhook.New(dispatcherOptions(eng)...)
		require.NoError(t, err)
		for i := range hooks {
			_, err := d.Add(hook(fmt.Sprintf("h%03d", i), rc.URL))
			require.NoError(t, err)
		}
		return d
	}
	poolA, engA := newPostgresEngine(t, url, riverengine.WithRescueAfter(10*time.Second), riverengine.WithPollInterval(50*time.Millisecond))
	dA := start(engA)
	_, engB := newPostgresEngine(t, url, riverengine.WithRescueAfter(10*time.Second), riverengine.WithPollInterval(50*time.Millisecond))
	dB := start(engB)
	closeDispatcher(t, dB)

	const events = 40
	committed := map[int]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	kill, killed := make(chan struct{}), make(chan struct{})
	wg.Go(func() {
		for n := range events {
			tx, err := poolA.Begin(ctx)
			if err != nil {
				t.Errorf("begin: %v", err)
				return
			}
			_, err = dA.PublishTx(ctx, tx, newEvent(t, n))
			if err != nil {
				_ = tx.Rollback(ctx)
				continue
			}
			if n == 10 {
				// Killed between this PublishTx and its commit; the
				// publishes after it come during the kill or after.
				close(kill)
				<-killed
			}
			if err := tx.Commit(ctx); err != nil {
				t.Errorf("commit of event %d: %v", n, err)
				continue
			}
			mu.Lock()
			committed[n] = true
			mu.Unlock()
		}
	})
	<-kill
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, dA.Close(cancelled), context.Canceled)
	close(killed)
	wg.Wait()
	mu.Lock()
	want := len(committed) * hooks
	mu.Unlock()
	require.GreaterOrEqual(t, want, 11*hooks)
	t.Logf("%d of %d events committed", want/hooks, events)
	released := time.Now()
	rc.answer()

	eventually(t, 120*time.Second, "every committed event at every webhook", func() bool {
		n, _ := rc.count()
		return n >= want
	})
	t.Logf("delivered %s after the receiver answered", time.Since(released))
	time.Sleep(time.Second) // any second request would come now
	var rescued int
	require.NoError(t, poolA.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE errors::text LIKE '%rescued%'`).Scan(&rescued))
	require.Zero(t, rescued, "the killed instance's cut jobs went back to the queue, none left to River's rescuer")
	n, twice := rc.count()
	require.Empty(t, twice, "requests sent twice")
	require.Equal(t, want, n)
	mu.Lock()
	defer mu.Unlock()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for k := range rc.got {
		var e int
		_, err := fmt.Sscanf(k[strings.Index(k, " ")+1:], "e-%d", &e)
		require.NoError(t, err)
		require.True(t, committed[e], "event %d arrived though its transaction rolled back", e)
	}
}

// A webhook's definition, in the engine's definition store, changed
// through one instance (its URL moved to another receiver, a header
// added) while another instance delivers a backlog: every delivery
// arrives once, at one receiver or the other, none lost.
func TestProbeDefinitionChangedWhileAnotherInstanceDelivers(t *testing.T) {
	url := needPostgres(t)
	admin := newPool(t, url)
	require.NoError(t, riverengine.Migrate(context.Background(), admin))
	db := sharedDatabase{engine: func(t *testing.T, opts ...riverengine.Option) *riverengine.Engine {
		eng, err := riverengine.New(context.Background(), newPool(t, url), opts...)
		require.NoError(t, err)
		return eng
	}}
	ring := testKeyring(t)
	old, moved := newCountingReceiver(t), newCountingReceiver(t)
	old.stall()
	time.AfterFunc(200*time.Millisecond, old.answer)
	writer := startInstance(t, db, ring, "writer", instanceConfig{engine: []riverengine.Option{riverengine.WithPublishOnly()}})
	worker := startInstance(t, db, ring, "worker", instanceConfig{engine: []riverengine.Option{riverengine.WithPollInterval(20 * time.Millisecond)}})
	ctx := context.Background()
	w, err := writer.d.Tenant("acme").Create(ctx, hook("w", old.URL), "alice")
	require.NoError(t, err)
	worker.waitProbe(t, "acme", newEvent(t, 0), "1 0 0", time.Now(), 10*time.Second)

	const events = 300
	var wg sync.WaitGroup
	wg.Go(func() {
		for n := range events {
			if _, err := writer.d.Tenant("acme").Publish(ctx, newEvent(t, n)); err != nil {
				t.Errorf("publish %d: %v", n, err)
			}
			time.Sleep(time.Millisecond)
		}
	})
	for i := range 6 {
		time.Sleep(50 * time.Millisecond)
		to := old.URL
		if i%2 == 0 {
			to = moved.URL
		}
		w.URL = to + "/w"
		w.Headers = map[string]string{"X-Change": fmt.Sprint(i)}
		w, err = writer.d.Tenant("acme").Update(ctx, w, "bob")
		require.NoError(t, err)
	}
	wg.Wait()
	eventually(t, 60*time.Second, "every delivery at a receiver", func() bool {
		a, _ := old.count()
		b, _ := moved.count()
		return a+b >= events
	})
	time.Sleep(time.Second)
	a, twiceOld := old.count()
	b, twiceMoved := moved.count()
	require.Empty(t, twiceOld)
	require.Empty(t, twiceMoved)
	require.Equal(t, events, a+b, "each delivery at one receiver only")
	page, err := worker.d.Tenant("acme").DeadLetters(ctx, webhook.DeadLetterQuery{})
	require.NoError(t, err)
	require.Empty(t, page.DeadLetters)
}

// Two transactions publish, each two events with ordering keys, in
// opposite orders of the keys, each waiting for the other between its
// two publishes: neither waits for the other's locks (no deadlock), both
// commit, and every delivery arrives once.
func TestProbeOppositeOrderPublishTx(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	rc := newCountingReceiver(t)
	pool, eng := newPostgresEngine(t, url, riverengine.WithPollInterval(20*time.Millisecond))
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	addOrdered(t, d, rc.URL)
	_, err = d.Add(hook("plain", rc.URL))
	require.NoError(t, err)
	keyed := func(n int, key string) *event.Event {
		e, err := event.Parse(fmt.Appendf(nil, `{"event_type":"test.event","event_time":1773134100,"event_id":"e-%d","data":{"n":%d,"key":%q}}`, n, n, key))
		require.NoError(t, err)
		return e
	}
	const rounds = 20
	for r := range rounds {
		var wg sync.WaitGroup
		var ready sync.WaitGroup
		ready.Add(2)
		barrier := make(chan struct{})
		go func() { ready.Wait(); close(barrier) }()
		errs := make([]error, 2)
		for i, keys := range [][2]string{{"k1", "k2"}, {"k2", "k1"}} {
			wg.Go(func() {
				tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
				defer cancel()
				errs[i] = pgx.BeginFunc(tctx, pool, func(tx pgx.Tx) error {
					if _, err := d.PublishTx(tctx, tx, keyed(4*r+2*i, keys[0])); err != nil {
						ready.Done()
						return err
					}
					ready.Done()
					select {
					case <-barrier:
					case <-time.After(2 * time.Second): // the other waits for a lock of this one
						t.Errorf("round %d: transaction %d waited for the other's first publish", r, i)
					}
					_, err := d.PublishTx(tctx, tx, keyed(4*r+2*i+1, keys[1]))
					return err
				})
			})
		}
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "round %d, transaction %d", r, i)
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatal("deadlock")
			}
		}
	}
	eventually(t, 60*time.Second, "every delivery", func() bool { n, _ := rc.count(); return n == 2*4*rounds })
	time.Sleep(500 * time.Millisecond)
	n, twice := rc.count()
	require.Empty(t, twice)
	require.Equal(t, 2*4*rounds, n)
}

// Publish calls (group commit, no transaction of the caller's) from many
// goroutines, fanned out to 20 webhooks, while their instance is killed
// (Close with a ctx already cancelled), a second instance delivering:
// every event whose Publish returned no error reaches every webhook once;
// one whose Publish failed (engine.ErrClosed, or any error but
// ErrOutcomeUnknown, which may have queued it) arrives nowhere.
func TestProbePublishesDuringAKill(t *testing.T) {
	eachSharedDatabase(t, func(t *testing.T, db sharedDatabase) {
		ctx := context.Background()
		rc := newCountingReceiver(t)
		rc.stall()
		const hooks = 20
		start := func(eng *riverengine.Engine) *webhook.Dispatcher {
			d, err := webhook.New(dispatcherOptions(eng)...)
			require.NoError(t, err)
			for i := range hooks {
				_, err := d.Add(hook(fmt.Sprintf("h%02d", i), rc.URL))
				require.NoError(t, err)
			}
			return d
		}
		opts := []riverengine.Option{riverengine.WithRescueAfter(10 * time.Second), riverengine.WithPollInterval(50 * time.Millisecond)}
		dA := start(db.engine(t, opts...))
		dB := start(db.engine(t, opts...))
		closeDispatcher(t, dB)

		const publishers, each = 8, 30
		var mu sync.Mutex
		queued, failed, unknown := map[int]bool{}, map[int]error{}, 0
		var wg sync.WaitGroup
		for p := range publishers {
			wg.Go(func() {
				for i := range each {
					n := p*each + i
					_, err := dA.Publish(ctx, newEvent(t, n))
					mu.Lock()
					switch {
					case err == nil:
						queued[n] = true
					case errors.Is(err, riverengine.ErrOutcomeUnknown):
						unknown++
					default:
						failed[n] = err
					}
					mu.Unlock()
				}
			})
		}
		time.Sleep(200 * time.Millisecond)
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		_ = dA.Close(cancelled)
		wg.Wait()
		mu.Lock()
		t.Logf("queued %d, failed %d, outcome unknown %d", len(queued), len(failed), unknown)
		want := len(queued) * hooks
		mu.Unlock()
		rc.answer()
		eventually(t, 60*time.Second, "every queued event at every webhook", func() bool { n, _ := rc.count(); return n >= want })
		time.Sleep(time.Second)
		n, twice := rc.count()
		require.Empty(t, twice, "requests sent twice")
		mu.Lock()
		defer mu.Unlock()
		rc.mu.Lock()
		defer rc.mu.Unlock()
		for k := range rc.got {
			var e int
			_, err := fmt.Sscanf(k[strings.Index(k, " ")+1:], "e-%d", &e)
			require.NoError(t, err)
			require.NotContains(t, failed, e, "event %d arrived though its Publish failed: %v", e, failed[e])
		}
		// Those whose outcome is unknown may have been queued.
		require.LessOrEqual(t, n, want+unknown*hooks)
	})
}
