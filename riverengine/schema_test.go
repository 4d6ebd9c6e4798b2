package riverengine_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// Two services on one PostgreSQL database, each in a schema of its own
// (as WithQueue's doc advises for services that must stay apart): each
// migrates, delivers and keeps its records and dead letters apart from
// the other's, under the same tenant and webhook ids.
func TestServicesInSchemasOfTheirOwn(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	admin := newPool(t, url)
	service := func(schema string) (*riverengine.Engine, *receiver, *webhook.Dispatcher) {
		_, err := admin.Exec(ctx, "CREATE SCHEMA "+schema)
		require.NoError(t, err)
		cfg, err := pgxpool.ParseConfig(url)
		require.NoError(t, err)
		cfg.MaxConns = 20
		cfg.ConnConfig.RuntimeParams["search_path"] = schema
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		require.NoError(t, err)
		t.Cleanup(pool.Close)
		require.NoError(t, riverengine.Migrate(ctx, pool))
		eng, err := riverengine.New(ctx, pool, riverengine.WithPollInterval(50*time.Millisecond))
		require.NoError(t, err)
		rc := newReceiver(t, 0, nil)
		d, err := webhook.New(dispatcherOptions(eng)...)
		require.NoError(t, err)
		closeDispatcher(t, d)
		_, err = d.Add(hook("hook", rc.URL))
		require.NoError(t, err)
		return eng, rc, d
	}
	engA, rcA, dA := service("svc_a")
	engB, rcB, _ := service("svc_b")
	for i := range 3 {
		_, err := dA.Publish(ctx, newEvent(t, i))
		require.NoError(t, err)
	}
	eventually(t, 20*time.Second, "A's records", func() bool {
		invs, err := engA.Store().Invocations(ctx, "hook", 0)
		require.NoError(t, err)
		return len(invs) == 3
	})
	n, _ := rcA.pairs()
	require.Equal(t, 3, n)
	_, total := rcB.pairs()
	require.Zero(t, total, "B delivers nothing of A's")
	invs, err := engB.Store().Invocations(ctx, "hook", 0)
	require.NoError(t, err)
	require.Empty(t, invs, "B sees none of A's records")
}
