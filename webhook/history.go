package webhook

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/operational"
)

// Retention bounds the history a store keeps: invocation records and dead
// letters, by age and by count. Counts are per webhook of a tenant, as the
// memory store's bounds are, so that a webhook failing forever pushes out
// its own history and no other's. A zero field is no bound.
type Retention struct {
	// RecordAge deletes the records that started longer ago than it.
	RecordAge time.Duration
	// RecordsPerWebhook keeps the latest that many records of each
	// webhook (latest in the order of pages) and deletes the others.
	RecordsPerWebhook int
	// DeadLetterAge deletes the dead letters that failed longer ago than
	// it: they can then no longer be redelivered.
	DeadLetterAge time.Duration
	// DeadLettersPerWebhook keeps the latest that many dead letters of
	// each webhook.
	DeadLettersPerWebhook int
	// Interval is how often the store enforces the bounds in the
	// background; zero means DefaultRetentionInterval.
	Interval time.Duration
	// Now is the clock the ages are measured by; nil means time.Now.
	Now func() time.Time
}

// DefaultRetentionInterval is how often a store enforces its Retention
// when the Retention does not say.
const DefaultRetentionInterval = time.Minute

func (r Retention) interval() time.Duration {
	if r.Interval <= 0 {
		return DefaultRetentionInterval
	}
	return r.Interval
}

func (r Retention) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// Pruned counts what one enforcement of a Retention deleted.
type Pruned struct {
	Invocations int64 `json:"invocations"`
	DeadLetters int64 `json:"dead_letters"`
}

// EraseSelector picks what Tenant.Erase erases of a tenant: everything
// with All, one webhook's history and queue with WebhookID, what carries
// one event id with EventID, and what meets both when both are set. A
// zero selector picks nothing and is refused, so that a request that
// forgot to say (an empty body) cannot erase a whole tenant.
type EraseSelector struct {
	// All picks everything of the tenant; it cannot go with the others.
	All       bool   `json:"all,omitempty"`
	WebhookID string `json:"webhook_id,omitempty"`
	EventID   string `json:"event_id,omitempty"`
}

// check returns an *EraseSelectorError unless sel picks something, one
// way.
func (sel EraseSelector) check() error {
	narrow := sel.WebhookID != "" || sel.EventID != ""
	switch {
	case !sel.All && !narrow:
		return &EraseSelectorError{Field: "all", Reason: "nothing is selected: set all to erase everything of the tenant, or webhook_id or event_id"}
	case sel.All && sel.WebhookID != "":
		return &EraseSelectorError{Field: "webhook_id", Reason: "all selects everything of the tenant: it cannot go with webhook_id"}
	case sel.All && sel.EventID != "":
		return &EraseSelectorError{Field: "event_id", Reason: "all selects everything of the tenant: it cannot go with event_id"}
	case sel.WebhookID != "" && !validID(sel.WebhookID):
		return &EraseSelectorError{Field: "webhook_id", Reason: fmt.Sprintf("no webhook has the id %q: %v", sel.WebhookID, ErrInvalidID)}
	case !utf8.ValidString(sel.EventID):
		return &EraseSelectorError{Field: "event_id", Reason: fmt.Sprintf("no event has the id %q, which is not UTF-8", sel.EventID)}
	}
	return nil
}

// EraseSelectorError is Tenant.Erase's refusal of a selector that picks
// nothing, everything and something narrower at once, or an id no webhook
// or event can have; Field is the selector's field (by its JSON name) at
// fault.
type EraseSelectorError struct {
	Field  string
	Reason string
}

func (e *EraseSelectorError) Error() string {
	return "webhook: erase selector: " + e.Field + ": " + e.Reason
}

// Erasure is the record of one erasure on request: who asked, what was
// selected, when, and what was erased. Stores keep it; Tenant.Erasures
// lists them.
type Erasure struct {
	ID     string `json:"id"`
	Tenant string `json:"tenant,omitempty"`
	EraseSelector
	Actor string    `json:"actor"`
	At    time.Time `json:"at"`
	// Invocations, DeadLetters and Deliveries count the records, dead
	// letters and queued deliveries erased.
	Invocations int64 `json:"invocations"`
	DeadLetters int64 `json:"dead_letters"`
	Deliveries  int64 `json:"deliveries"`
}

// EraseStore is a QueryStore that erases on request, keeps the record of
// each erasure, and discards dead letters in bulk. MemoryStore and
// riverengine's Store are EraseStores.
type EraseStore interface {
	QueryStore
	// Erase deletes the records and dead letters of er.Tenant that
	// er.EraseSelector picks (by EventID: those of the event, the records
	// whose SubjectEventID it is, and the dead letters of operational
	// events about it), sets er's Invocations and DeadLetters to
	// the counts deleted, keeps er, and returns it.
	Erase(ctx context.Context, er Erasure) (Erasure, error)
	// Erasures lists up to limit erasures of tenant, newest first (all
	// for zero or less).
	Erasures(ctx context.Context, tenant string, limit int) ([]Erasure, error)
	// DiscardDeadLetters deletes up to limit dead letters of tenant's
	// webhook that failed within [since, until) (a zero bound is none),
	// and reports how many it deleted. Several callers may discard the
	// same ones at once: each is deleted, and counted, once.
	DiscardDeadLetters(ctx context.Context, tenant, webhookID string, since, until time.Time, limit int) (int, error)
}

