package webhook

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/internal/breaker"
)

// entry is one definition as this instance holds it: the stored record,
// and the definition compiled from it the first time a Publish or a
// delivery needs it, so that an instance following a store of a million
// definitions compiles only those its tenants use.
type entry struct {
	tenant string
	key    string // the queue key (see queueKey)
	rec    entryRecord
	// sealed holds the record's secrets until the definition is compiled;
	// then nil, since the compiled copy holds all of it (see definition).
	sealed atomic.Pointer[[]byte]
	// added orders the definitions as this instance first loaded their
	// ids: List and Publish go in this order. An update keeps it.
	added uint64

	once   sync.Once
	hook   atomic.Pointer[hook]
	failed error // why rec does not compile here; set with once

	// born is the version the definition's current life began at (its
	// creation, or its creation again after a deletion), once a delivery
	// of an earlier version had it read from the store's history; 0
	// until then.
	born atomic.Int64
	// prev is the compiled definition rec replaced when that had the same
	// version: the same content sealed again, whose breaker and rate
	// limiter go on in the new one; taken when rec is compiled.
	prev atomic.Pointer[hook]
}

// entryRecord is what an entry keeps of its stored record: not the
// masked definition, which is for display and read from the store, nor
// the store's timestamps; the secrets are in entry.sealed.
type entryRecord struct {
	ID, Name string
	Version  int64
	Seq      uint64
	Active   bool
	Triggers []event.Trigger // canonical (see entryTriggers)
}

// tenantIndex is one tenant's definitions by id, name and trigger.
// Guarded by the Dispatcher's mu; each triggerSet has a lock of its own,
// which Publish takes without the Dispatcher's. Adding or removing a
// definition costs the same whatever the number held.
type tenantIndex struct {
	byID      map[string]*entry
	byName    map[string]*entry
	byTrigger map[event.Trigger]*triggerSet
}

// triggerSet is one tenant's definitions on one trigger, kept so that
// Publish evaluates the filters of those that may match an event only:
// the active definitions compiled here are in a filter.Index, which
// selects them by the equalities their filters require.
type triggerSet struct {
	mu sync.RWMutex
	// Made when first needed: most tenants have a few definitions on
	// each trigger, and most definitions are active and compile.
	inactive map[*entry]struct{}
	pending  map[*entry]struct{} // active, not compiled yet: Publish compiles and indexes them
	broken   map[*entry]struct{} // active, and do not compile on this instance
	index    filter.Index[*entry]
}

// put adds e to *set, making it when nil.
func put(set *map[*entry]struct{}, e *entry) {
	if *set == nil {
		*set = map[*entry]struct{}{}
	}
	(*set)[e] = struct{}{}
}

func (s *triggerSet) add(e *entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch h := e.hook.Load(); {
	case !e.rec.Active:
		put(&s.inactive, e)
	case h != nil:
		s.index.Add(e, h.filter)
	default:
		put(&s.pending, e)
	}
}

// remove takes e out, and reports whether s is empty then.
func (s *triggerSet) remove(e *entry) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inactive, e)
	delete(s.pending, e)
	delete(s.broken, e)
	s.index.Remove(e)
	return len(s.inactive)+len(s.pending)+len(s.broken)+s.index.Len() == 0
}

