package webhook

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/operational"
)

// OperationalSettings tune the operational events (see
// WithOperationalEvents). Zero fields mean the defaults.
type OperationalSettings struct {
	// FailureThreshold is the run of failed attempts in a row that makes
	// a webhook failing. Default 5.
	FailureThreshold int
	// FailureRate makes a webhook failing when at least this share of its
	// attempts in the last Window failed, once it made MinAttempts there:
	// above 0, at most 1. Default 0.5.
	FailureRate float64
	// Window is the span FailureRate is measured over. Default 10m.
	Window time.Duration
	// MinAttempts is how many attempts the Window must hold before
	// FailureRate is judged. Default 20.
	MinAttempts int
	// RepeatEvery bounds how often the same event is sent about a
	// webhook: WebhookStillFailing comes at most this often while its
	// attempts fail, WebhookFailing at most once per this period (an
	// endpoint that flaps is told once), WebhookDisabled by its breaker
	// opening at most once per this period, TenantLimitReached at most
	// once per tenant and limit per this period. A clock (WithClock) set
	// back starts the period again from its new time. Default 1h.
	RepeatEvery time.Duration
	// DeadLetterEvery bounds WebhookDeadLettered to one per webhook per
	// this period; it carries, as suppressed, how many dead letters were
	// not told since the last one. Default 15m.
	DeadLetterEvery time.Duration
	// QueueSize bounds the events detected and not yet handed to Hook
	// and published; one more is dropped, counted and logged, so that a
	// delivery never waits for them. A dropped event is not taken as
	// told: WebhookFailing and WebhookStillFailing come with a later
	// failed attempt, the others count in the next one's suppressed, and
	// WebhookRecovered never follows a WebhookFailing that was dropped.
	// Default 1024, at most MaxOperationalQueue; the queue's room costs
	// a pointer per event until an event takes it.
	QueueSize int
	// Hook is called with every operational event, on a goroutine of the
	// Dispatcher's own: never on a delivery's, never twice at once, in
	// the order the events were detected. It may call the Dispatcher,
	// but for Close, which waits for it. A panic in it is recovered and
	// logged, and the event is still published. Nil calls nothing.
	Hook func(operational.Event)
	// Publish also publishes every operational event into the tenant of
	// the webhook it is about (Tenant(t).Publish), as an event of the
	// operational kind, so that a tenant's admins can point a webhook
	// with its triggers at them. It serves the kind, as
	// WithEventKind(operational.Kind()) does. Each Publish waits at most
	// OperationalPublishTimeout for room in the queues.
	Publish bool
}

// Defaults of OperationalSettings.
const (
	DefaultFailureThreshold = 5
	DefaultFailureRate      = 0.5
	DefaultFailureWindow    = 10 * time.Minute
	DefaultMinAttempts      = 20
	DefaultRepeatEvery      = time.Hour
	DefaultDeadLetterEvery  = 15 * time.Minute
	DefaultOperationalQueue = 1024
	// MaxOperationalQueue bounds QueueSize: its room, 8 MiB, is taken
	// when the Dispatcher is made.
	MaxOperationalQueue = 1 << 20
)

// OperationalPublishTimeout bounds each Publish of an operational event,
// so that a full queue under QueueBlock holds back the later events for
// no longer.
const OperationalPublishTimeout = 5 * time.Second

