package webhook

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/netguard"
	"github.com/outhook/outhook/keyring"
	"github.com/outhook/outhook/template"
)

// Option configures a Dispatcher. Options are sealed: only this package
// makes them. A nil Option is ignored. An option given a value outside the
// range its documentation states makes New fail with a *ConfigError; an
// option given nil where it takes a func, an interface or a pointer keeps
// the default.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// ErrInvalidConfig is what every *ConfigError is, for errors.Is.
var ErrInvalidConfig = errors.New("invalid configuration")

// ConfigError reports an option New cannot accept. New returns one, or,
// when several options are wrong, all of them joined with errors.Join, so
// that errors.As finds each.
type ConfigError struct {
	// Option names the option at fault: "WithWorkers",
	// "WithRetryPolicy.multiplier".
	Option string
	// Err says what is wrong with its value.
	Err error
}

func (e *ConfigError) Error() string { return "webhook: " + e.Option + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *ConfigError) Unwrap() error { return e.Err }

// Is reports whether target is ErrInvalidConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// reject records that option cannot take its value, for New to return.
func (c *config) reject(option string, err error) {
	c.errs = append(c.errs, &ConfigError{Option: option, Err: err})
}

// err returns the problems the options recorded: nil, the one
// *ConfigError, or all of them joined.
func (c *config) err() error {
	if len(c.errs) == 1 {
		return c.errs[0]
	}
	return errors.Join(c.errs...)
}

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
// for tests and for self-hosted targets, and says how far a definition may
// relax them for itself with its url_policy (see Webhook.URLPolicy): a
// definition never relaxes more than its Dispatcher lets it, and no
// definition can turn off the SSRF guard (see WithAllowedTargets). The
// zero URLPolicy is Apono's and lets definitions relax nothing. New fails
// with a *ConfigError on a DefinitionPorts entry outside 1 to 65535.
type URLPolicy struct {
	// AllowHTTP accepts http:// URLs in every definition.
	AllowHTTP bool
	// AllowCustomPorts accepts URLs with an explicit port in every
	// definition.
	AllowCustomPorts bool
	// DefinitionsMayAllowHTTP lets a definition with url_policy.allow_http
	// use an http:// URL; other definitions still need HTTPS.
	DefinitionsMayAllowHTTP bool
	// DefinitionPorts lists the ports a definition with
	// url_policy.allow_custom_port may name in its URL (8088 for Splunk
	// HEC, say); other definitions, and other ports, are refused. Empty
	// means a definition may ask for no custom port.
	DefinitionPorts []int
}

// Defaults of a Dispatcher, each changed by the option named after it.
const (
	DefaultWorkers          = 64
	DefaultConcurrency      = 16
	DefaultQueueSize        = 10000
	DefaultMaxResponseBytes = 64 << 10
)

// DefaultStallThreshold is how long an attempt of the in-memory engine
// may be in flight before it stalls and stops counting against the
// workers (see WithStallThreshold). Receivers are asked to answer webhooks
// within seconds, and most answer in well under one, so an attempt
// still in flight after 2 s is most likely stalled; at 2 s a dead
// endpoint holds a worker for a fifteenth of the default attempt timeout
// (DefaultTimeout), and a healthy but slow one is seldom counted out of
// the pool.
const DefaultStallThreshold = 2 * time.Second

// MinStallThreshold is the shortest stall threshold WithStallThreshold
// takes. A receiver on the same network answers within a few
// milliseconds; below 10 ms, the scheduler's own delays would count
// healthy attempts as stalled, and a value that small is most likely a
// unit mistake (WithStallThreshold(2) is 2 ns).
const MinStallThreshold = 10 * time.Millisecond

// DefaultStalledPerWorker is how many stalled attempts per worker may go
// on beside the pool unless WithStalledAttempts says otherwise: four
// times as many as the workers.
const DefaultStalledPerWorker = 4

