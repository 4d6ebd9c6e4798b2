package webhook

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/outhook/outhook/engine"
)

// maxTombstones bounds how many removed webhook ids a Dispatcher
// remembers; past it the oldest are forgotten, and a delivery of one of
// them is handled as a delivery of an unknown webhook.
const maxTombstones = 4096

// tombstones remembers the ids of webhooks removed through a Dispatcher,
// so that a delivery of one ends at once as Skipped while a delivery of a
// webhook this instance has never loaded waits for it (see
// WithUnknownWebhookGrace). Guarded by the Dispatcher's mu.
type tombstones struct {
	ids   map[string]struct{}
	order []string // oldest first
}

func (t *tombstones) add(id string) {
	if t.ids == nil {
		t.ids = map[string]struct{}{}
	}
	if _, ok := t.ids[id]; ok {
		return
	}
	if len(t.order) == maxTombstones {
		delete(t.ids, t.order[0])
		t.order = append(t.order[:0], t.order[1:]...)
	}
	t.ids[id] = struct{}{}
	t.order = append(t.order, id)
}

// forget drops id, added again.
func (t *tombstones) forget(id string) {
	if _, ok := t.ids[id]; !ok {
		return
	}
	delete(t.ids, id)
	for i, x := range t.order {
		if x == id {
			t.order = append(t.order[:i], t.order[i+1:]...)
			break
		}
	}
}

// lookup returns the webhook registered under id, or nil and whether it
// was removed through this Dispatcher.
func (d *Dispatcher) lookup(id string) (h *hook, removed bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if h = d.byID[id]; h != nil {
		return h, false
	}
	_, removed = d.removed.ids[id]
	return nil, removed
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
	d.record(ctx, Invocation{
		ID: newID(), DeliveryID: del.ID, WebhookID: del.WebhookID, WebhookName: name, EventType: del.Event.Type(),
		EventID: del.Event.ID(), Attempt: del.Attempts, Outcome: Skipped, Reason: reason, StartedAt: d.cfg.now(),
	})
	return engine.Result{Outcome: engine.Done}
}

// Bounds of the wait between two looks for a webhook not registered yet.
const (
	minUnknownWait = 100 * time.Millisecond
	maxUnknownWait = 30 * time.Second
)

// holdUnknown handles del, whose webhook this Dispatcher has never had (a
// durable engine's instance may run a job before it has loaded every
// webhook): it waits, counting no attempt, and looks again after a while
// that grows with the delivery's age, until the grace period from
// del.Created has passed. Then del becomes a dead letter, which Redeliver
// can queue once the webhook is loaded.
func (d *Dispatcher) holdUnknown(ctx context.Context, del *delivery) engine.Result {
	now := d.cfg.now()
	if del.Created.IsZero() { // an engine that does not say: the grace starts now, as the retry budget does
		del.Created = now
	}
	age, left := now.Sub(del.Created), del.Created.Add(d.cfg.unknownGrace).Sub(now)
	if left > 0 {
		wait := min(max(age/2, minUnknownWait), maxUnknownWait, left)
		if looks, ok := d.unknownLog.due(del.WebhookID, now); ok {
			d.cfg.logger.WarnContext(ctx, "webhook: deliveries wait for their webhook to be registered",
				"webhook_id", del.WebhookID, "delivery_id", del.ID, "looks", looks, "grace", d.cfg.unknownGrace)
		}
		return engine.Result{Outcome: engine.Held, Delay: wait}
	}
	reason := fmt.Sprintf("webhook %s is not registered on this instance (waited %s for it; see WithUnknownWebhookGrace)",
		del.WebhookID, d.cfg.unknownGrace)
	d.deadLetter(del, Failed, reason)
	d.tel.startRun(ctx, del)
	d.tel.endDelivery(ctx, del, "", Failed, reason)
	inv := Invocation{
		ID: newID(), DeliveryID: del.ID, WebhookID: del.WebhookID, EventType: del.Event.Type(), EventID: del.Event.ID(),
		Attempt: del.Attempts, Outcome: Failed, Reason: reason, StartedAt: now,
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