// compilePending compiles the definitions of s not compiled yet, outside
// its lock, and indexes them (or sets them apart when they do not compile
// here).
func (d *Dispatcher) compilePending(s *triggerSet) {
	s.mu.RLock()
	if len(s.pending) == 0 {
		s.mu.RUnlock()
		return
	}
	todo := make([]*entry, 0, len(s.pending))
	for e := range s.pending {
		todo = append(todo, e)
	}
	s.mu.RUnlock()
	hooks := make([]*hook, len(todo))
	for i, e := range todo {
		hooks[i], _ = d.compiled(e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range todo {
		if _, ok := s.pending[e]; !ok {
			continue // removed meanwhile, or indexed by another Publish
		}
		delete(s.pending, e)
		if hooks[i] == nil {
			put(&s.broken, e)
			continue
		}
		s.index.Add(e, hooks[i].filter)
	}
}

// candidates is what Publish reads of a triggerSet.
type candidates struct {
	eval     []*entry // filters to run; when all, in the order the definitions were added
	inactive []*entry // the inactive ones when all, in that order too
	broken   []*entry
	// indexed counts the active definitions compiled, of which eval are
	// those whose filters may match; inactive counts the inactive ones.
	indexed, inactiveN int
}

// candidates returns what Publish must look at for an event with the
// document doc, the filters to run appended to dst: with all, every definition (records of the filtered ones
// need their filters run); otherwise the index's candidates alone.
func (s *triggerSet) candidates(dst []*entry, doc any, all bool) candidates {
	s.mu.RLock()
	var c candidates
	c.indexed, c.inactiveN = s.index.Len(), len(s.inactive)
	if all {
		c.eval = s.index.All(slices.Grow(dst, c.indexed))
		c.inactive = make([]*entry, 0, len(s.inactive))
		for e := range s.inactive {
			c.inactive = append(c.inactive, e)
		}
	} else {
		c.eval = s.index.Candidates(dst, doc)
	}
	for e := range s.broken {
		c.broken = append(c.broken, e)
	}
	s.mu.RUnlock()
	if all { // records in the order of the definitions
		slices.SortFunc(c.eval, byAdded)
		slices.SortFunc(c.inactive, byAdded)
	}
	slices.SortFunc(c.broken, byAdded)
	return c
}

func byAdded(a, b *entry) int { return cmp.Compare(a.added, b.added) }

// keySep joins a tenant and a webhook id into the key of the webhook's
// queue. Neither may hold it: both refuse control characters.
const keySep = "\x1f"

// queueKey is the key the engine knows a webhook by: its id for the
// single-tenant service's webhooks, as before tenants, and the tenant and
// id joined otherwise, so that two tenants' webhooks with one id are two
// queues.
func queueKey(tenant, id string) string {
	if tenant == "" {
		return id
	}
	return tenant + keySep + id
}

// splitKey is the inverse of queueKey.
func splitKey(key string) (tenant, id string) {
	if t, id, ok := strings.Cut(key, keySep); ok {
		return t, id
	}
	return "", key
}

// maxTenantBytes bounds a tenant id.
const maxTenantBytes = 256

// ErrInvalidTenant is wrapped by the errors of calls given a tenant id
// that is not valid UTF-8, longer than 256 bytes or holding a control
// character.
var ErrInvalidTenant = errors.New("webhook: invalid tenant id")

func checkTenant(tenant string) error {
	if len(tenant) > maxTenantBytes || !utf8.ValidString(tenant) || strings.ContainsFunc(tenant, unicode.IsControl) {
		return fmt.Errorf("%w %q", ErrInvalidTenant, tenant)
	}
	return nil
}

// validID reports whether a webhook id can be stored and keyed: 1 to 256
// bytes of UTF-8 without control characters.
func validID(id string) bool {
	return id != "" && len(id) <= 256 && utf8.ValidString(id) && !strings.ContainsFunc(id, unicode.IsControl)
}

// compiled returns e's definition compiled, compiling it the first time.
func (d *Dispatcher) compiled(e *entry) (*hook, error) {
	if h := e.hook.Load(); h != nil {
		return h, nil
	}
	e.once.Do(func() {
		h, err := d.compileRecord(e)
		if err != nil {
			e.failed = err
			return
		}
		e.setHook(h)
	})
	if h := e.hook.Load(); h != nil {
		return h, nil
	}
	return nil, e.failed
}

// setHook makes h e's compiled definition, and drops e's copy of the
// sealed secrets, which h holds in the clear. Only under e.once.
func (e *entry) setHook(h *hook) {
	// The shared filter matches as the one decoded (or given) for h.
	h.def.Filters = h.filter
	e.hook.Store(h)
	e.sealed.Store(nil) // after the hook: a reader finding no secrets finds it
}

// definition returns e's whole definition, secrets included: decoded from
// the sealed record until e is compiled, and after that from the compiled
// copy, encoded and decoded as the record was, so that it comes back the
// same either way.
func (d *Dispatcher) definition(e *entry) (Webhook, error) {
	if sealed := e.sealed.Load(); sealed != nil {
		return d.openDefinition(defstore.Record{Tenant: e.tenant, ID: e.rec.ID, Version: e.rec.Version, Secrets: *sealed})
	}
	w := e.hook.Load().webhook()
	w.Version = 0
	full, err := json.Marshal(w)
	if err != nil {
		return Webhook{}, fmt.Errorf("webhook %s: encoding: %w", e.rec.ID, err)
	}
	var out Webhook
	if err := json.Unmarshal(full, &out); err != nil {
		return Webhook{}, fmt.Errorf("webhook %s: decoding: %w", e.rec.ID, err)
	}
	out.ID, out.Version = e.rec.ID, e.rec.Version
	return out, nil
}

// compileRecord opens and decodes a stored definition and compiles it.
func (d *Dispatcher) compileRecord(e *entry) (*hook, error) {
	w, err := d.definition(e)
	if err != nil {
		return nil, err
	}
	if w.Name == e.rec.Name {
		w.Name = e.rec.Name // one copy for the entry and the hook
	}
	h, errs := d.compile(w)
	if errs != nil {
		return nil, fmt.Errorf("webhook %s (version %d) does not compile on this instance: %w", e.rec.ID, e.rec.Version, errs)
	}
	h.tenant, h.key, h.version = e.tenant, e.key, uint64(e.rec.Version)
	if p := e.prev.Swap(nil); p != nil {
		h.breaker, h.limiter = p.breaker, p.limiter
	}
	return h, nil
}

// openDefinition returns the whole definition a record holds, secrets
// included: only the sender reads them.
func (d *Dispatcher) openDefinition(rec defstore.Record) (Webhook, error) {
	full := rec.Secrets
	if d.keyring != nil {
		var err error
		full, err = d.keyring.Open(rec.Secrets, sealedFor(rec.Tenant, rec.ID))
		if err != nil {
			return Webhook{}, fmt.Errorf("webhook %s: opening its sealed definition: %w", rec.ID, err)
		}
	}
	var w Webhook
	if err := json.Unmarshal(full, &w); err != nil {
		return Webhook{}, fmt.Errorf("webhook %s: decoding its stored definition: %w", rec.ID, err)
	}
	w.ID, w.Version = rec.ID, rec.Version
	w.Triggers = foldTriggers(w.Triggers)
	return w, nil
}

// sealedFor is the associated data a definition's secrets are sealed
// with, so that a sealed blob copied onto another definition, of the same
// tenant or another, does not open there.
func sealedFor(tenant, id string) []byte {
	return []byte("outhook/definition\x00" + tenant + "\x00" + id)
}

// encode turns a compiled definition into a record: its masked JSON for
// display, and the whole definition sealed.
func (d *Dispatcher) encode(tenant string, h *hook) (defstore.Record, error) {
	w := h.webhook()
	w.Version = 0
	full, err := json.Marshal(w)
	if err != nil {
		return defstore.Record{}, fmt.Errorf("webhook %s: encoding: %w", w.ID, err)
	}
	masked, err := json.Marshal(w.redacted())
	if err != nil {
		return defstore.Record{}, fmt.Errorf("webhook %s: encoding: %w", w.ID, err)
	}
	if d.keyring != nil {
		if full, err = d.keyring.Seal(full, sealedFor(tenant, w.ID)); err != nil {
			return defstore.Record{}, fmt.Errorf("webhook %s: sealing: %w", w.ID, err)
		}
	}
	triggers := make([]string, 0, len(w.Triggers))
	for _, t := range distinctTriggers(w.Triggers) {
		triggers = append(triggers, string(t))
	}
	return defstore.Record{
		Tenant: tenant, ID: w.ID, Name: w.Name, Active: w.Active, Triggers: triggers,
		Definition: masked, Secrets: full,
	}, nil
}

// Encode checks w as Create checks it and returns the record Create
// would store, its secrets sealed with the Dispatcher's keyring, without
// storing it: for loading definitions into a store in bulk (a database's
// COPY, a migration), which every Dispatcher following the store then
// loads as it loads Create's. An empty w.ID gets a random id. The store
// sets the version and the rest; the tenant's limits are not checked.
func (t *Tenant) Encode(w Webhook) (defstore.Record, error) {
	if err := checkTenant(t.id); err != nil {
		return defstore.Record{}, err
	}
	if w.ID == "" {
		w.ID = newID()
	}
	if !validID(w.ID) {
		return defstore.Record{}, DefinitionErrors{{Webhook: w.Name, Field: "id", Err: fmt.Errorf("%w: %q", ErrInvalidID, w.ID)}}
	}
	h, errs := t.d.compile(w)
	if errs != nil {
		return defstore.Record{}, errs
	}
	return t.d.encode(t.id, h)
}

// masked decodes the masked definition a record holds for display.
func masked(rec defstore.Record) (Webhook, error) {
	var w Webhook
	if err := json.Unmarshal(rec.Definition, &w); err != nil {
		return Webhook{}, fmt.Errorf("webhook %s: decoding its stored definition: %w", rec.ID, err)
	}
	w.ID, w.Version = rec.ID, rec.Version
	w.Triggers = foldTriggers(w.Triggers)
	return w, nil
}

// foldTriggers returns triggers with each event type once, in the
// spelling it first has. A definition stored before a trigger given twice
// was refused still loads, and reads back as it can be written again.
func foldTriggers(triggers []event.Trigger) []event.Trigger {
	seen := make(map[event.Trigger]bool, len(triggers))
	return slices.DeleteFunc(triggers, func(t event.Trigger) bool {
		c := accessrequest.Canonical(t)
		if seen[c] {
			return true
		}
		seen[c] = true
		return false
	})
}

// putLocked makes rec this instance's definition (rec.Tenant, rec.ID),
// unless it holds a later one already. It reports whether it did.
func (d *Dispatcher) putLocked(rec defstore.Record) bool {
	key := queueKey(rec.Tenant, rec.ID)
	old := d.byKey[key]
	if old != nil && !newer(rec.Version, rec.Seq, old.rec.Version, old.rec.Seq) {
		return false
	}
	if t, ok := d.removed.versions[key]; ok && !newer(rec.Version, rec.Seq, t.version, t.seq) {
		return false // deleted after this version was written
	}
	e := &entry{tenant: rec.Tenant, key: key, rec: entryRecord{
		ID: rec.ID, Name: rec.Name, Version: rec.Version, Seq: rec.Seq, Active: rec.Active, Triggers: d.entryTriggers(rec.Triggers),
	}}
	if old != nil && old.rec.Version == rec.Version {
		// Sealed again (Reseal), or its breaker reset: the same webhook,
		// whose breaker and rate limiter go on, compiled or not yet.
		h := old.hook.Load()
		if h == nil {
			h = old.prev.Load()
		}
		e.prev.Store(h)
		if h != nil && h.breaker != nil && rec.BreakerReset > old.rec.Seq && d.resetHere[key] < rec.BreakerReset {
			// Reset on another instance since this one loaded old: closed
			// here too, and what it held goes now (see syncNow).
			d.toReset = append(d.toReset, h)
		}
		delete(d.resetHere, key)
	}
	// The sealed definition is copied out since a store may return it and
	// the masked one in one allocation, which would keep the masked bytes
	// alive too: a million definitions' worth.
	sealed := bytes.Clone(rec.Secrets)
	e.sealed.Store(&sealed)
	ti := d.tenants[rec.Tenant]
	if ti == nil {
		ti = &tenantIndex{byID: map[string]*entry{}, byName: map[string]*entry{}, byTrigger: map[event.Trigger]*triggerSet{}}
		d.tenants[rec.Tenant] = ti
	}
	if old != nil {
		e.added = old.added
		ti.unindex(old)
	} else {
		d.added++
		e.added = d.added
	}
	d.byKey[key] = e
	d.removed.forget(key)
	ti.byID[rec.ID] = e
	ti.byName[rec.Name] = e
	for _, t := range e.rec.Triggers {
		set := ti.byTrigger[t]
		if set == nil {
			set = &triggerSet{}
			ti.byTrigger[t] = set
		}
		set.add(e)
	}
	d.gen.Add(1)
	if old != nil {
		// Sealed again or not, e compiles a hook of its own, with a new
		// transport when it has TLS settings.
		closeIdle(old.hook.Load())
		if h := old.hook.Load(); h != nil && h.breaker != nil && old.rec.Version != rec.Version && h.breaker.State() != breaker.Closed {
			// Another version has a new breaker, closed. The deliveries the
			// old one held after an attempt keep the old definition (those
			// held before their first take the new one): it is reset, and
			// they go now (see syncNow).
			d.toReset = append(d.toReset, h)
		}
	}
	if old != nil && old.hook.Load() != nil {
		// In use here: its queue takes the new settings now.
		if h, err := d.compiled(e); err == nil {
			d.resizeQueue(h)
		}
	}
	return true
}

// entryTriggers returns the triggers of a stored record, canonical: for
// a known trigger alone, which most definitions have, the list they all
// share.
func (d *Dispatcher) entryTriggers(stored []string) []event.Trigger {
	if len(stored) == 1 {
		t := accessrequest.Canonical(event.Trigger(stored[0]))
		if _, known := d.cfg.schemas[t]; known {
			return d.cfg.shared.oneTrigger(t)
		}
	}
	out := make([]event.Trigger, len(stored))
	for i, t := range stored {
		out[i] = accessrequest.Canonical(event.Trigger(t))
	}
	return out
}

// closeIdle closes the idle connections of h's own transport, which
// its TLS settings gave it, once another hook replaces h (another version,
// or the same sealed again) or h is deleted; deliveries still using it go on, and its connections close as
// they end, within the transport's idle timeout.
func closeIdle(h *hook) {
	if h != nil && h.tls != nil {
		h.client.CloseIdleConnections()
	}
}

// newer reports whether version v at sequence s comes after version ov at
// sequence os. Versions of one definition only grow, even across a
// deletion; a record sealed again keeps its version and takes a new
// sequence number.
func newer(v int64, s uint64, ov int64, os uint64) bool {
	return v > ov || v == ov && s > os
}

// deleteLocked forgets the definition (tenant, id) deleted at version and
// seq, unless this instance holds a later one.
func (d *Dispatcher) deleteLocked(tenant, id string, version int64, seq uint64) {
	key := queueKey(tenant, id)
	if old := d.byKey[key]; old != nil {
		if newer(old.rec.Version, old.rec.Seq, version, seq) {
			return
		}
		ti := d.tenants[tenant]
		ti.unindex(old)
		delete(ti.byID, id)
		if len(ti.byID) == 0 {
			delete(d.tenants, tenant)
		}
		delete(d.byKey, key)
		closeIdle(old.hook.Load())
		d.ops.forget(key)
		d.toWake = append(d.toWake, key) // see syncNow
	}
	delete(d.resetHere, key)
	if t, ok := d.removed.versions[key]; !ok || newer(version, seq, t.version, t.seq) {
		d.removed.add(key, version, seq) // a deletion applied twice keeps the later one
	}
	d.gen.Add(1)
}

func (ti *tenantIndex) unindex(e *entry) {
	if ti.byName[e.rec.Name] == e {
		delete(ti.byName, e.rec.Name)
	}
	for _, t := range e.rec.Triggers {
		if set := ti.byTrigger[t]; set != nil && set.remove(e) {
			delete(ti.byTrigger, t)
		}
	}
}

// apply brings one change of the store into this instance.
func (d *Dispatcher) apply(c defstore.Change) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c.Deleted {
		d.deleteLocked(c.Tenant, c.ID, c.Version, c.Seq)
		return
	}
	if c.Record != nil {
		d.putLocked(*c.Record)
	}
}

// syncBatch is how many changes one read of the store returns.
const syncBatch = 1000

// sync reads every change of the store after the last one seen and
// applies it. Only the follower (and New, before it starts) calls it.
func (d *Dispatcher) syncLocked(ctx context.Context) error {
	for {
		changes, err := d.defs.Changes(ctx, d.cursor, syncBatch)
		if err != nil {
			return fmt.Errorf("webhook: reading the definition store: %w", err)
		}
		for _, c := range changes {
			d.apply(c)
			d.cursor = max(d.cursor, c.Seq)
		}
		d.synced.Store(time.Now().UnixNano())
		if len(changes) < syncBatch {
			return nil
		}
	}
}

// follow keeps this instance in step with the store until Close: it reads
// the changes whenever the store says there are some, whenever a delivery
// asks for a version not loaded yet, and every sync interval whatever
// happens, since a durable store's notifications can be missed.
func (d *Dispatcher) follow(cancel func()) {
	defer close(d.followDone)
	defer cancel()
	tick := time.NewTicker(d.cfg.syncInterval)
	defer tick.Stop()
	for {
		select {
		case <-d.life.Done():
			return
		case <-d.poke:
		case <-tick.C:
		}
		if err := d.syncNow(d.life); err != nil && d.life.Err() == nil {
			d.cfg.logger.Warn("webhook: following the definition store", "error", err)
		}
	}
}

// pokeSync asks the follower to read the store now.
func (d *Dispatcher) pokeSync() {
	select {
	case d.poke <- struct{}{}:
	default:
	}
}
