// Package defstore is the contract of a store of webhook definitions that
// belong to tenants, change at run time, and are followed by every
// instance of a service: a Store, its records and its errors, and Memory,
// the in-process store a Dispatcher uses when given none.
//
// A store holds bytes: a definition's JSON without its secrets, and its
// secrets sealed (package keyring). It never interprets either, so it
// never holds a secret in clear. The few fields an instance needs before
// it decodes a definition (name, active, triggers) are kept beside it.
//
// Every change bumps the definition's version (1 when created) and gives
// it the store's next sequence number, in commit order, so that an
// instance that has seen every change up to n asks for the changes after
// n (Changes) and misses none. Deleted definitions stay as tombstones so
// that their deletion is such a change too.
package defstore

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// AnyVersion, given as the version read to Update, Delete or
// ReplaceSecrets, applies the change whatever the current version is.
const AnyVersion int64 = 0

// Record is one definition as stored.
type Record struct {
	// Tenant owns the definition; "" is the tenant of a single-tenant
	// service. Tenants are opaque to the store.
	Tenant string
	// ID identifies the definition within its tenant.
	ID string
	// Version is 1 when the definition is created and one more at each
	// change. The store sets it; it is ignored on input.
	Version int64
	// Name is unique within the tenant.
	Name string
	// Active mirrors the definition's active switch.
	Active bool
	// Triggers are the event types the definition receives, so that an
	// instance can index it without decoding Definition.
	Triggers []string
	// Definition is the definition as JSON, without its secrets.
	Definition []byte
	// Secrets are the definition's secrets, sealed; nil when it has none.
	Secrets []byte
	// Seq is the store's sequence number of the last change of the
	// definition. The store sets it.
	Seq uint64
	// BreakerReset is the sequence number of the definition's last
	// breaker reset (see Resetter), 0 when it had none since it was
	// created. The store sets it; it is ignored on input, and kept by
	// Update and ReplaceSecrets. An instance that loaded the definition
	// at a Seq before it closes its breaker when it reads the record.
	BreakerReset uint64
	// CreatedAt and UpdatedAt are set by the store; UpdatedBy is the actor
	// of the last change, as given to the store.
	CreatedAt, UpdatedAt time.Time
	UpdatedBy            string
}

// Change is the state of one definition after a change: the record, or
// its deletion.
type Change struct {
	Seq     uint64
	Tenant  string
	ID      string
	Version int64
	// Deleted reports a deletion; Record is then nil.
	Deleted bool
	Record  *Record
}

// Action says what a revision did.
type Action string

// The actions of revisions.
const (
	Created  Action = "created"
	Updated  Action = "updated"
	Deleted  Action = "deleted"
	Resealed Action = "resealed" // secrets sealed again under another key, content unchanged
	// BreakerReset: the circuit breaker was reset (Resetter), content
	// and version unchanged.
	BreakerReset Action = "breaker_reset"
)

// Revision is one change of a definition, for showing who changed a
// webhook and when.
type Revision struct {
	Tenant  string
	ID      string
	Version int64
	Action  Action
	Actor   string
	At      time.Time
	// Name is the definition's name after the change (before it, for a
	// deletion).
	Name string
}

// Page is a slice of a listing and the cursor of the next one.
type Page struct {
	Records []Record
	// Next is the cursor of the next page, "" after the last one.
	Next string
}

// ListOptions select a page of a tenant's definitions, in id order.
type ListOptions struct {
	// After is the cursor of a previous page's Next; "" starts at the
	// beginning. Cursors are text, UTF-8 without control characters; a
	// store may refuse one it did not make with an error wrapping
	// ErrInvalidCursor.
	After string
	// Limit is the most records returned; zero or less means 100, and a
	// store may cap it at 1000.
	Limit int
}

