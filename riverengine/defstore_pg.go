package riverengine

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/outhook/outhook/defstore"
)

// definitionsLockKey is the PostgreSQL advisory lock that writers of
// definitions hold for their transaction: 'outhookd' in ASCII.
const definitionsLockKey = 0x6f7574686f6f6b64

// definitionsChannel is the channel every write of definitions notifies.
const definitionsChannel = "outhook_definitions"

// listenTiming is the listener's timing (see DefinitionStore.Subscribe).
type listenTiming struct {
	// connect bounds each taking of a connection and LISTEN.
	connect time.Duration
	// ping is how long a connection may be silent before it is pinged;
	// answer how long a ping (or UNLISTEN) may take.
	ping, answer time.Duration
	// retry is the first wait before taking a connection again, doubled
	// at each failure up to retryMax.
	retry, retryMax time.Duration
}

var defaultListenTiming = listenTiming{
	connect: 10 * time.Second, ping: 30 * time.Second, answer: 5 * time.Second,
	retry: 100 * time.Millisecond, retryMax: 5 * time.Second,
}

// pgDefs is the PostgreSQL backend of DefinitionStore.
type pgDefs struct {
	pool   *pgxpool.Pool
	timing listenTiming
}

const defColumns = `tenant, id, version, name, active, triggers, definition, secrets, seq, deleted, created_at, updated_at, updated_by, breaker_reset`

func scanPGDef(row pgx.CollectableRow) (defRow, error) {
	var r defRow
	var seq, reset int64
	err := row.Scan(&r.Tenant, &r.ID, &r.Version, &r.Name, &r.Active, &r.Triggers, &r.Definition, &r.Secrets,
		&seq, &r.deleted, &r.CreatedAt, &r.UpdatedAt, &r.UpdatedBy, &reset)
	r.Seq, r.BreakerReset = uint64(seq), uint64(reset)
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	r.Record = normalized(r.Record)
	return r, err
}

// pgQuerier is a pool or a transaction.
type pgQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func pgDefRow(ctx context.Context, q pgQuerier, tenant, id string) (defRow, bool, error) {
	rows, err := q.Query(ctx, `SELECT `+defColumns+` FROM outhook_definition WHERE tenant = $1 AND id = $2`, tenant, id)
	if err != nil {
		return defRow{}, false, err
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanPGDef)
	if errors.Is(err, pgx.ErrNoRows) {
		return defRow{}, false, nil
	}
	return r, err == nil, err
}

func (b *pgDefs) write(ctx context.Context, fn func(w defWriter) error) error {
	return pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		// Held to the commit: the next writer numbers its change after
		// this one's is visible.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(definitionsLockKey)); err != nil {
			return err
		}
		if err := fn(pgWriter{tx}); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "SELECT pg_notify($1, '')", definitionsChannel)
		return err
	})
}

func (b *pgDefs) get(ctx context.Context, tenant, id string) (defRow, bool, error) {
	return pgDefRow(ctx, b.pool, tenant, id)
}

func (b *pgDefs) list(ctx context.Context, tenant, after string, limit int) ([]defstore.Record, error) {
	rows, err := b.pool.Query(ctx, `SELECT `+defColumns+` FROM outhook_definition
		WHERE tenant = $1 AND id > $2 AND NOT deleted ORDER BY id LIMIT $3`, tenant, after, limit)
	if err != nil {
		return nil, err
	}
	defs, err := pgx.CollectRows(rows, scanPGDef)
	if err != nil {
		return nil, err
	}
	out := make([]defstore.Record, len(defs))
	for i := range defs {
		out[i] = defs[i].Record
	}
	return out, nil
}

func (b *pgDefs) count(ctx context.Context, tenant string) (int, error) {
	return pgCount(ctx, b.pool, tenant)
}

