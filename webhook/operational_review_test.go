package webhook_test

import (
	"bytes"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// A Hook that panics neither kills the process nor stops the events
// after it: the panic is logged and each event handed over on its own.
func TestOperationalHookPanicIsContained(t *testing.T) {
	leakcheck.Check(t)
	clock, got := newOpsClock(), &opsEvents{}
	var calls atomic.Int32
	var logs bytes.Buffer
	var logMu sync.Mutex
	r := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Status: 500}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt, webhook.WithClock(clock.Now),
		webhook.WithLogger(slog.New(slog.NewTextHandler(lockedWriter{&logs, &logMu}, nil))),
		webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 1, Hook: func(ev operational.Event) {
			if calls.Add(1) == 1 {
				panic("the host's hook is broken")
			}
			got.hook(ev)
		}}))
	createHook(t, d.Dispatcher, "acme", "wh-1", r.URL+"/hook")
	final := 0
	publishOne(t, d, "acme", &final) // Failing (the Hook panics), DeadLettered
	clock.Advance(time.Hour)
	publishOne(t, d, "acme", &final) // StillFailing, DeadLettered
	closeNow(t, d.Dispatcher)
	require.Equal(t, []event.Trigger{operational.DeadLettered, operational.StillFailing, operational.DeadLettered}, got.triggers())
	logMu.Lock()
	defer logMu.Unlock()
	require.Contains(t, logs.String(), "the host's hook is broken")
}

// A clock before 1970, or past the year 2262 (where UnixNano no longer
// fits), is a clock all the same: the detector counts the attempts and
// tells Failing instead of panicking on a delivery's goroutine.
func TestOperationalClockOutsideUnixNano(t *testing.T) {
	for _, start := range []time.Time{
		time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
		{},
	} {
		t.Run(start.String(), func(t *testing.T) {
			leakcheck.Check(t)
			got := &opsEvents{}
			r := webhooktest.NewReceiver(webhooktest.Respond(webhooktest.Response{Status: 500}))
			t.Cleanup(r.Close)
			d := webhooktest.NewDispatcher(t, oneAttempt, webhook.WithClock(func() time.Time { return start }),
				webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 2, Hook: got.hook}))
			createHook(t, d.Dispatcher, "", "wh-1", r.URL+"/hook")
			final := 0
			publishOne(t, d, "", &final)
			publishOne(t, d, "", &final)
			closeNow(t, d.Dispatcher)
			require.Equal(t, 1, got.count(operational.Failing), "%v", got.triggers())
			for _, ev := range got.all() {
				if ev.EventType == operational.Failing {
					require.Equal(t, 2, ev.Data.Attempts, "both attempts are in the window")
				}
			}
		})
	}
}

// A clock set back holds the events back for RepeatEvery of the new
// time, not until the old time comes round again.
func TestOperationalClockSetBack(t *testing.T) {
	leakcheck.Check(t)
	clock, got := newOpsClock(), &opsEvents{}
	r := webhooktest.NewReceiver(webhooktest.Route("/hook",
		webhooktest.Response{Status: 500}, webhooktest.Response{Status: 202},
		webhooktest.Response{Status: 500}, webhooktest.Response{Status: 500}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t, oneAttempt, webhook.WithClock(clock.Now),
		webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 1, DeadLetterEvery: time.Nanosecond, Hook: got.hook}))
	createHook(t, d.Dispatcher, "", "wh-1", r.URL+"/hook")
	final := 0
	publishOne(t, d, "", &final) // Failing
	publishOne(t, d, "", &final) // Recovered
	clock.Advance(-24 * time.Hour)
	publishOne(t, d, "", &final) // failing again, within RepeatEvery of the clock's new time: held
	clock.Advance(time.Hour)
	publishOne(t, d, "", &final) // an hour later by the clock: told
	closeNow(t, d.Dispatcher)
	require.Equal(t, 2, got.count(operational.Failing), "%v", got.triggers())
}
