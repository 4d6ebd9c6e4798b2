package webhook

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/memengine"
	"github.com/outhook/outhook/internal/netguard"
	"github.com/outhook/outhook/keyring"
	"github.com/outhook/outhook/operational"
)

// Dispatcher delivers events to the webhooks registered with it. A service
// embeds one: it adds webhook definitions, publishes events, and every
// active webhook whose triggers and filters match gets a rendered, retried,
// validated and recorded delivery.
//
// All methods are safe for concurrent use, registration included: Add,
// Update and Remove take effect for deliveries that start after they
// return, and Remove for the retries of those started before too. Close
// stops it.
type Dispatcher struct {
	cfg    *config
	client *http.Client
	engine engine.Engine
	// resizer is the engine when it keeps a queue per webhook, read
	// before tracing wraps the engine and hides it.
	resizer engine.Resizer
	// waker is the engine when it can run held deliveries at once, read
	// as resizer is.
	waker engine.HeldWaker
	// removedWaker is the engine when it can run at once all the waiting
	// deliveries of a deleted webhook, read as resizer is.
	removedWaker engine.RemovedWaker
	// txEngine is the engine when Redeliver can take a dead letter and
	// queue it in one of its transactions.
	txEngine TxEngine
	store    InvocationStore
	tel      *telemetry
	ops      *ops // nil without WithOperationalEvents

	// life is the context of store writes that have no caller's: it ends
	// closeGrace after Close's ctx does, so that a slow store cannot hold
	// Close longer than that past it.
	life    context.Context
	endLife context.CancelFunc
	// lostMu guards lost: the dead letters the store failed to keep while
	// Close ran, for Close to return.
	lostMu sync.Mutex
	lost   []error

	// defs is the store of definitions this instance follows; keyring
	// seals their secrets in it (nil: kept as they are, in memory only).
	defs    defstore.Store
	keyring *keyring.Keyring

	mu      sync.RWMutex
	byKey   map[string]*entry       // by queue key
	tenants map[string]*tenantIndex // tenants with definitions
	added   uint64                  // ids loaded so far (see entry.added)
	removed tombstones              // deleted, to tell them from webhooks not loaded yet

	// syncMu serializes reads of the store's changes; cursor is the
	// sequence number of the last change read; toReset are the hooks,
	// replaced by a change read, whose breakers to reset.
	syncMu  sync.Mutex
	cursor  uint64
	toReset []*hook
	// resetHere holds, by queue key, the BreakerReset of the resets made
	// through this instance and not read back yet, which need no second
	// wake when read.
	resetHere map[string]uint64
	// toWake are the queue keys of the webhooks deleted by a change read,
	// whose waiting deliveries to run now, to end.
	toWake     []string
	synced     atomic.Int64  // when the store was last read, in Unix nanoseconds
	poke       chan struct{} // asks the follower to read the store now
	followDone chan struct{} // closed when the follower has stopped
	flows      sync.Map      // tenant -> *tenantFlow
	// gen counts Updates and Adds, so that a Publish that raced with one
	// can give the queues it used the settings now in force.
	gen atomic.Uint64

	unknownLog unknownLog // bounds the warnings about webhooks not registered yet

	closed atomic.Bool
	// calls counts the Publish and Redeliver calls in progress, which
	// Close waits for: a Publish it wakes has dead letters to keep.
	// callEnded is signalled when one ends after Close began.
	calls     atomic.Int64
	callEnded chan struct{}
	// admin counts those of the calls that Close lets end before it
	// closes the engine, which they call (Tenant.Erase, ResetBreaker):
	// an engine need not take calls after its Close, and the deliveries
	// Close gives up then land after an erasure, not during it.
	// adminEnded is signalled as callEnded is.
	admin      atomic.Int64
	adminEnded chan struct{}
	closeDone  chan struct{} // closed when the first Close returns
}

// New returns a Dispatcher, started and ready for Add and Publish. Stop it
// with Close. An option out of its documented range makes New fail with a
// *ConfigError naming it (several, joined with errors.Join, when several
// are wrong; errors.Is(err, ErrInvalidConfig) holds for all); nothing is
// started then.
func New(opts ...Option) (*Dispatcher, error) {
	cfg := newConfig(opts)
	guard, err := newGuard(cfg.allowTargets)
	if err != nil {
		cfg.errs = append(cfg.errs, err)
	}
	if err := cfg.err(); err != nil {
		return nil, err
	}
	d := &Dispatcher{
		cfg:        cfg,
		client:     cfg.client,
		engine:     cfg.engine,
		store:      cfg.store,
		defs:       cfg.defs,
		keyring:    cfg.keyring,
		byKey:      map[string]*entry{},
		tenants:    map[string]*tenantIndex{},
		poke:       make(chan struct{}, 1),
		resetHere:  map[string]uint64{},
		followDone: make(chan struct{}),
		callEnded:  make(chan struct{}, 1),
		adminEnded: make(chan struct{}, 1),
		closeDone:  make(chan struct{}),
	}
	if d.defs == nil {
		d.defs = defstore.NewMemory()
	}
	d.life, d.endLife = context.WithCancel(context.Background())
	if cfg.ops != nil {
		d.ops = newOps(d, *cfg.ops)
		cfg.detector = d.ops
	}
	if d.client == nil {
		// The in-memory engine's stalled attempts go on beside its
		// workers: their connections, answered together, are kept too.
		atOnce := cfg.workers
		if d.engine == nil {
			atOnce += cfg.maxStalled
		}
		d.client = newHTTPClient(atOnce, guard, cfg.proxy, cfg.proxyTLS)
	}
	if se, ok := d.engine.(StoreEngine); ok && d.store == nil {
		d.store = se.InvocationStore()
	}
	if d.store == nil {
		d.store = NewMemoryStore(0, 0)
	}
	inMemory := d.engine == nil
	if inMemory {
		d.engine = memengine.New(memengine.Config{
			Workers: cfg.workers, Reject: cfg.queuePolicy == QueueReject,
			StallAfter: cfg.stallThreshold, MaxStalled: cfg.maxStalled,
		})
	}
	tel, err := newTelemetry(cfg, d.engine, inMemory)
	if err != nil {
		return nil, fmt.Errorf("webhook: telemetry: %w", err)
	}
	d.tel = tel
	d.resizer, _ = d.engine.(engine.Resizer)
	d.waker, _ = d.engine.(engine.HeldWaker)
	d.removedWaker, _ = d.engine.(engine.RemovedWaker)
	if te, ok := d.engine.(TxEngine); ok && sameStore(d.store, te.InvocationStore()) {
		if _, ok := d.store.(TxStore); ok {
			d.txEngine = te
		}
	}
	if tel.queued {
		d.engine = tracedEngine{Engine: d.engine, tel: tel}
	}
	// Subscribed first, so that a change made while the store is read
	// has the follower read it again once it starts.
	cancel, err := d.defs.Subscribe(d.pokeSync)
	if err != nil {
		tel.close()
		d.endLife()
		return nil, fmt.Errorf("webhook: following the definition store: %w", err)
	}
	// Every definition is loaded before the engine runs a delivery.
	if err := d.syncNow(d.life); err != nil {
		cancel()
		tel.close()
		d.endLife()
		return nil, err
	}
	if err := d.engine.Start(runner{d}); err != nil {
		cancel()
		tel.close()
		d.endLife()
		return nil, fmt.Errorf("webhook: starting the delivery engine: %w", err)
	}
	go d.follow(cancel)
	if d.ops != nil {
		go d.ops.run()
	}
	return d, nil
}

