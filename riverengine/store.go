package riverengine

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
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
// Records are kept until Prune, Enforce (WithRetention) or Erase deletes
// them; dead letters until they are taken for redelivery, discarded,
// enforced or erased. It is a webhook.SummaryStore: the database keeps
// the counters as it writes (see SummaryCounts), and their 5-minute slots
// until Enforce drops those older than a day; without retention they
// stay, a row per webhook per slot with attempts. During PublishTx the records Publish makes (for
// filtered and inactive webhooks, with webhook.WithRecordFiltered) are
// written in the caller's transaction, so they commit or roll back with it.
type Store struct {
	b storeBackend
	// records groups the writes of Record (see recordGroup).
	records recordGroup
	// deadLetters writes those a run left behind on SQLite.
	deadLetters leftDeadLetters
}

var _ webhook.TxStore = (*Store)(nil)

// storeBackend is the SQL of one database.
type storeBackend interface {
	// record writes in tx when it is not nil, a transaction of the
	// store's database (recordTx checked it).
	record(ctx context.Context, tx any, inv *webhook.Invocation, rec []byte) error
	// recordMany writes a group of records in one commit, all or none.
	recordMany(ctx context.Context, group []*pendingRecord) error
	ownsTx(tx any) bool
	// precision is how finely the database keeps a time.
	precision() time.Duration
	// invocations and deadLetters return up to limit rows (all for zero
	// or less) of tenant within f, in the order of pages.
	invocations(ctx context.Context, tenant string, f filter, limit int) ([]invocationRow, error)
	addDeadLetter(ctx context.Context, dl *webhook.DeadLetter) error
	deadLetters(ctx context.Context, tenant string, f filter, limit int) ([]deadLetterRow, error)
	// takeDeadLetter deletes in tx when it is not nil, as record does;
	// only a dead letter of *tenant when tenant is not nil.
	takeDeadLetter(ctx context.Context, tx any, tenant *string, deliveryID string) (deadLetterRow, bool, error)
	prune(ctx context.Context, before time.Time) (int64, error)
	// pruneAge and pruneCount delete up to pruneBatch rows of the records,
	// or of the dead letters, that are older than before, or past the
	// latest keep of hook of tenant.
	pruneAge(ctx context.Context, dead bool, before time.Time) (int64, error)
	pruneCount(ctx context.Context, dead bool, tenant, hook string, keep int) (int64, error)
	// overCount lists the (tenant, webhook) pairs with more than keep
	// records, or dead letters.
	overCount(ctx context.Context, dead bool, keep int) ([][2]string, error)
	// erase deletes er's rows and keeps er in one transaction.
	erase(ctx context.Context, er *webhook.Erasure) error
	erasures(ctx context.Context, tenant string, limit int) ([]webhook.Erasure, error)
	discard(ctx context.Context, tenant string, f filter, limit int) (int64, error)
	// latest returns the newest record of each of ids of tenant that has
	// one, by webhook id, in one statement.
	latest(ctx context.Context, tenant string, ids []string) (map[string]string, error)
	// summaryCounts fills at[id] for each id with its counters, and its
	// slots since since in order.
	summaryCounts(ctx context.Context, tenant string, ids []string, since time.Time, at map[string]*webhook.SummaryCounts) error
	// pruneSlots deletes the summary slots that start before before.
	pruneSlots(ctx context.Context, before time.Time) (int64, error)
}

// filter selects the rows of a page. Its times are the query's; each
// backend turns them into what it compares.
type filter struct {
	webhookID, outcome string
	since, until       time.Time
	after              *webhook.Position
}

// invocationRow is a record as stored: its position as the database
// keeps it, and its JSON.
type invocationRow struct {
	at     webhook.Position
	record string
}

// deadLetterRow is a dead letter as stored, its event still JSON.
type deadLetterRow struct {
	deliveryID, tenant, webhookID, outcome, reason, event string
	attempts                                              int
	failedAt                                              time.Time
}

// NewStore returns the store on a PostgreSQL database that Migrate has
// brought up to date. PostgreSQL keeps times to the microsecond: Record
// keeps a record's StartedAt so, and a dead letter's FailedAt comes back
// so.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{b: &pgStore{pool: pool}} }

