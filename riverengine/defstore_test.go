package riverengine_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/riverengine"
)

// eachDefinitionDB runs test on a fresh migrated PostgreSQL database and
// on a fresh migrated SQLite one. newStore returns a store on that
// database: on PostgreSQL each through a pool of its own, as separate
// instances of a service have; on SQLite through one *sql.DB of several
// connections.
func eachDefinitionDB(t *testing.T, test func(t *testing.T, newStore func() *riverengine.DefinitionStore)) {
	t.Run("postgres", func(t *testing.T) {
		url := needPostgres(t)
		require.NoError(t, riverengine.Migrate(context.Background(), newPool(t, url)))
		test(t, func() *riverengine.DefinitionStore { return riverengine.NewDefinitionStore(newPool(t, url)) })
	})
	t.Run("sqlite", func(t *testing.T) {
		db := openSQLite(t, filepath.Join(t.TempDir(), "defs.db"))
		require.NoError(t, riverengine.MigrateSQLite(context.Background(), db))
		test(t, func() *riverengine.DefinitionStore { return riverengine.NewSQLiteDefinitionStore(db) })
	})
}

func definition(tenant, id, name string) defstore.Record {
	return defstore.Record{
		Tenant: tenant, ID: id, Name: name, Active: true, Triggers: []string{"request.created", "request.approved"},
		Definition: fmt.Appendf(nil, `{"id":%q,"url":"https://example.com/%s"}`, id, id), Secrets: []byte{0, 1, 2, 0xff},
	}
}

// latestSeq returns the sequence number of the store's last change.
func latestSeq(t *testing.T, s defstore.Store) uint64 {
	t.Helper()
	var seq uint64
	for {
		cs, err := s.Changes(context.Background(), seq, 0)
		require.NoError(t, err)
		if len(cs) == 0 {
			return seq
		}
		seq = cs[len(cs)-1].Seq
	}
}

