package webhook

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Summary is what a host shows next to a webhook: whether it is on, its
// breaker, how its latest delivery went, how its attempts went over
// recent windows, and how many dead letters wait. Stores keep it as
// counters (SummaryStore), so reading it scans no record.
type Summary struct {
	WebhookID string `json:"webhook_id"`
	Name      string `json:"name"`
	Active    bool   `json:"active"`
	// Breaker is the state of this instance's breaker of the webhook:
	// each instance keeps its own (see Tenant.Breaker).
	Breaker BreakerState `json:"breaker"`
	// LastOutcome, LastAt and LastReason are those of the record that
	// started last among those that are not Filtered or Skipped; empty
	// and zero when there is none.
	LastOutcome Outcome   `json:"last_outcome,omitempty"`
	LastAt      time.Time `json:"last_at,omitzero"`
	LastReason  string    `json:"last_reason,omitempty"`
	// Windows are the attempts of the last 5 minutes, hour and 24 hours,
	// in that order.
	Windows []WindowSummary `json:"windows"`
	// DeadLetters counts the dead letters kept of the webhook.
	DeadLetters int64 `json:"dead_letters"`
}

// WindowSummary counts the attempts (records with Attempt > 0) of one
// window. Windows are made of whole SummarySlot slots: the window of d
// holds the slot under way and those before it back to d, so it spans
// between d - SummarySlot and d of time. Attempts that started in a slot
// after the one under way (by the Dispatcher's clock) are in no window
// until that slot comes.
type WindowSummary struct {
	Window time.Duration `json:"window"`
	// Attempts is Delivered + Failed: Failed counts the attempts that did
	// not deliver (Retrying, Failed, ValidationFailed).
	Attempts  int64 `json:"attempts"`
	Delivered int64 `json:"delivered"`
	Failed    int64 `json:"failed"`
	// SuccessRate is Delivered / Attempts, from 0 to 1; 0 when Attempts
	// is 0.
	SuccessRate float64 `json:"success_rate"`
	// P50, P90 and P99 are percentiles of the attempts' durations, read
	// from a histogram of 14 buckets (see LatencyBucket): interpolated
	// linearly within the bucket that holds them, so they are exact only
	// to the bucket's width. One in the last bucket, past a minute, is a
	// minute. Zero when Attempts is 0.
	P50 time.Duration `json:"p50"`
	P90 time.Duration `json:"p90"`
	P99 time.Duration `json:"p99"`
}

// SummarySlot is the span of time a store counts attempts by.
const SummarySlot = 5 * time.Minute

// summaryWindows are the windows of a Summary.
var summaryWindows = [...]time.Duration{5 * time.Minute, time.Hour, SummaryKept}

// SummaryKept is how long stores keep slots, the longest window: older
// ones are dropped by retention (Enforce) and, on a MemoryStore, when an
// attempt that started a day after them is counted.
const SummaryKept = 24 * time.Hour

// latencyBounds are the upper bounds, inclusive, of the buckets of the
// latency histogram, roughly log-spaced (5, 10, 25, 50, 100, 250,
// 500 ms, 1, 2.5, 5, 10, 30 s, 1 min); the last bucket holds the
// durations past a minute.
var latencyBounds = [LatencyBuckets - 1]time.Duration{
	5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second,
	2500 * time.Millisecond, 5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute,
}

// LatencyBuckets is how many buckets the latency histogram has.
const LatencyBuckets = 14

// LatencyBucket returns the bucket of the latency histogram d falls in,
// from 0 to LatencyBuckets-1: the buckets end at 5, 10, 25, 50, 100,
// 250 and 500 ms, 1, 2.5, 5, 10 and 30 s and 1 min (inclusive), and the
// last holds longer durations.
func LatencyBucket(d time.Duration) int {
	for i, b := range latencyBounds {
		if d <= b {
			return i
		}
	}
	return LatencyBuckets - 1
}

// SlotCounts are the attempts of one webhook in one slot.
type SlotCounts struct {
	// Start is the start of the slot: a multiple of SummarySlot since the
	// Unix epoch.
	Start time.Time
	// Delivered counts the attempts that delivered; Latency every attempt,
	// by the bucket of its duration.
	Delivered int64
	Latency   [LatencyBuckets]int64
}

// SummaryCounts are the counters a SummaryStore keeps of one webhook.
type SummaryCounts struct {
	WebhookID   string
	LastOutcome Outcome
	LastAt      time.Time
	LastReason  string
	DeadLetters int64
	// Slots are those that counted an attempt, oldest first.
	Slots []SlotCounts
}

// SummaryStore is an InvocationStore that keeps the counters of
// Summary as it records, adds and removes: MemoryStore and riverengine's
// Store are SummaryStores. Counters count what was recorded: deleting
// records (retention, the per-webhook bounds) does not lower them;
// retention drops the slots older than SummaryKept; erasing a tenant or a
// webhook drops its counters, and erasing by event id leaves them (they
// hold no event), but a last outcome that was an erased record's becomes
// that of the latest record kept (none when none is). The count of
// dead letters is always that of the dead letters kept.
type SummaryStore interface {
	InvocationStore
	// SummaryCounts returns the counters of each of ids of tenant, in the
	// order of ids (an id given twice, twice), with the slots that start
	// at or after since. An id with nothing counted has zero counters.
	SummaryCounts(ctx context.Context, tenant string, ids []string, since time.Time) ([]SummaryCounts, error)
}

// ErrSummaryUnsupported is returned by Tenant.Summary and
// Tenant.Summaries when the Dispatcher's store is not a SummaryStore.
var ErrSummaryUnsupported = errors.New("webhook: the invocation store keeps no summary (it is not a SummaryStore)")

