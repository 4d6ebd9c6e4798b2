package webhook

import (
	"container/heap"
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// MemoryStore is the default InvocationStore, a QueryStore and a
// SummaryStore: it keeps
// the latest records of each webhook of each tenant and its dead letters
// in memory, both bounded, so a webhook that fails forever cannot grow the
// process. It is safe for concurrent use. A record is returned as a copy
// of its struct, with copies of its Request and Response whose headers,
// values included, are the reader's own; its Validation is shared with
// the store and every other reader of that record, and the store never
// writes to it once recorded: a reader's change would show in theirs, and
// in no other record.
//
// Each webhook's records, those of each outcome apart too, and its dead
// letters are kept in the order of pages (Position), so a query finds
// where its page starts by binary search and reads no record it does not
// return. A page of one webhook costs O(log n + L), n the records kept of
// the webhook and L the page's limit; a page of a whole tenant merges its
// webhooks' lists and costs O(W log n + L log W), W the webhooks of the
// tenant that have records (of the outcome asked for).
type MemoryStore struct {
	mu             sync.Mutex
	perWebhook     int
	deadPerWebhook int
	// tenant -> webhook id -> its records or dead letters.
	records map[string]map[string]*hookRecords
	dead    map[string]map[string]*timeline[DeadLetter]
	// deadAt finds each dead letter kept by its delivery id, without a
	// scan.
	deadAt      map[string]deadRef
	evictedDead int64
	erasures    map[string][]Erasure // tenant -> its erasures, oldest first
	// tenant -> webhook id -> its summary's counters.
	summaries map[string]map[string]*hookSummary

	retention *Retention
	stop      chan struct{} // closed by Close
	stopped   chan struct{} // closed when the retention loop returns
	closeOnce sync.Once
}

// hookRecords are the records of a webhook: all of them, and the same
// again by outcome.
type hookRecords struct {
	all       *timeline[*Invocation]
	byOutcome map[Outcome]*timeline[*Invocation]
}

// deadRef is where a dead letter is kept.
type deadRef struct {
	tenant, webhookID string
	at                Position
}

// DefaultRecordsPerWebhook and DefaultDeadLettersPerWebhook are the bounds
// of a MemoryStore made with zero arguments.
const (
	DefaultRecordsPerWebhook     = 100
	DefaultDeadLettersPerWebhook = 1000
)

// NewMemoryStore returns a store that keeps the latest perWebhook records and
// deadPerWebhook dead letters of each webhook; zero or less means the
// defaults above. The latest are the last in the order of pages (by time,
// then id), whatever order they were added in. When a webhook has more
// dead letters than that, the oldest are dropped and counted
// (EvictedDeadLetters). With WithRetention it also deletes, in the
// background until Close, what the Retention bounds.
func NewMemoryStore(perWebhook, deadPerWebhook int, opts ...MemoryStoreOption) *MemoryStore {
	if perWebhook <= 0 {
		perWebhook = DefaultRecordsPerWebhook
	}
	if deadPerWebhook <= 0 {
		deadPerWebhook = DefaultDeadLettersPerWebhook
	}
	s := &MemoryStore{
		perWebhook:     perWebhook,
		deadPerWebhook: deadPerWebhook,
		records:        map[string]map[string]*hookRecords{},
		dead:           map[string]map[string]*timeline[DeadLetter]{},
		deadAt:         map[string]deadRef{},
		erasures:       map[string][]Erasure{},
		summaries:      map[string]map[string]*hookSummary{},
		stop:           make(chan struct{}),
		stopped:        make(chan struct{}),
	}
	for _, o := range opts {
		if o != nil {
			o.applyMemory(s)
		}
	}
	if s.retention == nil {
		close(s.stopped)
	} else {
		go s.retain()
	}
	return s
}

var (
	_ QueryStore  = (*MemoryStore)(nil)
	_ LatestStore = (*MemoryStore)(nil)
)

func invocationAt(inv **Invocation) Position { return Position{(*inv).StartedAt, (*inv).ID} }
func deadLetterAt(dl *DeadLetter) Position   { return Position{dl.FailedAt, dl.DeliveryID} }

// Record keeps inv, dropping the webhook's oldest record when full.
func (s *MemoryStore) Record(_ context.Context, inv Invocation) error {
	s.keep(&inv)
	return nil
}

// keep is Record of a record the store may keep as it is: the caller
// hands it over and writes to it no more, nor to what it points to, so
// that readers, who get copies of the struct, share the rest unchanged.
// The Dispatcher hands over its attempts' records so, saving a copy.
func (s *MemoryStore) keep(inv *Invocation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	hooks := s.records[inv.Tenant]
	if hooks == nil {
		hooks = map[string]*hookRecords{}
		s.records[inv.Tenant] = hooks
	}
	h := hooks[inv.WebhookID]
	if h == nil {
		h = &hookRecords{all: &timeline[*Invocation]{max: s.perWebhook, at: invocationAt}, byOutcome: map[Outcome]*timeline[*Invocation]{}}
		hooks[inv.WebhookID] = h
	}
	// Lists are in wall-clock order, as cursors and bounds compare:
	// monotonic readings would order two times of this process otherwise.
	inv.StartedAt = inv.StartedAt.Round(0)
	s.count(inv)
	at := invocationAt(&inv)
	dropped, ok := h.all.insert(inv, at)
	if ok {
		if dropped == inv {
			return // older than every record kept of its webhook
		}
		// The oldest of the webhook is the oldest of its outcome (the first
		// of those at its position).
		l := h.byOutcome[dropped.Outcome]
		i := 0
		if *l.get(0) != dropped { // a record at the same position kept before it
			i = l.search(invocationAt(&dropped))
			for i < l.n-1 && *l.get(i) != dropped {
				i++
			}
		}
		l.remove(i)
		if l.n == 0 {
			delete(h.byOutcome, dropped.Outcome)
		}
	}
	l := h.byOutcome[inv.Outcome]
	if l == nil {
		l = &timeline[*Invocation]{max: s.perWebhook, at: invocationAt}
		h.byOutcome[inv.Outcome] = l
	}
	l.insert(inv, at)
}

// deadLine returns the dead letters of a webhook, made when it has none.
func (s *MemoryStore) deadLine(tenant, webhookID string) *timeline[DeadLetter] {
	hooks := s.dead[tenant]
	if hooks == nil {
		hooks = map[string]*timeline[DeadLetter]{}
		s.dead[tenant] = hooks
	}
	l := hooks[webhookID]
	if l == nil {
		l = &timeline[DeadLetter]{max: s.deadPerWebhook, at: deadLetterAt}
		hooks[webhookID] = l
	}
	return l
}

// Invocations lists up to limit records of one webhook of the empty
// tenant, newest first; a limit of zero or less lists all that are kept.
func (s *MemoryStore) Invocations(_ context.Context, webhookID string, limit int) ([]Invocation, error) {
	s.mu.Lock()
	h := s.records[""][webhookID]
	if h == nil {
		s.mu.Unlock()
		return nil, nil
	}
	out, _ := page([]*timeline[*Invocation]{h.all}, span{}, limit)
	s.mu.Unlock()
	return values(out), nil
}

// values copies the records out of the store, each with headers of its
// own (see withOwnHeaders). The store never writes to a record once kept,
// so the copies are made without holding its lock, which deliveries
// recording their attempts wait for.
func values(invs []*Invocation) []Invocation {
	out := make([]Invocation, len(invs))
	for i, inv := range invs {
		out[i] = withOwnHeaders(*inv)
	}
	return out
}

// withOwnHeaders returns inv with copies of its Request and Response whose
// headers, values included, are its own. The Dispatcher's records share
// header values, the definition's among all the records of a webhook and
// the rendered ones among the attempts of a delivery, so that an attempt
// costs no copy of them; a record leaves the Dispatcher's hands through
// here, so that a reader who edits one record's headers changes no other.
func withOwnHeaders(inv Invocation) Invocation {
	if inv.Request != nil {
		r := *inv.Request
		r.Header = r.Header.Clone()
		inv.Request = &r
	}
	if inv.Response != nil {
		r := *inv.Response
		r.Header = r.Header.Clone()
		inv.Response = &r
	}
	return inv
}

// QueryInvocations returns a page of tenant's records; see MemoryStore for
// its cost.
func (s *MemoryStore) QueryInvocations(_ context.Context, tenant string, q InvocationQuery) (InvocationPage, error) {
	limit, after, err := q.Page(tenant)
	if err != nil {
		return InvocationPage{}, err
	}
	s.mu.Lock()
	var ls []*timeline[*Invocation]
	for _, h := range pick(s.records[tenant], q.WebhookID) {
		if q.Outcome == "" {
			ls = append(ls, h.all)
		} else if l := h.byOutcome[q.Outcome]; l != nil {
			ls = append(ls, l)
		}
	}
	out, more := page(ls, span{q.Since, q.Until, after}, limit)
	s.mu.Unlock()
	p := InvocationPage{Invocations: values(out)}
	if more {
		p.Next = q.NextCursor(tenant, invocationAt(&out[len(out)-1]))
	}
	return p, nil
}

// LatestInvocations returns the newest record of each of ids of tenant,
// under one hold of the lock.
func (s *MemoryStore) LatestInvocations(_ context.Context, tenant string, ids []string) ([]Invocation, error) {
	newest := make([]*Invocation, len(ids))
	s.mu.Lock()
	for i, id := range ids {
		if h := s.records[tenant][id]; h != nil {
			if out, _ := page([]*timeline[*Invocation]{h.all}, span{}, 1); len(out) == 1 {
				newest[i] = out[0]
			}
		}
	}
	s.mu.Unlock()
	out := make([]Invocation, len(ids))
	for i, inv := range newest {
		if inv != nil {
			out[i] = withOwnHeaders(*inv)
		}
	}
	return out, nil
}

// pick returns the lists of one webhook, or of all when webhookID is
// empty.
func pick[T any](hooks map[string]T, webhookID string) []T {
	if webhookID != "" {
		if l, ok := hooks[webhookID]; ok {
			return []T{l}
		}
		return nil
	}
	out := make([]T, 0, len(hooks))
	for _, l := range hooks {
		out = append(out, l)
	}
	return out
}

// AddDeadLetter keeps dl, dropping the webhook's oldest dead letter when
// full. A dead letter of the same delivery id (the same event published
// again, say) is replaced, as the SQL stores replace it: one delivery, one
// dead letter to redeliver. One kept for another tenant is left alone, and
// the error wraps ErrTenantMismatch.
func (s *MemoryStore) AddDeadLetter(_ context.Context, dl DeadLetter) error {
	dl.FailedAt = dl.FailedAt.Round(0) // as in Record
	s.mu.Lock()
	defer s.mu.Unlock()
	if ref, ok := s.deadAt[dl.DeliveryID]; ok {
		if ref.tenant != dl.Tenant {
			return fmt.Errorf("dead letter %q: %w", dl.DeliveryID, ErrTenantMismatch)
		}
		s.removeDead(dl.DeliveryID, ref)
	}
	dropped, ok := s.deadLine(dl.Tenant, dl.WebhookID).insert(dl, deadLetterAt(&dl))
	if ok {
		s.evictedDead++
		delete(s.deadAt, dropped.DeliveryID)
		if dropped.DeliveryID == dl.DeliveryID {
			return nil // older than every dead letter kept of its webhook
		}
	}
	s.deadAt[dl.DeliveryID] = deadRef{dl.Tenant, dl.WebhookID, deadLetterAt(&dl)}
	return nil
}

// removeDead removes the dead letter of id, kept at ref.
func (s *MemoryStore) removeDead(id string, ref deadRef) DeadLetter {
	delete(s.deadAt, id)
	hooks := s.dead[ref.tenant]
	l := hooks[ref.webhookID]
	dl := l.remove(l.search(ref.at))
	if l.n == 0 {
		delete(hooks, ref.webhookID)
		if len(hooks) == 0 {
			delete(s.dead, ref.tenant)
		}
	}
	return dl
}

// DeadLetters lists up to limit dead letters, newest first, of one webhook
// of the empty tenant or, for an empty webhookID, of all its webhooks; a
// limit of zero or less lists all that are kept.
func (s *MemoryStore) DeadLetters(_ context.Context, webhookID string, limit int) ([]DeadLetter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out, _ := page(pick(s.dead[""], webhookID), span{}, limit)
	return out, nil
}

// QueryDeadLetters returns a page of tenant's dead letters; see
// MemoryStore for its cost.
func (s *MemoryStore) QueryDeadLetters(_ context.Context, tenant string, q DeadLetterQuery) (DeadLetterPage, error) {
	limit, after, err := q.Page(tenant)
	if err != nil {
		return DeadLetterPage{}, err
	}
	s.mu.Lock()
	out, more := page(pick(s.dead[tenant], q.WebhookID), span{q.Since, q.Until, after}, limit)
	s.mu.Unlock()
	p := DeadLetterPage{DeadLetters: out}
	if more {
		p.Next = q.NextCursor(tenant, deadLetterAt(&out[len(out)-1]))
	}
	return p, nil
}

// TakeDeadLetter removes and returns the dead letter of deliveryID, of
// any tenant.
func (s *MemoryStore) TakeDeadLetter(_ context.Context, deliveryID string) (DeadLetter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref, ok := s.deadAt[deliveryID]
	if !ok {
		return DeadLetter{}, fmt.Errorf("dead letter %q: %w", deliveryID, ErrNotFound)
	}
	return s.removeDead(deliveryID, ref), nil
}

// TakeDeadLetterFor removes and returns the dead letter of deliveryID if
// it is tenant's.
func (s *MemoryStore) TakeDeadLetterFor(_ context.Context, tenant, deliveryID string) (DeadLetter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref, ok := s.deadAt[deliveryID]
	if !ok || ref.tenant != tenant {
		return DeadLetter{}, fmt.Errorf("dead letter %q: %w", deliveryID, ErrNotFound)
	}
	return s.removeDead(deliveryID, ref), nil
}

// EvictedDeadLetters reports how many dead letters were dropped because a
// webhook had more than the store keeps.
func (s *MemoryStore) EvictedDeadLetters() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.evictedDead
}

