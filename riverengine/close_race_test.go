package riverengine_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// Erasures, breaker resets and publications racing a Dispatcher's Close
// on SQLite either finish or fail with an error wrapping ErrClosed, and
// Close returns nil within its ctx.
func TestSQLiteCallsRacingCloseEndOrAreClosed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	for round := range 3 {
		_, eng := newSQLiteEngine(t, riverengine.WithPollInterval(20*time.Millisecond))
		d, err := webhook.New(dispatcherOptions(eng,
			webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 3}),
			webhook.WithBreaker(webhook.BreakerSettings{Threshold: 1, Cooldown: time.Hour}))...)
		require.NoError(t, err)
		_, err = d.Add(hook("hook", srv.URL))
		require.NoError(t, err)
		ten := d.Tenant("")
		var wg sync.WaitGroup
		var mu sync.Mutex
		var bad []error
		for g := range 3 {
			wg.Go(func() {
				for i := 0; ; i++ {
					var err error
					switch (g + i) % 3 {
					case 0:
						_, err = ten.Erase(context.Background(), webhook.EraseSelector{WebhookID: "hook"}, "op")
					case 1:
						err = ten.ResetBreakerBy(context.Background(), "hook", "op")
					default:
						_, err = d.Publish(context.Background(), newEvent(t, round*1000+i))
					}
					if errors.Is(err, webhook.ErrClosed) {
						return
					}
					if err != nil {
						mu.Lock()
						bad = append(bad, err)
						mu.Unlock()
						return
					}
				}
			})
		}
		time.Sleep(time.Duration(50+round*100) * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		start := time.Now()
		require.NoError(t, d.Close(ctx))
		cancel()
		wg.Wait()
		require.Empty(t, bad, "round %d", round)
		require.Less(t, time.Since(start), 15*time.Second)
	}
}