// MaxResponseHeaderBytes bounds the head of an answer (its status line and
// headers) that the Dispatcher's own client reads: a receiver that sends
// more fails the attempt. Records keep an answer's headers, so without a
// bound a receiver could make each record hold megabytes.
const MaxResponseHeaderBytes = 64 << 10

// DefaultRenderLimit bounds the rendering of every body template (see
// template.WithRenderLimit, which WithTemplateOptions may give to raise
// it): 4 MiB of body, or as much work. A template's loops nested over an
// event multiply, so that a few hundred bytes of template could
// otherwise ask a delivery, a test or a preview for terabytes.
const DefaultRenderLimit = 4 << 20

type config struct {
	client           *http.Client
	engine           engine.Engine
	store            InvocationStore
	onInvocation     func(Invocation)
	workers          int
	stallThreshold   time.Duration
	maxStalled       int // -1: DefaultStalledPerWorker per worker
	concurrency      int
	queueSize        int
	queuePolicy      QueuePolicy
	retry            RetryPolicy
	retryDecider     RetryDecider
	urlPolicy        URLPolicy
	schemas          map[event.Trigger]*event.Schema
	mocks            map[event.Trigger]*event.Event // the Test button's event of each trigger that has one
	kinds            map[event.Trigger]string       // the name of the kind that serves each trigger
	recordFiltered   bool
	maxResponseBytes int64
	allowTargets     []string
	proxy            *url.URL // nil: direct
	proxyTLS         *tls.Config
	templateOptions  []template.Option
	tracerProvider   trace.TracerProvider
	meterProvider    metric.MeterProvider
	propagate        bool
	propagator       propagation.TextMapPropagator
	breaker          BreakerSettings
	onBreaker        func(webhookID string, from, to BreakerState)
	onTenantBreaker  func(tenant, webhookID string, from, to BreakerState)
	logger           *slog.Logger
	now              func() time.Time
	jitter           func() float64 // nil: math/rand/v2; tests replace it
	userAgent        string
	errs             []error // options New rejects
	unknownGrace     time.Duration
	defs             defstore.Store
	keyring          *keyring.Keyring
	syncInterval     time.Duration
	tenantLimits     func(tenant string) TenantLimits
	onChange         func(defstore.Revision)
	shared           compiledValues // compiled bodies, filters and JSON paths, shared by content
	actions          map[string]ActionFunc
	ops              *OperationalSettings // nil: no operational events
	detector         *ops                 // set by New when ops is
}

func newConfig(opts []Option) *config {
	c := &config{
		workers:          DefaultWorkers,
		stallThreshold:   DefaultStallThreshold,
		maxStalled:       -1,
		concurrency:      DefaultConcurrency,
		queueSize:        DefaultQueueSize,
		queuePolicy:      QueueReject,
		retry:            DefaultRetryPolicy,
		retryDecider:     DefaultRetryDecider,
		schemas:          map[event.Trigger]*event.Schema{},
		mocks:            map[event.Trigger]*event.Event{},
		kinds:            map[event.Trigger]string{},
		maxResponseBytes: DefaultMaxResponseBytes,
		logger:           slog.New(slog.DiscardHandler),
		now:              time.Now,
		userAgent:        "Outhook/1",
		unknownGrace:     DefaultUnknownWebhookGrace,
		syncInterval:     DefaultSyncInterval,
		templateOptions:  []template.Option{template.WithRenderLimit(DefaultRenderLimit)},
	}
	c.addKind(accessrequest.Kind())
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	if ar, ok := c.defs.(defstore.AtRest); ok && ar.AtRest() && c.keyring == nil {
		c.reject("WithDefinitionStore", errors.New("the store keeps definitions at rest, and their secrets need WithKeyring to be sealed there"))
	}
	if c.maxStalled < 0 {
		c.maxStalled = DefaultStalledPerWorker * c.workers
	}
	if c.proxy != nil && c.client != nil {
		c.reject("WithProxy", errors.New("WithHTTPClient's client is used as it is, with no proxy added"))
	}
	if c.proxyTLS != nil && (c.proxy == nil || c.proxy.Scheme != "https") {
		c.reject("WithProxyTLS", errors.New("it configures the TLS to an https proxy, and WithProxy names none"))
	}
	return c
}

// WithHTTPClient sends requests with client instead of the Dispatcher's
// own, whose transport is tuned for many concurrent deliveries, dials
// through the SSRF guard, and follows no redirects. A client given here is
// used as it is: its transport is then responsible for what it may reach,
// its CheckRedirect should refuse redirects, it should keep at least as
// many idle connections per host as there are workers and stalled
// attempts (WithStalledAttempts), and its
// MaxResponseHeaderBytes bounds what records keep of an answer's
// headers (MaxResponseHeaderBytes is the Dispatcher's own). Never pass
// http.DefaultClient: it follows redirects and reaches any address. A nil
// client keeps the Dispatcher's own.
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
// past it; through WithProxy's proxy, before each request (see WithProxy
// for what that leaves to the proxy). New fails with a *ConfigError on an entry it cannot read (an
// empty one included). The guard is on unless WithHTTPClient replaces the
// Dispatcher's client; the entries then have no effect.
func WithAllowedTargets(entries ...string) Option {
	return optionFunc(func(c *config) { c.allowTargets = append(c.allowTargets, entries...) })
}

// WithProxy sends every request of the Dispatcher's own client, OAuth
// token requests included, through the forward proxy at proxyURL, such as
// "http://user:password@proxy.internal:3128", so that deliveries leave
// from the proxy's addresses. With an https:// URL the connection to the
// proxy is TLS too (see WithProxyTLS for its roots); a webhook's own TLS
// settings are for its target and never shown to the proxy. A host name
// in Unicode is dialled by its ASCII (punycode) form. An https target is
// reached in a CONNECT tunnel, so TLS runs end to end and the proxy sees
// only the host and port; an http target is sent to the proxy in absolute
// form. The URL's
// userinfo becomes the Proxy-Authorization header (Basic), which no
// record, log, error or span shows: the password and the header's value are
// redacted wherever a webhook's secrets are, a response the proxy answers
// for an http target (a 403 page, say) included. A proxy answering 407
// Proxy Authentication Required fails the attempt as a network error does,
// retried, for an http target as for an https one. The proxy's address is not checked by
// the SSRF guard (it is the host's own choice), but the target is, before
// each request and each redirect: its name is resolved here and every
// address checked as a direct dial checks it, and a blocked one fails the
// delivery before the proxy is asked for anything. The host must therefore
// resolve the targets' names itself. The proxy resolves the name again
// when it connects; a name whose owner answers that lookup with a blocked
// address (DNS rebinding) would get through, so the proxy should refuse
// the private ranges too. New fails with a *ConfigError when proxyURL is
// not http[s]://[userinfo@]host[:port] (the error does not quote it; a
// socks5:// proxy is refused so, since its credentials would travel in
// clear and net/http's SOCKS client reports a refusal as no more than a
// failed dial), or when WithHTTPClient is given too, since that client is
// used as it is. An empty proxyURL means no proxy.
func WithProxy(proxyURL string) Option {
	return optionFunc(func(c *config) {
		if proxyURL == "" {
			c.proxy = nil
			return
		}
		u, err := netguard.CheckProxyURL(proxyURL)
		if err != nil {
			c.reject("WithProxy", err)
			return
		}
		c.proxy = u
	})
}

// WithProxyTLS sets the TLS configuration of the connection to
// WithProxy's https proxy: roots to verify it with (RootCAs, for a proxy
// with a private CA), a client certificate for it. The Dispatcher uses a
// clone, with ServerName the proxy's host when empty, TLS 1.2 at least and
// HTTP/1.1 the only protocol offered. Nil means the default: the system's
// roots. New fails with a *ConfigError when it is given and WithProxy
// names no https proxy, since it would go unused.
func WithProxyTLS(tlsConfig *tls.Config) Option {
	return optionFunc(func(c *config) { c.proxyTLS = tlsConfig.Clone() })
}

