package webhook

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/operational"
)

// maxTombstones bounds how many deleted webhooks a Dispatcher
// remembers; past it the oldest are forgotten, and a delivery of one of
// them is handled as a delivery of an unknown webhook.
const maxTombstones = 4096

// tombstones remembers the webhooks deleted, by queue key, with the
// version and store sequence number of their deletion, so that a delivery
// of one ends at once as Skipped while a delivery of a webhook this
// instance has not loaded yet waits for it (see WithUnknownWebhookGrace),
// and so that a change older than the deletion, read late, does not bring
// the webhook back. Guarded by the Dispatcher's mu.
type tombstones struct {
	versions map[string]tomb
	// ring holds the keys in the order deleted, next the oldest once it
	// is full; a slot whose key was forgotten, or deleted again since
	// (its tomb names another slot), frees nothing when reused.
	ring []string
	next int
}

type tomb struct {
	version int64
	seq     uint64
	slot    int // in ring
}

func (t *tombstones) add(key string, version int64, seq uint64) {
	if t.versions == nil {
		t.versions = map[string]tomb{}
	}
	if old, ok := t.versions[key]; ok {
		t.versions[key] = tomb{version, seq, old.slot}
		return
	}
	slot := len(t.ring)
	if slot == maxTombstones {
		slot = t.next
		if old, ok := t.versions[t.ring[slot]]; ok && old.slot == slot {
			delete(t.versions, t.ring[slot])
		}
		t.ring[slot] = key
		t.next = (slot + 1) % maxTombstones
	} else {
		t.ring = append(t.ring, key)
	}
	t.versions[key] = tomb{version, seq, slot}
}

// forget drops key, added again.
func (t *tombstones) forget(key string) {
	delete(t.versions, key)
}

// lookup returns the webhook whose queue key is key, compiled; loaded is
// the version this instance has of it (0 when it has none), and deleted
// the version of its deletion when this instance has it deleted (0
// otherwise). A definition that does not compile on this instance (its
// store was written by one with other settings) comes back with its
// error.
func (d *Dispatcher) lookup(key string) (h *hook, loaded, deleted int64, err error) {
	d.mu.RLock()
	e := d.byKey[key]
	if e == nil {
		deleted = d.removed.versions[key].version
		d.mu.RUnlock()
		return nil, 0, deleted, nil
	}
	d.mu.RUnlock()
	h, err = d.compiled(e)
	return h, e.rec.Version, 0, err
}

// skipRemoved ends del, whose webhook was removed, as Skipped. It is no
// dead letter: Redeliver could not queue it to a webhook that is gone.
func (d *Dispatcher) skipRemoved(ctx context.Context, del *delivery) engine.Result {
	reason := "webhook was removed before the delivery started"
	if del.Attempts > 0 {
		reason = fmt.Sprintf("webhook was removed after %d attempts", del.Attempts)
	}
	name := ""
	if del.hook != nil {
		name = del.hook.def.Name
	}
	d.tel.startRun(ctx, del)
	d.tel.endDelivery(ctx, del, name, Skipped, reason)
	tenant, id := splitKey(del.WebhookID)
	d.record(ctx, Invocation{
		ID: newID(), DeliveryID: del.ID, Tenant: tenant, WebhookID: id, WebhookName: name, EventType: del.Event.Type(),
		EventID: del.Event.ID(), SubjectEventID: operational.SubjectEventID(del.Event), Attempt: del.Attempts, Outcome: Skipped, Reason: reason, StartedAt: d.cfg.now(),
	})
	return engine.Result{Outcome: engine.Done}
}

// maxHistoryLook bounds the revisions of a definition read to tell
// whether it was deleted since a version.
const maxHistoryLook = 1000

// historyRetry is how long a delivery waits when the store's history
// could not be read.
const historyRetry = time.Second

// endIfDeletedSince ends del as Skipped, or holds it, when the definition
// it was queued with, or first attempted with, is older than the one
// loaded (version loaded) and the webhook may have been deleted and
// created again under its id since: the new webhook is another one, and
// del was the deleted one's. An instance that read the new webhook
// without the deletion (the store gives the last change of each
// definition) cannot tell otherwise, so the store's history says.
func (d *Dispatcher) endIfDeletedSince(ctx context.Context, del *delivery, loaded int64) (engine.Result, bool) {
	version := int64(del.DefinitionVersion)
	if del.hook != nil {
		version = int64(del.hook.version)
	}
	if version <= 0 || version >= loaded {
		return engine.Result{}, false
	}
	gone, err := d.deletedSince(ctx, del.WebhookID, version)
	switch {
	case err != nil && ctx.Err() != nil:
		return engine.Result{Outcome: engine.Interrupted}, true
	case err != nil:
		if _, ok := d.unknownLog.due(del.WebhookID, d.cfg.now()); ok {
			d.cfg.logger.WarnContext(ctx, "webhook: deliveries of an earlier version wait for the definition store",
				"webhook_id", del.WebhookID, "delivery_id", del.ID, "error", err)
		}
		return engine.Result{Outcome: engine.Held, Delay: historyRetry}, true
	case gone:
		return d.skipRemoved(ctx, del), true
	}
	return engine.Result{}, false
}