// newGuard reads WithAllowedTargets entries: CIDRs, addresses and host
// names.
func newGuard(entries []string) (*netguard.Guard, error) {
	var c netguard.Config
	for _, e := range entries {
		if p, err := netip.ParsePrefix(e); err == nil {
			c.AllowNets = append(c.AllowNets, p)
		} else if a, err := netip.ParseAddr(e); err == nil {
			c.AllowNets = append(c.AllowNets, netip.PrefixFrom(a, a.BitLen()))
		} else {
			c.AllowHosts = append(c.AllowHosts, e)
		}
	}
	c.Dial = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	g, err := netguard.New(c)
	if err != nil {
		return nil, &ConfigError{Option: "WithAllowedTargets", Err: err}
	}
	return g, nil
}

// newHTTPClient returns a client tuned for many concurrent deliveries: a
// keep-alive pool per host as large as the attempts that may be in flight
// at once, atOnce (the default pool of two idle connections per host makes
// a busy dispatcher redial all the time), every address checked by the SSRF guard when it is dialled (or,
// through a proxy, before each request), answers' heads bounded by
// MaxResponseHeaderBytes, and no redirects followed.
func newHTTPClient(atOnce int, guard *netguard.Guard, proxy *url.URL, proxyTLS *tls.Config) *http.Client {
	transport := guard.Transport
	if proxy != nil {
		transport = func(t *http.Transport) *http.Transport { return guard.ProxyTransport(t, proxy, proxyTLS) }
	}
	t := transport(&http.Transport{
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           0,
		MaxIdleConnsPerHost:    atOnce,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: MaxResponseHeaderBytes,
	})
	// A 3xx is an answer, and a failure.
	return &http.Client{Transport: t, CheckRedirect: netguard.CheckRedirect(0, nil)}
}

// newID returns a random identifier: 16 bytes, hex-encoded.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails
	var text [32]byte
	hex.Encode(text[:], b[:])
	return string(text[:])
}

// Add checks and registers w, and returns it as stored, with its ID and
// Version set. Any error is a DefinitionErrors listing every problem
// found; nothing is registered then. A string that is not valid UTF-8,
// which the stored form (JSON) cannot hold, is ErrInvalidUTF8 at its
// field, and the other checks wait for it to be fixed. Added again under
// the id of a
// removed webhook whose deliveries are still queued, w gives their queue
// its queue size and concurrency at once, as Update does. Add is
// Tenant("").Create with no actor and no ctx: the definition goes to the
// Dispatcher's definition store (see WithDefinitionStore), bounded by the
// life of the Dispatcher.
func (d *Dispatcher) Add(w Webhook) (Webhook, error) {
	added, err := d.AddAll([]Webhook{w})
	if err != nil {
		return Webhook{}, err
	}
	return added[0], nil
}

// AddAll checks and registers every definition, or none of them: if any
// has a problem, the error is a DefinitionErrors listing all problems of
// all definitions and nothing is registered. It suits loading a file of
// definitions (see LoadWebhooks). With a definition store shared by
// several instances, a conflict found by the store half-way (another
// instance took a name meanwhile) deletes those it had stored, which
// other instances may have seen for that while.
func (d *Dispatcher) AddAll(hooks []Webhook) ([]Webhook, error) {
	return d.create(d.life, "", hooks, "")
}

// create checks, stores and loads definitions of tenant, all or none.
func (d *Dispatcher) create(ctx context.Context, tenant string, hooks []Webhook, actor string) ([]Webhook, error) {
	if d.closed.Load() {
		return nil, ErrClosed
	}
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	compiled := make([]*hook, 0, len(hooks))
	var errs DefinitionErrors
	for _, w := range hooks {
		if w.ID == "" {
			w.ID = newID()
		}
		if !validID(w.ID) {
			errs = append(errs, &DefinitionError{Webhook: w.Name, Field: "id", Err: fmt.Errorf("%w: %q", ErrInvalidID, w.ID)})
			continue
		}
		// A secret given as the mask reads show was copied from a read,
		// not written: sent, it would be the word itself.
		if merrs := maskedLeft(w, Webhook{}); merrs != nil {
			errs = append(errs, merrs...)
			continue
		}
		h, herrs := d.compile(w)
		errs = append(errs, herrs...)
		if h != nil {
			compiled = append(compiled, h)
		}
	}
	d.mu.RLock()
	seenName := map[string]bool{}
	seenID := map[string]bool{}
	for _, h := range compiled {
		if _, dup := d.byKey[queueKey(tenant, h.def.ID)]; dup || seenID[h.def.ID] {
			errs = append(errs, &DefinitionError{Webhook: h.def.Name, Field: "id", Err: fmt.Errorf("%w: %q", ErrDuplicateID, h.def.ID)})
		}
		if ti := d.tenants[tenant]; ti != nil && ti.byName[h.def.Name] != nil || seenName[h.def.Name] {
			errs = append(errs, &DefinitionError{Webhook: h.def.Name, Field: "name", Err: ErrDuplicateName})
		}
		seenID[h.def.ID], seenName[h.def.Name] = true, true
	}
	d.mu.RUnlock()
	if len(errs) > 0 {
		return nil, errs
	}
	limit := d.limits(tenant).MaxWebhooks
	stored := make([]defstore.Record, 0, len(compiled))
	for _, h := range compiled {
		rec, err := d.encode(tenant, h)
		if err == nil {
			rec, err = d.defs.Create(ctx, rec, actor, limit)
		}
		if err != nil {
			for _, r := range stored {
				if derr := d.defs.Delete(d.life, tenant, r.ID, r.Version, actor); derr != nil {
					err = errors.Join(err, fmt.Errorf("webhook: deleting %s, stored before the failure: %w", r.ID, derr))
				}
			}
			_ = d.syncNow(d.life)
			return nil, d.storeError(tenant, h.def, limit, err)
		}
		stored = append(stored, rec)
	}
	out := make([]Webhook, len(compiled))
	for i, h := range compiled {
		h.def.Version = stored[i].Version
		out[i] = h.webhook()
		d.changed(stored[i].Tenant, stored[i].ID, stored[i].Name, stored[i].Version, defstore.Created, actor)
	}
	return out, d.load(stored, compiled)
}

// changed tells the change hook of a change made through d.
func (d *Dispatcher) changed(tenant, id, name string, version int64, action defstore.Action, actor string) {
	if d.cfg.onChange != nil {
		d.cfg.onChange(defstore.Revision{Tenant: tenant, ID: id, Version: version, Action: action, Actor: actor, At: d.cfg.now(), Name: name})
	}
}

