package webhook

import (
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/outhook/outhook/template"
)

// Option configures a Dispatcher. Options are sealed: only this package
// makes them. A nil Option is ignored.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// QueuePolicy says what Publish does when a webhook's queue is full. Either
// way Publish first queues the event to every matching webhook with room,
// and a delivery it does not queue becomes a dead letter (reason "queue
// full: …") that Redeliver can queue again, named in a *QueueFullError.
// The default is QueueReject (WithQueue changes it).
type QueuePolicy int

const (
	// QueueBlock makes Publish wait for room in the full queues until its
	// ctx is done: a publisher that outruns a slow webhook slows down
	// instead of making dead letters, which suits a batch pipeline. But a
	// dead endpoint then holds every Publish for its whole deadline, and
	// with context.Background() for ever, so that the other webhooks get
	// events only as fast as the publisher gives up (with a 10 ms deadline,
	// under 1% of their throughput: see bench/RESULTS.md). A waiting
	// Publish goes on once an eighth of the queue is free, so that a
	// publisher held back runs once per batch of deliveries, not once per
	// delivery.
	QueueBlock QueuePolicy = iota
	// QueueReject makes Publish return at once, with a *QueueFullError for
	// the webhooks that are full; the other webhooks get the event as
	// usual. The default: a dead endpoint slows neither publishers nor
	// other webhooks, and its overflow is kept as dead letters.
	QueueReject
)

// URLPolicy relaxes Apono's URL rules (HTTPS only, default port only),
// for tests and for self-hosted targets. The zero URLPolicy is Apono's.
type URLPolicy struct {
	// AllowHTTP accepts http:// URLs.
	AllowHTTP bool
	// AllowCustomPorts accepts URLs with an explicit port.
	AllowCustomPorts bool
}

// Defaults of a Dispatcher, each changed by the option named after it.
const (
	DefaultWorkers          = 64
	DefaultConcurrency      = 16
	DefaultQueueSize        = 10000
	DefaultMaxResponseBytes = 64 << 10
)

type config struct {
	client           *http.Client
	engine           Engine
	store            InvocationStore
	onInvocation     func(Invocation)
	workers          int
	concurrency      int
	queueSize        int
	queuePolicy      QueuePolicy
	retry            RetryPolicy
	retryDecider     RetryDecider
	urlPolicy        URLPolicy
	schemas          map[Trigger]*Schema
	recordFiltered   bool
	maxResponseBytes int64
	allowTargets     []string
	templateOptions  []template.Option
	tracerProvider   trace.TracerProvider
	meterProvider    metric.MeterProvider
	propagate        bool
	propagator       propagation.TextMapPropagator
	breaker          BreakerSettings
	onBreaker        func(webhookID string, from, to BreakerState)
	logger           *slog.Logger
	now              func() time.Time
	userAgent        string
}

func newConfig(opts []Option) *config {
	c := &config{
		workers:          DefaultWorkers,
		concurrency:      DefaultConcurrency,
		queueSize:        DefaultQueueSize,
		queuePolicy:      QueueReject,
		retry:            DefaultRetryPolicy,
		retryDecider:     DefaultRetryDecider,
		schemas:          map[Trigger]*Schema{},
		maxResponseBytes: DefaultMaxResponseBytes,
		logger:           slog.New(slog.DiscardHandler),
		now:              time.Now,
		userAgent:        "Outhook/1",
	}
	for _, t := range AccessRequestTriggers() {
		c.schemas[t] = AccessRequestSchema()
	}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	return c
}

// WithHTTPClient sends requests with client instead of the Dispatcher's
// own, whose transport is tuned for many concurrent deliveries, dials
// through the SSRF guard, and follows no redirects. A client given here is
// used as it is: its transport is then responsible for what it may reach,
// its CheckRedirect should refuse redirects, and it should keep at least as
// many idle connections per host as there are workers. Never pass
// http.DefaultClient: it follows redirects and reaches any address.
func WithHTTPClient(client *http.Client) Option {
	return optionFunc(func(c *config) {
		if client != nil {
			c.client = client
		}
	})
}

// WithAllowedTargets lets deliveries reach addresses the SSRF guard blocks
// by default: loopback, private, link-local, CGNAT, multicast and cloud
// metadata addresses, and IPv4 addresses hidden in IPv6 forms. Each entry is
// a CIDR ("10.20.0.0/16"), an IP address ("127.0.0.1"), a host name
// ("hooks.internal", allowed whatever it resolves to) or a pattern
// ("*.corp.example", every name below corp.example). The guard checks every
// address a name resolves to when it dials, so DNS rebinding cannot slip
// past it. New fails on an entry it cannot read. The guard is on unless
// WithHTTPClient replaces the Dispatcher's client.
func WithAllowedTargets(entries ...string) Option {
	return optionFunc(func(c *config) { c.allowTargets = append(c.allowTargets, entries...) })
}

// WithTemplateOptions passes opts to every body template the Dispatcher
// parses, Test's included: custom helpers (template.WithHelpers), partials,
// strict mode. The template's name is always "body_template" and its mode
// JSON.
func WithTemplateOptions(opts ...template.Option) Option {
	return optionFunc(func(c *config) { c.templateOptions = append(c.templateOptions, opts...) })
}

