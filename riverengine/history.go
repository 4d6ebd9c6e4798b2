package riverengine

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/webhook"
)

var _ webhook.EraseStore = (*Store)(nil)

// pruneBatch is how many rows one statement of Enforce or an erasure of
// queued jobs deletes, so that no statement holds many locks for long.
const pruneBatch = 1000

// Enforce deletes now what r bounds (its clock says when now is; its
// Interval is not used), a batch at a time, and reports what it deleted;
// it also drops the summary's slots older than webhook.SummaryKept, which
// it does not count, after folding (on PostgreSQL) the counters' rows of
// each transaction into one per webhook and slot (see SummaryCounts).
// Counts are per webhook of a tenant. Several instances may enforce at
// once: on PostgreSQL each batch skips the rows another holds, and every
// delete is idempotent, so nothing is deleted, or counted, twice.
// Enforcing a count reads the whole table through its indexes; enforcing
// an age reads only the rows it deletes. WithRetention has the engine call
// it in the background.
func (s *Store) Enforce(ctx context.Context, r webhook.Retention) (webhook.Pruned, error) {
	var out webhook.Pruned
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	for _, step := range []struct {
		on     bool
		sum    *int64
		whole  bool // delete deletes all there is, not a batch
		delete func() (int64, error)
	}{
		{r.RecordAge > 0, &out.Invocations, false, func() (int64, error) { return s.b.pruneAge(ctx, false, now.Add(-r.RecordAge)) }},
		{r.RecordsPerWebhook > 0, &out.Invocations, true, func() (int64, error) { return s.pruneCount(ctx, false, r.RecordsPerWebhook) }},
		{r.DeadLetterAge > 0, &out.DeadLetters, false, func() (int64, error) { return s.b.pruneAge(ctx, true, now.Add(-r.DeadLetterAge)) }},
		{r.DeadLettersPerWebhook > 0, &out.DeadLetters, true, func() (int64, error) { return s.pruneCount(ctx, true, r.DeadLettersPerWebhook) }},
		// The summary's slots of no window any more: not counted in out.
		{true, new(int64), true, func() (int64, error) {
			return s.b.pruneSlots(ctx, webhook.SlotStart(now).Add(webhook.SummarySlot-webhook.SummaryKept))
		}},
	} {
		for step.on {
			n, err := step.delete()
			*step.sum += n
			if err != nil {
				return out, &StoreError{Op: "Enforce", Err: err}
			}
			if step.whole || n < pruneBatch {
				break
			}
		}
	}
	return out, nil
}

// pruneCount deletes what is past the latest keep of each webhook that
// has more, a batch at a time through the webhook's index, and returns
// the count deleted: under pruneBatch once it is done. The webhooks over
// the bound are found in one read of an index; each batch then reads only
// keep rows and the ones it deletes, not the whole table again.
func (s *Store) pruneCount(ctx context.Context, dead bool, keep int) (int64, error) {
	over, err := s.b.overCount(ctx, dead, keep)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, p := range over {
		for {
			m, err := s.b.pruneCount(ctx, dead, p[0], p[1], keep)
			n += m
			if err != nil {
				return n, err
			}
			if m < pruneBatch {
				break
			}
		}
	}
	return n, nil
}

// Erase deletes the records and dead letters of er.Tenant that its
// selector picks and keeps er, counts set, in one transaction. An event id
// picks the event's, the records whose SubjectEventID it is, and the dead
// letters of the WebhookDeadLettered events about it (as
// webhook.EraseStore says). Picking by event id reads every row of the
// tenant (or of the webhook) once.
// Erasing a tenant or a webhook deletes its summary's counters in the
// same transaction; erasing by event id leaves them, as they hold no
// event, and replaces a webhook's last outcome, time and reason that were
// an erased record's with those of its latest record kept (or none).
func (s *Store) Erase(ctx context.Context, er webhook.Erasure) (webhook.Erasure, error) {
	er.At = er.At.Truncate(s.b.precision())
	if err := s.b.erase(ctx, &er); err != nil {
		return webhook.Erasure{}, &StoreError{Op: "Erase", Err: err}
	}
	return er, nil
}

