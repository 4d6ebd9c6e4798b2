package riverengine

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

const (
	// wakeGrain groups the times snoozed jobs come due into one
	// notification each, a few of River's fetch cooldowns: a burst's
	// snoozes make few notifications.
	wakeGrain = 10 * time.Millisecond
	// wakeHorizon is River's scheduler interval: a job snoozed for longer
	// is made scheduled, and River's scheduler notifies the queue when it
	// makes the job available again; one snoozed for less stays available
	// with a later scheduled_at, and nothing but a fetch finds it.
	wakeHorizon = 5 * time.Second
	// wakeTrail is how long after the last wake the queue is notified
	// once more: River dates a snoozed job when Work has returned, a little
	// after the wake was set, and a job dated past its wake would wait for
	// the next wake or poll; later wakes catch such jobs, but the last one
	// has none after it.
	wakeTrail = 250 * time.Millisecond
	// riverInsertTopic is the channel River's producers listen on for
	// inserts into their queue, which make them fetch.
	riverInsertTopic = "river_insert"
)

// waker tells the instances working a queue on PostgreSQL to fetch when
// jobs this instance snoozed come due, and after inserts River did not
// notify, as an insert it notifies does. Without it a burst's snoozed
// jobs, once publishing stops, wait for the next poll (WithPollInterval),
// and the tail of the burst with them.
type waker struct {
	notify func(ctx context.Context) error
	// cooldown is River's fetch cooldown, which also spaces its insert
	// notifications. River's limiter decides inside an insert, between
	// the call and its return: River last notified an insert of this
	// instance's between sentFrom and sentTo, as far as the waker can
	// tell; covered is when the last insert River surely notified began.
	cooldown time.Duration
	mu       sync.Mutex
	sentFrom time.Time
	sentTo   time.Time
	covered  time.Time
	skipped  time.Time   // when the last insert River may have skipped returned
	inserts  time.Time   // when to look at skipped inserts; zero when none wait
	due      []time.Time // when to notify, sorted, each a multiple of its grain
	trail    time.Time   // when to notify after the last of due; zero when not
	kick     chan struct{}
}

func newPGWaker(pool *pgxpool.Pool, queue string, cooldown time.Duration) *waker {
	exec := riverpgxv5.New(pool).GetExecutor()
	payload := fmt.Sprintf(`{"queue": %q}`, queue)
	return &waker{cooldown: cooldown, kick: make(chan struct{}, 1), notify: func(ctx context.Context) error {
		return exec.NotifyMany(ctx, &riverdriver.NotifyManyParams{Topic: riverInsertTopic, Payload: []string{payload}})
	}}
}

// inserted notes jobs this instance inserted by a call made at began
// that returned at ended. River notifies an insert only when its last
// notification for the queue is a fetch cooldown old, and sends none
// later for the inserts it skipped: a job committed after the fetch the
// last notification caused waits for the next insert River notifies, and
// the last jobs of a burst for the poll (a 1 s poll: the worst latencies
// at a steady rate). River decides between began and ended, and a
// commit may take long after it: an insert River may have skipped has
// the queue notified two cooldowns after River's last notification,
// unless River surely notified an insert begun after it returned, whose
// fetch finds it: the trailing notification River does not send, and
// none while inserts keep coming, when River's own follow each other. A
// nil waker does nothing.
func (w *waker) inserted(began, ended time.Time) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case began.Sub(w.sentTo) > w.cooldown: // River surely notified it
		w.sentFrom, w.sentTo, w.covered = began, ended, began
		return
	case ended.Sub(w.sentFrom) > w.cooldown: // River may have notified it
		w.sentTo = ended
	}
	if ended.After(w.skipped) {
		w.skipped = ended
	}
	if w.inserts.IsZero() {
		w.inserts = w.sentTo.Add(2 * w.cooldown)
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
}

// insertsDue reports, at now, whether inserts River may have skipped wait
// for a notification, and sets when to look again; w.mu is held.
func (w *waker) insertsDue(now time.Time) bool {
	if w.inserts.IsZero() || w.inserts.After(now) {
		return false
	}
	w.inserts = time.Time{}
	switch {
	case !w.skipped.After(w.covered): // River notified an insert begun after them
		return false
	case now.Sub(w.sentTo) >= 2*w.cooldown:
		return true
	}
	w.inserts = w.sentTo.Add(2 * w.cooldown) // River may have notified one since, and skipped more
	return false
}

// after has the queue notified once a job snoozed for d from now comes
// due, unless River sees to it (see wakeHorizon). A nil waker does
// nothing.
func (w *waker) after(d time.Duration) {
	if w == nil || d <= 0 || d > wakeHorizon {
		return
	}
	w.at(time.Now().Add(d), wakeGrain)
}

// at has the queue notified at t, rounded up to a multiple of grain, so
// that the times within a grain make one notification.
func (w *waker) at(t time.Time, grain time.Duration) {
	grain = max(grain, time.Millisecond)
	t = t.Truncate(grain).Add(grain)
	w.mu.Lock()
	defer w.mu.Unlock()
	i, found := slices.BinarySearchFunc(w.due, t, time.Time.Compare)
	if found {
		return
	}
	w.due = slices.Insert(w.due, i, t)
	if i == 0 {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
}

// run notifies at each time due until ctx is done, then closes done.
func (w *waker) run(ctx context.Context, done chan<- struct{}, onErr func(error)) {
	defer close(done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		w.mu.Lock()
		next := time.Hour
		if len(w.due) > 0 {
			next = time.Until(w.due[0])
		} else if !w.trail.IsZero() {
			next = time.Until(w.trail)
		}
		if !w.inserts.IsZero() {
			next = min(next, time.Until(w.inserts))
		}
		w.mu.Unlock()
		timer.Reset(max(next, 0))
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
			continue
		case <-timer.C:
		}
		w.mu.Lock()
		now := time.Now()
		n := 0
		for n < len(w.due) && !w.due[n].After(now) {
			n++
		}
		w.due = slices.Delete(w.due, 0, n)
		switch {
		case n > 0:
			w.trail = now.Add(wakeTrail)
		case !w.trail.IsZero() && !w.trail.After(now):
			w.trail, n = time.Time{}, 1
		}
		if w.insertsDue(now) {
			n++
		}
		w.mu.Unlock()
		if n > 0 {
			if err := w.notify(ctx); err != nil && ctx.Err() == nil {
				onErr(err)
			}
		}
	}
}