// NewSQLiteStore returns the store on a SQLite database that MigrateSQLite
// has brought up to date. It keeps times to the nanosecond, between the
// years 1678 and 2262 (Unix nanoseconds); times beyond compare as those
// years' ends.
func NewSQLiteStore(db *sql.DB) *Store { return &Store{b: &sqliteStore{db: db}} }

var _ webhook.QueryStore = (*Store)(nil)

// Record keeps inv. The records of concurrent calls are written together,
// one statement and one commit for those that arrive while the previous
// group is written; each call returns once its record is written, or
// failed (a group the database refuses for what it holds is written again
// in halves, so that one bad record fails alone). When ctx ends first,
// Record returns ctx.Err(), and the record is not written unless its group
// was being written already; a group's write, which holds other callers'
// records too, is bounded by 5 s instead. On SQLite a group kept out by
// another connection's write lock is tried again, with backoff, for up to
// a minute, after which Record fails with a *StoreError wrapping
// ErrDatabaseLocked. A record of a delivery job's run holds the run only
// until shortly before River's rescue horizon: then Record returns nil,
// and the record is written after the run, its failure logged.
func (s *Store) Record(ctx context.Context, inv webhook.Invocation) error {
	return s.recordIn(ctx, "Record", nil, inv)
}

// RecordTx keeps inv in tx, the caller's transaction on the store's
// database (a pgx.Tx on PostgreSQL, a *sql.Tx on SQLite), so that it
// commits or rolls back with it: during Dispatcher.PublishTx, the records
// of the webhooks an event did not match. A transaction of another kind
// of database is refused with an error wrapping ErrWrongDatabase.
func (s *Store) RecordTx(ctx context.Context, tx engine.Tx, inv webhook.Invocation) error {
	if !s.b.ownsTx(tx) {
		return &StoreError{Op: "RecordTx", Err: fmt.Errorf("%w (%T)", ErrWrongDatabase, tx)}
	}
	return s.recordIn(ctx, "RecordTx", tx, inv)
}

func (s *Store) recordIn(ctx context.Context, op string, tx any, inv webhook.Invocation) error {
	// The record says what the column says, so that the time bounds of a
	// query agree with the records it shows.
	inv.StartedAt = inv.StartedAt.Truncate(s.b.precision())
	rec, err := json.Marshal(&inv)
	if err != nil {
		return &StoreError{Op: op, Err: err}
	}
	write := func() error { return s.b.record(ctx, tx, &inv, rec) }
	if tx == nil {
		write = func() error { return s.records.write(ctx, s.b, &inv, rec) }
	}
	if err := write(); err != nil {
		return &StoreError{Op: op, Err: err}
	}
	return nil
}

// Invocations lists up to limit records of one webhook of the empty
// tenant, newest first; a limit of zero or less lists them all.
func (s *Store) Invocations(ctx context.Context, webhookID string, limit int) ([]webhook.Invocation, error) {
	rows, err := s.b.invocations(ctx, "", filter{webhookID: webhookID}, limit)
	if err != nil {
		return nil, &StoreError{Op: "Invocations", Err: err}
	}
	out, err := invocations(rows)
	if err != nil {
		return nil, &StoreError{Op: "Invocations", Err: err}
	}
	return out, nil
}