// span bounds a page: Since inclusive, Until exclusive (zero: no bound),
// and, after the first page, the position the page follows.
type span struct {
	since, until time.Time
	after        *Position
}

// page returns up to limit items of ls (all for a limit of zero or
// less), newest first, within sp, and whether more follow. It merges the
// lists with a heap of their newest candidates.
func page[T any](ls []*timeline[T], sp span, limit int) (out []T, more bool) {
	h := &cursors[T]{}
	for _, l := range ls {
		// Items before hi are older than the page's upper bound.
		hi := l.n
		if !sp.until.IsZero() {
			hi = l.search(Position{Time: sp.until}) // the least id is ""
		}
		if sp.after != nil {
			hi = min(hi, l.search(*sp.after))
		}
		if c := (cursor[T]{l, hi - 1}); c.ok(sp.since) {
			h.cs = append(h.cs, c)
		}
	}
	heap.Init(h)
	n := 0 // the items within bounds, for the page's capacity
	for _, c := range h.cs {
		n += c.i + 1
	}
	if limit > 0 {
		n = min(n, limit)
	}
	out = make([]T, 0, n)
	for len(h.cs) > 0 {
		c := &h.cs[0]
		if limit > 0 && len(out) == limit {
			return out, true
		}
		out = append(out, *c.l.get(c.i))
		if c.i--; c.ok(sp.since) {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return out, false
}

// cursor walks one list from its index i down.
type cursor[T any] struct {
	l *timeline[T]
	i int
}

// ok reports whether the cursor is on an item not older than since.
func (c cursor[T]) ok(since time.Time) bool {
	return c.i >= 0 && (since.IsZero() || !c.l.at(c.l.get(c.i)).Time.Before(since))
}

// cursors is a heap of cursors, the one on the newest item first.
type cursors[T any] struct{ cs []cursor[T] }

func (h *cursors[T]) Len() int { return len(h.cs) }
func (h *cursors[T]) Less(i, j int) bool {
	a, b := h.cs[i], h.cs[j]
	return a.l.at(a.l.get(a.i)).Before(b.l.at(b.l.get(b.i)))
}
func (h *cursors[T]) Swap(i, j int) { h.cs[i], h.cs[j] = h.cs[j], h.cs[i] }
func (h *cursors[T]) Push(x any)    { h.cs = append(h.cs, x.(cursor[T])) }
func (h *cursors[T]) Pop() any {
	x := h.cs[len(h.cs)-1]
	h.cs = h.cs[:len(h.cs)-1]
	return x
}

// timeline keeps up to max items, oldest first in the order of pages, in
// a circular buffer that grows by doubling up to max. Items that arrive
// in order are added, and the oldest dropped, in O(1); one that arrives
// late moves past the newer ones.
type timeline[T any] struct {
	buf  []T
	head int // index in buf of the oldest item
	n    int
	max  int
	at   func(*T) Position
}

// get returns the i-th oldest item.
func (l *timeline[T]) get(i int) *T { return &l.buf[(l.head+i)%len(l.buf)] }

// insert adds x, whose position is p, in its place, and returns the
// item dropped for it when the list was full: the oldest, which may be x
// itself. Among items at the same position, x goes after those already
// kept. The caller says p: taken here through l.at, x would escape.
func (l *timeline[T]) insert(x T, p Position) (dropped T, ok bool) {
	if l.n == l.max {
		oldest := l.get(0)
		if l.at(oldest).Before(p) {
			return x, true
		}
		dropped, ok = *oldest, true
		var zero T
		*oldest = zero
		l.head = (l.head + 1) % len(l.buf)
		l.n--
	}
	if l.n == len(l.buf) {
		l.grow()
	}
	i := l.n
	if i > 0 && l.at(l.get(i-1)).Before(p) { // late: newer items are kept
		i = l.firstNewer(p)
	}
	l.n++
	l.shift(i)
	*l.get(i) = x
	return dropped, ok
}

// firstNewer returns the index of the oldest of the items newer than p,
// knowing that the newest is. It gallops back from the newest, then
// halves: a record is late by about as many records as were in flight
// with it, and this costs the log of that in comparisons, not that many.
func (l *timeline[T]) firstNewer(p Position) int {
	hi, step := l.n-1, 1 // hi is newer than p
	lo := hi - step
	for lo >= 0 && l.at(l.get(lo)).Before(p) {
		hi, step = lo, 2*step
		lo = hi - step
	}
	lo = max(lo, -1) // lo is not newer than p, or before the first
	for hi-lo > 1 {
		m := int(uint(lo+hi) >> 1)
		if l.at(l.get(m)).Before(p) {
			hi = m
		} else {
			lo = m
		}
	}
	return hi
}

// shift moves the items from the i-th oldest on one place newer, into the
// free place after the newest (l.n counts it already): with copy, in at
// most three moves around the end of the circular buffer.
func (l *timeline[T]) shift(i int) {
	start, end := (l.head+i)%len(l.buf), (l.head+l.n-1)%len(l.buf)
	if start <= end {
		copy(l.buf[start+1:end+1], l.buf[start:end])
		return
	}
	copy(l.buf[1:end+1], l.buf[:end])
	l.buf[0] = l.buf[len(l.buf)-1]
	copy(l.buf[start+1:], l.buf[start:len(l.buf)-1])
}

func (l *timeline[T]) grow() {
	buf := make([]T, min(l.max, max(8, 2*len(l.buf))))
	for i := range l.n {
		buf[i] = *l.get(i)
	}
	l.buf, l.head = buf, 0
}

// search returns how many items are older than p.
func (l *timeline[T]) search(p Position) int {
	return sort.Search(l.n, func(i int) bool { return !p.Before(l.at(l.get(i))) })
}

// remove deletes the i-th oldest item and returns it.
func (l *timeline[T]) remove(i int) T {
	x := *l.get(i)
	var zero T
	if i < l.n/2 {
		for j := i; j > 0; j-- {
			*l.get(j) = *l.get(j - 1)
		}
		*l.get(0) = zero
		l.head = (l.head + 1) % len(l.buf)
	} else {
		for j := i; j < l.n-1; j++ {
			*l.get(j) = *l.get(j + 1)
		}
		*l.get(l.n - 1) = zero
	}
	l.n--
	return x
}
