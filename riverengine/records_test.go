package riverengine_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// insertCounter counts the statements that insert records.
type insertCounter struct{ n atomic.Int64 }

func (c *insertCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.Contains(d.SQL, "INSERT INTO outhook_invocation") {
		c.n.Add(1)
	}
	return ctx
}

func (c *insertCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Records written at once go in groups, far fewer statements (and
// commits) than records; a record PostgreSQL refuses (a NUL in its webhook
// id) fails alone, and the others of its group are kept.
func TestConcurrentRecordsAreWrittenTogether(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	require.NoError(t, riverengine.Migrate(ctx, newPool(t, url)))
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	var count insertCounter
	cfg.ConnConfig.Tracer = &count
	cfg.MaxConns = 40
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	s := riverengine.NewStore(pool)

	const n = 300
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			hook := "h"
			if i == 150 {
				hook = "bad\x00hook"
			}
			id := fmt.Sprintf("r-%d", i)
			errs[i] = s.Record(ctx, webhook.Invocation{ID: id, DeliveryID: id, WebhookID: hook, Outcome: webhook.Delivered, StartedAt: time.Now()})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if i == 150 {
			var se *riverengine.StoreError
			require.ErrorAs(t, err, &se, "the record with a NUL fails")
			continue
		}
		require.NoError(t, err, "record %d", i)
	}
	got, err := s.Invocations(ctx, "h", 0)
	require.NoError(t, err)
	require.Len(t, got, n-1)
	statements := count.n.Load()
	t.Logf("%d records in %d statements", n, statements)
	require.Less(t, statements, int64(n/2), "records written one statement each")
}

// A Record whose ctx has ended returns its error and writes nothing.
func TestRecordAfterCtxEnds(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	pool := newPool(t, url)
	require.NoError(t, riverengine.Migrate(ctx, pool))
	s := riverengine.NewStore(pool)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err := s.Record(cctx, webhook.Invocation{ID: "r", DeliveryID: "r", WebhookID: "h", Outcome: webhook.Delivered, StartedAt: time.Now()})
	require.ErrorIs(t, err, context.Canceled)
	got, err := s.Invocations(ctx, "h", 0)
	require.NoError(t, err)
	require.Empty(t, got)
}