// load brings the store's latest changes into this instance, with rec
// compiled as h (for each pair) so that what was checked at a write is
// not compiled again. The write is made once the store holds it: should
// the store fail to say what changed since, this instance takes the
// records written as they are, and the follower reads the rest later.
func (d *Dispatcher) load(recs []defstore.Record, hooks []*hook) error {
	if err := d.syncNow(d.life); err != nil {
		d.cfg.logger.Warn("webhook: reading the definition store after a write; the write alone is loaded until the follower reads the rest", "error", err)
		changes := make([]defstore.Change, len(recs))
		for i, rec := range recs {
			changes[i] = defstore.Change{Seq: rec.Seq, Tenant: rec.Tenant, ID: rec.ID, Version: rec.Version, Record: &recs[i]}
		}
		d.applyWritten(changes)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, rec := range recs {
		e := d.byKey[queueKey(rec.Tenant, rec.ID)]
		if e == nil {
			// Not read back: the store failed just now, or another
			// instance changed it since; the follower will catch up.
			continue
		}
		if e.rec.Version == rec.Version && e.rec.Seq == rec.Seq && e.hook.Load() == nil {
			h := hooks[i]
			h.tenant, h.key, h.version = e.tenant, e.key, uint64(rec.Version)
			e.once.Do(func() { e.setHook(h) })
			d.resizeQueue(h)
		}
	}
	return nil
}

// applyWritten applies changes this instance wrote and could not read
// back from the store, as the follower applies those it reads: a
// change older than what this instance holds is passed over, and the
// follower, reading the same change later, passes it over in turn.
func (d *Dispatcher) applyWritten(changes []defstore.Change) {
	d.syncMu.Lock()
	defer d.syncMu.Unlock()
	for _, c := range changes {
		d.apply(c)
	}
	d.settleLocked(d.life)
}

// syncNow reads the store's changes now, as the follower does. It then
// resets the breakers, not closed, of the hooks another version replaced
// (outside the registry's lock: a reset tells the breaker hooks), and
// wakes the deliveries they held, before another read of the store can
// return: an Update whose change the follower read returns after them.
func (d *Dispatcher) syncNow(ctx context.Context) error {
	d.syncMu.Lock()
	defer d.syncMu.Unlock()
	err := d.syncLocked(ctx)
	d.settleLocked(ctx)
	return err
}

// settleLocked resets and wakes what the changes just applied left to
// reset and wake (see syncNow). syncMu is held.
func (d *Dispatcher) settleLocked(ctx context.Context) {
	if len(d.toReset) > 0 {
		// One bound for them all, ResetBreaker's: every other read of the
		// store on this instance waits for syncMu meanwhile.
		wctx, cancel := context.WithTimeout(ctx, wakeTimeout)
		for _, h := range d.toReset {
			h.breaker.Reset()
			if werr := d.wakeHeld(wctx, h.key); werr != nil {
				d.cfg.logger.Warn("webhook: waking the deliveries held by a replaced breaker", "tenant", h.tenant, "webhook_id", h.def.ID, "error", werr)
			}
		}
		cancel()
	}
	clear(d.toReset)
	d.toReset = d.toReset[:0]
	if len(d.toWake) > 0 {
		wctx, cancel := context.WithTimeout(ctx, wakeTimeout)
		for _, key := range d.toWake {
			if werr := d.wakeRemoved(wctx, key); werr != nil {
				tenant, id := splitKey(key)
				d.cfg.logger.Warn("webhook: waking the deliveries of a deleted webhook", "tenant", tenant, "webhook_id", id, "error", werr)
			}
		}
		cancel()
		d.toWake = d.toWake[:0]
	}
}

// wakeRemoved has the engine run now the deliveries it holds for the
// deleted webhook of key, those waiting for a retry too when it can
// (engine.RemovedWaker), so that they end.
func (d *Dispatcher) wakeRemoved(ctx context.Context, key string) error {
	if d.removedWaker != nil {
		_, err := d.removedWaker.WakeRemoved(ctx, key)
		return err
	}
	return d.wakeHeld(ctx, key)
}

// wakeHeld has the engine run now the deliveries it holds back for the
// webhook of key, when it can (engine.HeldWaker).
func (d *Dispatcher) wakeHeld(ctx context.Context, key string) error {
	if d.waker == nil {
		return nil
	}
	_, err := d.waker.WakeHeld(ctx, key)
	return err
}

// storeError turns a store's error about w into the Dispatcher's; a
// write cut short by Close is ErrClosed, as one started after it is.
func (d *Dispatcher) storeError(tenant string, w Webhook, limit int, err error) error {
	switch {
	case errors.Is(err, context.Canceled) && d.life.Err() != nil:
		// Close ended the Dispatcher's life while the write was on its way.
		return ErrClosed
	case errors.Is(err, defstore.ErrExists):
		return DefinitionErrors{{Webhook: w.Name, Field: "id", Err: fmt.Errorf("%w: %q", ErrDuplicateID, w.ID)}}
	case errors.Is(err, defstore.ErrNameTaken):
		return DefinitionErrors{{Webhook: w.Name, Field: "name", Err: ErrDuplicateName}}
	case errors.Is(err, defstore.ErrLimit):
		d.ops.tenantLimited(tenant, nil, nil, operational.LimitWebhooks, limit,
			fmt.Sprintf("webhook %q was refused: the tenant has %d webhooks, as many as its limits allow", w.Name, limit))
		return &TenantLimitError{Tenant: tenant, Limit: "webhooks", Max: limit}
	case errors.Is(err, defstore.ErrNotFound):
		return fmt.Errorf("webhook %q: %w", w.ID, ErrNotFound)
	}
	return err
}

// compile checks and compiles w, and gives it a client of its own when it
// follows redirects or has TLS settings.
func (d *Dispatcher) compile(w Webhook) (*hook, DefinitionErrors) {
	h, errs := d.cfg.compile(w)
	if h != nil && h.maxRedirect > 0 && d.cfg.client == nil {
		h.client = &http.Client{Transport: d.client.Transport, CheckRedirect: d.cfg.checkRedirect(h.maxRedirect, w.URLPolicy, h.secrets != nil)}
	}
	if h != nil && h.tls != nil {
		checkRedirect := d.client.CheckRedirect
		if d.cfg.client == nil {
			checkRedirect = d.cfg.checkRedirect(h.maxRedirect, w.URLPolicy, h.secrets != nil)
		}
		c, err := tlsClient(d.client, h.tls, h.def.TLS.CACertificates, checkRedirect)
		if err != nil {
			return nil, append(errs, &DefinitionError{Webhook: w.Name, Field: "tls", Err: err})
		}
		h.client = c
	}
	if h != nil && h.oauth != nil {
		h.oauth.client = d.client // the SSRF guard's, no redirects
		if h.tls != nil {
			// The token endpoint is reached as the target is: a private
			// CA's, or asking for the client certificate. The transport
			// is a clone of the guard's, dialled by it.
			c := *d.client
			c.Transport = h.client.Transport
			h.oauth.client = &c
		}
		if d.life != nil {
			h.oauth.life = d.life
		}
	}
	return h, errs
}

func distinctTriggers(ts []event.Trigger) []event.Trigger {
	out := make([]event.Trigger, 0, len(ts))
	for _, t := range ts {
		if c := accessrequest.Canonical(t); !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// Update replaces the webhook with w.ID by w, checked as Add checks it,
// whatever its version (Tenant("").Update checks w.Version). It keeps no
// stored secret: one given as the mask reads show is refused, wrapping
// ErrSecretRequired, unless the webhook already held the mask there.
// Deliveries already started finish with the old definition; later ones
// use the new. With the in-memory engine (or another engine.Resizer) a
// new queue size and concurrency apply at once to the webhook's queue,
// busy or not: a higher concurrency starts waiting deliveries, a lower one
// starts none until those in flight are under it, a larger queue lets
// waiting publishers in, and a smaller one drops none of the deliveries it
// holds (those waiting for an ordering key's turn included) but takes no
// more until they are under its new size. The new definition has a new
// circuit breaker, closed; the old one, kept by the deliveries started
// before, is reset when it was not closed, and the deliveries it held
// back go now, as after ResetBreaker, on every instance that loads the
// update (waiting at most 5 s for the engine, past which they go when
// their wait is up). It returns an error wrapping ErrNotFound for an unknown id.
func (d *Dispatcher) Update(w Webhook) (Webhook, error) {
	// As Add: a mask copied from a read would be sent as the secret, since
	// Update keeps no stored one. A mask the definition already held (one
	// stored before Add refused it) may stay, so that Get's copy goes back.
	if old, ok := d.Get(w.ID); ok {
		if errs := maskedLeft(w, old); errs != nil {
			return Webhook{}, errs
		}
	}
	w.Version = defstore.AnyVersion
	return d.update(d.life, "", w, "")
}

// update checks w, stores it over the tenant's definition w.ID at
// w.Version, and loads it.
func (d *Dispatcher) update(ctx context.Context, tenant string, w Webhook, actor string) (Webhook, error) {
	if d.closed.Load() {
		return Webhook{}, ErrClosed
	}
	if err := checkTenant(tenant); err != nil {
		return Webhook{}, err
	}
	if !validID(w.ID) {
		return Webhook{}, fmt.Errorf("webhook %q: %w", w.ID, ErrNotFound)
	}
	h, errs := d.compile(w)
	if errs != nil {
		return Webhook{}, errs
	}
	rec, err := d.encode(tenant, h)
	if err == nil {
		rec, err = d.defs.Update(ctx, rec, w.Version, actor)
	}
	if err != nil {
		return Webhook{}, d.storeError(tenant, w, 0, err)
	}
	h.def.Version = rec.Version
	d.changed(tenant, rec.ID, rec.Name, rec.Version, defstore.Updated, actor)
	return h.webhook(), d.load([]defstore.Record{rec}, []*hook{h})
}

// closeGrace is how long after Close's ctx the store may take to keep the
// dead letters of what Close abandons (and a durable engine's cut
// attempts), all together.
const closeGrace = time.Second

// resizeQueue gives h's queue, busy or not, h's queue size and
// concurrency, when the engine keeps a queue per webhook.
func (d *Dispatcher) resizeQueue(h *hook) {
	if d.resizer != nil {
		d.resizer.Resize(h.key, h.queueSize, h.concurrency)
	}
}

// Remove deletes the webhook with id. Deliveries queued for it, and
// those between retries, end as Skipped at their next attempt, on every
// instance following the store once it has seen the deletion, with no
// further request and no dead letter (Redeliver could not queue one to a
// webhook that is gone); an attempt in flight finishes. That next attempt
// comes at once: each instance, as it reads the deletion, has the engine
// run now the deliveries it holds back (an open breaker's, the rate
// limit's) and, with an engine.RemovedWaker (the in-memory engine,
// riverengine), those waiting for a retry, and those whose attempt is in
// flight then and ends due for one, waiting at most 5 s for the engine. A webhook added
// again under the id is another webhook: the deliveries of the deleted
// one end so all the same, on an instance that read only the new one too
// (the definition store's history says when it was created). The
// Dispatcher remembers the last 4096 webhooks deleted, to tell a deleted
// webhook from one it has not loaded yet (see WithUnknownWebhookGrace).
// It returns an error wrapping ErrNotFound for an unknown id. While Close
// drains the queues Remove still works, so that it stops the retries of
// the webhook; once Close has stopped draining, and after it returns, it
// returns ErrClosed.
func (d *Dispatcher) Remove(id string) error {
	return d.remove(d.life, "", id, defstore.AnyVersion, "")
}

func (d *Dispatcher) remove(ctx context.Context, tenant, id string, version int64, actor string) error {
	if d.closed.Load() && d.life.Err() != nil {
		return ErrClosed // Close has ended; while it drains, a removal stops retries
	}
	if err := checkTenant(tenant); err != nil {
		return err
	}
	if !validID(id) {
		return fmt.Errorf("webhook %q: %w", id, ErrNotFound)
	}
	if err := d.defs.Delete(ctx, tenant, id, version, actor); err != nil {
		return d.storeError(tenant, Webhook{ID: id}, 0, err)
	}
	// The store numbered the deletion: its revision says which.
	deletion := func() (defstore.Revision, bool) {
		revs, err := d.defs.History(ctx, tenant, id, 1)
		if err != nil || len(revs) != 1 || revs[0].Action != defstore.Deleted {
			return defstore.Revision{}, false
		}
		return revs[0], true
	}
	if d.cfg.onChange != nil {
		if rev, ok := deletion(); ok {
			d.cfg.onChange(rev)
		} else {
			d.changed(tenant, id, "", 0, defstore.Deleted, actor)
		}
	}
	if err := d.syncNow(d.life); err != nil {
		// Deleted all the same: unloaded here now, as load does a write.
		deleted := version + 1
		if version == defstore.AnyVersion {
			rev, ok := deletion()
			if !ok {
				return fmt.Errorf("webhook: deleted, but not unloaded yet (the follower will): %w", err)
			}
			deleted = rev.Version
		}
		d.cfg.logger.Warn("webhook: reading the definition store after a deletion; the deletion alone is applied until the follower reads the rest", "error", err)
		d.applyWritten([]defstore.Change{{Tenant: tenant, ID: id, Version: deleted, Deleted: true}})
	}
	return nil
}

// Get returns the webhook with id, secrets included: this is the host's
// own code asking. Tenant.Get, which serves a tenant's admins, masks them.
func (d *Dispatcher) Get(id string) (Webhook, bool) {
	if !validID(id) {
		return Webhook{}, false // one holding keySep would name another tenant's
	}
	d.mu.RLock()
	e := d.byKey[id]
	d.mu.RUnlock()
	if e == nil {
		return Webhook{}, false
	}
	w, err := d.definition(e)
	if err != nil {
		return Webhook{}, false
	}
	return w, true
}

// List returns the single-tenant service's webhooks (Tenant("")'s) in
// the order this instance loaded them, secrets included as Get returns
// them.
func (d *Dispatcher) List() []Webhook {
	d.mu.RLock()
	var entries []*entry
	if ti := d.tenants[""]; ti != nil {
		entries = make([]*entry, 0, len(ti.byID))
		for _, e := range ti.byID {
			entries = append(entries, e)
		}
	}
	d.mu.RUnlock()
	slices.SortFunc(entries, func(a, b *entry) int { return cmp.Compare(a.added, b.added) })
	out := make([]Webhook, 0, len(entries))
	for _, e := range entries {
		if w, err := d.definition(e); err == nil {
			out = append(out, w)
		}
	}
	return out
}

// hookOf returns tenant's webhook id, compiled; nil when there is none
// or it does not compile here. An id that is not valid is none: one
// holding keySep would name another tenant's queue.
func (d *Dispatcher) hookOf(tenant, id string) *hook {
	if !validID(id) || checkTenant(tenant) != nil {
		return nil
	}
	h, _, _, _ := d.lookup(queueKey(tenant, id))
	return h
}

// Published says what Publish did with an event.
type Published struct {
	// Deliveries lists the deliveries queued, one per matching webhook,
	// in the order the webhooks were added (an update keeps a webhook's
	// place).
	Deliveries []Queued
	// Filtered counts the active webhooks of the event's type whose
	// filters rejected it; Inactive the inactive ones.
	Filtered, Inactive int
}

// Queued is one delivery Publish queued.
type Queued struct {
	DeliveryID string
	WebhookID  string
}

// Publish queues e for every active webhook whose triggers include e's type
// and whose filters match it. The event is decoded already; it is rendered
// once per webhook when its delivery starts. Publish returns once the
// deliveries are queued, not delivered. When e has an event_id, each
// delivery's id (the webhook-id header) derives from it and the webhook's
// id, so that publishing the same event again, after an error say, gives
// receivers the same ids to deduplicate on.
//
// Publish runs the filters of only the webhooks that may match e: each
// tenant's webhooks of each event type are indexed by the equalities their
// filters require (see filter.Index), so that its cost follows the
// webhooks e can match, not those registered; a webhook whose filter
// requires none is run on every event. With WithRecordFiltered every
// webhook's filter runs, to record why it did not match.
//
// Publish hands the engine every delivery in one Enqueue. The in-memory
// engine queues the event to every matching webhook whose queue has room,
// then deals with the full ones as the queue policy says: with QueueReject
// at once; with QueueBlock it waits for room in all their queues at once,
// queueing the event to each webhook as its own queue has room, until ctx
// is done.
// A delivery that could not be queued for want of room becomes a dead
// letter (reason "queue full: …") that Redeliver can queue again later,
// and Publish returns a *QueueFullError naming each such webhook (wrapping
// ctx.Err() or ErrClosed when it waited), joined with a *DeadLetterError
// for any dead letter the store failed to keep. The store has closeGrace
// (one second) past ctx to keep them and their records, so a hung store
// holds Publish at most that long past ctx. Published lists what was queued. After Close it
// returns ErrClosed. When the engine fails otherwise (a durable engine's
// database error), Publish returns that error: the deliveries it did not
// queue get no dead letter, and Published says which were queued, so that
// the caller can publish the event again. A nil event, or the zero
// Event, is an error wrapping ErrNoEvent.
func (d *Dispatcher) Publish(ctx context.Context, e *event.Event) (Published, error) {
	return d.publish(ctx, "", nil, e)
}

// PublishTx is Publish inside tx, a transaction of the engine's own
// database (a pgx.Tx or *sql.Tx for riverengine): the deliveries, and with
// WithRecordFiltered the records of the webhooks that did not match when
// the store is a TxStore, are written in tx, so that they commit or roll
// back with the caller's own changes. No delivery starts before tx
// commits. An engine that cannot write in tx (the in-memory one, or one on
// another database) queues nothing and Publish returns an error wrapping
// engine.ErrTxUnsupported; so does a nil tx, or a nil pointer of a
// transaction type, before anything is written. A record the store fails
// to write in tx fails PublishTx with the store's error, queueing nothing:
// the database may have aborted tx, which is the caller's to roll back.
func (d *Dispatcher) PublishTx(ctx context.Context, tx engine.Tx, e *event.Event) (Published, error) {
	return d.publishTx(ctx, "", tx, e)
}

func (d *Dispatcher) publishTx(ctx context.Context, tenant string, tx engine.Tx, e *event.Event) (Published, error) {
	if isNil(tx) {
		return Published{}, fmt.Errorf("webhook: PublishTx: %w: tx is nil (%T)", engine.ErrTxUnsupported, tx)
	}
	return d.publish(ctx, tenant, tx, e)
}

// isNil reports whether tx is nil, or a nil pointer in an interface (a
// *sql.Tx never begun), which an engine would take for a transaction and
// dereference.
func isNil(tx engine.Tx) bool {
	if tx == nil {
		return true
	}
	switch v := reflect.ValueOf(tx); v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		return v.IsNil()
	}
	return false
}

func (d *Dispatcher) publish(ctx context.Context, tenant string, tx engine.Tx, e *event.Event) (Published, error) {
	if err := checkEvent("Publish", e); err != nil {
		return Published{}, err
	}
	if !d.enter() {
		return Published{}, ErrClosed
	}
	defer d.leave()
	var set *triggerSet
	d.mu.RLock()
	if ti := d.tenants[tenant]; ti != nil {
		set = ti.byTrigger[accessrequest.Canonical(e.Type())]
	}
	gen := d.gen.Load()
	d.mu.RUnlock()
	var cands candidates
	var fewEval [16]*entry // on the stack for the usual few candidates
	if set != nil {
		d.compilePending(set)
		cands = set.candidates(fewEval[:0], e.Document(), d.cfg.recordFiltered)
	}

	var pub Published
	// One slot per match: its entry, its compiled definition (loaded once,
	// so that the filter run and the delivery made are of one version),
	// and its delivery. On the stack for up to 16 matches: each byte a
	// Publish allocates costs marking of the live heap, which holds every
	// definition registered.
	type pending struct {
		e   *entry
		h   *hook
		del *delivery
	}
	var few [16]pending
	queued := few[:0]
	now := d.cfg.now()
	var txErr error // a record that tx did not take
	pub.Inactive = cands.inactiveN
	for _, c := range cands.inactive {
		txErr = cmp.Or(txErr, d.recordNotSent(ctx, tx, c.tenant, c.rec.ID, c.rec.Name, e, Skipped, "webhook is inactive"))
	}
	for _, c := range cands.broken {
		_, err := d.compiled(c)
		// Written by an instance with other settings: say so on every
		// event it misses, where its admins look.
		pub.Inactive++
		txErr = cmp.Or(txErr, d.recordIn(ctx, tx, Invocation{
			ID: newID(), Tenant: c.tenant, WebhookID: c.rec.ID, WebhookName: c.rec.Name, EventType: e.Type(), EventID: e.ID(), SubjectEventID: operational.SubjectEventID(e),
			Outcome: Skipped, Reason: err.Error(), StartedAt: d.cfg.now(),
		}))
	}
	// The index left out filters that cannot match: they count as filtered.
	pub.Filtered = cands.indexed - len(cands.eval)
	for _, c := range cands.eval {
		h := c.hook.Load() // indexed once compiled
		if !h.filter.Match(e.Document()) {
			pub.Filtered++
			if d.cfg.recordFiltered {
				txErr = cmp.Or(txErr, d.recordNotSent(ctx, tx, h.tenant, h.def.ID, h.def.Name, e, Filtered, h.filter.Explain(e.Document()).String()))
			}
			continue
		}
		queued = append(queued, pending{e: c, h: h})
	}
	if !d.cfg.recordFiltered { // the index gave them in no order
		slices.SortFunc(queued, func(a, b pending) int { return byAdded(a.e, b.e) })
	}
	batch := make([]*engine.Delivery, len(queued))
	for i := range queued {
		p := &queued[i]
		p.del = newDelivery(deliveryID(e, p.h.key), p.h, e, now)
		d.tel.startDelivery(ctx, p.h, p.del)
		batch[i] = p.del.Delivery
	}
	if txErr != nil {
		// The database may have aborted tx: queue nothing, and say why.
		for _, p := range queued {
			d.tel.endDelivery(ctx, p.del, p.h.def.Name, Failed, txErr.Error())
		}
		return pub, txErr
	}
	if len(batch) == 0 {
		return pub, nil
	}
	errs := enqueueErrors(d.engine.Enqueue(ctx, tx, batch), len(batch))
	pub.Deliveries = make([]Queued, 0, len(batch))
	var stop error    // why the engine failed otherwise
	var full []int    // of the deliveries refused for want of room
	var fullErr error // why the engine stopped waiting for room, if it waited
	for i, p := range queued {
		switch err := errAt(errs, i); {
		case err == nil:
			pub.Deliveries = append(pub.Deliveries, Queued{DeliveryID: p.del.ID, WebhookID: p.h.def.ID})
		case errors.Is(err, ErrQueueFull):
			full = append(full, i)
			for _, cause := range []error{ctx.Err(), ErrClosed} {
				if cause != nil && errors.Is(err, cause) {
					fullErr = cause
				}
			}
		default:
			d.tel.endDelivery(ctx, p.del, p.h.def.Name, Failed, err.Error())
			if stop == nil {
				stop = err
			}
		}
	}
	if d.gen.Load() != gen {
		// An Update raced with this Publish, whose deliveries may have made
		// queues with the settings it replaced.
		for _, q := range pub.Deliveries {
			if h := d.hookOf(tenant, q.WebhookID); h != nil {
				d.resizeQueue(h)
			}
		}
	}
	if len(full) == 0 {
		return pub, stop
	}

	qf := &QueueFullError{Err: fullErr}
	var serrs []error
	wctx, cancel := d.storeContext(ctx)
	defer cancel()
	for _, i := range full {
		del, h := queued[i].del, queued[i].h
		reason := fmt.Sprintf("queue full: more than %d deliveries waiting", h.queueSize)
		if fullErr != nil {
			reason = fmt.Sprintf("queue full: no room among %d deliveries before Publish stopped waiting (%v)", h.queueSize, fullErr)
		}
		qf.WebhookIDs = append(qf.WebhookIDs, h.def.ID)
		if err := d.deadLetterIn(wctx, del, Failed, reason); err != nil {
			serrs = append(serrs, err)
		}
		d.tel.endDelivery(ctx, del, h.def.Name, Failed, reason)
		d.record(wctx, Invocation{
			ID: newID(), DeliveryID: del.ID, Tenant: h.tenant, WebhookID: h.def.ID, WebhookName: h.def.Name, EventType: e.Type(),
			EventID: e.ID(), SubjectEventID: operational.SubjectEventID(e), Outcome: Failed, Reason: reason, StartedAt: d.cfg.now(),
		})
	}
	if stop != nil {
		serrs = append(serrs, stop)
	}
	if len(serrs) == 0 {
		return pub, qf
	}
	return pub, errors.Join(append([]error{qf}, serrs...)...)
}

// enqueueErrors spreads the error of an Enqueue of n deliveries over them:
// a *engine.BatchError says which were queued; any other error means none
// was. It returns nil when all were (see errAt).
func enqueueErrors(err error, n int) []error {
	if err == nil {
		return nil
	}
	var be *engine.BatchError
	if errors.As(err, &be) {
		if len(be.Errs) == n {
			return be.Errs
		}
		// Which were queued is unknown: none is kept as a dead letter, which
		// could duplicate one queued, and Publish reports the engine's fault.
		err = fmt.Errorf("webhook: the engine's BatchError has %d errors for %d deliveries: %s", len(be.Errs), n, err)
	}
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// errAt is the error of delivery i among errs from enqueueErrors.
func errAt(errs []error, i int) error {
	if errs == nil {
		return nil
	}
	return errs[i]
}

// storeContext returns the context of the dead letters that a Publish or
// Redeliver bounded by ctx writes: ctx may be why they could not queue a
// delivery (QueueBlock waits until it ends), so the store has closeGrace
// after ctx ends, or until Close's grace ends, as for Close's own writes.
// It keeps ctx's values. Call cancel once the writes are done.
func (d *Dispatcher) storeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stopLife := context.AfterFunc(d.life, cancel)
	stopGrace := afterGrace(ctx, cancel)
	return wctx, func() {
		stopLife()
		stopGrace()
		cancel()
	}
}

// afterGrace calls f closeGrace after ctx ends, unless stop is called
// first.
func afterGrace(ctx context.Context, f func()) (stop func()) {
	var mu sync.Mutex
	var grace *time.Timer
	stopped := false
	stopCtx := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !stopped {
			grace = time.AfterFunc(closeGrace, f)
		}
	})
	return func() {
		stopCtx()
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		if grace != nil {
			grace.Stop()
		}
	}
}