// The life of a definition: versions, conflicts, the tombstone and the
// id's next life, names per tenant, resealing, history.
func TestDefinitionStoreLifecycle(t *testing.T) {
	eachDefinitionDB(t, func(t *testing.T, newStore func() *riverengine.DefinitionStore) {
		s, ctx := newStore(), context.Background()
		require.True(t, s.AtRest())

		created, err := s.Create(ctx, definition("acme", "h1", "slack"), "alice", 0)
		require.NoError(t, err)
		require.EqualValues(t, 1, created.Version)
		require.Equal(t, "alice", created.UpdatedBy)
		got, err := s.Get(ctx, "acme", "h1")
		require.NoError(t, err)
		require.Equal(t, created, got, "Get returns what Create did, bytes and times exactly")
		require.Equal(t, []byte{0, 1, 2, 0xff}, got.Secrets)

		// Names are unique per tenant among live definitions; ids are per tenant.
		_, err = s.Create(ctx, definition("acme", "h2", "slack"), "alice", 0)
		require.ErrorIs(t, err, defstore.ErrNameTaken)
		_, err = s.Create(ctx, definition("acme", "h1", "other"), "alice", 0)
		require.ErrorIs(t, err, defstore.ErrExists)
		other, err := s.Create(ctx, definition("globex", "h1", "slack"), "bob", 0)
		require.NoError(t, err)
		require.EqualValues(t, 1, other.Version)

		// A stale version conflicts and changes nothing.
		before := latestSeq(t, s)
		upd := definition("acme", "h1", "slack-2")
		_, err = s.Update(ctx, upd, 7, "carol")
		var conflict *defstore.ConflictError
		require.ErrorAs(t, err, &conflict)
		require.ErrorIs(t, err, defstore.ErrConflict)
		require.Equal(t, defstore.ConflictError{Tenant: "acme", ID: "h1", Expected: 7, Current: 1}, *conflict)
		var derr *riverengine.DefinitionError
		require.ErrorAs(t, err, &derr)
		require.Equal(t, "Update", derr.Op)
		require.Equal(t, before, latestSeq(t, s), "a failed write takes no sequence number")

		updated, err := s.Update(ctx, upd, 1, "carol")
		require.NoError(t, err)
		require.EqualValues(t, 2, updated.Version)
		require.Equal(t, created.CreatedAt, updated.CreatedAt)
		require.Greater(t, updated.Seq, created.Seq)
		// The old name is free again.
		_, err = s.Create(ctx, definition("acme", "h3", "slack"), "alice", 0)
		require.NoError(t, err)

		// Resealing keeps the version and content, and is a change.
		require.NoError(t, s.ReplaceSecrets(ctx, "acme", "h1", 2, []byte("sealed-again"), "rotator"))
		resealed, err := s.Get(ctx, "acme", "h1")
		require.NoError(t, err)
		require.EqualValues(t, 2, resealed.Version)
		require.Equal(t, []byte("sealed-again"), resealed.Secrets)
		require.Equal(t, updated.Definition, resealed.Definition)
		require.Greater(t, resealed.Seq, updated.Seq)
		require.ErrorIs(t, s.ReplaceSecrets(ctx, "acme", "h1", 1, nil, "rotator"), defstore.ErrConflict)

		// Delete leaves a tombstone that Changes shows.
		require.ErrorIs(t, s.Delete(ctx, "acme", "h1", 1, "dave"), defstore.ErrConflict)
		require.NoError(t, s.Delete(ctx, "acme", "h1", 2, "dave"))
		_, err = s.Get(ctx, "acme", "h1")
		require.ErrorIs(t, err, defstore.ErrNotFound)
		require.ErrorIs(t, s.Delete(ctx, "acme", "h1", defstore.AnyVersion, "dave"), defstore.ErrNotFound)
		_, err = s.Update(ctx, upd, 2, "carol")
		require.ErrorAs(t, err, &conflict)
		require.Zero(t, conflict.Current, "read before the deletion: a conflict with the deleted definition")
		cs, err := s.Changes(ctx, resealed.Seq, 0)
		require.NoError(t, err)
		require.Len(t, cs, 1)
		require.Equal(t, defstore.Change{Seq: cs[0].Seq, Tenant: "acme", ID: "h1", Version: 3, Deleted: true}, cs[0])

		// The id lives again, its versions going on; its name is free.
		again, err := s.Create(ctx, definition("acme", "h1", "slack-2"), "erin", 0)
		require.NoError(t, err)
		require.EqualValues(t, 4, again.Version)

		hist, err := s.History(ctx, "acme", "h1", 0)
		require.NoError(t, err)
		var summary []string
		for _, r := range hist {
			require.Equal(t, "acme", r.Tenant)
			require.False(t, r.At.IsZero())
			summary = append(summary, fmt.Sprintf("%d %s %s %s", r.Version, r.Action, r.Actor, r.Name))
		}
		require.Equal(t, []string{
			"4 created erin slack-2", "3 deleted dave slack-2", "2 resealed rotator slack-2",
			"2 updated carol slack-2", "1 created alice slack",
		}, summary)
		hist, err = s.History(ctx, "acme", "h1", 2)
		require.NoError(t, err)
		require.Len(t, hist, 2)

		// One entry per definition, in sequence order, every tenant's.
		all, err := s.Changes(ctx, 0, 0)
		require.NoError(t, err)
		var ids []string
		for i, c := range all {
			if i > 0 {
				require.Greater(t, c.Seq, all[i-1].Seq)
			}
			ids = append(ids, c.Tenant+"/"+c.ID)
		}
		require.Equal(t, []string{"globex/h1", "acme/h3", "acme/h1"}, ids)
	})
}

// Listing pages by id in byte order, within the tenant, live ones only.
func TestDefinitionStoreList(t *testing.T) {
	eachDefinitionDB(t, func(t *testing.T, newStore func() *riverengine.DefinitionStore) {
		s, ctx := newStore(), context.Background()
		ids := []string{"B", "a", "Ä", "a b", "a'b", "z", "日本"}
		for _, id := range ids {
			_, err := s.Create(ctx, definition("t1", id, "name "+id), "x", 0)
			require.NoError(t, err)
		}
		_, err := s.Create(ctx, definition("t2", "other", "n"), "x", 0)
		require.NoError(t, err)
		require.NoError(t, s.Delete(ctx, "t1", "z", defstore.AnyVersion, "x"))

		var got []string
		opts := defstore.ListOptions{Limit: 2}
		for {
			p, err := s.List(ctx, "t1", opts)
			require.NoError(t, err)
			for _, r := range p.Records {
				got = append(got, r.ID)
			}
			if p.Next == "" {
				break
			}
			opts.After = p.Next
		}
		require.Equal(t, []string{"B", "a", "a b", "a'b", "Ä", "日本"}, got)
		n, err := s.Count(ctx, "t1")
		require.NoError(t, err)
		require.Equal(t, 6, n)
		p, err := s.List(ctx, "t1", defstore.ListOptions{Limit: 6})
		require.NoError(t, err)
		require.Len(t, p.Records, 6)
		require.Empty(t, p.Next, "a full last page has no next")
	})
}

