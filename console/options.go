package console

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/outhook/outhook/internal/tenantrate"
	"github.com/outhook/outhook/webhook"
)

// An Option configures a Handler.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// Default limits of a Handler.
const (
	// DefaultMaxFormBytes bounds a form sent to the console.
	DefaultMaxFormBytes = 1 << 20
	// DefaultTestRate is how many tests (Test and Gate together) a tenant
	// may send per minute, all
	// at once at most; DefaultPreviewRate how many live checks (preview,
	// filter explanation, validation) the editor may ask for per minute,
	// which it does as its user types.
	DefaultTestRate    = 10
	DefaultPreviewRate = 600
	// DefaultPageSize is how many rows a table shows per page.
	DefaultPageSize = 25
)

type config struct {
	maxForm        int64
	testRate       tenantrate.Rate
	previewRate    tenantrate.Rate
	pageSize       int
	trustedOrigins []string
	logger         *slog.Logger
	challenge      string
	now            func() time.Time
	errs           []error
}

func defaultConfig() config {
	return config{
		maxForm:     DefaultMaxFormBytes,
		testRate:    tenantrate.Rate{N: DefaultTestRate, Per: time.Minute},
		previewRate: tenantrate.Rate{N: DefaultPreviewRate, Per: time.Minute},
		pageSize:    DefaultPageSize,
		now:         time.Now,
	}
}

func (c *config) reject(option string, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%w: %s: %s", ErrInvalidConfig, option, fmt.Sprintf(format, args...)))
}

// WithMaxFormBytes bounds the forms sent to the console at n bytes (at
// least 1); a larger one is refused with 413. Default DefaultMaxFormBytes.
func WithMaxFormBytes(n int64) Option {
	return optionFunc(func(c *config) {
		if n < 1 {
			c.reject("WithMaxFormBytes", "%d is not positive", n)
			return
		}
		c.maxForm = n
	})
}

// WithTestRate lets each tenant test webhooks (Test and Gate together)
// n times per period, n at once at most; more is refused with the time to
// wait. A test sends a
// request to an endpoint the tenant chose, so it is limited whatever the
// user's rights. Each Handler counts on its own.
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

// WithPreviewRate lets each tenant's editors ask for n live checks per
// period, n at once at most. Default DefaultPreviewRate per minute.
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

// WithPageSize sets how many rows the webhooks, invocations and dead
// letters tables show per page, from 1 to webhook.MaxPageLimit. Default
// DefaultPageSize.
func WithPageSize(n int) Option {
	return optionFunc(func(c *config) {
		if n < 1 || n > webhook.MaxPageLimit {
			c.reject("WithPageSize", "%d is not between 1 and %d", n, webhook.MaxPageLimit)
			return
		}
		c.pageSize = n
	})
}

// WithTrustedOrigins accepts forms from these origins
// ("https://admin.example.com") besides the console's own; every other
// cross-origin POST is refused with 403, as net/http.CrossOriginProtection
// decides. New fails on a malformed origin.
func WithTrustedOrigins(origins ...string) Option {
	return optionFunc(func(c *config) { c.trustedOrigins = append(c.trustedOrigins, origins...) })
}

// WithLogger logs the errors the console answers 500 for, the tenant
// function's errors that are neither ErrUnauthenticated nor ErrForbidden,
// and those of a Test that could not be run (the page says so).
// By default, and with a nil l, nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = l })
}

// WithChallenge sends challenge as the WWW-Authenticate header of every 401
// answer. By default none is sent, since the scheme is the service's.
func WithChallenge(challenge string) Option {
	return optionFunc(func(c *config) { c.challenge = challenge })
}

// WithClock makes the console read the time from now: the rate limits of
// tests and live checks count by it. Default time.Now. (The success rates
// shown are the Dispatcher's summaries, by its own clock.)
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) {
		if now == nil {
			c.reject("WithClock", "nil clock")
			return
		}
		c.now = now
	})
}