// proxySecrets lists the proxy's password and the Proxy-Authorization
// credentials made of it, for every webhook's redactor: a proxy's error
// page, recorded as the response of an http target, may quote them.
func (c *config) proxySecrets() []string {
	if c.proxy == nil || c.proxy.User == nil {
		return nil
	}
	password, _ := c.proxy.User.Password()
	basic := base64.StdEncoding.EncodeToString([]byte(c.proxy.User.Username() + ":" + password))
	return []string{password, "Basic " + basic, basic}
}

// WithTemplateOptions passes opts to every body template the Dispatcher
// parses, Test's included: custom helpers (template.WithHelpers), partials,
// strict mode, a render limit other than DefaultRenderLimit. The
// template's name is always "body_template" and its mode JSON. The
// options are checked with each template, when a webhook is registered;
// nil options are ignored.
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
	// negative turns the breaker off, 410 Gone handling included.
	Threshold int
	// Cooldown is how long the breaker first stays open: positive, or zero
	// for the default 30s.
	Cooldown time.Duration
	// MaxCooldown caps the growing cool-down: at least Cooldown, or zero
	// for the default 10m (or Cooldown, when that is longer).
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

// WithBreaker tunes the circuit breakers. New fails with a *ConfigError
// on a negative Cooldown or MaxCooldown, or a MaxCooldown below Cooldown.
func WithBreaker(s BreakerSettings) Option {
	return optionFunc(func(c *config) {
		if err := s.validate(); err != nil {
			c.reject("WithBreaker", err)
			return
		}
		c.breaker = s
	})
}

func (s BreakerSettings) validate() error {
	switch {
	case s.Cooldown < 0:
		return fmt.Errorf("cooldown %s is negative", s.Cooldown)
	case s.MaxCooldown < 0:
		return fmt.Errorf("max cooldown %s is negative", s.MaxCooldown)
	case s.MaxCooldown != 0 && s.MaxCooldown < s.Cooldown:
		return fmt.Errorf("max cooldown %s is below the cooldown %s", s.MaxCooldown, s.Cooldown)
	}
	return nil
}

// WithBreakerHook calls fn whenever a breaker of a webhook of the
// single-tenant service (Tenant("")'s, added with Add) changes state, so
// that the service can tell its admins that an endpoint is failing, or
// gone. Other tenants' webhooks may share an id with those, so they are
// told to WithTenantBreakerHook's fn only. fn runs on the goroutine that
// changed the state (a delivery's; ResetBreaker's; or, for a breaker an
// update replaced while it was not closed, or one another instance's
// ResetBreaker reset, the one that read the change from the definition
// store), one call at a time per webhook; it must not call back into the
// Dispatcher synchronously, nor block: for a breaker reset by a change
// read from the store it runs while this instance's reads of the
// definition store (its follower, writes, a Gate looking a webhook up)
// wait for it. Given more than once, every fn is called, in the order the
// options were given; a nil fn is ignored.
func WithBreakerHook(fn func(webhookID string, from, to BreakerState)) Option {
	return optionFunc(func(c *config) {
		switch prev := c.onBreaker; {
		case fn == nil:
		case prev == nil:
			c.onBreaker = fn
		default:
			c.onBreaker = func(id string, from, to BreakerState) { prev(id, from, to); fn(id, from, to) }
		}
	})
}

// WithTenantBreakerHook is WithBreakerHook for the webhooks of every
// tenant, "" included: fn is told the tenant whose webhook's breaker
// changed state, so that the service tells that tenant's admins.
func WithTenantBreakerHook(fn func(tenant, webhookID string, from, to BreakerState)) Option {
	return optionFunc(func(c *config) {
		switch prev := c.onTenantBreaker; {
		case fn == nil:
		case prev == nil:
			c.onTenantBreaker = fn
		default:
			c.onTenantBreaker = func(tenant, id string, from, to BreakerState) {
				prev(tenant, id, from, to)
				fn(tenant, id, from, to)
			}
		}
	})
}

