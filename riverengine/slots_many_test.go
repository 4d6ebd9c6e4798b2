package riverengine

import (
	"strconv"
	"testing"
	"time"
)

// A fan-out to many webhooks, each delivering once, keeps the attempt
// times of at most slotsKept idle webhooks, not one per webhook for
// slotsForget; the sweep over what is kept stays short.
func TestSlotsBoundIdleWebhooks(t *testing.T) {
	s := newSlots(100)
	now := time.Unix(1773134100, 0)
	const n = 100_000
	for i := range n {
		id := "wh-" + strconv.Itoa(i)
		if line, snooze := s.take(id, 10, false, now); line != nil || snooze != 0 {
			t.Fatalf("%s: a first delivery waited", id)
		}
		s.give(id, now, 3*time.Millisecond, now.Add(3*time.Millisecond))
		now = now.Add(time.Millisecond) // 100 s in all, well within slotsForget
	}
	if got := len(s.hooks); got > slotsKept {
		t.Errorf("%d webhooks, each idle after one delivery, keep %d entries; want at most %d", n, got, slotsKept)
	}
	start := time.Now()
	s.mu.Lock()
	s.forgetIdle(now.Add(slotsForget))
	s.mu.Unlock()
	t.Logf("a sweep over %d webhooks took %s", n, time.Since(start))
}