// ErrEraseUnsupported is returned by Tenant.Erase, which erases nothing,
// when the Dispatcher's store is not an EraseStore or its engine not an
// engine.Eraser: an erasure must reach the queue too.
var ErrEraseUnsupported = errors.New("webhook: the store or engine cannot erase on request")

// Erase erases, for a data-protection request, every invocation record,
// dead letter and queued delivery of the tenant that sel picks (a
// selector that picks nothing is an *EraseSelectorError); an event id
// picks those of the operational events about the event too (published
// with OperationalSettings.Publish: a WebhookDeadLettered names it; see
// Invocation.SubjectEventID), which the store must match. It keeps
// a record of it (Erasures) naming actor. Queued deliveries are dropped
// first, so none of them records anything after; a delivery being
// attempted as Erase runs is not stopped, and its record may land after
// the erasure: erasing again removes it. The queue is read again once the
// records are erased, for a dead letter another instance redelivered
// meanwhile; what that pass erases is kept as an erasure of its own. The
// returned Erasure counts everything erased. Should the store fail once the queue is erased, the error
// says how many deliveries went, and no erasure is recorded: call again.
// After Close it returns ErrClosed; Close waits for one in progress,
// before it closes the engine, until the store's time is up, and one cut
// short then returns an error wrapping ErrClosed.
func (t *Tenant) Erase(ctx context.Context, sel EraseSelector, actor string) (Erasure, error) {
	if err := checkTenant(t.id); err != nil {
		return Erasure{}, err
	}
	if err := sel.check(); err != nil {
		return Erasure{}, err
	}
	es, ok := t.d.store.(EraseStore)
	eng := t.d.engine
	if te, traced := eng.(tracedEngine); traced {
		eng = te.Engine
	}
	er, ok2 := eng.(engine.Eraser)
	if !ok || !ok2 {
		return Erasure{}, ErrEraseUnsupported
	}
	if !t.d.enterAdmin() {
		return Erasure{}, ErrClosed
	}
	defer t.d.leaveAdmin(true)
	// Close waits for the erasure until the store's time is up, then
	// cuts it short: no step starts after Close returned.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(t.d.life, cancel)()
	out, err := t.erase(ctx, sel, actor, er, es)
	if err != nil && t.d.life.Err() != nil && errors.Is(err, context.Canceled) {
		err = errors.Join(err, ErrClosed)
	}
	return out, err
}

// erase is Erase's two passes over the queue and the store.
func (t *Tenant) erase(ctx context.Context, sel EraseSelector, actor string, er engine.Eraser, es EraseStore) (Erasure, error) {
	tenant, hookID := t.id, sel.WebhookID
	filter := engine.EraseFilter{
		Webhook: func(key string) bool {
			kt, id := splitKey(key)
			return kt == tenant && (hookID == "" || id == hookID)
		},
		EventID: sel.EventID,
		Subject: operational.SubjectEventID,
	}
	n, err := er.Erase(ctx, filter)
	if err != nil {
		return Erasure{}, fmt.Errorf("webhook: erasing queued deliveries: %w", err)
	}
	// A step that returns without heeding ctx (ended by Close's end) is
	// the last: none starts after Close returned.
	if err := ctx.Err(); err != nil {
		return Erasure{}, fmt.Errorf("webhook: erasing records, after %d queued deliveries: %w", n, err)
	}
	out, err := es.Erase(ctx, Erasure{
		ID: newID(), Tenant: t.id, EraseSelector: sel, Actor: actor,
		At: t.d.cfg.now(), Deliveries: int64(n),
	})
	if err != nil {
		return Erasure{}, fmt.Errorf("webhook: erasing records, after %d queued deliveries: %w", n, err)
	}
	// A dead letter another instance redelivered between the two steps
	// left the store as a queued delivery the first step did not see: the
	// queue is read again, and what it erases is recorded as an erasure
	// of its own, so that every record says what its step erased.
	if err := ctx.Err(); err != nil {
		return out, fmt.Errorf("webhook: erasing queued deliveries again, after the records: %w", err)
	}
	n, err = er.Erase(ctx, filter)
	if err != nil {
		return out, fmt.Errorf("webhook: erasing queued deliveries again, after the records: %w", err)
	}
	if n > 0 {
		more, err := es.Erase(ctx, Erasure{
			ID: newID(), Tenant: t.id, EraseSelector: sel, Actor: actor,
			At: t.d.cfg.now(), Deliveries: int64(n),
		})
		if err != nil {
			return out, fmt.Errorf("webhook: erasing records again, after %d queued deliveries: %w", n, err)
		}
		out.Invocations += more.Invocations
		out.DeadLetters += more.DeadLetters
		out.Deliveries += more.Deliveries
	}
	return out, nil
}