// Store keeps definitions. Implementations are safe for concurrent use by
// several goroutines and, for the durable ones, several processes: every
// write is atomic, and a write that returns an error has changed nothing.
type Store interface {
	// Create stores rec as version 1 with actor as its author. It fails
	// with ErrExists when the tenant has a definition with rec.ID, with
	// ErrNameTaken when one has rec.Name, and with ErrLimit when
	// maxPerTenant > 0 and the tenant has that many definitions already
	// (counted in the same transaction, so that concurrent creations
	// cannot pass it together). The id of a deleted definition may be
	// reused; its versions go on from the tombstone's.
	Create(ctx context.Context, rec Record, actor string, maxPerTenant int) (Record, error)
	// Update replaces the definition (rec.Tenant, rec.ID) with rec when its
	// version is still version (or version is AnyVersion), and returns it
	// with its new version. It fails with a *ConflictError when the
	// version moved, ErrNotFound when there is no such definition, and
	// ErrNameTaken when another has rec.Name.
	Update(ctx context.Context, rec Record, version int64, actor string) (Record, error)
	// Delete deletes the definition when its version is still version (or
	// version is AnyVersion), leaving a tombstone. It fails as Update.
	Delete(ctx context.Context, tenant, id string, version int64, actor string) error
	// ReplaceSecrets stores secrets as the definition's sealed secrets
	// without changing its content or version, when its version is still
	// version: keyring rotation seals them again under the new key. It is
	// a change (a new Seq) so that every instance reloads the record, and
	// a revision with action Resealed.
	ReplaceSecrets(ctx context.Context, tenant, id string, version int64, secrets []byte, actor string) error
	// Get returns the definition; ErrNotFound when there is none or it was
	// deleted.
	Get(ctx context.Context, tenant, id string) (Record, error)
	// List returns a page of the tenant's definitions in id order.
	List(ctx context.Context, tenant string, opts ListOptions) (Page, error)
	// Count returns how many definitions the tenant has.
	Count(ctx context.Context, tenant string) (int, error)
	// Changes returns the state, after their last change, of the
	// definitions of every tenant changed after sequence number after, in
	// sequence order, at most limit of them (zero or less: 1000). A
	// definition changed several times appears once, with its last
	// change. Changes(ctx, 0, n) pages through everything, tombstones
	// included.
	Changes(ctx context.Context, after uint64, limit int) ([]Change, error)
	// History returns the definition's revisions, newest first, at most
	// limit (zero or less: 100), deletions included.
	History(ctx context.Context, tenant, id string, limit int) ([]Revision, error)
	// Subscribe calls notify, from another goroutine and without waiting
	// for it, after changes may have been committed by this or another
	// process, until cancel is called. A notification says only "look at
	// Changes": several changes may give one, and a durable store may
	// miss some (a dropped connection), which is why followers also poll.
	Subscribe(notify func()) (cancel func(), err error)
}

// Resetter is implemented by stores that record a reset of a
// definition's circuit breaker as a change, so that every instance
// following the store closes its own breaker when it reads it. Memory,
// and riverengine's DefinitionStore, implement it.
type Resetter interface {
	// ResetBreaker records a breaker reset of the definition by actor: a
	// change (a new Seq, which it also sets as BreakerReset) and a
	// revision with action BreakerReset, keeping the definition's content
	// and version. It returns the record as changed, and fails with
	// ErrNotFound when there is no such definition.
	ResetBreaker(ctx context.Context, tenant, id, actor string) (Record, error)
}

// AtRest is implemented by stores that write to disk or to a database;
// a Dispatcher refuses to keep secrets in one without a keyring to seal
// them.
type AtRest interface {
	AtRest() bool
}

// Errors of stores. Each is wrapped with what it concerns.
var (
	ErrNotFound  = errors.New("defstore: no such definition")
	ErrExists    = errors.New("defstore: a definition with this id exists")
	ErrNameTaken = errors.New("defstore: another definition of the tenant has this name")
	ErrLimit     = errors.New("defstore: the tenant has as many definitions as it may")
	// ErrInvalidCursor: a ListOptions.After that is no cursor of List.
	ErrInvalidCursor = errors.New("defstore: not a cursor of List")
	// ErrConflict is what every *ConflictError is.
	ErrConflict = errors.New("defstore: the definition changed since it was read")
)

// ConflictError reports an Update, Delete or ReplaceSecrets given a version
// other than the definition's current one.
type ConflictError struct {
	Tenant, ID string
	// Expected is the version the caller read; Current the version now,
	// 0 when the definition was deleted.
	Expected, Current int64
}

func (e *ConflictError) Error() string {
	if e.Current == 0 {
		return fmt.Sprintf("defstore: definition %q was deleted after version %d was read", e.ID, e.Expected)
	}
	return fmt.Sprintf("defstore: definition %q is at version %d, not %d as read", e.ID, e.Current, e.Expected)
}

// Is makes errors.Is(err, ErrConflict) hold.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }
