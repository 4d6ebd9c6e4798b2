// Package defstoretest is the conformance suite of defstore.Store: every
// store (the in-memory one, PostgreSQL, SQLite) runs it from its tests, so
// that they all behave the same.
//
//	func TestConformance(t *testing.T) {
//		defstoretest.Run(t, func(t *testing.T) defstore.Store {
//			return newEmptyStore(t)
//		})
//	}
//
// Each subtest is named after the clause of the contract (the doc comments
// of package defstore) it checks, and gets a new, empty store. Where the
// contract leaves a choice open, the suite settles it so that every store
// makes the same one:
//
//   - A deletion is a change like any other: it bumps the version, so the
//     tombstone of a definition deleted at version n has version n+1 (its
//     Change and its Revision say so), and a definition created again with
//     the same id starts at n+2.
//   - Update, Delete and ReplaceSecrets given a version other than
//     AnyVersion for a deleted definition fail with a *ConflictError whose
//     Current is 0; given AnyVersion, or for an id that never existed, they
//     fail with ErrNotFound.
//   - Create of an id the tenant has fails with ErrExists whatever the
//     name.
//   - ReplaceSecrets sets UpdatedAt and UpdatedBy, as every change does.
//   - Definitions are listed in byte order of their ids (Go's < on
//     strings), not in a collation's order, and the page holding the last
//     definition has Next "".
//   - Names are unique as bytes: "Hook" and "hook", or a precomposed and a
//     decomposed "é", are different names.
//   - History of an id that never existed is empty, without an error; a
//     store keeps at least the 100 newest revisions of a definition.
//   - Ids, names, tenants, triggers and actors round-trip as any valid
//     UTF-8 without NUL; Definition and Secrets round-trip byte for byte
//     (an empty slice may come back nil).
//   - The cancel function Subscribe returns may be called twice; once it
//     has returned, notify is called no more, but for a call already on
//     its way.
//   - A store returns a context's error, wrapped, when given a context
//     already done, and then has changed nothing.
//   - Times are compared to the microsecond, so that a database's
//     precision is enough, but a record read back equals the record a
//     write returned.
//
// The suite waits on nothing but Subscribe's notifications, and those with
// bounded waits (WaitTimeout): the follower scenario follows Changes on
// notifications alone, so a durable store passes it only if its
// notifications arrive while the suite runs.
package defstoretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/defstore"
)

// WaitTimeout bounds every wait for a notification of Subscribe.
const WaitTimeout = 10 * time.Second

// Run runs the conformance suite against the stores newStore returns; each
// call must return a new, empty store, which the subtest that asked for
// it is the only one to use.
func Run(t *testing.T, newStore func(t *testing.T) defstore.Store) {
	t.Helper()
	for _, c := range clauses {
		t.Run(c.name, func(t *testing.T) {
			c.check(t, newStore(t))
		})
	}
}

type clause struct {
	name  string
	check func(t *testing.T, s defstore.Store)
}

var clauses = []clause{
	{"Create/stores rec as version 1 with actor as its author", createStores},
	{"Create/fails with ErrExists when the tenant has a definition with rec.ID", createExists},
	{"Create/fails with ErrNameTaken when the tenant has one with rec.Name", createNameTaken},
	{"Create/the same id or name in two tenants are two definitions", createTwoTenants},
	{"Create/fails with ErrLimit when the tenant has maxPerTenant definitions", createLimit},
	{"Create/concurrent creations cannot pass maxPerTenant together", createLimitRace},
	{"Create/concurrent creations of one id or one name: exactly one succeeds", createSameRace},
	{"Create/the id of a deleted definition may be reused; its versions go on from the tombstone's", createAfterDelete},
	{"Update/replaces the definition and returns it with its new version", updateReplaces},
	{"Update/AnyVersion applies the change whatever the current version", updateAnyVersion},
	{"Update/fails with a *ConflictError when the version moved", updateConflict},
	{"Update/fails with ErrNotFound when there is no such definition", updateNotFound},
	{"Update/fails with ErrNameTaken when another has rec.Name", updateNameTaken},
	{"Update/concurrent updates from the same version: exactly one wins", updateRace},
	{"Delete/leaves a tombstone", deleteTombstone},
	{"Delete/fails as Update", deleteFails},
	{"Delete/concurrent deletes from the same version: exactly one wins", deleteRace},
	{"ReplaceSecrets/keeps content and version; a new Seq and a Resealed revision", resealKeeps},
	{"ReplaceSecrets/fails as Update", resealFails},
	{"ResetBreaker/a Resetter records a reset: a new Seq as BreakerReset, a revision, content kept", resetKeeps},
	{"Get/ErrNotFound when there is none", getNotFound},
	{"List/pages of the tenant's definitions in id order", listPages},
	{"List/limit zero or less means 100", listDefaultLimit},
	{"List/a cursor stays valid across writes", listCursorAcrossWrites},
	{"Count/how many definitions the tenant has", countTenant},
	{"Changes/one entry per definition, its last change, in sequence order", changesLast},
	{"Changes/after a sequence number, at most limit, tombstones included", changesPaging},
	{"Changes/limit zero or less means 1000", changesDefaultLimit},
	{"History/newest first with actors, deletions included", historyNewestFirst},
	{"History/at most limit; zero or less means 100", historyLimit},
	{"Subscribe/notifies after every write", subscribeNotifies},
	{"Subscribe/stops after cancel", subscribeCancel},
	{"Subscribe/a follower of Changes misses no change while writers race", subscribeFollower},
	{"Store/a write that returns an error has changed nothing", failedWritesChangeNothing},
	{"Store/a done context fails and changes nothing", doneContext},
	{"Store/sequence numbers are unique and in commit order under concurrent writes", seqUnique},
	{"Store/a tenant never sees another tenant's definitions", tenantIsolation},
	{"Record/strings and bytes round-trip exactly", roundTrip},
	{"Record/the store keeps no reference to the caller's slices", noAliasing},
}

// rec is a record of tenant with id, named after the id.
func rec(tenant, id string) defstore.Record {
	return defstore.Record{
		Tenant:     tenant,
		ID:         id,
		Name:       "name of " + id,
		Active:     true,
		Triggers:   []string{"RequestCreated", "RequestGranted"},
		Definition: []byte(`{"url":"https://example.com/` + id + `"}`),
		Secrets:    []byte{0, 1, 2, 0xff},
	}
}

// norm makes a record comparable with require.Equal across stores: empty
// slices as nil, times in UTC to the microsecond.
func norm(r defstore.Record) defstore.Record {
	if len(r.Triggers) == 0 {
		r.Triggers = nil
	}
	if len(r.Definition) == 0 {
		r.Definition = nil
	}
	if len(r.Secrets) == 0 {
		r.Secrets = nil
	}
	r.CreatedAt = normTime(r.CreatedAt)
	r.UpdatedAt = normTime(r.UpdatedAt)
	return r
}

func normTime(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

func normChange(c defstore.Change) defstore.Change {
	if c.Record != nil {
		r := norm(*c.Record)
		c.Record = &r
	}
	return c
}

func normRevisions(rs []defstore.Revision) []defstore.Revision {
	out := make([]defstore.Revision, len(rs))
	for i, r := range rs {
		r.At = normTime(r.At)
		out[i] = r
	}
	return out
}

// requireSame fails unless got is want, as norm sees them.
func requireSame(t *testing.T, want, got defstore.Record, msgAndArgs ...any) {
	t.Helper()
	require.Equal(t, norm(want), norm(got), msgAndArgs...)
}

// requireContent fails unless got holds the content of in (what the caller
// gives), whatever the store set.
func requireContent(t *testing.T, in, got defstore.Record) {
	t.Helper()
	in, got = norm(in), norm(got)
	require.Equal(t, in.Tenant, got.Tenant, "Tenant")
	require.Equal(t, in.ID, got.ID, "ID")
	require.Equal(t, in.Name, got.Name, "Name")
	require.Equal(t, in.Active, got.Active, "Active")
	require.Equal(t, in.Triggers, got.Triggers, "Triggers")
	require.Equal(t, in.Definition, got.Definition, "Definition")
	require.Equal(t, in.Secrets, got.Secrets, "Secrets")
}

// requireRecent fails unless at is a time a store could have set during
// the test.
func requireRecent(t *testing.T, at time.Time, what string) {
	t.Helper()
	require.False(t, at.IsZero(), "%s is set", what)
	require.WithinDuration(t, time.Now(), at, time.Hour, "%s is a time of this test", what)
}

func mustCreate(t *testing.T, s defstore.Store, r defstore.Record, actor string) defstore.Record {
	t.Helper()
	got, err := s.Create(t.Context(), r, actor, 0)
	require.NoError(t, err, "Create %q/%q", r.Tenant, r.ID)
	return got
}

func mustGet(t *testing.T, s defstore.Store, tenant, id string) defstore.Record {
	t.Helper()
	got, err := s.Get(t.Context(), tenant, id)
	require.NoError(t, err, "Get %q/%q", tenant, id)
	return got
}

// allChanges pages through Changes from 0 with small pages.
func allChanges(t *testing.T, s defstore.Store) []defstore.Change {
	t.Helper()
	var all []defstore.Change
	var after uint64
	for {
		page, err := s.Changes(t.Context(), after, 7)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), 7, "Changes returns at most limit")
		if len(page) == 0 {
			return all
		}
		for _, c := range page {
			require.Greater(t, c.Seq, after, "Changes are in sequence order, after the cursor")
			after = c.Seq
			all = append(all, normChange(c))
		}
	}
}

// allList pages through the tenant's List with small pages.
func allList(t *testing.T, s defstore.Store, tenant string) []defstore.Record {
	t.Helper()
	var all []defstore.Record
	after := ""
	for range 100000 {
		page, err := s.List(t.Context(), tenant, defstore.ListOptions{After: after, Limit: 3})
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Records), 3, "List returns at most Limit")
		for _, r := range page.Records {
			all = append(all, norm(r))
		}
		if page.Next == "" {
			return all
		}
		require.NotEmpty(t, page.Records, "a page with a Next has records")
		after = page.Next
	}
	t.Fatal("List never ends")
	return nil
}

// state is everything a store shows of the given tenants and ids.
type state struct {
	Changes   []defstore.Change
	Lists     map[string][]defstore.Record
	Counts    map[string]int
	Histories map[string][]defstore.Revision
	Gets      map[string]string
}

func snapshot(t *testing.T, s defstore.Store, tenants, ids []string) state {
	t.Helper()
	st := state{
		Changes:   allChanges(t, s),
		Lists:     map[string][]defstore.Record{},
		Counts:    map[string]int{},
		Histories: map[string][]defstore.Revision{},
		Gets:      map[string]string{},
	}
	for _, tenant := range tenants {
		st.Lists[tenant] = allList(t, s, tenant)
		n, err := s.Count(t.Context(), tenant)
		require.NoError(t, err)
		st.Counts[tenant] = n
		for _, id := range ids {
			key := tenant + "\x00" + id
			h, err := s.History(t.Context(), tenant, id, 1000)
			require.NoError(t, err)
			st.Histories[key] = normRevisions(h)
			r, err := s.Get(t.Context(), tenant, id)
			if err != nil {
				require.ErrorIs(t, err, defstore.ErrNotFound)
				st.Gets[key] = "not found"
			} else {
				st.Gets[key] = fmt.Sprintf("%+v", norm(r))
			}
		}
	}
	return st
}

// requireConflict fails unless err is a *ConflictError with these fields.
func requireConflict(t *testing.T, err error, tenant, id string, expected, current int64) {
	t.Helper()
	require.ErrorIs(t, err, defstore.ErrConflict)
	var ce *defstore.ConflictError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, defstore.ConflictError{Tenant: tenant, ID: id, Expected: expected, Current: current}, *ce)
}

// race runs f(i) for i in [0, n) in n goroutines released together.
func race(n int, f func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
}

func createStores(t *testing.T, s defstore.Store) {
	in := rec("acme", "hook-1")
	// Fields the store sets are ignored on input.
	in.Version, in.Seq = 42, 42
	in.CreatedAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	in.UpdatedAt, in.UpdatedBy = in.CreatedAt, "someone else"

	got, err := s.Create(t.Context(), in, "alice", 0)
	require.NoError(t, err)
	requireContent(t, in, got)
	require.Equal(t, int64(1), got.Version)
	require.NotZero(t, got.Seq)
	require.Equal(t, "alice", got.UpdatedBy)
	requireRecent(t, got.CreatedAt, "CreatedAt")
	require.True(t, got.UpdatedAt.Equal(got.CreatedAt), "a new definition was updated when created")
	requireSame(t, got, mustGet(t, s, "acme", "hook-1"), "Get returns what Create returned")

	h, err := s.History(t.Context(), "acme", "hook-1", 0)
	require.NoError(t, err)
	require.Len(t, h, 1)
	requireRecent(t, h[0].At, "the revision's At")
	h[0].At = time.Time{}
	require.Equal(t, defstore.Revision{Tenant: "acme", ID: "hook-1", Version: 1, Action: defstore.Created, Actor: "alice", Name: in.Name}, h[0])

	second := mustCreate(t, s, rec("acme", "hook-2"), "bob")
	require.Greater(t, second.Seq, got.Seq, "each change gets the store's next sequence number")
}

func createExists(t *testing.T, s defstore.Store) {
	first := mustCreate(t, s, rec("acme", "hook-1"), "alice")
	dup := rec("acme", "hook-1")
	dup.Name = "another name"
	_, err := s.Create(t.Context(), dup, "bob", 0)
	require.ErrorIs(t, err, defstore.ErrExists)
	require.Contains(t, err.Error(), "hook-1", "the error says which definition")
	// The id decides, whatever the name.
	_, err = s.Create(t.Context(), rec("acme", "hook-1"), "bob", 0)
	require.ErrorIs(t, err, defstore.ErrExists)
	requireSame(t, first, mustGet(t, s, "acme", "hook-1"))
}

func createNameTaken(t *testing.T, s defstore.Store) {
	mustCreate(t, s, rec("acme", "hook-1"), "alice")
	other := rec("acme", "hook-2")
	other.Name = "name of hook-1"
	_, err := s.Create(t.Context(), other, "bob", 0)
	require.ErrorIs(t, err, defstore.ErrNameTaken)
	require.Contains(t, err.Error(), "name of hook-1", "the error says which name")
	_, err = s.Get(t.Context(), "acme", "hook-2")
	require.ErrorIs(t, err, defstore.ErrNotFound)

	// Names are bytes: case and Unicode normalization make other names.
	for i, name := range []string{"Name of hook-1", "name of hook-1 ", "caf\u00e9"} {
		r := rec("acme", fmt.Sprint("other-", i))
		r.Name = name
		mustCreate(t, s, r, "bob")
	}
	r := rec("acme", "decomposed")
	r.Name = "cafe\u0301"
	mustCreate(t, s, r, "bob")

	// A deleted definition's name is free.
	require.NoError(t, s.Delete(t.Context(), "acme", "hook-1", defstore.AnyVersion, "alice"))
	other.ID = "hook-3"
	mustCreate(t, s, other, "bob")
}

func createTwoTenants(t *testing.T, s defstore.Store) {
	a := mustCreate(t, s, rec("a", "hook"), "alice")
	b := mustCreate(t, s, rec("b", "hook"), "bob")
	empty := mustCreate(t, s, rec("", "hook"), "carol")
	require.Equal(t, int64(1), b.Version, "the same id in another tenant is another definition")
	require.Equal(t, int64(1), empty.Version)

	_, err := s.Update(t.Context(), rec("b", "hook"), b.Version, "bob")
	require.NoError(t, err)
	requireSame(t, a, mustGet(t, s, "a", "hook"), "a change of b's hook is not one of a's")
	require.NoError(t, s.Delete(t.Context(), "", "hook", defstore.AnyVersion, "carol"))
	requireSame(t, a, mustGet(t, s, "a", "hook"), "a deletion in the empty tenant deletes nothing elsewhere")
}

func createLimit(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	for i := range 3 {
		_, err := s.Create(ctx, rec("acme", fmt.Sprint("hook-", i)), "alice", 3)
		require.NoError(t, err)
	}
	_, err := s.Create(ctx, rec("acme", "hook-3"), "alice", 3)
	require.ErrorIs(t, err, defstore.ErrLimit)
	_, err = s.Get(ctx, "acme", "hook-3")
	require.ErrorIs(t, err, defstore.ErrNotFound)

	// Limits are per tenant.
	_, err = s.Create(ctx, rec("other", "hook-0"), "bob", 3)
	require.NoError(t, err)
	// A higher limit, or none, lets more in.
	_, err = s.Create(ctx, rec("acme", "hook-3"), "alice", 4)
	require.NoError(t, err)
	_, err = s.Create(ctx, rec("acme", "hook-4"), "alice", 0)
	require.NoError(t, err)
	_, err = s.Create(ctx, rec("acme", "hook-5"), "alice", -1)
	require.NoError(t, err)
	_, err = s.Create(ctx, rec("acme", "hook-6"), "alice", 6)
	require.ErrorIs(t, err, defstore.ErrLimit)

	// Tombstones do not count.
	require.NoError(t, s.Delete(ctx, "acme", "hook-0", defstore.AnyVersion, "alice"))
	_, err = s.Create(ctx, rec("acme", "hook-6"), "alice", 6)
	require.NoError(t, err)
	n, err := s.Count(ctx, "acme")
	require.NoError(t, err)
	require.Equal(t, 6, n)
}

func createLimitRace(t *testing.T, s defstore.Store) {
	const goroutines, limit = 16, 5
	mustCreate(t, s, rec("acme", "existing"), "alice")
	var ok, limited atomic.Int32
	race(goroutines, func(i int) {
		_, err := s.Create(t.Context(), rec("acme", fmt.Sprint("hook-", i)), "alice", limit)
		switch {
		case err == nil:
			ok.Add(1)
		case errors.Is(err, defstore.ErrLimit):
			limited.Add(1)
		default:
			t.Errorf("Create %d: %v", i, err)
		}
	})
	require.Equal(t, int32(limit-1), ok.Load(), "exactly as many creations as the limit allows succeed")
	require.Equal(t, int32(goroutines-limit+1), limited.Load())
	n, err := s.Count(t.Context(), "acme")
	require.NoError(t, err)
	require.Equal(t, limit, n)
	require.Len(t, allList(t, s, "acme"), limit)
}

func createSameRace(t *testing.T, s defstore.Store) {
	const goroutines = 16
	var ok, exists atomic.Int32
	race(goroutines, func(i int) {
		r := rec("acme", "hook")
		r.Name = fmt.Sprint("name-", i)
		_, err := s.Create(t.Context(), r, fmt.Sprint("actor-", i), 0)
		switch {
		case err == nil:
			ok.Add(1)
		case errors.Is(err, defstore.ErrExists):
			exists.Add(1)
		default:
			t.Errorf("Create %d: %v", i, err)
		}
	})
	require.Equal(t, int32(1), ok.Load(), "one creation of an id succeeds")
	require.Equal(t, int32(goroutines-1), exists.Load())

	var named, taken atomic.Int32
	race(goroutines, func(i int) {
		r := rec("acme", fmt.Sprint("hook-", i))
		r.Name = "the name"
		_, err := s.Create(t.Context(), r, "alice", 0)
		switch {
		case err == nil:
			named.Add(1)
		case errors.Is(err, defstore.ErrNameTaken):
			taken.Add(1)
		default:
			t.Errorf("Create %d: %v", i, err)
		}
	})
	require.Equal(t, int32(1), named.Load(), "one creation of a name succeeds")
	require.Equal(t, int32(goroutines-1), taken.Load())
	n, err := s.Count(t.Context(), "acme")
	require.NoError(t, err)
	require.Equal(t, 2, n)
}

func createAfterDelete(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	first := mustCreate(t, s, rec("acme", "hook"), "alice")
	second, err := s.Update(ctx, rec("acme", "hook"), first.Version, "alice")
	require.NoError(t, err)
	require.NoError(t, s.Delete(ctx, "acme", "hook", second.Version, "bob"))

	again := rec("acme", "hook")
	again.Name = "reborn"
	got, err := s.Create(ctx, again, "carol", 0)
	require.NoError(t, err)
	require.Equal(t, int64(4), got.Version, "versions go on from the tombstone's (3, the deletion)")
	requireContent(t, again, got)
	requireSame(t, got, mustGet(t, s, "acme", "hook"))

	h, err := s.History(ctx, "acme", "hook", 0)
	require.NoError(t, err)
	require.Equal(t, []defstore.Action{defstore.Created, defstore.Deleted, defstore.Updated, defstore.Created}, actions(h))
	require.Equal(t, []int64{4, 3, 2, 1}, versions(h))
}

func actions(h []defstore.Revision) []defstore.Action {
	out := make([]defstore.Action, len(h))
	for i, r := range h {
		out[i] = r.Action
	}
	return out
}

func versions(h []defstore.Revision) []int64 {
	out := make([]int64, len(h))
	for i, r := range h {
		out[i] = r.Version
	}
	return out
}

