package riverengine_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// A webhook whose endpoint never answers holds only its concurrency of an
// instance's workers: its neighbour's deliveries all go at once, not after
// the stalled attempts time out.
func TestStalledWebhookHoldsOnlyItsLimit(t *testing.T) {
	url := needPostgres(t)
	_, eng := newPostgresEngine(t, url, riverengine.WithWorkers(8), riverengine.WithPollInterval(50*time.Millisecond))
	stalled := newReceiver(t, time.Minute, nil)
	healthy := newReceiver(t, 0, nil)
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	const limit, events = 2, 20
	slow := hook("stalled", stalled.URL)
	slow.TimeoutInSec = 6
	slow.Delivery = &webhook.DeliverySettings{Concurrency: limit}
	_, err = d.Add(slow)
	require.NoError(t, err)
	_, err = d.Add(hook("healthy", healthy.URL))
	require.NoError(t, err)

	start := time.Now()
	for n := range events {
		_, err := d.Publish(context.Background(), newEvent(t, n))
		require.NoError(t, err)
	}
	// Without the limit the stalled webhook takes all 8 workers within a
	// few rounds, and the rest of the healthy deliveries wait for its
	// 6-second timeouts; with it they arrive in tens of milliseconds on a
	// quiet machine, and well within 5 s on a loaded one.
	eventually(t, 5*time.Second, "every healthy delivery", func() bool { n, _ := healthy.pairs(); return n == events })
	t.Logf("%d healthy deliveries in %s beside the stalled webhook", events, time.Since(start).Round(time.Millisecond))
	require.Equal(t, limit, stalled.peakInFlight(), "the stalled webhook holds its limit of workers, no more")
}

// keyedEvent returns event n with data.key set to key.
func keyedEvent(t testing.TB, n int, key string) *event.Event {
	e, err := event.Parse(fmt.Appendf(nil, `{"event_type":"test.event","event_time":1773134100.%09d,"event_id":"e-%d","data":{"n":%d,"key":%q}}`, n, n, n, key))
	require.NoError(t, err)
	return e
}

