package riverengine

import (
	"cmp"
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// PoolConns returns the connections a PostgreSQL pool needs so that an
// instance with workers workers (WithWorkers) does not wait for one:
// River's listener, producer, completer and leader hold up to about ten,
// and the attempts in flight each take one briefly to write their record
// (and, for an ordered delivery, its completion). pgxpool's default,
// the larger of 4 and the number of CPUs, is far below it with the
// default 100 workers (35); set pool_max_conns in the URL, or
// pgxpool.Config.MaxConns. New logs a warning through WithLogger's logger
// when the pool is smaller. A Dispatcher following the engine's
// DefinitionStore holds one more for as long as it runs, to listen for
// changes (DefinitionStore.Subscribe): add it.
func PoolConns(workers int) int32 { return int32(10 + workers/4) }

// poolCheckEvery is how often a working instance on PostgreSQL looks at
// its pool's statistics for waits (see watchPool).
const poolCheckEvery = 30 * time.Second

// poolSample is what watchPool reads of pgxpool.Stat.
type poolSample struct {
	acquires, empty int64 // acquisitions, and those that found no idle connection
	wait            time.Duration
	max             int32
}

func samplePool(p *pgxpool.Pool) poolSample {
	s := p.Stat()
	return poolSample{acquires: s.AcquireCount(), empty: s.EmptyAcquireCount(), wait: s.EmptyAcquireWaitTime(), max: s.MaxConns()}
}

// starved reports whether the pool held the engine back between two
// samples: at least one acquisition in ten found no idle connection, and
// the waits for one came to at least a hundredth of the interval.
func starved(prev, cur poolSample, interval time.Duration) bool {
	acquires, empty, wait := cur.acquires-prev.acquires, cur.empty-prev.empty, cur.wait-prev.wait
	return acquires > 0 && empty*10 >= acquires && wait*100 >= interval
}

// watchPool logs a warning each poolCheckEvery in which the pool was the
// bottleneck (see starved), with the figures, until ctx ends.
func (e *Engine) watchPool(ctx context.Context, pool *pgxpool.Pool) {
	defer close(e.watched)
	every := cmp.Or(e.poolCheck, poolCheckEvery)
	tick := time.NewTicker(every)
	defer tick.Stop()
	prev := samplePool(pool)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		cur := samplePool(pool)
		if starved(prev, cur, every) {
			e.cfg.logger.WarnContext(ctx, "riverengine: the connection pool is the bottleneck: deliveries wait for connections",
				"max_conns", cur.max, "recommended", PoolConns(e.cfg.workers),
				"acquires", cur.acquires-prev.acquires, "waited", cur.empty-prev.empty, "wait", cur.wait-prev.wait)
		}
		prev = cur
	}
}
