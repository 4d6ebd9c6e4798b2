package riverengine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

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
// migration 007_summary, 006 on SQLite), whatever instance wrote them.
// It reads two indexed ranges: the webhooks' rows, and their slots since
// since.
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

func (s *pgStore) summaryCounts(ctx context.Context, tenant string, ids []string, since time.Time, at map[string]*webhook.SummaryCounts) error {
	var b pgx.Batch
	b.Queue(`SELECT webhook_id, last_outcome, last_at, last_reason, dead_letters FROM outhook_summary
		WHERE tenant = $1 AND webhook_id = ANY($2)`, tenant, ids).Query(func(rows pgx.Rows) error {
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
				c.LastAt = *last
			}
		}
		return rows.Err()
	})
	b.Queue(`SELECT webhook_id, slot, `+slotColumns+` FROM outhook_summary_slot
		WHERE tenant = $1 AND webhook_id = ANY($2) AND slot >= $3 ORDER BY webhook_id, slot`, tenant, ids, pgBound(since)).Query(func(rows pgx.Rows) error {
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
	return s.pool.SendBatch(ctx, &b).Close()
}

func (s *pgStore) pruneSlots(ctx context.Context, before time.Time) (int64, error) {
	return s.exec(ctx, "DELETE FROM outhook_summary_slot WHERE slot < $1", pgBound(before))
}

func (s *sqliteStore) summaryCounts(ctx context.Context, tenant string, ids []string, since time.Time, at map[string]*webhook.SummaryCounts) error {
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT webhook_id, last_outcome, last_at, last_reason, dead_letters FROM outhook_summary
		WHERE tenant = ?1 AND webhook_id IN (SELECT value FROM json_each(?2))`, tenant, string(list))
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
			c.LastAt = time.Unix(0, *last)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	slots, err := s.db.QueryContext(ctx, `SELECT webhook_id, slot, `+slotColumns+` FROM outhook_summary_slot
		WHERE tenant = ?1 AND webhook_id IN (SELECT value FROM json_each(?2)) AND slot >= ?3 ORDER BY webhook_id, slot`,
		tenant, string(list), unixNano(since))
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
// them, as they hold no event.
func eraseSummary(d dialect, er *webhook.Erasure, exec func(q string, args ...any) error) error {
	if er.EventID != "" {
		return nil
	}
	where, args := eraseWhere(d, er, "")
	// The webhook's row before its slots, in the order a record's trigger
	// locks them, so that the two cannot deadlock.
	for _, table := range []string{"outhook_summary", "outhook_summary_slot"} {
		if err := exec("DELETE FROM "+table+" WHERE tenant = "+d.param(1)+where, args...); err != nil {
			return err
		}
	}
	return nil
}