// BreakerSettings tune the circuit breaker every webhook has. After
// Threshold failed attempts in a row (network errors, timeouts, 429 and 5xx)
// the breaker opens: no request is sent for Cooldown, then one probe is; if
// it succeeds the breaker closes, if not it opens again for twice as long,
// up to MaxCooldown. A 410 Gone disables the webhook's deliveries until
// ResetBreaker or Update. Zero fields mean the defaults.
type BreakerSettings struct {
	// Threshold is the run of failures that opens the breaker. Default 5;
	// negative turns the breaker off.
	Threshold int
	// Cooldown is how long the breaker first stays open. Default 30s.
	Cooldown time.Duration
	// MaxCooldown caps the growing cool-down. Default 10m.
	MaxCooldown time.Duration
	// FailFast makes deliveries fail at once, as dead letters, while the
	// breaker is open. By default they wait for it to close, holding no
	// worker and counting no attempt.
	FailFast bool
}

// BreakerState is the state of a webhook's circuit breaker.
type BreakerState string

// The breaker states.
const (
	BreakerClosed   BreakerState = "closed"
	BreakerOpen     BreakerState = "open"
	BreakerHalfOpen BreakerState = "half-open"
	BreakerDisabled BreakerState = "disabled"
)

// WithBreaker tunes the circuit breakers.
func WithBreaker(s BreakerSettings) Option {
	return optionFunc(func(c *config) { c.breaker = s })
}

// WithBreakerHook calls fn whenever a webhook's breaker changes state, so
// that the service can tell its admins that an endpoint is failing, or gone.
// fn runs on a delivery's goroutine, one call at a time per webhook; it
// must not call back into the Dispatcher synchronously.
func WithBreakerHook(fn func(webhookID string, from, to BreakerState)) Option {
	return optionFunc(func(c *config) { c.onBreaker = fn })
}

// WithEngine replaces the in-memory delivery engine, for instance with the
// durable one of the riverengine module.
func WithEngine(e Engine) Option {
	return optionFunc(func(c *config) {
		if e != nil {
			c.engine = e
		}
	})
}

// WithInvocationStore keeps invocation records and dead letters in s
// instead of a MemoryStore with its default bounds.
func WithInvocationStore(s InvocationStore) Option {
	return optionFunc(func(c *config) {
		if s != nil {
			c.store = s
		}
	})
}

// WithInvocationHook calls fn with every invocation record once it is
// stored. fn runs on the delivery's goroutine, so it must be quick and
// safe for concurrent use.
func WithInvocationHook(fn func(Invocation)) Option {
	return optionFunc(func(c *config) { c.onInvocation = fn })
}

// WithWorkers sets how many deliveries the in-memory engine runs at once,
// across all webhooks. Default DefaultWorkers.
func WithWorkers(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.workers = n
		}
	})
}

// WithConcurrency sets how many deliveries to one webhook may be in flight
// at once, unless the webhook's Delivery settings say otherwise; a slow
// endpoint holds at most this many workers. Default DefaultConcurrency.
func WithConcurrency(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.concurrency = n
		}
	})
}

// WithQueue sets how many deliveries to one webhook may be waiting, in
// flight or between retries (size), and what Publish does when there is no
// room (policy). Defaults DefaultQueueSize and QueueReject; a size of zero
// or less keeps the default size.
func WithQueue(size int, policy QueuePolicy) Option {
	return optionFunc(func(c *config) {
		if size > 0 {
			c.queueSize = size
		}
		c.queuePolicy = policy
	})
}

// WithRetryPolicy sets the retry policy of webhooks that have none of their
// own. Zero fields of p take DefaultRetryPolicy's values.
func WithRetryPolicy(p RetryPolicy) Option {
	return optionFunc(func(c *config) { c.retry = p.withDefaults() })
}

// WithRetryDecider replaces DefaultRetryDecider.
func WithRetryDecider(fn RetryDecider) Option {
	return optionFunc(func(c *config) {
		if fn != nil {
			c.retryDecider = fn
		}
	})
}

// WithURLPolicy relaxes the rules webhook URLs are checked against.
func WithURLPolicy(p URLPolicy) Option {
	return optionFunc(func(c *config) { c.urlPolicy = p })
}

// WithEventType declares an event type of the service's own, so that
// webhooks may name it as a trigger; a non-nil schema makes registration
// check templates and filters against it. Access-request triggers are
// declared already, with AccessRequestSchema; declaring one again replaces
// its schema.
func WithEventType(t Trigger, schema *Schema) Option {
	return optionFunc(func(c *config) { c.schemas[t.Canonical()] = schema })
}

// WithRecordFiltered records an invocation with outcome Filtered (and the
// filter's explanation as Reason) for every webhook whose filter rejects a
// published event, and Skipped for every inactive one. Off by default:
// it costs a record per webhook and event.
func WithRecordFiltered(on bool) Option {
	return optionFunc(func(c *config) { c.recordFiltered = on })
}

// WithMaxResponseBytes sets how much of a response body is kept in an
// invocation record. Validators read up to their own limit. Default
// DefaultMaxResponseBytes.
func WithMaxResponseBytes(n int64) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxResponseBytes = n
		}
	})
}

// WithLogger logs deliveries to l. By default the Dispatcher logs nothing.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) {
		if l != nil {
			c.logger = l
		}
	})
}

// WithUserAgent sets the User-Agent of requests whose webhook does not set
// one. Default "Outhook/1".
func WithUserAgent(ua string) Option {
	return optionFunc(func(c *config) { c.userAgent = ua })
}