// WithEngine replaces the in-memory delivery engine, for instance with the
// durable one of the riverengine module. A nil e keeps the in-memory one.
// An engine that keeps its own records (a StoreEngine) brings its
// InvocationStore too, unless WithInvocationStore says otherwise.
func WithEngine(e engine.Engine) Option {
	return optionFunc(func(c *config) {
		if e != nil {
			c.engine = e
		}
	})
}

// WithInvocationStore keeps invocation records and dead letters in s
// instead of a MemoryStore with its default bounds. A nil s keeps the
// MemoryStore.
func WithInvocationStore(s InvocationStore) Option {
	return optionFunc(func(c *config) {
		if s != nil {
			c.store = s
		}
	})
}

// WithInvocationHook calls fn with every invocation record once it is
// stored. fn runs on the delivery's goroutine, so it must be quick and
// safe for concurrent use. What the record points to (Request, Response,
// their headers, Validation) is the stored record's too, with a
// MemoryStore read by others at the same time, and its header values are
// the webhook's other records' too: fn must not modify it.
// Given more than once, every fn is called, in the order the options were
// given; a nil fn is ignored.
func WithInvocationHook(fn func(Invocation)) Option {
	return optionFunc(func(c *config) {
		switch prev := c.onInvocation; {
		case fn == nil:
		case prev == nil:
			c.onInvocation = fn
		default:
			c.onInvocation = func(inv Invocation) { prev(inv); fn(inv) }
		}
	})
}

// WithWorkers sets how many deliveries the in-memory engine runs at once,
// across all webhooks, besides the stalled attempts (WithStalledAttempts
// bounds those); the Dispatcher's own client keeps as many idle
// connections per host as the two together (with WithEngine, as the
// workers). At least 1; default DefaultWorkers.
func WithWorkers(n int) Option {
	return optionFunc(func(c *config) {
		if n < 1 {
			c.reject("WithWorkers", fmt.Errorf("%d workers; want at least 1", n))
			return
		}
		c.workers = n
	})
}

// WithStallThreshold sets how long an attempt of the in-memory engine may
// be in flight (from the start of its run until its answer is read)
// before it stalls: it goes on until its own timeout, still counted
// against its webhook's concurrency and its tenant's MaxInFlight, but no
// longer against WithWorkers, and another worker takes up the queues in
// its place, so that endpoints that stall together hold the workers for d
// rather than for their attempt timeout. WithStalledAttempts bounds how
// many attempts stall at once. A d at or above a webhook's attempt timeout
// leaves its attempts to that timeout, which frees their workers as soon.
// From MinStallThreshold to MaxTimeout, the longest attempt timeout a
// webhook may set, past which no attempt could stall; default
// DefaultStallThreshold. To have no attempt stall, use
// WithStalledAttempts(0). A Dispatcher WithEngine ignores it: the engine
// runs the attempts.
func WithStallThreshold(d time.Duration) Option {
	return optionFunc(func(c *config) {
		switch {
		case d <= 0:
			c.reject("WithStallThreshold", fmt.Errorf("%s; want a duration from %s to %s (WithStalledAttempts(0) stalls none)", d, MinStallThreshold, MaxTimeout))
			return
		case d < MinStallThreshold:
			c.reject("WithStallThreshold", fmt.Errorf("%s is below %s, where healthy attempts would count as stalled", d, MinStallThreshold))
			return
		case d > MaxTimeout:
			c.reject("WithStallThreshold", fmt.Errorf("%s is above MaxTimeout %s, the longest an attempt may take", d, MaxTimeout))
			return
		}
		c.stallThreshold = d
	})
}

