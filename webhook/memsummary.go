package webhook

import (
	"context"
	"slices"
	"time"
)

var _ SummaryStore = (*MemoryStore)(nil)

// hookSummary is what a MemoryStore counts of one webhook.
type hookSummary struct {
	last  lastRecord // zero until a record may be the last
	slots []SlotCounts
}

// lastRecord is what a summary shows of a webhook's latest record: kept
// by value, as the record itself may be dropped first.
type lastRecord struct {
	outcome Outcome
	at      time.Time
	reason  string
	eventID string // so that erasing the event erases what it left here
	// subjectEventID is the record's SubjectEventID, erased with it too.
	subjectEventID string
}

// count adds inv to its webhook's counters; s.mu is held.
func (s *MemoryStore) count(inv *Invocation) {
	if !lastWorthy(inv.Outcome) {
		return
	}
	hooks := s.summaries[inv.Tenant]
	if hooks == nil {
		hooks = map[string]*hookSummary{}
		s.summaries[inv.Tenant] = hooks
	}
	h := hooks[inv.WebhookID]
	if h == nil {
		h = &hookSummary{}
		hooks[inv.WebhookID] = h
	}
	if h.last.outcome == "" || !inv.StartedAt.Before(h.last.at) {
		h.last = lastRecord{outcome: inv.Outcome, at: inv.StartedAt, reason: inv.Reason, eventID: inv.EventID, subjectEventID: inv.SubjectEventID}
	}
	if !Counted(inv) {
		return
	}
	start := SlotStart(inv.StartedAt)
	i, found := slices.BinarySearchFunc(h.slots, start, func(sl SlotCounts, t time.Time) int { return sl.Start.Compare(t) })
	if !found {
		h.slots = slices.Insert(h.slots, i, SlotCounts{Start: start})
	}
	sl := &h.slots[i]
	if inv.Outcome == Delivered {
		sl.Delivered++
	}
	sl.Latency[LatencyBucket(inv.Duration)]++
	// Slots older than the longest window before this one are of no
	// summary: dropped here so that a store without retention stays
	// bounded. Not before the newest, which may be a record far in the
	// future that would drop every attempt counted after it.
	h.dropSlots(start.Add(-SummaryKept))
}

// lastKept returns the last record of the tenant's webhook id among
// those kept, zero when none may be; s.mu is held.
func (s *MemoryStore) lastKept(tenant, id string) lastRecord {
	h := s.records[tenant][id]
	if h == nil {
		return lastRecord{}
	}
	for i := h.all.n - 1; i >= 0; i-- {
		if inv := *h.all.get(i); lastWorthy(inv.Outcome) {
			return lastRecord{outcome: inv.Outcome, at: inv.StartedAt, reason: inv.Reason, eventID: inv.EventID, subjectEventID: inv.SubjectEventID}
		}
	}
	return lastRecord{}
}

// dropSlots drops the slots that start before t.
func (h *hookSummary) dropSlots(t time.Time) {
	n := 0
	for n < len(h.slots) && h.slots[n].Start.Before(t) {
		n++
	}
	h.slots = slices.Delete(h.slots, 0, n)
}

// SummaryCounts returns the counters of tenant's webhooks ids. Its cost
// is that of the slots it returns.
func (s *MemoryStore) SummaryCounts(_ context.Context, tenant string, ids []string, since time.Time) ([]SummaryCounts, error) {
	out := make([]SummaryCounts, len(ids))
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, id := range ids {
		c := &out[i]
		c.WebhookID = id
		if l := s.dead[tenant][id]; l != nil {
			c.DeadLetters = int64(l.n)
		}
		h := s.summaries[tenant][id]
		if h == nil {
			continue
		}
		if h.last.outcome != "" {
			c.LastOutcome, c.LastAt, c.LastReason = h.last.outcome, h.last.at, h.last.reason
		}
		for _, sl := range h.slots {
			if !sl.Start.Before(since) {
				c.Slots = append(c.Slots, sl)
			}
		}
	}
	return out, nil
}
