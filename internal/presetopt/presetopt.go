// Package presetopt holds what package torq and package presets share: the
// WithBaseURL option, which points a checked URL at a local stand-in, and
// the rounding of a preset's timeout. It knows nothing of webhook
// definitions, which the presets build themselves.
//
// The public packages keep their own sealed Option interfaces: their
// WithBaseURL wraps BaseURL, so only those packages make options, and
// callers see no type from here. A Config is made with the ErrInvalidOption
// of the package being called, which every failure wraps.
package presetopt

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

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

// Target returns the URL to send to: raw, the URL the preset checked, as
// it is to be sent; after BaseURL, u's (raw's parse) escaped path and
// query on the base URL instead.
func (c *Config) Target(raw string, u *url.URL) string {
	if c.baseURL == "" {
		return raw
	}
	target := c.baseURL + u.EscapedPath()
	if u.RawQuery != "" {
		target += "?" + u.RawQuery
	}
	return target
}

// Seconds is a preset's timeout in the whole seconds of timeout_in_sec,
// rounded up.
func Seconds(timeout time.Duration) int {
	return int((timeout + time.Second - 1) / time.Second)
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
