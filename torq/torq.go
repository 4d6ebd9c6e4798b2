package torq

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/internal/presetopt"
	"github.com/outhook/outhook/webhook"
)

// DefaultBodyTemplate is the body Apono's Torq guide suggests.
const DefaultBodyTemplate = `{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}"}}`

// DefaultName is the name New gives the webhook.
const DefaultName = "torq"

// Per-attempt timeouts New sets.
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

// Option changes how New builds the definition where it needs checking:
// where the token goes and where requests go. Options are sealed: only
// this package makes them. A nil Option is ignored. Every other field is
// plain data: set it on the definition New returns.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	presetopt.Config
	authHeader string
}

// WithAuthHeader sends the token as the whole value of the header name,
// such as "X-Torq-Token", instead of Authorization: Bearer <token>. Use the
// header name configured on the Torq webhook integration. An empty name
// fails with ErrInvalidOption.
func WithAuthHeader(name string) Option {
	return optionFunc(func(c *config) {
		if name == "" {
			c.Fail("WithAuthHeader needs a header name")
			return
		}
		c.authHeader = name
	})
}

// WithBaseURL is for tests and local stand-ins for Torq, such as a
// webhooktest.Receiver: the Torq URL given to New is checked as usual, then
// its scheme and host are replaced by those of base ("http://127.0.0.1:8080"),
// and base's path, if any, is put before Torq's. base must be an http or
// https URL with a host and no query or fragment, or New fails with
// ErrInvalidOption. The Dispatcher must then be allowed to reach base
// (webhook.WithAllowedTargets, webhook.WithURLPolicy). Never use it in
// production.
func WithBaseURL(base string) Option {
	return optionFunc(func(c *config) { presetopt.BaseURL(base)(&c.Config) })
}

// New returns a definition of an active webhook that sends access-request
// events to the Torq webhook at rawURL, authenticated with token: named
// DefaultName, with DefaultBodyTemplate, every access-request trigger and
// DefaultTimeout (SyncTimeout for a /sync URL). rawURL must be a Torq
// webhook URL (see ParseURL); a wrong one gives a *URLError saying what is
// wrong. An empty token gives ErrMissingToken, an option given a value it
// cannot use ErrInvalidOption. Change any other field on the definition
// returned; the template, filter and validators are checked when it is
// added to a Dispatcher.
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
	c := config{Config: presetopt.New(ErrInvalidOption)}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if err := c.Err(); err != nil {
		return webhook.Webhook{}, err
	}
	u, _ := url.Parse(rawURL) // ParseURL parsed it
	w := webhook.Webhook{
		Name: DefaultName, Active: true, Method: http.MethodPost, URL: c.Target(rawURL, u),
		BodyTemplate: DefaultBodyTemplate, Triggers: accessrequest.Triggers(), TimeoutInSec: presetopt.Seconds(timeout),
		Headers: map[string]string{"Authorization": "Bearer " + token},
	}
	if c.authHeader != "" {
		w.Headers = map[string]string{c.authHeader: token}
	}
	return w, nil
}
