package defstore

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unique"
)

// HistoryKept is how many revisions of each definition Memory keeps: the
// newest ones. History asks for no more.
const HistoryKept = 100

// Memory is a Store in the process's memory: fast, but its definitions
// live as long as the process. The zero Memory is empty and ready to
// use.
//
// Get and Count take constant time; List a time logarithmic in the
// tenant's number of definitions plus the page; Changes a time logarithmic
// in the number of definitions plus the page. A definition costs its id
// and name, the bytes of its definition and secrets that it does not
// share with a recently stored definition, and about 300 bytes, its
// revisions included; lists of triggers and actors are kept once each.
// Definitions are shared whole, secrets never: a definition made from a
// preset costs about the bytes in which it differs; the definition it
// shares them with (never its secrets) stays in memory while any
// definition, of any tenant, shares them. List's cursors are
// ids in URL-safe base64. Memory keeps the HistoryKept newest revisions
// of each definition, and the tombstones of deleted ones.
type Memory struct {
	mu      sync.RWMutex
	tenants map[string]*tenant
	seq     uint64
	last    int64 // the latest time given to a change, in Unix nanoseconds
	// log holds a slot per change, in sequence order; a slot is stale once
	// its entry changed again, and the log is compacted when half of it is
	// stale, so that Changes finds a sequence number by binary search.
	log   []slot
	stale int
	subs  map[*subscription]struct{}
	pk    packer
}

var (
	_ Store    = (*Memory)(nil)
	_ AtRest   = (*Memory)(nil)
	_ Resetter = (*Memory)(nil)
)

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return new(Memory) }

// AtRest reports false: Memory writes nothing to disk.
func (*Memory) AtRest() bool { return false }

type tenant struct {
	name string
	byID map[string]*entry // tombstones included
	// byName indexes the live definitions by name once there are more
	// than namesScanned of them; until then the few are scanned, which
	// saves a map per small tenant.
	byName map[string]*entry
	ids    idIndex // live definitions in id order
}

const namesScanned = 32

// named returns the tenant's live definition named name; nil when there is
// none.
func (t *tenant) named(name string) *entry {
	if t.byName != nil {
		return t.byName[name]
	}
	var found *entry
	t.ids.after("", false, func(e *entry) bool {
		if e.name == name {
			found = e
		}
		return found == nil
	})
	return found
}

// rename brings the name index up to date after e was created, renamed
// or deleted; old is its previous name when had.
func (t *tenant) rename(e *entry, old string, had bool) {
	if t.byName == nil {
		if t.ids.len() <= namesScanned {
			return
		}
		t.byName = make(map[string]*entry, t.ids.len())
		t.ids.after("", false, func(e *entry) bool {
			t.byName[e.name] = e
			return true
		})
		return
	}
	if had {
		delete(t.byName, old)
	}
	if !e.deleted {
		t.byName[e.name] = e
	}
}

// entry is one definition, or its tombstone.
type entry struct {
	tenant *tenant
	id     string
	name   string
	// triggers are the triggers, each preceded by its length, kept once
	// per distinct list.
	triggers unique.Handle[string]
	// data is the definition followed by the sealed secrets, packed (see
	// packer).
	data    packed
	version int64
	seq     uint64
	reset   uint64 // the seq of the last breaker reset
	created int64  // Unix nanoseconds
	// history is a ring of the newest revisions; the oldest is at head
	// once it is full.
	history []revision
	defLen  uint32
	head    uint8
	active  bool
	deleted bool
}

type revision struct {
	version int64
	at      int64
	actor   unique.Handle[string]
	name    string
	action  action
}

type action uint8

const (
	created action = iota
	updated
	deleted
	resealed
	breakerReset
)

var actions = [...]Action{created: Created, updated: Updated, deleted: Deleted, resealed: Resealed, breakerReset: BreakerReset}

type slot struct {
	seq uint64
	e   *entry
}

