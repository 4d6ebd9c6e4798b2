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
	// slotsForget is how long a webhook with nothing in flight, in line
	// or due keeps its attempt time (see slots).
	slotsForget = 10 * time.Minute
	// slotsKept bounds the idle webhooks whose attempt time is kept.
	slotsKept = 4096
	// minSlotWait keeps a delivery from coming straight back when slots
	// free quickly.
	minSlotWait = 10 * time.Millisecond
	// maxSlotWait bounds a wait: the backlog of an endpoint that stalled
	// is looked at again this soon after it recovers, and each waiting
	// delivery costs a fetch and a snooze this often.
	maxSlotWait = 30 * time.Second
	// lineWait bounds how long a delivery waits in its webhook's line,
	// holding its worker; it joins the line only when a slot should free
	// within half of it.
	lineWait = 100 * time.Millisecond
)

// slots keeps each webhook's attempts in flight on this instance within
// the webhook's concurrency, so that a slow or dead endpoint holds at most
// that many workers running attempts. An attempt holds its slot until its
// exchange with the receiver ends; its worker then records it without
// one (engine.Delivery.OnExchangeEnd).
//
// A delivery over the limit waits in the webhook's line, holding its
// worker, when a slot should free soon (within lineWait/2, going by the
// webhook's attempt time and the line ahead of it) and fewer than limit
// deliveries wait there already, or fewer than half the instance's
// workers wait in all lines; a slot given back goes to the first in
// line. A fetch that brings a burst of a fast webhook's deliveries thus
// runs them as slots free, without a snooze and a fetch more for each. A
// delivery waits at most lineWait. The others are snoozed, holding no
// worker: each is given a turn after the last one given, a slot's worth of
// time later (the webhook's attempt time over its limit), so that a
// backlog comes back about when slots free, once per delivery, rather than
// all at once and again and again. One that comes back at its turn and
// finds no room again keeps its place: it is given a near turn, after
// the line and the near turns given, and the others' schedule moves a
// slot on; not a turn behind the whole schedule, which under a backlog
// would send it back there again and again.
//
// The attempt time is a moving average of the webhook's attempts on this
// instance, attemptGuess until the first ends. It is kept while the
// webhook is idle, for slotsForget: at a steady rate a fast webhook is
// idle between most deliveries, and the guess would send much of the next
// clump over its limit to wait a turn rather than a millisecond in line.
// While more than slotsKept webhooks are known, one that goes idle is
// forgotten at once, so that a fan-out to many webhooks does not keep an
// entry for each.
//
// A webhook thus holds at most its limit of workers in attempts, and in
// its line its limit more, or more while fewer than the instance's spare
// (half its workers) wait in all lines: those only while its attempts end
// within lineWait/2 per slot, and each for at most lineWait. When its endpoint stalls, the age of its
// oldest attempt in flight soon shows it, and no more join its line. The
// spare lets a fast webhook's backlog wait a moment in line, rather than
// go back to River's queue behind every delivery published meanwhile and
// find, at its turn, the slots taken by those.
type slots struct {
	mu    sync.Mutex
	hooks map[string]*hookSlots
	swept time.Time // when idle webhooks were last forgotten
	// spare is half the instance's workers: a delivery may join a line
	// longer than its webhook's limit while fewer wait in all lines.
	// waiting counts those in lines.
	spare, waiting int
}

type hookSlots struct {
	started []time.Time // the attempts in flight, oldest first
	// attempt is a moving average of an attempt's time; zero until one
	// has ended, attemptGuess standing in for it meanwhile.
	attempt  time.Duration
	ended    time.Time // when the last attempt ended
	lastTurn time.Time // when the delivery sent to wait last comes back
	lastNear time.Time // the same, of those given a near turn
	// line holds the deliveries waiting for a slot, first come first;
	// give hands its slot to the first, sending the attempt's start.
	line []chan time.Time
}

// newSlots returns the slots of an instance running workers deliveries
// at once.
func newSlots(workers int) *slots {
	return &slots{hooks: map[string]*hookSlots{}, spare: workers / 2}
}

// take takes one of webhookID's slots for an attempt starting now. When
// none is free it either puts the caller in the webhook's line, returning
// the channel on which the slot comes (see wait), or says how long to
// snooze: back is set for a delivery that waited before and has come back
// at its turn, which is given a near one. A limit of zero or less is none
// (jobs queued before limits existed).
func (s *slots) take(webhookID string, limit int, back bool, now time.Time) (line <-chan time.Time, snooze time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forgetIdle(now)
	h := s.hooks[webhookID]
	if h == nil {
		h = &hookSlots{}
		s.hooks[webhookID] = h
	}
	if limit <= 0 || len(h.started) < limit {
		h.started = append(h.started, now)
		return nil, 0
	}
	slot := h.slot(limit, now)
	if (len(h.line) < limit || s.waiting < s.spare) && slot*time.Duration(len(h.line)+1) <= lineWait/2 {
		c := make(chan time.Time, 1)
		h.line = append(h.line, c)
		s.waiting++
		return c, 0
	}
	if back {
		return nil, h.nearTurn(slot, now)
	}
	return nil, h.snooze(slot, now)
}

