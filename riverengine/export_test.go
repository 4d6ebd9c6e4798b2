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

// PGPruneDeadAge and PGPruneRecordAge are the DELETEs of a batch of dead
// letters, and of records, by age on PostgreSQL, for the test of their
// plans.
const (
	PGPruneDeadAge   = pgPruneDeadAge
	PGPruneRecordAge = pgPruneRecordAge
)

// SetBeforeCommit makes s call f in each of its write transactions once
// the change is numbered and written, before the commit: the writer lock
// is held meanwhile.
func SetBeforeCommit(s *DefinitionStore, f func(tenant, id string)) { s.beforeCommit = f }

// SetListenerTiming sets how long s's listeners on PostgreSQL let their
// connection be silent before they ping it, how long they wait for an
// answer or a connection, and before taking a connection again.
func SetListenerTiming(s *DefinitionStore, ping, answer, retry time.Duration) {
	b := s.b.(*pgDefs)
	b.timing.ping, b.timing.answer, b.timing.connect, b.timing.retry = ping, answer, answer, retry
}

// SetPoolCheck makes e look at its pool every d rather than every 30 s;
// before Start.
func SetPoolCheck(e *Engine, d time.Duration) { e.poolCheck = d }

// HandInsertSQLite says whether the SQLite engine writes River's job rows
// itself in this build (see riverSchemaVersion).
func HandInsertSQLite() bool { return handInsertSQLite }

// InsertThroughRiver has SQLite engines made until the test ends insert
// through River, as a build with another River does.
func InsertThroughRiver(t interface{ Cleanup(func()) }) {
	old := handInsertSQLite
	handInsertSQLite = false
	t.Cleanup(func() { handInsertSQLite = old })
}

// SetWakeBatch sets how many jobs one step of WakeHeld wakes, until the
// test ends.
func SetWakeBatch(t interface{ Cleanup(func()) }, n int) {
	old := wakeBatch
	wakeBatch = n
	t.Cleanup(func() { wakeBatch = old })
}

// SetLockWait sets how long a SQLite store waits for a write lock held
// by another connection before it fails a record, until the test ends.
func SetLockWait(t interface{ Cleanup(func()) }, d time.Duration) {
	old := lockWait
	lockWait = d
	t.Cleanup(func() { lockWait = old })
}

// PGEraseByEventSQL returns the DELETEs of an erasure of tenant's records
// and dead letters by event id on PostgreSQL, and their arguments, for
// the test of their plans.
func PGEraseByEventSQL(tenant, eventID string) (records, deadLetters string, args []any) {
	er := &webhook.Erasure{Tenant: tenant, EraseSelector: webhook.EraseSelector{EventID: eventID}}
	where, args := pgEraseRecordsWhere(er)
	dead, _ := pgEraseDeadWhere(er)
	return "DELETE FROM outhook_invocation WHERE tenant = $1" + where, "DELETE FROM outhook_dead_letter WHERE tenant = $1" + dead, args
}

// LatestSQL is the SELECT of LatestInvocations, for the tests of its
// plans.
func LatestSQL(postgres bool, tenant string, ids []string) (string, []any) {
	args, _ := latestArgs(postgres, tenant, ids)
	if postgres {
		return pgLatest, args
	}
	return sqliteLatest, args
}