// WithStalledAttempts bounds how many stalled attempts (see
// WithStallThreshold) may go on beside the workers, and so the goroutines
// and connections they hold: past n, an attempt that stalls holds its
// worker until it ends or one of the n ends and makes room for it; with
// n = 0, every attempt holds its worker until it ends. At least 0;
// default DefaultStalledPerWorker times WithWorkers. A Dispatcher
// WithEngine ignores it.
func WithStalledAttempts(n int) Option {
	return optionFunc(func(c *config) {
		if n < 0 {
			c.reject("WithStalledAttempts", fmt.Errorf("%d stalled attempts; want at least 0", n))
			return
		}
		c.maxStalled = n
	})
}

// WithConcurrency sets how many deliveries to one webhook may be in flight
// at once (from the start of a run until its request's answer is read:
// writing the invocation record holds no slot), unless the webhook's
// Delivery settings say otherwise; a slow endpoint holds at most this many
// workers, and a stalled one this many attempts, in or beside the pool
// (see WithStallThreshold). At least 1; default DefaultConcurrency.
func WithConcurrency(n int) Option {
	return optionFunc(func(c *config) {
		if n < 1 {
			c.reject("WithConcurrency", fmt.Errorf("concurrency %d; want at least 1", n))
			return
		}
		c.concurrency = n
	})
}

// WithQueue sets how many deliveries to one webhook may be waiting, in
// flight or between retries (size, at least 1), and what Publish does when
// there is no room (policy, QueueBlock or QueueReject). Defaults
// DefaultQueueSize and QueueReject.
func WithQueue(size int, policy QueuePolicy) Option {
	return optionFunc(func(c *config) {
		ok := true
		if size < 1 {
			c.reject("WithQueue", fmt.Errorf("size %d; want at least 1", size))
			ok = false
		}
		if policy != QueueBlock && policy != QueueReject {
			c.reject("WithQueue", fmt.Errorf("unknown queue policy %d; want QueueBlock or QueueReject", policy))
			ok = false
		}
		if ok {
			c.queueSize, c.queuePolicy = size, policy
		}
	})
}

// WithRetryPolicy sets the retry policy of webhooks that have none of their
// own. Zero fields of p take DefaultRetryPolicy's values; New fails with a
// *ConfigError when p is out of range (see RetryPolicy).
func WithRetryPolicy(p RetryPolicy) Option {
	return optionFunc(func(c *config) {
		if err := p.validate(); err != nil {
			c.reject("WithRetryPolicy", err)
			return
		}
		c.retry = p.withDefaults()
	})
}

// WithRetryDecider replaces DefaultRetryDecider; a nil fn keeps it.
func WithRetryDecider(fn RetryDecider) Option {
	return optionFunc(func(c *config) {
		if fn != nil {
			c.retryDecider = fn
		}
	})
}

// WithURLPolicy relaxes the rules webhook URLs are checked against, and
// sets what definitions may relax for themselves.
func WithURLPolicy(p URLPolicy) Option {
	return optionFunc(func(c *config) {
		for _, port := range p.DefinitionPorts {
			if port < 1 || port > 65535 {
				c.reject("WithURLPolicy", fmt.Errorf("DefinitionPorts: %d is not a port", port))
			}
		}
		p.DefinitionPorts = slices.Clone(p.DefinitionPorts)
		c.urlPolicy = p
	})
}

// WithEventType declares an event type of the service's own, so that
// webhooks may name it as a trigger; a non-nil schema makes registration
// check templates and filters against it, a nil one checks nothing.
// Access-request triggers are declared already, with accessrequest.Schema;
// declaring one again replaces its schema and keeps its mock event and
// kind. New fails with a *ConfigError on an empty t.
func WithEventType(t event.Trigger, schema *event.Schema) Option {
	return optionFunc(func(c *config) {
		if t == "" {
			c.reject("WithEventType", errors.New("empty event type"))
			return
		}
		c.schemas[accessrequest.Canonical(t)] = schema
	})
}

