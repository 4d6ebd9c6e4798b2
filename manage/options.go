package manage

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/outhook/outhook/internal/tenantrate"
)

// ErrInvalidConfig is wrapped by the errors New returns for options it
// cannot use.
var ErrInvalidConfig = errors.New("manage: invalid configuration")

// Option configures a Handler. A nil Option is ignored.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// Default limits of a Handler.
const (
	// DefaultMaxBodyBytes bounds a request body.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultTestRate, DefaultGateRate and DefaultPreviewRate are how
	// many tests, gate calls and previews a tenant may ask for per
	// minute, all at once at most.
	DefaultTestRate    = 10
	DefaultGateRate    = 60
	DefaultPreviewRate = 60
)

type config struct {
	maxBody        int64
	testRate       tenantrate.Rate
	gateRate       tenantrate.Rate
	previewRate    tenantrate.Rate
	trustedOrigins []string
	logger         *slog.Logger
	challenge      string
	now            func() time.Time
	errs           []error
}

func defaultConfig() config {
	return config{
		maxBody:     DefaultMaxBodyBytes,
		testRate:    tenantrate.Rate{N: DefaultTestRate, Per: time.Minute},
		gateRate:    tenantrate.Rate{N: DefaultGateRate, Per: time.Minute},
		previewRate: tenantrate.Rate{N: DefaultPreviewRate, Per: time.Minute},
		now:         time.Now,
	}
}

func (c *config) reject(option string, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%w: %s: %s", ErrInvalidConfig, option, fmt.Sprintf(format, args...)))
}

// WithMaxBodyBytes bounds request bodies at n bytes (at least 1); a larger
// body is refused with 413. Default DefaultMaxBodyBytes, 1 MiB.
func WithMaxBodyBytes(n int64) Option {
	return optionFunc(func(c *config) {
		if n < 1 {
			c.reject("WithMaxBodyBytes", "%d is not positive", n)
			return
		}
		c.maxBody = n
	})
}

// WithTestRate lets each tenant test webhooks n times per period, n at
// once at most; more is refused with 429 and a Retry-After. Default
// DefaultTestRate per minute. A test sends a request to the webhook's
// endpoint, so it is limited whatever the caller's rights. Each Handler
// counts on its own: behind a load balancer, a tenant may use the rate
// once per instance.
func WithTestRate(n int, per time.Duration) Option {
	return optionFunc(func(c *config) {
		r := tenantrate.Rate{N: n, Per: per}
		if err := r.Check(); err != nil {
			c.reject("WithTestRate", "%v", err)
			return
		}
		c.testRate = r
	})
}

// WithGateRate lets each tenant call its gates (POST
// /webhooks/{id}/gate) n times per period, n at once at most; more is
// refused with 429 and a Retry-After, and sends nothing. Default
// DefaultGateRate per minute, counted apart from tests and per Handler
// as WithTestRate's. A gate call sends a request to the webhook's
// endpoint, as a test does; a gate is called by flows, more often than a
// test button is pressed, hence its higher default.
func WithGateRate(n int, per time.Duration) Option {
	return optionFunc(func(c *config) {
		r := tenantrate.Rate{N: n, Per: per}
		if err := r.Check(); err != nil {
			c.reject("WithGateRate", "%v", err)
			return
		}
		c.gateRate = r
	})
}

// WithPreviewRate lets each tenant preview templates n times per period, n
// at once at most; more is refused with 429 and a Retry-After. Default
// DefaultPreviewRate per minute, counted per Handler as WithTestRate's.
func WithPreviewRate(n int, per time.Duration) Option {
	return optionFunc(func(c *config) {
		r := tenantrate.Rate{N: n, Per: per}
		if err := r.Check(); err != nil {
			c.reject("WithPreviewRate", "%v", err)
			return
		}
		c.previewRate = r
	})
}

// WithTrustedOrigins accepts requests that change something from these
// origins ("https://admin.example.com"), besides same-origin ones: a
// console served from another origin. Every other cross-origin request
// that is not GET, HEAD or OPTIONS is refused with 403, as
// net/http.CrossOriginProtection decides. New fails on a malformed origin.
// The Handler sends no CORS headers: a console on another origin also
// needs the service to answer its preflight requests and allow its
// origin, in front of the Handler.
func WithTrustedOrigins(origins ...string) Option {
	return optionFunc(func(c *config) { c.trustedOrigins = append(c.trustedOrigins, origins...) })
}

// WithLogger logs the errors the Handler answers 500 for, and the tenant
// function's errors that are neither ErrUnauthenticated nor ErrForbidden.
// By default, and with a nil l, nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = l })
}

// WithChallenge sends challenge as the WWW-Authenticate header of every 401
// answer, as RFC 9110 asks: `Bearer realm="webhooks"`, say. By default
// none is sent, since the scheme is the service's.
func WithChallenge(challenge string) Option {
	return optionFunc(func(c *config) { c.challenge = challenge })
}
