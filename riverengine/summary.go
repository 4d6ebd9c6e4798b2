package riverengine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/outhook/outhook/webhook"
)

var _ webhook.SummaryStore = (*Store)(nil)

// slotColumns are the columns of a slot's counters, after its webhook id
// and start.
var slotColumns = func() string {
	cols := []string{"delivered"}
	for i := range webhook.LatencyBuckets {
		cols = append(cols, fmt.Sprint("b", i))
	}
	return strings.Join(cols, ", ")
}()

// SummaryCounts returns the counters of tenant's webhooks ids, which the
// database keeps as it writes records and dead letters (triggers of the
// migrations 007_summary and 009_summary_deltas, 006 on SQLite), whatever
// instance wrote them.
// It reads two indexed ranges: the webhooks' rows, and their slots since
// since. On PostgreSQL it first folds the rows that other transactions
// added to the webhooks' counters into one per webhook and slot, unless
// another instance is folding; a reader on a read-only replica gets an
// error. Records written before the migration that added the counters
// are not counted, neither as attempts nor as the last outcome; the dead
// letters kept then are.
func (s *Store) SummaryCounts(ctx context.Context, tenant string, ids []string, since time.Time) ([]webhook.SummaryCounts, error) {
	out := make([]webhook.SummaryCounts, len(ids))
	at := make(map[string]*webhook.SummaryCounts, len(ids))
	var unique []string
	for i, id := range ids {
		out[i].WebhookID = id
		if at[id] == nil {
			at[id] = &out[i]
			unique = append(unique, id)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	if err := s.b.summaryCounts(ctx, tenant, unique, since, at); err != nil {
		return nil, &StoreError{Op: "SummaryCounts", Err: err}
	}
	for i, id := range ids {
		if at[id] != &out[i] {
			out[i] = *at[id] // an id given again
		}
	}
	return out, nil
}

// slotScan returns the destinations of a slot's columns after its webhook
// id and start.
func slotScan(sl *webhook.SlotCounts) []any {
	dst := []any{&sl.Delivered}
	for i := range sl.Latency {
		dst = append(dst, &sl.Latency[i])
	}
	return dst
}

// foldLockKey is the PostgreSQL advisory lock held by whoever folds or
// deletes the summary's rows of other transactions (fold, pruneSlots,
// erase), so that none of them waits on another's row locks.
const foldLockKey = 0x6f75746873756d // 'outhsum'

// pgSum is slotColumns summed, as bigints.
var pgSum = func() string {
	cols := strings.Split(slotColumns, ", ")
	for i, c := range cols {
		cols[i] = "sum(" + c + ")::bigint"
	}
	return strings.Join(cols, ", ")
}()

// pgAdd sets each of slotColumns to its sum with the excluded row's.
var pgAdd = func() string {
	cols := strings.Split(slotColumns, ", ")
	for i, c := range cols {
		cols[i] = c + " = s." + c + " + excluded." + c
	}
	return strings.Join(cols, ", ")
}()

// The triggers of 009_summary_deltas add to rows of the writing
// transaction's own (tx its id), so that no two transactions lock the
// same row; fold moves the committed ones into the rows of tx 0. The
// latest of a webhook's rows by last_at is its last record: a tie goes
// to the later transaction, and a row of tx 0 is older than any other.
func pgFoldSQL(where string) [2]string {
	return [2]string{`WITH moved AS (DELETE FROM outhook_summary WHERE tx <> 0` + where + ` RETURNING *)
		INSERT INTO outhook_summary AS s (tenant, webhook_id, tx, last_outcome, last_at, last_reason, dead_letters)
		SELECT DISTINCT ON (tenant, webhook_id) tenant, webhook_id, 0, last_outcome, last_at, last_reason,
			sum(dead_letters) OVER (PARTITION BY tenant, webhook_id)
		FROM moved ORDER BY tenant, webhook_id, last_at DESC NULLS LAST, tx DESC
		ON CONFLICT (tenant, webhook_id, tx) DO UPDATE SET
			dead_letters = s.dead_letters + excluded.dead_letters,
			last_outcome = CASE WHEN excluded.last_at >= s.last_at OR s.last_at IS NULL AND excluded.last_at IS NOT NULL THEN excluded.last_outcome ELSE s.last_outcome END,
			last_reason = CASE WHEN excluded.last_at >= s.last_at OR s.last_at IS NULL AND excluded.last_at IS NOT NULL THEN excluded.last_reason ELSE s.last_reason END,
			last_at = CASE WHEN excluded.last_at >= s.last_at OR s.last_at IS NULL AND excluded.last_at IS NOT NULL THEN excluded.last_at ELSE s.last_at END`,
		`WITH moved AS (DELETE FROM outhook_summary_slot WHERE tx <> 0` + where + ` RETURNING *)
		INSERT INTO outhook_summary_slot AS s (tenant, webhook_id, slot, tx, ` + slotColumns + `)
		SELECT tenant, webhook_id, slot, 0, ` + pgSum + ` FROM moved GROUP BY tenant, webhook_id, slot
		ON CONFLICT (tenant, webhook_id, slot, tx) DO UPDATE SET ` + pgAdd}
}

var (
	pgFoldAll = pgFoldSQL("")
	pgFoldIDs = pgFoldSQL(" AND tenant = $1 AND webhook_id = ANY($2)")
)

// fold moves the committed rows of other transactions into the rows of
// tx 0: of tenant's webhooks ids, or of all when ids is nil. With wait
// false, it leaves them when another holds foldLockKey.
func (s *pgStore) fold(ctx context.Context, tx pgx.Tx, wait bool, tenant string, ids []string) error {
	if wait {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(foldLockKey)); err != nil {
			return err
		}
	} else {
		var got bool
		if err := tx.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock($1)", int64(foldLockKey)).Scan(&got); err != nil || !got {
			return err
		}
	}
	q, args := pgFoldAll, []any(nil)
	if ids != nil {
		q, args = pgFoldIDs, []any{tenant, ids}
	}
	for _, q := range q {
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// summaryCounts folds the webhooks' rows unless another is folding, then
// sums what is left, in its own transaction.
func (s *pgStore) summaryCounts(ctx context.Context, tenant string, ids []string, since time.Time, at map[string]*webhook.SummaryCounts) error {
	// PostgreSQL's text holds neither NUL nor bytes that are not UTF-8:
	// no record or dead letter has such an id, and asking for one would
	// fail the whole read.
	ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool {
		return strings.ContainsRune(id, 0) || !utf8.ValidString(id)
	})
	if len(ids) == 0 || strings.ContainsRune(tenant, 0) || !utf8.ValidString(tenant) {
		return nil
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := s.fold(ctx, tx, false, tenant, ids); err != nil {
			return err
		}
		var b pgx.Batch
		b.Queue(`SELECT DISTINCT ON (webhook_id) webhook_id, last_outcome, last_at, last_reason,
				sum(dead_letters) OVER (PARTITION BY webhook_id)::bigint
			FROM outhook_summary WHERE tenant = $1 AND webhook_id = ANY($2)
			ORDER BY webhook_id, last_at DESC NULLS LAST, tx = 0, tx DESC`, tenant, ids).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id, outcome, reason string
				var last *time.Time
				var dead int64
				if err := rows.Scan(&id, &outcome, &last, &reason, &dead); err != nil {
					return err
				}
				c := at[id]
				c.LastOutcome, c.LastReason, c.DeadLetters = webhook.Outcome(outcome), reason, dead
				if last != nil {
					c.LastAt = last.UTC()
				}
			}
			return rows.Err()
		})
		b.Queue(`SELECT webhook_id, slot, `+pgSum+` FROM outhook_summary_slot
			WHERE tenant = $1 AND webhook_id = ANY($2) AND slot >= $3
			GROUP BY webhook_id, slot ORDER BY webhook_id, slot`, tenant, ids, pgBound(since)).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id string
				var sl webhook.SlotCounts
				if err := rows.Scan(append([]any{&id, &sl.Start}, slotScan(&sl)...)...); err != nil {
					return err
				}
				sl.Start = sl.Start.UTC()
				at[id].Slots = append(at[id].Slots, sl)
			}
			return rows.Err()
		})
		return tx.SendBatch(ctx, &b).Close()
	})
}

