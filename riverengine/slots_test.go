package riverengine

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Deliveries over the limit wait in line while a slot should free within
// lineWait/2; the others are given turns one after another, a slot's
// worth of time apart (the attempt time over the limit) behind the line,
// never further off than maxSlotWait nor closer than minSlotWait; a
// webhook idle for slotsForget is forgotten.
func TestSlots(t *testing.T) {
	s := newSlots(0)
	now := time.Unix(1773134100, 0)
	take := func(id string, limit int, at time.Time) (bool, time.Duration) {
		line, snooze := s.take(id, limit, false, at)
		return line != nil, snooze
	}
	snoozed := func(d time.Duration) func(bool, time.Duration) {
		return func(inLine bool, got time.Duration) {
			t.Helper()
			require.False(t, inLine)
			require.Equal(t, d, got)
		}
	}
	free := snoozed(0)
	free(take("a", 2, now))
	free(take("a", 2, now))
	inLine, _ := take("a", 2, now)
	require.True(t, inLine, "a slot (half the guessed attempt) frees within lineWait/2: the first waits in line")
	snoozed(attemptGuess)(take("a", 2, now)) // behind the line, a slot later
	snoozed(attemptGuess * 3 / 2)(take("a", 2, now))
	free(take("b", 2, now))
	free(take("c", 0, now))

	// An attempt running for 10 s says more than the guess: no one else
	// joins the line, and turns are half of it apart.
	stalled := now.Add(10 * time.Second)
	snoozed(10 * time.Second)(take("a", 2, stalled))
	for range 5 {
		take("a", 2, stalled)
	}
	snoozed(maxSlotWait)(take("a", 2, stalled))

	// The slot given back goes to the one in line.
	s.give("a", now, 2*time.Second, stalled)
	require.Equal(t, 2*time.Second, s.hooks["a"].attempt, "the first attempt's time replaces the guess")
	require.Empty(t, s.hooks["a"].line)
	require.Len(t, s.hooks["a"].started, 2)

	later := stalled.Add(time.Minute)
	s.give("a", now, 0, later)
	s.give("a", stalled, 0, later)
	s.give("b", now, 0, later)
	s.give("c", now, 0, later)
	require.Equal(t, 2*time.Second, s.hooks["a"].attempt, "a slot given back without an attempt leaves the time")
	require.Len(t, s.hooks, 3, "idle webhooks keep their attempt time")
	later = later.Add(slotsForget)
	_, _ = take("d", 1, later)
	require.Equal(t, []string{"d"}, slices.Collect(maps.Keys(s.hooks)), "webhooks idle for slotsForget are forgotten")

	// A fast endpoint: up to limit wait in line, the rest are snoozed, no
	// shorter than minSlotWait.
	free(take("fast", 2, later))
	free(take("fast", 2, later))
	for range 60 {
		s.give("fast", later, time.Microsecond, later)
		free(take("fast", 2, later))
	}
	for range 2 {
		inLine, _ := take("fast", 2, later)
		require.True(t, inLine)
	}
	snoozed(minSlotWait)(take("fast", 2, later))
}

// A slot given back goes to the first in line, who runs under the start
// give noted; one that waited lineWait leaves the line with a snooze; one
// whose engine stops leaves it with none.
func TestSlotLine(t *testing.T) {
	s := newSlots(0)
	now := time.Now()
	const limit = 2
	s.take("a", limit, false, now)
	s.take("a", limit, false, now)
	s.hooks["a"].attempt = 10 * time.Millisecond // a fast endpoint
	first, _ := s.take("a", limit, false, now)
	second, _ := s.take("a", limit, false, now)
	require.NotNil(t, first)
	require.NotNil(t, second)

	handed := now.Add(time.Millisecond)
	s.give("a", now, time.Millisecond, handed)
	started, snooze, ok := s.wait("a", limit, first, nil)
	require.True(t, ok)
	require.Zero(t, snooze)
	require.Equal(t, handed, started, "the first in line has the slot given back")

	waited := time.Now()
	_, snooze, ok = s.wait("a", limit, second, nil)
	require.False(t, ok)
	require.GreaterOrEqual(t, time.Since(waited), lineWait)
	require.GreaterOrEqual(t, snooze, minSlotWait)
	require.Empty(t, s.hooks["a"].line, "one that gave up waiting leaves the line")

	third, _ := s.take("a", limit, false, handed)
	require.NotNil(t, third)
	done := make(chan struct{})
	close(done)
	_, snooze, ok = s.wait("a", limit, third, done)
	require.False(t, ok)
	require.Zero(t, snooze)
	require.Empty(t, s.hooks["a"].line)

	// Nothing in line: both slots back.
	s.give("a", now, 0, time.Now())
	s.give("a", handed, 0, time.Now().Add(maxSlotWait))
	require.Empty(t, s.hooks["a"].started)
}