// Erasures lists up to limit of tenant's erasures, newest first.
func (s *Store) Erasures(ctx context.Context, tenant string, limit int) ([]webhook.Erasure, error) {
	out, err := s.b.erasures(ctx, tenant, limit)
	if err != nil {
		return nil, &StoreError{Op: "Erasures", Err: err}
	}
	return out, nil
}

// DiscardDeadLetters deletes up to limit of the newest dead letters of
// tenant's webhook that failed within [since, until), in one statement;
// on PostgreSQL it skips those another transaction holds (being
// redelivered or discarded), so that instances discarding at once share
// the work.
func (s *Store) DiscardDeadLetters(ctx context.Context, tenant, webhookID string, since, until time.Time, limit int) (int, error) {
	n, err := s.b.discard(ctx, tenant, filter{webhookID: webhookID, since: since, until: until}, limit)
	if err != nil {
		return 0, &StoreError{Op: "DiscardDeadLetters", Err: err}
	}
	return int(n), nil
}

// eraseWhere returns the conditions, after "WHERE tenant = <first arg>",
// that pick er's rows, and their arguments after the tenant; eventID is
// the SQL of a row's event id, and about that of the id of the event the
// row's is about (see webhook.Invocation.SubjectEventID), if any: a row
// is picked by either.
func eraseWhere(d dialect, er *webhook.Erasure, eventID string, about ...string) (string, []any) {
	args := []any{er.Tenant}
	var q strings.Builder
	if er.WebhookID != "" {
		args = append(args, er.WebhookID)
		fmt.Fprintf(&q, " AND webhook_id = %s", d.param(len(args)))
	}
	if er.EventID != "" {
		args = append(args, er.EventID)
		p := d.param(len(args))
		fmt.Fprintf(&q, " AND (%s = %s", eventID, p)
		for _, a := range about {
			fmt.Fprintf(&q, " OR %s = %s", a, p)
		}
		q.WriteString(")")
	}
	return q.String(), args
}

// discardSQL returns the SELECT of the rowKey of up to limit of the newest
// dead letters within f, and its arguments.
func discardSQL(d dialect, rowKey, tenant string, f filter, limit int) (string, []any) {
	q, args := pageSQL(d, rowKey, "outhook_dead_letter", "failed_at", "delivery_id", tenant, f, limit)
	return q, args
}

// PostgreSQL.

// pgPruneDeadAge deletes a batch of the dead letters that failed before
// $1: found through the BRIN index on failed_at, then deleted by key (=
// ANY, where IN let the planner join them with a scan of the whole table).
const pgPruneDeadAge = `DELETE FROM outhook_dead_letter WHERE delivery_id = ANY(ARRAY(SELECT delivery_id FROM outhook_dead_letter
	WHERE failed_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED))`

// pgPruneRecordAge is pgPruneDeadAge for records, through their BRIN
// index on started_at.
const pgPruneRecordAge = `DELETE FROM outhook_invocation WHERE seq = ANY(ARRAY(SELECT seq FROM outhook_invocation
	WHERE started_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED))`

func (s *pgStore) pruneAge(ctx context.Context, dead bool, before time.Time) (int64, error) {
	if dead {
		return s.exec(ctx, pgPruneDeadAge, pgBound(before), pruneBatch)
	}
	return s.exec(ctx, pgPruneRecordAge, pgBound(before), pruneBatch)
}