func updateReplaces(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	created := mustCreate(t, s, rec("acme", "hook"), "alice")
	in := defstore.Record{
		Tenant: "acme", ID: "hook", Name: "renamed", Active: false,
		Triggers:   []string{"RequestExpired"},
		Definition: []byte(`{"url":"https://example.com/changed"}`),
		// Fields the store sets are ignored on input.
		Version: 99, Seq: 99, UpdatedBy: "mallory",
		CreatedAt: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	got, err := s.Update(ctx, in, created.Version, "bob")
	require.NoError(t, err)
	requireContent(t, in, got)
	require.Nil(t, norm(got).Secrets, "nil secrets replace the old ones")
	require.Equal(t, int64(2), got.Version)
	require.Greater(t, got.Seq, created.Seq)
	require.Equal(t, "bob", got.UpdatedBy)
	require.True(t, normTime(got.CreatedAt).Equal(normTime(created.CreatedAt)), "CreatedAt stays")
	require.False(t, normTime(got.UpdatedAt).Before(normTime(created.UpdatedAt)), "UpdatedAt moves forward")
	requireSame(t, got, mustGet(t, s, "acme", "hook"))

	// The old name is free, the new one taken.
	old := rec("acme", "other")
	old.Name = "name of hook"
	mustCreate(t, s, old, "carol")
	clash := rec("acme", "third")
	clash.Name = "renamed"
	_, err = s.Create(ctx, clash, "carol", 0)
	require.ErrorIs(t, err, defstore.ErrNameTaken)

	// Updating a definition under its own name is no clash.
	got, err = s.Update(ctx, in, got.Version, "bob")
	require.NoError(t, err)
	require.Equal(t, int64(3), got.Version)
}

func updateAnyVersion(t *testing.T, s defstore.Store) {
	mustCreate(t, s, rec("acme", "hook"), "alice")
	for want := int64(2); want <= 4; want++ {
		got, err := s.Update(t.Context(), rec("acme", "hook"), defstore.AnyVersion, "bob")
		require.NoError(t, err)
		require.Equal(t, want, got.Version)
	}
	require.NoError(t, s.ReplaceSecrets(t.Context(), "acme", "hook", defstore.AnyVersion, []byte("x"), "carol"))
	require.NoError(t, s.Delete(t.Context(), "acme", "hook", defstore.AnyVersion, "dave"))
}

func updateConflict(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	v1 := mustCreate(t, s, rec("acme", "hook"), "alice")
	v2, err := s.Update(ctx, rec("acme", "hook"), v1.Version, "bob")
	require.NoError(t, err)

	changed := rec("acme", "hook")
	changed.Name = "stale"
	_, err = s.Update(ctx, changed, v1.Version, "carol")
	requireConflict(t, err, "acme", "hook", 1, 2)
	_, err = s.Update(ctx, changed, 7, "carol")
	requireConflict(t, err, "acme", "hook", 7, 2)
	requireSame(t, v2, mustGet(t, s, "acme", "hook"), "a conflicting update changes nothing")

	// A deleted definition is at version 0 for the caller.
	require.NoError(t, s.Delete(ctx, "acme", "hook", v2.Version, "dave"))
	_, err = s.Update(ctx, changed, v2.Version, "carol")
	requireConflict(t, err, "acme", "hook", 2, 0)
	require.Contains(t, err.Error(), "deleted")
	_, err = s.Update(ctx, changed, defstore.AnyVersion, "carol")
	require.ErrorIs(t, err, defstore.ErrNotFound)
	require.NotErrorIs(t, err, defstore.ErrConflict)
}

func updateNotFound(t *testing.T, s defstore.Store) {
	mustCreate(t, s, rec("other", "hook"), "alice")
	for _, version := range []int64{defstore.AnyVersion, 1} {
		_, err := s.Update(t.Context(), rec("acme", "hook"), version, "bob")
		require.ErrorIs(t, err, defstore.ErrNotFound, "version %d", version)
		require.Contains(t, err.Error(), "hook", "the error says which definition")
	}
	_, err := s.Get(t.Context(), "acme", "hook")
	require.ErrorIs(t, err, defstore.ErrNotFound, "a failed update creates nothing")
}

func updateNameTaken(t *testing.T, s defstore.Store) {
	mustCreate(t, s, rec("acme", "hook-1"), "alice")
	h2 := mustCreate(t, s, rec("acme", "hook-2"), "alice")
	in := rec("acme", "hook-2")
	in.Name = "name of hook-1"
	_, err := s.Update(t.Context(), in, h2.Version, "bob")
	require.ErrorIs(t, err, defstore.ErrNameTaken)
	require.Contains(t, err.Error(), "name of hook-1")
	requireSame(t, h2, mustGet(t, s, "acme", "hook-2"))

	// Another tenant's names and deleted definitions' names are free.
	mustCreate(t, s, rec("other", "hook-3"), "carol")
	in.Name = "name of hook-3"
	_, err = s.Update(t.Context(), in, h2.Version, "bob")
	require.NoError(t, err)
}

func updateRace(t *testing.T, s defstore.Store) {
	const goroutines = 16
	created := mustCreate(t, s, rec("acme", "hook"), "alice")
	var won atomic.Int32
	var winner atomic.Value
	race(goroutines, func(i int) {
		in := rec("acme", "hook")
		in.Name = fmt.Sprint("name-", i)
		got, err := s.Update(t.Context(), in, created.Version, fmt.Sprint("actor-", i))
		if err == nil {
			won.Add(1)
			winner.Store(got)
			return
		}
		var ce *defstore.ConflictError
		if !errors.As(err, &ce) || *ce != (defstore.ConflictError{Tenant: "acme", ID: "hook", Expected: 1, Current: 2}) {
			t.Errorf("Update %d: %v, want a conflict at version 2", i, err)
		}
	})
	require.Equal(t, int32(1), won.Load(), "exactly one update from version 1 wins")
	requireSame(t, winner.Load().(defstore.Record), mustGet(t, s, "acme", "hook"))
	h, err := s.History(t.Context(), "acme", "hook", 0)
	require.NoError(t, err)
	require.Len(t, h, 2)
}

func deleteTombstone(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	created := mustCreate(t, s, rec("acme", "hook"), "alice")
	kept := mustCreate(t, s, rec("acme", "kept"), "alice")
	require.NoError(t, s.Delete(ctx, "acme", "hook", created.Version, "bob"))

	_, err := s.Get(ctx, "acme", "hook")
	require.ErrorIs(t, err, defstore.ErrNotFound)
	require.Contains(t, err.Error(), "hook")
	require.Equal(t, []defstore.Record{norm(kept)}, allList(t, s, "acme"))
	n, err := s.Count(ctx, "acme")
	require.NoError(t, err)
	require.Equal(t, 1, n)

	changes := allChanges(t, s)
	require.Len(t, changes, 2)
	del := changes[1]
	require.Greater(t, del.Seq, kept.Seq)
	require.Equal(t, defstore.Change{Seq: del.Seq, Tenant: "acme", ID: "hook", Version: 2, Deleted: true}, del)

	h, err := s.History(ctx, "acme", "hook", 0)
	require.NoError(t, err)
	require.Len(t, h, 2)
	requireRecent(t, h[0].At, "the deletion's At")
	h[0].At = time.Time{}
	require.Equal(t, defstore.Revision{Tenant: "acme", ID: "hook", Version: 2, Action: defstore.Deleted, Actor: "bob", Name: "name of hook"}, h[0],
		"a deletion's revision names the definition as it was")
}

func deleteFails(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	v1 := mustCreate(t, s, rec("acme", "hook"), "alice")
	_, err := s.Update(ctx, rec("acme", "hook"), v1.Version, "alice")
	require.NoError(t, err)

	requireConflict(t, s.Delete(ctx, "acme", "hook", 1, "bob"), "acme", "hook", 1, 2)
	mustGet(t, s, "acme", "hook")

	err = s.Delete(ctx, "acme", "nothing", defstore.AnyVersion, "bob")
	require.ErrorIs(t, err, defstore.ErrNotFound)
	require.Contains(t, err.Error(), "nothing")
	require.ErrorIs(t, s.Delete(ctx, "other", "hook", defstore.AnyVersion, "bob"), defstore.ErrNotFound)

	require.NoError(t, s.Delete(ctx, "acme", "hook", 2, "bob"))
	requireConflict(t, s.Delete(ctx, "acme", "hook", 2, "bob"), "acme", "hook", 2, 0)
	require.ErrorIs(t, s.Delete(ctx, "acme", "hook", defstore.AnyVersion, "bob"), defstore.ErrNotFound)
	require.Len(t, allChanges(t, s), 1, "failed deletions are no changes")
}

func deleteRace(t *testing.T, s defstore.Store) {
	const goroutines = 16
	created := mustCreate(t, s, rec("acme", "hook"), "alice")
	var won atomic.Int32
	race(goroutines, func(i int) {
		err := s.Delete(t.Context(), "acme", "hook", created.Version, fmt.Sprint("actor-", i))
		if err == nil {
			won.Add(1)
			return
		}
		var ce *defstore.ConflictError
		if !errors.As(err, &ce) || *ce != (defstore.ConflictError{Tenant: "acme", ID: "hook", Expected: 1, Current: 0}) {
			t.Errorf("Delete %d: %v, want a conflict with a deletion", i, err)
		}
	})
	require.Equal(t, int32(1), won.Load(), "exactly one deletion wins")
	h, err := s.History(t.Context(), "acme", "hook", 0)
	require.NoError(t, err)
	require.Equal(t, []defstore.Action{defstore.Deleted, defstore.Created}, actions(h))
}

func resealKeeps(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	created := mustCreate(t, s, rec("acme", "hook"), "alice")
	sealed := []byte("sealed under the new key \x00\xff")
	require.NoError(t, s.ReplaceSecrets(ctx, "acme", "hook", created.Version, sealed, "rotator"))

	got := mustGet(t, s, "acme", "hook")
	require.Equal(t, sealed, got.Secrets)
	require.Equal(t, created.Version, got.Version, "resealing is no new version")
	require.Greater(t, got.Seq, created.Seq, "resealing is a change")
	require.Equal(t, "rotator", got.UpdatedBy)
	want := created
	want.Secrets, want.Seq, want.UpdatedAt, want.UpdatedBy = sealed, got.Seq, got.UpdatedAt, "rotator"
	requireSame(t, want, got, "resealing changes nothing else")

	changes := allChanges(t, s)
	require.Len(t, changes, 1)
	require.Equal(t, got.Seq, changes[0].Seq)
	require.NotNil(t, changes[0].Record)
	requireSame(t, got, *changes[0].Record)

	h, err := s.History(ctx, "acme", "hook", 0)
	require.NoError(t, err)
	require.Len(t, h, 2)
	h[0].At = time.Time{}
	require.Equal(t, defstore.Revision{Tenant: "acme", ID: "hook", Version: 1, Action: defstore.Resealed, Actor: "rotator", Name: "name of hook"}, h[0])

	// Nil secrets are secrets too; the version read is still the one.
	require.NoError(t, s.ReplaceSecrets(ctx, "acme", "hook", 1, nil, "rotator"))
	require.Nil(t, norm(mustGet(t, s, "acme", "hook")).Secrets)
	updated, err := s.Update(ctx, rec("acme", "hook"), 1, "bob")
	require.NoError(t, err)
	require.Equal(t, int64(2), updated.Version)
}

func resealFails(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	v1 := mustCreate(t, s, rec("acme", "hook"), "alice")
	v2, err := s.Update(ctx, rec("acme", "hook"), v1.Version, "bob")
	require.NoError(t, err)
	requireConflict(t, s.ReplaceSecrets(ctx, "acme", "hook", 1, []byte("x"), "rotator"), "acme", "hook", 1, 2)
	requireSame(t, v2, mustGet(t, s, "acme", "hook"))

	err = s.ReplaceSecrets(ctx, "acme", "nothing", defstore.AnyVersion, []byte("x"), "rotator")
	require.ErrorIs(t, err, defstore.ErrNotFound)
	require.Contains(t, err.Error(), "nothing")
	require.NoError(t, s.Delete(ctx, "acme", "hook", 2, "bob"))
	requireConflict(t, s.ReplaceSecrets(ctx, "acme", "hook", 2, []byte("x"), "rotator"), "acme", "hook", 2, 0)
	require.ErrorIs(t, s.ReplaceSecrets(ctx, "acme", "hook", defstore.AnyVersion, []byte("x"), "rotator"), defstore.ErrNotFound)
}

func resetKeeps(t *testing.T, s defstore.Store) {
	rs, ok := s.(defstore.Resetter)
	if !ok {
		t.Skipf("%T is no defstore.Resetter", s)
	}
	ctx := t.Context()
	created := mustCreate(t, s, rec("acme", "hook"), "alice")
	require.Zero(t, created.BreakerReset)
	reset, err := rs.ResetBreaker(ctx, "acme", "hook", "ops")
	require.NoError(t, err)
	require.Greater(t, reset.Seq, created.Seq, "a reset is a change")
	require.Equal(t, reset.Seq, reset.BreakerReset)
	want := created
	want.Seq, want.BreakerReset, want.UpdatedAt, want.UpdatedBy = reset.Seq, reset.Seq, reset.UpdatedAt, "ops"
	requireSame(t, want, reset, "a reset changes nothing else")
	requireSame(t, reset, mustGet(t, s, "acme", "hook"))
	changes := allChanges(t, s)
	require.Len(t, changes, 1)
	requireSame(t, reset, *changes[0].Record)

	h, err := s.History(ctx, "acme", "hook", 1)
	require.NoError(t, err)
	h[0].At = time.Time{}
	require.Equal(t, defstore.Revision{Tenant: "acme", ID: "hook", Version: 1, Action: defstore.BreakerReset, Actor: "ops", Name: "name of hook"}, h[0])

	// Kept by Update and ReplaceSecrets; input ignored; a new life starts
	// with none.
	in := rec("acme", "hook")
	in.BreakerReset = 1 << 40
	updated, err := s.Update(ctx, in, defstore.AnyVersion, "bob")
	require.NoError(t, err)
	require.Equal(t, reset.Seq, updated.BreakerReset)
	require.NoError(t, s.ReplaceSecrets(ctx, "acme", "hook", defstore.AnyVersion, []byte("x"), "rotator"))
	require.Equal(t, reset.Seq, mustGet(t, s, "acme", "hook").BreakerReset)
	require.NoError(t, s.Delete(ctx, "acme", "hook", defstore.AnyVersion, "bob"))
	_, err = rs.ResetBreaker(ctx, "acme", "hook", "ops")
	require.ErrorIs(t, err, defstore.ErrNotFound)
	again := mustCreate(t, s, in, "alice")
	require.Zero(t, again.BreakerReset)
}

func getNotFound(t *testing.T, s defstore.Store) {
	mustCreate(t, s, rec("acme", "hook"), "alice")
	for _, key := range [][2]string{{"acme", "nothing"}, {"other", "hook"}, {"", "hook"}, {"acme", "Hook"}, {"acme", ""}} {
		_, err := s.Get(t.Context(), key[0], key[1])
		require.ErrorIs(t, err, defstore.ErrNotFound, "%q/%q", key[0], key[1])
	}
}

// byteOrderIDs are ids whose byte order differs from most collations'.
var byteOrderIDs = []string{"b", "B", "a", "A", "ä", "a-b", "a_b", "a.b", "a b", "10", "9", "Z", "z", "é", "e\u0301", "日本", "~", "a\u00a0"}

func listPages(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	for _, id := range byteOrderIDs {
		mustCreate(t, s, rec("acme", id), "alice")
	}
	mustCreate(t, s, rec("acme-other", "0"), "alice")
	mustCreate(t, s, rec("", "0"), "alice")
	want := slices.Clone(byteOrderIDs)
	slices.Sort(want)

	for _, limit := range []int{1, 3, 5, len(want) - 1, len(want), len(want) + 1, 1000} {
		var ids []string
		after := ""
		for pages := 0; ; pages++ {
			require.Less(t, pages, len(want)+1, "List ends")
			page, err := s.List(ctx, "acme", defstore.ListOptions{After: after, Limit: limit})
			require.NoError(t, err)
			require.LessOrEqual(t, len(page.Records), limit)
			for _, r := range page.Records {
				ids = append(ids, r.ID)
				requireSame(t, mustGet(t, s, "acme", r.ID), r, "List returns the records as Get does")
			}
			if page.Next == "" {
				break
			}
			require.Len(t, page.Records, limit, "only the last page is short")
			after = page.Next
		}
		require.Equal(t, want, ids, "limit %d: every definition once, in byte order of ids", limit)
	}

	page, err := s.List(ctx, "acme", defstore.ListOptions{Limit: len(want)})
	require.NoError(t, err)
	require.Empty(t, page.Next, "the page holding the last definition is the last")

	page, err = s.List(ctx, "nobody", defstore.ListOptions{})
	require.NoError(t, err)
	require.Empty(t, page.Records)
	require.Empty(t, page.Next)
}

func listDefaultLimit(t *testing.T, s defstore.Store) {
	for i := range 101 {
		mustCreate(t, s, rec("acme", fmt.Sprintf("hook-%03d", i)), "alice")
	}
	for _, limit := range []int{0, -1} {
		page, err := s.List(t.Context(), "acme", defstore.ListOptions{Limit: limit})
		require.NoError(t, err)
		require.Len(t, page.Records, 100)
		require.NotEmpty(t, page.Next)
		page, err = s.List(t.Context(), "acme", defstore.ListOptions{After: page.Next, Limit: limit})
		require.NoError(t, err)
		require.Len(t, page.Records, 1)
		require.Equal(t, "hook-100", page.Records[0].ID)
		require.Empty(t, page.Next)
	}
}

func listCursorAcrossWrites(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	for _, id := range []string{"b", "d", "f", "h"} {
		mustCreate(t, s, rec("acme", id), "alice")
	}
	page, err := s.List(ctx, "acme", defstore.ListOptions{Limit: 2})
	require.NoError(t, err)
	require.Equal(t, []string{"b", "d"}, ids(page.Records))

	// Writes before the cursor are not seen; after it, they are.
	mustCreate(t, s, rec("acme", "a"), "alice")
	mustCreate(t, s, rec("acme", "e"), "alice")
	require.NoError(t, s.Delete(ctx, "acme", "d", defstore.AnyVersion, "bob"))
	require.NoError(t, s.Delete(ctx, "acme", "f", defstore.AnyVersion, "bob"))
	page, err = s.List(ctx, "acme", defstore.ListOptions{After: page.Next, Limit: 2})
	require.NoError(t, err)
	require.Equal(t, []string{"e", "h"}, ids(page.Records), "the cursor of a deleted definition still works")
	require.Empty(t, page.Next)
}

func ids(rs []defstore.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func countTenant(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	count := func(tenant string) int {
		n, err := s.Count(ctx, tenant)
		require.NoError(t, err)
		return n
	}
	require.Equal(t, 0, count("acme"))
	for i := range 5 {
		mustCreate(t, s, rec("acme", fmt.Sprint(i)), "alice")
	}
	mustCreate(t, s, rec("other", "0"), "alice")
	require.Equal(t, 5, count("acme"))
	require.Equal(t, 1, count("other"))
	require.Equal(t, 0, count(""))
	_, err := s.Update(ctx, rec("acme", "0"), defstore.AnyVersion, "bob")
	require.NoError(t, err)
	require.Equal(t, 5, count("acme"), "an update adds nothing")
	require.NoError(t, s.Delete(ctx, "acme", "0", defstore.AnyVersion, "bob"))
	require.Equal(t, 4, count("acme"))
	mustCreate(t, s, rec("acme", "0"), "alice")
	require.Equal(t, 5, count("acme"))
}

func changesLast(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	mustCreate(t, s, rec("a", "1"), "alice")
	mustCreate(t, s, rec("b", "1"), "alice")
	mustCreate(t, s, rec("a", "2"), "alice")
	mustCreate(t, s, rec("a", "3"), "alice")
	_, err := s.Update(ctx, rec("a", "1"), defstore.AnyVersion, "bob")
	require.NoError(t, err)
	last, err := s.Update(ctx, rec("a", "1"), defstore.AnyVersion, "bob")
	require.NoError(t, err)
	require.NoError(t, s.Delete(ctx, "a", "2", defstore.AnyVersion, "bob"))
	require.NoError(t, s.ReplaceSecrets(ctx, "b", "1", defstore.AnyVersion, []byte("s"), "rotator"))

	changes := allChanges(t, s)
	type entry struct {
		tenant, id string
		version    int64
		deleted    bool
	}
	var got []entry
	for _, c := range changes {
		got = append(got, entry{c.Tenant, c.ID, c.Version, c.Deleted})
		if c.Deleted {
			require.Nil(t, c.Record)
			continue
		}
		require.NotNil(t, c.Record)
		require.Equal(t, c.Seq, c.Record.Seq)
		require.Equal(t, c.Version, c.Record.Version)
		requireSame(t, mustGet(t, s, c.Tenant, c.ID), *c.Record, "a change holds the record as it is")
	}
	require.Equal(t, []entry{
		{"a", "3", 1, false},
		{"a", "1", 3, false},
		{"a", "2", 2, true},
		{"b", "1", 1, false},
	}, got, "one entry per definition, ordered by its last change")
	require.Equal(t, last.Seq, changes[1].Seq)
}

func changesPaging(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	for i := range 10 {
		mustCreate(t, s, rec(fmt.Sprint("t", i%3), fmt.Sprint(i)), "alice")
	}
	require.NoError(t, s.Delete(ctx, "t0", "0", defstore.AnyVersion, "bob"))
	all := allChanges(t, s)
	require.Len(t, all, 10, "tombstones included")

	for _, limit := range []int{1, 2, 3, 9, 10, 11} {
		var got []defstore.Change
		var after uint64
		for {
			page, err := s.Changes(ctx, after, limit)
			require.NoError(t, err)
			require.LessOrEqual(t, len(page), limit)
			if len(page) == 0 {
				break
			}
			for _, c := range page {
				got = append(got, normChange(c))
			}
			after = page[len(page)-1].Seq
		}
		require.Equal(t, all, got, "limit %d", limit)
	}

	// After a cursor: exactly the changes with a greater Seq.
	for i, c := range all {
		page, err := s.Changes(ctx, c.Seq, 1000)
		require.NoError(t, err)
		require.Len(t, page, len(all)-i-1, "after %d", c.Seq)
		page, err = s.Changes(ctx, c.Seq-1, 1)
		require.NoError(t, err)
		require.Len(t, page, 1)
		require.Equal(t, c, normChange(page[0]), "after %d", c.Seq-1)
	}
	page, err := s.Changes(ctx, all[len(all)-1].Seq, 10)
	require.NoError(t, err)
	require.Empty(t, page, "nothing after the last change")

	// A definition changed between two pages moves after the cursor.
	first, err := s.Changes(ctx, 0, 3)
	require.NoError(t, err)
	moved, err := s.Update(ctx, *first[0].Record, defstore.AnyVersion, "carol")
	require.NoError(t, err)
	rest, err := s.Changes(ctx, first[2].Seq, 1000)
	require.NoError(t, err)
	require.Len(t, rest, len(all)-2)
	require.Equal(t, moved.Seq, rest[len(rest)-1].Seq)
	require.Equal(t, first[0].ID, rest[len(rest)-1].ID)
}

func changesDefaultLimit(t *testing.T, s defstore.Store) {
	for i := range 1001 {
		mustCreate(t, s, rec(fmt.Sprint("tenant-", i%50), fmt.Sprint(i)), "alice")
	}
	for _, limit := range []int{0, -1} {
		page, err := s.Changes(t.Context(), 0, limit)
		require.NoError(t, err)
		require.Len(t, page, 1000)
	}
}

func historyNewestFirst(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	created := mustCreate(t, s, rec("acme", "hook"), "alice")
	in := rec("acme", "hook")
	in.Name = "renamed"
	_, err := s.Update(ctx, in, created.Version, "bob")
	require.NoError(t, err)
	require.NoError(t, s.ReplaceSecrets(ctx, "acme", "hook", 2, []byte("s"), "rotator"))
	require.NoError(t, s.Delete(ctx, "acme", "hook", 2, "carol"))
	mustCreate(t, s, rec("other", "hook"), "mallory")

	h, err := s.History(ctx, "acme", "hook", 0)
	require.NoError(t, err)
	require.Len(t, h, 4)
	for i := range h {
		requireRecent(t, h[i].At, "At")
		if i > 0 {
			require.False(t, h[i-1].At.Before(h[i].At), "newest first")
		}
	}
	for i := range h {
		h[i].At = time.Time{}
	}
	require.Equal(t, []defstore.Revision{
		{Tenant: "acme", ID: "hook", Version: 3, Action: defstore.Deleted, Actor: "carol", Name: "renamed"},
		{Tenant: "acme", ID: "hook", Version: 2, Action: defstore.Resealed, Actor: "rotator", Name: "renamed"},
		{Tenant: "acme", ID: "hook", Version: 2, Action: defstore.Updated, Actor: "bob", Name: "renamed"},
		{Tenant: "acme", ID: "hook", Version: 1, Action: defstore.Created, Actor: "alice", Name: "name of hook"},
	}, h)

	h, err = s.History(ctx, "acme", "never", 0)
	require.NoError(t, err)
	require.Empty(t, h, "no history of what never existed")
}

func historyLimit(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	mustCreate(t, s, rec("acme", "hook"), "alice")
	for i := range 104 {
		_, err := s.Update(ctx, rec("acme", "hook"), defstore.AnyVersion, fmt.Sprint("actor-", i))
		require.NoError(t, err)
	}
	for _, limit := range []int{0, -1} {
		h, err := s.History(ctx, "acme", "hook", limit)
		require.NoError(t, err)
		require.Len(t, h, 100)
		require.Equal(t, int64(105), h[0].Version)
		require.Equal(t, int64(6), h[99].Version)
	}
	h, err := s.History(ctx, "acme", "hook", 3)
	require.NoError(t, err)
	require.Equal(t, []int64{105, 104, 103}, versions(h))
	require.Equal(t, "actor-103", h[0].Actor)
}

// notifications counts the calls of a Subscribe's notify and wakes a
// waiter after each.
type notifications struct {
	n    atomic.Int64
	wake chan struct{}
}

func subscribe(t *testing.T, s defstore.Store) (*notifications, func()) {
	t.Helper()
	c := &notifications{wake: make(chan struct{}, 1)}
	cancel, err := s.Subscribe(func() {
		c.n.Add(1)
		select {
		case c.wake <- struct{}{}:
		default:
		}
	})
	require.NoError(t, err)
	t.Cleanup(cancel)
	return c, cancel
}

// waitAfter waits until notify is called after the call that made the
// count n.
func (c *notifications) waitAfter(t *testing.T, n int64, what string) {
	t.Helper()
	require.Eventually(t, func() bool { return c.n.Load() > n }, WaitTimeout, time.Millisecond, "notified after %s", what)
}

func subscribeNotifies(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	c, _ := subscribe(t, s)
	writes := []struct {
		what  string
		write func() error
	}{
		{"Create", func() error { _, err := s.Create(ctx, rec("acme", "hook"), "alice", 0); return err }},
		{"Update", func() error { _, err := s.Update(ctx, rec("acme", "hook"), 1, "bob"); return err }},
		{"ReplaceSecrets", func() error { return s.ReplaceSecrets(ctx, "acme", "hook", 2, []byte("s"), "rotator") }},
		{"Delete", func() error { return s.Delete(ctx, "acme", "hook", 2, "carol") }},
	}
	var after uint64
	for _, w := range writes {
		n := c.n.Load()
		require.NoError(t, w.write())
		c.waitAfter(t, n, w.what)
		// What the notification announced is there to read.
		changes, err := s.Changes(ctx, after, 0)
		require.NoError(t, err)
		require.Len(t, changes, 1, w.what)
		after = changes[0].Seq
	}
}

func subscribeCancel(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	c, cancel := subscribe(t, s)
	mustCreate(t, s, rec("acme", "hook-1"), "alice")
	c.waitAfter(t, 0, "a write")
	cancel()
	cancel() // safe twice

	// A notification in progress when cancel returned may still come:
	// one write and a second subscriber's notification after it let it.
	witness, _ := subscribe(t, s)
	mustCreate(t, s, rec("acme", "hook-2"), "alice")
	witness.waitAfter(t, 0, "a write")
	n := c.n.Load()
	for i := range 5 {
		w := witness.n.Load()
		_, err := s.Update(ctx, rec("acme", "hook-1"), defstore.AnyVersion, fmt.Sprint("bob-", i))
		require.NoError(t, err)
		witness.waitAfter(t, w, "an update")
	}
	require.Equal(t, n, c.n.Load(), "no notification after cancel")
}

// followed is what a follower knows of a definition.
type followed struct {
	Seq     uint64
	Version int64
	Deleted bool
}

func subscribeFollower(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	const writers, writes = 4, 100
	tenants := []string{"", "a", "b"}
	ids := []string{"1", "2", "3", "4", "5"}

	// Definitions before the follower starts, which it reads first.
	for _, tenant := range tenants {
		for _, id := range append([]string{"0"}, ids...) {
			mustCreate(t, s, rec(tenant, id), "seed")
		}
	}

	c, _ := subscribe(t, s)
	var (
		mu   sync.Mutex
		seen = map[string]followed{}
	)
	stop := make(chan struct{})
	followerDone := make(chan struct{})
	go func() {
		defer close(followerDone)
		var after uint64
		for {
			for {
				page, err := s.Changes(ctx, after, 5)
				if err != nil {
					t.Errorf("Changes after %d: %v", after, err)
					return
				}
				if len(page) == 0 {
					break
				}
				mu.Lock()
				for _, ch := range page {
					if ch.Seq <= after {
						t.Errorf("Changes after %d returned %d", after, ch.Seq)
					}
					after = ch.Seq
					key := ch.Tenant + "\x00" + ch.ID
					if prev, ok := seen[key]; ok && (ch.Version < prev.Version || ch.Seq <= prev.Seq) {
						t.Errorf("%q went back from %+v to version %d seq %d", key, prev, ch.Version, ch.Seq)
					}
					if !ch.Deleted && (ch.Record == nil || ch.Record.Version != ch.Version || ch.Record.Seq != ch.Seq) {
						t.Errorf("change %+v does not hold its record", ch)
					}
					seen[key] = followed{ch.Seq, ch.Version, ch.Deleted}
				}
				mu.Unlock()
			}
			select {
			case <-c.wake:
			case <-stop:
				return
			}
		}
	}()
	defer func() {
		close(stop)
		<-followerDone
	}()
	c.wake <- struct{}{} // read what is there already

	race(writers, func(w int) {
		rng := rand.New(rand.NewPCG(uint64(w), 16))
		for i := range writes {
			tenant, id := tenants[rng.IntN(len(tenants))], ids[rng.IntN(len(ids))]
			actor := fmt.Sprintf("writer-%d-%d", w, i)
			var err error
			switch rng.IntN(4) {
			case 0:
				_, err = s.Create(ctx, rec(tenant, id), actor, 0)
			case 1:
				_, err = s.Update(ctx, rec(tenant, id), defstore.AnyVersion, actor)
			case 2:
				err = s.Delete(ctx, tenant, id, defstore.AnyVersion, actor)
			case 3:
				err = s.ReplaceSecrets(ctx, tenant, id, defstore.AnyVersion, []byte(actor), actor)
			}
			if err != nil && !errors.Is(err, defstore.ErrExists) && !errors.Is(err, defstore.ErrNotFound) {
				t.Errorf("%s: %v", actor, err)
			}
		}
	})

	want := map[string]followed{}
	for _, ch := range allChanges(t, s) {
		want[ch.Tenant+"\x00"+ch.ID] = followed{ch.Seq, ch.Version, ch.Deleted}
		if !ch.Deleted {
			got := mustGet(t, s, ch.Tenant, ch.ID)
			require.Equal(t, ch.Version, got.Version)
		}
	}
	require.Len(t, want, len(tenants)*(len(ids)+1))
	ok := assert.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == len(want) && fmt.Sprint(seen) == fmt.Sprint(want)
	}, WaitTimeout, time.Millisecond, "the follower ends with every definition's last change")
	if !ok {
		mu.Lock()
		defer mu.Unlock()
		require.Equal(t, want, seen)
	}
}