func (m *Memory) Create(ctx context.Context, rec Record, actor string, maxPerTenant int) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, fmt.Errorf("defstore: create %q: %w", rec.ID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tenants[rec.Tenant]
	var e *entry
	if t != nil {
		e = t.byID[rec.ID]
		switch {
		case e != nil && !e.deleted:
			return Record{}, fmt.Errorf("%w: %q", ErrExists, rec.ID)
		case t.named(rec.Name) != nil:
			return Record{}, fmt.Errorf("%w: %q", ErrNameTaken, rec.Name)
		case maxPerTenant > 0 && t.ids.len() >= maxPerTenant:
			return Record{}, fmt.Errorf("%w: tenant %q has %d", ErrLimit, rec.Tenant, t.ids.len())
		}
	} else {
		if m.tenants == nil {
			m.tenants = map[string]*tenant{}
		}
		t = &tenant{name: strings.Clone(rec.Tenant), byID: map[string]*entry{}}
		m.tenants[t.name] = t
	}
	if e == nil {
		// The id and the name in one allocation: the collector finds
		// each object it keeps at every cycle.
		both := rec.ID + rec.Name
		if rec.ID == "" || rec.Name == "" {
			both = strings.Clone(both) // the concatenation is the caller's string
		}
		e = &entry{tenant: t, id: both[:len(rec.ID)], name: both[len(rec.ID):]}
		t.byID[e.id] = e
	}
	at := m.now()
	e.version++
	e.created = at
	e.deleted = false
	e.reset = 0
	e.set(rec, &m.pk)
	t.ids.insert(e)
	t.rename(e, "", false)
	e.record(created, actor, at)
	m.commit(e)
	return e.output(), nil
}

func (m *Memory) Update(ctx context.Context, rec Record, version int64, actor string) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, fmt.Errorf("defstore: update %q: %w", rec.ID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.current(rec.Tenant, rec.ID, version)
	if err != nil {
		return Record{}, err
	}
	t := e.tenant
	old := e.name
	if rec.Name != old && t.named(rec.Name) != nil {
		return Record{}, fmt.Errorf("%w: %q", ErrNameTaken, rec.Name)
	}
	at := m.now()
	e.version++
	e.set(rec, &m.pk)
	if e.name != old {
		t.rename(e, old, true)
	}
	e.record(updated, actor, at)
	m.commit(e)
	return e.output(), nil
}

