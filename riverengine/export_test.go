package riverengine

import (
	"time"

	"github.com/outhook/outhook/webhook"
)

// PageSQL is the SELECT of a page of records (or of dead letters) of
// tenant, for the tests of the query plans.
func PageSQL(postgres, deadLetters bool, tenant, webhookID, outcome string, since, until time.Time, after *webhook.Position, limit int) (string, []any) {
	d, cols := sqliteDialect, "id, started_at, record"
	if postgres {
		d, cols = pgDialect, "id, started_at, record::text"
	}
	f := filter{webhookID: webhookID, outcome: outcome, since: since, until: until, after: after}
	if deadLetters {
		return pageSQL(d, deadLetterColumns, "outhook_dead_letter", "failed_at", "delivery_id", tenant, f, limit)
	}
	return pageSQL(d, cols, "outhook_invocation", "started_at", "id", tenant, f, limit)
}