func invocations(rows []invocationRow) ([]webhook.Invocation, error) {
	out := make([]webhook.Invocation, len(rows))
	for i, r := range rows {
		if err := json.Unmarshal([]byte(r.record), &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// QueryInvocations returns a page of tenant's records. Each combination
// of filters has an index that yields the page's rows in order: a page
// reads limit+1 rows whatever the table holds. A query it refuses is a
// *webhook.QueryError; a failure of the database, a *StoreError.
func (s *Store) QueryInvocations(ctx context.Context, tenant string, q webhook.InvocationQuery) (webhook.InvocationPage, error) {
	limit, after, err := q.Page(tenant)
	if err != nil {
		return webhook.InvocationPage{}, err
	}
	f := filter{webhookID: q.WebhookID, outcome: string(q.Outcome), since: q.Since, until: q.Until, after: after}
	// One row more than the page says whether another page follows.
	rows, err := s.b.invocations(ctx, tenant, f, limit+1)
	if err != nil {
		return webhook.InvocationPage{}, &StoreError{Op: "QueryInvocations", Err: err}
	}
	var p webhook.InvocationPage
	if len(rows) > limit {
		rows = rows[:limit]
		p.Next = q.NextCursor(tenant, rows[limit-1].at)
	}
	if p.Invocations, err = invocations(rows); err != nil {
		return webhook.InvocationPage{}, &StoreError{Op: "QueryInvocations", Err: err}
	}
	return p, nil
}

// AddDeadLetter keeps dl. A dead letter of the same delivery replaces the
// one kept before: a delivery has at most one. One kept for another
// tenant is left alone, and the error wraps webhook.ErrTenantMismatch.
// On SQLite one that another connection's write lock keeps out past its
// delivery run's bound returns nil and is written after the run, within
// the engine's Close at the latest (see Engine.Close).
func (s *Store) AddDeadLetter(ctx context.Context, dl webhook.DeadLetter) error {
	if dl.Event == nil {
		return &StoreError{Op: "AddDeadLetter", Err: errors.New("dead letter has no event")}
	}
	err := s.b.addDeadLetter(ctx, &dl)
	if errors.Is(err, errPastRun) {
		// SQLite's write lock outlasted the run's bound: written after
		// the run, as its records are, the run told so (see recordBy).
		ctx.Value(recordByKey{}).(*recordBy).left.Store(true)
		s.deadLetters.leave(s.b, dl)
		return nil
	}
	if err != nil {
		return &StoreError{Op: "AddDeadLetter", Err: err}
	}
	return nil
}

// DeadLetters lists up to limit dead letters, newest first, of one webhook
// of the empty tenant or, for an empty webhookID, of all its webhooks; a
// limit of zero or less lists them all.
func (s *Store) DeadLetters(ctx context.Context, webhookID string, limit int) ([]webhook.DeadLetter, error) {
	rows, err := s.b.deadLetters(ctx, "", filter{webhookID: webhookID}, limit)
	if err != nil {
		return nil, &StoreError{Op: "DeadLetters", Err: err}
	}
	out, err := deadLetters(rows)
	if err != nil {
		return nil, &StoreError{Op: "DeadLetters", Err: err}
	}
	return out, nil
}

// QueryDeadLetters returns a page of tenant's dead letters, as
// QueryInvocations does records.
func (s *Store) QueryDeadLetters(ctx context.Context, tenant string, q webhook.DeadLetterQuery) (webhook.DeadLetterPage, error) {
	limit, after, err := q.Page(tenant)
	if err != nil {
		return webhook.DeadLetterPage{}, err
	}
	rows, err := s.b.deadLetters(ctx, tenant, filter{webhookID: q.WebhookID, since: q.Since, until: q.Until, after: after}, limit+1)
	if err != nil {
		return webhook.DeadLetterPage{}, &StoreError{Op: "QueryDeadLetters", Err: err}
	}
	var p webhook.DeadLetterPage
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		p.Next = q.NextCursor(tenant, webhook.Position{Time: last.failedAt, ID: last.deliveryID})
	}
	if p.DeadLetters, err = deadLetters(rows); err != nil {
		return webhook.DeadLetterPage{}, &StoreError{Op: "QueryDeadLetters", Err: err}
	}
	return p, nil
}

func deadLetters(rows []deadLetterRow) ([]webhook.DeadLetter, error) {
	out := make([]webhook.DeadLetter, len(rows))
	for i, r := range rows {
		var err error
		if out[i], err = r.deadLetter(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TakeDeadLetter removes and returns the dead letter of deliveryID, of
// any tenant, in one statement: when several instances take the same dead
// letter at once, exactly one gets it and the others get an error
// wrapping webhook.ErrNotFound.
func (s *Store) TakeDeadLetter(ctx context.Context, deliveryID string) (webhook.DeadLetter, error) {
	return s.take(ctx, "TakeDeadLetter", nil, nil, deliveryID)
}

// TakeDeadLetterFor is TakeDeadLetter for a dead letter of tenant: one of
// another tenant stays, and the error wraps webhook.ErrNotFound as for
// none.
func (s *Store) TakeDeadLetterFor(ctx context.Context, tenant, deliveryID string) (webhook.DeadLetter, error) {
	return s.take(ctx, "TakeDeadLetterFor", nil, &tenant, deliveryID)
}

// TakeDeadLetterTx is TakeDeadLetter in tx, a transaction of the store's
// database: Redeliver takes the dead letter and queues its delivery in
// one (see Engine.InTx), so that a crash between the two loses neither. A
// transaction of another kind of database is refused with an error
// wrapping ErrWrongDatabase.
func (s *Store) TakeDeadLetterTx(ctx context.Context, tx engine.Tx, deliveryID string) (webhook.DeadLetter, error) {
	if !s.b.ownsTx(tx) {
		return webhook.DeadLetter{}, &StoreError{Op: "TakeDeadLetterTx", Err: fmt.Errorf("%w (%T)", ErrWrongDatabase, tx)}
	}
	return s.take(ctx, "TakeDeadLetterTx", tx, nil, deliveryID)
}

// TakeDeadLetterForTx is TakeDeadLetterFor in tx, as TakeDeadLetterTx is
// TakeDeadLetter.
func (s *Store) TakeDeadLetterForTx(ctx context.Context, tx engine.Tx, tenant, deliveryID string) (webhook.DeadLetter, error) {
	if !s.b.ownsTx(tx) {
		return webhook.DeadLetter{}, &StoreError{Op: "TakeDeadLetterForTx", Err: fmt.Errorf("%w (%T)", ErrWrongDatabase, tx)}
	}
	return s.take(ctx, "TakeDeadLetterForTx", tx, &tenant, deliveryID)
}

func (s *Store) take(ctx context.Context, op string, tx any, tenant *string, deliveryID string) (webhook.DeadLetter, error) {
	row, ok, err := s.b.takeDeadLetter(ctx, tx, tenant, deliveryID)
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
// reports how many it deleted. Dead letters are not pruned: Enforce
// bounds both. A service calls it periodically, say daily with a cut-off
// thirty days back.
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
		DeliveryID: r.deliveryID, Tenant: r.tenant, WebhookID: r.webhookID, Event: e, Outcome: webhook.Outcome(r.outcome),
		Reason: r.reason, Attempts: r.attempts, FailedAt: r.failedAt,
	}, nil
}

// dialect is what the SQL of a page needs of a database.
type dialect struct {
	// param is the placeholder of the n-th argument.
	param func(n int) string
	// collate makes ids compare as bytes.
	collate string
	// bound turns a query's time into an argument compared with a time
	// column: t itself, or, where the column is coarser than t, the
	// least value it can hold that is not before t, so that "at or after
	// t" and "before t" keep their meaning.
	bound func(t time.Time) any
	// likely marks a condition as one most rows meet, for a planner
	// without statistics (SQLite's): a time range with both ends then
	// does not look more selective than the equalities of an index made
	// for the filters.
	likely func(cond string) string
}

// pageSQL returns the SELECT of cols from table for up to limit rows (all
// for zero or less) of tenant within f, in the order of pages: newest
// first by timeCol, then by idCol.
func pageSQL(d dialect, cols, table, timeCol, idCol, tenant string, f filter, limit int) (string, []any) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return d.param(len(args))
	}
	id := idCol + d.collate
	var q strings.Builder
	fmt.Fprintf(&q, "SELECT %s FROM %s WHERE tenant = %s", cols, table, arg(tenant))
	if f.webhookID != "" {
		fmt.Fprintf(&q, " AND webhook_id = %s", arg(f.webhookID))
	}
	if f.outcome != "" {
		fmt.Fprintf(&q, " AND outcome = %s", arg(f.outcome))
	}
	if !f.since.IsZero() {
		fmt.Fprintf(&q, " AND %s", d.likely(fmt.Sprintf("%s >= %s", timeCol, arg(d.bound(f.since)))))
	}
	// Of the two upper bounds, Until and the cursor, the lower implies the
	// other: one is enough.
	until, after := f.until, f.after
	if after != nil && !until.IsZero() {
		if until.After(after.Time) {
			until = time.Time{}
		} else {
			after = nil
		}
	}
	if !until.IsZero() {
		fmt.Fprintf(&q, " AND %s < %s", timeCol, arg(d.bound(until)))
	}
	if after != nil {
		// The rows after the cursor's, (time, id) < (t, i), written so that
		// the index serves the time range.
		t := arg(d.bound(after.Time))
		fmt.Fprintf(&q, " AND %s <= %s AND (%s < %s OR %s < %s)", timeCol, t, timeCol, t, id, arg(after.ID))
	}
	fmt.Fprintf(&q, " ORDER BY %s DESC, %s DESC", timeCol, id)
	if limit > 0 {
		fmt.Fprintf(&q, " LIMIT %s", arg(limit))
	}
	return q.String(), args
}

// pgStore is the PostgreSQL backend.
type pgStore struct {
	pool *pgxpool.Pool
}

var pgDialect = dialect{
	param:   func(n int) string { return "$" + strconv.Itoa(n) },
	collate: ` COLLATE "C"`,
	bound:   pgBound,
	likely:  func(cond string) string { return cond },
}

// PostgreSQL's timestamps hold microseconds from 4713 BC, and pgx's
// encoding overflows past about 294,000 AD: times beyond compare as
// infinities, which is exact for every time pgx can write.
var (
	pgMinTime = time.Date(-4712, 1, 1, 0, 0, 0, 0, time.UTC)
	pgMaxTime = time.Date(294000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// pgBound rounds t up to the microsecond: a stored time, whole
// microseconds, is at or after t exactly when it is at or after that.
func pgBound(t time.Time) any {
	switch {
	case t.Before(pgMinTime):
		return pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}
	case t.After(pgMaxTime):
		return pgtype.Timestamptz{InfinityModifier: pgtype.Infinity, Valid: true}
	}
	if down := t.Truncate(time.Microsecond); !down.Equal(t) {
		t = down.Add(time.Microsecond)
	}
	return pgtype.Timestamptz{Time: t, Valid: true}
}

func (s *pgStore) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := s.pool.Exec(ctx, q, args...)
	return tag.RowsAffected(), err
}

func (s *pgStore) ownsTx(tx any) bool {
	_, ok := tx.(pgx.Tx)
	return ok
}

func (s *pgStore) precision() time.Duration { return time.Microsecond }

func (s *pgStore) record(ctx context.Context, tx any, inv *webhook.Invocation, rec []byte) error {
	const q = `INSERT INTO outhook_invocation (id, tenant, delivery_id, webhook_id, outcome, started_at, record)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`
	args := []any{inv.ID, inv.Tenant, inv.DeliveryID, inv.WebhookID, string(inv.Outcome), inv.StartedAt, string(jsonbSafe(rec))}
	if tx, ok := tx.(pgx.Tx); ok {
		_, err := tx.Exec(ctx, q, args...)
		return err
	}
	_, err := s.pool.Exec(ctx, q, args...)
	return err
}

func (s *pgStore) invocations(ctx context.Context, tenant string, f filter, limit int) ([]invocationRow, error) {
	q, args := pageSQL(pgDialect, "id, started_at, record::text", "outhook_invocation", "started_at", "id", tenant, f, limit)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (invocationRow, error) {
		var r invocationRow
		err := row.Scan(&r.at.ID, &r.at.Time, &r.record)
		return r, err
	})
}

// addDeadLetter replaces a dead letter of the same delivery of the same
// tenant; one of another tenant is left, and no row is written.
func (s *pgStore) addDeadLetter(ctx context.Context, dl *webhook.DeadLetter) error {
	n, err := s.exec(ctx, `INSERT INTO outhook_dead_letter (delivery_id, tenant, webhook_id, outcome, reason, attempts, failed_at, event)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (delivery_id) DO UPDATE SET webhook_id = excluded.webhook_id, outcome = excluded.outcome,
			reason = excluded.reason, attempts = excluded.attempts, failed_at = excluded.failed_at, event = excluded.event
		WHERE outhook_dead_letter.tenant = excluded.tenant`,
		dl.DeliveryID, dl.Tenant, dl.WebhookID, string(dl.Outcome), strings.ReplaceAll(dl.Reason, "\x00", "\uFFFD"), dl.Attempts, dl.FailedAt, string(dl.Event.JSON()))
	if err == nil && n == 0 {
		err = fmt.Errorf("dead letter %q: %w", dl.DeliveryID, webhook.ErrTenantMismatch)
	}
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

const deadLetterColumns = "delivery_id, tenant, webhook_id, outcome, reason, attempts, failed_at, event"

func scanPGDeadLetter(row pgx.CollectableRow) (deadLetterRow, error) {
	var r deadLetterRow
	err := row.Scan(&r.deliveryID, &r.tenant, &r.webhookID, &r.outcome, &r.reason, &r.attempts, &r.failedAt, &r.event)
	return r, err
}

func (s *pgStore) deadLetters(ctx context.Context, tenant string, f filter, limit int) ([]deadLetterRow, error) {
	q, args := pageSQL(pgDialect, deadLetterColumns, "outhook_dead_letter", "failed_at", "delivery_id", tenant, f, limit)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanPGDeadLetter)
}

func (s *pgStore) takeDeadLetter(ctx context.Context, tx any, tenant *string, deliveryID string) (deadLetterRow, bool, error) {
	const q = `DELETE FROM outhook_dead_letter WHERE delivery_id = $1 AND ($2::text IS NULL OR tenant = $2)
		RETURNING ` + deadLetterColumns
	var rows pgx.Rows
	var err error
	if tx, ok := tx.(pgx.Tx); ok {
		rows, err = tx.Query(ctx, q, deliveryID, tenant)
	} else {
		rows, err = s.pool.Query(ctx, q, deliveryID, tenant)
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
	return s.exec(ctx, "DELETE FROM outhook_invocation WHERE started_at < $1", pgBound(before))
}

// sqliteStore is the SQLite backend.
type sqliteStore struct {
	db *sql.DB
	// insert is the INSERT of a record outside a transaction, prepared on
	// first use: its program holds the summary's triggers, which SQLite
	// would otherwise compile again for every record.
	mu     sync.Mutex
	insert *sql.Stmt
}

var sqliteDialect = dialect{
	param:  func(n int) string { return "?" + strconv.Itoa(n) },
	bound:  func(t time.Time) any { return unixNano(t) },
	likely: func(cond string) string { return "likely(" + cond + ")" },
}

// unixNano is t in Unix nanoseconds, the years beyond int64's range
// clamped to its ends.
func unixNano(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

func (s *sqliteStore) ownsTx(tx any) bool {
	_, ok := tx.(*sql.Tx)
	return ok
}

func (s *sqliteStore) precision() time.Duration { return time.Nanosecond }

const sqliteInsertRecord = `INSERT INTO outhook_invocation (id, tenant, delivery_id, webhook_id, outcome, started_at, record)
	VALUES (?, ?, ?, ?, ?, ?, ?)`

// record writes in tx when there is one: with SQLite's single connection,
// a write beside the caller's transaction would wait for it forever (and
// so would preparing the statement on the database).
func (s *sqliteStore) record(ctx context.Context, tx any, inv *webhook.Invocation, rec []byte) error {
	args := []any{inv.ID, inv.Tenant, inv.DeliveryID, inv.WebhookID, string(inv.Outcome), unixNano(inv.StartedAt), string(rec)}
	if tx, ok := tx.(*sql.Tx); ok {
		_, err := tx.ExecContext(ctx, sqliteInsertRecord, args...)
		return err
	}
	stmt, err := s.insertStmt(ctx)
	if err != nil {
		return err
	}
	_, err = stmt.ExecContext(ctx, args...)
	return err
}

// insertStmt returns the prepared INSERT of a record; a failure to
// prepare it is tried again on the next record.
func (s *sqliteStore) insertStmt(ctx context.Context) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.insert == nil {
		stmt, err := s.db.PrepareContext(ctx, sqliteInsertRecord)
		if err != nil {
			return nil, err
		}
		s.insert = stmt
	}
	return s.insert, nil
}

func (s *sqliteStore) invocations(ctx context.Context, tenant string, f filter, limit int) ([]invocationRow, error) {
	q, args := pageSQL(sqliteDialect, "id, started_at, record", "outhook_invocation", "started_at", "id", tenant, f, limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []invocationRow
	for rows.Next() {
		var r invocationRow
		var started int64
		if err := rows.Scan(&r.at.ID, &started, &r.record); err != nil {
			return nil, err
		}
		r.at.Time = time.Unix(0, started)
		out = append(out, r)
	}
	return out, rows.Err()
}

// addDeadLetter replaces as pgStore's does, and waits for another
// connection's write lock, up to lockWait, as a record does (see
// writeGroup): a dead letter is the last copy of a delivery whose job is
// gone once its run ends. Written during a job's run, it waits no longer
// than the run's records may (see recordBy), so that the run ends before
// River's rescuer would take the job for lost and send its delivery
// again; kept out until then, it fails wrapping errPastRun, and
// Store.AddDeadLetter leaves it to be written after the run.
func (s *sqliteStore) addDeadLetter(ctx context.Context, dl *webhook.DeadLetter) error {
	err := s.addDeadLetterOnce(ctx, dl)
	if !lockHeld(err) {
		return err
	}
	by, pastRun := time.Now().Add(lockWait), error(nil)
	if run, ok := ctx.Value(recordByKey{}).(*recordBy); ok && run.at.Before(by) {
		by, pastRun = run.at, errPastRun
	}
	wctx, cancel := context.WithDeadline(ctx, by)
	defer cancel()
	if wctx.Err() == nil {
		err = whileLocked(wctx, func() error { return s.addDeadLetterOnce(wctx, dl) })
	} else {
		err = fmt.Errorf("%w: %w", ErrDatabaseLocked, err)
	}
	if pastRun != nil && errors.Is(err, ErrDatabaseLocked) && ctx.Err() == nil {
		return fmt.Errorf("%w: %w", pastRun, err)
	}
	return err
}

func (s *sqliteStore) addDeadLetterOnce(ctx context.Context, dl *webhook.DeadLetter) error {
	res, err := s.db.ExecContext(ctx, `INSERT INTO outhook_dead_letter (delivery_id, tenant, webhook_id, outcome, reason, attempts, failed_at, event)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (delivery_id) DO UPDATE SET webhook_id = excluded.webhook_id, outcome = excluded.outcome,
			reason = excluded.reason, attempts = excluded.attempts, failed_at = excluded.failed_at, event = excluded.event
		WHERE outhook_dead_letter.tenant = excluded.tenant`,
		dl.DeliveryID, dl.Tenant, dl.WebhookID, string(dl.Outcome), dl.Reason, dl.Attempts, unixNano(dl.FailedAt), string(dl.Event.JSON()))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return cmp.Or(err, fmt.Errorf("dead letter %q: %w", dl.DeliveryID, webhook.ErrTenantMismatch))
	}
	return nil
}

func scanSQLiteDeadLetters(rows *sql.Rows) ([]deadLetterRow, error) {
	defer rows.Close()
	var out []deadLetterRow
	for rows.Next() {
		var r deadLetterRow
		var failed int64
		if err := rows.Scan(&r.deliveryID, &r.tenant, &r.webhookID, &r.outcome, &r.reason, &r.attempts, &failed, &r.event); err != nil {
			return nil, err
		}
		r.failedAt = time.Unix(0, failed)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *sqliteStore) deadLetters(ctx context.Context, tenant string, f filter, limit int) ([]deadLetterRow, error) {
	q, args := pageSQL(sqliteDialect, deadLetterColumns, "outhook_dead_letter", "failed_at", "delivery_id", tenant, f, limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return scanSQLiteDeadLetters(rows)
}

func (s *sqliteStore) takeDeadLetter(ctx context.Context, tx any, tenant *string, deliveryID string) (deadLetterRow, bool, error) {
	const q = `DELETE FROM outhook_dead_letter WHERE delivery_id = ?1 AND (?2 IS NULL OR tenant = ?2) RETURNING ` + deadLetterColumns
	var rows *sql.Rows
	var err error
	if tx, ok := tx.(*sql.Tx); ok {
		rows, err = tx.QueryContext(ctx, q, deliveryID, tenant)
	} else {
		rows, err = s.db.QueryContext(ctx, q, deliveryID, tenant)
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
	res, err := s.db.ExecContext(ctx, "DELETE FROM outhook_invocation WHERE started_at < ?", unixNano(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