// Erasures lists up to limit of the tenant's erasures, newest first (all
// for zero or less).
func (t *Tenant) Erasures(ctx context.Context, limit int) ([]Erasure, error) {
	if err := checkTenant(t.id); err != nil {
		return nil, err
	}
	es, ok := t.d.store.(EraseStore)
	if !ok {
		return nil, ErrEraseUnsupported
	}
	list, err := es.Erasures(ctx, t.id, limit)
	for i := range list {
		// Stores keep the narrow fields; no narrow field is All.
		list[i].All = list[i].WebhookID == "" && list[i].EventID == ""
	}
	return list, err
}

// bulkBatch is how many dead letters a bulk operation handles at a time.
const bulkBatch = 100

// RedeliverDeadLetters redelivers every dead letter of the tenant's
// webhook id that failed within [since, until) (a zero bound is none), a
// batch at a time, each as Redeliver does: the dead letter is taken and
// its delivery queued together (in one transaction on an engine with its
// own store), so several instances may run it at once and each dead letter
// is redelivered once. It stops at the first error of the store, or when
// ctx ends, returning what it did. After Close it returns ErrClosed;
// Close waits for one in progress, as for DiscardDeadLetters.
func (t *Tenant) RedeliverDeadLetters(ctx context.Context, webhookID string, since, until time.Time) (Recovered, error) {
	return t.redeliverRange(ctx, webhookID, since, until)
}

// DiscardDeadLetters deletes every dead letter of the tenant's webhook id
// that failed within [since, until) (a zero bound is none), a batch at a
// time, and reports how many this call deleted; several instances may
// discard at once, each dead letter counted by the one that deleted it.
// After Close it returns ErrClosed; Close waits for one in progress, as
// for Erase.
func (t *Tenant) DiscardDeadLetters(ctx context.Context, webhookID string, since, until time.Time) (int, error) {
	if err := checkTenant(t.id); err != nil {
		return 0, err
	}
	es, ok := t.d.store.(EraseStore)
	if !ok {
		return 0, ErrEraseUnsupported
	}
	if webhookID != "" && !validID(webhookID) {
		return 0, nil // no webhook has it, nor a dead letter; a database may refuse it as text
	}
	if !t.d.enter() {
		return 0, ErrClosed
	}
	defer t.d.leave()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(t.d.life, cancel)()
	total := 0
	for {
		n, err := es.DiscardDeadLetters(ctx, t.id, webhookID, since, until, bulkBatch)
		total += n
		if err == nil && n > 0 {
			// A batch that returned without heeding ctx (ended by
			// Close's end) is the last: none starts after Close returned.
			err = ctx.Err()
		}
		if err != nil && t.d.life.Err() != nil && errors.Is(err, context.Canceled) {
			err = errors.Join(err, ErrClosed)
		}
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// redeliverRange is Recover with an upper bound, until (zero: none).
func (t *Tenant) redeliverRange(ctx context.Context, webhookID string, since, until time.Time) (Recovered, error) {
	var out Recovered
	qs, err := t.queries()
	if err != nil {
		return out, err
	}
	// Counted in for its reads of the store between the redeliveries, as
	// DiscardDeadLetters is: after Close it returns ErrClosed, and one
	// Close's end cut short reads no page after Close returned.
	if !t.d.enter() {
		return out, ErrClosed
	}
	defer t.d.leave()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(t.d.life, cancel)()
	out, err = t.redeliverPages(ctx, qs, webhookID, since, until)
	if err != nil && t.d.life.Err() != nil && errors.Is(err, context.Canceled) {
		err = errors.Join(err, ErrClosed)
	}
	return out, err
}

// redeliverPages is redeliverRange's walk through the dead letters.
func (t *Tenant) redeliverPages(ctx context.Context, qs QueryStore, webhookID string, since, until time.Time) (Recovered, error) {
	var out Recovered
	t.d.catchUp(ctx, t.id, webhookID)
	if t.d.hookOf(t.id, webhookID) == nil {
		return out, fmt.Errorf("webhook %q: %w", webhookID, ErrNotFound)
	}
	q := DeadLetterQuery{WebhookID: webhookID, Since: since, Until: until, Limit: bulkBatch}
	for {
		page, err := qs.QueryDeadLetters(ctx, t.id, q)
		if err != nil {
			return out, err
		}
		for _, dl := range page.DeadLetters {
			err := t.d.redeliver(ctx, t.id, dl.DeliveryID)
			switch {
			case err == nil:
				out.Redelivered++
			case errors.Is(err, ErrNotFound) && t.d.hookOf(t.id, webhookID) != nil:
				// Taken meanwhile by another Recover or Redeliver.
			case ctx.Err() != nil || errors.Is(err, ErrClosed):
				return out, err
			default:
				out.Failed = append(out.Failed, fmt.Errorf("dead letter %s: %w", dl.DeliveryID, err))
			}
		}
		if page.Next == "" {
			return out, nil
		}
		q.Cursor = page.Next
	}
}
