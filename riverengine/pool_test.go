package riverengine_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// An engine on pgxpool's default pool (4 connections on this machine)
// says, at New, that it needs more, and how many; one on a pool of that
// size says nothing.
func TestNewWarnsOfASmallPool(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	require.NoError(t, riverengine.Migrate(ctx, newPool(t, url)))
	for _, tc := range []struct {
		conns int32
		warns bool
	}{{4, true}, {riverengine.PoolConns(riverengine.DefaultWorkers), false}} {
		cfg, err := pgxpool.ParseConfig(url)
		require.NoError(t, err)
		cfg.MaxConns = tc.conns
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		require.NoError(t, err)
		t.Cleanup(pool.Close)
		var logs syncBuffer
		_, err = riverengine.New(ctx, pool, riverengine.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		require.NoError(t, err)
		if tc.warns {
			require.Contains(t, logs.String(), "connection pool is smaller than the engine needs")
			require.Contains(t, logs.String(), "recommended=35")
		} else {
			require.NotContains(t, logs.String(), "connection pool")
		}
	}
}

// Twenty workers on a pool of two connections, with a receiver that
// answers at once: the deliveries wait for connections, and the engine
// says so, with the figures.
func TestEngineLogsAStarvedPool(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	require.NoError(t, riverengine.Migrate(ctx, newPool(t, url)))
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	var logs syncBuffer
	eng, err := riverengine.New(ctx, pool, riverengine.WithWorkers(20),
		riverengine.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	require.NoError(t, err)
	riverengine.SetPoolCheck(eng, 200*time.Millisecond)
	rc := newReceiver(t, 0, nil)
	d, err := webhook.New(dispatcherOptions(eng, webhook.WithConcurrency(20))...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	_, err = d.Add(hook("h", rc.URL))
	require.NoError(t, err)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = d.Publish(ctx, newEvent(t, n))
			}
		})
	}
	defer func() { close(stop); wg.Wait() }()
	eventually(t, 20*time.Second, "the engine to log that its pool is the bottleneck", func() bool {
		return strings.Contains(logs.String(), "connection pool is the bottleneck")
	})
	require.Contains(t, logs.String(), "recommended=15")
}
