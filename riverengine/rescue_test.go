package riverengine_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// A webhook whose timeout is not below WithRescueAfter has its attempts
// cut at the rescue horizon. Each cut is an attempt that timed out: it is
// recorded so, the breaker hears it, the retry policy retries it, and the
// delivery ends as a dead letter when the policy gives up, rather than
// being made again, uncounted, for ever. The engine says in its log why
// the attempts end early, naming the rescue time.
func TestAttemptCutByTheRescueTimeCountsAsTimedOut(t *testing.T) {
	for _, db := range []string{"postgres", "sqlite"} {
		t.Run(db, func(t *testing.T) {
			var logs syncBuffer
			opts := []riverengine.Option{riverengine.WithPollInterval(20 * time.Millisecond), riverengine.WithRescueAfter(400 * time.Millisecond),
				riverengine.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})))}
			var eng *riverengine.Engine
			if db == "postgres" {
				_, eng = newPostgresEngine(t, needPostgres(t), opts...)
			} else {
				_, eng = newSQLiteEngine(t, opts...)
			}
			rc := newReceiver(t, time.Minute, nil) // answers no attempt in time
			opened := make(chan struct{}, 1)
			d, err := webhook.New(dispatcherOptions(eng,
				webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 3, InitialInterval: webhook.Duration(10 * time.Millisecond)}),
				webhook.WithBreaker(webhook.BreakerSettings{Threshold: 3, Cooldown: time.Millisecond}),
				webhook.WithBreakerHook(func(_ string, _, to webhook.BreakerState) {
					if to == webhook.BreakerOpen {
						select {
						case opened <- struct{}{}:
						default:
						}
					}
				}))...)
			require.NoError(t, err)
			closeDispatcher(t, d)
			slow := hook("slow", rc.URL)
			slow.TimeoutInSec = 5
			_, err = d.Add(slow)
			require.NoError(t, err)
			ctx := context.Background()
			_, err = d.Publish(ctx, newEvent(t, 1))
			require.NoError(t, err)

			// The dead letter is kept before the last attempt's record.
			eventually(t, 30*time.Second, "the delivery dead-lettered once its attempts are spent, and recorded", func() bool {
				dls, err := eng.Store().DeadLetters(ctx, "slow", 0)
				require.NoError(t, err)
				invs, err := eng.Store().Invocations(ctx, "slow", 0)
				require.NoError(t, err)
				return len(dls) == 1 && len(invs) == 3
			})
			select {
			case <-opened:
			default:
				t.Fatal("the breaker did not hear the timed-out attempts")
			}
			invs, err := eng.Store().Invocations(ctx, "slow", 0)
			require.NoError(t, err)
			attempts := map[int]webhook.Outcome{}
			for _, inv := range invs {
				require.NotContains(t, inv.Reason, "counts for nothing", "attempt %d", inv.Attempt)
				require.Contains(t, inv.Reason, "the engine's bound on a run came before the", "attempt %d: %s", inv.Attempt, inv.Reason)
				attempts[inv.Attempt] = inv.Outcome
			}
			require.Equal(t, map[int]webhook.Outcome{1: webhook.Retrying, 2: webhook.Retrying, 3: webhook.Failed}, attempts)
			require.Contains(t, logs.String(), "rescue_after=400ms")
		})
	}
}

