package torq

import (
	"errors"
	"net/url"
	"time"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/internal/presetopt"
	"github.com/outhook/outhook/webhook"
)

// DefaultBodyTemplate is the body Apono's Torq guide suggests.
const DefaultBodyTemplate = `{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}"}}`

// DefaultName is the name of a webhook built without WithName.
const DefaultName = "torq"

// Per-attempt timeouts of a webhook built without WithTimeout.
const (
	// DefaultTimeout is for /v1/webhooks/<id> and /workflows/<id> URLs,
	// which Torq answers at once.
	DefaultTimeout = 30 * time.Second
	// SyncTimeout is for /workflows/<id>/sync URLs, which Torq answers when
	// the workflow has run.
	SyncTimeout = 2 * time.Minute
)

// Errors of New other than a *URLError. Test with errors.Is.
var (
	// ErrMissingToken: the token is empty.
	ErrMissingToken = errors.New("torq: the token is empty; Torq authenticates every webhook request")
	// ErrInvalidOption: an option was given a value it cannot use; the
	// error says which.
	ErrInvalidOption = errors.New("torq: invalid option")
)

// Option changes one default of New. Options are sealed: only this package
// makes them. A nil Option is ignored.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// shared is an option that package presets offers too.
type shared presetopt.Option

func (o shared) apply(c *config) { o(&c.Config) }

type config struct {
	presetopt.Config
	authHeader string
}

// WithName names the webhook; names are unique within a Dispatcher. Default
// DefaultName.
func WithName(name string) Option { return shared(presetopt.Name(name)) }

// WithAuthHeader sends the token as the whole value of the header name,
// such as "X-Torq-Token", instead of Authorization: Bearer <token>. Use the
// header name configured on the Torq webhook integration.
func WithAuthHeader(name string) Option {
	return optionFunc(func(c *config) {
		if name == "" {
			c.Fail("WithAuthHeader needs a header name")
			return
		}
		c.authHeader = name
	})
}

// WithBodyTemplate replaces DefaultBodyTemplate with src, a template of
// package template; Dispatcher.Add checks it.
func WithBodyTemplate(src string) Option { return shared(presetopt.BodyTemplate(src)) }

// WithFullEvent sends the whole event as its JSON, for workflows that want
// every field: the webhook has no body template.
func WithFullEvent() Option { return shared(presetopt.FullEvent()) }

// WithTriggers replaces the default triggers, every access-request trigger,
// by triggers.
func WithTriggers(triggers ...event.Trigger) Option {
	return shared(presetopt.Triggers(triggers...))
}

// WithFilter restricts the events the webhook receives to those f
// matches. Default: every event of its triggers.
func WithFilter(f *filter.Filter) Option { return shared(presetopt.Filter(f)) }

// WithResponseValidators adds checks on Torq's JSON answer, such as
// {JSONPath: "$.data.status", ExpectedValues: []string{"ok"}} for a /sync
// workflow that returns a status. Default none: any 2xx succeeds.
func WithResponseValidators(validators ...webhook.ResponseValidator) Option {
	return shared(presetopt.ResponseValidators(validators...))
}

// WithSigningSecrets signs every request the Standard Webhooks way (see
// webhook.Webhook.SigningSecrets). Default unsigned: Torq checks the token.
func WithSigningSecrets(secrets ...string) Option {
	return shared(presetopt.SigningSecrets(secrets...))
}

// WithTimeout sets the per-attempt timeout, rounded up to a whole second.
// Default DefaultTimeout, or SyncTimeout for a /sync URL.
func WithTimeout(d time.Duration) Option { return shared(presetopt.Timeout(d)) }

// WithBaseURL is for tests and local stand-ins for Torq, such as a
// webhooktest.Receiver: the Torq URL given to New is checked as usual, then
// its scheme and host are replaced by those of base ("http://127.0.0.1:8080"),
// and base's path, if any, is put before Torq's. The Dispatcher must then be
// allowed to reach base (webhook.WithAllowedTargets, webhook.WithURLPolicy).
// Never use it in production.
func WithBaseURL(base string) Option { return shared(presetopt.BaseURL(base)) }

// New returns a definition of an active webhook that sends access-request
// events to the Torq webhook at rawURL, authenticated with token. rawURL
// must be a Torq webhook URL (see ParseURL); a wrong one gives a *URLError
// saying what is wrong. An empty token gives ErrMissingToken, an option
// given a value it cannot use ErrInvalidOption. The template, filter and
// validators are checked when the definition is added to a Dispatcher.
func New(rawURL, token string, opts ...Option) (webhook.Webhook, error) {
	ep, err := ParseURL(rawURL)
	if err != nil {
		return webhook.Webhook{}, err
	}
	if token == "" {
		return webhook.Webhook{}, ErrMissingToken
	}
	timeout := DefaultTimeout
	if ep.Sync {
		timeout = SyncTimeout
	}
	c := config{Config: presetopt.New(ErrInvalidOption, presetopt.Defaults{
		Name:    DefaultName,
		Body:    DefaultBodyTemplate,
		Timeout: timeout,
	})}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if err := c.Err(); err != nil {
		return webhook.Webhook{}, err
	}
	u, _ := url.Parse(rawURL) // ParseURL parsed it
	w := c.Webhook(rawURL, u)
	w.Headers = map[string]string{"Authorization": "Bearer " + token}
	if c.authHeader != "" {
		w.Headers = map[string]string{c.authHeader: token}
	}
	return w, nil
}