// enter counts a call that uses the store or the engine in (Publish,
// Redeliver, Gate, Test, ResetBreaker, Tenant.Erase,
// DiscardDeadLetters), unless Close has begun.
// Close sets closed before it reads calls and a call adds itself before
// it reads closed, so that one of them sees the other.
func (d *Dispatcher) enter() bool {
	d.calls.Add(1)
	if d.closed.Load() {
		d.leave()
		return false
	}
	return true
}

// leave counts a call out, and tells Close when it may be the last.
func (d *Dispatcher) leave() {
	if d.calls.Add(-1) == 0 && d.closed.Load() {
		select {
		case d.callEnded <- struct{}{}:
		default:
		}
	}
}

// enterAdmin is enter for a call that Close lets end before it closes
// the engine. The count goes up before enter reads closed, so that Close,
// which reads it after setting closed, sees the call or the call sees
// Close.
func (d *Dispatcher) enterAdmin() bool {
	d.admin.Add(1)
	if !d.enter() {
		d.leaveAdmin(false)
		return false
	}
	return true
}

// leaveAdmin counts out a call that enterAdmin counted in, and leaves
// (see leave) one that it let in.
func (d *Dispatcher) leaveAdmin(entered bool) {
	if d.admin.Add(-1) == 0 && d.closed.Load() {
		select {
		case d.adminEnded <- struct{}{}:
		default:
		}
	}
	if entered {
		d.leave()
	}
}

