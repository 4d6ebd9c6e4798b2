package riverengine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/outhook/outhook/defstore"
)

// sqliteDefs is the SQLite backend of DefinitionStore.
type sqliteDefs struct {
	db *sql.DB
}

// sqliteQuerier is a *sql.DB or a *sql.Conn.
type sqliteQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func scanSQLiteDefs(rows *sql.Rows, err error) ([]defRow, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []defRow
	for rows.Next() {
		var r defRow
		var seq, created, updated, reset int64
		var triggers string
		if err := rows.Scan(&r.Tenant, &r.ID, &r.Version, &r.Name, &r.Active, &triggers, &r.Definition, &r.Secrets,
			&seq, &r.deleted, &created, &updated, &r.UpdatedBy, &reset); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(triggers), &r.Triggers); err != nil {
			return nil, err
		}
		r.Seq, r.BreakerReset = uint64(seq), uint64(reset)
		r.CreatedAt, r.UpdatedAt = time.Unix(0, created).UTC(), time.Unix(0, updated).UTC()
		r.Record = normalized(r.Record)
		out = append(out, r)
	}
	return out, rows.Err()
}

func sqliteDefRow(ctx context.Context, q sqliteQuerier, tenant, id string) (defRow, bool, error) {
	rows, err := scanSQLiteDefs(q.QueryContext(ctx, `SELECT `+defColumns+` FROM outhook_definition
		WHERE tenant = ? AND id = ?`, tenant, id))
	if err != nil || len(rows) == 0 {
		return defRow{}, false, err
	}
	return rows[0], true, nil
}

// write holds SQLite's write lock from the start of the transaction
// (BEGIN IMMEDIATE), on a connection of its own, so that writers of
// several connections or processes number their changes one at a time.
func (b *sqliteDefs) write(ctx context.Context, fn func(w defWriter) error) (err error) {
	conn, err := b.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err == nil {
			return
		}
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
			// Never hand the pool a connection still in a transaction.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	if err := fn(sqliteWriter{conn}); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return err
	}
	sqliteHubs.signal(b.db)
	return nil
}

func (b *sqliteDefs) get(ctx context.Context, tenant, id string) (defRow, bool, error) {
	return sqliteDefRow(ctx, b.db, tenant, id)
}

func (b *sqliteDefs) list(ctx context.Context, tenant, after string, limit int) ([]defstore.Record, error) {
	defs, err := scanSQLiteDefs(b.db.QueryContext(ctx, `SELECT `+defColumns+` FROM outhook_definition
		WHERE tenant = ? AND id > ? AND deleted = 0 ORDER BY id LIMIT ?`, tenant, after, limit))
	if err != nil {
		return nil, err
	}
	out := make([]defstore.Record, len(defs))
	for i := range defs {
		out[i] = defs[i].Record
	}
	return out, nil
}

func (b *sqliteDefs) count(ctx context.Context, tenant string) (int, error) {
	return sqliteCount(ctx, b.db, tenant)
}

