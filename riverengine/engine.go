package riverengine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// Defaults of an Engine, each changed by the option named after it.
const (
	// DefaultWorkers is how many deliveries an instance runs at once.
	DefaultWorkers = 100
	// DefaultQueue is the River queue the engine's jobs go to.
	DefaultQueue = "outhook"
	// DefaultRescueAfter is how long a delivery may be running before River
	// takes its instance for dead and runs it again elsewhere. It must
	// exceed the longest attempt: webhook.MaxTimeout and the time to record
	// the invocation.
	DefaultRescueAfter = 15 * time.Minute
	// DefaultFetchCooldown is the shortest time between two fetches of
	// jobs by one instance. River also notifies at most one insert per
	// cooldown, and the engine the others one cooldown later, so it bounds
	// how long a delivery published at a steady rate waits to be fetched.
	// Each fetch is a query: a shorter cooldown fetches smaller batches
	// more often under load. River's own default, 100ms, would cap an
	// instance at 1,000 jobs a second with DefaultWorkers.
	DefaultFetchCooldown = 2 * time.Millisecond
	// DefaultPollInterval is how often an instance on PostgreSQL looks for
	// due jobs without being told of new ones: PostgreSQL notifies on
	// insert, and the engine when the deliveries it snoozed come due.
	DefaultPollInterval = time.Second
	// DefaultSQLitePollInterval is DefaultPollInterval on SQLite, which is
	// never told: deliveries snoozed over their webhook's concurrency, or
	// inserted by another process, wait for the poll. A poll that finds
	// nothing is one short statement.
	DefaultSQLitePollInterval = 100 * time.Millisecond
)

// JobKind is the kind of the River jobs the engine inserts, one per
// delivery, as River's UI and queries show them.
const JobKind = "outhook_delivery"

// maxRiverAttempts is River's attempt limit for a delivery job: the largest
// its smallint column holds. The webhook's retry policy ends deliveries long
// before; River must never discard one on its own.
const maxRiverAttempts = 32767

// Option configures an Engine. Options are sealed: only this package makes
// them. A nil Option is ignored.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	workers       int
	queue         string
	rescueAfter   time.Duration
	fetchCooldown time.Duration
	pollInterval  time.Duration
	publishOnly   bool
	logger        *slog.Logger
	retention     *webhook.Retention
}

func newConfig(opts []Option) config {
	c := config{
		workers:       DefaultWorkers,
		queue:         DefaultQueue,
		rescueAfter:   DefaultRescueAfter,
		fetchCooldown: DefaultFetchCooldown,
		logger:        slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

// WithWorkers sets how many deliveries this instance runs at once. Default
// DefaultWorkers.
func WithWorkers(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.workers = n
		}
	})
}

// WithQueue puts the engine's jobs in the River queue name, so that
// services with different webhooks can share a database: an instance only
// works (and Erase and WakeHeld only touch) its own queue. Only the jobs
// are apart: invocation records, dead letters, erasures, summaries and
// the DefinitionStore's definitions live in tables every engine on the
// database shares, whatever its queue, so a service sees another's of the
// same tenant id, retention and erasure delete them, and a Dispatcher
// following the DefinitionStore delivers the other's webhooks. Services
// that must stay apart each take a schema (search_path) or a database of
// their own. Default DefaultQueue.
func WithQueue(name string) Option {
	return optionFunc(func(c *config) {
		if name != "" {
			c.queue = name
		}
	})
}

// WithRescueAfter sets how long a delivery may be running before River
// takes its instance for dead and makes it available again, so that
// another instance delivers it (the receiver may then get it twice, with
// the same webhook-id). It should exceed the longest webhook timeout: an
// attempt still running a quarter of it (at most 5 s) before it ends there
// and counts as timed out, recorded and retried by the retry policy, its
// breaker told, as one past its own timeout would (the engine logs a
// warning through WithLogger's logger at each). A delivery whose runs end
// without a result five times in a row, no attempt made between (River
// rescued it from an instance that stopped, or a run outlasted even that
// margin) becomes a dead letter (ErrRunsUnfinished). Default
// DefaultRescueAfter.
func WithRescueAfter(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.rescueAfter = d
		}
	})
}

