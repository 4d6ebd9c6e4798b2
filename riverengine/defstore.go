package riverengine

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/outhook/outhook/defstore"
)

// DefinitionStore is a defstore.Store in the engine's database: webhook
// definitions per tenant that every instance of a service on the database
// follows. Get one from Engine.DefinitionStore, or from
// NewDefinitionStore or NewSQLiteDefinitionStore. It is safe for
// concurrent use, by several processes too.
//
// Each write is one transaction that holds the store's writer lock from
// its start to its commit (on PostgreSQL an advisory lock, on SQLite the
// database's write lock, BEGIN IMMEDIATE), and numbers its change one
// more than the highest number committed. So sequence numbers follow
// commit order without gaps: an instance that has read Changes up to n
// never misses a change committed afterwards. Writes are thereby one at a
// time across all instances, which suits definitions: they change at the
// pace of people editing them.
//
// A deletion leaves a tombstone, the definition's id, version and name
// (for History), without its content or secrets. The defstore.HistoryKept
// newest revisions of each definition are kept (see History).
//
// Subscribe follows the writes of every process on PostgreSQL (LISTEN and
// NOTIFY), and on SQLite only those made through this process on the same
// *sql.DB: see Subscribe.
type DefinitionStore struct {
	b defBackend
	// beforeCommit, when set (by tests), runs in each write transaction
	// after the change is numbered and written, before the commit.
	beforeCommit func(tenant, id string)
}

var (
	_ defstore.Store    = (*DefinitionStore)(nil)
	_ defstore.AtRest   = (*DefinitionStore)(nil)
	_ defstore.Resetter = (*DefinitionStore)(nil)
)

// NewDefinitionStore returns the definition store on a PostgreSQL database
// that Migrate has brought up to date. It does not own pool.
func NewDefinitionStore(pool *pgxpool.Pool) *DefinitionStore {
	return &DefinitionStore{b: &pgDefs{pool: pool, timing: defaultListenTiming}}
}

// NewSQLiteDefinitionStore returns the definition store on a SQLite
// database that MigrateSQLite has brought up to date. It does not own db.
func NewSQLiteDefinitionStore(db *sql.DB) *DefinitionStore {
	return &DefinitionStore{b: &sqliteDefs{db: db}}
}

// DefinitionStore returns a definition store on the engine's database. Each
// call returns a new value; all of them are the same store, and on SQLite
// notify each other's subscribers.
func (e *Engine) DefinitionStore() *DefinitionStore {
	switch db := e.db.(type) {
	case *pgxpool.Pool:
		return NewDefinitionStore(db)
	case *sql.DB:
		return NewSQLiteDefinitionStore(db)
	}
	panic(fmt.Sprintf("riverengine: engine on a %T", e.db))
}

// DefinitionError reports a DefinitionStore method that failed; every
// error the store returns is one. Op is the method, Tenant and ID the
// definition concerned (both empty for Changes; ID empty for List and
// Count). Err is one of defstore's errors (ErrNotFound, ErrExists,
// ErrNameTaken, ErrLimit, a *defstore.ConflictError), which errors.Is and
// errors.As find through it, or the database's error.
type DefinitionError struct {
	Op, Tenant, ID string
	Err            error
}