// Concurrent creations cannot pass the tenant's limit together.
func TestDefinitionStoreLimitUnderConcurrency(t *testing.T) {
	eachDefinitionDB(t, func(t *testing.T, newStore func() *riverengine.DefinitionStore) {
		stores := []*riverengine.DefinitionStore{newStore(), newStore()}
		const tries, limit = 24, 5
		var ok, limited atomic.Int32
		var wg sync.WaitGroup
		for i := range tries {
			wg.Go(func() {
				_, err := stores[i%2].Create(context.Background(), definition("t", fmt.Sprint(i), fmt.Sprint(i)), "x", limit)
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, defstore.ErrLimit):
					limited.Add(1)
				default:
					t.Errorf("creation %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		require.EqualValues(t, limit, ok.Load())
		require.EqualValues(t, tries-limit, limited.Load())
	})
}

// A follower reading Changes while writers on several connections commit
// sees the last change of every definition: none commits under a number
// the follower has passed.
func TestDefinitionStoreFollowerMissesNothing(t *testing.T) {
	eachDefinitionDB(t, func(t *testing.T, newStore func() *riverengine.DefinitionStore) {
		ctx := context.Background()
		const writers, each = 6, 25
		var wg sync.WaitGroup
		for w := range writers {
			s := newStore()
			wg.Go(func() {
				for i := range each {
					id := fmt.Sprintf("w%d-%d", w, i%5)
					rec := definition(fmt.Sprint("tenant", w%3), id, id)
					var err error
					if i < 5 {
						_, err = s.Create(ctx, rec, "writer", 0)
					} else {
						_, err = s.Update(ctx, rec, defstore.AnyVersion, "writer")
					}
					if err != nil {
						t.Errorf("writer %d: %v", w, err)
						return
					}
				}
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()

		follower := newStore()
		seen := map[string]int64{}
		var after uint64
		read := func() {
			cs, err := follower.Changes(ctx, after, 7)
			require.NoError(t, err)
			for _, c := range cs {
				require.Greater(t, c.Seq, after, "Changes goes forward")
				after = c.Seq
				seen[c.Tenant+"/"+c.ID] = c.Version
			}
		}
		for finished := false; !finished; {
			select {
			case <-done:
				finished = true
			default:
			}
			read()
		}
		for before := after + 1; before != after; {
			before = after
			read()
		}
		final := map[string]int64{}
		all, err := follower.Changes(ctx, 0, 0)
		require.NoError(t, err)
		for _, c := range all {
			final[c.Tenant+"/"+c.ID] = c.Version
		}
		require.Len(t, final, writers*5)
		require.Equal(t, final, seen, "the follower missed changes")
		for _, v := range final {
			require.EqualValues(t, each/5, v)
		}
	})
}

// A writer that has numbered its change and not yet committed holds up
// the next writer, so a follower cannot pass its number before it is
// visible.
func TestDefinitionStoreNumbersInCommitOrder(t *testing.T) {
	eachDefinitionDB(t, func(t *testing.T, newStore func() *riverengine.DefinitionStore) {
		ctx := context.Background()
		slow, fast, follower := newStore(), newStore(), newStore()
		inTx, release := make(chan struct{}), make(chan struct{})
		riverengine.SetBeforeCommit(slow, func(_, id string) {
			close(inTx)
			<-release
		})
		slowDone, fastDone := make(chan error, 1), make(chan error, 1)
		go func() {
			_, err := slow.Create(ctx, definition("t", "slow", "slow"), "x", 0)
			slowDone <- err
		}()
		<-inTx
		go func() {
			_, err := fast.Create(ctx, definition("t", "fast", "fast"), "x", 0)
			fastDone <- err
		}()
		// Give the second writer time to commit, which it must not do
		// before the first.
		select {
		case err := <-fastDone:
			t.Errorf("a writer committed while another held its numbered change (err %v)", err)
			fastDone <- err
		case <-time.After(300 * time.Millisecond):
		}
		cs, err := follower.Changes(ctx, 0, 0)
		require.NoError(t, err)
		var after uint64
		seen := map[string]bool{}
		for _, c := range cs {
			after, seen[c.ID] = c.Seq, true
		}
		close(release)
		require.NoError(t, <-slowDone)
		require.NoError(t, <-fastDone)
		cs, err = follower.Changes(ctx, after, 0)
		require.NoError(t, err)
		for _, c := range cs {
			seen[c.ID] = true
		}
		require.Equal(t, map[string]bool{"slow": true, "fast": true}, seen, "the follower skipped a change")
	})
}

// A write that fails, for any reason, leaves the definitions and the
// sequence as they were.
func TestDefinitionStoreFailedWritesChangeNothing(t *testing.T) {
	eachDefinitionDB(t, func(t *testing.T, newStore func() *riverengine.DefinitionStore) {
		s, ctx := newStore(), context.Background()
		_, err := s.Create(ctx, definition("t", "a", "a"), "x", 0)
		require.NoError(t, err)
		_, err = s.Create(ctx, definition("t", "b", "b"), "x", 0)
		require.NoError(t, err)
		before, err := s.Changes(ctx, 0, 0)
		require.NoError(t, err)
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		failures := map[string]error{
			"exists":    func() error { _, err := s.Create(ctx, definition("t", "a", "z"), "x", 0); return err }(),
			"name":      func() error { _, err := s.Update(ctx, definition("t", "a", "b"), 1, "x"); return err }(),
			"limit":     func() error { _, err := s.Create(ctx, definition("t", "c", "c"), "x", 2); return err }(),
			"conflict":  s.Delete(ctx, "t", "a", 9, "x"),
			"not found": s.ReplaceSecrets(ctx, "t", "nope", defstore.AnyVersion, []byte("s"), "x"),
			"cancelled": func() error { _, err := s.Create(cancelled, definition("t", "d", "d"), "x", 0); return err }(),
		}
		for what, err := range failures {
			require.Error(t, err, what)
		}
		after, err := s.Changes(ctx, 0, 0)
		require.NoError(t, err)
		require.Equal(t, before, after)
		for _, id := range []string{"a", "c", "d", "nope"} {
			hist, err := s.History(ctx, "t", id, 0)
			require.NoError(t, err)
			require.LessOrEqual(t, len(hist), 1, id)
		}
	})
}

// notifications counts the calls of a subscription's notify and wakes a
// waiter at each.
type notifications struct {
	n    atomic.Int64
	wake chan struct{}
}

func newNotifications() *notifications { return &notifications{wake: make(chan struct{}, 1)} }

func (n *notifications) notify() {
	n.n.Add(1)
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// waitSeen waits until a notification has come after which follower's
// Changes after seq hold id, and returns how long that took and the
// sequence number of id's change.
func waitSeen(t *testing.T, n *notifications, follower defstore.Store, after uint64, id string, timeout time.Duration) (time.Duration, uint64) {
	t.Helper()
	start := time.Now()
	deadline := time.After(timeout)
	for {
		select {
		case <-n.wake:
		case <-deadline:
			t.Fatalf("no notification of %s within %s", id, timeout)
		}
		cs, err := follower.Changes(context.Background(), after, 0)
		require.NoError(t, err)
		for _, c := range cs {
			if c.ID == id {
				return time.Since(start), c.Seq
			}
		}
	}
}

// A write through one instance notifies the subscribers of another (their
// own pools) at once.
func TestDefinitionStoreNotifiesOtherInstances(t *testing.T) {
	url := needPostgres(t)
	require.NoError(t, riverengine.Migrate(context.Background(), newPool(t, url)))
	writer, follower := riverengine.NewDefinitionStore(newPool(t, url)), riverengine.NewDefinitionStore(newPool(t, url))
	n := newNotifications()
	cancel, err := follower.Subscribe(n.notify)
	require.NoError(t, err)
	defer cancel()
	require.Zero(t, n.n.Load(), "no notification before a write")

	var worst time.Duration
	var after uint64
	for i := range 20 {
		id := fmt.Sprint("h", i)
		start := time.Now()
		_, err := writer.Create(context.Background(), definition("t", id, id), "x", 0)
		require.NoError(t, err)
		// A notification arrives in about a millisecond; the bound is
		// generous for a loaded machine, the figure is logged.
		_, seq := waitSeen(t, n, follower, after, id, 5*time.Second)
		worst, after = max(worst, time.Since(start)), seq
	}
	t.Logf("slowest write to notification seen by the other instance: %s", worst)
}

// A listener whose connection the server drops takes one again, tells of
// the writes made meanwhile, and is told of later ones.
func TestDefinitionStoreListenerReconnects(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	admin := newPool(t, url)
	require.NoError(t, riverengine.Migrate(ctx, admin))
	writer, follower := riverengine.NewDefinitionStore(admin), riverengine.NewDefinitionStore(newPool(t, url))
	n := newNotifications()
	cancel, err := follower.Subscribe(n.notify)
	require.NoError(t, err)
	defer cancel()

	listener := func() []int32 {
		rows, err := admin.Query(ctx, `SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND query = 'LISTEN outhook_definitions'`)
		require.NoError(t, err)
		var pids []int32
		for rows.Next() {
			var pid int32
			require.NoError(t, rows.Scan(&pid))
			pids = append(pids, pid)
		}
		require.NoError(t, rows.Err())
		return pids
	}
	first := listener()
	require.Len(t, first, 1)
	var killed bool
	require.NoError(t, admin.QueryRow(ctx, "SELECT pg_terminate_backend($1)", first[0]).Scan(&killed))
	require.True(t, killed)
	eventually(t, 5*time.Second, "the listener's backend to end", func() bool {
		var alive bool
		require.NoError(t, admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)", first[0]).Scan(&alive))
		return !alive
	})

	// Written while (most likely) no one listens: told once the listener is back.
	_, err = writer.Create(ctx, definition("t", "gap", "gap"), "x", 0)
	require.NoError(t, err)
	_, after := waitSeen(t, n, follower, 0, "gap", 5*time.Second)
	eventually(t, 5*time.Second, "a new listener", func() bool {
		pids := listener()
		return len(pids) == 1 && pids[0] != first[0]
	})
	// Each later write is told of promptly: a stale notification can
	// answer one wait at most.
	for i := range 5 {
		id := fmt.Sprint("later", i)
		_, err := writer.Create(ctx, definition("t", id, id), "x", 0)
		require.NoError(t, err)
		_, after = waitSeen(t, n, follower, after, id, time.Second)
	}
}

// goroutines counts the goroutines whose stack mentions fn.
func goroutines(fn string) int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, fn) {
			n++
		}
	}
	return n
}

// Cancel stops the notifications, leaves no goroutine, and gives the
// listener's connection back, no longer listening; cancel from within
// notify returns.
func TestDefinitionStoreSubscribeCancel(t *testing.T) {
	eachDefinitionDB(t, func(t *testing.T, newStore func() *riverengine.DefinitionStore) {
		s, ctx := newStore(), context.Background()
		n := newNotifications()
		cancel, err := s.Subscribe(n.notify)
		require.NoError(t, err)
		_, err = s.Create(ctx, definition("t", "a", "a"), "x", 0)
		require.NoError(t, err)
		waitSeen(t, n, s, 0, "a", 5*time.Second)
		cancel()
		cancel() // harmless
		require.Zero(t, goroutines("riverengine.(*pgListener).follow("), "listener goroutine left")
		require.Zero(t, goroutines("riverengine.(*subscription).run("), "notifying goroutine left")
		calls := n.n.Load()
		_, err = s.Create(ctx, definition("t", "b", "b"), "x", 0)
		require.NoError(t, err)
		select {
		case <-n.wake:
			t.Fatal("notified after cancel")
		case <-time.After(300 * time.Millisecond):
		}
		require.Equal(t, calls, n.n.Load())

		// Cancel from within notify.
		var cancelSelf func()
		returned := make(chan struct{})
		cancelSelf, err = s.Subscribe(func() {
			cancelSelf()
			close(returned)
		})
		require.NoError(t, err)
		_, err = s.Create(ctx, definition("t", "c", "c"), "x", 0)
		require.NoError(t, err)
		select {
		case <-returned:
		case <-time.After(5 * time.Second):
			t.Fatal("cancel called from notify did not return")
		}
		eventually(t, time.Second, "the goroutines to end", func() bool {
			return goroutines("riverengine.(*pgListener).follow(")+goroutines("riverengine.(*subscription).run(") == 0
		})
	})
}

// On PostgreSQL the listener's connection goes back to the pool at cancel,
// listening no more.
func TestDefinitionStoreSubscribeReleasesConnection(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	pool := newPool(t, url)
	require.NoError(t, riverengine.Migrate(ctx, pool))
	s := riverengine.NewDefinitionStore(pool)
	cancel, err := s.Subscribe(func() {})
	require.NoError(t, err)
	require.EqualValues(t, 1, pool.Stat().AcquiredConns())
	cancel()
	require.Zero(t, pool.Stat().AcquiredConns())
	var listening int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%'`).Scan(&listening))
	require.Zero(t, listening)
}

// The engine's definition store shares its database: on SQLite, whose
// engine keeps one connection, writes and subscriptions work beside it.
func TestEngineDefinitionStore(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		_, eng := newPostgresEngine(t, needPostgres(t))
		testEngineDefinitionStore(t, eng)
	})
	t.Run("sqlite", func(t *testing.T) {
		_, eng := newSQLiteEngine(t)
		testEngineDefinitionStore(t, eng)
	})
}

func testEngineDefinitionStore(t *testing.T, eng *riverengine.Engine) {
	ctx := context.Background()
	a, b := eng.DefinitionStore(), eng.DefinitionStore()
	n := newNotifications()
	cancel, err := b.Subscribe(n.notify)
	require.NoError(t, err)
	defer cancel()
	rec, err := a.Create(ctx, definition("t", "h", "h"), "x", 0)
	require.NoError(t, err)
	waitSeen(t, n, b, 0, "h", 5*time.Second)
	got, err := b.Get(ctx, "t", "h")
	require.NoError(t, err)
	require.Equal(t, rec, got)
}

// freezer is a TCP proxy to a PostgreSQL server whose connections can be
// made to go silent, as a network that loses them without a reset does;
// connections made after freeze pass.
type freezer struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	frozen []*atomic.Bool
	conns  []net.Conn
}

func newFreezer(t *testing.T, target string) *freezer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &freezer{ln: ln, target: target}
	go f.serve()
	return f
}

