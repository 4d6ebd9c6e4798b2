package riverengine_test

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// Publishers whose transactions overlap, commit out of job id order,
// publish several keys, or roll back, with three instances fetching the
// jobs and some first attempts failing: a key's deliveries still go one
// at a time, each publisher's in the order it committed them, and no
// rolled-back one goes.
func TestOrderingKeyConcurrentPublishers(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	const publishers, perPublisher, keys = 4, 12, 3
	rc := newReceiver(t, 2*time.Millisecond, func(_, eventID string, n int) int {
		if num(eventID)%4 == 0 && n == 1 {
			return 503
		}
		return 200
	})
	fast := webhook.RetryPolicy{InitialInterval: webhook.Duration(20 * time.Millisecond), MaxInterval: webhook.Duration(50 * time.Millisecond)}
	var ds []*webhook.Dispatcher
	var logs syncBuffer // the engines' warnings: a claim that failed (a deadlock, say) would be one
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	for range 3 {
		_, eng := newPostgresEngine(t, url, riverengine.WithPollInterval(50*time.Millisecond), riverengine.WithWorkers(4), riverengine.WithLogger(logger))
		d, err := webhook.New(dispatcherOptions(eng, webhook.WithRetryPolicy(fast), webhook.WithBreaker(webhook.BreakerSettings{Threshold: -1}))...)
		require.NoError(t, err)
		closeDispatcher(t, d)
		addOrdered(t, d, rc.URL)
		ds = append(ds, d)
	}
	pool := newPool(t, url)

	var mu sync.Mutex
	committed := map[int]map[string][]int{} // publisher -> key -> events, in commit order
	keyOf := map[int]string{}
	var wg sync.WaitGroup
	for p := range publishers {
		committed[p] = map[string][]int{}
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(p), 1))
			for j := range perPublisher {
				tx, err := pool.Begin(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				var batch []int
				for k := range 1 + rnd.IntN(2) {
					n := p*1000 + j*10 + k + 1
					key := "k" + strconv.Itoa(rnd.IntN(keys))
					if _, err := ds[rnd.IntN(len(ds))].PublishTx(ctx, tx, keyedEvent(t, n, key)); err != nil {
						t.Error(err)
					}
					mu.Lock()
					keyOf[n] = key
					mu.Unlock()
					batch = append(batch, n)
				}
				time.Sleep(time.Duration(rnd.IntN(30)) * time.Millisecond) // others commit meanwhile
				if rnd.IntN(6) == 0 {
					_ = tx.Rollback(ctx)
					continue
				}
				if err := tx.Commit(ctx); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, n := range batch {
					committed[p][keyOf[n]] = append(committed[p][keyOf[n]], n)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	want := 0
	for _, byKey := range committed {
		for _, ns := range byKey {
			want += len(ns)
		}
	}
	eventually(t, 60*time.Second, "every committed delivery", func() bool { n, _ := rc.pairs(); return n == want })
	// A job ends after its answer arrives, in a transaction that also
	// drops its line: wait for all to end, then nothing more can come.
	eventually(t, 60*time.Second, "every job ended", func() bool {
		var unfinished int
		require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE state IN ('available', 'pending', 'retryable', 'running', 'scheduled')").Scan(&unfinished))
		return unfinished == 0
	})
	distinct, _ := rc.pairs()
	require.Equal(t, want, distinct, "no rolled-back event is delivered")

	lines := map[string][]int{} // key -> events, in the order they went
	last := map[string]served{}
	for _, req := range rc.answered() {
		n := num(req.eventID)
		key := keyOf[n]
		if prev, ok := last[key]; ok {
			require.False(t, req.start.Before(prev.end), "key %s: %s overlapped %s", key, req.eventID, prev.eventID)
			if req.eventID != prev.eventID {
				require.Equal(t, 200, prev.status, "key %s: %s went before %s was delivered", key, req.eventID, prev.eventID)
			}
		}
		if l := lines[key]; len(l) == 0 || l[len(l)-1] != n {
			require.NotContains(t, l, n, "key %s: %s came back after others went", key, req.eventID)
			lines[key] = append(l, n)
		}
		last[key] = req
	}
	for p, byKey := range committed {
		for key, ns := range byKey {
			got := slices.DeleteFunc(slices.Clone(lines[key]), func(n int) bool { return n/1000 != p })
			require.Equal(t, ns, got, "publisher %d, key %s: in commit order", p, key)
		}
	}
	var rows int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM outhook_ordering").Scan(&rows))
	require.Zero(t, rows, "every ended delivery left its line")
	require.NotContains(t, logs.String(), "ordering key's line")
}

// syncBuffer is a bytes.Buffer for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