func (m *Memory) Delete(ctx context.Context, tenant, id string, version int64, actor string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("defstore: delete %q: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.current(tenant, id, version)
	if err != nil {
		return err
	}
	t := e.tenant
	t.ids.remove(e)
	e.deleted = true
	t.rename(e, e.name, true)
	at := m.now()
	e.version++
	e.record(deleted, actor, at)
	e.triggers, e.data, e.defLen = noTriggers, packed{}, 0
	m.commit(e)
	return nil
}

func (m *Memory) ReplaceSecrets(ctx context.Context, tenant, id string, version int64, secrets []byte, actor string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("defstore: replace the secrets of %q: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.current(tenant, id, version)
	if err != nil {
		return err
	}
	e.data = m.pk.pack(e.data.unpack()[:e.defLen], secrets)
	e.record(resealed, actor, m.now())
	m.commit(e)
	return nil
}

// ResetBreaker records a breaker reset of the definition (see Resetter).
func (m *Memory) ResetBreaker(ctx context.Context, tenant, id, actor string) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, fmt.Errorf("defstore: reset the breaker of %q: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.current(tenant, id, AnyVersion)
	if err != nil {
		return Record{}, err
	}
	e.record(breakerReset, actor, m.now())
	m.commit(e)
	e.reset = e.seq
	return e.output(), nil
}

func (m *Memory) Get(ctx context.Context, tenant, id string) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, fmt.Errorf("defstore: get %q: %w", id, err)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	e := m.entry(tenant, id)
	if e == nil || e.deleted {
		return Record{}, notFound(tenant, id)
	}
	return e.output(), nil
}

func (m *Memory) List(ctx context.Context, tenant string, opts ListOptions) (Page, error) {
	if err := ctx.Err(); err != nil {
		return Page{}, fmt.Errorf("defstore: list: %w", err)
	}
	after, err := decodeCursor(opts.After)
	if err != nil {
		return Page{}, err
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	m.mu.RLock()
	defer m.mu.RUnlock()
	t := m.tenants[tenant]
	if t == nil {
		return Page{}, nil
	}
	var page Page
	more := t.ids.after(after, opts.After != "", func(e *entry) bool {
		if len(page.Records) == limit {
			return false
		}
		page.Records = append(page.Records, e.output())
		return true
	})
	if more {
		page.Next = encodeCursor(page.Records[len(page.Records)-1].ID)
	}
	return page, nil
}

func (m *Memory) Count(ctx context.Context, tenant string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("defstore: count: %w", err)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if t := m.tenants[tenant]; t != nil {
		return t.ids.len(), nil
	}
	return 0, nil
}

func (m *Memory) Changes(ctx context.Context, after uint64, limit int) ([]Change, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("defstore: changes: %w", err)
	}
	if limit <= 0 {
		limit = 1000
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	i := sort.Search(len(m.log), func(i int) bool { return m.log[i].seq > after })
	var out []Change
	for ; i < len(m.log) && len(out) < limit; i++ {
		s := m.log[i]
		if s.e.seq != s.seq {
			continue // changed again since: it appears further on
		}
		c := Change{Seq: s.seq, Tenant: s.e.tenant.name, ID: s.e.id, Version: s.e.version, Deleted: s.e.deleted}
		if !s.e.deleted {
			r := s.e.output()
			c.Record = &r
		}
		out = append(out, c)
	}
	return out, nil
}

func (m *Memory) History(ctx context.Context, tenant, id string, limit int) ([]Revision, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("defstore: history of %q: %w", id, err)
	}
	if limit <= 0 {
		limit = 100
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	e := m.entry(tenant, id)
	if e == nil {
		return nil, nil
	}
	n := min(limit, len(e.history))
	out := make([]Revision, n)
	for k := range n {
		r := e.history[(int(e.head)+len(e.history)-1-k)%len(e.history)]
		out[k] = Revision{
			Tenant: e.tenant.name, ID: e.id, Version: r.version, Action: actions[r.action],
			Actor: r.actor.Value(), At: time.Unix(0, r.at).UTC(), Name: r.name,
		}
	}
	return out, nil
}

// Subscribe calls notify after every write, from a goroutine that runs
// only while there is something to notify: writes never wait for notify,
// and writes made while notify runs give one more call after it returns.
// Calls never overlap. Once cancel has returned no call starts, though
// one already started may still be running; cancel may be called more
// than once, and from notify.
func (m *Memory) Subscribe(notify func()) (cancel func(), err error) {
	s := &subscription{notify: notify}
	m.mu.Lock()
	if m.subs == nil {
		m.subs = map[*subscription]struct{}{}
	}
	m.subs[s] = struct{}{}
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		delete(m.subs, s)
		m.mu.Unlock()
		s.mu.Lock()
		s.cancelled = true
		s.mu.Unlock()
	}, nil
}

// entry returns the definition or its tombstone; nil when there is none.
func (m *Memory) entry(tenant, id string) *entry {
	if t := m.tenants[tenant]; t != nil {
		return t.byID[id]
	}
	return nil
}

// current returns the definition if it is at version, or version is
// AnyVersion.
func (m *Memory) current(tenant, id string, version int64) (*entry, error) {
	e := m.entry(tenant, id)
	switch {
	case e == nil || e.deleted && version == AnyVersion:
		return nil, notFound(tenant, id)
	case e.deleted:
		return nil, &ConflictError{Tenant: tenant, ID: id, Expected: version}
	case version != AnyVersion && version != e.version:
		return nil, &ConflictError{Tenant: tenant, ID: id, Expected: version, Current: e.version}
	}
	return e, nil
}

func notFound(tenant, id string) error {
	if tenant == "" {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return fmt.Errorf("%w: %q of tenant %q", ErrNotFound, id, tenant)
}

// now returns the time of a change, never before the previous change's.
func (m *Memory) now() int64 {
	m.last = max(m.last+1, time.Now().UnixNano())
	return m.last
}

// commit gives e the next sequence number and tells the subscribers.
func (m *Memory) commit(e *entry) {
	if e.seq != 0 {
		m.stale++
	}
	m.seq++
	e.seq = m.seq
	m.log = append(m.log, slot{seq: e.seq, e: e})
	if m.stale > len(m.log)/2 {
		live := m.log[:0]
		for _, s := range m.log {
			if s.e.seq == s.seq {
				live = append(live, s)
			}
		}
		clear(m.log[len(live):])
		m.log = slices.Clip(live)
		m.stale = 0
	}
	for s := range m.subs {
		s.poke()
	}
}

// set copies rec's content into e.
func (e *entry) set(rec Record, pk *packer) {
	if rec.Name != e.name {
		e.name = strings.Clone(rec.Name)
	}
	e.active = rec.Active
	e.triggers = noTriggers
	if len(rec.Triggers) > 0 {
		var list []byte
		for _, tr := range rec.Triggers {
			list = binary.AppendUvarint(list, uint64(len(tr)))
			list = append(list, tr...)
		}
		e.triggers = unique.Make(string(list))
	}
	e.data = pk.pack(rec.Definition, rec.Secrets)
	e.defLen = uint32(len(rec.Definition))
}

var noTriggers = unique.Make("")

// triggers decodes e.triggers; the strings share the interned list.
func (e *entry) triggerList() []string {
	list := e.triggers.Value()
	if list == "" {
		return nil
	}
	var out []string
	for len(list) > 0 {
		// The length as binary.AppendUvarint wrote it, read without
		// copying the string.
		var n uint64
		k := 0
		for shift := 0; ; shift += 7 {
			b := list[k]
			k++
			n |= uint64(b&0x7f) << shift
			if b < 0x80 {
				break
			}
		}
		out = append(out, list[k:k+int(n)])
		list = list[k+int(n):]
	}
	return out
}

// record adds a revision, dropping the oldest beyond HistoryKept.
func (e *entry) record(a action, actor string, at int64) {
	r := revision{version: e.version, at: at, actor: unique.Make(actor), name: e.name, action: a}
	if len(e.history) < HistoryKept {
		e.history = append(e.history, r)
		return
	}
	e.history[e.head] = r
	e.head = uint8((int(e.head) + 1) % len(e.history))
}

// output returns e as a Record that shares nothing with the store.
func (e *entry) output() Record {
	last := e.history[(int(e.head)+len(e.history)-1)%len(e.history)]
	r := Record{
		Tenant: e.tenant.name, ID: e.id, Version: e.version, Name: e.name, Active: e.active, Seq: e.seq, BreakerReset: e.reset,
		CreatedAt: time.Unix(0, e.created).UTC(), UpdatedAt: time.Unix(0, last.at).UTC(), UpdatedBy: last.actor.Value(),
	}
	r.Triggers = e.triggerList()
	data := e.data.unpack()
	r.Definition = data[:e.defLen:e.defLen]
	if len(data) > int(e.defLen) {
		r.Secrets = data[e.defLen:]
	}
	return r
}

// Cursors of List are the last id of a page, in base64 so that they go in
// URLs as they are.
func encodeCursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(id))
}

func decodeCursor(cursor string) (string, error) {
	id, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidCursor, err)
	}
	return string(id), nil
}

// subscription runs notify on a goroutine of its own while there are
// writes to tell of, and on none otherwise.
type subscription struct {
	notify    func()
	mu        sync.Mutex
	state     subState
	cancelled bool
}

type subState uint8

const (
	idle    subState = iota
	running          // notify is running or about to
	again            // and a write came after it started
)

func (s *subscription) poke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.cancelled:
	case s.state == idle:
		s.state = running
		go s.run()
	case s.state == running:
		s.state = again
	}
}

func (s *subscription) run() {
	for {
		s.mu.Lock()
		if s.cancelled {
			s.state = idle
			s.mu.Unlock()
			return
		}
		s.state = running
		s.mu.Unlock()
		s.notify()
		s.mu.Lock()
		if s.state == running {
			s.state = idle
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}