// waitCalls waits for the calls counted in by enter, until
// the store's time is up.
func (d *Dispatcher) waitCalls() { d.waitFor(&d.calls, d.callEnded) }

// waitFor waits until count is zero, signalled on ended, or the store's
// time is up.
func (d *Dispatcher) waitFor(count *atomic.Int64, ended chan struct{}) {
	for count.Load() > 0 {
		select {
		case <-ended:
		case <-d.life.Done():
			return
		}
	}
}

// PublishJSON decodes raw with event.Parse and publishes it. The event
// keeps a copy of raw, so the caller may reuse raw once PublishJSON
// returns: queued deliveries keep the event as it was published.
func (d *Dispatcher) PublishJSON(ctx context.Context, raw []byte) (Published, error) {
	e, err := event.Parse(raw)
	if err != nil {
		return Published{}, err
	}
	return d.Publish(ctx, e)
}

// recordNotSent records, with WithRecordFiltered, that e did not go to
// the webhook (see recordIn).
func (d *Dispatcher) recordNotSent(ctx context.Context, tx engine.Tx, tenant, id, name string, e *event.Event, outcome Outcome, reason string) error {
	if !d.cfg.recordFiltered {
		return nil
	}
	return d.recordIn(ctx, tx, Invocation{
		ID: newID(), Tenant: tenant, WebhookID: id, WebhookName: name, EventType: e.Type(), EventID: e.ID(), SubjectEventID: operational.SubjectEventID(e),
		Outcome: outcome, Reason: reason, StartedAt: d.cfg.now(),
	})
}

