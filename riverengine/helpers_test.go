package riverengine_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"modernc.org/sqlite"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/riverengine"
	"github.com/outhook/outhook/webhook"
)

// testEvent is the event type of these tests.
const testEvent event.Trigger = "test.event"

// event returns test event n; its event_id is "e-<n>".
func newEvent(t testing.TB, n int) *event.Event {
	e, err := event.Parse(fmt.Appendf(nil, `{"event_type":"test.event","event_time":1773134100.%09d,"event_id":"e-%d","data":{"n":%d}}`, n, n, n))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// hook is a webhook of the tests: ID and name id, posting to the
// receiver's /id, no body template (so the event's JSON is the body).
func hook(id, receiverURL string) webhook.Webhook {
	return webhook.Webhook{ID: id, Name: id, Active: true, URL: receiverURL + "/" + id, Triggers: []event.Trigger{testEvent}}
}

// addOrdered adds to d the webhook "ordered", ordered by data.key,
// posting to the receiver's /ordered.
func addOrdered(t testing.TB, d *webhook.Dispatcher, receiverURL string) {
	t.Helper()
	ordered := hook("ordered", receiverURL)
	ordered.Delivery = &webhook.DeliverySettings{OrderingKey: "data.key"}
	_, err := d.Add(ordered)
	require.NoError(t, err)
}

// dispatcherOptions wires eng and its store into a Dispatcher that may
// post to loopback receivers.
func dispatcherOptions(eng *riverengine.Engine, more ...webhook.Option) []webhook.Option {
	return append([]webhook.Option{
		webhook.WithEngine(eng), webhook.WithInvocationStore(eng.Store()),
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithEventType(testEvent, nil),
	}, more...)
}

// receiver is a loopback endpoint that remembers, for every (webhook,
// event) pair, the webhook-id headers it got.
type receiver struct {
	*httptest.Server
	delay  time.Duration
	answer func(hook, eventID string, n int) int // status of the n-th request of a pair (1-based); nil: 200

	mu          sync.Mutex
	got         map[string][]string // "hook event" -> webhook-id of each request
	served      []served            // every answered request, in the order answered
	requests    int
	inFlight    int
	maxInFlight int
}

// served is one request the receiver answered.
type served struct {
	hook, eventID string
	status        int
	start, end    time.Time
}

func newReceiver(t testing.TB, delay time.Duration, answer func(hook, eventID string, n int) int) *receiver {
	r := &receiver{delay: delay, answer: answer, got: map[string][]string{}}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var ev struct {
		EventID string `json:"event_id"`
	}
	_ = json.Unmarshal(body, &ev)
	hook := strings.TrimPrefix(req.URL.Path, "/")
	key := hook + " " + ev.EventID
	start := time.Now()
	r.mu.Lock()
	r.inFlight++
	r.maxInFlight = max(r.maxInFlight, r.inFlight)
	r.mu.Unlock()
	if r.delay > 0 {
		select {
		case <-time.After(r.delay):
		case <-req.Context().Done():
			// The sender is gone (killed, say): this request got no
			// answer, so it does not count as received.
			r.mu.Lock()
			r.inFlight--
			r.mu.Unlock()
			return
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight--
	r.requests++
	r.got[key] = append(r.got[key], req.Header.Get("webhook-id"))
	status := http.StatusOK
	if r.answer != nil {
		status = r.answer(hook, ev.EventID, len(r.got[key]))
	}
	r.served = append(r.served, served{hook: hook, eventID: ev.EventID, status: status, start: start, end: time.Now()})
	w.WriteHeader(status)
}

// pairs reports how many distinct pairs arrived, and the total requests.
func (r *receiver) pairs() (distinct, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got), r.requests
}

// answered returns the requests answered so far, in the order answered.
func (r *receiver) answered() []served {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.served)
}

// peakInFlight reports the most requests the receiver held at once.
func (r *receiver) peakInFlight() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.maxInFlight
}

func (r *receiver) snapshot() map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string][]string, len(r.got))
	for k, v := range r.got {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// newPostgresEngine returns a migrated database's pool and an engine on it.
func newPostgresEngine(t testing.TB, url string, opts ...riverengine.Option) (*pgxpool.Pool, *riverengine.Engine) {
	t.Helper()
	pool := newPool(t, url)
	require.NoError(t, riverengine.Migrate(context.Background(), pool))
	eng, err := riverengine.New(context.Background(), pool, opts...)
	require.NoError(t, err)
	return pool, eng
}

// openSQLite opens (creating) the SQLite database at path.
func openSQLite(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := openSQLiteDB(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// openSQLiteDB opens the SQLite database at path as the README says: its
// connections keep their statements (riverengine.ReuseStatements).
func openSQLiteDB(path string) (*sql.DB, error) {
	c, err := sqlite.NewConnector(sqliteDSN(path))
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(riverengine.ReuseStatements(c)), nil
}

func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
}

// newSQLiteEngine returns a migrated SQLite database in a temporary
// directory and an engine on it.
func newSQLiteEngine(t testing.TB, opts ...riverengine.Option) (*sql.DB, *riverengine.Engine) {
	t.Helper()
	db := openSQLite(t, filepath.Join(t.TempDir(), "outhook.db"))
	require.NoError(t, riverengine.MigrateSQLite(context.Background(), db))
	eng, err := riverengine.NewSQLite(context.Background(), db, opts...)
	require.NoError(t, err)
	return db, eng
}

// closeDispatcher closes d at the end of the test, before the pools.
func closeDispatcher(t testing.TB, d *webhook.Dispatcher) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		require.NoError(t, d.Close(ctx))
	})
}
