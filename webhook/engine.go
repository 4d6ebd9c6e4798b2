package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
)

// StoreEngine is an engine.Engine that keeps invocation records and dead
// letters itself, beside its deliveries (riverengine's, in its database).
// Given to WithEngine without WithInvocationStore, its store is the
// Dispatcher's, so that its dead letters cannot land in memory by mistake.
type StoreEngine interface {
	engine.Engine
	InvocationStore() InvocationStore
}

// TxStore is an InvocationStore that can write in an engine's transaction:
// during PublishTx, the records of the webhooks the event did not match
// are written in the caller's transaction, with the deliveries.
type TxStore interface {
	InvocationStore
	RecordTx(ctx context.Context, tx engine.Tx, inv Invocation) error
	// TakeDeadLetterTx is TakeDeadLetter in tx (see TxEngine).
	TakeDeadLetterTx(ctx context.Context, tx engine.Tx, deliveryID string) (DeadLetter, error)
}

// TxEngine is a StoreEngine that opens transactions of its database.
// When the Dispatcher's store is the engine's own and a TxStore,
// Redeliver takes the dead letter and queues its delivery in one of them,
// so that no crash or failure between the two loses the dead letter.
type TxEngine interface {
	StoreEngine
	// InTx runs fn in a new transaction, committed when fn returns nil
	// and rolled back otherwise.
	InTx(ctx context.Context, fn func(tx engine.Tx) error) error
}

// delivery is an engine's delivery with what the Dispatcher keeps of it
// between attempts in this process.
type delivery struct {
	*engine.Delivery

	// Set at the first attempt, so that retries send the same bytes to the
	// same definition even if the webhook is updated.
	hook     *hook
	body     string
	target   *target // the rendered URL and header values; nil when plain
	schedule *schedule
	span     trace.Span // from Publish, or for a queued delivery from the run's start, to the outcome; nil once ended
	// held is what flow control keeps of a delivery it held back; nil
	// for the many never held, which keeps every delivery small.
	held *held
	// The flags together, after the words: with the engine's part the
	// delivery fits an allocation size 16 bytes smaller, which every
	// delivery Publish makes pays.
	rendered bool
	admitted bool // a slot of the webhook's rate is reserved for the next attempt
	// tenantAdmitted: a slot of the tenant's rate is reserved.
	tenantAdmitted bool
}

// held is what flow control keeps of a delivery it held back, between
// its runs.
type held struct {
	// slotAt and tenantSlotAt are when the slots of the webhook's and the
	// tenant's rate reserved for the delivery come, zero when not later
	// than their reservation: a run before then (an engine that woke it
	// early) is held again until then.
	slotAt, tenantSlotAt time.Time
	// tenantTicket is its place in the line for room under the tenant's
	// in-flight limit, 0 when it is in none.
	tenantTicket uint64
}

// hold returns what flow control keeps of del, made on first use.
func (del *delivery) hold() *held {
	if del.held == nil {
		del.held = new(held)
	}
	return del.held
}

// heldFor returns how long before the slot of the webhook's rate reserved
// for del comes; heldForTenant likewise for the tenant's rate.
func (del *delivery) heldFor(now time.Time) time.Duration {
	if del.held == nil || del.held.slotAt.IsZero() {
		return 0
	}
	return del.held.slotAt.Sub(now)
}

func (del *delivery) heldForTenant(now time.Time) time.Duration {
	if del.held == nil || del.held.tenantSlotAt.IsZero() {
		return 0
	}
	return del.held.tenantSlotAt.Sub(now)
}

// ticket returns del's place in the line for room under its tenant's
// in-flight limit, 0 when it is in none.
func (del *delivery) ticket() uint64 {
	if del.held == nil {
		return 0
	}
	return del.held.tenantTicket
}

// newDelivery makes a delivery of e to h, created at now: the engine's
// part and the Dispatcher's in one allocation.
func newDelivery(id string, h *hook, e *event.Event, now time.Time) *delivery {
	both := &struct {
		d  delivery
		ed engine.Delivery
	}{}
	both.ed = engine.Delivery{
		ID: id, WebhookID: h.key, Event: e, Created: now,
		QueueSize: h.queueSize, Concurrency: h.concurrency, OrderingKey: h.orderingKeyOf(e),
		DefinitionVersion: h.version, RunnerState: &both.d,
	}
	both.d.Delivery = &both.ed
	return &both.d
}

// deliveryOf returns the Dispatcher's side of ed, made afresh when the
// engine rebuilt ed rather than keep it.
func deliveryOf(ed *engine.Delivery) *delivery {
	if del, ok := ed.RunnerState.(*delivery); ok && del.Delivery == ed {
		return del
	}
	del := &delivery{Delivery: ed}
	ed.RunnerState = del
	return del
}

// deliveryID returns the id of a delivery of e to the webhook whose queue
// key is key: derived from the event's id when it has one, so that
// publishing the same event again gives receivers the same webhook-id to
// deduplicate on; random otherwise. The key is the webhook's id for the
// single-tenant service, whose ids stay as they were before tenants, and
// holds keySep otherwise, which no id does: an event id may hold any
// character, so a tenant cannot be told apart from the id but by that.
func deliveryID(e *event.Event, key string) string {
	if e.ID() == "" {
		return newID()
	}
	var buf [256]byte
	in := append(append(append(buf[:0], e.ID()...), 0), key...)
	sum := sha256.Sum256(in)
	return hex.EncodeToString(sum[:16])
}

// runner is the engine.Runner a Dispatcher hands its engine: its delivery
// attempts, kept out of the Dispatcher's own API.
type runner struct{ d *Dispatcher }

func (r runner) Run(ctx context.Context, ed *engine.Delivery) engine.Result {
	if checkEvent("Run", ed.Event) != nil {
		r.d.eventless(ed, "")
		return engine.Result{Outcome: engine.Done}
	}
	return r.d.run(ctx, deliveryOf(ed))
}

func (r runner) Abandon(ed *engine.Delivery, err error) {
	if err == nil {
		err = errors.New("the engine gave no reason")
	}
	if checkEvent("Abandon", ed.Event) != nil {
		r.d.eventless(ed, "abandoned: "+err.Error()+"; ")
		return
	}
	r.d.abandon(deliveryOf(ed), err)
}

// eventless ends a delivery that an engine handed back without its event
// (a stored row whose event did not decode, say). It can be neither sent
// nor kept as a dead letter, which Redeliver would send: it is recorded
// as failed, logged and counted as a lost dead letter, so that one bad
// row does not panic in the engine's worker at every restart.
func (d *Dispatcher) eventless(ed *engine.Delivery, prefix string) {
	tenant, id := splitKey(ed.WebhookID)
	reason := prefix + "the engine handed the delivery back without its event: it can be neither sent nor kept as a dead letter"
	d.cfg.logger.Error("webhook: a delivery without its event", "delivery_id", ed.ID, "tenant", tenant, "webhook_id", id, "reason", reason)
	d.tel.deadLetterFailed(id)
	inv := Invocation{
		ID: recordID(), DeliveryID: ed.ID, Tenant: tenant, WebhookID: id,
		Attempt: ed.Attempts, Outcome: Failed, Reason: reason, StartedAt: d.cfg.now(),
	}
	d.record(d.life, inv)
}
