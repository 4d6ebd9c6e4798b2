package presets

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/internal/presetopt"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/webhook"
)

// The problems a *URLError reports. Test with errors.Is.
var (
	ErrMalformedURL = errors.New("not a URL")
	ErrScheme       = errors.New("the scheme must be https")
	ErrHost         = errors.New("unexpected host")
	ErrPort         = errors.New("unexpected port")
	ErrPath         = errors.New("unexpected path")
	ErrQuery        = errors.New("unexpected query, fragment or credentials")
)

// Errors of the constructors other than a *URLError. Test with errors.Is.
var (
	// ErrMissingCredential: a required key or token is empty.
	ErrMissingCredential = errors.New("presets: a required credential is empty")
	// ErrInvalidCredential: a key or token holds "{{", which a header
	// value reads as the start of a template over the event, so that what
	// went out would not be the credential.
	ErrInvalidCredential = errors.New("presets: a credential holds \"{{\"")
	// ErrInvalidOption: an option or an argument other than a URL or
	// credential was given a value it cannot use, or an option was given
	// to a preset it does not apply to; the error says which.
	ErrInvalidOption = errors.New("presets: invalid option")
)

// URLError reports a URL that does not have the shape a preset's target
// gives its webhooks. Err wraps one of the Err… values above, with the
// shape expected. The message never quotes the whole URL, whose path or
// query may hold a secret.
type URLError struct {
	// Preset names the constructor: "Slack", "Teams" and so on.
	Preset string
	// Err wraps one of the Err… values, with the shape expected.
	Err error
}

// Error returns "presets: <Preset> URL: " and the problem.
func (e *URLError) Error() string { return "presets: " + e.Preset + " URL: " + e.Err.Error() }

// Unwrap returns Err.
func (e *URLError) Unwrap() error { return e.Err }

// Option changes how a preset builds the definition where it needs
// checking: its credentials, where requests go and which events it sends.
// Options are sealed: only this package makes them. A nil Option is
// ignored. Every other field is plain data: set it on the definition the
// constructor returns.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	presetopt.Config
	preset      string
	clientToken string
	issueType   string
	operational bool
}

// WithBaseURL is for tests and local stand-ins, such as a
// webhooktest.Receiver: the URL given to the constructor is checked as
// usual, then its scheme and host are replaced by those of base
// ("http://127.0.0.1:8080"), and base's path, if any, is put before the
// URL's. base must be an http or https URL with a host and no query or
// fragment, or the constructor fails with ErrInvalidOption. The Dispatcher
// must then be allowed to reach base (webhook.WithAllowedTargets,
// webhook.WithURLPolicy). Never use it in production.
func WithBaseURL(base string) Option {
	return optionFunc(func(c *config) { presetopt.BaseURL(base)(&c.Config) })
}

// WithClientToken sends an Okta Workflows client token in the
// x-api-client-token header, which Okta accepts instead of the clientToken
// query parameter of the invoke URL. It applies to OktaWorkflows only; any
// other constructor fails with ErrInvalidOption, as does an empty token or
// one with a control character (a line break) or space at either end.
func WithClientToken(token string) Option {
	return optionFunc(func(c *config) {
		switch {
		case c.preset != "OktaWorkflows":
			c.Fail("WithClientToken applies to OktaWorkflows, not %s", c.preset)
		case token == "":
			c.Fail("WithClientToken needs a token")
		case strings.TrimSpace(token) != token || strings.ContainsFunc(token, unicode.IsControl):
			// A header value cannot hold a line break, and HTTP trims
			// its ends: a token read from a file with its newline.
			c.Fail("WithClientToken needs a token without control characters or space at its ends")
		case strings.Contains(token, "{{"):
			// A header value holding it is a template over the event.
			c.Fail("WithClientToken needs a token without \"{{\", which a header reads as a template")
		default:
			c.clientToken = token
		}
	})
}

