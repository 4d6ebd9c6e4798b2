package riverengine

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/outhook/outhook/webhook"
)

var _ webhook.LatestStore = (*Store)(nil)

// LatestInvocations returns, for each of ids of tenant in the order of
// ids, the record QueryInvocations lists first for that webhook alone,
// or the zero Invocation when it has none: one statement for them all,
// which reads one row of the tenant/webhook index per webhook however
// many records each has. A failure of the database is a *StoreError.
func (s *Store) LatestInvocations(ctx context.Context, tenant string, ids []string) ([]webhook.Invocation, error) {
	out := make([]webhook.Invocation, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	seen := make(map[string]bool, len(ids))
	unique := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			unique = append(unique, id)
		}
	}
	newest, err := s.b.latest(ctx, tenant, unique)
	if err != nil {
		return nil, &StoreError{Op: "LatestInvocations", Err: err}
	}
	// An id given twice gets a record of its own, headers and all.
	for i, id := range ids {
		if rec, ok := newest[id]; ok {
			if err := json.Unmarshal([]byte(rec), &out[i]); err != nil {
				return nil, &StoreError{Op: "LatestInvocations", Err: err}
			}
		}
	}
	return out, nil
}

// pgLatest reads, for each id of $2, its newest record of tenant $1 in
// the order of pages: a LIMIT 1 probe of the index per id, where
// DISTINCT ON would read every record of the webhooks to keep one each.
const pgLatest = `SELECT w.id, r.record::text FROM unnest($2::text[]) AS w(id)
	CROSS JOIN LATERAL (SELECT record FROM outhook_invocation
		WHERE tenant = $1 AND webhook_id = w.id
		ORDER BY started_at DESC, id COLLATE "C" DESC LIMIT 1) AS r`

// sqliteLatest is pgLatest on SQLite. The ids come as a JSON array of
// their bytes in hex, so that an id that is not UTF-8 arrives unchanged.
const sqliteLatest = `SELECT j.value, (SELECT record FROM outhook_invocation
		WHERE tenant = ?1 AND webhook_id = CAST(unhex(j.value) AS TEXT)
		ORDER BY started_at DESC, id DESC LIMIT 1)
	FROM json_each(?2) AS j`

// latestArgs returns the arguments of pgLatest or sqliteLatest, and
// false when no record can match: PostgreSQL's text holds neither NUL
// nor bytes that are not UTF-8, and asking for such an id would fail
// the whole read.
func latestArgs(postgres bool, tenant string, ids []string) ([]any, bool) {
	if postgres {
		valid := func(s string) bool { return !strings.ContainsRune(s, 0) && utf8.ValidString(s) }
		if !valid(tenant) {
			return nil, false
		}
		keep := make([]string, 0, len(ids))
		for _, id := range ids {
			if valid(id) {
				keep = append(keep, id)
			}
		}
		return []any{tenant, keep}, len(keep) > 0
	}
	return []any{tenant, sqliteHexList(ids)}, true
}

// sqliteHexList is a JSON array of ids' bytes in hex, for a statement on
// SQLite to unpack with json_each and CAST(unhex(value) AS TEXT): an id
// that is not UTF-8 arrives unchanged, where JSON would replace its bytes.
func sqliteHexList(ids []string) string {
	encoded := make([]string, len(ids))
	for i, id := range ids {
		encoded[i] = hex.EncodeToString([]byte(id))
	}
	list, _ := json.Marshal(encoded) // hex strings always marshal
	return string(list)
}

func (s *pgStore) latest(ctx context.Context, tenant string, ids []string) (map[string]string, error) {
	args, ok := latestArgs(true, tenant, ids)
	if !ok {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, pgLatest, args...)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ids))
	var id, rec string
	_, err = pgx.ForEachRow(rows, []any{&id, &rec}, func() error {
		out[id] = rec
		return nil
	})
	return out, err
}

func (s *sqliteStore) latest(ctx context.Context, tenant string, ids []string) (map[string]string, error) {
	args, _ := latestArgs(false, tenant, ids)
	rows, err := s.db.QueryContext(ctx, sqliteLatest, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]string, len(ids))
	for rows.Next() {
		var encoded string
		var rec *string
		if err := rows.Scan(&encoded, &rec); err != nil {
			return nil, err
		}
		if rec == nil {
			continue
		}
		id, err := hex.DecodeString(encoded)
		if err != nil {
			return nil, err
		}
		out[string(id)] = *rec
	}
	return out, rows.Err()
}
