package riverengine

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

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
// bounded by detachedTimeout (on SQLite, lockWait). The engine's Close
// ends that goroutine (see drain).
type recordGroup struct {
	mu      sync.Mutex
	queue   []*pendingRecord
	writing bool
	// flushed is closed when the goroutine writing groups returns, and
	// cut ends its writes; lost counts the records that failed once cut.
	flushed chan struct{}
	cut     context.CancelFunc
	lost    int
	// logger tells of the records left to the writer by a run (see
	// recordBy) that failed after it; nil is silent.
	logger *slog.Logger
}

type pendingRecord struct {
	inv  *webhook.Invocation
	rec  []byte
	done chan error // the write's result; buffered, as its caller may be gone
	// left is set once the caller stopped waiting at its recordBy, the
	// record staying queued.
	left atomic.Bool
}

// recordByKey keys a *recordBy in a job run's ctx.
type recordByKey struct{}

// recordBy bounds how long a record made during a job's run holds the
// run: past at, the record stays queued and is written after the run
// returns, so that a write lock held by another connection on SQLite
// does not keep the run going up to River's rescue horizon, where the job
// would be taken for lost and its delivery sent again. left says that a
// record of the run was left so.
type recordBy struct {
	at   time.Time
	left atomic.Bool
}

func withRecordBy(ctx context.Context, by *recordBy) context.Context {
	return context.WithValue(ctx, recordByKey{}, by)
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
		life, cut := context.WithCancel(context.Background())
		g.flushed, g.cut = make(chan struct{}), cut
		go g.flush(life, b, g.flushed)
	}
	g.mu.Unlock()
	var late <-chan time.Time
	by, _ := ctx.Value(recordByKey{}).(*recordBy)
	if by != nil {
		t := time.NewTimer(time.Until(by.at))
		defer t.Stop()
		late = t.C
	}
	select {
	case err := <-p.done:
		return err
	case <-late:
		// Written with its group once the lock goes (within lockWait),
		// or given up at Close; a failure is logged then.
		p.left.Store(true)
		by.left.Store(true)
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		if i := slices.Index(g.queue, p); i >= 0 {
			g.queue = slices.Delete(g.queue, i, i+1)
		}
		g.mu.Unlock()
		return ctx.Err()
	}
}