// A fast webhook that goes idle between deliveries, as one does at a
// steady rate, keeps its attempt time: the next clump over its limit
// waits in line, a slot freeing every attempt time over the limit,
// rather than being snoozed on the guess.
func TestSlotsKeepAttemptTimeWhileIdle(t *testing.T) {
	s := newSlots(0)
	now := time.Unix(1773134100, 0)
	const limit = 16
	for range 20 {
		line, snooze := s.take("fast", limit, false, now)
		require.Nil(t, line)
		require.Zero(t, snooze)
		s.give("fast", now, time.Millisecond, now.Add(time.Millisecond))
		now = now.Add(2 * time.Millisecond)
	}
	require.Contains(t, s.hooks, "fast", "kept while idle")
	require.Equal(t, time.Millisecond, s.hooks["fast"].attempt)

	now = now.Add(time.Second) // idle for a moment
	for range limit {
		line, snooze := s.take("fast", limit, false, now)
		require.Nil(t, line)
		require.Zero(t, snooze)
	}
	for i := range limit {
		line, snooze := s.take("fast", limit, false, now)
		require.NotNil(t, line, "delivery %d over the limit waits in line", i)
		require.Zero(t, snooze)
	}
	_, snooze := s.take("fast", limit, false, now)
	require.Equal(t, minSlotWait, snooze, "past the line, a turn")
}

// A delivery that comes back at its turn and finds no room is given a
// near turn, a slot after the line, ahead of the turns given to the
// others, which stay where they were.
func TestSlotsNearTurn(t *testing.T) {
	s := newSlots(0)
	now := time.Unix(1773134100, 0)
	slot := attemptGuess / 2
	for range 2 {
		line, snooze := s.take("a", 2, false, now)
		require.Nil(t, line)
		require.Zero(t, snooze)
	}
	line, _ := s.take("a", 2, false, now)
	require.NotNil(t, line)
	_, snooze := s.take("a", 2, false, now)
	require.Equal(t, 2*slot, snooze, "behind the line")
	_, snooze = s.take("a", 2, false, now)
	require.Equal(t, 3*slot, snooze, "behind the last turn given")
	_, snooze = s.take("a", 2, true, now)
	require.Equal(t, 2*slot, snooze, "back at its turn: after the line, not behind the schedule")
	_, snooze = s.take("a", 2, true, now)
	require.Equal(t, 3*slot, snooze, "after the near turns given")
	_, snooze = s.take("a", 2, false, now)
	require.Equal(t, 6*slot, snooze, "the schedule made room for the two near turns")
}

// Past its limit, a fast webhook's line grows while fewer than half the
// instance's workers wait in all lines: a backlog waits a moment in line
// rather than going back to River's queue; past that, each webhook's line
// holds its limit.
func TestSlotsSpareLine(t *testing.T) {
	s := newSlots(8) // a spare of 4
	now := time.Unix(1773134100, 0)
	fast := func(id string, limit int) {
		for range limit {
			line, snooze := s.take(id, limit, false, now)
			require.Nil(t, line)
			require.Zero(t, snooze)
		}
		s.hooks[id].attempt = time.Millisecond
	}
	inLine := func(id string, limit int) <-chan time.Time {
		t.Helper()
		line, snooze := s.take(id, limit, false, now)
		require.NotNil(t, line, "%s waits in line", id)
		require.Zero(t, snooze)
		return line
	}
	snoozed := func(id string, limit int) {
		t.Helper()
		line, snooze := s.take(id, limit, false, now)
		require.Nil(t, line, "%s is snoozed", id)
		require.Positive(t, snooze)
	}
	fast("a", 2)
	fast("b", 1)
	first := inLine("a", 2)
	inLine("a", 2) // a's limit
	inLine("a", 2) // past it: 3 of 4 wait in lines
	inLine("a", 2)
	snoozed("a", 2)
	inLine("b", 1) // b's limit
	snoozed("b", 1)

	s.give("a", now, time.Millisecond, now)
	require.Equal(t, now, <-first, "the first in line has the slot")
	snoozed("b", 1) // 4 wait in lines still
	s.give("a", now, time.Millisecond, now)
	inLine("b", 1) // 3 do
	snoozed("b", 1)
}
