package riverengine

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// Store is a webhook.InvocationStore in the engine's database: every
// instance of the service sees the same invocation records and dead
// letters, and TakeDeadLetter hands a dead letter to exactly one of them.
// Get one from Engine.Store, or from NewStore or NewSQLiteStore for a
// service that only reads the history. It is safe for concurrent use.
//
// Records are kept until Prune deletes them; dead letters until they are
// taken for redelivery. During PublishTx the records Publish makes (for
// filtered and inactive webhooks, with webhook.WithRecordFiltered) are
// written in the caller's transaction, so they commit or roll back with it.
type Store struct {
	b storeBackend
}

var _ webhook.TxStore = (*Store)(nil)

// storeBackend is the SQL of one database.
type storeBackend interface {
	// record writes in tx when it is not nil, a transaction of the
	// store's database (recordTx checked it).
	record(ctx context.Context, tx any, inv *webhook.Invocation, rec []byte) error
	ownsTx(tx any) bool
	invocations(ctx context.Context, webhookID string, limit int) ([][]byte, error)
	addDeadLetter(ctx context.Context, dl *webhook.DeadLetter) error
	deadLetters(ctx context.Context, webhookID string, limit int) ([]deadLetterRow, error)
	// takeDeadLetter deletes in tx when it is not nil, as record does.
	takeDeadLetter(ctx context.Context, tx any, deliveryID string) (deadLetterRow, bool, error)
	prune(ctx context.Context, before time.Time) (int64, error)
}

// deadLetterRow is a dead letter as stored, its event still JSON.
type deadLetterRow struct {
	deliveryID, webhookID, outcome, reason, event string
	attempts                                      int
	failedAt                                      time.Time
}

// NewStore returns the store on a PostgreSQL database that Migrate has
// brought up to date.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{b: &pgStore{pool: pool}} }

// NewSQLiteStore returns the store on a SQLite database that MigrateSQLite
// has brought up to date.
func NewSQLiteStore(db *sql.DB) *Store { return &Store{b: &sqliteStore{db: db}} }

// Record keeps inv.
func (s *Store) Record(ctx context.Context, inv webhook.Invocation) error {
	rec, err := json.Marshal(&inv)
	if err != nil {
		return &StoreError{Op: "Record", Err: err}
	}
	if err := s.b.record(ctx, nil, &inv, rec); err != nil {
		return &StoreError{Op: "Record", Err: err}
	}
	return nil
}

// RecordTx keeps inv in tx, the caller's transaction on the store's
// database (a pgx.Tx on PostgreSQL, a *sql.Tx on SQLite), so that it
// commits or rolls back with it: during Dispatcher.PublishTx, the records
// of the webhooks an event did not match. A transaction of another
// database is refused with an error wrapping ErrWrongDatabase.
func (s *Store) RecordTx(ctx context.Context, tx engine.Tx, inv webhook.Invocation) error {
	if !s.b.ownsTx(tx) {
		return &StoreError{Op: "RecordTx", Err: fmt.Errorf("%w (%T)", ErrWrongDatabase, tx)}
	}
	rec, err := json.Marshal(&inv)
	if err != nil {
		return &StoreError{Op: "RecordTx", Err: err}
	}
	if err := s.b.record(ctx, tx, &inv, rec); err != nil {
		return &StoreError{Op: "RecordTx", Err: err}
	}
	return nil
}

// Invocations lists up to limit records of one webhook, newest first; a
// limit of zero or less lists them all.
func (s *Store) Invocations(ctx context.Context, webhookID string, limit int) ([]webhook.Invocation, error) {
	recs, err := s.b.invocations(ctx, webhookID, limit)
	if err != nil {
		return nil, &StoreError{Op: "Invocations", Err: err}
	}
	out := make([]webhook.Invocation, len(recs))
	for i, rec := range recs {
		if err := json.Unmarshal(rec, &out[i]); err != nil {
			return nil, &StoreError{Op: "Invocations", Err: err}
		}
	}
	return out, nil
}

