package riverengine

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Snoozes that come due within one wakeGrain make one notification, no
// sooner than the first is due, and one more wakeTrail later for a job
// River dated a little after its wake; one longer than wakeHorizon makes
// none, River's scheduler seeing to it.
func TestWakerNotifiesWhenSnoozesComeDue(t *testing.T) {
	notified := make(chan time.Time, 10)
	w := &waker{kick: make(chan struct{}, 1), notify: func(context.Context) error {
		notified <- time.Now()
		return nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go w.run(ctx, done, func(err error) { t.Error(err) })
	defer func() { cancel(); <-done }()

	start := time.Now()
	w.after(wakeHorizon + time.Second)
	w.after(30 * time.Millisecond)
	w.after(30 * time.Millisecond)
	w.mu.Lock()
	require.Len(t, w.due, 1, "one wake per grain; none past the horizon")
	w.mu.Unlock()
	at := <-notified
	require.GreaterOrEqual(t, at.Sub(start), 30*time.Millisecond, "not before the snooze is due")
	trail := <-notified
	require.GreaterOrEqual(t, trail.Sub(at), wakeTrail)
	w.mu.Lock()
	require.Empty(t, w.due)
	require.True(t, w.trail.IsZero(), "one trailing notification")
	w.mu.Unlock()

	var none *waker
	none.after(time.Millisecond) // SQLite: nothing to do
}

// An insert River's limiter would skip, within a cooldown of the last it
// notified, makes one notification two cooldowns after that one; one it
// notifies makes none, and one it notifies after those skipped makes the
// notification for them needless.
func TestWakerNotifiesInsertsRiverSkipped(t *testing.T) {
	notified := make(chan time.Time, 10)
	const cooldown = 40 * time.Millisecond
	w := &waker{cooldown: cooldown, kick: make(chan struct{}, 1), notify: func(context.Context) error {
		notified <- time.Now()
		return nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go w.run(ctx, done, func(err error) { t.Error(err) })
	defer func() { cancel(); <-done }()

	insert := func() { now := time.Now(); w.inserted(now, now) }
	start := time.Now()
	insert() // River notifies it
	w.mu.Lock()
	require.True(t, w.inserts.IsZero())
	w.mu.Unlock()
	insert() // skipped by River
	insert()
	at := <-notified
	require.GreaterOrEqual(t, at.Sub(start), 2*cooldown, "not before two of River's cooldowns have passed")

	// Skipped, then covered by an insert River notifies: no notification.
	insert() // River notifies it: its cooldown has passed
	insert() // skipped
	w.mu.Lock()
	w.covered = time.Now().Add(time.Millisecond) // as if River notified an insert begun after it
	w.mu.Unlock()
	select {
	case at := <-notified:
		t.Fatalf("notified at %s, though River notified an insert after the one it skipped", at.Sub(start))
	case <-time.After(4 * cooldown):
	}
}

// River decides whether to notify an insert before its commit: one that
// returns a cooldown after the last River notified, its call made within
// it, may have been skipped, and has the queue notified.
func TestWakerNotifiesSlowInsertsRiverMaySkip(t *testing.T) {
	notified := make(chan time.Time, 10)
	const cooldown = 40 * time.Millisecond
	w := &waker{cooldown: cooldown, kick: make(chan struct{}, 1), notify: func(context.Context) error {
		notified <- time.Now()
		return nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go w.run(ctx, done, func(err error) { t.Error(err) })
	defer func() { cancel(); <-done }()

	start := time.Now()
	w.inserted(start, start)                                   // River notifies it
	w.inserted(start.Add(cooldown/4), start.Add(cooldown*3/2)) // its commit took long
	select {
	case at := <-notified:
		require.GreaterOrEqual(t, at.Sub(start), 2*cooldown, "not before two of River's cooldowns have passed")
	case <-time.After(10 * cooldown):
		t.Fatal("no notification for an insert River may have skipped")
	}
}