// pruneSlots folds every row, so that none of another transaction is
// left behind its slot, then drops the slots before before.
func (s *pgStore) pruneSlots(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := s.fold(ctx, tx, true, "", nil); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "DELETE FROM outhook_summary_slot WHERE slot < $1", pgBound(before))
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

// summaryCounts passes the ids as sqliteLatest does, in hex: SQLite's
// text holds any bytes, and a JSON list of the ids themselves would write
// a byte that is not UTF-8 as U+FFFD, asking for another webhook's
// counters.
func (s *sqliteStore) summaryCounts(ctx context.Context, tenant string, ids []string, since time.Time, at map[string]*webhook.SummaryCounts) error {
	list := sqliteHexList(ids)
	rows, err := s.db.QueryContext(ctx, `SELECT webhook_id, last_outcome, last_at, last_reason, dead_letters FROM outhook_summary
		WHERE tenant = ?1 AND webhook_id IN (SELECT CAST(unhex(value) AS TEXT) FROM json_each(?2))`, tenant, list)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, outcome, reason string
		var last *int64
		var dead int64
		if err := rows.Scan(&id, &outcome, &last, &reason, &dead); err != nil {
			return err
		}
		c := at[id]
		c.LastOutcome, c.LastReason, c.DeadLetters = webhook.Outcome(outcome), reason, dead
		if last != nil {
			c.LastAt = time.Unix(0, *last).UTC()
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	slots, err := s.db.QueryContext(ctx, `SELECT webhook_id, slot, `+slotColumns+` FROM outhook_summary_slot
		WHERE tenant = ?1 AND webhook_id IN (SELECT CAST(unhex(value) AS TEXT) FROM json_each(?2)) AND slot >= ?3 ORDER BY webhook_id, slot`,
		tenant, list, unixNano(since))
	if err != nil {
		return err
	}
	defer slots.Close()
	for slots.Next() {
		var id string
		var start int64
		var sl webhook.SlotCounts
		if err := slots.Scan(append([]any{&id, &start}, slotScan(&sl)...)...); err != nil {
			return err
		}
		sl.Start = time.Unix(0, start).UTC()
		at[id].Slots = append(at[id].Slots, sl)
	}
	return slots.Err()
}

func (s *sqliteStore) pruneSlots(ctx context.Context, before time.Time) (int64, error) {
	return s.exec(ctx, "DELETE FROM outhook_summary_slot WHERE slot < ?", unixNano(before))
}

// eraseSummary deletes the counters of er's tenant, or of its webhook,
// with exec, in the erasure's transaction; an erasure by event id leaves
// them, as they hold no event (its erase replaces the last outcome).
func eraseSummary(d dialect, er *webhook.Erasure, exec func(q string, args ...any) error) error {
	if er.EventID != "" {
		return nil
	}
	where, args := eraseWhere(d, er, "")
	for _, table := range []string{"outhook_summary", "outhook_summary_slot"} {
		if err := exec("DELETE FROM "+table+" WHERE tenant = "+d.param(1)+where, args...); err != nil {
			return err
		}
	}
	return nil
}
