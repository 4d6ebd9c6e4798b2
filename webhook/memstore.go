package webhook

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// MemoryStore is the default InvocationStore: it keeps the latest records
// of each webhook and its dead letters in memory, both bounded, so a
// webhook that fails forever cannot grow the process. It is safe for
// concurrent use.
type MemoryStore struct {
	mu             sync.Mutex
	perWebhook     int
	deadPerWebhook int
	records        map[string]*ring[Invocation]
	dead           map[string]*ring[DeadLetter]
	// deadIDs counts the dead letters kept of each delivery id, so that
	// adding one looks for another of its id without a scan.
	deadIDs     map[string]int
	evictedDead int64
}

// DefaultRecordsPerWebhook and DefaultDeadLettersPerWebhook are the bounds
// of a MemoryStore made with zero arguments.
const (
	DefaultRecordsPerWebhook     = 100
	DefaultDeadLettersPerWebhook = 1000
)

// NewMemoryStore returns a store that keeps the latest perWebhook records and
// deadPerWebhook dead letters of each webhook; zero or less means the
// defaults above. When a webhook has more dead letters than that, the
// oldest are dropped and counted (EvictedDeadLetters).
func NewMemoryStore(perWebhook, deadPerWebhook int) *MemoryStore {
	if perWebhook <= 0 {
		perWebhook = DefaultRecordsPerWebhook
	}
	if deadPerWebhook <= 0 {
		deadPerWebhook = DefaultDeadLettersPerWebhook
	}
	return &MemoryStore{
		perWebhook:     perWebhook,
		deadPerWebhook: deadPerWebhook,
		records:        map[string]*ring[Invocation]{},
		dead:           map[string]*ring[DeadLetter]{},
		deadIDs:        map[string]int{},
	}
}

var _ InvocationStore = (*MemoryStore)(nil)

// Record keeps inv, dropping the webhook's oldest record when full.
func (s *MemoryStore) Record(_ context.Context, inv Invocation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.records[inv.WebhookID]
	if r == nil {
		r = newRing[Invocation](s.perWebhook)
		s.records[inv.WebhookID] = r
	}
	r.push(inv)
	return nil
}

// Invocations lists up to limit records of one webhook, newest first; a
// limit of zero or less lists all that are kept.
func (s *MemoryStore) Invocations(_ context.Context, webhookID string, limit int) ([]Invocation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.records[webhookID]
	if r == nil {
		return nil, nil
	}
	return r.newest(limit), nil
}

// AddDeadLetter keeps dl, dropping the webhook's oldest dead letter when
// full. A dead letter of the same delivery id (the same event published
// again, say) is replaced, as the SQL stores replace it: one delivery, one
// dead letter to redeliver.
func (s *MemoryStore) AddDeadLetter(_ context.Context, dl DeadLetter) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.dead[dl.WebhookID]
	if r == nil {
		r = newRing[DeadLetter](s.deadPerWebhook)
		s.dead[dl.WebhookID] = r
	}
	if s.deadIDs[dl.DeliveryID] > 0 {
		if _, ok := r.remove(func(x DeadLetter) bool { return x.DeliveryID == dl.DeliveryID }); ok {
			s.forgetDead(dl.DeliveryID)
		}
	}
	if dropped, ok := r.push(dl); ok {
		s.evictedDead++
		s.forgetDead(dropped.DeliveryID)
	}
	s.deadIDs[dl.DeliveryID]++
	return nil
}

// forgetDead counts out a dead letter of id no longer kept.
func (s *MemoryStore) forgetDead(id string) {
	if s.deadIDs[id] <= 1 {
		delete(s.deadIDs, id)
		return
	}
	s.deadIDs[id]--
}

// DeadLetters lists up to limit dead letters, newest first, of one webhook
// or, for an empty webhookID, of all.
func (s *MemoryStore) DeadLetters(_ context.Context, webhookID string, limit int) ([]DeadLetter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if webhookID != "" {
		r := s.dead[webhookID]
		if r == nil {
			return nil, nil
		}
		return r.newest(limit), nil
	}
	var all []DeadLetter
	for _, r := range s.dead {
		all = append(all, r.newest(0)...)
	}
	slices.SortFunc(all, func(a, b DeadLetter) int { return b.FailedAt.Compare(a.FailedAt) })
	if limit > 0 && len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}

// TakeDeadLetter removes and returns the dead letter of deliveryID.
func (s *MemoryStore) TakeDeadLetter(_ context.Context, deliveryID string) (DeadLetter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.dead {
		if s.deadIDs[deliveryID] == 0 {
			break
		}
		if dl, ok := r.remove(func(dl DeadLetter) bool { return dl.DeliveryID == deliveryID }); ok {
			s.forgetDead(deliveryID)
			return dl, nil
		}
	}
	return DeadLetter{}, fmt.Errorf("dead letter %q: %w", deliveryID, ErrNotFound)
}

// EvictedDeadLetters reports how many dead letters were dropped because a
// webhook had more than the store keeps.
func (s *MemoryStore) EvictedDeadLetters() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.evictedDead
}

// ring keeps the latest n items.
type ring[T any] struct {
	items []T
	next  int // where the next item goes once full
	n     int
}

func newRing[T any](n int) *ring[T] { return &ring[T]{n: n} }

// push adds x and returns the oldest item when it was dropped for it.
func (r *ring[T]) push(x T) (dropped T, ok bool) {
	if len(r.items) < r.n {
		r.items = append(r.items, x)
		return dropped, false
	}
	dropped = r.items[r.next]
	r.items[r.next] = x
	r.next = (r.next + 1) % r.n
	return dropped, true
}

// newest returns up to limit items, newest first; limit <= 0 means all.
func (r *ring[T]) newest(limit int) []T {
	count := len(r.items)
	if limit > 0 && limit < count {
		count = limit
	}
	out := make([]T, 0, count)
	for i := 0; i < count; i++ {
		// The newest item is just before next (or last, while filling).
		idx := (r.next - 1 - i + 2*len(r.items)) % len(r.items)
		if len(r.items) < r.n {
			idx = len(r.items) - 1 - i
		}
		out = append(out, r.items[idx])
	}
	return out
}

// remove deletes the first item that match accepts, keeping the order of
// the rest.
func (r *ring[T]) remove(match func(T) bool) (T, bool) {
	ordered := r.newest(0)
	for i, x := range ordered {
		if match(x) {
			rest := append(ordered[:i:i], ordered[i+1:]...)
			slices.Reverse(rest) // oldest first again
			r.items, r.next = rest, 0
			return x, true
		}
	}
	var zero T
	return zero, false
}