func failedWritesChangeNothing(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	tenants := []string{"acme", "other"}
	hookIDs := []string{"hook-1", "hook-2", "gone", "nothing"}
	h1 := mustCreate(t, s, rec("acme", "hook-1"), "alice")
	mustCreate(t, s, rec("acme", "hook-2"), "alice")
	mustCreate(t, s, rec("acme", "gone"), "alice")
	require.NoError(t, s.Delete(ctx, "acme", "gone", defstore.AnyVersion, "alice"))
	mustCreate(t, s, rec("other", "hook-1"), "alice")
	_, err := s.Update(ctx, rec("acme", "hook-1"), h1.Version, "bob")
	require.NoError(t, err)

	named := func(id, name string) defstore.Record {
		r := rec("acme", id)
		r.Name = name
		return r
	}
	failures := []struct {
		what  string
		write func() error
		want  error
	}{
		{"Create of an existing id", func() error { _, err := s.Create(ctx, named("hook-1", "x"), "m", 0); return err }, defstore.ErrExists},
		{"Create of a taken name", func() error { _, err := s.Create(ctx, named("new", "name of hook-2"), "m", 0); return err }, defstore.ErrNameTaken},
		{"Create over the limit", func() error { _, err := s.Create(ctx, rec("acme", "new"), "m", 2); return err }, defstore.ErrLimit},
		{"Update of a stale version", func() error { _, err := s.Update(ctx, named("hook-1", "x"), 1, "m"); return err }, defstore.ErrConflict},
		{"Update to a taken name", func() error { _, err := s.Update(ctx, named("hook-1", "name of hook-2"), 2, "m"); return err }, defstore.ErrNameTaken},
		{"Update of nothing", func() error { _, err := s.Update(ctx, rec("acme", "nothing"), 0, "m"); return err }, defstore.ErrNotFound},
		{"Update of a deleted definition", func() error { _, err := s.Update(ctx, rec("acme", "gone"), 0, "m"); return err }, defstore.ErrNotFound},
		{"Delete of a stale version", func() error { return s.Delete(ctx, "acme", "hook-1", 1, "m") }, defstore.ErrConflict},
		{"Delete of nothing", func() error { return s.Delete(ctx, "acme", "nothing", 0, "m") }, defstore.ErrNotFound},
		{"Delete of a deleted definition", func() error { return s.Delete(ctx, "acme", "gone", 1, "m") }, defstore.ErrConflict},
		{"ReplaceSecrets of a stale version", func() error { return s.ReplaceSecrets(ctx, "acme", "hook-1", 1, []byte("x"), "m") }, defstore.ErrConflict},
		{"ReplaceSecrets of nothing", func() error { return s.ReplaceSecrets(ctx, "acme", "nothing", 0, []byte("x"), "m") }, defstore.ErrNotFound},
	}
	before := snapshot(t, s, tenants, hookIDs)
	for _, f := range failures {
		require.ErrorIs(t, f.write(), f.want, f.what)
		require.Equal(t, before, snapshot(t, s, tenants, hookIDs), "%s changed the store", f.what)
	}
	// The next change follows the last one that succeeded.
	next := mustCreate(t, s, rec("acme", "next"), "alice")
	require.Greater(t, next.Seq, before.Changes[len(before.Changes)-1].Seq)
}