// nearTurn is the snooze of a delivery that had its turn and found no
// room: the first turn after the line and the near turns given, a slot
// apart. The schedule of the others makes room for it: their next turn
// comes a slot later.
func (h *hookSlots) nearTurn(slot time.Duration, now time.Time) time.Duration {
	h.lastNear = h.turnAfter(h.lastNear, slot, now)
	if h.lastTurn.After(now) {
		h.lastTurn = h.lastTurn.Add(slot)
	}
	return max(h.lastNear.Sub(now), minSlotWait)
}

// snooze gives a delivery that does not wait in line its turn, a slot's
// worth of time after the last one given and the line.
func (h *hookSlots) snooze(slot time.Duration, now time.Time) time.Duration {
	h.lastTurn = h.turnAfter(h.lastTurn, slot, now)
	return max(h.lastTurn.Sub(now), minSlotWait)
}

// turnAfter returns the turn a slot after last, and after the line, but
// no later than maxSlotWait from now.
func (h *hookSlots) turnAfter(last time.Time, slot time.Duration, now time.Time) time.Time {
	turn := last
	if first := now.Add(slot * time.Duration(len(h.line))); turn.Before(first) {
		turn = first
	}
	turn = turn.Add(slot)
	if latest := now.Add(maxSlotWait); turn.After(latest) {
		turn = latest
	}
	return turn
}

// wait waits in webhookID's line on line, which take returned, until a
// slot comes, lineWait passes or done is closed. It returns the start
// under which the slot was taken (to give back), or how long to snooze;
// when done was closed, the snooze is zero.
func (s *slots) wait(webhookID string, limit int, line <-chan time.Time, done <-chan struct{}) (started time.Time, snooze time.Duration, ok bool) {
	timer := time.NewTimer(lineWait)
	defer timer.Stop()
	stopping := false
	select {
	case started := <-line:
		return started, 0, true
	case <-timer.C:
	case <-done:
		stopping = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hooks[webhookID]
	if i := slices.IndexFunc(h.line, func(c chan time.Time) bool { return c == line }); i >= 0 {
		h.line = slices.Delete(h.line, i, i+1)
		s.waiting--
	} else {
		// give handed the slot over meanwhile.
		return <-line, 0, true
	}
	if stopping {
		return time.Time{}, 0, false
	}
	now := time.Now()
	return time.Time{}, h.snooze(h.slot(limit, now), now), false
}

// slot is a slot's worth of time: the time of an attempt over the limit.
// An attempt lasts at least as long as the oldest in flight has run: a
// stalled endpoint shows before its first timeout.
func (h *hookSlots) slot(limit int, now time.Time) time.Duration {
	attempt := h.attempt
	if attempt == 0 {
		attempt = attemptGuess
	}
	if len(h.started) > 0 {
		attempt = max(attempt, now.Sub(h.started[0]))
	}
	return attempt / time.Duration(max(limit, 1))
}

// give returns the slot that take (or wait) gave for an attempt started at
// started, to the first delivery in line if any; took is the attempt's
// time, or zero when none was made (the rate limit held the delivery back,
// say).
func (s *slots) give(webhookID string, started time.Time, took time.Duration, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hooks[webhookID]
	if i := slices.Index(h.started, started); i >= 0 {
		h.started = slices.Delete(h.started, i, i+1)
	}
	switch {
	case took <= 0:
	case h.attempt == 0:
		h.attempt = took
	default:
		h.attempt += (took - h.attempt) / 5
	}
	h.ended = now
	if len(h.line) > 0 {
		next := h.line[0]
		h.line = slices.Delete(h.line, 0, 1)
		s.waiting--
		h.started = append(h.started, now)
		next <- now
		return
	}
	if len(s.hooks) > slotsKept && h.idle(now) {
		// A fan-out to many webhooks would otherwise keep one entry each
		// for slotsForget, and make the sweep hold s.mu that much longer.
		delete(s.hooks, webhookID)
	}
}

// idle reports whether h has nothing in flight, in line or due.
func (h *hookSlots) idle(now time.Time) bool {
	return len(h.started) == 0 && len(h.line) == 0 && !h.lastTurn.After(now) && !h.lastNear.After(now)
}

// forgetIdle forgets, at most once per slotsForget, the webhooks that
// have been idle that long (removed ones included), keeping the map to
// the webhooks in use; s.mu is held.
func (s *slots) forgetIdle(now time.Time) {
	if now.Sub(s.swept) < slotsForget {
		return
	}
	s.swept = now
	for id, h := range s.hooks {
		if h.idle(now) && now.Sub(h.ended) >= slotsForget {
			delete(s.hooks, id)
		}
	}
}
