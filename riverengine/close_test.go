package riverengine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// Close runs past its ctx only for a bounded time, even when the database
// stops answering the write that ends an ordered delivery (here a row lock
// stands for a database that hangs): that write gives up, leaving the
// ordering row for the sweep, and River completes the job.
func TestCloseIsBoundedWhenTheDatabaseHangs(t *testing.T) {
	url := needPostgres(t)
	rc := newReceiver(t, time.Second, nil)
	pool, eng := newPostgresEngine(t, url, riverengine.WithPollInterval(50*time.Millisecond))
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	addOrdered(t, d, rc.URL)

	ctx := context.Background()
	_, err = d.Publish(ctx, keyedEvent(t, 1, "K"))
	require.NoError(t, err)
	eventually(t, 10*time.Second, "the attempt in flight", func() bool { return rc.peakInFlight() == 1 })
	// Hold the ordering row, its turn taken, before the delivery ends.
	lock, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer lock.Rollback(context.Background())
	_, err = lock.Exec(ctx, "SELECT 1 FROM outhook_ordering FOR UPDATE")
	require.NoError(t, err)
	eventually(t, 10*time.Second, "the delivery answered", func() bool { n, _ := rc.pairs(); return n == 1 })

	closeCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	closed := make(chan error, 1)
	start := time.Now()
	go func() { closed <- d.Close(closeCtx) }()
	select {
	case <-closed:
		t.Logf("Close returned %s after it began", time.Since(start).Round(time.Millisecond))
		require.NoError(t, lock.Rollback(context.Background()))
		var state string
		require.NoError(t, pool.QueryRow(ctx, "SELECT state FROM river_job").Scan(&state))
		require.Equal(t, "completed", state, "the delivered job ends")
	case <-time.After(20 * time.Second):
		require.NoError(t, lock.Rollback(context.Background()))
		<-closed
		t.Fatal("Close held past its ctx by a write that never ends")
	}
}