// WithFetchCooldown sets the shortest time between two fetches of jobs by
// this instance. Default DefaultFetchCooldown.
func WithFetchCooldown(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.fetchCooldown = d
		}
	})
}

// WithPollInterval sets how often this instance looks for due jobs (retries
// coming due, and on SQLite new jobs and deliveries snoozed over their
// webhook's concurrency coming due). Default DefaultPollInterval, and
// DefaultSQLitePollInterval on SQLite, or the fetch cooldown when longer.
func WithPollInterval(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.pollInterval = d
		}
	})
}

// WithPublishOnly makes an instance that queues deliveries and runs none:
// a web front end, say, whose events other instances deliver. On
// PostgreSQL it tells the working instances of the inserts River did not
// notify, as a working instance does (see DefaultFetchCooldown), from a
// goroutine that Start starts and Close stops.
func WithPublishOnly() Option {
	return optionFunc(func(c *config) { c.publishOnly = true })
}

// WithLogger passes l to River, and has the engine log its own warnings
// there: a PostgreSQL pool smaller than PoolConns at New, and every 30 s
// in which deliveries waited for its connections. By default the engine
// logs nothing.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) {
		if l != nil {
			c.logger = l
		}
	})
}

// Engine is a durable engine.Engine on River: each delivery is a River
// job in the database, so deliveries survive restarts and crashes, retries
// may wait longer than a process lives, and every instance of a service on
// the same database shares the work. Hand it to webhook.New with
// webhook.WithEngine; its Store comes with it (see InvocationStore).
//
// A job carries the delivery's id, webhook id, creation time, event and
// trace context (so that each run's span joins the publisher's trace); on
// PostgreSQL, the jobs of a Publish that fans out to several webhooks
// refer instead to one row of outhook_event that keeps the event once
// (see Enqueue);
// whichever instance runs it finds the webhook by id in its own
// Dispatcher. Instances that follow one definition store (DefinitionStore,
// given with webhook.WithDefinitionStore) share their webhooks; others
// must each register the same webhooks under the same IDs (set
// Webhook.ID). A job whose webhook an instance has not loaded yet, or
// only at a version older than the job's, waits for it, snoozed and
// counting no attempt, for webhook.WithUnknownWebhookGrace, then becomes a
// dead letter saying so; one whose webhook was removed ends Skipped,
// retries included, and so does one whose webhook was removed and added
// again under its id since. An instance following a DefinitionStore reads
// the removals from it, those made before it started included, and
// remembers the last 4096; one whose webhooks live in its memory knows
// only the removals made through it since it started, and takes the
// webhook of an older one for one not loaded yet. The body, and a
// templated URL and header values, are rendered on each instance that
// attempts the delivery, from the definition it has. A retry keeps the
// definition, and the body, of its delivery's first attempt (as with the
// in-memory engine) only when the instance that made that attempt runs it
// and still holds the delivery; a retry that another instance fetches, or
// that runs after a restart, goes by the definition in effect then.
//
// Retries follow the webhook's retry policy: an attempt that failed is a
// River job error, scheduled when the policy says; a delivery held back by
// its rate limit or an open circuit breaker is snoozed, which River counts
// as no attempt.
//
// The webhook's delivery settings, as the job carries them from Publish:
//
//   - Concurrency bounds the webhook's attempts in flight on each
//     instance; with several instances its endpoint may see that many
//     from each. An attempt gives its slot back when its exchange with
//     the receiver ends, before its invocation record is written. A delivery over the limit counts no attempt. It waits
//     for a slot in the webhook's line, holding its worker, when one
//     should free within 50 ms (going by the webhook's recent attempts on
//     this instance, remembered for 10 minutes after its last while the
//     instance knows at most 4,096 webhooks, and the line ahead of it) and fewer than the limit wait already, or fewer
//     than half the instance's workers (WithWorkers) wait in all lines,
//     for at most 100 ms; otherwise, or then, it is snoozed, holding no
//     worker, until about when a slot should free. So a webhook holds at
//     most its limit of an instance's workers in attempts, and in short
//     waits its limit more and the half that all lines share (besides
//     those writing the records of attempts that have ended), and a
//     stalled endpoint, whose oldest attempt in flight soon shows it,
//     holds its limit and the other webhooks keep the rest. On PostgreSQL the engine
//     notifies its queue when such a snooze (and one for the rate limit,
//     a breaker or an ordering key) of under 5 s comes due, so that it is
//     fetched then and not at the next poll; on SQLite it waits for the
//     poll (WithPollInterval, every 100 ms by default there).
//     The bound is per instance because what it guards, the workers, are;
//     a bound across instances would take a lease in the database around
//     every attempt, two more commits per delivery, and a crashed
//     instance's leases would hold the webhook's slots until they expired.
//     A delivery snoozed costs a fetch and a snooze: under a backlog
//     larger than the lines hold, up to about one per delivery (on SQLite,
//     which writes them one at a time, that more than doubles a backlog's
//     writes); a webhook that carries most of the traffic runs faster with
//     a concurrency near WithWorkers.
//   - OrderingKey holds across instances: deliveries to the webhook with
//     the same key go one at a time, in the order they were published
//     (for concurrent PublishTx transactions, see below). One waits,
//     snoozed, while the one before it is retried, and goes once that one
//     has ended, delivered or dead-lettered. It looks again every 200ms
//     while the one before it runs, or when that one is next due, and
//     starts at the next fetch of jobs (see WithPollInterval). Publishing
//     takes no lock, whatever the order of the keys: the order is decided
//     when the key's jobs are fetched. On PostgreSQL a delivery committed
//     after one of its key was first fetched goes after it, and those
//     committed between two such fetches go in publish (job id) order,
//     whatever the order of their commits; on SQLite, whose single writer
//     numbers jobs in commit order, by job id.
//     A job ended with River's own tools (cancelled or deleted) holds no
//     one up; its row in outhook_ordering goes at the sweep each working
//     instance makes at start and every 10 minutes. On PostgreSQL, a job
//     River's tools run again (retried after it completed, to resend it)
//     goes to the back of its key's line; on SQLite it goes at once. A
//     dead letter redelivered goes to the back of its key's line, as one
//     published then would.
//   - RateLimit, like the circuit breaker, holds on each instance: each
//     Dispatcher keeps its own limiter, so an endpoint may get the limit
//     from every instance working. For an endpoint's published limit,
//     give each instance its share. A delivery one instance's limiter
//     holds is snoozed, and whichever instance fetches it next goes by
//     its own limiter.
//   - QueueSize does not apply, nor does the Dispatcher's queue policy:
//     Enqueue neither blocks nor fails with a *webhook.QueueFullError. The
//     in-memory bound keeps memory and a publisher's lead in check; here
//     the backlog is rows on disk, which is what a durable queue is for.
//     Rejecting would not even save the space, as the rejected delivery
//     becomes a dead letter in the same database; blocking would hold the
//     caller's PublishTx transaction open on workers that may run
//     elsewhere; and a count shared by the instances would be a row per
//     webhook written by every publish and every completion, serializing
//     the webhook's publishers, and within PublishTx the callers'
//     transactions. Watch the backlog in River's river_job table instead.
type Engine struct {
	cfg    config
	db     any // *pgxpool.Pool or *sql.DB, to match transactions to
	queue  queue
	store  *Store
	worker *worker
	// flights tracks the runs and snoozes of this instance's jobs for
	// WakeHeld.
	flights *flights

	mu      sync.Mutex
	runner  engine.Runner
	started bool
	closed  bool
	// enqueuing counts the Enqueue calls past their check of closed, which
	// Close waits for.
	enqueuing sync.WaitGroup
	// stopLoops stops the engine's goroutines (the sweep of ordering rows,
	// retention, the pool's watch, the waker); swept is closed once the
	// sweep has stopped, nil on a publish-only instance.
	stopLoops context.CancelFunc
	swept     chan struct{}
	// retained is closed once the retention loop has stopped; nil when
	// there is none.
	retained chan struct{}
	// watched is closed once the pool's watch has stopped; nil when there
	// is none (SQLite). poolCheck replaces poolCheckEvery in tests.
	watched   chan struct{}
	poolCheck time.Duration
	// waker has the queue notified when deliveries snoozed here come due
	// and after inserts River did not notify, on publish-only instances
	// too; nil on SQLite, where River's listener polls its notifications.
	// woken is closed once its loop has stopped.
	waker *waker
	woken chan struct{}
}