func doneContext(t *testing.T, s defstore.Store) {
	mustCreate(t, s, rec("acme", "hook"), "alice")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	writes := map[string]func() error{
		"Create": func() error { _, err := s.Create(ctx, rec("acme", "new"), "m", 0); return err },
		"Update": func() error { _, err := s.Update(ctx, rec("acme", "hook"), 0, "m"); return err },
		"Delete": func() error { return s.Delete(ctx, "acme", "hook", 0, "m") },
		"ReplaceSecrets": func() error {
			return s.ReplaceSecrets(ctx, "acme", "hook", 0, []byte("x"), "m")
		},
	}
	before := snapshot(t, s, []string{"acme"}, []string{"hook", "new"})
	for what, write := range writes {
		require.ErrorIs(t, write(), context.Canceled, what)
		require.Equal(t, before, snapshot(t, s, []string{"acme"}, []string{"hook", "new"}), "%s changed the store", what)
	}
}

func seqUnique(t *testing.T, s defstore.Store) {
	const writers, writes = 8, 25
	seqs := make([][]uint64, writers)
	race(writers, func(w int) {
		tenant := fmt.Sprint("tenant-", w%3)
		for i := range writes {
			id := fmt.Sprintf("w%d-%d", w, i%5)
			var got defstore.Record
			var err error
			if i < 5 {
				got, err = s.Create(t.Context(), rec(tenant, id), "alice", 0)
			} else {
				got, err = s.Update(t.Context(), rec(tenant, id), defstore.AnyVersion, "bob")
			}
			if err != nil {
				t.Errorf("writer %d, write %d: %v", w, i, err)
				return
			}
			if n := len(seqs[w]); n > 0 && got.Seq <= seqs[w][n-1] {
				t.Errorf("writer %d: seq %d after %d", w, got.Seq, seqs[w][n-1])
			}
			seqs[w] = append(seqs[w], got.Seq)
		}
	})
	all := slices.Concat(seqs...)
	slices.Sort(all)
	require.Len(t, slices.Compact(slices.Clone(all)), writers*writes, "every change has its own sequence number")

	changes := allChanges(t, s)
	require.Len(t, changes, writers*5)
	for _, c := range changes {
		require.Contains(t, all, c.Seq)
	}
	require.Equal(t, all[len(all)-1], changes[len(changes)-1].Seq, "the last change committed is last")
}