// AddDeadLetter keeps dl. A dead letter of the same delivery replaces the
// one kept before: a delivery has at most one.
func (s *Store) AddDeadLetter(ctx context.Context, dl webhook.DeadLetter) error {
	if dl.Event == nil {
		return &StoreError{Op: "AddDeadLetter", Err: errors.New("dead letter has no event")}
	}
	if err := s.b.addDeadLetter(ctx, &dl); err != nil {
		return &StoreError{Op: "AddDeadLetter", Err: err}
	}
	return nil
}

// DeadLetters lists up to limit dead letters, newest first, of one webhook
// or, for an empty webhookID, of all; a limit of zero or less lists them
// all.
func (s *Store) DeadLetters(ctx context.Context, webhookID string, limit int) ([]webhook.DeadLetter, error) {
	rows, err := s.b.deadLetters(ctx, webhookID, limit)
	if err != nil {
		return nil, &StoreError{Op: "DeadLetters", Err: err}
	}
	out := make([]webhook.DeadLetter, len(rows))
	for i, r := range rows {
		if out[i], err = r.deadLetter(); err != nil {
			return nil, &StoreError{Op: "DeadLetters", Err: err}
		}
	}
	return out, nil
}

// TakeDeadLetter removes and returns the dead letter of deliveryID, in one
// statement: when several instances take the same dead letter at once,
// exactly one gets it and the others get an error wrapping
// webhook.ErrNotFound.
func (s *Store) TakeDeadLetter(ctx context.Context, deliveryID string) (webhook.DeadLetter, error) {
	return s.take(ctx, "TakeDeadLetter", nil, deliveryID)
}

// TakeDeadLetterTx is TakeDeadLetter in tx, a transaction of the store's
// database: Redeliver takes the dead letter and queues its delivery in
// one (see Engine.InTx), so that a crash between the two loses neither. A
// transaction of another database is refused with an error wrapping
// ErrWrongDatabase.
func (s *Store) TakeDeadLetterTx(ctx context.Context, tx engine.Tx, deliveryID string) (webhook.DeadLetter, error) {
	if !s.b.ownsTx(tx) {
		return webhook.DeadLetter{}, &StoreError{Op: "TakeDeadLetterTx", Err: fmt.Errorf("%w (%T)", ErrWrongDatabase, tx)}
	}
	return s.take(ctx, "TakeDeadLetterTx", tx, deliveryID)
}

func (s *Store) take(ctx context.Context, op string, tx any, deliveryID string) (webhook.DeadLetter, error) {
	row, ok, err := s.b.takeDeadLetter(ctx, tx, deliveryID)
	if err != nil {
		return webhook.DeadLetter{}, &StoreError{Op: op, Err: err}
	}
	if !ok {
		return webhook.DeadLetter{}, fmt.Errorf("dead letter %q: %w", deliveryID, webhook.ErrNotFound)
	}
	dl, err := row.deadLetter()
	if err != nil {
		return webhook.DeadLetter{}, &StoreError{Op: op, Err: err}
	}
	return dl, nil
}

// Prune deletes the invocation records that started before before, and
// reports how many it deleted. Dead letters are not pruned. A service
// calls it periodically, say daily with a cut-off thirty days back.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.b.prune(ctx, before)
	if err != nil {
		return 0, &StoreError{Op: "Prune", Err: err}
	}
	return n, nil
}

func (r *deadLetterRow) deadLetter() (webhook.DeadLetter, error) {
	e, err := event.Parse([]byte(r.event))
	if err != nil {
		return webhook.DeadLetter{}, err
	}
	return webhook.DeadLetter{
		DeliveryID: r.deliveryID, WebhookID: r.webhookID, Event: e, Outcome: webhook.Outcome(r.outcome),
		Reason: r.reason, Attempts: r.attempts, FailedAt: r.failedAt,
	}, nil
}

// pgStore is the PostgreSQL backend.
type pgStore struct {
	pool *pgxpool.Pool
}

func (s *pgStore) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := s.pool.Exec(ctx, q, args...)
	return tag.RowsAffected(), err
}

func (s *pgStore) ownsTx(tx any) bool {
	_, ok := tx.(pgx.Tx)
	return ok
}