// WithEventKind serves every trigger of k besides those already served:
// webhooks may name them, registration checks templates and filters
// against k.Schema (nil checks nothing), Tenant.EventTypes lists them with
// their mock events, and Test sends those. The access-request kind
// (accessrequest.Kind) is served without it; integration.Kind and
// audit.Kind are Apono's other kinds, and operational.Kind is the kind of
// the Dispatcher's own operational events (see WithOperationalEvents). A trigger served already, by another
// kind or WithEventType, takes k's schema and mock. New fails with a
// *ConfigError when k has no triggers, an empty one, or a mock event whose
// type is not one of them.
func WithEventKind(k event.Kind) Option {
	return optionFunc(func(c *config) {
		if err := checkKind(k); err != nil {
			c.reject("WithEventKind", err)
			return
		}
		c.addKind(k)
	})
}

func checkKind(k event.Kind) error {
	if len(k.Triggers) == 0 {
		return fmt.Errorf("kind %q has no triggers", k.Name)
	}
	for _, t := range k.Triggers {
		if t == "" {
			return fmt.Errorf("kind %q: empty trigger", k.Name)
		}
	}
	for i, e := range k.Mocks {
		if e == nil {
			return fmt.Errorf("kind %q: mock event %d is nil", k.Name, i)
		}
		if !slices.Contains(k.Triggers, e.Type()) {
			return fmt.Errorf("kind %q: mock event %d is of type %q, not one of the kind's triggers", k.Name, i, e.Type())
		}
	}
	return nil
}

// addKind serves k's triggers, whose mocks are each the first of k's
// events of that type.
func (c *config) addKind(k event.Kind) {
	for _, t := range k.Triggers {
		ct := accessrequest.Canonical(t)
		c.schemas[ct] = k.Schema
		c.kinds[ct] = k.Name
		delete(c.mocks, ct)
		if m, ok := k.Mock(t); ok {
			c.mocks[ct] = m
		}
	}
}

// WithRecordFiltered records an invocation with outcome Filtered (and the
// filter's explanation as Reason) for every webhook whose filter rejects a
// published event, and Skipped for every inactive one. Off by default:
// it costs a record per webhook and event, and Publish then runs the
// filter of every webhook of the event's type, which the filter index
// otherwise spares it (see Dispatcher.Publish).
func WithRecordFiltered(on bool) Option {
	return optionFunc(func(c *config) { c.recordFiltered = on })
}

// WithMaxResponseBytes sets how much of a response body is kept in an
// invocation record: at least 1. Validators read up to their own limit.
// Default DefaultMaxResponseBytes.
func WithMaxResponseBytes(n int64) Option {
	return optionFunc(func(c *config) {
		if n < 1 {
			c.reject("WithMaxResponseBytes", fmt.Errorf("%d bytes; want at least 1", n))
			return
		}
		c.maxResponseBytes = n
	})
}

// WithLogger logs deliveries to l. By default, and with a nil l, the
// Dispatcher logs nothing.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) {
		if l != nil {
			c.logger = l
		}
	})
}

// WithUserAgent sets the User-Agent of requests whose webhook does not set
// one. Default "Outhook/1"; "" sets none, so that net/http sends its own.
// New fails with a *ConfigError when ua is not a valid header value (a
// control character, a line break).
func WithUserAgent(ua string) Option {
	return optionFunc(func(c *config) {
		for i := range len(ua) {
			if b := ua[i]; b < ' ' && b != '\t' || b == 0x7f {
				c.reject("WithUserAgent", fmt.Errorf("%q is not a valid header value: control character at byte %d", ua, i))
				return
			}
		}
		c.userAgent = ua
	})
}

// DefaultUnknownWebhookGrace is how long a delivery of a webhook that the
// Dispatcher has never had waits for it by default (see
// WithUnknownWebhookGrace).
const DefaultUnknownWebhookGrace = 15 * time.Minute