// WithOperationalEvents detects, per webhook, what the people running its
// endpoint act on, and tells it as operational events (see package
// operational): the webhook started failing (FailureThreshold failed
// attempts in a row, or FailureRate over Window), is failing still, recovered
// (an attempt delivered, or the breaker closed, after it was told
// failing), was disabled (410 Gone, or its breaker opened), a delivery
// became a dead letter, its tenant reached a limit (a webhook refused by
// MaxWebhooks, deliveries held by MaxInFlight or Rate). Each is
// deduplicated and rate-limited as the settings say, so that a dead
// endpoint yields a handful of events, not one per attempt.
//
// Every attempt of a delivery that got an outcome counts, retries
// included (an attempt cut short by Close does not); a delivery that ends
// without an attempt (an open breaker failing fast, a body that cannot be
// rendered) counts only as a dead letter. Test and Gate calls count for
// nothing, but a breaker a Gate call opens or closes is told as any other. Deliveries of
// operational events are not observed, nor are the breaker changes of a
// webhook whose triggers are all operational; those to a webhook with
// other triggers too are held or refused by its breaker while it is open
// or disabled but never counted by it, so that an operational delivery
// never causes another operational event about itself.
//
// Detection is in memory, per Dispatcher: with several instances of a
// service on one durable engine, each judges the attempts it makes and
// tells its own events. A webhook deleted is forgotten: created again
// under its id, it starts afresh. Events still queued, or detected, once
// Close has begun still reach Hook (Close waits for them as long as its
// ctx allows) but are no longer published. New fails with a *ConfigError on a negative field, a
// QueueSize above MaxOperationalQueue, or a FailureRate above 1 or not a
// number.
func WithOperationalEvents(s OperationalSettings) Option {
	return optionFunc(func(c *config) {
		if err := s.validate(); err != nil {
			c.reject("WithOperationalEvents", err)
			return
		}
		s = s.withDefaults()
		c.ops = &s
		if s.Publish {
			c.addKind(operational.Kind())
		}
	})
}

func (s OperationalSettings) validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"FailureThreshold", int64(s.FailureThreshold)}, {"Window", int64(s.Window)}, {"MinAttempts", int64(s.MinAttempts)},
		{"RepeatEvery", int64(s.RepeatEvery)}, {"DeadLetterEvery", int64(s.DeadLetterEvery)}, {"QueueSize", int64(s.QueueSize)},
	} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("%s is negative", f.name))
		}
	}
	if s.QueueSize > MaxOperationalQueue {
		errs = append(errs, fmt.Errorf("QueueSize %d is above MaxOperationalQueue (%d)", s.QueueSize, MaxOperationalQueue))
	}
	if math.IsNaN(s.FailureRate) || s.FailureRate < 0 || s.FailureRate > 1 {
		errs = append(errs, fmt.Errorf("FailureRate %v; want above 0 and at most 1", s.FailureRate))
	}
	return errors.Join(errs...)
}

func (s OperationalSettings) withDefaults() OperationalSettings {
	s.FailureThreshold = cmp.Or(s.FailureThreshold, DefaultFailureThreshold)
	s.MinAttempts = cmp.Or(s.MinAttempts, DefaultMinAttempts)
	s.QueueSize = cmp.Or(s.QueueSize, DefaultOperationalQueue)
	s.Window = cmp.Or(s.Window, DefaultFailureWindow)
	s.RepeatEvery = cmp.Or(s.RepeatEvery, DefaultRepeatEvery)
	s.DeadLetterEvery = cmp.Or(s.DeadLetterEvery, DefaultDeadLetterEvery)
	s.FailureRate = cmp.Or(s.FailureRate, DefaultFailureRate)
	return s
}

// opsBuckets is how many slices a window is counted in: the failure
// rate forgets an old attempt within a twentieth of the window.
const opsBuckets = 20

// ops detects the operational events of a Dispatcher's webhooks and hands
// them to one goroutine, which calls the hook and publishes them.
type ops struct {
	s      OperationalSettings
	d      *Dispatcher
	hooks  sync.Map // queue key -> *opsWebhook
	limMu  sync.Mutex
	limits map[string]*opsGate     // tenant + limit name
	queue  chan *operational.Event // pointers: room for QueueSize events costs 8 bytes each
	// dropped counts the events the full queue refused; warned is when
	// the last warning about them was logged, in Unix nanoseconds.
	dropped atomic.Int64
	warned  atomic.Int64
	// unsent counts the events queued and not yet handed over, so that
	// close tells a ctx that ended with none left from one that cut them.
	unsent atomic.Int64
	stop   chan struct{}
	done   chan struct{}
}

func newOps(d *Dispatcher, s OperationalSettings) *ops {
	return &ops{
		s: s, d: d, limits: map[string]*opsGate{},
		queue: make(chan *operational.Event, s.QueueSize),
		stop:  make(chan struct{}), done: make(chan struct{}),
	}
}