func (s *pgStore) record(ctx context.Context, tx any, inv *webhook.Invocation, rec []byte) error {
	const q = `INSERT INTO outhook_invocation (id, delivery_id, webhook_id, outcome, started_at, record)
		VALUES ($1, $2, $3, $4, $5, $6)`
	args := []any{inv.ID, inv.DeliveryID, inv.WebhookID, string(inv.Outcome), inv.StartedAt, string(jsonbSafe(rec))}
	if tx, ok := tx.(pgx.Tx); ok {
		_, err := tx.Exec(ctx, q, args...)
		return err
	}
	_, err := s.pool.Exec(ctx, q, args...)
	return err
}

func (s *pgStore) invocations(ctx context.Context, webhookID string, limit int) ([][]byte, error) {
	rows, err := s.pool.Query(ctx, `SELECT record::text FROM outhook_invocation WHERE webhook_id = $1
		ORDER BY seq DESC LIMIT $2`, webhookID, pgLimit(limit))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) ([]byte, error) {
		var s string
		err := row.Scan(&s)
		return []byte(s), err
	})
}

func (s *pgStore) addDeadLetter(ctx context.Context, dl *webhook.DeadLetter) error {
	_, err := s.exec(ctx, `INSERT INTO outhook_dead_letter (delivery_id, webhook_id, outcome, reason, attempts, failed_at, event)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (delivery_id) DO UPDATE SET webhook_id = excluded.webhook_id, outcome = excluded.outcome,
			reason = excluded.reason, attempts = excluded.attempts, failed_at = excluded.failed_at, event = excluded.event`,
		dl.DeliveryID, dl.WebhookID, string(dl.Outcome), strings.ReplaceAll(dl.Reason, "\x00", "\uFFFD"), dl.Attempts, dl.FailedAt, string(dl.Event.JSON()))
	return err
}

// jsonbSafe returns rec, JSON, with each \u0000 escape replaced by \ufffd,
// the replacement character, in place. PostgreSQL's jsonb refuses NUL,
// which a binary response body or an event's value may hold: it would
// refuse the whole record and, in the caller's PublishTx transaction,
// abort that transaction. (Its text columns refuse NUL too: a dead
// letter's reason is cleaned the same way.)
func jsonbSafe(rec []byte) []byte {
	const nul = `\u0000`
	for i := 0; ; {
		j := bytes.Index(rec[i:], []byte(nul))
		if j < 0 {
			return rec
		}
		i += j
		// An escape unless the backslash is itself escaped: an even run of
		// backslashes before it.
		run := 0
		for k := i - 1; k >= 0 && rec[k] == '\\'; k-- {
			run++
		}
		if run%2 == 0 {
			copy(rec[i:], `\ufffd`)
		}
		i += len(nul)
	}
}

const deadLetterColumns = "delivery_id, webhook_id, outcome, reason, attempts, failed_at, event"

func scanPGDeadLetter(row pgx.CollectableRow) (deadLetterRow, error) {
	var r deadLetterRow
	err := row.Scan(&r.deliveryID, &r.webhookID, &r.outcome, &r.reason, &r.attempts, &r.failedAt, &r.event)
	return r, err
}

func (s *pgStore) deadLetters(ctx context.Context, webhookID string, limit int) ([]deadLetterRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deadLetterColumns+` FROM outhook_dead_letter
		WHERE $1 = '' OR webhook_id = $1 ORDER BY failed_at DESC, delivery_id LIMIT $2`, webhookID, pgLimit(limit))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanPGDeadLetter)
}

func (s *pgStore) takeDeadLetter(ctx context.Context, tx any, deliveryID string) (deadLetterRow, bool, error) {
	const q = `DELETE FROM outhook_dead_letter WHERE delivery_id = $1 RETURNING ` + deadLetterColumns
	var rows pgx.Rows
	var err error
	if tx, ok := tx.(pgx.Tx); ok {
		rows, err = tx.Query(ctx, q, deliveryID)
	} else {
		rows, err = s.pool.Query(ctx, q, deliveryID)
	}
	if err != nil {
		return deadLetterRow{}, false, err
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanPGDeadLetter)
	if errors.Is(err, pgx.ErrNoRows) {
		return deadLetterRow{}, false, nil
	}
	return r, err == nil, err
}

func (s *pgStore) prune(ctx context.Context, before time.Time) (int64, error) {
	return s.exec(ctx, "DELETE FROM outhook_invocation WHERE started_at < $1", before)
}

