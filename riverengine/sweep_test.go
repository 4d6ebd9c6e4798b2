package riverengine_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// An ordered delivery whose job an operator cancels or deletes with
// River's own tools never completes through Outhook: its row in the
// key's line must not stay behind for ever, or outhook_ordering grows
// with every such job.
func TestOrderingRowsOfJobsEndedElsewhereAreSwept(t *testing.T) {
	ctx := context.Background()
	type ops interface {
		JobCancel(ctx context.Context, id int64) error
		JobDelete(ctx context.Context, id int64) error
	}
	type setup struct {
		publisher, worker func() *riverengine.Engine
		ops               ops
		jobIDs            func() []int64 // of the ordering rows
	}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) setup
	}{
		{"postgres", func(t *testing.T) setup {
			url := needPostgres(t)
			pool, pub := newPostgresEngine(t, url, riverengine.WithPublishOnly())
			client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
			require.NoError(t, err)
			return setup{
				publisher: func() *riverengine.Engine { return pub },
				worker: func() *riverengine.Engine {
					_, eng := newPostgresEngine(t, url, riverengine.WithPollInterval(50*time.Millisecond))
					return eng
				},
				ops: riverOps[pgx.Tx]{client},
				jobIDs: func() []int64 {
					var ids []int64
					rows, err := pool.Query(ctx, "SELECT job_id FROM outhook_ordering ORDER BY job_id")
					require.NoError(t, err)
					defer rows.Close()
					for rows.Next() {
						var id int64
						require.NoError(t, rows.Scan(&id))
						ids = append(ids, id)
					}
					require.NoError(t, rows.Err())
					return ids
				},
			}
		}},
		{"sqlite", func(t *testing.T) setup {
			db, pub := newSQLiteEngine(t, riverengine.WithPublishOnly())
			client, err := river.NewClient(riversqlite.New(db), &river.Config{})
			require.NoError(t, err)
			return setup{
				publisher: func() *riverengine.Engine { return pub },
				worker: func() *riverengine.Engine {
					eng, err := riverengine.NewSQLite(ctx, db, riverengine.WithPollInterval(50*time.Millisecond))
					require.NoError(t, err)
					return eng
				},
				ops: riverOps[*sql.Tx]{client},
				jobIDs: func() []int64 {
					var ids []int64
					rows, err := db.QueryContext(ctx, "SELECT job_id FROM outhook_ordering ORDER BY job_id")
					require.NoError(t, err)
					defer rows.Close()
					for rows.Next() {
						var id int64
						require.NoError(t, rows.Scan(&id))
						ids = append(ids, id)
					}
					require.NoError(t, rows.Err())
					return ids
				},
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, 0, nil)
			s := tc.setup(t)
			ordered := hook("ordered", rc.URL)
			ordered.Delivery = &webhook.DeliverySettings{OrderingKey: "data.key"}
			a, err := webhook.New(dispatcherOptions(s.publisher())...)
			require.NoError(t, err)
			closeDispatcher(t, a)
			_, err = a.Add(ordered)
			require.NoError(t, err)
			for n, key := range []string{"cancelled", "deleted"} {
				_, err = a.Publish(ctx, keyedEvent(t, n, key))
				require.NoError(t, err)
			}
			ids := s.jobIDs()
			require.Len(t, ids, 2)
			require.NoError(t, s.ops.JobCancel(ctx, ids[0]))
			require.NoError(t, s.ops.JobDelete(ctx, ids[1]))

			b, err := webhook.New(dispatcherOptions(s.worker())...)
			require.NoError(t, err)
			closeDispatcher(t, b)
			eventually(t, 5*time.Second, "the rows of the jobs ended elsewhere to go", func() bool { return len(s.jobIDs()) == 0 })
			_, requests := rc.pairs()
			require.Zero(t, requests)
		})
	}
}

// riverOps is an operator's River client.
type riverOps[TTx any] struct{ c *river.Client[TTx] }

func (o riverOps[TTx]) JobCancel(ctx context.Context, id int64) error {
	_, err := o.c.JobCancel(ctx, id)
	return err
}

func (o riverOps[TTx]) JobDelete(ctx context.Context, id int64) error {
	_, err := o.c.JobDelete(ctx, id)
	return err
}
