package torq

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// The hosts Torq receives webhooks on.
const (
	HostUS = "hooks.torq.io"
	HostEU = "hooks.eu.torq.io"
)

// The problems a *URLError reports. Test with errors.Is.
var (
	ErrMalformedURL = errors.New("not a URL")
	ErrScheme       = errors.New("the scheme must be https")
	ErrHost         = errors.New("the host must be " + HostUS + " or " + HostEU)
	ErrPort         = errors.New("no port may be given")
	ErrPath         = errors.New("the path must be /v1/webhooks/<id>, optionally followed by /workflows/<workflow-id> or /workflows/<workflow-id>/sync")
	ErrQuery        = errors.New("no query, fragment or credentials may be given")
)

// URLError reports a URL that is not a Torq webhook URL. Err wraps one of
// the Err… values above, with the detail at fault. The message never
// quotes the whole URL.
type URLError struct {
	// Err wraps one of the Err… values, with the detail at fault.
	Err error
}

// Error returns "torq: webhook URL: " and the problem.
func (e *URLError) Error() string { return "torq: webhook URL: " + e.Err.Error() }

// Unwrap returns Err.
func (e *URLError) Unwrap() error { return e.Err }

// Endpoint is a Torq webhook URL taken apart.
type Endpoint struct {
	// Host is HostUS or HostEU.
	Host string
	// WebhookID is the <id> of /v1/webhooks/<id>.
	WebhookID string
	// WorkflowID is the <workflow-id> of /workflows/<workflow-id>, or empty.
	WorkflowID string
	// Sync reports a /workflows/<workflow-id>/sync URL, which waits for the
	// workflow's output.
	Sync bool
}

// ParseURL checks that raw is a Torq webhook URL and takes it apart: https,
// host hooks.torq.io or hooks.eu.torq.io, no port, and the path
// /v1/webhooks/<id>, optionally followed by /workflows/<workflow-id> or
// /workflows/<workflow-id>/sync; a trailing slash is accepted. Ids are made
// of letters, digits, '-', '_', '.' and '~'. Any error is a *URLError.
func ParseURL(raw string) (Endpoint, error) {
	fail := func(err error, format string, args ...any) (Endpoint, error) {
		if format != "" {
			err = fmt.Errorf("%w; "+format, append([]any{err}, args...)...)
		}
		return Endpoint{}, &URLError{Err: err}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return fail(ErrMalformedURL, "")
	}
	switch {
	case u.Scheme != "https":
		return fail(ErrScheme, "not %q", u.Scheme)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return fail(ErrQuery, "")
	case u.Port() != "":
		return fail(ErrPort, "found port %s", u.Port())
	}
	host := strings.ToLower(u.Hostname())
	if host != HostUS && host != HostEU {
		return fail(ErrHost, "not %q", u.Hostname())
	}
	if u.RawPath != "" {
		return fail(ErrPath, "escaped characters are not allowed")
	}
	segs := strings.Split(strings.TrimPrefix(strings.TrimSuffix(u.Path, "/"), "/"), "/")
	ep := Endpoint{Host: host}
	switch {
	case len(segs) < 3 || segs[0] != "v1" || segs[1] != "webhooks":
		return fail(ErrPath, "not %q", u.Path)
	case !validID(segs[2]):
		return fail(ErrPath, "the webhook id is missing or holds characters other than letters, digits, '-', '_', '.' and '~'")
	case len(segs) == 3:
	case segs[3] != "workflows" || len(segs) > 6 || len(segs) == 6 && segs[5] != "sync":
		return fail(ErrPath, "unexpected %q after the webhook id", "/"+strings.Join(segs[3:], "/"))
	case len(segs) < 5 || !validID(segs[4]):
		return fail(ErrPath, "the workflow id is missing or holds characters other than letters, digits, '-', '_', '.' and '~'")
	default:
		ep.WorkflowID = segs[4]
		ep.Sync = len(segs) == 6
	}
	ep.WebhookID = segs[2]
	return ep, nil
}

// validID reports whether s is a non-empty run of URL-unreserved
// characters.
func validID(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
		default:
			return false
		}
	}
	return s != "." && s != ".."
}