func sqliteCount(ctx context.Context, q sqliteQuerier, tenant string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM outhook_definition WHERE tenant = ? AND deleted = 0`, tenant).Scan(&n)
	return n, err
}

func (b *sqliteDefs) changes(ctx context.Context, after uint64, limit int) ([]defRow, error) {
	if after > math.MaxInt64 {
		return nil, nil
	}
	return scanSQLiteDefs(b.db.QueryContext(ctx, `SELECT `+defColumns+` FROM outhook_definition
		WHERE seq > ? ORDER BY seq LIMIT ?`, int64(after), limit))
}

func (b *sqliteDefs) history(ctx context.Context, tenant, id string, limit int) ([]defstore.Revision, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT tenant, id, version, action, actor, at, name FROM outhook_definition_revision
		WHERE tenant = ? AND id = ? ORDER BY seq DESC LIMIT ?`, tenant, id, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []defstore.Revision
	for rows.Next() {
		var r defstore.Revision
		var at int64
		if err := rows.Scan(&r.Tenant, &r.ID, &r.Version, &r.Action, &r.Actor, &at, &r.Name); err != nil {
			return nil, err
		}
		r.At = time.Unix(0, at).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// sqliteWriter is a write transaction on SQLite.
type sqliteWriter struct {
	conn *sql.Conn
}

func (w sqliteWriter) row(ctx context.Context, tenant, id string) (defRow, bool, error) {
	return sqliteDefRow(ctx, w.conn, tenant, id)
}

func (w sqliteWriter) nameOwner(ctx context.Context, tenant, name string) (string, bool, error) {
	var id string
	err := w.conn.QueryRowContext(ctx, `SELECT id FROM outhook_definition WHERE tenant = ? AND name = ? AND deleted = 0`,
		tenant, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return id, err == nil, err
}

func (w sqliteWriter) count(ctx context.Context, tenant string) (int, error) {
	return sqliteCount(ctx, w.conn, tenant)
}

func (w sqliteWriter) nextSeq(ctx context.Context) (uint64, error) {
	var seq int64
	err := w.conn.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) + 1 FROM outhook_definition`).Scan(&seq)
	return uint64(seq), err
}

func (w sqliteWriter) put(ctx context.Context, r *defRow) error {
	triggers := []byte("[]")
	if len(r.Triggers) > 0 {
		var err error
		if triggers, err = json.Marshal(r.Triggers); err != nil {
			return err
		}
	}
	definition := r.Definition
	if definition == nil {
		definition = []byte{}
	}
	_, err := w.conn.ExecContext(ctx, `INSERT INTO outhook_definition (`+defColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant, id) DO UPDATE SET version = excluded.version, name = excluded.name,
			active = excluded.active, triggers = excluded.triggers, definition = excluded.definition,
			secrets = excluded.secrets, seq = excluded.seq, deleted = excluded.deleted,
			created_at = excluded.created_at, updated_at = excluded.updated_at, updated_by = excluded.updated_by,
			breaker_reset = excluded.breaker_reset`,
		r.Tenant, r.ID, r.Version, r.Name, r.Active, string(triggers), definition, r.Secrets,
		int64(r.Seq), r.deleted, r.CreatedAt.UnixNano(), r.UpdatedAt.UnixNano(), r.UpdatedBy, int64(r.BreakerReset))
	return err
}

// revise writes rev and deletes the definition's revisions older than
// the HistoryKept newest.
func (w sqliteWriter) revise(ctx context.Context, seq uint64, rev *defstore.Revision) error {
	_, err := w.conn.ExecContext(ctx, `INSERT INTO outhook_definition_revision (seq, tenant, id, version, action, actor, at, name)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		int64(seq), rev.Tenant, rev.ID, rev.Version, string(rev.Action), rev.Actor, rev.At.UnixNano(), rev.Name)
	if err != nil {
		return err
	}
	_, err = w.conn.ExecContext(ctx, `DELETE FROM outhook_definition_revision WHERE tenant = ?1 AND id = ?2
		AND seq <= (SELECT seq FROM outhook_definition_revision WHERE tenant = ?1 AND id = ?2 ORDER BY seq DESC LIMIT 1 OFFSET ?3)`,
		rev.Tenant, rev.ID, defstore.HistoryKept)
	return err
}

func (b *sqliteDefs) subscribe(notify func()) (func(), error) {
	sub := newSubscription(notify)
	sqliteHubs.add(b.db, sub)
	return func() {
		sqliteHubs.remove(b.db, sub)
		sub.cancel()
	}, nil
}

// sqliteHubs holds the subscriptions to the definitions of each SQLite
// database of the process, by *sql.DB, so that every DefinitionStore on
// one database notifies the subscribers of all. A database is there only
// while it has subscribers.
var sqliteHubs = hubs{m: map[*sql.DB]map[*subscription]struct{}{}}

type hubs struct {
	mu sync.Mutex
	m  map[*sql.DB]map[*subscription]struct{}
}

func (h *hubs) add(db *sql.DB, sub *subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m[db] == nil {
		h.m[db] = map[*subscription]struct{}{}
	}
	h.m[db][sub] = struct{}{}
}

func (h *hubs) remove(db *sql.DB, sub *subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m[db], sub)
	if len(h.m[db]) == 0 {
		delete(h.m, db)
	}
}

func (h *hubs) signal(db *sql.DB) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.m[db] {
		sub.signal()
	}
}