// flush writes groups of up to maxRecordGroup until none is queued, or
// fails them at once after life ends.
func (g *recordGroup) flush(life context.Context, b storeBackend, flushed chan struct{}) {
	defer close(flushed)
	for {
		g.mu.Lock()
		n := min(len(g.queue), maxRecordGroup)
		if n == 0 {
			g.writing = false
			g.cut() // frees life's resources
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
		ctx, cancel := context.WithTimeout(life, bound)
		failed := writeGroup(ctx, b, group)
		cancel()
		if failed > 0 {
			g.logLeft(group)
		}
		if failed > 0 && life.Err() != nil {
			g.mu.Lock()
			g.lost += failed
			g.mu.Unlock()
		}
	}
}

// logLeft logs the records of group that failed after their run left
// them to the writer, whose caller heard nothing of it.
func (g *recordGroup) logLeft(group []*pendingRecord) {
	for _, p := range group {
		if p.left.Load() && g.logger != nil {
			select {
			case err := <-p.done:
				if err != nil {
					g.logger.Error("riverengine: an invocation record left to be written after its run failed",
						"delivery_id", p.inv.DeliveryID, "webhook_id", p.inv.WebhookID, "outcome", string(p.inv.Outcome), "error", err)
				}
			default:
			}
		}
	}
}

// drain waits for the records being written, or queued, until ctx ends
// and for at least detachedTimeout (the bound a group had before SQLite's
// lock wait), then cuts their writes short, so that none outlives the
// engine: a write waiting for a SQLite lock would go on for lockWait,
// into a database its owner may have closed. It returns how many records
// were given up; their callers, when still waiting, get the error.
func (g *recordGroup) drain(ctx context.Context) int {
	g.mu.Lock()
	writing, flushed, cut := g.writing, g.flushed, g.cut
	g.mu.Unlock()
	if !writing {
		return 0
	}
	floor := time.NewTimer(detachedTimeout)
	defer floor.Stop()
	select {
	case <-flushed:
		return 0
	case <-ctx.Done():
	}
	select {
	case <-flushed:
		return 0
	case <-floor.C:
	}
	cut()
	<-flushed
	g.mu.Lock()
	defer g.mu.Unlock()
	lost := g.lost
	g.lost = 0
	return lost
}

// writeGroup writes group and tells each caller how it went. A group the
// database refuses for what it holds is written again in halves, so that
// a bad record fails alone and costs about two statements per halving,
// not one per record; any other error fails the group whole, halves
// faring no better. A group SQLite keeps out with another connection's
// write lock is tried again whole, with backoff, until the lock goes.
// After the deadline, all that is left fails with it. It returns how
// many records failed.
func writeGroup(ctx context.Context, b storeBackend, group []*pendingRecord) int {
	err := whileLocked(ctx, func() error { return b.recordMany(ctx, group) })
	if err != nil && len(group) > 1 && ctx.Err() == nil && (batchRefused(err) || sqliteRefused(err)) {
		half := len(group) / 2
		return writeGroup(ctx, b, group[:half]) + writeGroup(ctx, b, group[half:])
	}
	for _, p := range group {
		p.done <- err
	}
	if err != nil {
		return len(group)
	}
	return 0
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

// errPastRun marks a dead letter that SQLite's write lock kept out until
// its run's bound for records (see recordBy): Store.AddDeadLetter leaves
// it to leftDeadLetters rather than lose it.
var errPastRun = errors.New("riverengine: the write lock outlasted the run's bound")

// leftDeadLetters writes the dead letters a run left behind (see
// errPastRun), each waiting for the lock up to lockWait, as a record left
// by its run does. The engine's Close waits for them (see drain): a dead
// letter is the last copy of its delivery, whose job is gone.
type leftDeadLetters struct {
	mu      sync.Mutex
	pending int
	idle    chan struct{} // closed when pending returns to zero
	life    context.Context
	cut     context.CancelFunc
	lost    int // given up once cut
	logger  *slog.Logger
}

// leave writes dl in the background.
func (l *leftDeadLetters) leave(b storeBackend, dl webhook.DeadLetter) {
	l.mu.Lock()
	if l.pending == 0 {
		l.idle = make(chan struct{})
		l.life, l.cut = context.WithCancel(context.Background())
	}
	l.pending++
	life := l.life
	l.mu.Unlock()
	go func() {
		err := b.addDeadLetter(life, &dl) // no run's bound: up to lockWait
		l.mu.Lock()
		defer l.mu.Unlock()
		if err != nil {
			if life.Err() != nil {
				l.lost++
			}
			if l.logger != nil {
				l.logger.Error("riverengine: a dead letter left to be written after its run failed: the delivery is lost",
					"delivery_id", dl.DeliveryID, "tenant", dl.Tenant, "webhook_id", dl.WebhookID, "error", err)
			}
		}
		if l.pending--; l.pending == 0 {
			l.cut() // frees life's resources
			close(l.idle)
		}
	}()
}

// drain waits for the dead letters being written until ctx ends, and for
// at least detachedTimeout, as recordGroup.drain does, then cuts their
// writes short. It returns how many were given up.
func (l *leftDeadLetters) drain(ctx context.Context) int {
	l.mu.Lock()
	pending, idle, cut := l.pending, l.idle, l.cut
	l.mu.Unlock()
	if pending == 0 {
		return 0
	}
	floor := time.NewTimer(detachedTimeout)
	defer floor.Stop()
	select {
	case <-idle:
	case <-ctx.Done():
		select {
		case <-idle:
		case <-floor.C:
			cut()
			<-idle
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lost := l.lost
	l.lost = 0
	return lost
}