// WithIssueType names the type of the issues Jira creates, such as "Bug"
// or "Service Request", in place of "Task": letters, digits, spaces, '-'
// and '_'. It applies to Jira only; any other constructor, or another
// name, fails with ErrInvalidOption.
func WithIssueType(name string) Option {
	return optionFunc(func(c *config) {
		switch {
		case c.preset != "Jira":
			c.Fail("WithIssueType applies to Jira, not %s", c.preset)
		case len(name) > maxIssueType:
			c.Fail("WithIssueType needs a name of at most %d bytes, not %d bytes", maxIssueType, len(name))
		case !issueTypeName(name):
			c.Fail("WithIssueType needs a name of letters, digits, spaces, '-' and '_', not %q", name)
		default:
			c.issueType = name
		}
	})
}

// ForOperationalEvents makes a preset send the six operational triggers
// (package operational) in place of the access-request ones, with a body
// made for its target over the operational payload (the
// …OperationalBodyTemplate constants; PagerDuty's, which holds the routing
// key as its access-request body does, is not exported), and names the definition after its
// target with "-operational" added ("slack-operational"), so that it can
// stand beside the access-request one. A Dispatcher publishes these events
// with webhook.WithOperationalEvents and Publish set.
//
// It applies to Slack, Teams, PagerDuty, DatadogLogs, SplunkHEC,
// Coralogix, Logzio and EventJSON (whose body is the event's JSON, as
// ever). ServiceNow, Jira and OktaWorkflows fail with ErrInvalidOption:
// their presets create a record (an incident, an issue, a flow run) per
// event, and none resolves the one a WebhookFailing opened when the
// WebhookRecovered comes, so each periodic WebhookStillFailing would open
// another; point EventJSON at an endpoint of theirs that takes the whole
// event instead.
func ForOperationalEvents() Option {
	return optionFunc(func(c *config) { c.operational = true })
}

// invalidArg reports a constructor's argument it cannot use.
func invalidArg(msg string) error { return fmt.Errorf("%w: %s", ErrInvalidOption, msg) }

// shape describes the URLs a preset's target gives its webhooks.
type shape struct {
	// preset is the constructor's name, for errors.
	preset string
	// hosts says which host names are the target's, and describes them.
	hosts     func(host string) bool
	hostsDesc string
	// path checks the path's segments, without its trailing slash, on the
	// host found, and describes it; nil accepts any path.
	path     func(host string, segs []string) bool
	pathDesc string
	// query checks the query, when one is allowed.
	query func(url.Values) bool
	// ports lists the explicit ports allowed besides 443, such as Splunk
	// HEC's 8088, and describes them; a Dispatcher must then allow custom
	// ports (webhook.URLPolicy).
	ports     []string
	portsDesc string
	// portRequired refuses the default port: the target listens on one
	// of ports only (Logz.io's 8071).
	portRequired bool
}

// check parses raw and checks it against s. It returns the URL with its
// host in lower case and an explicit :443 removed.
func (s *shape) check(raw string) (*url.URL, error) {
	fail := func(err error, format string, args ...any) (*url.URL, error) {
		if format != "" {
			err = fmt.Errorf("%w; "+format, append([]any{err}, args...)...)
		}
		return nil, &URLError{Preset: s.preset, Err: err}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return fail(ErrMalformedURL, "")
	}
	if u.Scheme != "https" {
		return fail(ErrScheme, "not %q", u.Scheme)
	}
	if u.User != nil || u.Fragment != "" || u.ForceQuery {
		return fail(ErrQuery, "credentials belong in headers")
	}
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil || s.query == nil || !s.query(q) {
			return fail(ErrQuery, "the query is not one %s URLs have", s.preset)
		}
	}
	// An explicit :443, as Power Automate writes it, is the default port.
	if p := u.Port(); p != "" && p != "443" && !slices.Contains(s.ports, p) {
		if s.portsDesc != "" {
			return fail(ErrPort, "want %s, not %s", s.portsDesc, p)
		}
		return fail(ErrPort, "found port %s", p)
	}
	if s.portRequired && !slices.Contains(s.ports, u.Port()) {
		return fail(ErrPort, "want %s", s.portsDesc)
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if !validHost(host) || !s.hosts(host) {
		return fail(ErrHost, "want %s, not %q", s.hostsDesc, u.Hostname())
	}
	u.Host = host
	if port != "" && port != "443" {
		u.Host = host + ":" + port
	}
	if u.RawPath != "" {
		return fail(ErrPath, "escaped characters are not allowed")
	}
	segs := strings.Split(strings.TrimPrefix(strings.TrimSuffix(u.Path, "/"), "/"), "/")
	if s.path != nil && !s.path(host, segs) {
		return fail(ErrPath, "want %s", s.pathDesc)
	}
	return u, nil
}