// Deliveries with the same ordering key go one at a time, in the order
// published, though the first attempts of some fail and are retried: on
// PostgreSQL with two instances sharing the work, and on SQLite. Some are
// published in transactions of their own; one rolled back holds no one up.
func TestOrderingKey(t *testing.T) {
	const keys, perKey = 3, 6
	ctx := context.Background()
	fast := webhook.RetryPolicy{InitialInterval: webhook.Duration(20 * time.Millisecond), MaxInterval: webhook.Duration(50 * time.Millisecond)}
	type setup struct {
		engines []*riverengine.Engine
		// publishTx publishes e through d in a transaction of its own.
		publishTx func(d *webhook.Dispatcher, e *event.Event, commit bool) error
	}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) setup
	}{
		{"postgres-2-instances", func(t *testing.T) setup {
			url := needPostgres(t)
			var s setup
			for range 2 {
				_, eng := newPostgresEngine(t, url, riverengine.WithPollInterval(50*time.Millisecond))
				s.engines = append(s.engines, eng)
			}
			pool := newPool(t, url)
			s.publishTx = func(d *webhook.Dispatcher, e *event.Event, commit bool) error {
				tx, err := pool.Begin(ctx)
				if err != nil {
					return err
				}
				defer tx.Rollback(ctx)
				if _, err := d.PublishTx(ctx, tx, e); err != nil || !commit {
					return err
				}
				return tx.Commit(ctx)
			}
			return s
		}},
		{"sqlite", func(t *testing.T) setup {
			db, eng := newSQLiteEngine(t, riverengine.WithPollInterval(50*time.Millisecond))
			return setup{engines: []*riverengine.Engine{eng}, publishTx: func(d *webhook.Dispatcher, e *event.Event, commit bool) error {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				defer tx.Rollback()
				if _, err := d.PublishTx(ctx, tx, e); err != nil || !commit {
					return err
				}
				return tx.Commit()
			}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Every other event fails its first attempt.
			rc := newReceiver(t, 10*time.Millisecond, func(_, eventID string, n int) int {
				if num(eventID)%2 == 0 && n == 1 {
					return 503
				}
				return 200
			})
			s := tc.setup(t)
			var ds []*webhook.Dispatcher
			for _, eng := range s.engines {
				d, err := webhook.New(dispatcherOptions(eng, webhook.WithRetryPolicy(fast), webhook.WithBreaker(webhook.BreakerSettings{Threshold: -1}))...)
				require.NoError(t, err)
				closeDispatcher(t, d)
				addOrdered(t, d, rc.URL)
				ds = append(ds, d)
			}
			for n := range keys * perKey {
				i, e := n%len(ds), keyedEvent(t, n, "k"+strconv.Itoa(n%keys))
				if n%3 == 2 {
					require.NoError(t, s.publishTx(ds[i], e, true))
				} else {
					_, err := ds[i].Publish(ctx, e)
					require.NoError(t, err)
				}
				if n == keys {
					require.NoError(t, s.publishTx(ds[i], keyedEvent(t, 100, "k0"), false))
				}
			}
			// Every event once, and every other one once more.
			const requests = keys * perKey * 3 / 2
			eventually(t, 20*time.Second, "every delivery", func() bool { _, n := rc.pairs(); return n == requests })

			last := map[int]served{} // by key: the latest request
			for _, req := range rc.answered() {
				key := num(req.eventID) % keys
				if prev, ok := last[key]; ok {
					require.GreaterOrEqual(t, num(req.eventID), num(prev.eventID), "key %d: %s came after %s", key, req.eventID, prev.eventID)
					require.False(t, req.start.Before(prev.end), "key %d: %s overlapped %s", key, req.eventID, prev.eventID)
					if num(req.eventID) > num(prev.eventID) {
						require.Equal(t, 200, prev.status, "key %d: %s went before %s was delivered", key, req.eventID, prev.eventID)
					}
				}
				last[key] = req
			}
			distinct, _ := rc.pairs()
			require.Equal(t, keys*perKey, distinct, "the rolled-back event is not delivered")
		})
	}
}

// num is n of the event id "e-<n>".
func num(eventID string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(eventID, "e-"))
	return n
}

// A backlog to one fast webhook with the default concurrency (16) and
// workers (100) is not snoozed and fetched in a loop: those over the limit
// wait in line for a slot or are snoozed until about when one frees, and
// a snoozed one is fetched when it comes due, not at the next poll once
// publishing has stopped: the poll here is a minute, so that a backlog
// left to it shows whatever the machine's load.
func TestBacklogIsNotSnoozedInALoop(t *testing.T) {
	url := needPostgres(t)
	pool, eng := newPostgresEngine(t, url, riverengine.WithPollInterval(time.Minute))
	rc := newReceiver(t, time.Millisecond, nil)
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	_, err = d.Add(hook("busy", rc.URL))
	require.NoError(t, err)

	const events = 800
	start := time.Now()
	var wg sync.WaitGroup
	for p := range 8 {
		wg.Go(func() {
			for n := p; n < events; n += 8 {
				_, err := d.Publish(context.Background(), newEvent(t, n))
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	published := time.Since(start)
	eventually(t, 2*time.Minute, "every delivery", func() bool { n, _ := rc.pairs(); return n == events })
	took := time.Since(start)
	var mean float64
	var most int
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT avg(coalesce((metadata->>'snoozes')::int, 0)), coalesce(max((metadata->>'snoozes')::int), 0)
		FROM river_job WHERE kind = $1`, riverengine.JobKind).Scan(&mean, &most))
	t.Logf("%d deliveries published in %s, delivered in %s; snoozes per delivery: %.2f, at most %d", events, published.Round(time.Millisecond), took.Round(time.Millisecond), mean, most)
	require.LessOrEqual(t, mean, 1.0, "snoozes per delivery")
	require.Less(t, took, 40*time.Second, "the backlog's time: snoozed deliveries waited for the poll")
}