var (
	_ engine.Engine    = (*Engine)(nil)
	_ webhook.TxEngine = (*Engine)(nil)
)

// New returns an engine on a PostgreSQL database that Migrate has brought
// up to date; it fails with an error wrapping ErrNotMigrated otherwise.
// The engine does not own pool: close the pool after the Dispatcher.
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Engine, error) {
	if err := checkPostgres(ctx, pool); err != nil {
		return nil, err
	}
	e, w, rc := newEngine(pool, NewStore(pool), opts)
	if want := PoolConns(e.cfg.workers); !e.cfg.publishOnly && pool.Config().MaxConns < want {
		e.cfg.logger.WarnContext(ctx, "riverengine: the connection pool is smaller than the engine needs: deliveries will wait for connections",
			"max_conns", pool.Config().MaxConns, "recommended", want, "workers", e.cfg.workers)
	}
	client, err := river.NewClient(riverpgxv5.New(pool), rc)
	if err != nil {
		return nil, fmt.Errorf("riverengine: %w", err)
	}
	e.queue, e.worker = &pgQueue{riverClient: riverClient[pgx.Tx]{client}, pool: pool}, w
	// A publish-only instance needs one too: its inserts' notifications are
	// the only ones the working instances get of them.
	e.waker = newPGWaker(pool, e.cfg.queue, e.cfg.fetchCooldown)
	return e, nil
}

