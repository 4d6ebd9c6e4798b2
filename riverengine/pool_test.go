package riverengine_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
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
