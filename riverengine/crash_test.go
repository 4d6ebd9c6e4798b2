package riverengine_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// The crash test's child process: the test binary run again with these
// variables set publishes, delivers, and is killed.
const (
	crashChildEnv    = "OUTHOOK_CRASH_CHILD" // "postgres" or "sqlite"
	crashDBEnv       = "OUTHOOK_CRASH_DB"    // the database URL or file
	crashReceiverEnv = "OUTHOOK_CRASH_RECEIVER"
	crashOrderedEnv  = "OUTHOOK_CRASH_ORDERED" // set: the hooks order by data.key
	crashEvents      = 1000
	// With ordering keys, crashOrderedEvents events over crashKeys keys.
	crashOrderedEvents, crashKeys = 60, 10
)

// crashHook is crash hook id, ordered by data.key when ordered.
func crashHook(id, receiverURL string, ordered bool) webhook.Webhook {
	w := hook(id, receiverURL)
	if ordered {
		w.Delivery = &webhook.DeliverySettings{OrderingKey: "data.key"}
	}
	return w
}

var crashHooks = []string{"hooka", "hookb"}

// crashChild publishes crashEvents events to both crash hooks, starts
// delivering, says so on standard output, and delivers until it is killed.
func crashChild(mode string) int {
	ctx := context.Background()
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		return 1
	}
	ordered, events := os.Getenv(crashOrderedEnv) != "", crashEvents
	if ordered {
		events = crashOrderedEvents
	}
	// Publish everything first, with a publish-only engine, then deliver:
	// on SQLite's single connection, workers would slow publishing down.
	var newEngine func(opts ...riverengine.Option) (*riverengine.Engine, error)
	switch mode {
	case "postgres":
		pool, err := pgxpool.New(ctx, os.Getenv(crashDBEnv))
		if err != nil {
			return fail(err)
		}
		newEngine = func(opts ...riverengine.Option) (*riverengine.Engine, error) {
			return riverengine.New(ctx, pool, opts...)
		}
	case "sqlite":
		db, err := openSQLiteDB(os.Getenv(crashDBEnv))
		if err != nil {
			return fail(err)
		}
		newEngine = func(opts ...riverengine.Option) (*riverengine.Engine, error) {
			return riverengine.NewSQLite(ctx, db, append(opts, riverengine.WithPollInterval(50*time.Millisecond))...)
		}
	default:
		return fail(fmt.Errorf("unknown mode %q", mode))
	}
	dispatcher := func(opts ...riverengine.Option) (*webhook.Dispatcher, error) {
		eng, err := newEngine(opts...)
		if err != nil {
			return nil, err
		}
		d, err := webhook.New(dispatcherOptions(eng)...)
		if err != nil {
			return nil, err
		}
		for _, id := range crashHooks {
			if _, err := d.Add(crashHook(id, os.Getenv(crashReceiverEnv), ordered)); err != nil {
				return nil, err
			}
		}
		return d, nil
	}
	pub, err := dispatcher(riverengine.WithPublishOnly())
	if err != nil {
		return fail(err)
	}
	for i := range events {
		e, err := event.Parse(fmt.Appendf(nil, `{"event_type":"test.event","event_time":1773134100.%09d,"event_id":"e-%d","data":{"n":%d,"key":"k%d"}}`, i, i, i, i%crashKeys))
		if err != nil {
			return fail(err)
		}
		if _, err := pub.Publish(ctx, e); err != nil {
			return fail(err)
		}
	}
	if err := pub.Close(ctx); err != nil {
		return fail(err)
	}
	if _, err := dispatcher(riverengine.WithWorkers(16)); err != nil {
		return fail(err)
	}
	fmt.Println("published")
	select {} // deliver until killed
}

func TestCrashPostgres(t *testing.T) {
	url := needPostgres(t)
	pool := newPool(t, url)
	require.NoError(t, riverengine.Migrate(context.Background(), pool))
	runCrash(t, "postgres", url, false, func() *riverengine.Engine {
		eng, err := riverengine.New(context.Background(), pool, riverengine.WithRescueAfter(2*time.Second))
		require.NoError(t, err)
		return eng
	})
}