// NewSQLite returns an engine on a SQLite database that MigrateSQLite has
// brought up to date: durable delivery for a single-node service without a
// database server. Open db with a pure-Go driver such as
// modernc.org/sqlite, in WAL mode with a busy timeout, through
// ReuseStatements, without which SQLite parses every statement at each
// call:
//
//	c, err := sqlite.NewConnector("file:outhook.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
//	db := sql.OpenDB(riverengine.ReuseStatements(c))
//
// NewSQLite limits db to one open connection, as River's SQLite driver
// requires; the engine does not own db.
func NewSQLite(ctx context.Context, db *sql.DB, opts ...Option) (*Engine, error) {
	db.SetMaxOpenConns(1)
	if err := checkSQLite(ctx, db); err != nil {
		return nil, err
	}
	e, w, rc := newEngine(db, NewSQLiteStore(db), opts)
	client, err := river.NewClient(riversqlite.New(db), rc)
	if err != nil {
		return nil, fmt.Errorf("riverengine: %w", err)
	}
	q, err := newSQLiteQueue(ctx, db, client, e.cfg.queue, e.cfg.fetchCooldown)
	if err != nil {
		return nil, err
	}
	e.queue, e.worker = q, w
	return e, nil
}

func newEngine(db any, store *Store, opts []Option) (*Engine, *worker, *river.Config) {
	e := &Engine{cfg: newConfig(opts), db: db, store: store, flights: newFlights()}
	store.records.logger, store.deadLetters.logger = e.cfg.logger, e.cfg.logger
	if e.cfg.pollInterval == 0 {
		// River refuses a poll shorter than the cooldown.
		e.cfg.pollInterval = max(DefaultPollInterval, e.cfg.fetchCooldown)
		if _, ok := db.(*sql.DB); ok {
			e.cfg.pollInterval = max(DefaultSQLitePollInterval, e.cfg.fetchCooldown)
		}
	}
	w := newWorker(e)
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	rc := &river.Config{
		Workers:              workers,
		JobTimeout:           e.cfg.rescueAfter, // see worker.Timeout
		RescueStuckJobsAfter: e.cfg.rescueAfter,
		RetryPolicy:          retryAtOnce{},
		MaxAttempts:          maxRiverAttempts,
		FetchCooldown:        e.cfg.fetchCooldown,
		FetchPollInterval:    e.cfg.pollInterval,
		Logger:               e.cfg.logger,
	}
	if !e.cfg.publishOnly {
		rc.Queues = map[string]river.QueueConfig{e.cfg.queue: {MaxWorkers: e.cfg.workers}}
	}
	return e, w, rc
}

