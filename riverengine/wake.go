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
	// notification each: about River's fetch cooldown.
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
// jobs this instance snoozed come due, as an insert does. Without it a
// burst's snoozed jobs, once publishing stops, wait for the next poll
// (WithPollInterval), and the tail of the burst with them.
type waker struct {
	notify func(ctx context.Context) error
	mu     sync.Mutex
	due    []time.Time // when to notify, sorted, each a multiple of wakeGrain
	trail  time.Time   // when to notify after the last of due; zero when not
	kick   chan struct{}
}

func newPGWaker(pool *pgxpool.Pool, queue string) *waker {
	exec := riverpgxv5.New(pool).GetExecutor()
	payload := fmt.Sprintf(`{"queue": %q}`, queue)
	return &waker{kick: make(chan struct{}, 1), notify: func(ctx context.Context) error {
		return exec.NotifyMany(ctx, &riverdriver.NotifyManyParams{Topic: riverInsertTopic, Payload: []string{payload}})
	}}
}

// after has the queue notified once a job snoozed for d from now comes
// due, unless River sees to it (see wakeHorizon). A nil waker does
// nothing.
func (w *waker) after(d time.Duration) {
	if w == nil || d <= 0 || d > wakeHorizon {
		return
	}
	t := time.Now().Add(d).Truncate(wakeGrain).Add(wakeGrain)
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
		w.mu.Unlock()
		if n > 0 {
			if err := w.notify(ctx); err != nil && ctx.Err() == nil {
				onErr(err)
			}
		}
	}
}
