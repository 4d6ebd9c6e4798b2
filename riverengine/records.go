package riverengine

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/outhook/outhook/webhook"
)

// maxRecordGroup bounds the records one statement writes.
const maxRecordGroup = 500

// recordGroup writes the records of concurrent Record calls together, one
// statement and one commit for all that arrived while the previous group
// was being written (group commit): a busy instance writes a record per
// group of attempts rather than a commit per attempt, and an idle one
// writes each at once, adding no wait. The first caller to find no write
// under way writes; the others wait for it, and the first of those left
// over writes the next group. No goroutine of its own: nothing to stop.
type recordGroup struct {
	mu      sync.Mutex
	queue   []*pendingRecord
	writing bool
}

type pendingRecord struct {
	inv  *webhook.Invocation
	rec  []byte
	done chan error    // the write's result
	lead chan struct{} // this caller writes the next group
}

// write writes inv, whose JSON is rec, with the group, and returns once it
// is written or failed. The write is detached from ctx, whose caller
// waits for it, and bounded by detachedTimeout: a group holds others'
// records, which one caller's cancellation must not drop.
func (g *recordGroup) write(ctx context.Context, b storeBackend, inv *webhook.Invocation, rec []byte) error {
	p := &pendingRecord{inv: inv, rec: rec, done: make(chan error, 1), lead: make(chan struct{}, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, p)
	if !g.writing {
		g.writing = true
		p.lead <- struct{}{}
	}
	g.mu.Unlock()
	for {
		select {
		case err := <-p.done:
			return err
		case <-p.lead:
			g.flush(ctx, b)
		}
	}
}

// flush writes the queued records, up to maxRecordGroup, and hands the
// writing on to the first caller left over, if any.
func (g *recordGroup) flush(ctx context.Context, b storeBackend) {
	g.mu.Lock()
	n := min(len(g.queue), maxRecordGroup)
	group := g.queue[:n:n]
	g.queue = g.queue[n:]
	g.mu.Unlock()

	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), detachedTimeout)
	writeGroup(wctx, b, group)
	cancel()

	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].lead <- struct{}{}
	} else {
		g.writing = false
	}
	g.mu.Unlock()
}

// writeGroup writes group and tells each caller how it went. A group the
// database refuses is written again in halves, so that a bad record fails
// alone and costs about two statements per halving, not one per record.
// After the deadline, all that is left fails with it.
func writeGroup(ctx context.Context, b storeBackend, group []*pendingRecord) {
	err := b.recordMany(ctx, group)
	if err != nil && len(group) > 1 && ctx.Err() == nil {
		half := len(group) / 2
		writeGroup(ctx, b, group[:half])
		writeGroup(ctx, b, group[half:])
		return
	}
	for _, p := range group {
		p.done <- err
	}
}

func (s *pgStore) recordMany(ctx context.Context, group []*pendingRecord) error {
	if len(group) == 1 {
		return s.record(ctx, nil, group[0].inv, group[0].rec)
	}
	ids, tenants, deliveries, hooks, outcomes, recs := make([]string, len(group)), make([]string, len(group)),
		make([]string, len(group)), make([]string, len(group)), make([]string, len(group)), make([]string, len(group))
	started := make([]pgtype.Timestamptz, len(group))
	for i, p := range group {
		inv := p.inv
		ids[i], tenants[i], deliveries[i], hooks[i], outcomes[i] = inv.ID, inv.Tenant, inv.DeliveryID, inv.WebhookID, string(inv.Outcome)
		started[i] = pgtype.Timestamptz{Time: inv.StartedAt, Valid: true}
		recs[i] = string(jsonbSafe(p.rec))
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO outhook_invocation (id, tenant, delivery_id, webhook_id, outcome, started_at, record)
		SELECT id, tenant, delivery_id, webhook_id, outcome, started_at, record::jsonb
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[])
			AS r (id, tenant, delivery_id, webhook_id, outcome, started_at, record)`,
		ids, tenants, deliveries, hooks, outcomes, started, recs)
	return err
}

// recordMany writes the group in one transaction: SQLite's single writer
// makes the commit the cost, not the statements.
func (s *sqliteStore) recordMany(ctx context.Context, group []*pendingRecord) error {
	if len(group) == 1 {
		return s.record(ctx, nil, group[0].inv, group[0].rec)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, p := range group {
		if err := s.record(ctx, tx, p.inv, p.rec); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}
