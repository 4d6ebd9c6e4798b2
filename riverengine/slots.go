package riverengine

import (
	"slices"
	"sync"
	"time"
)

// The wait of a delivery over its webhook's concurrency.
const (
	// attemptGuess is the attempt time assumed for a webhook none of whose
	// attempts has ended on this instance yet.
	attemptGuess = 100 * time.Millisecond
	// minSlotWait keeps a delivery from coming straight back when slots
	// free quickly.
	minSlotWait = 10 * time.Millisecond
	// maxSlotWait bounds a wait: the backlog of an endpoint that stalled
	// is looked at again this soon after it recovers, and each waiting
	// delivery costs a fetch and a snooze this often.
	maxSlotWait = 30 * time.Second
)

// slots keeps each webhook's attempts in flight on this instance within
// the webhook's concurrency, so that a slow or dead endpoint holds at most
// that many workers. A delivery over the limit is snoozed, holding no
// worker. Each is given a turn after the last one given, a slot's worth of
// time later (the webhook's attempt time over its limit), so that a
// backlog comes back about when slots free, once per delivery, rather than
// all at once and again and again.
type slots struct {
	mu    sync.Mutex
	hooks map[string]*hookSlots
}

type hookSlots struct {
	started  []time.Time   // the attempts in flight, oldest first
	attempt  time.Duration // moving average of an attempt's time
	lastTurn time.Time     // when the delivery sent to wait last comes back
}

func newSlots() *slots { return &slots{hooks: map[string]*hookSlots{}} }

// take takes one of webhookID's slots for an attempt starting now, or says
// how long to wait for one. A limit of zero or less is none (jobs queued
// before limits existed).
func (s *slots) take(webhookID string, limit int, now time.Time) (wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hooks[webhookID]
	if h == nil {
		h = &hookSlots{attempt: attemptGuess}
		s.hooks[webhookID] = h
	}
	if limit <= 0 || len(h.started) < limit {
		h.started = append(h.started, now)
		return 0
	}
	// An attempt lasts at least as long as the oldest in flight has run:
	// a stalled endpoint shows before its first timeout.
	attempt := max(h.attempt, now.Sub(h.started[0]))
	turn := h.lastTurn
	if turn.Before(now) {
		turn = now
	}
	turn = turn.Add(attempt / time.Duration(limit))
	if latest := now.Add(maxSlotWait); turn.After(latest) {
		turn = latest
	}
	h.lastTurn = turn
	return max(turn.Sub(now), minSlotWait)
}

// give returns the slot that take gave for an attempt started at started;
// took is the attempt's time, or zero when none was made (the rate limit
// held the delivery back, say).
func (s *slots) give(webhookID string, started time.Time, took time.Duration, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hooks[webhookID]
	if i := slices.Index(h.started, started); i >= 0 {
		h.started = slices.Delete(h.started, i, i+1)
	}
	if took > 0 {
		h.attempt += (took - h.attempt) / 5
	}
	if len(h.started) == 0 && !h.lastTurn.After(now) {
		delete(s.hooks, webhookID) // idle: forget it, removed webhooks included
	}
}