// pruneCount picks the rows past the latest keep of the webhook through
// its index, then locks them by key (= ANY, so by the primary key, not a
// scan of the table), skipping those another instance holds.
func (s *pgStore) pruneCount(ctx context.Context, dead bool, tenant, hook string, keep int) (int64, error) {
	table, key, at, id := "outhook_invocation", "seq", "started_at", "id"
	if dead {
		table, key, at, id = "outhook_dead_letter", "delivery_id", "failed_at", "delivery_id"
	}
	return s.exec(ctx, fmt.Sprintf(`DELETE FROM %[1]s WHERE %[2]s IN (SELECT %[2]s FROM %[1]s WHERE %[2]s = ANY(ARRAY(
			SELECT %[2]s FROM %[1]s WHERE tenant = $1 AND webhook_id = $2 ORDER BY %[3]s DESC, %[4]s COLLATE "C" DESC OFFSET $3 LIMIT $4))
		FOR UPDATE SKIP LOCKED)`, table, key, at, id), tenant, hook, keep, pruneBatch)
}

func (s *pgStore) overCount(ctx context.Context, dead bool, keep int) ([][2]string, error) {
	table := "outhook_invocation"
	if dead {
		table = "outhook_dead_letter"
	}
	rows, err := s.pool.Query(ctx, "SELECT tenant, webhook_id FROM "+table+" GROUP BY tenant, webhook_id HAVING count(*) > $1", keep)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) ([2]string, error) {
		var p [2]string
		err := row.Scan(&p[0], &p[1])
		return p, err
	})
}

func (s *pgStore) erase(ctx context.Context, er *webhook.Erasure) error {
	// PostgreSQL's text holds no NUL: records keep U+FFFD in its place
	// (jsonbSafe), and a webhook id with one matches nothing either way.
	safe := *er
	safe.WebhookID = strings.ReplaceAll(er.WebhookID, "\x00", "\uFFFD")
	safe.EventID = strings.ReplaceAll(er.EventID, "\x00", "\uFFFD")
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		where, args := pgEraseRecordsWhere(&safe)
		del := "DELETE FROM outhook_invocation WHERE tenant = $1" + where
		var erased []erasedLast // by event id: what the summary may keep of them
		if er.EventID == "" {
			tag, err := tx.Exec(ctx, del, args...)
			if err != nil {
				return err
			}
			er.Invocations = tag.RowsAffected()
		} else {
			rows, err := tx.Query(ctx, del+" RETURNING "+erasedLastColumns("coalesce(record->>'reason', '')"), args...)
			if err != nil {
				return err
			}
			erased, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (erasedLast, error) {
				var e erasedLast
				err := row.Scan(&e.webhookID, &e.outcome, &e.at, &e.reason)
				return e, err
			})
			if err != nil {
				return err
			}
			er.Invocations = int64(len(erased))
		}
		if er.EventID == "" {
			var tag pgconn.CommandTag
			var err error
			where, args = eraseWhere(pgDialect, &safe, "")
			if tag, err = tx.Exec(ctx, "DELETE FROM outhook_dead_letter WHERE tenant = $1"+where, args...); err != nil {
				return err
			}
			er.DeadLetters = tag.RowsAffected()
		} else {
			var err error
			if er.DeadLetters, err = s.eraseDeadByEvent(ctx, tx, er, &safe); err != nil {
				return err
			}
		}
		if er.EventID == "" || len(erased) > 0 {
			// No fold runs meanwhile: it would wait on the rows this deletes
			// while this waits on the rows it folds.
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(foldLockKey)); err != nil {
				return err
			}
		}
		if er.EventID != "" && len(erased) > 0 {
			if err := s.replaceErasedLast(ctx, tx, safe.Tenant, erased); err != nil {
				return err
			}
		}
		if err := eraseSummary(pgDialect, &safe, func(q string, args ...any) error {
			_, err := tx.Exec(ctx, q, args...)
			return err
		}); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO outhook_erasure (id, tenant, webhook_id, event_id, actor, at, invocations, dead_letters, deliveries)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			er.ID, er.Tenant, safe.WebhookID, safe.EventID, strings.ReplaceAll(er.Actor, "\x00", "\uFFFD"), er.At, er.Invocations, er.DeadLetters, er.Deliveries)
		return err
	})
}