// retryAtOnce schedules the jobs River retries without the worker's say:
// those rescued from a dead instance. They run again at once.
type retryAtOnce struct{}

func (retryAtOnce) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }

// Store returns the InvocationStore on the engine's database.
func (e *Engine) Store() *Store { return e.store }

// Start hands the engine the Runner that makes attempts, and starts
// fetching and working jobs (unless WithPublishOnly). webhook.New calls it.
func (e *Engine) Start(r engine.Runner) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.closed:
		return engine.ErrClosed
	case e.started:
		return ErrStarted
	}
	e.runner = r
	ctx, cancel := context.WithCancel(context.Background())
	if !e.cfg.publishOnly {
		if err := e.queue.start(context.Background()); err != nil {
			cancel()
			return fmt.Errorf("riverengine: starting River: %w", err)
		}
		e.swept = make(chan struct{})
		go e.sweep(ctx)
		if e.cfg.retention != nil {
			e.retained = make(chan struct{})
			go e.retain(ctx, *e.cfg.retention)
		}
		if pool, ok := e.db.(*pgxpool.Pool); ok {
			e.watched = make(chan struct{})
			go e.watchPool(ctx, pool)
		}
	}
	if e.waker != nil {
		e.woken = make(chan struct{})
		go e.waker.run(ctx, e.woken, func(err error) {
			e.cfg.logger.WarnContext(ctx, "riverengine: notifying the queue of jobs to fetch", "error", err)
		})
	}
	e.stopLoops, e.started = cancel, true
	return nil
}

// Enqueue inserts the batch's jobs, and for each delivery with an
// ordering key its row in the key's line, in one transaction: on
// PostgreSQL in one statement (River's batch insert), a batch of several
// deliveries keeping its event once, in a row of outhook_event inserted
// first that the jobs refer to, rather than in every job; on SQLite with
// the engine's own statement, prepared once, writing the rows River's
// insert would. The transaction is tx, the caller's own (a pgx.Tx on
// PostgreSQL, a *sql.Tx on SQLite, of the engine's *sql.DB or of another
// handle on the same file, as given to webhook.Dispatcher.PublishTx), or
// else one shared with the batches of
// concurrent calls without a tx (group commit; on PostgreSQL their jobs
// in one statement). Such a call returns once its own jobs are committed
// or refused: a batch the database refuses fails alone, the others of its
// group are queued; on PostgreSQL a connection lost before the commit is
// replaced once and the group written again. It waits for a connection (on SQLite the one an
// adopter's transaction may hold; on PostgreSQL one of the pool, which
// the workers share) as long as its ctx allows; once its group is being
// written, the connection in hand, it waits for the commit (at most 5 s)
// whatever its ctx, so that an error hides no jobs queued but for a
// commit sent and never answered (ErrOutcomeUnknown). It
// takes no lock there: concurrent transactions publishing keys in any
// order neither wait for nor deadlock each other (the key's order is
// decided when its jobs are fetched; see Engine). Enqueue never blocks for room and never
// refuses a delivery for want of it (see Engine on queue bounds). A
// database error is an *EnqueueError, and none of the batch is queued
// unless it wraps ErrOutcomeUnknown; a
// transaction of another kind of database (a *sql.Tx on PostgreSQL, a
// pgx.Tx on SQLite) is refused with an error wrapping
// engine.ErrTxUnsupported and ErrWrongDatabase. Which database a
// transaction of the right kind is on is not checked: one on another
// database puts the jobs there, where this engine never runs them. After Close, and when
// Close comes before its group is taken, it returns engine.ErrClosed, and
// none of the batch is queued.
func (e *Engine) Enqueue(ctx context.Context, tx engine.Tx, batch []*engine.Delivery) error {
	e.mu.Lock()
	closed, started := e.closed, e.started
	if !closed && started {
		e.enqueuing.Add(1)
		defer e.enqueuing.Done()
	}
	e.mu.Unlock()
	switch {
	case closed:
		return engine.ErrClosed
	case !started:
		return ErrNotStarted
	}
	if tx != nil && !e.ownsTx(tx) {
		return fmt.Errorf("riverengine: %w: %w (%T)", engine.ErrTxUnsupported, ErrWrongDatabase, tx)
	}
	args := make([]deliveryArgs, len(batch))
	for i, d := range batch {
		args[i] = deliveryArgs{
			DeliveryID: d.ID, WebhookID: d.WebhookID, Event: string(d.Event.JSON()),
			Created: d.Created, Attempts: d.Attempts, Concurrency: d.Concurrency, QueueSize: d.QueueSize,
			OrderingKey: storedKey(d.OrderingKey), DefinitionVersion: d.DefinitionVersion, Trace: d.TraceContext,
		}
	}
	ev := sharedEvent(batch)
	began := time.Now()
	ref, err := e.queue.insert(ctx, tx, args, ev, &river.InsertOpts{Queue: e.cfg.queue, MaxAttempts: maxRiverAttempts})
	if errors.Is(err, engine.ErrClosed) {
		return err
	}
	if err != nil {
		ee := &EnqueueError{Deliveries: len(batch), Err: err}
		if len(batch) > 0 {
			ee.DeliveryID, ee.WebhookID = batch[0].ID, batch[0].WebhookID
		}
		return ee
	}
	// In the caller's transaction River's limiter counts the insert as
	// well; a job whose commit comes after the trailing notification
	// waits for a later one or the poll.
	e.waker.inserted(began, time.Now())
	if ref != 0 && !e.cfg.publishOnly {
		// This instance likely runs some of the batch: it need not read
		// the event back. A rolled-back tx leaves an entry no job refers to.
		e.worker.events.put(ref, ev)
	}
	return nil
}