// A process killed while delivering ordered deliveries leaves their keys
// in order: the attempts it had in flight hold their keys until rescued,
// then go again, before the rest of their keys, one at a time.
func TestCrashPostgresOrdered(t *testing.T) {
	url := needPostgres(t)
	pool := newPool(t, url)
	require.NoError(t, riverengine.Migrate(context.Background(), pool))
	rc := runCrash(t, "postgres", url, true, func() *riverengine.Engine {
		eng, err := riverengine.New(context.Background(), pool, riverengine.WithRescueAfter(2*time.Second),
			riverengine.WithPollInterval(50*time.Millisecond))
		require.NoError(t, err)
		return eng
	})
	last := map[string]served{} // by hook and key
	for _, req := range rc.answered() {
		line := req.hook + " k" + strconv.Itoa(num(req.eventID)%crashKeys)
		if prev, ok := last[line]; ok {
			require.False(t, req.start.Before(prev.end), "%s: %s overlapped %s", line, req.eventID, prev.eventID)
			require.GreaterOrEqual(t, num(req.eventID), num(prev.eventID), "%s: %s came after %s", line, req.eventID, prev.eventID)
		}
		last[line] = req
	}
	var rescued int
	require.NoError(t, pool.QueryRow(context.Background(), "SELECT count(*) FROM river_job WHERE attempt > 1").Scan(&rescued))
	require.Positive(t, rescued, "the child was killed with attempts in flight, whose jobs were rescued")
}

func TestCrashSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outhook.db")
	db := openSQLite(t, path)
	require.NoError(t, riverengine.MigrateSQLite(context.Background(), db))
	require.NoError(t, db.Close()) // the child has the database to itself
	runCrash(t, "sqlite", path, false, func() *riverengine.Engine {
		db := openSQLite(t, path)
		eng, err := riverengine.NewSQLite(context.Background(), db,
			riverengine.WithRescueAfter(2*time.Second), riverengine.WithPollInterval(50*time.Millisecond))
		require.NoError(t, err)
		return eng
	})
}

// runCrash runs the crash test: a child process publishes crashEvents
// events to two webhooks of a slow receiver and is killed with SIGKILL
// while delivering; then a new engine on the same database, in this
// process, delivers the rest. Every (webhook, event) pair must arrive at
// least once, and the duplicates of a pair carry its webhook-id.
func runCrash(t *testing.T, mode, db string, ordered bool, restart func() *riverengine.Engine) *receiver {
	want := crashEvents * len(crashHooks)
	rc := newReceiver(t, 30*time.Millisecond, nil)

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+mode, crashDBEnv+"="+db, crashReceiverEnv+"="+rc.URL)
	if ordered {
		want = crashOrderedEvents * len(crashHooks)
		cmd.Env = append(cmd.Env, crashOrderedEnv+"=1")
	}
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, cmd.Start())
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case s := <-line:
		require.Equal(t, "published", s, "the child failed to publish")
	case <-time.After(2 * time.Minute):
		t.Fatal("the child did not publish within 2 minutes")
	}
	published := time.Since(start)
	eventually(t, time.Minute, "the child to deliver 15% of the pairs", func() bool {
		_, total := rc.pairs()
		return total >= want*15/100
	})
	require.NoError(t, cmd.Process.Kill()) // SIGKILL: no shutdown of any kind
	_ = cmd.Wait()
	killed = true
	pairsBefore, requestsBefore := rc.pairs()
	require.Less(t, pairsBefore, want, "the child delivered everything before it was killed")

	restarted := time.Now()
	eng := restart()
	d, err := webhook.New(dispatcherOptions(eng)...)
	require.NoError(t, err)
	closeDispatcher(t, d)
	for _, id := range crashHooks {
		_, err := d.Add(crashHook(id, rc.URL, ordered))
		require.NoError(t, err)
	}
	eventually(t, 3*time.Minute, "every pair to arrive", func() bool {
		distinct, _ := rc.pairs()
		return distinct == want
	})
	recovery := time.Since(restarted)

	got := rc.snapshot()
	owner := map[string]string{} // webhook-id -> pair
	duplicates := 0
	for pair, ids := range got {
		for _, id := range ids {
			require.NotEmpty(t, id, pair)
			require.Equal(t, ids[0], id, "the duplicates of %s carry different webhook-ids", pair)
		}
		duplicates += len(ids) - 1
		if other, ok := owner[ids[0]]; ok {
			t.Fatalf("pairs %s and %s share webhook-id %s", pair, other, ids[0])
		}
		owner[ids[0]] = pair
	}
	require.Len(t, got, want)
	t.Logf("%s: %d pairs published in %s; child killed after %d requests (%d pairs); the new process delivered the rest in %s; %d duplicates, each with its pair's webhook-id",
		mode, want, published.Round(time.Millisecond), requestsBefore, pairsBefore, recovery.Round(time.Millisecond), duplicates)
	return rc
}
