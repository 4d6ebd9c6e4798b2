package riverengine_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// Dispatchers on a durable engine, created and closed one after another
// on the pool or database the host keeps, each with deliveries stalled
// at the receiver, retries waiting and operational events: once closed,
// neither the Dispatcher nor its engine stays reachable, the heap comes
// back near where it began, and no goroutine outlives them.
//
// pgx keeps the context of a connection's last query until its next
// one, and River's job contexts hold its client: each idle connection of
// the host's pool pins the engine that used it last, so at most MaxConns
// of them, until the pool uses it again. The test uses them again first.
func TestClosedDurableDispatchersAreReleased(t *testing.T) {
	type database struct {
		engine func() *riverengine.Engine
		reuse  func() // runs a query on each idle connection, if pooled
	}
	for _, db := range []struct {
		name string
		open func(t *testing.T) database
	}{
		{"PostgreSQL", func(t *testing.T) database {
			pool := newPool(t, needPostgres(t))
			require.NoError(t, riverengine.Migrate(context.Background(), pool))
			return database{
				engine: func() *riverengine.Engine {
					eng, err := riverengine.New(context.Background(), pool, riverengine.WithPollInterval(50*time.Millisecond))
					require.NoError(t, err)
					return eng
				},
				reuse: func() {
					for _, c := range pool.AcquireAllIdle(context.Background()) {
						_, err := c.Exec(context.Background(), "SELECT 1")
						require.NoError(t, err)
						c.Release()
					}
				},
			}
		}},
		{"SQLite", func(t *testing.T) database {
			sdb := openSQLite(t, filepath.Join(t.TempDir(), "outhook.db"))
			require.NoError(t, riverengine.MigrateSQLite(context.Background(), sdb))
			return database{
				engine: func() *riverengine.Engine {
					eng, err := riverengine.NewSQLite(context.Background(), sdb, riverengine.WithPollInterval(50*time.Millisecond))
					require.NoError(t, err)
					return eng
				},
				reuse: func() {},
			}
		}},
	} {
		t.Run(db.name, func(t *testing.T) {
			leakcheck.Check(t)
			stalled := make(chan struct{}, 1024)
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// Read first: the server sees the client go only once the body is read.
				_, _ = io.Copy(io.Discard, r.Body)
				switch r.URL.Path {
				case "/stall":
					stalled <- struct{}{}
					select {
					case <-r.Context().Done():
					case <-release:
					}
				case "/fail":
					w.WriteHeader(http.StatusServiceUnavailable)
				}
			}))
			t.Cleanup(srv.Close)
			t.Cleanup(func() { close(release) })
			opened := db.open(t)

			type released struct {
				d   weak.Pointer[webhook.Dispatcher]
				eng weak.Pointer[riverengine.Engine]
			}
			round := func() released {
				eng := opened.engine()
				d, err := webhook.New(dispatcherOptions(eng,
					webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 5, InitialInterval: webhook.Duration(time.Minute)}),
					webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 1, Hook: func(operational.Event) {}}),
				)...)
				require.NoError(t, err)
				for _, id := range []string{"ok", "fail", "stall"} {
					_, err := d.Add(hook(id, srv.URL))
					require.NoError(t, err)
				}
				for n := range 5 {
					_, err := d.Publish(context.Background(), newEvent(t, n))
					require.NoError(t, err)
				}
				<-stalled // a delivery is under way when Close begins
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				defer cancel()
				if err := d.Close(ctx); err != nil {
					require.ErrorIs(t, err, context.DeadlineExceeded)
				}
				return released{weak.Make(d), weak.Make(eng)}
			}
			drain := func() {
				for len(stalled) > 0 {
					<-stalled
				}
			}

			round() // the first use's allocations that stay: pools, prepared statements
			drain()
			before := heapAlloc()
			const rounds = 8
			var closed []released
			for range rounds {
				closed = append(closed, round())
				drain()
			}
			// A Close whose ctx ended first returns while the cut attempt's
			// goroutines still wind down: they must end, and let go. An
			// idle connection keeps what its last query held until it
			// runs another, and one in use at a reuse is missed: reuse
			// again each time.
			alive := 0
			assert.Eventually(t, func() bool {
				opened.reuse()
				runtime.GC()
				alive = 0
				for _, c := range closed {
					if c.d.Value() != nil || c.eng.Value() != nil {
						alive++
					}
				}
				return alive == 0
			}, 10*time.Second, 50*time.Millisecond, "closed Dispatchers or engines still reachable")
			if alive > 0 {
				_ = pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
			}
			after := heapAlloc()
			t.Logf("heap %d KiB before, %d KiB after %d Dispatchers closed", before>>10, after>>10, rounds)
			// The pool opens connections as it grows, each with its buffers:
			// about 1 MiB with PostgreSQL, the same after 8 rounds or 16.
			require.Less(t, after-before, int64(2<<20), "the heap grew by %d KiB", (after-before)>>10)
		})
	}
}

func heapAlloc() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