// opsGate lets one event through per period and counts those it holds.
type opsGate struct {
	last       time.Time
	sent       bool // last is set: a clock may read the zero time
	suppressed int
}

// due reports whether an event may pass at now. A clock set back before
// the last one starts the period again from now, so that it holds the
// events for a period of its new time, not until its old time returns.
func (g *opsGate) due(now time.Time, every time.Duration) bool {
	if !g.sent {
		return true
	}
	if now.Before(g.last) {
		g.last = now
	}
	return now.Sub(g.last) >= every
}

// hold starts a period at now in which no event passes.
func (g *opsGate) hold(now time.Time) {
	g.last, g.sent = now, true
}

// pass records an event sent at now and returns how many were held back
// before it.
func (g *opsGate) pass(now time.Time) int {
	n := g.suppressed
	g.last, g.sent, g.suppressed = now, true, 0
	return n
}

type opsBucket struct {
	slot               int64 // which slice of time it counts (opsSlot)
	attempts, failures int32
}

// opsEpoch is where the slices of opsSlot are counted from.
var opsEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// opsSlot numbers the slice of width that now falls in. It counts from
// opsEpoch with Sub rather than from 1970 with UnixNano, which wraps past
// 2262: a host's clock may read any time, and one more than 292 years
// from 2000 only counts every attempt in one slice.
func opsSlot(now time.Time, width time.Duration) int64 {
	d := now.Sub(opsEpoch)
	slot := int64(d / width)
	if d%width < 0 {
		slot-- // floor, before the epoch
	}
	return slot
}

// opsWebhook is what the detector knows of one webhook.
type opsWebhook struct {
	mu          sync.Mutex
	buckets     [opsBuckets]opsBucket
	consecutive int
	failing     bool // by the settings' rule, told or not
	told        bool // Failing was sent for this run of failures
	cause       string
	since       time.Time
	lastStatus  int
	lastReason  string
	failingGate opsGate
	stillGate   opsGate
	recovGate   opsGate
	openGate    opsGate
	deadGate    opsGate
}

// webhook returns what the detector knows of the webhook (tenant, id),
// new on first use. If registered, that is kept only while this instance
// has the webhook: checked under d.mu, as forget runs, so that a delivery
// ending after its webhook was deleted leaves nothing behind for one
// created again under its id. Otherwise (a dead letter of a webhook this
// instance has not loaded) it is kept in any case, to rate-limit them.
func (o *ops) webhook(tenant, id string, registered bool) *opsWebhook {
	key := queueKey(tenant, id)
	if v, ok := o.hooks.Load(key); ok {
		return v.(*opsWebhook)
	}
	if registered {
		o.d.mu.RLock()
		defer o.d.mu.RUnlock()
		if o.d.byKey[key] == nil {
			return &opsWebhook{}
		}
	}
	v, _ := o.hooks.LoadOrStore(key, &opsWebhook{})
	return v.(*opsWebhook)
}

// forget drops what the detector knows of the webhook of key, deleted:
// one created again under its id starts afresh.
func (o *ops) forget(key string) {
	if o != nil {
		o.hooks.Delete(key)
	}
}

// window counts the attempts and failures of the window ending at now.
func (w *opsWebhook) window(now time.Time, width time.Duration) (attempts, failures int) {
	cur := opsSlot(now, width)
	for _, b := range w.buckets {
		if age := cur - b.slot; age >= 0 && age < opsBuckets {
			attempts += int(b.attempts)
			failures += int(b.failures)
		}
	}
	return attempts, failures
}

// bucket returns the bucket counting now, emptied if it last counted
// another slice.
func (w *opsWebhook) bucket(now time.Time, width time.Duration) *opsBucket {
	slot := opsSlot(now, width)
	i := slot % opsBuckets
	if i < 0 {
		i += opsBuckets
	}
	b := &w.buckets[i]
	if b.slot != slot {
		*b = opsBucket{slot: slot}
	}
	return b
}