func tenantIsolation(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	// Tenants that a careless key (concatenation, prefix, LIKE pattern,
	// case folding) would confuse.
	tenants := []string{"", "a", "A", "a ", "ab", "a/b", "a%", "a_", "a\\", "ä"}
	for i, tenant := range tenants {
		for j := range i + 1 {
			r := rec(tenant, fmt.Sprint("hook-", j))
			r.Definition = []byte(fmt.Sprintf(`{"tenant":%q}`, tenant))
			mustCreate(t, s, r, "owner of "+tenant)
		}
	}
	// Ids that would be another tenant's under concatenation.
	mustCreate(t, s, rec("a", "b/hook-0"), "owner of a")

	for i, tenant := range tenants {
		n, err := s.Count(ctx, tenant)
		require.NoError(t, err)
		want := i + 1
		if tenant == "a" {
			want++
		}
		require.Equal(t, want, n, "Count of %q", tenant)
		list := allList(t, s, tenant)
		require.Len(t, list, want, "List of %q", tenant)
		for _, r := range list {
			require.Equal(t, tenant, r.Tenant)
			if r.ID != "b/hook-0" {
				require.Equal(t, fmt.Sprintf(`{"tenant":%q}`, tenant), string(r.Definition))
			}
			got := mustGet(t, s, tenant, r.ID)
			require.Equal(t, tenant, got.Tenant)
			h, err := s.History(ctx, tenant, r.ID, 0)
			require.NoError(t, err)
			require.Len(t, h, 1, "History of %q/%q", tenant, r.ID)
			require.Equal(t, tenant, h[0].Tenant)
			require.Equal(t, "owner of "+tenant, h[0].Actor)
		}
		_, err = s.Get(ctx, tenant, fmt.Sprint("hook-", i+1))
		require.ErrorIs(t, err, defstore.ErrNotFound, "%q sees no more than its own", tenant)
	}

	// Writes reach no other tenant.
	_, err := s.Update(ctx, rec("a", "hook-2"), defstore.AnyVersion, "m")
	require.ErrorIs(t, err, defstore.ErrNotFound, "a has no hook-2; A has")
	require.ErrorIs(t, s.Delete(ctx, "", "hook-1", defstore.AnyVersion, "m"), defstore.ErrNotFound)
	h, err := s.History(ctx, "", "hook-1", 0)
	require.NoError(t, err)
	require.Empty(t, h)
}