// recordIn records inv of a Publish in its transaction tx, when there is
// one and the store can write in it: written outside it, the record would
// wait for a connection the caller's transaction may hold (SQLite has
// one), and would stand even if the caller rolled the transaction back.
// It returns the error of a write in tx, which PublishTx returns; any
// other is logged, as records' are.
func (d *Dispatcher) recordIn(ctx context.Context, tx engine.Tx, inv Invocation) error {
	ts, ok := d.store.(TxStore)
	if tx == nil || !ok {
		d.record(ctx, inv)
		return nil
	}
	if err := ts.RecordTx(ctx, tx, inv); err != nil {
		return fmt.Errorf("webhook: recording webhook %s in the transaction: %w", inv.WebhookID, err)
	}
	if d.cfg.onInvocation != nil {
		d.cfg.onInvocation(inv)
	}
	return nil
}

// Invocations lists up to limit invocation records of a webhook, newest
// first.
func (d *Dispatcher) Invocations(ctx context.Context, webhookID string, limit int) ([]Invocation, error) {
	return d.store.Invocations(ctx, webhookID, limit)
}

// DeadLetters lists up to limit deliveries that failed for good, newest
// first, of one webhook or, for an empty webhookID, of all.
func (d *Dispatcher) DeadLetters(ctx context.Context, webhookID string, limit int) ([]DeadLetter, error) {
	return d.store.DeadLetters(ctx, webhookID, limit)
}