// validHost reports whether host is a DNS name of letters, digits, '-' and
// dots.
func validHost(host string) bool {
	if host == "" || strings.HasPrefix(host, ".") || strings.HasSuffix(host, ".") || strings.Contains(host, "..") {
		return false
	}
	for _, c := range []byte(host) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// hostIn matches any of names exactly.
func hostIn(names ...string) func(string) bool {
	return func(h string) bool {
		for _, n := range names {
			if h == n {
				return true
			}
		}
		return false
	}
}

// hostUnder matches names with at least one label before any of suffixes
// (each starting with a dot).
func hostUnder(suffixes ...string) func(string) bool {
	return func(h string) bool {
		for _, s := range suffixes {
			if strings.HasSuffix(h, s) && len(h) > len(s) {
				return true
			}
		}
		return false
	}
}

// id reports whether s is a non-empty run of URL-unreserved characters,
// other than "." and "..".
func id(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return false
		}
	}
	return true
}

// ids reports whether every one of segs is an id.
func ids(segs ...string) bool {
	for _, s := range segs {
		if !id(s) {
			return false
		}
	}
	return true
}

// preset is what a constructor knows of its target.
type preset struct {
	shape   shape
	name    string
	body    string
	headers map[string]string
	// secretPath: the URL's path holds the credential (Slack, Teams).
	secretPath bool
	// query is added to the URL's query once checked: a credential the
	// target reads there (Logz.io's token).
	query url.Values
	// render, when set, returns the body for the options applied, in place
	// of body.
	render func(c *config) string
	// opsBody is the body ForOperationalEvents sends; opsServed says the
	// preset takes that option at all (EventJSON's body is "").
	opsBody   string
	opsServed bool
	// secrets are the definition's body secrets (webhook.Webhook.Secrets).
	secrets map[string]string
}

// build checks raw against p's shape, applies opts and returns the
// definition.
func (p *preset) build(raw string, opts []Option) (webhook.Webhook, error) {
	u, err := p.shape.check(raw)
	if err != nil {
		return webhook.Webhook{}, err
	}
	for _, name := range slices.Sorted(maps.Keys(p.headers)) {
		if strings.Contains(p.headers[name], "{{") {
			return webhook.Webhook{}, fmt.Errorf("%w: the value of header %s would be read as a template", ErrInvalidCredential, name)
		}
	}
	c := config{Config: presetopt.New(ErrInvalidOption), preset: p.shape.preset}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if c.operational && !p.opsServed {
		c.Fail("ForOperationalEvents applies to Slack, Teams, PagerDuty, DatadogLogs, SplunkHEC, Coralogix, Logzio and EventJSON, not %s", c.preset)
	}
	if err := c.Err(); err != nil {
		return webhook.Webhook{}, err
	}
	if len(p.query) > 0 {
		q := u.Query()
		for k, vs := range p.query {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	name, body, triggers := p.name, p.body, accessrequest.Triggers()
	switch {
	case c.operational:
		name, body, triggers = p.name+"-operational", p.opsBody, operational.Triggers()
	case p.render != nil:
		body = p.render(&c)
	}
	w := webhook.Webhook{
		Name: name, Active: true, Method: http.MethodPost, URL: c.Target(u.String(), u),
		BodyTemplate: body, Triggers: triggers, SecretURLPath: p.secretPath, Secrets: maps.Clone(p.secrets),
	}
	if len(p.headers) > 0 || c.clientToken != "" {
		w.Headers = maps.Clone(p.headers)
		if w.Headers == nil {
			w.Headers = map[string]string{}
		}
		if c.clientToken != "" {
			w.Headers[OktaClientTokenHeader] = c.clientToken
		}
	}
	return w, nil
}