// A delivery whose runs keep ending without a result (here River's
// rescuer ended five, as when the instance running it stops each time,
// on a payload that crashes it, say) is not run for ever: it becomes a
// dead letter saying why, with no request sent. One rescued fewer times
// is delivered, and so is one rescued as often over its life but with an
// attempt made between (a failed one, retried): the bound is on runs
// without a result in a row, so that a delivery retried for days is not
// dead-lettered for the instances that happened to stop during it.
func TestRunsRescuedTooOftenEndAsDeadLetter(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t, filepath.Join(t.TempDir(), "outhook.db"))
	require.NoError(t, riverengine.MigrateSQLite(ctx, db))
	pub, err := riverengine.NewSQLite(ctx, db, riverengine.WithPublishOnly())
	require.NoError(t, err)
	require.NoError(t, pub.Start(idleRunner{}))
	// R: a run River's rescuer ended; F: an attempt that failed, retried.
	for i, runs := range []string{"RRRRR", "RRRR", "RFRRRR"} {
		id := fmt.Sprint("d-", i)
		require.NoError(t, pub.Enqueue(ctx, nil, []*engine.Delivery{{ID: id, WebhookID: "hook", Event: newEvent(t, i), Created: time.Now()}}))
		var errs []string
		for n, run := range runs {
			text := "Stuck job rescued by JobRescuer"
			if run == 'F' {
				text = fmt.Sprintf("riverengine: attempt %d failed; the next one is due in 10ms (see the invocation record)", n+1)
			}
			errs = append(errs, fmt.Sprintf(`{"at":"2026-01-01T00:00:00Z","attempt":%d,"error":%q,"trace":""}`, n+1, text))
		}
		_, err = db.ExecContext(ctx, `UPDATE river_job SET attempt = ?, errors = jsonb(?), state = 'retryable'
			WHERE json_extract(args, '$.delivery_id') = ?`, len(runs), "["+strings.Join(errs, ",")+"]", id)
		require.NoError(t, err)
	}
	require.NoError(t, pub.Close(ctx))

	eng, err := riverengine.NewSQLite(ctx, db, riverengine.WithPollInterval(20*time.Millisecond))
	require.NoError(t, err)
	rc := newReceiver(t, 0, nil)
	d, err := webhook.New(dispatcherOptions(eng,
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 10, InitialInterval: webhook.Duration(10 * time.Millisecond)}))...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	_, err = d.Add(hook("hook", rc.URL))
	require.NoError(t, err)

	eventually(t, 20*time.Second, "one dead letter and two deliveries", func() bool {
		dls, err := eng.Store().DeadLetters(ctx, "hook", 0)
		require.NoError(t, err)
		return len(dls) >= 1 && len(rc.snapshot()["hook e-1"]) == 1 && len(rc.snapshot()["hook e-2"]) == 1
	})
	dls, err := eng.Store().DeadLetters(ctx, "hook", 0)
	require.NoError(t, err)
	require.Len(t, dls, 1)
	require.Equal(t, "d-0", dls[0].DeliveryID)
	require.Contains(t, dls[0].Reason, riverengine.ErrRunsUnfinished.Error())
	require.Empty(t, rc.snapshot()["hook e-0"], "no request for the dead-lettered delivery")
}

// Closes that cut a delivery's attempt in flight (deploys, say) leave
// no trace among its job's errors, which River keeps for runs that ended
// without a result: however many there are, the delivery is not taken
// for one that keeps stopping its instance, and it is delivered once an
// instance lets its attempt finish.
func TestClosesCuttingAnAttemptDoNotMakeADeadLetter(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t, filepath.Join(t.TempDir(), "outhook.db"))
	require.NoError(t, riverengine.MigrateSQLite(ctx, db))
	var arrived atomic.Int32
	var answer atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		arrived.Add(1)
		if !answer.Load() {
			<-r.Context().Done() // until the attempt is cut
		}
	}))
	t.Cleanup(srv.Close)

	const cuts = 6
	for round := range cuts + 1 {
		eng, err := riverengine.NewSQLite(ctx, db, riverengine.WithPollInterval(20*time.Millisecond))
		require.NoError(t, err)
		d, err := webhook.New(dispatcherOptions(eng)...)
		require.NoError(t, err)
		_, err = d.Add(hook("hook", srv.URL))
		require.NoError(t, err)
		if round == 0 {
			_, err = d.Publish(ctx, newEvent(t, 1))
			require.NoError(t, err)
		}
		if round == cuts {
			answer.Store(true)
			eventually(t, 10*time.Second, "the delivery", func() bool {
				invs, err := eng.Store().Invocations(ctx, "hook", 0)
				require.NoError(t, err)
				return slices.ContainsFunc(invs, func(inv webhook.Invocation) bool { return inv.Outcome == webhook.Delivered })
			})
			require.NoError(t, d.Close(ctx))
			break
		}
		want := int32(round + 1)
		eventually(t, 10*time.Second, "the attempt in flight", func() bool { return arrived.Load() == want })
		cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		_ = d.Close(cctx) // past cctx, a hard stop: the attempt is cut
		cancel()
	}
	require.Equal(t, int32(cuts+1), arrived.Load())
	var errs sql.NullString
	require.NoError(t, db.QueryRowContext(ctx, "SELECT json(errors) FROM river_job").Scan(&errs))
	require.True(t, !errs.Valid || errs.String == "[]", "job errors: %s", errs.String)
	eng, err := riverengine.NewSQLite(ctx, db)
	require.NoError(t, err)
	dls, err := eng.Store().DeadLetters(ctx, "hook", 0)
	require.NoError(t, err)
	require.Empty(t, dls)
}