// eraseDeadByEvent deletes er's dead letters by event id, and those of the
// operational events about the event (operational.SubjectEventID). An event is
// kept as published, as text: one with a \u0000 escape cannot be read as
// JSON by PostgreSQL without failing, so those few are read here instead.
func (s *pgStore) eraseDeadByEvent(ctx context.Context, tx pgx.Tx, er, safe *webhook.Erasure) (int64, error) {
	where, args := pgEraseDeadWhere(safe)
	tag, err := tx.Exec(ctx, "DELETE FROM outhook_dead_letter WHERE tenant = $1"+where, args...)
	if err != nil {
		return 0, err
	}
	n := tag.RowsAffected()
	noEvent := *safe
	noEvent.EventID = ""
	where, args = eraseWhere(pgDialect, &noEvent, "")
	rows, err := tx.Query(ctx, "SELECT delivery_id, event FROM outhook_dead_letter WHERE tenant = $1"+where+" AND "+pgEventHasNUL, args...)
	if err != nil {
		return n, err
	}
	var ids []string
	for rows.Next() {
		var id, ev string
		if err := rows.Scan(&id, &ev); err != nil {
			rows.Close()
			return n, err
		}
		if e, err := event.Parse([]byte(ev)); err == nil && (e.ID() == er.EventID || operational.SubjectEventID(e) == er.EventID) {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return n, err
	}
	tag, err = tx.Exec(ctx, "DELETE FROM outhook_dead_letter WHERE delivery_id = ANY($1)", ids)
	return n + tag.RowsAffected(), err
}

// pgEraseRecordsWhere returns eraseWhere's conditions on safe's records,
// those of its event and those about it, and their arguments.
func pgEraseRecordsWhere(safe *webhook.Erasure) (string, []any) {
	return eraseWhere(pgDialect, safe, "record->>'event_id'", "record->>'subject_event_id'")
}

// pgEventHasNUL is true of an event text PostgreSQL cannot read as JSON.
const pgEventHasNUL = `strpos(event, '\u0000') > 0`

// pgEraseDeadWhere returns eraseWhere's conditions on the dead letters of
// safe's event, and of the WebhookDeadLettered events about it, but for
// those whose event holds a \u0000 escape; and their arguments.
func pgEraseDeadWhere(safe *webhook.Erasure) (string, []any) {
	// The type's name in the text first: most events are not parsed again.
	about := "(CASE WHEN " + pgEventHasNUL + " OR strpos(event, '\"" + string(operational.DeadLettered) + "\"') = 0 THEN NULL" +
		" WHEN event::json->>'event_type' = '" + string(operational.DeadLettered) + "' THEN event::json#>>'{data,dead_letter,event_id}' END)"
	return eraseWhere(pgDialect, safe, "(CASE WHEN "+pgEventHasNUL+" THEN NULL ELSE event::json->>'event_id' END)", about)
}

const erasureColumns = "id, tenant, webhook_id, event_id, actor, at, invocations, dead_letters, deliveries"

func (s *pgStore) erasures(ctx context.Context, tenant string, limit int) ([]webhook.Erasure, error) {
	q := "SELECT " + erasureColumns + ` FROM outhook_erasure WHERE tenant = $1 ORDER BY at DESC, id COLLATE "C" DESC`
	args := []any{tenant}
	if limit > 0 {
		q += " LIMIT $2"
		args = append(args, limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (webhook.Erasure, error) {
		var e webhook.Erasure
		err := row.Scan(&e.ID, &e.Tenant, &e.WebhookID, &e.EventID, &e.Actor, &e.At, &e.Invocations, &e.DeadLetters, &e.Deliveries)
		return e, err
	})
}

func (s *pgStore) discard(ctx context.Context, tenant string, f filter, limit int) (int64, error) {
	q, args := discardSQL(pgDialect, "delivery_id", tenant, f, limit)
	return s.exec(ctx, "DELETE FROM outhook_dead_letter WHERE delivery_id IN ("+q+" FOR UPDATE SKIP LOCKED)", args...)
}

// SQLite: one writer at a time, so plain deletes by rowid.

func (s *sqliteStore) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s *sqliteStore) pruneAge(ctx context.Context, dead bool, before time.Time) (int64, error) {
	table, at := "outhook_invocation", "started_at"
	if dead {
		table, at = "outhook_dead_letter", "failed_at"
	}
	return s.exec(ctx, fmt.Sprintf("DELETE FROM %[1]s WHERE rowid IN (SELECT rowid FROM %[1]s WHERE %[2]s < ?1 LIMIT ?2)", table, at),
		unixNano(before), pruneBatch)
}

func (s *sqliteStore) pruneCount(ctx context.Context, dead bool, tenant, hook string, keep int) (int64, error) {
	table, at, id := "outhook_invocation", "started_at", "id"
	if dead {
		table, at, id = "outhook_dead_letter", "failed_at", "delivery_id"
	}
	return s.exec(ctx, fmt.Sprintf(`DELETE FROM %[1]s WHERE rowid IN (SELECT rowid FROM %[1]s
		WHERE tenant = ?1 AND webhook_id = ?2 ORDER BY %[2]s DESC, %[3]s DESC LIMIT ?4 OFFSET ?3)`, table, at, id), tenant, hook, keep, pruneBatch)
}

func (s *sqliteStore) overCount(ctx context.Context, dead bool, keep int) ([][2]string, error) {
	table := "outhook_invocation"
	if dead {
		table = "outhook_dead_letter"
	}
	rows, err := s.db.QueryContext(ctx, "SELECT tenant, webhook_id FROM "+table+" GROUP BY tenant, webhook_id HAVING count(*) > ?", keep)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (s *sqliteStore) erase(ctx context.Context, er *webhook.Erasure) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	count := func(q string, args []any) (int64, error) {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	where, args := eraseWhere(sqliteDialect, er, "json_extract(record, '$.event_id')", "json_extract(record, '$.subject_event_id')")
	del := "DELETE FROM outhook_invocation WHERE tenant = ?1" + where
	if er.EventID == "" {
		if er.Invocations, err = count(del, args); err != nil {
			return err
		}
	} else {
		erased, err := sqliteEraseRecordsByEvent(ctx, tx, del, args)
		if err != nil {
			return err
		}
		er.Invocations = int64(len(erased))
		for _, e := range erased {
			if _, err := tx.ExecContext(ctx, sqliteReplaceErasedLast, er.Tenant, e.webhookID, unixNano(e.at), string(e.outcome), e.reason); err != nil {
				return err
			}
		}
	}
	where, args = eraseWhere(sqliteDialect, er, "json_extract(event, '$.event_id')",
		"(CASE WHEN instr(event, '\""+string(operational.DeadLettered)+"\"') = 0 THEN NULL WHEN json_extract(event, '$.event_type') = '"+
			string(operational.DeadLettered)+"' THEN json_extract(event, '$.data.dead_letter.event_id') END)")
	if er.DeadLetters, err = count("DELETE FROM outhook_dead_letter WHERE tenant = ?1"+where, args); err != nil {
		return err
	}
	if err := eraseSummary(sqliteDialect, er, func(q string, args ...any) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO outhook_erasure (id, tenant, webhook_id, event_id, actor, at, invocations, dead_letters, deliveries)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		er.ID, er.Tenant, er.WebhookID, er.EventID, er.Actor, unixNano(er.At), er.Invocations, er.DeadLetters, er.Deliveries); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *sqliteStore) erasures(ctx context.Context, tenant string, limit int) ([]webhook.Erasure, error) {
	q := "SELECT " + erasureColumns + " FROM outhook_erasure WHERE tenant = ? ORDER BY at DESC, id DESC"
	args := []any{tenant}
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []webhook.Erasure
	for rows.Next() {
		var e webhook.Erasure
		var at int64
		if err := rows.Scan(&e.ID, &e.Tenant, &e.WebhookID, &e.EventID, &e.Actor, &at, &e.Invocations, &e.DeadLetters, &e.Deliveries); err != nil {
			return nil, err
		}
		e.At = time.Unix(0, at)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *sqliteStore) discard(ctx context.Context, tenant string, f filter, limit int) (int64, error) {
	q, args := discardSQL(sqliteDialect, "rowid", tenant, f, limit)
	return s.exec(ctx, "DELETE FROM outhook_dead_letter WHERE rowid IN ("+q+")", args...)
}

// Erasing queued deliveries: the engine's jobs not running, read a batch
// at a time by job id, picked in Go (the filter is a function of the
// webhook's key), and deleted unless they started running meanwhile.

// erasableStates are the states of a job that waits to run (again).
const erasableStates = `('available', 'pending', 'retryable', 'scheduled')`

// queuedJob is what Erase reads of a job: its event's JSON, carried or
// kept in its event row, and the event id that row keeps (as storedKey
// gives it), if any.
type queuedJob struct {
	id                int64
	webhookID, evJSON string
	rowEventID        *string
}

// picks reports whether f picks the job; quotedID is f.EventID as JSON
// writes it, which an event about it holds in its text.
func (j queuedJob) picks(f engine.EraseFilter, quotedID string) bool {
	if f.Webhook != nil && !f.Webhook(j.webhookID) {
		return false
	}
	if f.EventID == "" {
		return true
	}
	if j.rowEventID != nil {
		if *j.rowEventID == storedKey(f.EventID) {
			return true
		}
	} else {
		var e struct {
			ID string `json:"event_id"`
		}
		if json.Unmarshal([]byte(j.evJSON), &e) == nil && e.ID == f.EventID {
			return true
		}
	}
	// An event about f's (an operational event) names its id: the few
	// events whose text holds it are parsed.
	if f.Subject == nil || !strings.Contains(j.evJSON, quotedID) {
		return false
	}
	e, err := event.Parse([]byte(j.evJSON))
	return err == nil && f.Subject(e) == f.EventID
}

// Erase deletes the engine's queued jobs that f picks, across instances:
// those waiting to run, snoozed or between retries; a job being run is
// left to end. Then it deletes the finished jobs (completed, cancelled,
// discarded) that f picks, which River's cleaner would keep, event
// included, for a day or more, and which it does not count. It reads
// every queued, then finished, job of the engine's queue, a batch at a
// time, with its event's text; an event holding f.EventID's JSON string
// is parsed for f.Subject. A deleted job's row in its ordering key's line
// goes with it, so the next in line goes on.
func (e *Engine) Erase(ctx context.Context, f engine.EraseFilter) (int, error) {
	quoted, err := json.Marshal(f.EventID)
	if err != nil {
		return 0, fmt.Errorf("riverengine: erasing queued deliveries: %w", err)
	}
	n, err := e.eraseJobs(ctx, f, string(quoted), erasableStates)
	if err != nil {
		return n, fmt.Errorf("riverengine: erasing queued deliveries: %w", err)
	}
	if _, err := e.eraseJobs(ctx, f, string(quoted), finishedStates); err != nil {
		return n, fmt.Errorf("riverengine: erasing finished deliveries' jobs: %w", err)
	}
	return n, nil
}

// eraseJobs deletes the jobs in one of states that f picks, and says how
// many.
func (e *Engine) eraseJobs(ctx context.Context, f engine.EraseFilter, quoted, states string) (int, error) {
	n := 0
	var after int64
	for {
		jobs, err := e.queue.queued(ctx, e.cfg.queue, states, after, pruneBatch)
		if err != nil {
			return n, err
		}
		var ids []int64
		for _, j := range jobs {
			if j.picks(f, quoted) {
				ids = append(ids, j.id)
			}
		}
		if len(ids) > 0 {
			m, err := e.queue.deleteQueued(ctx, ids, states)
			n += int(m)
			if err != nil {
				return n, err
			}
		}
		if len(jobs) < pruneBatch {
			return n, nil
		}
		after = jobs[len(jobs)-1].id
	}
}

var _ engine.Eraser = (*Engine)(nil)

func (q *pgQueue) queued(ctx context.Context, queue, states string, after int64, limit int) ([]queuedJob, error) {
	rows, err := q.pool.Query(ctx, `SELECT j.id, j.args->>'webhook_id', coalesce(j.args->>'event', e.event, ''), e.event_id
		FROM river_job j LEFT JOIN outhook_event e ON e.id = (j.args->>'event_ref')::bigint
		WHERE j.kind = $1 AND j.queue = $2 AND j.id > $3 AND j.state IN `+states+` ORDER BY j.id LIMIT $4`, JobKind, queue, after, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (queuedJob, error) {
		var j queuedJob
		err := row.Scan(&j.id, &j.webhookID, &j.evJSON, &j.rowEventID)
		return j, err
	})
}

// deleteQueued deletes the jobs of ids still waiting, with their rows in
// their lines: a fetch that set one running first wins, and the delete
// then passes it over. The event rows of the deleted jobs go with them
// unless a job still to run (running included) refers to one: the erased
// event leaves no copy but those of jobs that need it, whereas a finished
// job that refers to it loses it. (The statement's parts see the jobs as
// they were before it, hence the deleted ones are excluded by id.)
func (q *pgQueue) deleteQueued(ctx context.Context, ids []int64, states string) (int64, error) {
	var n int64
	err := q.pool.QueryRow(ctx, `WITH gone AS (DELETE FROM river_job WHERE id = ANY($1) AND state IN `+states+`
			RETURNING id, (args->>'event_ref')::bigint AS ref),
		lines AS (DELETE FROM outhook_ordering WHERE job_id IN (SELECT id FROM gone)),
		events AS (DELETE FROM outhook_event e WHERE e.id IN (SELECT ref FROM gone) AND NOT EXISTS (
			SELECT 1 FROM river_job j WHERE j.args @> jsonb_build_object('event_ref', e.id)
				AND j.state IN `+unfinishedStates+` AND j.id NOT IN (SELECT id FROM gone)))
		SELECT count(*) FROM gone`, ids).Scan(&n)
	return n, err
}

func (q *sqliteQueue) queued(ctx context.Context, queue, states string, after int64, limit int) ([]queuedJob, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT id, json_extract(args, '$.webhook_id'), json_extract(args, '$.event') FROM river_job
		WHERE kind = ? AND queue = ? AND id > ? AND state IN `+states+` ORDER BY id LIMIT ?`, JobKind, queue, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []queuedJob
	for rows.Next() {
		var j queuedJob
		var hook, ev sql.NullString
		if err := rows.Scan(&j.id, &hook, &ev); err != nil {
			return nil, err
		}
		j.webhookID, j.evJSON = hook.String, ev.String
		out = append(out, j)
	}
	return out, rows.Err()
}

func (q *sqliteQueue) deleteQueued(ctx context.Context, ids []int64, states string) (int64, error) {
	var n int64
	err := q.inTx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, "DELETE FROM river_job WHERE id = ? AND state IN "+states, id)
			if err != nil {
				return err
			}
			m, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if m == 0 {
				continue // running by now, or gone
			}
			n += m
			if _, err := tx.ExecContext(ctx, "DELETE FROM outhook_ordering WHERE job_id = ?", id); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// WithRetention has a working instance (not WithPublishOnly) enforce r on
// the engine's Store (Store.Enforce) every r.Interval, from Start until
// Close; instances enforcing at once share the work. Without it records
// and dead letters are kept until deleted (Store.Prune, Erase, Redeliver).
func WithRetention(r webhook.Retention) Option {
	return optionFunc(func(c *config) { c.retention = &r })
}

func (e *Engine) retain(ctx context.Context, r webhook.Retention) {
	defer close(e.retained)
	interval := r.Interval
	if interval <= 0 {
		interval = webhook.DefaultRetentionInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if _, err := e.store.Enforce(ctx, r); err != nil && ctx.Err() == nil {
			e.cfg.logger.WarnContext(ctx, "riverengine: enforcing the retention of records and dead letters", "error", err)
		}
	}
}

// erasedLast is what the summary may have kept of an erased record: its
// webhook's last outcome, time and reason.
type erasedLast struct {
	webhookID string
	outcome   webhook.Outcome
	at        time.Time
	reason    string
}

// erasedLastColumns are the columns of an erased record's erasedLast, the
// reason read by the dialect's expression.
func erasedLastColumns(reason string) string {
	return "webhook_id, outcome, started_at, " + reason
}

// An erasure by event id leaves the summary's counters, which hold no
// event, but not a last outcome, time and reason that were an erased
// record's, which may name the data subject: they become those of the
// webhook's latest record kept, or none. The summary's triggers count
// the outcomes below as a last outcome.
const (
	pgReplaceErasedLast = `UPDATE outhook_summary s SET (last_outcome, last_at, last_reason) = (
		SELECT coalesce(k.outcome, ''), k.started_at, coalesce(k.reason, '') FROM (SELECT 1) one LEFT JOIN LATERAL (
			SELECT outcome, started_at, coalesce(record->>'reason', '') AS reason FROM outhook_invocation
			WHERE tenant = s.tenant AND webhook_id = s.webhook_id AND outcome IN ('delivered', 'retrying', 'failed', 'validation_failed')
			ORDER BY started_at DESC, seq DESC LIMIT 1) k ON true)
		WHERE s.tenant = $1 AND s.webhook_id = $2 AND s.tx = 0 AND s.last_at = $3 AND s.last_outcome = $4 AND s.last_reason = $5`
	sqliteReplaceErasedLast = `UPDATE outhook_summary SET (last_outcome, last_at, last_reason) = (
		SELECT coalesce(k.outcome, ''), k.started_at, coalesce(k.reason, '') FROM (SELECT 1) one LEFT JOIN (
			SELECT outcome, started_at, coalesce(json_extract(record, '$.reason'), '') AS reason FROM outhook_invocation
			WHERE tenant = ?1 AND webhook_id = ?2 AND outcome IN ('delivered', 'retrying', 'failed', 'validation_failed')
			ORDER BY started_at DESC, rowid DESC LIMIT 1) k ON true)
		WHERE tenant = ?1 AND webhook_id = ?2 AND last_at = ?3 AND last_outcome = ?4 AND last_reason = ?5`
)

// replaceErasedLast applies pgReplaceErasedLast to the webhooks of the
// erased records, once their rows of other transactions are folded into
// the row it updates; the caller holds foldLockKey.
func (s *pgStore) replaceErasedLast(ctx context.Context, tx pgx.Tx, tenant string, erased []erasedLast) error {
	var ids []string
	for _, e := range erased {
		if !slices.Contains(ids, e.webhookID) {
			ids = append(ids, e.webhookID)
		}
	}
	if _, err := tx.Exec(ctx, pgFoldIDs[0], tenant, ids); err != nil { // the summary's rows, not its slots'
		return err
	}
	for _, e := range erased {
		if _, err := tx.Exec(ctx, pgReplaceErasedLast, tenant, e.webhookID, e.at, string(e.outcome), e.reason); err != nil {
			return err
		}
	}
	return nil
}

// sqliteEraseRecordsByEvent runs del, the deletion of an event's records,
// and returns what the summary may keep of them.
func sqliteEraseRecordsByEvent(ctx context.Context, tx *sql.Tx, del string, args []any) ([]erasedLast, error) {
	rows, err := tx.QueryContext(ctx, del+" RETURNING "+erasedLastColumns("coalesce(json_extract(record, '$.reason'), '')"), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var erased []erasedLast
	for rows.Next() {
		var e erasedLast
		var at int64
		if err := rows.Scan(&e.webhookID, &e.outcome, &at, &e.reason); err != nil {
			return nil, err
		}
		e.at = time.Unix(0, at)
		erased = append(erased, e)
	}
	return erased, rows.Err()
}