// width is how long a slice of the window is.
func (o *ops) width() time.Duration {
	return max(o.s.Window/opsBuckets, 1) // a window of a few nanoseconds, in a test
}

// breakerState reads h's breaker. Never with an opsWebhook's mu held:
// reading may move the breaker on (open to half-open), which tells
// breaker, which takes it.
func breakerState(h *hook) string {
	if h.breaker == nil {
		return ""
	}
	return h.breaker.State().String()
}

// data fills what every event about h says; the caller holds w.mu.
func (o *ops) data(h *hook, w *opsWebhook, now time.Time, cause, reason, state string) operational.Data {
	d := operational.Data{
		Tenant: h.tenant, WebhookID: h.def.ID, WebhookName: h.def.Name, TargetHost: h.endpointOf().addr,
		Cause: cause, Reason: reason, WindowSeconds: int64(o.s.Window / time.Second), BreakerState: state,
	}
	if w != nil {
		d.ConsecutiveFailures = w.consecutive
		d.Attempts, d.Failures = w.window(now, o.width())
		if d.Attempts > 0 {
			d.FailureRate = float64(d.Failures) / float64(d.Attempts)
		}
		if w.failing {
			ts := event.TimestampOf(w.since)
			d.FailingSince = &ts
		}
		if w.lastStatus != 0 {
			code := w.lastStatus
			d.LastStatusCode = &code
		}
	}
	return d
}

// attempt observes an attempt of del that got an outcome: delivered, or
// failed with status (0 without a response) and the redacted reason.
func (o *ops) attempt(h *hook, del *delivery, delivered bool, status int, reason string) {
	if o == nil || operational.Is(del.Event.Type()) {
		return
	}
	state, now := breakerState(h), o.d.cfg.now()
	w := o.webhook(h.tenant, h.def.ID, true)
	w.mu.Lock()
	defer w.mu.Unlock()
	width := o.width()
	b := w.bucket(now, width)
	b.attempts++
	w.lastStatus = status
	if delivered {
		failed := w.consecutive
		w.consecutive = 0
		o.recover(h, w, now, operational.CauseDelivered, fmt.Sprintf("delivered after %d failed attempts", failed), state)
		return
	}
	b.failures++
	w.consecutive++
	w.lastReason = reason
	if !w.failing {
		cause := ""
		if w.consecutive >= o.s.FailureThreshold {
			cause = operational.CauseConsecutiveFailures
		} else if n, f := w.window(now, width); n >= o.s.MinAttempts && float64(f) >= o.s.FailureRate*float64(n) {
			cause = operational.CauseFailureRate
		}
		if cause == "" {
			return
		}
		w.failing, w.told, w.since, w.cause = true, false, now, cause
		if !w.failingGate.due(now, o.s.RepeatEvery) {
			w.failingGate.suppressed++ // a flapping endpoint: told once per period
			return
		}
	}
	if !w.told {
		// Held back when it began, or dropped by a full queue: told with
		// the first failed attempt the gate and the queue let through.
		if w.failingGate.due(now, o.s.RepeatEvery) && o.tell(h, w, now, operational.Failing, &w.failingGate, w.cause, reason, state) {
			w.stillGate.hold(now)
			w.told = true
		}
		return
	}
	if w.stillGate.due(now, o.s.RepeatEvery) {
		o.tell(h, w, now, operational.StillFailing, &w.stillGate, operational.CauseFailing, reason, state)
	}
}

// recover ends w's run of failures; the caller holds w.mu.
func (o *ops) recover(h *hook, w *opsWebhook, now time.Time, cause, reason, state string) {
	if !w.failing {
		return
	}
	told := w.told
	w.failing, w.told = false, false
	if !told {
		w.recovGate.suppressed++ // its Failing was held back too
		return
	}
	if !o.tell(h, w, now, operational.Recovered, &w.recovGate, cause, reason, state) {
		w.recovGate.suppressed++
	}
}

