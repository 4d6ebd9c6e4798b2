package riverengine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Deliveries over the limit are given turns one after another, a slot's
// worth of time apart (the attempt time over the limit), never further off
// than maxSlotWait nor closer than minSlotWait; a webhook with nothing in
// flight is forgotten.
func TestSlots(t *testing.T) {
	s := newSlots()
	now := time.Unix(1773134100, 0)
	require.Zero(t, s.take("a", 2, now))
	require.Zero(t, s.take("a", 2, now))
	require.Equal(t, attemptGuess/2, s.take("a", 2, now), "the first in line waits half an attempt")
	require.Equal(t, attemptGuess, s.take("a", 2, now), "the second behind it")
	require.Zero(t, s.take("b", 2, now), "another webhook has its own slots")
	require.Zero(t, s.take("c", 0, now), "no limit")

	// An attempt running for 10 s says more than the guess.
	stalled := now.Add(10 * time.Second)
	require.Equal(t, 5*time.Second, s.take("a", 2, stalled))
	for range 5 {
		s.take("a", 2, stalled)
	}
	require.Equal(t, maxSlotWait, s.take("a", 2, stalled), "a long line waits at most maxSlotWait")

	s.give("a", now, 2*time.Second, stalled)
	require.Equal(t, attemptGuess+(2*time.Second-attemptGuess)/5, s.hooks["a"].attempt, "a moving average of the attempts' time")
	require.Zero(t, s.take("a", 2, stalled), "a slot given back is free")

	later := stalled.Add(time.Minute)
	s.give("a", now, 0, later)
	s.give("a", stalled, 0, later)
	s.give("b", now, 0, later)
	s.give("c", now, 0, later)
	require.Empty(t, s.hooks, "idle webhooks are forgotten")

	// A fast endpoint: the wait is no shorter than minSlotWait.
	require.Zero(t, s.take("fast", 2, later))
	require.Zero(t, s.take("fast", 2, later))
	for range 60 {
		s.give("fast", later, time.Microsecond, later)
		require.Zero(t, s.take("fast", 2, later))
	}
	require.Equal(t, minSlotWait, s.take("fast", 2, later))
}