// hostile are strings a store must keep as they are.
var hostile = []string{
	"'; DROP TABLE definitions; --",
	`"quoted" \backslash\ ` + "`tick`",
	"%_*?[]{}()|^$.+",
	"tab\tnewline\nreturn\r",
	"\u00e9 e\u0301 日本語 🚀 \u200b\u202e\ufeff",
	" leading and trailing ",
	"\x01\x7f",
	strings.Repeat("long-", 40),
}

func roundTrip(t *testing.T, s defstore.Store) {
	ctx := t.Context()
	secrets := make([]byte, 256)
	for i := range secrets {
		secrets[i] = byte(i)
	}
	for i, str := range hostile {
		in := defstore.Record{
			Tenant: str, ID: str, Name: str, Active: i%2 == 0,
			Triggers:   []string{str, "RequestCreated", str + "2"},
			Definition: []byte(fmt.Sprintf("{ \"b\" : %q,\n\t\"a\":1, \"a\":2 }  ", str)),
			Secrets:    secrets,
		}
		got, err := s.Create(ctx, in, str, 0)
		require.NoError(t, err, "%q", str)
		requireContent(t, in, got)
		require.Equal(t, str, got.UpdatedBy)
		read := mustGet(t, s, str, str)
		requireContent(t, in, read)
		requireSame(t, got, read)

		page, err := s.List(ctx, str, defstore.ListOptions{})
		require.NoError(t, err)
		require.Len(t, page.Records, 1)
		requireSame(t, got, page.Records[0])

		h, err := s.History(ctx, str, str, 0)
		require.NoError(t, err)
		require.Len(t, h, 1)
		require.Equal(t, str, h[0].Actor)
		require.Equal(t, str, h[0].Name)
	}
	// Records without secrets or triggers.
	bare := defstore.Record{Tenant: "t", ID: "bare", Name: "bare", Definition: []byte("{}")}
	got := mustCreate(t, s, bare, "alice")
	requireContent(t, bare, got)
	requireContent(t, bare, mustGet(t, s, "t", "bare"))

	for _, c := range allChanges(t, s) {
		require.NotNil(t, c.Record)
		require.True(t, bytes.Equal(c.Record.Definition, mustGet(t, s, c.Tenant, c.ID).Definition))
	}
}

func noAliasing(t *testing.T, s defstore.Store) {
	in := rec("acme", "hook")
	want := norm(in)
	want.Triggers = slices.Clone(in.Triggers)
	want.Definition = bytes.Clone(in.Definition)
	want.Secrets = bytes.Clone(in.Secrets)
	got := mustCreate(t, s, in, "alice")

	// The caller changes what it gave and what it got.
	in.Triggers[0] = "changed"
	in.Definition[0] = 'X'
	in.Secrets[0] = 'X'
	got.Triggers[1] = "changed"
	got.Definition[1] = 'X'
	got.Secrets[1] = 'X'
	read := mustGet(t, s, "acme", "hook")
	requireContent(t, want, read)

	read.Definition[2] = 'X'
	read.Triggers[0] = "changed"
	requireContent(t, want, mustGet(t, s, "acme", "hook"))
	changes, err := s.Changes(t.Context(), 0, 0)
	require.NoError(t, err)
	changes[0].Record.Secrets[2] = 'X'
	page, err := s.List(t.Context(), "acme", defstore.ListOptions{})
	require.NoError(t, err)
	page.Records[0].Triggers[1] = "changed"
	requireContent(t, want, mustGet(t, s, "acme", "hook"))

	upd := rec("acme", "hook")
	updated, err := s.Update(t.Context(), upd, defstore.AnyVersion, "bob")
	require.NoError(t, err)
	upd.Definition[0] = 'X'
	updated.Definition[3] = 'X'
	require.Equal(t, `{"url":"https://example.com/hook"}`, string(mustGet(t, s, "acme", "hook").Definition))

	sealed := []byte("sealed")
	require.NoError(t, s.ReplaceSecrets(t.Context(), "acme", "hook", defstore.AnyVersion, sealed, "rotator"))
	sealed[0] = 'X'
	require.Equal(t, "sealed", string(mustGet(t, s, "acme", "hook").Secrets))
}