// pgLimit turns "zero or less means all" into SQL: LIMIT NULL is no limit.
func pgLimit(limit int) *int {
	if limit <= 0 {
		return nil
	}
	return &limit
}

// sqliteStore is the SQLite backend.
type sqliteStore struct {
	db *sql.DB
}

func (s *sqliteStore) ownsTx(tx any) bool {
	_, ok := tx.(*sql.Tx)
	return ok
}

// record writes in tx when there is one: with SQLite's single connection,
// a write beside the caller's transaction would wait for it forever.
func (s *sqliteStore) record(ctx context.Context, tx any, inv *webhook.Invocation, rec []byte) error {
	const q = `INSERT INTO outhook_invocation (id, delivery_id, webhook_id, outcome, started_at, record)
		VALUES (?, ?, ?, ?, ?, ?)`
	args := []any{inv.ID, inv.DeliveryID, inv.WebhookID, string(inv.Outcome), inv.StartedAt.UnixNano(), string(rec)}
	if tx, ok := tx.(*sql.Tx); ok {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}
	_, err := s.db.ExecContext(ctx, q, args...)
	return err
}

func (s *sqliteStore) invocations(ctx context.Context, webhookID string, limit int) ([][]byte, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT record FROM outhook_invocation WHERE webhook_id = ?
		ORDER BY seq DESC LIMIT ?`, webhookID, sqliteLimit(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var rec string
		if err := rows.Scan(&rec); err != nil {
			return nil, err
		}
		out = append(out, []byte(rec))
	}
	return out, rows.Err()
}

func (s *sqliteStore) addDeadLetter(ctx context.Context, dl *webhook.DeadLetter) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO outhook_dead_letter (delivery_id, webhook_id, outcome, reason, attempts, failed_at, event)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (delivery_id) DO UPDATE SET webhook_id = excluded.webhook_id, outcome = excluded.outcome,
			reason = excluded.reason, attempts = excluded.attempts, failed_at = excluded.failed_at, event = excluded.event`,
		dl.DeliveryID, dl.WebhookID, string(dl.Outcome), dl.Reason, dl.Attempts, dl.FailedAt.UnixNano(), string(dl.Event.JSON()))
	return err
}

func scanSQLiteDeadLetters(rows *sql.Rows) ([]deadLetterRow, error) {
	defer rows.Close()
	var out []deadLetterRow
	for rows.Next() {
		var r deadLetterRow
		var failed int64
		if err := rows.Scan(&r.deliveryID, &r.webhookID, &r.outcome, &r.reason, &r.attempts, &failed, &r.event); err != nil {
			return nil, err
		}
		r.failedAt = time.Unix(0, failed)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *sqliteStore) deadLetters(ctx context.Context, webhookID string, limit int) ([]deadLetterRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+deadLetterColumns+` FROM outhook_dead_letter
		WHERE ?1 = '' OR webhook_id = ?1 ORDER BY failed_at DESC, delivery_id LIMIT ?2`, webhookID, sqliteLimit(limit))
	if err != nil {
		return nil, err
	}
	return scanSQLiteDeadLetters(rows)
}

func (s *sqliteStore) takeDeadLetter(ctx context.Context, tx any, deliveryID string) (deadLetterRow, bool, error) {
	const q = `DELETE FROM outhook_dead_letter WHERE delivery_id = ? RETURNING ` + deadLetterColumns
	var rows *sql.Rows
	var err error
	if tx, ok := tx.(*sql.Tx); ok {
		rows, err = tx.QueryContext(ctx, q, deliveryID)
	} else {
		rows, err = s.db.QueryContext(ctx, q, deliveryID)
	}
	if err != nil {
		return deadLetterRow{}, false, err
	}
	out, err := scanSQLiteDeadLetters(rows)
	if err != nil || len(out) == 0 {
		return deadLetterRow{}, false, err
	}
	return out[0], true, nil
}

func (s *sqliteStore) prune(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, "DELETE FROM outhook_invocation WHERE started_at < ?", before.UnixNano())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// sqliteLimit turns "zero or less means all" into SQL: LIMIT -1 is no
// limit.
func sqliteLimit(limit int) int {
	if limit <= 0 {
		return -1
	}
	return limit
}