// Redeliver queues a dead letter again, to the webhook's current
// definition, under the same delivery id so that the receiver can tell it
// is the same delivery. It starts afresh: its attempts and its retry
// budget (MaxElapsed) count from the redelivery. It returns an error
// wrapping ErrNotFound when there is no such dead letter or its webhook
// was removed. A dead letter it cannot queue (its webhook removed, the
// queue full, ctx done while waiting for room) stays a dead letter, put
// back even when ctx has ended; should the store fail to keep it, the
// error includes a *DeadLetterError holding it. With a TxEngine whose
// store is the Dispatcher's, the dead letter is taken and its delivery
// queued in one transaction, so it is never out of the store before its
// delivery is queued.
func (d *Dispatcher) Redeliver(ctx context.Context, deliveryID string) error {
	return d.redeliver(ctx, "", deliveryID)
}

// redeliver is Redeliver of a dead letter of tenant's: one of another
// tenant's is not found.
func (d *Dispatcher) redeliver(ctx context.Context, tenant, deliveryID string) error {
	if !validID(deliveryID) {
		// No delivery has it; a database may refuse it as text.
		return fmt.Errorf("dead letter %q: %w", deliveryID, ErrNotFound)
	}
	if !d.enter() {
		return ErrClosed
	}
	defer d.leave()
	if d.txEngine != nil {
		return d.redeliverTx(ctx, tenant, deliveryID)
	}
	var dl DeadLetter
	var err error
	if qs, ok := d.store.(QueryStore); ok {
		dl, err = qs.TakeDeadLetterFor(ctx, tenant, deliveryID)
	} else {
		dl, err = d.store.TakeDeadLetter(ctx, deliveryID)
		if err == nil && dl.Tenant != tenant {
			return d.putBack(ctx, dl, fmt.Errorf("dead letter %q: %w", deliveryID, ErrNotFound))
		}
	}
	if err != nil {
		return err
	}
	d.catchUp(ctx, dl.Tenant, dl.WebhookID)
	h := d.hookOf(dl.Tenant, dl.WebhookID)
	if h == nil {
		return d.putBack(ctx, dl, fmt.Errorf("webhook %q of dead letter %q: %w", dl.WebhookID, deliveryID, ErrNotFound))
	}
	del := newDelivery(dl.DeliveryID, h, dl.Event, d.cfg.now())
	d.tel.startDelivery(ctx, h, del)
	if err := d.engine.Enqueue(ctx, nil, []*engine.Delivery{del.Delivery}); err != nil {
		err = d.putBack(ctx, dl, err)
		d.tel.endDelivery(ctx, del, h.def.Name, Failed, err.Error())
		return err
	}
	return nil
}

// redeliverTx is Redeliver in a transaction of the engine's, which takes
// the dead letter and queues its delivery: should either fail, neither
// happens, and the dead letter stays where it was.
func (d *Dispatcher) redeliverTx(ctx context.Context, tenant, deliveryID string) error {
	unloaded, err := d.redeliverInTx(ctx, tenant, deliveryID)
	if unloaded != "" {
		// Its webhook perhaps created on another instance a moment ago:
		// the store is read outside the transaction, which a store of one
		// connection could not serve meanwhile, and the dead letter,
		// left where it was, taken again.
		d.catchUp(ctx, tenant, unloaded)
		if d.hookOf(tenant, unloaded) != nil {
			_, err = d.redeliverInTx(ctx, tenant, deliveryID)
		}
	}
	return err
}

// redeliverInTx is one try of redeliverTx; unloaded names the webhook of
// the dead letter when this instance has not loaded it.
func (d *Dispatcher) redeliverInTx(ctx context.Context, tenant, deliveryID string) (unloaded string, _ error) {
	var del *delivery
	var name string
	err := d.txEngine.InTx(ctx, func(tx engine.Tx) error {
		var dl DeadLetter
		var err error
		if ts, ok := d.store.(tenantTxTaker); ok {
			dl, err = ts.TakeDeadLetterForTx(ctx, tx, tenant, deliveryID)
		} else {
			dl, err = d.store.(TxStore).TakeDeadLetterTx(ctx, tx, deliveryID)
		}
		if err != nil {
			return err
		}
		if dl.Tenant != tenant { // rolled back with tx
			return fmt.Errorf("dead letter %q: %w", deliveryID, ErrNotFound)
		}
		h := d.hookOf(dl.Tenant, dl.WebhookID)
		if h == nil {
			unloaded = dl.WebhookID
			return fmt.Errorf("webhook %q of dead letter %q: %w", dl.WebhookID, deliveryID, ErrNotFound)
		}
		del, name = newDelivery(dl.DeliveryID, h, dl.Event, d.cfg.now()), h.def.Name
		d.tel.startDelivery(ctx, h, del)
		return d.engine.Enqueue(ctx, tx, []*engine.Delivery{del.Delivery})
	})
	if err != nil && del != nil {
		d.tel.endDelivery(ctx, del, name, Failed, err.Error())
	}
	return unloaded, err
}

// tenantTxTaker is a TxStore that takes only a tenant's dead letter in tx
// (riverengine's Store).
type tenantTxTaker interface {
	TakeDeadLetterForTx(ctx context.Context, tx engine.Tx, tenant, deliveryID string) (DeadLetter, error)
}

// sameStore reports whether a and b are the same store, without
// comparing values of a type that cannot be compared.
func sameStore(a, b InvocationStore) bool {
	if a == nil || b == nil {
		return false
	}
	ta := reflect.TypeOf(a)
	return ta == reflect.TypeOf(b) && ta.Comparable() && a == b
}

// putBack keeps again the dead letter that Redeliver took and could not
// queue, and returns err, joined with a *DeadLetterError if the store
// failed.
func (d *Dispatcher) putBack(ctx context.Context, dl DeadLetter, err error) error {
	wctx, cancel := d.storeContext(ctx)
	defer cancel()
	if serr := d.store.AddDeadLetter(wctx, dl); serr != nil {
		d.cfg.logger.Error("webhook: putting back a dead letter", "delivery_id", dl.DeliveryID, "webhook_id", dl.WebhookID, "error", serr)
		d.tel.deadLetterFailed(dl.WebhookID)
		return errors.Join(err, &DeadLetterError{DeadLetter: dl, Err: serr})
	}
	return err
}