func (f *freezer) serve() {
	for {
		client, err := f.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", f.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		frozen := new(atomic.Bool)
		f.mu.Lock()
		f.frozen = append(f.frozen, frozen)
		f.conns = append(f.conns, client, server)
		f.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			defer dst.Close()
			defer src.Close()
			buf := make([]byte, 32<<10)
			for {
				n, err := src.Read(buf)
				if err != nil {
					return
				}
				if frozen.Load() {
					continue // lost on the way
				}
				if _, err := dst.Write(buf[:n]); err != nil {
					return
				}
			}
		}
		go pipe(server, client)
		go pipe(client, server)
	}
}

// close closes the listener and every connection.
func (f *freezer) close() {
	_ = f.ln.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		_ = c.Close()
	}
}

// freeze makes every connection open so far silent.
func (f *freezer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, fr := range f.frozen {
		fr.Store(true)
	}
}

// A listener whose connection goes silent, without a reset, notices at
// its next ping, takes another connection, and tells of the writes made
// meanwhile.
func TestDefinitionStoreListenerNoticesSilentConnection(t *testing.T) {
	url := needPostgres(t)
	ctx := context.Background()
	direct := newPool(t, url)
	require.NoError(t, riverengine.Migrate(ctx, direct))
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	proxy := newFreezer(t, fmt.Sprintf("%s:%d", cfg.ConnConfig.Host, cfg.ConnConfig.Port))
	addr := proxy.ln.Addr().(*net.TCPAddr)
	cfg.ConnConfig.Host, cfg.ConnConfig.Port = addr.IP.String(), uint16(addr.Port)
	proxied, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(proxied.Close)
	t.Cleanup(proxy.close) // first: the pool closes its silent connections at once

	writer, follower := riverengine.NewDefinitionStore(direct), riverengine.NewDefinitionStore(proxied)
	riverengine.SetListenerTiming(follower, 200*time.Millisecond, 200*time.Millisecond, 10*time.Millisecond)
	n := newNotifications()
	cancel, err := follower.Subscribe(n.notify)
	require.NoError(t, err)
	defer cancel()
	// Let the listener ping its live connection a few times, which must
	// keep it.
	time.Sleep(time.Second)
	_, err = writer.Create(ctx, definition("t", "before", "before"), "x", 0)
	require.NoError(t, err)
	_, after := waitSeen(t, n, follower, 0, "before", time.Second)

	proxy.freeze()
	_, err = writer.Create(ctx, definition("t", "silent", "silent"), "x", 0)
	require.NoError(t, err)
	took, _ := waitSeen(t, n, follower, after, "silent", 5*time.Second)
	t.Logf("a write on a silent connection was told of after %s", took)
}
