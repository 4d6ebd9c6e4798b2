package riverengine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/outhook/outhook/engine"
)

// waitingRunner makes attempts that last until their ctx ends, and are
// interrupted then.
type waitingRunner struct{}

func (waitingRunner) Run(ctx context.Context, _ *engine.Delivery) engine.Result {
	<-ctx.Done()
	return engine.Result{Outcome: engine.Interrupted}
}

func (waitingRunner) Abandon(*engine.Delivery, error) {}

// laterDeadline is a ctx whose Deadline says later than it ends: River's
// job timeout, whose timer fires before the run's own a millisecond
// earlier (timers may fire together, and their callbacks run in any
// order).
type laterDeadline struct {
	context.Context
	at time.Time
}

func (l laterDeadline) Deadline() (time.Time, bool) { return l.at, true }

// A run that River's job timeout ends before the run's own deadline, a
// millisecond earlier, is cut all the same: River keeps it among the
// job's errors, which bound such runs (maxUnfinishedRuns). A snooze would
// leave no error, and an attempt that always outlasts the bound would be
// made again for ever.
func TestRunEndedByRiversTimeoutFirstIsCut(t *testing.T) {
	e := &Engine{cfg: newConfig(nil), flights: newFlights(), runner: waitingRunner{}}
	w := newWorker(e)
	timedOut, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	ctx := laterDeadline{Context: timedOut, at: time.Now().Add(time.Hour)}
	job := &river.Job[deliveryArgs]{
		JobRow: &rivertype.JobRow{ID: 1, Attempt: 1, MaxAttempts: maxRiverAttempts},
		Args: deliveryArgs{DeliveryID: "d1", WebhookID: "hook", Created: time.Now(),
			Event: `{"event_type": "RequestCreated", "event_time": 1}`},
	}
	err := w.Work(ctx, job)
	if !errors.Is(err, errRunCut) {
		t.Fatalf("Work returned %v, want the run's cut (%v)", err, errRunCut)
	}
}

// A cut run ends with time to spare before River's job timeout, the rescue
// horizon: River's completion of the job is written before its rescuer
// may take the job for lost (a rescued run would count as an attempt),
// and the run's deadline does not race River's timer to end the run.
func TestCutRunEndsBeforeTheRescueHorizon(t *testing.T) {
	const rescueAfter = 400 * time.Millisecond
	e := &Engine{cfg: newConfig([]Option{WithRescueAfter(rescueAfter)}), flights: newFlights(), runner: waitingRunner{}}
	w := newWorker(e)
	ctx, cancel := context.WithTimeout(context.Background(), rescueAfter)
	defer cancel()
	runBy, _ := ctx.Deadline()
	job := &river.Job[deliveryArgs]{
		JobRow: &rivertype.JobRow{ID: 1, Attempt: 1, MaxAttempts: maxRiverAttempts},
		Args: deliveryArgs{DeliveryID: "d1", WebhookID: "hook", Created: time.Now(),
			Event: `{"event_type": "RequestCreated", "event_time": 1}`},
	}
	err := w.Work(ctx, job)
	ended := time.Now()
	if !errors.Is(err, errRunCut) {
		t.Fatalf("Work returned %v, want the run's cut", err)
	}
	if spare := runBy.Sub(ended); spare < recordMargin(rescueAfter)/8 {
		t.Fatalf("the cut run ended %s before River's job timeout, want at least %s", spare, recordMargin(rescueAfter)/8)
	}
}

// River's rescuer measures its horizon from the job's fetch (attempted_at),
// which may precede the run's start, and River's job timeout, by much on
// a busy instance: the run's bounds are measured from the earlier.
func TestCutRunEndsBeforeTheRescueHorizonOfALateRun(t *testing.T) {
	const rescueAfter = 400 * time.Millisecond
	e := &Engine{cfg: newConfig([]Option{WithRescueAfter(rescueAfter)}), flights: newFlights(), runner: waitingRunner{}}
	w := newWorker(e)
	fetched := time.Now().Add(-150 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), rescueAfter)
	defer cancel()
	job := &river.Job[deliveryArgs]{
		JobRow: &rivertype.JobRow{ID: 1, Attempt: 1, MaxAttempts: maxRiverAttempts, AttemptedAt: &fetched},
		Args: deliveryArgs{DeliveryID: "d1", WebhookID: "hook", Created: time.Now(),
			Event: `{"event_type": "RequestCreated", "event_time": 1}`},
	}
	err := w.Work(ctx, job)
	ended := time.Now()
	if !errors.Is(err, errRunCut) {
		t.Fatalf("Work returned %v, want the run's cut", err)
	}
	horizon := fetched.Add(rescueAfter)
	if spare := horizon.Sub(ended); spare < recordMargin(rescueAfter)/8 {
		t.Fatalf("the cut run ended %s before the rescue horizon, want at least %s", spare, recordMargin(rescueAfter)/8)
	}
}