// WithUnknownWebhookGrace sets how long, counted from its Created time, a
// delivery whose webhook this Dispatcher has never registered waits for
// it. A durable engine shares deliveries between the instances of a
// service, and one may run a delivery before it has loaded the webhook (a
// deploy that adds it, say). Until the grace has passed such a delivery
// counts no attempt and looks again after a wait of half its age (at
// least 100ms, at most 30s); then it becomes a dead letter with reason
// "webhook <id> is not registered on this instance", which Redeliver can
// queue once the webhook is loaded. While deliveries wait, the logger
// gets one warning per webhook a minute, however many wait. A webhook
// removed through the Dispatcher is not unknown: its deliveries end
// Skipped at once, but for those queued for a later version (created
// again under its id on another instance), which wait as above. A delivery with a zero Created counts the grace from
// its first look. Positive; default DefaultUnknownWebhookGrace.
func WithUnknownWebhookGrace(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d <= 0 {
			c.reject("WithUnknownWebhookGrace", fmt.Errorf("%s; want a positive duration", d))
			return
		}
		c.unknownGrace = d
	})
}

// DefaultSyncInterval is how often a Dispatcher reads its definition
// store's changes when no notification has made it read them sooner.
const DefaultSyncInterval = 5 * time.Second

// WithDefinitionStore keeps the definitions in s, which several
// instances of a service may share: Add, Update, Remove and every Tenant
// write go to s, and the Dispatcher follows s, reading its changes when s
// notifies it (PostgreSQL's LISTEN/NOTIFY for riverengine's store), when a
// delivery needs a version it has not loaded, and every sync interval
// (WithSyncInterval). New loads every definition of s before it returns.
// A store at rest (defstore.AtRest, such as riverengine's) needs
// WithKeyring, or New fails. Nil keeps the default, an in-memory store
// of this Dispatcher's own (defstore.NewMemory).
func WithDefinitionStore(s defstore.Store) Option {
	return optionFunc(func(c *config) {
		if s != nil {
			c.defs = s
		}
	})
}

// WithKeyring seals each definition's secrets (header values, signing
// secrets, the URL) with k before they reach the definition store, bound
// to the definition's tenant and id, so that the store never holds them
// in clear; only the sender opens them. Nil keeps the default: no sealing,
// which only a store that is not at rest accepts. See Dispatcher.Reseal
// for rotating k's keys.
func WithKeyring(k *keyring.Keyring) Option {
	return optionFunc(func(c *config) {
		if k != nil {
			c.keyring = k
		}
	})
}

// WithSyncInterval sets how often the Dispatcher reads its definition
// store's changes whatever notifications say: the bound on how long a
// change can take to reach this instance when a notification is lost.
// Positive; default DefaultSyncInterval.
func WithSyncInterval(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d <= 0 {
			c.reject("WithSyncInterval", fmt.Errorf("%s; want a positive duration", d))
			return
		}
		c.syncInterval = d
	})
}

// WithTenantLimits sets each tenant's limits: fn is called with a tenant
// id whenever a limit is checked (a webhook created, a delivery
// attempted), so it must be fast and may change its answers at run time.
// The single-tenant service's webhooks (tenant "") are limited only if fn
// says so. Nil keeps the default, DefaultTenantLimits for every tenant
// but "", which has none.
func WithTenantLimits(fn func(tenant string) TenantLimits) Option {
	return optionFunc(func(c *config) {
		if fn != nil {
			c.tenantLimits = fn
		}
	})
}

// WithChangeHook calls fn after each change of a definition made through
// this Dispatcher (Add, Update, Remove and the Tenant writes), with who
// made it, so that a host can emit an audit event of its own, as Apono
// does for webhook changes. fn runs on the writer's goroutine and must
// not block. Changes made through other instances reach their own hooks,
// not this one; Tenant.History lists them all. Nil keeps the default:
// no hook.
func WithChangeHook(fn func(defstore.Revision)) Option {
	return optionFunc(func(c *config) {
		if fn != nil {
			c.onChange = fn
		}
	})
}

// WithClock makes the Dispatcher read the time from now instead of
// time.Now: retry schedules and budgets, rate limits, circuit breakers'
// cool-downs, records' times and the operational events' windows and
// periods. Delays the engine waits are still real time. A nil now keeps
// time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) {
		if now != nil {
			c.now = now
		}
	})
}