func (e *DefinitionError) Error() string {
	switch {
	case e.ID != "":
		return fmt.Sprintf("riverengine: definitions: %s of %q (tenant %q): %v", e.Op, e.ID, e.Tenant, e.Err)
	case e.Op == "Changes":
		return fmt.Sprintf("riverengine: definitions: %s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("riverengine: definitions: %s of tenant %q: %v", e.Op, e.Tenant, e.Err)
}

func (e *DefinitionError) Unwrap() error { return e.Err }

// defBackend is the SQL of one database.
type defBackend interface {
	// write runs fn in a transaction that holds the writer lock from its
	// start to its commit, and commits when fn returns nil; then
	// subscribers are notified.
	write(ctx context.Context, fn func(w defWriter) error) error
	get(ctx context.Context, tenant, id string) (defRow, bool, error)
	// list returns up to limit live definitions of tenant with ids after
	// after, in id order.
	list(ctx context.Context, tenant, after string, limit int) ([]defstore.Record, error)
	count(ctx context.Context, tenant string) (int, error)
	// changes returns up to limit rows, tombstones included, with seq
	// after after, in seq order.
	changes(ctx context.Context, after uint64, limit int) ([]defRow, error)
	history(ctx context.Context, tenant, id string, limit int) ([]defstore.Revision, error)
	subscribe(notify func()) (cancel func(), err error)
}

// defWriter is what a write transaction does.
type defWriter interface {
	// row returns the definition's row, a tombstone too; false when there
	// is none.
	row(ctx context.Context, tenant, id string) (defRow, bool, error)
	// nameOwner returns the id of the tenant's live definition named name;
	// false when there is none.
	nameOwner(ctx context.Context, tenant, name string) (string, bool, error)
	count(ctx context.Context, tenant string) (int, error)
	// nextSeq returns one more than the highest sequence number committed.
	nextSeq(ctx context.Context) (uint64, error)
	// put inserts or replaces the row of (r.Tenant, r.ID).
	put(ctx context.Context, r *defRow) error
	revise(ctx context.Context, seq uint64, rev *defstore.Revision) error
}

// defRow is a row of outhook_definition: a record, or a tombstone.
type defRow struct {
	defstore.Record
	deleted bool
}

func (r *defRow) change() defstore.Change {
	c := defstore.Change{Seq: r.Seq, Tenant: r.Tenant, ID: r.ID, Version: r.Version, Deleted: r.deleted}
	if !r.deleted {
		rec := r.Record
		c.Record = &rec
	}
	return c
}

// normalized returns a copy of rec as the store keeps it: its slices
// copied, empty ones nil (a database gives back no other).
func normalized(rec defstore.Record) defstore.Record {
	rec.Triggers = slices.Clone(rec.Triggers)
	if len(rec.Triggers) == 0 {
		rec.Triggers = nil
	}
	rec.Definition = nilIfEmpty(bytes.Clone(rec.Definition))
	rec.Secrets = nilIfEmpty(bytes.Clone(rec.Secrets))
	return rec
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// now is the time of a change, as both databases keep it exactly.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func (s *DefinitionStore) fail(op, tenant, id string, err error) error {
	return &DefinitionError{Op: op, Tenant: tenant, ID: id, Err: err}
}

// write runs fn in a write transaction, then the test hook.
func (s *DefinitionStore) write(ctx context.Context, tenant, id string, fn func(w defWriter) error) error {
	return s.b.write(ctx, func(w defWriter) error {
		if err := fn(w); err != nil {
			return err
		}
		if s.beforeCommit != nil {
			s.beforeCommit(tenant, id)
		}
		return nil
	})
}

// current returns the live row of (tenant, id) when version is still its
// version or AnyVersion; otherwise ErrNotFound or a *ConflictError.
func current(ctx context.Context, w defWriter, tenant, id string, version int64) (defRow, error) {
	cur, found, err := w.row(ctx, tenant, id)
	switch {
	case err != nil:
		return defRow{}, err
	case !found, cur.deleted && version == defstore.AnyVersion:
		return defRow{}, defstore.ErrNotFound
	case cur.deleted:
		return defRow{}, &defstore.ConflictError{Tenant: tenant, ID: id, Expected: version}
	case version != defstore.AnyVersion && version != cur.Version:
		return defRow{}, &defstore.ConflictError{Tenant: tenant, ID: id, Expected: version, Current: cur.Version}
	}
	return cur, nil
}

// nameFree fails with ErrNameTaken when a live definition of tenant other
// than id is named name.
func nameFree(ctx context.Context, w defWriter, tenant, name, id string) error {
	owner, taken, err := w.nameOwner(ctx, tenant, name)
	switch {
	case err != nil:
		return err
	case taken && owner != id:
		return fmt.Errorf("%w: %q is %q's", defstore.ErrNameTaken, name, owner)
	}
	return nil
}

// Create stores rec as version 1 with actor as its author, or, when rec.ID
// is a tombstone's, as the version after the tombstone's. The checks of
// id, name and maxPerTenant run inside the write transaction, one writer
// at a time, so concurrent creations cannot pass them together.
func (s *DefinitionStore) Create(ctx context.Context, rec defstore.Record, actor string, maxPerTenant int) (defstore.Record, error) {
	var out defRow
	err := s.write(ctx, rec.Tenant, rec.ID, func(w defWriter) error {
		cur, found, err := w.row(ctx, rec.Tenant, rec.ID)
		switch {
		case err != nil:
			return err
		case found && !cur.deleted:
			return defstore.ErrExists
		}
		if err := nameFree(ctx, w, rec.Tenant, rec.Name, rec.ID); err != nil {
			return err
		}
		if maxPerTenant > 0 {
			n, err := w.count(ctx, rec.Tenant)
			if err != nil {
				return err
			}
			if n >= maxPerTenant {
				return fmt.Errorf("%w (%d)", defstore.ErrLimit, maxPerTenant)
			}
		}
		seq, err := w.nextSeq(ctx)
		if err != nil {
			return err
		}
		at := now()
		out = defRow{Record: normalized(rec)}
		out.Version = cur.Version + 1 // 1, or the tombstone's next
		out.BreakerReset = 0
		out.Seq, out.CreatedAt, out.UpdatedAt, out.UpdatedBy = seq, at, at, actor
		if err := w.put(ctx, &out); err != nil {
			return err
		}
		return w.revise(ctx, seq, &defstore.Revision{Tenant: rec.Tenant, ID: rec.ID, Version: out.Version,
			Action: defstore.Created, Actor: actor, At: at, Name: rec.Name})
	})
	if err != nil {
		return defstore.Record{}, s.fail("Create", rec.Tenant, rec.ID, err)
	}
	return normalized(out.Record), nil
}

// Update replaces the definition (rec.Tenant, rec.ID) with rec when its
// version is still version (or version is AnyVersion).
func (s *DefinitionStore) Update(ctx context.Context, rec defstore.Record, version int64, actor string) (defstore.Record, error) {
	var out defRow
	err := s.write(ctx, rec.Tenant, rec.ID, func(w defWriter) error {
		cur, err := current(ctx, w, rec.Tenant, rec.ID, version)
		if err != nil {
			return err
		}
		if err := nameFree(ctx, w, rec.Tenant, rec.Name, rec.ID); err != nil {
			return err
		}
		seq, err := w.nextSeq(ctx)
		if err != nil {
			return err
		}
		at := now()
		out = defRow{Record: normalized(rec)}
		out.Version, out.Seq, out.BreakerReset = cur.Version+1, seq, cur.BreakerReset
		out.CreatedAt, out.UpdatedAt, out.UpdatedBy = cur.CreatedAt, at, actor
		if err := w.put(ctx, &out); err != nil {
			return err
		}
		return w.revise(ctx, seq, &defstore.Revision{Tenant: rec.Tenant, ID: rec.ID, Version: out.Version,
			Action: defstore.Updated, Actor: actor, At: at, Name: rec.Name})
	})
	if err != nil {
		return defstore.Record{}, s.fail("Update", rec.Tenant, rec.ID, err)
	}
	return normalized(out.Record), nil
}

// Delete deletes the definition when its version is still version (or
// version is AnyVersion). The deletion is a version of its own; the
// tombstone keeps the name (for History) and drops the content and the
// secrets.
func (s *DefinitionStore) Delete(ctx context.Context, tenant, id string, version int64, actor string) error {
	err := s.write(ctx, tenant, id, func(w defWriter) error {
		cur, err := current(ctx, w, tenant, id, version)
		if err != nil {
			return err
		}
		seq, err := w.nextSeq(ctx)
		if err != nil {
			return err
		}
		at := now()
		tomb := defRow{deleted: true, Record: defstore.Record{
			Tenant: tenant, ID: id, Version: cur.Version + 1, Name: cur.Name, Seq: seq,
			CreatedAt: cur.CreatedAt, UpdatedAt: at, UpdatedBy: actor,
		}}
		if err := w.put(ctx, &tomb); err != nil {
			return err
		}
		return w.revise(ctx, seq, &defstore.Revision{Tenant: tenant, ID: id, Version: tomb.Version,
			Action: defstore.Deleted, Actor: actor, At: at, Name: cur.Name})
	})
	if err != nil {
		return s.fail("Delete", tenant, id, err)
	}
	return nil
}

// ReplaceSecrets stores secrets as the definition's sealed secrets when
// its version is still version (or version is AnyVersion), keeping its
// version and content; like every change it has a new sequence number,
// sets UpdatedAt and UpdatedBy, and is a revision (Resealed) by actor.
func (s *DefinitionStore) ReplaceSecrets(ctx context.Context, tenant, id string, version int64, secrets []byte, actor string) error {
	err := s.write(ctx, tenant, id, func(w defWriter) error {
		cur, err := current(ctx, w, tenant, id, version)
		if err != nil {
			return err
		}
		seq, err := w.nextSeq(ctx)
		if err != nil {
			return err
		}
		at := now()
		cur.Secrets, cur.Seq, cur.UpdatedAt, cur.UpdatedBy = nilIfEmpty(bytes.Clone(secrets)), seq, at, actor
		if err := w.put(ctx, &cur); err != nil {
			return err
		}
		return w.revise(ctx, seq, &defstore.Revision{Tenant: tenant, ID: id, Version: cur.Version,
			Action: defstore.Resealed, Actor: actor, At: at, Name: cur.Name})
	})
	if err != nil {
		return s.fail("ReplaceSecrets", tenant, id, err)
	}
	return nil
}

// ResetBreaker records a breaker reset of the definition by actor (see
// defstore.Resetter): a change with a new sequence number, which is also
// its BreakerReset, and a revision (BreakerReset), keeping its content and
// version; like every change it sets UpdatedAt and UpdatedBy.
func (s *DefinitionStore) ResetBreaker(ctx context.Context, tenant, id, actor string) (defstore.Record, error) {
	var out defRow
	err := s.write(ctx, tenant, id, func(w defWriter) error {
		cur, err := current(ctx, w, tenant, id, defstore.AnyVersion)
		if err != nil {
			return err
		}
		seq, err := w.nextSeq(ctx)
		if err != nil {
			return err
		}
		at := now()
		cur.Seq, cur.BreakerReset, cur.UpdatedAt, cur.UpdatedBy = seq, seq, at, actor
		if err := w.put(ctx, &cur); err != nil {
			return err
		}
		out = cur
		return w.revise(ctx, seq, &defstore.Revision{Tenant: tenant, ID: id, Version: cur.Version,
			Action: defstore.BreakerReset, Actor: actor, At: at, Name: cur.Name})
	})
	if err != nil {
		return defstore.Record{}, s.fail("ResetBreaker", tenant, id, err)
	}
	return normalized(out.Record), nil
}

// Get returns the definition; ErrNotFound when there is none or it was
// deleted.
func (s *DefinitionStore) Get(ctx context.Context, tenant, id string) (defstore.Record, error) {
	r, found, err := s.b.get(ctx, tenant, id)
	switch {
	case err != nil:
		return defstore.Record{}, s.fail("Get", tenant, id, err)
	case !found || r.deleted:
		return defstore.Record{}, s.fail("Get", tenant, id, defstore.ErrNotFound)
	}
	return r.Record, nil
}

// Page sizes of List and Changes.
const (
	defaultListLimit    = 100
	maxListLimit        = 1000
	defaultChangesLimit = 1000
)

// List returns a page of the tenant's definitions in id order (byte
// order). The cursor is the last id of the page; a limit over 1000 is
// 1000.
func (s *DefinitionStore) List(ctx context.Context, tenant string, opts defstore.ListOptions) (defstore.Page, error) {
	limit := opts.Limit
	switch {
	case limit <= 0:
		limit = defaultListLimit
	case limit > maxListLimit:
		limit = maxListLimit
	}
	recs, err := s.b.list(ctx, tenant, opts.After, limit+1)
	if err != nil {
		return defstore.Page{}, s.fail("List", tenant, "", err)
	}
	var p defstore.Page
	if len(recs) > limit {
		recs = recs[:limit]
		p.Next = recs[limit-1].ID
	}
	p.Records = recs
	return p, nil
}

// Count returns how many live definitions the tenant has.
func (s *DefinitionStore) Count(ctx context.Context, tenant string) (int, error) {
	n, err := s.b.count(ctx, tenant)
	if err != nil {
		return 0, s.fail("Count", tenant, "", err)
	}
	return n, nil
}

// Changes returns the state, after their last change, of the definitions
// of every tenant changed after sequence number after, in sequence order,
// at most limit (zero or less: 1000).
func (s *DefinitionStore) Changes(ctx context.Context, after uint64, limit int) ([]defstore.Change, error) {
	if limit <= 0 {
		limit = defaultChangesLimit
	}
	rows, err := s.b.changes(ctx, after, limit)
	if err != nil {
		return nil, s.fail("Changes", "", "", err)
	}
	out := make([]defstore.Change, len(rows))
	for i := range rows {
		out[i] = rows[i].change()
	}
	return out, nil
}

// History returns the definition's revisions, newest first, at most limit
// (zero or less, or more than defstore.HistoryKept: HistoryKept), those of
// earlier lives of its id included; none when it never existed. The store
// keeps the HistoryKept newest revisions of each definition, as
// defstore.Memory does: each write deletes those past them, in its
// transaction.
func (s *DefinitionStore) History(ctx context.Context, tenant, id string, limit int) ([]defstore.Revision, error) {
	if limit <= 0 || limit > defstore.HistoryKept {
		limit = defstore.HistoryKept
	}
	revs, err := s.b.history(ctx, tenant, id, limit)
	if err != nil {
		return nil, s.fail("History", tenant, id, err)
	}
	return revs, nil
}

// Subscribe calls notify, from a goroutine of its own, one call at a time
// and without holding up writers, after changes may have been committed,
// until cancel is called; after cancel returns no call begins, and cancel
// leaves no goroutine behind (when called from within notify, the one
// that called it ends as notify returns).
//
// On PostgreSQL every write notifies the channel outhook_definitions in
// its transaction, and Subscribe listens there on a connection of its own,
// taken from the pool (one of its MaxConns) and held until cancel: it is
// told of the writes of every process. Subscribe fails when it cannot take
// the connection and LISTEN within 10 s. A connection silent for 30 s is
// pinged, and taken for lost when the ping has no answer within 5 s, so
// that one the network dropped without a word is noticed. When the
// connection is lost, another is taken, each attempt bounded by 10 s,
// waiting 100 ms before the first and doubling up to 5 s between the
// next; notify is called once one is back, for the changes made
// meanwhile.
//
// On SQLite, which has no such channel, Subscribe is told only of the
// writes made in this process through a DefinitionStore on the same
// *sql.DB. Other processes writing to the same file are not heard of: the
// periodic Changes that followers make anyway covers them.
func (s *DefinitionStore) Subscribe(notify func()) (cancel func(), err error) {
	cancel, err = s.b.subscribe(notify)
	if err != nil {
		return nil, s.fail("Subscribe", "", "", err)
	}
	return cancel, nil
}

// AtRest reports true: the store writes to a database.
func (s *DefinitionStore) AtRest() bool { return true }

// subscription calls notify from its own goroutine each time it has been
// signalled since the last call, coalescing signals, so that signalling
// never waits.
type subscription struct {
	notify  func()
	signals chan struct{}
	stop    chan struct{}
	done    chan struct{}
	calling atomic.Bool
	once    sync.Once
}

func newSubscription(notify func()) *subscription {
	s := &subscription{notify: notify, signals: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *subscription) signal() {
	select {
	case s.signals <- struct{}{}:
	default: // a call is due already
	}
}

func (s *subscription) run() {
	defer close(s.done)
	for {
		select {
		case <-s.stop:
			return
		case <-s.signals:
		}
		s.calling.Store(true)
		select {
		case <-s.stop:
			return
		default:
		}
		s.notify()
		s.calling.Store(false)
	}
}

// cancel stops the calls: none begins after it returns. It waits for the
// goroutine unless notify is running, which may be what called cancel.
func (s *subscription) cancel() {
	s.once.Do(func() {
		close(s.stop)
		if !s.calling.Load() {
			<-s.done
		}
	})
}
