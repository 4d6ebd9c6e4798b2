package riverengine

import (
	"context"
	"slices"
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
// writes each at once, adding no wait. One group is written at a time, by
// a goroutine that lives as long as records are queued, each write
// bounded by detachedTimeout.
type recordGroup struct {
	mu      sync.Mutex
	queue   []*pendingRecord
	writing bool
}

type pendingRecord struct {
	inv  *webhook.Invocation
	rec  []byte
	done chan error // the write's result; buffered, as its caller may be gone
}

// write writes inv, whose JSON is rec, with the next group, and returns
// once it is written or failed, or ctx is done: then the record is not
// written unless its group was already being written.
func (g *recordGroup) write(ctx context.Context, b storeBackend, inv *webhook.Invocation, rec []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p := &pendingRecord{inv: inv, rec: rec, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, p)
	if !g.writing {
		g.writing = true
		go g.flush(b)
	}
	g.mu.Unlock()
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		g.mu.Lock()
		if i := slices.Index(g.queue, p); i >= 0 {
			g.queue = slices.Delete(g.queue, i, i+1)
		}
		g.mu.Unlock()
		return ctx.Err()
	}
}

// flush writes groups of up to maxRecordGroup until none is queued.
func (g *recordGroup) flush(b storeBackend) {
	for {
		g.mu.Lock()
		n := min(len(g.queue), maxRecordGroup)
		if n == 0 {
			g.writing = false
			g.mu.Unlock()
			return
		}
		group := slices.Clone(g.queue[:n])
		g.queue = slices.Delete(g.queue, 0, n)
		g.mu.Unlock()
		// On SQLite a group waits for another connection's write lock
		// (see writeGroup) up to lockWait: a record lost is history lost.
		bound := detachedTimeout
		if _, ok := b.(*sqliteStore); ok {
			bound = lockWait
		}
		ctx, cancel := context.WithTimeout(context.Background(), bound)
		writeGroup(ctx, b, group)
		cancel()
	}
}

// writeGroup writes group and tells each caller how it went. A group the
// database refuses for what it holds is written again in halves, so that
// a bad record fails alone and costs about two statements per halving,
// not one per record; any other error fails the group whole, halves
// faring no better. A group SQLite keeps out with another connection's
// write lock is tried again whole, with backoff, until the lock goes.
// After the deadline, all that is left fails with it.
func writeGroup(ctx context.Context, b storeBackend, group []*pendingRecord) {
	err := whileLocked(ctx, func() error { return b.recordMany(ctx, group) })
	if err != nil && len(group) > 1 && ctx.Err() == nil && (batchRefused(err) || sqliteRefused(err)) {
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