// SlotStart returns the start of the slot t falls in.
func SlotStart(t time.Time) time.Time {
	return time.Unix(0, 0).Add(t.Sub(time.Unix(0, 0)).Truncate(SummarySlot)).UTC()
}

// Counted reports whether inv counts among a summary's attempts.
func Counted(inv *Invocation) bool { return inv.Attempt > 0 && lastWorthy(inv.Outcome) }

// lastWorthy reports whether a record of o may be a summary's last.
func lastWorthy(o Outcome) bool {
	return o == Delivered || o == Retrying || o == Failed || o == ValidationFailed
}

// Summary returns the summary of the tenant's webhook id; an unknown id
// wraps ErrNotFound.
func (t *Tenant) Summary(ctx context.Context, id string) (Summary, error) {
	out, err := t.Summaries(ctx, []string{id})
	if err != nil {
		return Summary{}, err
	}
	return out[0], nil
}

// Summaries returns the summaries of the tenant's webhooks ids, in their
// order, in one call of the store. An id that is not one of the tenant's
// webhooks wraps ErrNotFound, and nothing is returned. A webhook whose
// stored definition does not compile on this instance (see
// Tenant.Get) is summarized all the same, its name and switch as stored
// and its breaker BreakerDisabled.
func (t *Tenant) Summaries(ctx context.Context, ids []string) ([]Summary, error) {
	if err := checkTenant(t.id); err != nil {
		return nil, err
	}
	ss, ok := t.d.store.(SummaryStore)
	if !ok {
		return nil, ErrSummaryUnsupported
	}
	out := make([]Summary, len(ids))
	for i, id := range ids {
		var ok bool
		if out[i], ok = t.d.summaryOf(t.id, id); !ok {
			t.d.catchUp(ctx, t.id, id)
			out[i], ok = t.d.summaryOf(t.id, id)
		}
		if !ok {
			return nil, fmt.Errorf("webhook %q: %w", id, ErrNotFound)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	now := SlotStart(t.d.cfg.now())
	counts, err := ss.SummaryCounts(ctx, t.id, ids, now.Add(SummarySlot-SummaryKept))
	if err != nil {
		return nil, fmt.Errorf("webhook: reading summaries: %w", err)
	}
	if len(counts) != len(ids) {
		return nil, fmt.Errorf("webhook: reading summaries: the store returned %d for %d webhooks", len(counts), len(ids))
	}
	for i, c := range counts {
		s := &out[i]
		s.LastOutcome, s.LastAt, s.LastReason, s.DeadLetters = c.LastOutcome, c.LastAt, c.LastReason, c.DeadLetters
		s.Windows = make([]WindowSummary, len(summaryWindows))
		for j, w := range summaryWindows {
			s.Windows[j] = window(w, c.Slots, now.Add(SummarySlot-w), now)
		}
	}
	return out, nil
}

// summaryOf returns what the Dispatcher knows of the tenant's webhook id
// for its summary; false when it holds no such webhook. A stored
// definition that does not compile here (one this version refuses,
// stored by an earlier one) is still summarized, from its stored name
// and switch, with no breaker: it is listed, and its failures are what
// an operator needs to see.
func (d *Dispatcher) summaryOf(tenant, id string) (Summary, bool) {
	if !validID(id) || checkTenant(tenant) != nil {
		return Summary{}, false
	}
	d.mu.RLock()
	e := d.byKey[queueKey(tenant, id)]
	var s Summary
	if e != nil {
		s = Summary{WebhookID: id, Name: e.rec.Name, Active: e.rec.Active, Breaker: BreakerDisabled}
	}
	d.mu.RUnlock()
	if e == nil {
		return Summary{}, false
	}
	if h, err := d.compiled(e); err == nil {
		s.Name, s.Active = h.def.Name, h.def.Active
		if h.breaker != nil {
			s.Breaker = BreakerState(h.breaker.State().String())
		}
	}
	return s, true
}

// window sums the slots that start from since to until: a slot after
// until, of records that started ahead of the clock, is in no window yet.
func window(w time.Duration, slots []SlotCounts, since, until time.Time) WindowSummary {
	out := WindowSummary{Window: w}
	var hist [LatencyBuckets]int64
	for _, sl := range slots {
		if sl.Start.Before(since) || sl.Start.After(until) {
			continue
		}
		out.Delivered += sl.Delivered
		for i, n := range sl.Latency {
			hist[i] += n
			out.Attempts += n
		}
	}
	out.Failed = out.Attempts - out.Delivered
	if out.Attempts == 0 {
		return out
	}
	out.SuccessRate = float64(out.Delivered) / float64(out.Attempts)
	out.P50 = percentile(&hist, out.Attempts, 0.50)
	out.P90 = percentile(&hist, out.Attempts, 0.90)
	out.P99 = percentile(&hist, out.Attempts, 0.99)
	return out
}

// percentile interpolates the q-th quantile of n durations counted in
// hist, linearly within its bucket.
func percentile(hist *[LatencyBuckets]int64, n int64, q float64) time.Duration {
	rank := q * float64(n)
	var below int64
	for i, c := range hist {
		if c == 0 || float64(below+c) < rank {
			below += c
			continue
		}
		if i == LatencyBuckets-1 {
			return latencyBounds[i-1]
		}
		var lo time.Duration
		if i > 0 {
			lo = latencyBounds[i-1]
		}
		frac := (rank - float64(below)) / float64(c)
		return lo + time.Duration(frac*float64(latencyBounds[i]-lo))
	}
	return latencyBounds[len(latencyBounds)-1]
}