// ResetBreaker closes the circuit breaker of the webhook with id, whatever
// its state: after its endpoint answered 410 Gone and was fixed, say, on
// every instance following the definition store. The deliveries the open
// breaker held back go now rather than when their wait is up, with the
// in-memory engine and riverengine (any engine.HeldWaker); those waiting
// for a retry keep their delay.
//
// With a store that records resets (a defstore.Resetter: defstore.Memory
// and riverengine's DefinitionStore), the reset is a change of the
// definition, keeping its content and version, with a revision
// (defstore.BreakerReset): each instance closes its own breaker and wakes
// what it held as it reads the change, as it reads an Update, so at once
// when the store notifies it and within the sync interval otherwise. A
// delivery that another instance ran and held again before it read the
// change goes when that instance wakes its held ones. With another store
// only this instance's breaker is closed, and another instance whose
// breaker is open holds again what it runs until its cool-down ends.
//
// Update does the same for a webhook whose breaker was not closed, on
// every instance that loads the update. It returns an error wrapping
// ErrNotFound for an unknown id (one wrapping the context's error when
// the definition store did not say within the 5 s), and the store's
// error when it fails to record the reset: this instance's breaker is
// closed all the same. The
// breaker is closed even when it returns the engine's error about waking
// the held deliveries (it waits at most 5 s for the store and the engine
// together), which then go when their wait is up. After Close it returns
// ErrClosed, as a call that Close's end cut short does.
func (d *Dispatcher) ResetBreaker(id string) error {
	return d.resetBreaker(context.Background(), "", id, "")
}

// wakeTimeout bounds how long ResetBreaker waits for the engine to wake
// the held deliveries (a durable engine's database).
const wakeTimeout = 5 * time.Second

// resetBreaker closes the breaker of the tenant's webhook id; the store
// records actor as the reset's author. ctx, bounded by wakeTimeout and the
// Dispatcher's life, bounds the store and the engine.
func (d *Dispatcher) resetBreaker(ctx context.Context, tenant, id, actor string) error {
	// Counted in, so that Close waits for the store's write rather than
	// return before it lands, and for the engine's wake before it closes
	// the engine.
	if !d.enterAdmin() {
		return ErrClosed
	}
	defer d.leaveAdmin(true)
	ctx, cancel := context.WithTimeout(ctx, wakeTimeout)
	defer cancel()
	defer context.AfterFunc(d.life, cancel)()
	d.catchUp(ctx, tenant, id)
	h := d.hookOf(tenant, id)
	switch {
	case h == nil && d.life.Err() != nil:
		return ErrClosed // Close's end cut the look into the store short
	case h == nil && ctx.Err() != nil:
		// Not known to be missing: the store did not answer in time.
		return fmt.Errorf("webhook %q: reading its definition: %w", id, ctx.Err())
	case h == nil:
		return fmt.Errorf("webhook %q: %w", id, ErrNotFound)
	case h.breaker == nil:
		return nil
	}
	var serr error
	recorded := false
	if rs, ok := d.defs.(defstore.Resetter); ok {
		// The change reaches the other instances, which close their
		// breakers as they read it. This one does now, and takes no
		// second wake when it reads the change: the follower waits.
		d.syncMu.Lock()
		rec, err := rs.ResetBreaker(ctx, tenant, id, actor)
		if err == nil {
			d.resetHere[h.key] = rec.BreakerReset
		}
		d.syncMu.Unlock()
		switch {
		case errors.Is(err, defstore.ErrNotFound):
			return fmt.Errorf("webhook %q: %w", id, ErrNotFound)
		case errors.Is(err, context.Canceled) && d.life.Err() != nil:
			return ErrClosed // Close's time for the store ran out during the write
		case err != nil:
			serr = fmt.Errorf("webhook %q: breaker closed on this instance only, the store failed: %w", id, err)
		default:
			recorded = true
		}
	}
	h.breaker.Reset()
	if err := d.wakeHeld(ctx, h.key); err != nil {
		serr = errors.Join(serr, fmt.Errorf("webhook %q: breaker closed, but its held deliveries wait out their delay: %w", id, err))
	}
	if recorded {
		if err := d.syncNow(ctx); err != nil {
			d.cfg.logger.Warn("webhook: reading a breaker reset back", "tenant", tenant, "webhook_id", id, "error", err)
		}
	}
	return serr
}

// Close stops intake (Publish, Add, Redeliver, Gate, Test, ResetBreaker,
// Tenant.Erase and DiscardDeadLetters return ErrClosed from then on),
// lets queued and in-flight deliveries finish until ctx is done, and
// stops every goroutine the Dispatcher started. What becomes of
// deliveries still unfinished when ctx ends is the engine's to say: the
// in-memory engine makes them dead letters, so none is lost silently; a
// durable engine keeps them to deliver after a restart. Close then returns
// ctx.Err().
//
// A retry is drained like the rest when it is due before ctx's deadline.
// The in-memory engine does not wait for a delivery whose retry, or the
// end of whose hold (an open breaker, a rate limit), is due after that
// deadline: it could not run before Close gives up, so it is a dead letter
// at once (its reason says "after Close's deadline"), and so are the
// deliveries waiting behind its ordering key, unsent, which would
// otherwise reach the receiver before it; Close returns an error wrapping
// context.DeadlineExceeded as soon as the rest has drained, without
// waiting for the deadline. With a ctx that has no
// deadline, Close waits for every retry until ctx is done: give it one.
//
// Once ctx has ended, the InvocationStore has closeGrace (one second, for
// all its writes together) to keep those dead letters and the last
// records: their context ends then, so that a slow store holds Close at
// most that long past ctx. Close returns, joined with its other error, a
// *DeadLetterError for each dead letter the store failed to keep while
// Close ran, holding it.
//
// Publish, Redeliver, Gate, Test, Tenant.Erase, DiscardDeadLetters and
// ResetBreaker calls in progress finish before Close returns (or, cut
// short when the store's time is up, fail with an error wrapping
// ErrClosed), and those made after it return ErrClosed; Tenant.Erase and ResetBreaker end before Close
// closes the engine, which they call: a Publish waiting for room under
// QueueBlock is woken, and the copies it could not queue are dead letters
// by then (it returns a *QueueFullError wrapping ErrClosed).
//
// With WithOperationalEvents, Close then hands the operational events
// still queued to the Hook (publishing none), waiting for it until ctx
// is done, and returns ctx.Err() wrapped if it is not through by then.
//
// Calling Close again, or concurrently, closes nothing more: it waits for
// the first call to return, then returns nil, or returns its own
// ctx.Err() if that ends first.
func (d *Dispatcher) Close(ctx context.Context) error {
	if d.closed.Swap(true) {
		select {
		case <-d.closeDone:
			return nil
		default:
		}
		select {
		case <-d.closeDone:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer close(d.closeDone)
	stop := afterGrace(ctx, d.endLife)
	d.waitFor(&d.admin, d.adminEnded)
	err := d.engine.Close(ctx)
	d.waitCalls()
	stop()
	d.endLife()
	<-d.followDone
	// After the engine, whose last deliveries may still tell some.
	if oerr := d.ops.close(ctx); err == nil {
		err = oerr
	}
	d.tel.close()
	if t, ok := d.client.Transport.(*http.Transport); ok && d.cfg.client == nil {
		t.CloseIdleConnections()
	}
	d.mu.RLock()
	for _, e := range d.byKey {
		closeIdle(e.hook.Load())
	}
	d.mu.RUnlock()
	d.lostMu.Lock()
	defer d.lostMu.Unlock()
	return errors.Join(append([]error{err}, d.lost...)...)
}
