// Package presetopt holds what package torq and package presets share: the
// definition a preset starts from and the WithBaseURL option, which points
// a checked URL at a local stand-in.
//
// The public packages keep their own sealed Option interfaces: their
// WithBaseURL wraps BaseURL, so only those packages make options, and
// callers see no type from here. A Config is made with the ErrInvalidOption
// of the package being called, which every failure wraps.
package presetopt

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

// Defaults are a preset's own defaults.
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
	invalid error
	baseURL string
	errs    []error
}

// New returns a Config whose failures wrap invalid.
func New(invalid error) Config { return Config{invalid: invalid} }

// Fail records an option given a value it cannot use: the error wraps the
// Config's sentinel, followed by format and args.
func (c *Config) Fail(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%w: "+format, append([]any{c.invalid}, args...)...))
}

// Err returns the failures recorded, joined, or nil.
func (c *Config) Err() error { return errors.Join(c.errs...) }

// Webhook returns the active POST definition of d, sent on every
// access-request trigger. raw is the URL the preset checked, as it is to
// be sent, and u its parse: after BaseURL, u's escaped path and query go on
// the base URL instead. The timeout is rounded up to a whole second.
// Headers and SecretURLPath are the caller's.
func (c *Config) Webhook(d Defaults, raw string, u *url.URL) webhook.Webhook {
	target := raw
	if c.baseURL != "" {
		target = c.baseURL + u.EscapedPath()
		if u.RawQuery != "" {
			target += "?" + u.RawQuery
		}
	}
	return webhook.Webhook{
		Name:         d.Name,
		Active:       true,
		Method:       http.MethodPost,
		URL:          target,
		BodyTemplate: d.Body,
		Triggers:     accessrequest.Triggers(),
		TimeoutInSec: int((d.Timeout + time.Second - 1) / time.Second),
	}
}

// Option changes a Config. The public packages wrap each one in their own
// sealed option type; their With… functions document them.
type Option func(*Config)

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