// breaker observes h's breaker entering state to.
func (o *ops) breaker(h *hook, to BreakerState) {
	if o == nil || allOperational(h.def.Triggers) {
		return
	}
	now := o.d.cfg.now()
	w := o.webhook(h.tenant, h.def.ID, true)
	w.mu.Lock()
	defer w.mu.Unlock()
	switch to {
	case BreakerDisabled:
		if !o.tell(h, w, now, operational.Disabled, &w.openGate, operational.CauseGone, cmp.Or(w.lastReason, "the endpoint answered 410 Gone"), string(to)) {
			w.openGate.suppressed++
		}
	case BreakerOpen:
		if !w.openGate.due(now, o.s.RepeatEvery) || !o.tell(h, w, now, operational.Disabled, &w.openGate, operational.CauseBreaker,
			fmt.Sprintf("circuit breaker opened: no request is sent until its cool-down ends; last failure: %s", w.lastReason), string(to)) {
			w.openGate.suppressed++
		}
	case BreakerClosed:
		w.consecutive = 0
		o.recover(h, w, now, operational.CauseBreakerClosed, "the circuit breaker closed", string(to))
	}
}

// uncounted reports whether del, an operational delivery to h, a webhook
// with other triggers too, goes uncounted by h's breaker: counted, it
// could open or close it, and so cause an operational event about h. It
// is still held or refused while the breaker is open or disabled, but is
// never its probe. The breaker of a webhook with operational triggers
// only counts them, but its changes are not told.
func (o *ops) uncounted(h *hook, del *delivery) bool {
	return o != nil && operational.Is(del.Event.Type()) && !allOperational(h.def.Triggers)
}

func allOperational(ts []event.Trigger) bool {
	for _, t := range ts {
		if !operational.Is(t) {
			return false
		}
	}
	return len(ts) > 0
}

// deadLettered observes dl, a delivery of h (nil when this instance does
// not have the webhook) stored as a dead letter.
func (o *ops) deadLettered(h *hook, dl DeadLetter) {
	if o == nil || dl.Event == nil || operational.Is(dl.Event.Type()) {
		return
	}
	registered := h != nil
	if h == nil {
		h = &hook{tenant: dl.Tenant, def: Webhook{ID: dl.WebhookID}}
	}
	state, now := breakerState(h), o.d.cfg.now()
	w := o.webhook(dl.Tenant, dl.WebhookID, registered)
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.deadGate.due(now, o.s.DeadLetterEvery) {
		w.deadGate.suppressed++
		return
	}
	data := o.data(h, w, now, operational.CauseDeadLetter, dl.Reason, state)
	data.DeadLetter = &operational.DeadLetter{DeliveryID: dl.DeliveryID, EventID: dl.Event.ID(), EventType: dl.Event.Type(), Attempts: dl.Attempts}
	data.Suppressed = w.deadGate.suppressed
	if o.send(operational.DeadLettered, now, data) {
		w.deadGate.pass(now)
	} else {
		w.deadGate.suppressed++
	}
}

// tenantLimited observes tenant reaching its limit named limit, whose
// value is max, on a delivery of h (nil for a refused webhook, named
// name).
func (o *ops) tenantLimited(tenant string, h *hook, del *delivery, limit string, max int, reason string) {
	if o == nil || del != nil && operational.Is(del.Event.Type()) {
		return
	}
	now := o.d.cfg.now()
	o.limMu.Lock()
	g := o.limits[tenant+keySep+limit]
	if g == nil {
		g = &opsGate{}
		o.limits[tenant+keySep+limit] = g
	}
	if !g.due(now, o.s.RepeatEvery) {
		g.suppressed++
		o.limMu.Unlock()
		return
	}
	// Passed before it is queued, so that concurrent deliveries held by
	// the limit tell it once; given back if the queue drops it.
	prev := *g
	suppressed := g.pass(now)
	o.limMu.Unlock()

	data := operational.Data{Tenant: tenant, Cause: operational.CauseLimit, Reason: reason, WindowSeconds: int64(o.s.Window / time.Second)}
	if h != nil {
		state := breakerState(h)
		w := o.webhook(h.tenant, h.def.ID, true)
		w.mu.Lock()
		data = o.data(h, w, now, operational.CauseLimit, reason, state)
		w.mu.Unlock()
	}
	data.Limit = &operational.Limit{Name: limit, Max: max}
	data.Suppressed = suppressed
	if !o.send(operational.TenantLimited, now, data) {
		o.limMu.Lock()
		if g.last.Equal(now) { // no later one passed
			g.last, g.sent = prev.last, prev.sent
		}
		g.suppressed += suppressed + 1
		o.limMu.Unlock()
	}
}