// deletedSince reports whether the webhook whose queue key is key was
// deleted, and created again, after version: whether its loaded
// definition's life began after version. The store's history is read once
// per loaded definition, when a delivery of an earlier version needs it.
// A history that does not reach back to version within maxHistoryLook
// revisions, or that the store trimmed, is taken for one life.
func (d *Dispatcher) deletedSince(ctx context.Context, key string, version int64) (bool, error) {
	d.mu.RLock()
	e := d.byKey[key]
	d.mu.RUnlock()
	if e == nil || version >= e.rec.Version {
		return false, nil
	}
	if born := e.born.Load(); born > 0 {
		return version < born, nil
	}
	// One revision per version, but for resealings, which keep theirs.
	limit := min(2*int(e.rec.Version-version)+2, maxHistoryLook)
	revs, err := d.defs.History(ctx, e.tenant, e.rec.ID, limit)
	if err != nil {
		return false, fmt.Errorf("webhook %s: reading its history: %w", e.rec.ID, err)
	}
	for _, r := range revs {
		switch {
		case r.Version > e.rec.Version: // a change not loaded here yet
		case r.Action == defstore.Created:
			e.born.Store(r.Version)
			return version < r.Version, nil
		case r.Version <= version:
			return false, nil
		}
	}
	return false, nil
}

// Bounds of the wait between two looks for a webhook not registered yet.
const (
	minUnknownWait = 100 * time.Millisecond
	maxUnknownWait = 30 * time.Second
)

// holdUnknown handles del, whose webhook this Dispatcher has not loaded,
// or not at the version del was queued with (an instance of a durable
// engine may run a job before it has followed the store that far): it
// waits, counting no attempt, and looks again after a while that grows
// with the delivery's age, until the grace period from del.Created has
// passed. Then del becomes a dead letter, which Redeliver can queue once
// the webhook is loaded.
func (d *Dispatcher) holdUnknown(ctx context.Context, del *delivery, loaded int64) engine.Result {
	now := d.cfg.now()
	if del.Created.IsZero() { // an engine that does not say: the grace starts now, as the retry budget does
		del.Created = now
	}
	tenant, id := splitKey(del.WebhookID)
	age, left := now.Sub(del.Created), del.Created.Add(d.cfg.unknownGrace).Sub(now)
	if left > 0 {
		wait := min(max(age/2, minUnknownWait), maxUnknownWait, left)
		if looks, ok := d.unknownLog.due(del.WebhookID, now); ok {
			d.cfg.logger.WarnContext(ctx, "webhook: deliveries wait for their webhook to be loaded",
				"tenant", tenant, "webhook_id", id, "version", del.DefinitionVersion, "loaded", loaded,
				"delivery_id", del.ID, "looks", looks, "grace", d.cfg.unknownGrace)
		}
		return engine.Result{Outcome: engine.Held, Delay: wait}
	}
	reason := fmt.Sprintf("webhook %s is not registered on this instance (waited %s for it; see WithUnknownWebhookGrace)",
		id, d.cfg.unknownGrace)
	if loaded > 0 {
		reason = fmt.Sprintf("webhook %s is at version %d on this instance, and the delivery was queued for version %d (waited %s for it; see WithUnknownWebhookGrace)",
			id, loaded, del.DefinitionVersion, d.cfg.unknownGrace)
	}
	return d.unrunnable(ctx, del, errors.New(reason))
}

// unrunnable makes del, which this instance cannot attempt, a dead letter
// that Redeliver can queue once it can.
func (d *Dispatcher) unrunnable(ctx context.Context, del *delivery, cause error) engine.Result {
	reason := cause.Error()
	tenant, id := splitKey(del.WebhookID)
	d.deadLetter(del, Failed, reason)
	d.tel.startRun(ctx, del)
	d.tel.endDelivery(ctx, del, "", Failed, reason)
	inv := Invocation{
		ID: newID(), DeliveryID: del.ID, Tenant: tenant, WebhookID: id, EventType: del.Event.Type(), EventID: del.Event.ID(), SubjectEventID: operational.SubjectEventID(del.Event),
		Attempt: del.Attempts, Outcome: Failed, Reason: reason, StartedAt: d.cfg.now(),
	}
	d.record(ctx, inv)
	d.log(ctx, &inv)
	return engine.Result{Outcome: engine.Done}
}

// unknownLogEvery is how often a webhook not registered yet is logged
// while deliveries wait for it.
const unknownLogEvery = time.Minute

// unknownLog bounds the warnings about deliveries waiting for a webhook
// not registered yet to one per webhook per unknownLogEvery: a backlog of
// thousands of them, each looking again every few seconds, would
// otherwise flood the log.
type unknownLog struct {
	mu   sync.Mutex
	seen map[string]*unknownSeen
}

type unknownSeen struct {
	logged time.Time
	looks  int // since logged
}

// due counts a look for a delivery of webhook id and reports whether to
// log it now, with the looks it stands for.
func (l *unknownLog) due(id string, now time.Time) (looks int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.seen[id]
	if s == nil {
		if l.seen == nil {
			l.seen = map[string]*unknownSeen{}
		}
		for other, old := range l.seen { // forget webhooks that stopped waiting
			if now.Sub(old.logged) > unknownLogEvery {
				delete(l.seen, other)
			}
		}
		l.seen[id] = &unknownSeen{logged: now}
		return 1, true
	}
	s.looks++
	if now.Sub(s.logged) < unknownLogEvery {
		return 0, false
	}
	looks = s.looks
	s.logged, s.looks = now, 0
	return looks, true
}
