package webhook

import (
	"context"
	"time"

	"github.com/outhook/outhook/operational"
)

// MemoryStoreOption configures a MemoryStore.
type MemoryStoreOption interface{ applyMemory(*MemoryStore) }

type memoryOption func(*MemoryStore)

func (f memoryOption) applyMemory(s *MemoryStore) { f(s) }

// WithRetention has the store delete, every r.Interval in the background,
// the records and dead letters r bounds, on top of the store's own
// per-webhook bounds, which stay as they are. Close stops it. Without it
// the store deletes nothing but what its bounds push out.
func WithRetention(r Retention) MemoryStoreOption {
	return memoryOption(func(s *MemoryStore) { s.retention = &r })
}

var _ EraseStore = (*MemoryStore)(nil)

// maxErasures bounds the erasures a MemoryStore keeps of each tenant; the
// oldest go first.
const maxErasures = 1000

func (s *MemoryStore) retain() {
	defer close(s.stopped)
	t := time.NewTicker(s.retention.interval())
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			_, _ = s.Enforce(context.Background(), *s.retention)
		}
	}
}

// Close stops the store's retention in the background, and waits for it
// to return or ctx to end. The store still serves every call after it.
// Calling it twice is safe.
func (s *MemoryStore) Close(ctx context.Context) error {
	s.closeOnce.Do(func() { close(s.stop) })
	select {
	case <-s.stopped:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Enforce deletes now what r bounds (its clock says when now is; its
// Interval is not used), and reports what it deleted; it never fails. It
// also drops the summary's slots older than SummaryKept, uncounted.
// WithRetention has the store call it in the background.
func (s *MemoryStore) Enforce(_ context.Context, r Retention) (Pruned, error) {
	var out Pruned
	now := r.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for tenant, hooks := range s.records {
		for id, h := range hooks {
			l := h.all
			for l.n > 0 && (r.RecordsPerWebhook > 0 && l.n > r.RecordsPerWebhook ||
				r.RecordAge > 0 && now.Sub((*l.get(0)).StartedAt) > r.RecordAge) {
				h.dropOldest()
				out.Invocations++
			}
			if l.n == 0 {
				delete(hooks, id)
			}
		}
		if len(hooks) == 0 {
			delete(s.records, tenant)
		}
	}
	// Slots of no window any more.
	for tenant, hooks := range s.summaries {
		for id, h := range hooks {
			if h.dropSlots(SlotStart(now).Add(SummarySlot - SummaryKept)); len(h.slots) == 0 && h.last.outcome == "" {
				delete(hooks, id)
			}
		}
		if len(hooks) == 0 {
			delete(s.summaries, tenant)
		}
	}
	for tenant, hooks := range s.dead {
		for id, l := range hooks {
			for l.n > 0 && (r.DeadLettersPerWebhook > 0 && l.n > r.DeadLettersPerWebhook ||
				r.DeadLetterAge > 0 && now.Sub(l.get(0).FailedAt) > r.DeadLetterAge) {
				delete(s.deadAt, l.remove(0).DeliveryID)
				out.DeadLetters++
			}
			if l.n == 0 {
				delete(hooks, id)
			}
		}
		if len(hooks) == 0 {
			delete(s.dead, tenant)
		}
	}
	return out, nil
}

// dropOldest deletes the webhook's oldest record, from its outcome's list
// too.
func (h *hookRecords) dropOldest() {
	inv := h.all.remove(0)
	l := h.byOutcome[inv.Outcome]
	for i := range l.n {
		if *l.get(i) == inv {
			l.remove(i)
			break
		}
	}
	if l.n == 0 {
		delete(h.byOutcome, inv.Outcome)
	}
}

// Erase deletes the records and dead letters of er.Tenant that its
// selector picks, counts them in er, and keeps er (up to the latest
// thousand of each tenant). Erasing a tenant or a webhook drops its
// summary's counters too; erasing by event id leaves them, but a last
// outcome that was the event's becomes that of the latest record kept
// (none when no record is kept).
func (s *MemoryStore) Erase(_ context.Context, er Erasure) (Erasure, error) {
	er.At = er.At.Round(0)
	s.mu.Lock()
	defer s.mu.Unlock()
	if er.EventID == "" {
		// The counters go with the tenant's or the webhook's history; an
		// erasure by event id leaves them, as they hold no event.
		if er.WebhookID == "" {
			delete(s.summaries, er.Tenant)
		} else if hooks := s.summaries[er.Tenant]; hooks != nil {
			delete(hooks, er.WebhookID)
		}
	}
	hooks := s.records[er.Tenant]
	for id, h := range hooks {
		if er.WebhookID != "" && id != er.WebhookID {
			continue
		}
		picked := func(inv **Invocation) bool {
			return er.EventID == "" || (*inv).EventID == er.EventID || (*inv).SubjectEventID == er.EventID
		}
		er.Invocations += int64(h.all.removeIf(picked))
		for o, l := range h.byOutcome {
			if l.removeIf(picked); l.n == 0 {
				delete(h.byOutcome, o)
			}
		}
		if h.all.n == 0 {
			delete(hooks, id)
		}
	}
	if len(hooks) == 0 {
		delete(s.records, er.Tenant)
	}
	dead := s.dead[er.Tenant]
	for id, l := range dead {
		if er.WebhookID != "" && id != er.WebhookID {
			continue
		}
		er.DeadLetters += int64(l.removeIf(func(dl *DeadLetter) bool {
			if er.EventID != "" && (dl.Event == nil || dl.Event.ID() != er.EventID && operational.SubjectEventID(dl.Event) != er.EventID) {
				return false
			}
			delete(s.deadAt, dl.DeliveryID)
			return true
		}))
		if l.n == 0 {
			delete(dead, id)
		}
	}
	if len(dead) == 0 {
		delete(s.dead, er.Tenant)
	}
	if er.EventID != "" {
		// The counters hold no event, but the last outcome is a copy of
		// one record: erased with it, it falls back to the latest kept.
		for id, h := range s.summaries[er.Tenant] {
			if (er.WebhookID == "" || id == er.WebhookID) && h.last.outcome != "" && (h.last.eventID == er.EventID || h.last.subjectEventID == er.EventID) {
				h.last = s.lastKept(er.Tenant, id)
			}
		}
	}
	list := append(s.erasures[er.Tenant], er)
	if len(list) > maxErasures {
		list = append(list[:0:0], list[len(list)-maxErasures:]...)
	}
	s.erasures[er.Tenant] = list
	return er, nil
}

// Erasures lists up to limit of tenant's erasures, newest first.
func (s *MemoryStore) Erasures(_ context.Context, tenant string, limit int) ([]Erasure, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.erasures[tenant]
	n := len(list)
	if limit > 0 {
		n = min(n, limit)
	}
	out := make([]Erasure, n)
	for i := range out {
		out[i] = list[len(list)-1-i]
	}
	return out, nil
}

// DiscardDeadLetters deletes up to limit of the newest dead letters of
// tenant's webhook that failed within [since, until).
func (s *MemoryStore) DiscardDeadLetters(_ context.Context, tenant, webhookID string, since, until time.Time, limit int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	hooks := s.dead[tenant]
	l := hooks[webhookID]
	if l == nil {
		return 0, nil
	}
	lo, hi := 0, l.n
	if !since.IsZero() {
		lo = l.search(Position{Time: since})
	}
	if !until.IsZero() {
		hi = l.search(Position{Time: until})
	}
	n := 0
	for i := hi - 1; i >= lo && (limit <= 0 || n < limit); i-- {
		delete(s.deadAt, l.remove(i).DeliveryID)
		n++
	}
	if l.n == 0 {
		delete(hooks, webhookID)
		if len(hooks) == 0 {
			delete(s.dead, tenant)
		}
	}
	return n, nil
}

// removeIf deletes the items picked, keeping the others in order, and
// reports how many it deleted.
func (l *timeline[T]) removeIf(picked func(*T) bool) int {
	kept := 0
	for i := range l.n {
		x := l.get(i)
		if !picked(x) {
			*l.get(kept) = *x
			kept++
		}
	}
	var zero T
	for i := kept; i < l.n; i++ {
		*l.get(i) = zero
	}
	removed := l.n - kept
	l.n = kept
	return removed
}