// tell sends trigger about h through gate, h's breaker being in state,
// and reports whether it was queued: the gate passes only then, so that
// the caller can tell it again or count it as held back. The caller
// holds w.mu.
func (o *ops) tell(h *hook, w *opsWebhook, now time.Time, trigger event.Trigger, gate *opsGate, cause, reason, state string) bool {
	data := o.data(h, w, now, cause, reason, state)
	if trigger != operational.StillFailing {
		data.Suppressed = gate.suppressed
	}
	if !o.send(trigger, now, data) {
		return false
	}
	gate.pass(now)
	return true
}

// send queues an event for the goroutine of run and reports true, or
// drops it when the queue is full: a delivery never waits for it.
func (o *ops) send(trigger event.Trigger, now time.Time, data operational.Data) bool {
	ev := &operational.Event{EventType: trigger, EventTime: event.TimestampOf(now), EventID: "op-" + newID(), Data: data}
	o.unsent.Add(1)
	select {
	case o.queue <- ev:
		return true
	default:
	}
	o.unsent.Add(-1)
	n := o.dropped.Add(1)
	last := o.warned.Load()
	if wall := time.Now().UnixNano(); wall-last >= int64(time.Minute) && o.warned.CompareAndSwap(last, wall) {
		o.d.cfg.logger.Warn("webhook: operational events dropped, their queue is full", "dropped", n, "event_type", string(trigger), "tenant", data.Tenant, "webhook_id", data.WebhookID)
	}
	return false
}

// run hands every queued event to the hook and publishes it, until
// close; then it hands over those left in the queue.
func (o *ops) run() {
	defer close(o.done)
	for {
		select {
		case ev := <-o.queue:
			o.emit(*ev)
		case <-o.stop:
			for {
				select {
				case ev := <-o.queue:
					o.emit(*ev)
				default:
					return
				}
			}
		}
	}
}

func (o *ops) emit(ev operational.Event) {
	defer o.unsent.Add(-1)
	o.callHook(ev)
	if !o.s.Publish || o.d.closed.Load() {
		return
	}
	e, err := event.New(ev.EventType, ev.Data, event.WithTime(ev.EventTime), event.WithID(ev.EventID))
	if err == nil {
		ctx, cancel := context.WithTimeout(o.d.life, OperationalPublishTimeout)
		_, err = o.d.Tenant(ev.Data.Tenant).Publish(ctx, e)
		cancel()
	}
	if err != nil && !errors.Is(err, ErrClosed) {
		o.d.cfg.logger.Warn("webhook: publishing an operational event", "event_type", string(ev.EventType), "event_id", ev.EventID,
			"tenant", ev.Data.Tenant, "webhook_id", ev.Data.WebhookID, "error", err)
	}
}

// callHook hands ev to the Hook. A Hook that panics is the host's bug,
// but it must cost neither the process nor the events after this one:
// the panic is logged and the event still published.
func (o *ops) callHook(ev operational.Event) {
	if o.s.Hook == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			o.d.cfg.logger.Error("webhook: the operational events' Hook panicked", "event_type", string(ev.EventType), "event_id", ev.EventID,
				"tenant", ev.Data.Tenant, "webhook_id", ev.Data.WebhookID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	o.s.Hook(ev)
}

// close stops run once it has handed over the events queued, or when
// ctx is done.
func (o *ops) close(ctx context.Context) error {
	if o == nil {
		return nil
	}
	close(o.stop)
	select {
	case <-o.done:
		return nil
	case <-ctx.Done():
		if o.unsent.Load() == 0 {
			<-o.done // none to hand over: it is returning
			return nil
		}
		return fmt.Errorf("webhook: operational events not all handed over: %w", ctx.Err())
	}
}