func pgCount(ctx context.Context, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}, tenant string) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM outhook_definition WHERE tenant = $1 AND NOT deleted`, tenant).Scan(&n)
	return n, err
}

func (b *pgDefs) changes(ctx context.Context, after uint64, limit int) ([]defRow, error) {
	if after > math.MaxInt64 {
		return nil, nil
	}
	rows, err := b.pool.Query(ctx, `SELECT `+defColumns+` FROM outhook_definition
		WHERE seq > $1 ORDER BY seq LIMIT $2`, int64(after), limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanPGDef)
}

func (b *pgDefs) history(ctx context.Context, tenant, id string, limit int) ([]defstore.Revision, error) {
	rows, err := b.pool.Query(ctx, `SELECT tenant, id, version, action, actor, at, name FROM outhook_definition_revision
		WHERE tenant = $1 AND id = $2 ORDER BY seq DESC LIMIT $3`, tenant, id, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (defstore.Revision, error) {
		var r defstore.Revision
		err := row.Scan(&r.Tenant, &r.ID, &r.Version, &r.Action, &r.Actor, &r.At, &r.Name)
		r.At = r.At.UTC()
		return r, err
	})
}

// pgWriter is a write transaction on PostgreSQL.
type pgWriter struct {
	tx pgx.Tx
}

func (w pgWriter) row(ctx context.Context, tenant, id string) (defRow, bool, error) {
	return pgDefRow(ctx, w.tx, tenant, id)
}

func (w pgWriter) nameOwner(ctx context.Context, tenant, name string) (string, bool, error) {
	var id string
	err := w.tx.QueryRow(ctx, `SELECT id FROM outhook_definition WHERE tenant = $1 AND name = $2 AND NOT deleted`,
		tenant, name).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return id, err == nil, err
}

func (w pgWriter) count(ctx context.Context, tenant string) (int, error) {
	return pgCount(ctx, w.tx, tenant)
}

func (w pgWriter) nextSeq(ctx context.Context) (uint64, error) {
	var seq int64
	err := w.tx.QueryRow(ctx, `SELECT coalesce(max(seq), 0) + 1 FROM outhook_definition`).Scan(&seq)
	return uint64(seq), err
}

func (w pgWriter) put(ctx context.Context, r *defRow) error {
	triggers := r.Triggers
	if triggers == nil {
		triggers = []string{}
	}
	definition := r.Definition
	if definition == nil {
		definition = []byte{}
	}
	_, err := w.tx.Exec(ctx, `INSERT INTO outhook_definition (`+defColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (tenant, id) DO UPDATE SET version = excluded.version, name = excluded.name,
			active = excluded.active, triggers = excluded.triggers, definition = excluded.definition,
			secrets = excluded.secrets, seq = excluded.seq, deleted = excluded.deleted,
			created_at = excluded.created_at, updated_at = excluded.updated_at, updated_by = excluded.updated_by,
			breaker_reset = excluded.breaker_reset`,
		r.Tenant, r.ID, r.Version, r.Name, r.Active, triggers, definition, r.Secrets,
		int64(r.Seq), r.deleted, r.CreatedAt, r.UpdatedAt, r.UpdatedBy, int64(r.BreakerReset))
	return err
}

// revise writes rev and deletes the definition's revisions older than
// the HistoryKept newest, in one statement: its parts see the table as it
// was before it, so the delete keeps HistoryKept-1 of the earlier ones.
func (w pgWriter) revise(ctx context.Context, seq uint64, rev *defstore.Revision) error {
	_, err := w.tx.Exec(ctx, `WITH pruned AS (DELETE FROM outhook_definition_revision
			WHERE tenant = $2 AND id = $3 AND seq <= (SELECT seq FROM outhook_definition_revision
				WHERE tenant = $2 AND id = $3 ORDER BY seq DESC OFFSET $9 LIMIT 1))
		INSERT INTO outhook_definition_revision (seq, tenant, id, version, action, actor, at, name)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		int64(seq), rev.Tenant, rev.ID, rev.Version, string(rev.Action), rev.Actor, rev.At, rev.Name, defstore.HistoryKept-1)
	return err
}

func (b *pgDefs) subscribe(notify func()) (func(), error) {
	l := &pgListener{pool: b.pool, timing: b.timing}
	conn, err := l.listen(context.Background())
	if err != nil {
		return nil, err
	}
	l.sub = newSubscription(notify)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.follow(ctx, conn)
	}()
	return func() {
		stop()
		<-done
		l.sub.cancel()
	}, nil
}

// pgListener signals sub at each notification on definitionsChannel.
type pgListener struct {
	pool   *pgxpool.Pool
	timing listenTiming
	sub    *subscription
}

// listen takes a connection from the pool and listens on
// definitionsChannel, within timing.connect: the pool may hand out an idle
// connection the network lost, which would not answer its ping.
func (l *pgListener) listen(ctx context.Context) (*pgxpool.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, l.timing.connect)
	defer cancel()
	conn, err := l.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+definitionsChannel); err != nil {
		l.unlisten(conn)
		return nil, err
	}
	return conn, nil
}

// unlisten gives conn back to the pool no longer listening, or closes it.
func (l *pgListener) unlisten(conn *pgxpool.Conn) {
	if !conn.Conn().IsClosed() {
		ctx, cancel := context.WithTimeout(context.Background(), l.timing.answer)
		defer cancel()
		if _, err := conn.Exec(ctx, "UNLISTEN "+definitionsChannel); err != nil {
			_ = conn.Hijack().Close(ctx)
			return
		}
	}
	conn.Release() // the pool destroys a closed connection
}

// follow signals at each notification on conn until ctx is done, taking a
// connection again whenever conn fails.
func (l *pgListener) follow(ctx context.Context, conn *pgxpool.Conn) {
	for {
		_ = l.wait(ctx, conn)
		l.unlisten(conn)
		for retry := l.timing.retry; ; retry = min(2*retry, l.timing.retryMax) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(retry):
			}
			var err error
			if conn, err = l.listen(ctx); err == nil {
				break
			}
		}
		// Writes committed while no connection listened told no one.
		l.sub.signal()
	}
}

// wait signals at each notification on conn, until conn fails or ctx is
// done. A connection silent for timing.ping is pinged, so that one the
// network lost without a word is noticed.
func (l *pgListener) wait(ctx context.Context, conn *pgxpool.Conn) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, l.timing.ping)
		_, err := conn.Conn().WaitForNotification(wctx)
		timedOut := wctx.Err() != nil && ctx.Err() == nil
		cancel()
		switch {
		case err == nil:
			l.sub.signal()
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case !timedOut || conn.Conn().IsClosed():
			return err
		}
		pctx, cancel := context.WithTimeout(ctx, l.timing.answer)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return err
		}
	}
}