// sharedEvent returns the event of every delivery of batch, or nil when
// they do not share one.
func sharedEvent(batch []*engine.Delivery) *event.Event {
	if len(batch) == 0 {
		return nil
	}
	ev := batch[0].Event
	for _, d := range batch[1:] {
		if d.Event != ev && !bytes.Equal(d.Event.JSON(), ev.JSON()) {
			return nil
		}
	}
	return ev
}

// storedKey is the form of an ordering key the database keeps: the key
// itself, unless it holds a NUL character, which PostgreSQL's text and
// jsonb refuse (and would refuse the whole batch with it). Such a key is
// kept as its SHA-256 behind a control character, a line of its own.
func storedKey(key string) string {
	if !strings.ContainsRune(key, 0) {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "\x01sha256:" + hex.EncodeToString(sum[:])
}

// ownsTx reports whether tx is a transaction of the engine's kind of
// database.
func (e *Engine) ownsTx(tx engine.Tx) bool {
	switch e.db.(type) {
	case *pgxpool.Pool:
		_, ok := tx.(pgx.Tx)
		return ok
	case *sql.DB:
		_, ok := tx.(*sql.Tx)
		return ok
	}
	return false
}

// InTx runs fn in a transaction of its own on the engine's database (a
// pgx.Tx on PostgreSQL, a *sql.Tx on SQLite), committed when fn returns
// nil and rolled back otherwise. Dispatcher.Redeliver takes a dead letter
// from the engine's Store and queues its delivery in one.
func (e *Engine) InTx(ctx context.Context, fn func(tx engine.Tx) error) error {
	switch db := e.db.(type) {
	case *pgxpool.Pool:
		return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error { return fn(tx) })
	case *sql.DB:
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	return engine.ErrTxUnsupported
}

// InvocationStore returns the engine's Store, so that webhook.WithEngine
// alone keeps records and dead letters in the engine's database.
func (e *Engine) InvocationStore() webhook.InvocationStore { return e.store }

// Stats counts the deliveries in the engine's queue, across instances:
// jobs waiting, running, snoozed or between retries. It is one count over
// river_job at each collection of the queue metrics, whose cost grows
// with the backlog.
func (e *Engine) Stats(ctx context.Context) (engine.Stats, error) {
	n, oldest, err := e.queue.stats(ctx, e.cfg.queue)
	if err != nil {
		return engine.Stats{}, fmt.Errorf("riverengine: queue stats: %w", err)
	}
	return engine.Stats{Depth: n, Oldest: oldest}, nil
}

// Close first stops queuing deliveries: an Enqueue whose group (see
// Enqueue) was not taken yet returns engine.ErrClosed, queuing nothing;
// Close waits, whatever ctx, for the group being written (at most 5 s)
// and for the Enqueue calls in a caller's transaction in flight, so that
// no job is written after it returns. Then it stops fetching jobs and
// waits for the attempts in flight to end, until ctx is done. Then it
// cancels those still running and returns ctx.Err(). A cancelled attempt
// is interrupted (engine.Interrupted): it counts for nothing, neither as a
// River attempt nor against the webhook's retry policy, its job stays in
// the database, available at once, and the delivery is neither failed
// nor a dead letter; its invocation record says it was interrupted. With
// the queued deliveries and pending retries, it waits for the other
// instances, or for this one's next start: Close abandons none. Later
// calls do nothing and return nil.
//
// Past ctx, Close waits for River's hard stop, without a deadline of its
// own: the cancelled attempts return at once; the Dispatcher has one
// second to record them; ending an ordered delivery's job has 5 s; and
// River retries writing the jobs' states for up to about 37 s when the
// database does not answer: about 45 s in all. Giving up earlier would
// leave River's goroutines running past Close and a job whose state was
// not written "running" until River rescues it (WithRescueAfter), to be
// delivered again. Last, invocation records and dead letters still being
// written (on SQLite, waiting for another connection's write lock) have
// until ctx ends, and at least 5 s; those left are given up, and the log
// says how many, so that no write outlives Close.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	started := e.started
	e.mu.Unlock()
	// Last, once the attempts have recorded what they could: no record
	// write outlives Close.
	defer func() {
		// Together: each waits until ctx ends, and 5 s at least.
		dead := make(chan int, 1)
		go func() { dead <- e.store.deadLetters.drain(ctx) }()
		if n := e.store.records.drain(ctx); n > 0 {
			e.cfg.logger.WarnContext(ctx, "riverengine: invocation records given up at Close, the database keeping them out",
				"records", n)
		}
		if n := <-dead; n > 0 {
			e.cfg.logger.ErrorContext(ctx, "riverengine: dead letters given up at Close, the database keeping them out: their deliveries are lost",
				"dead_letters", n)
		}
	}()
	// Intake first: no job is written after Close returns.
	e.queue.stopInserts(&e.enqueuing)
	if !started {
		return nil
	}
	e.stopLoops()
	if e.cfg.publishOnly {
		if e.woken != nil {
			<-e.woken
		}
		return nil
	}
	<-e.swept
	if e.retained != nil {
		<-e.retained
	}
	if e.watched != nil {
		<-e.watched
	}
	if e.woken != nil {
		<-e.woken
	}
	err := e.queue.stop(ctx)
	if err == nil {
		e.worker.forgetAll()
		return nil
	}
	// Attempts respect their ctx, so the hard stop ends quickly.
	if cerr := e.queue.stopAndCancel(context.WithoutCancel(ctx)); cerr != nil {
		err = fmt.Errorf("%w (stopping River: %w)", err, cerr)
	}
	e.worker.forgetAll()
	return err
}

// orderingSweep is how often a working instance deletes the ordering rows
// of jobs that ended without Outhook (see queue.sweep); it does at start
// too.
const orderingSweep = 10 * time.Minute

func (e *Engine) sweep(ctx context.Context) {
	defer close(e.swept)
	tick := time.NewTicker(orderingSweep)
	defer tick.Stop()
	for {
		if err := e.queue.sweep(ctx); err != nil && ctx.Err() == nil {
			e.cfg.logger.WarnContext(ctx, "riverengine: deleting the ordering rows of jobs ended elsewhere", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
