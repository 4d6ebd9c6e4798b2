// Package presetopt holds, once, the options that package torq and package
// presets both offer (the name, the body template, the triggers, the filter,
// the response validators, the signing secrets, the timeout and the base URL
// of a stand-in), the state they set and the webhook.Webhook it describes.
//
// The public packages keep their own sealed Option interfaces: each of their
// With… functions wraps one Option of this package, so only those packages
// make options, and callers see no type from here. A Config is made with the
// ErrInvalidOption of the package being called, which every failure wraps.
package presetopt

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/webhook"
)

// Defaults are a preset's own defaults, which options replace.
type Defaults struct {
	// Name is the webhook's name.
	Name string
	// Body is the body template; empty sends the whole event as its JSON.
	Body string
	// Timeout is the per-attempt timeout; zero means webhook.DefaultTimeout.
	Timeout time.Duration
}

// Config is the state the options set; make it with New.
type Config struct {
	invalid    error
	name       string
	body       string
	triggers   []event.Trigger
	filter     *filter.Filter
	validators []webhook.ResponseValidator
	secrets    []string
	timeout    time.Duration
	baseURL    string
	errs       []error
}

// New returns a Config holding d and every access-request trigger, whose
// failures wrap invalid.
func New(invalid error, d Defaults) Config {
	return Config{
		invalid:  invalid,
		name:     d.Name,
		body:     d.Body,
		triggers: accessrequest.Triggers(),
		timeout:  d.Timeout,
	}
}

// Fail records an option given a value it cannot use: the error wraps the
// Config's sentinel, followed by format and args.
func (c *Config) Fail(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%w: "+format, append([]any{c.invalid}, args...)...))
}

// Err returns the failures recorded, joined, or nil.
func (c *Config) Err() error { return errors.Join(c.errs...) }

// Webhook returns the active POST definition c describes. raw is the URL
// the preset checked, as it is to be sent, and u its parse: after BaseURL,
// u's escaped path and query go on the base URL instead. The timeout is
// rounded up to a whole second. Headers and SecretURLPath are the caller's.
func (c *Config) Webhook(raw string, u *url.URL) webhook.Webhook {
	target := raw
	if c.baseURL != "" {
		target = c.baseURL + u.EscapedPath()
		if u.RawQuery != "" {
			target += "?" + u.RawQuery
		}
	}
	return webhook.Webhook{
		Name:               c.name,
		Active:             true,
		Method:             http.MethodPost,
		URL:                target,
		BodyTemplate:       c.body,
		Triggers:           c.triggers,
		Filters:            c.filter,
		TimeoutInSec:       int((c.timeout + time.Second - 1) / time.Second),
		ResponseValidators: c.validators,
		SigningSecrets:     c.secrets,
	}
}

// Option changes a Config. The public packages wrap each one in their own
// sealed option type; their With… functions document them.
type Option func(*Config)

// Name names the webhook.
func Name(name string) Option {
	return func(c *Config) { c.name = name }
}

// BodyTemplate replaces the body template by src.
func BodyTemplate(src string) Option {
	return func(c *Config) { c.body = src }
}

// FullEvent removes the body template: the webhook sends the whole event.
func FullEvent() Option {
	return func(c *Config) { c.body = "" }
}

// Triggers replaces the triggers by a copy of triggers.
func Triggers(triggers ...event.Trigger) Option {
	return func(c *Config) { c.triggers = append([]event.Trigger(nil), triggers...) }
}

// Filter sets the filter; nil means every event of the triggers.
func Filter(f *filter.Filter) Option {
	return func(c *Config) { c.filter = f }
}

// ResponseValidators adds validators to those already given.
func ResponseValidators(validators ...webhook.ResponseValidator) Option {
	return func(c *Config) { c.validators = append(c.validators, validators...) }
}

// SigningSecrets adds secrets to those already given.
func SigningSecrets(secrets ...string) Option {
	return func(c *Config) { c.secrets = append(c.secrets, secrets...) }
}

// Timeout sets the per-attempt timeout; one not above zero or above
// webhook.MaxTimeout fails.
func Timeout(d time.Duration) Option {
	return func(c *Config) {
		if d <= 0 || d > webhook.MaxTimeout {
			c.Fail("WithTimeout(%s) is not between 1s and %s", d, webhook.MaxTimeout)
			return
		}
		c.timeout = d
	}
}

// BaseURL sends the webhook to base instead of the scheme and host of the
// preset's URL, with base's path, without its trailing slash, before the
// URL's. base must be an http or https URL with a host and no query or
// fragment, or the option fails.
func BaseURL(base string) Option {
	return func(c *Config) {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			c.Fail("WithBaseURL needs an http or https URL with a host and no query")
			return
		}
		c.baseURL = strings.TrimSuffix(u.String(), "/")
	}
}
