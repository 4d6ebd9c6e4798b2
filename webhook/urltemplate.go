package webhook

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/netguard"
	"github.com/outhook/outhook/internal/redact"
	"github.com/outhook/outhook/template"
)

// targetTemplate is the per-event part of a webhook whose URL or header
// values hold template expressions, compiled once at registration. A
// webhook with neither has none, and its deliveries pay nothing for it.
type targetTemplate struct {
	prefix  string    // scheme and authority, never templated
	parts   []urlPart // the rest of the URL; nil when only headers are templated
	headers []headerTemplate
	// check applies the URL policy to the rendered URL and makes sure it
	// still names the host that was checked at registration.
	check         func(*url.URL) error
	secretURLPath bool
}

// urlPart is a piece of a URL template after its authority: literal text
// written as it is, or a path segment, query key or query value rendered
// whole and escaped for where it stands.
type urlPart struct {
	lit   string
	tmpl  *template.Template
	query bool // escaped as a query key or value; otherwise as a path segment
	col   int  // 1-based column of the piece in the URL, for errors
}

type headerTemplate struct {
	name string // canonical
	tmpl *template.Template
}

// templated reports whether s holds a template expression.
func templated(s string) bool { return strings.Contains(s, "{{") }

// urlPieces splits the part of a URL template after its authority into
// literal separators ('/', '?', '&', '=') and the pieces between them,
// ignoring separators inside tags. A piece that holds a tag has literal
// text that must not hold '%': the whole piece is escaped when rendered,
// so an escape written in it would be escaped twice.
func urlPieces(rest string, offset int) ([]urlPart, error) {
	var parts []urlPart
	query := false
	start := 0
	percent := false // a '%' outside tags in the current piece
	flush := func(end int) error {
		piece := rest[start:end]
		if templated(piece) {
			if percent {
				return &DefinitionError{Field: "url", Line: 1, Column: offset + start + 1,
					Err: fmt.Errorf("%w: a path segment or query part that holds a template is escaped whole: write its text unescaped, without %%", ErrInvalidURL)}
			}
			parts = append(parts, urlPart{lit: piece, query: query, col: offset + start + 1})
		} else if piece != "" {
			parts = append(parts, urlPart{lit: piece})
		}
		percent = false
		return nil
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case strings.HasPrefix(rest[i:], "{{"):
			end := strings.Index(rest[i+2:], "}}")
			if end < 0 {
				i = len(rest) // unterminated: the template parser says where
				continue
			}
			i += 2 + end + 1
			for i+1 < len(rest) && rest[i+1] == '}' { // {{{x}}}
				i++
			}
		case c == '%':
			percent = true
		case c == '#':
			return nil, &DefinitionError{Field: "url", Line: 1, Column: offset + i + 1, Err: fmt.Errorf("%w: a fragment (#...) is never sent", ErrInvalidURL)}
		case c == '/' && !query, c == '?' && !query, (c == '&' || c == '=') && query:
			if err := flush(i); err != nil {
				return nil, err
			}
			parts = append(parts, urlPart{lit: string(c)})
			query = query || c == '?'
			start = i + 1
		}
	}
	if err := flush(len(rest)); err != nil {
		return nil, err
	}
	return parts, nil
}

// compileTarget compiles the templates of w's URL and header values, or
// returns nil when there are none. probe is the URL with each templated
// piece replaced by a placeholder, for the checks a plain URL takes.
func (c *config) compileTarget(w Webhook) (t *targetTemplate, probe string, errs DefinitionErrors) {
	var names []string
	for name, value := range w.Headers {
		if templated(value) {
			names = append(names, name)
		}
	}
	if !templated(w.URL) && len(names) == 0 {
		return nil, w.URL, nil
	}
	t = &targetTemplate{secretURLPath: w.SecretURLPath}
	opts := append(slices.Clip(c.templateOptions), template.WithMode(template.Text))
	probe = w.URL
	if templated(w.URL) {
		authEnd := len(w.URL)
		if i := strings.Index(w.URL, "://"); i >= 0 {
			if j := strings.IndexAny(w.URL[i+3:], "/?#"); j >= 0 {
				authEnd = i + 3 + j
			}
		}
		if i := strings.Index(w.URL[:authEnd], "{{"); i >= 0 {
			errs = append(errs, &DefinitionError{Webhook: w.Name, Field: "url", Line: 1, Column: i + 1,
				Err: fmt.Errorf("%w: the scheme and host may not be templated, only the path and query values", ErrInvalidURL)})
			return nil, "", errs
		}
		t.prefix = w.URL[:authEnd]
		parts, err := urlPieces(w.URL[authEnd:], authEnd)
		if err != nil {
			err.(*DefinitionError).Webhook = w.Name
			return nil, "", DefinitionErrors{err.(*DefinitionError)}
		}
		var b strings.Builder
		b.WriteString(t.prefix)
		for i := range parts {
			p := &parts[i]
			if p.col == 0 {
				b.WriteString(p.lit)
				continue
			}
			b.WriteString("x")
			tm, err := template.Parse(p.lit, append(opts, template.WithName("url"))...)
			if err != nil {
				errs = append(errs, positioned(w.Name, "url", p.col-1, err)...)
				continue
			}
			p.tmpl, p.lit = tm, ""
		}
		t.parts, probe = parts, b.String()
	}
	slices.Sort(names)
	for _, name := range names {
		if checkHeader(name, w.Headers[name]) != nil {
			continue // compile reports it
		}
		tm, err := template.Parse(w.Headers[name], append(opts, template.WithName("headers."+name))...)
		if err != nil {
			errs = append(errs, positioned(w.Name, "headers."+name, 0, err)...)
			continue
		}
		t.headers = append(t.headers, headerTemplate{name: http.CanonicalHeaderKey(name), tmpl: tm})
	}
	return t, probe, errs
}

// checkSchema reports every field the templates of t name that s does not
// know, with the nearest known one as a suggestion.
func (t *targetTemplate) checkSchema(webhook string, s *event.Schema) DefinitionErrors {
	var errs DefinitionErrors
	for _, p := range t.parts {
		if p.tmpl != nil {
			if err := p.tmpl.Check(s); err != nil {
				errs = append(errs, positioned(webhook, "url", p.col-1, err)...)
			}
		}
	}
	for _, h := range t.headers {
		if err := h.tmpl.Check(s); err != nil {
			errs = append(errs, positioned(webhook, "headers."+h.tmpl.Name()[len("headers."):], 0, err)...)
		}
	}
	return errs
}

// positioned turns the template package's errors into definition errors
// of field, their columns moved by shift (where the template starts in the
// field's text).
func positioned(webhook, field string, shift int, err error) DefinitionErrors {
	out := templateErrors(webhook, err)
	for _, de := range out {
		de.Field, de.Err = field, fieldTemplateError{de.Err}
		if de.Line == 1 {
			de.Column += shift
		}
	}
	return out
}

// target is what a delivery sends that its event decides: the URL and
// the templated header values, and a redactor that knows them as secrets.
type target struct {
	url         *url.URL    // nil for an action, which has none
	redactedURL string      // "" for an action
	header      http.Header // the templated headers only, canonical names
	redactor    *redact.Redactor
}

// redactorWith is the target's redactor knowing token too: an OAuth
// access token sent with this delivery.
func (t *target) redactorWith(token string) *redact.Redactor {
	return t.redactor.Extend(redact.WithSecrets(token))
}

// render renders t over e for a webhook whose URL is u and whose redactor,
// which knows the secrets of its definition, is red. The target's redactor
// extends red with what was rendered. The error says which field failed
// and never quotes a rendered value.
func (t *targetTemplate) render(e *event.Event, red *redact.Redactor, u *url.URL) (*target, error) {
	doc := e.Document()
	out := &target{url: u, header: make(http.Header, len(t.headers))}
	for _, h := range t.headers {
		v, err := h.tmpl.Append(nil, doc)
		if err != nil {
			return nil, fmt.Errorf("rendering header %s: %w", h.name, err)
		}
		if !netguard.ValidHeaderValue(string(v)) {
			return nil, fmt.Errorf("header %s: the rendered value holds a control character (CR, LF or other); not sent", h.name)
		}
		out.header[h.name] = []string{string(v)}
	}
	if t.parts != nil {
		b := []byte(t.prefix)
		for _, p := range t.parts {
			if p.tmpl == nil {
				b = append(b, p.lit...)
				continue
			}
			v, err := p.tmpl.Append(nil, doc)
			if err != nil {
				return nil, fmt.Errorf("rendering the url at column %d: %w", p.col, err)
			}
			if p.query {
				b = append(b, url.QueryEscape(string(v))...)
				continue
			}
			if s := string(v); s == "." || s == ".." {
				// Escaped or not, receivers read a dot segment as a move up the path.
				return nil, fmt.Errorf("the url's path segment at column %d renders to a dot segment, which would change the path; not sent", p.col)
			}
			b = append(b, url.PathEscape(string(v))...)
		}
		parsed, err := url.Parse(string(b))
		if err == nil {
			err = t.check(parsed)
		}
		if err != nil {
			return nil, fmt.Errorf("the rendered url: %w; not sent", err)
		}
		out.url = parsed
	}
	// The definition's secrets are red's already: only the rendered
	// headers, and the URL when it was rendered, add any.
	var rendered *url.URL
	var secrets []string
	if t.parts != nil {
		rendered = out.url
		if t.secretURLPath && strings.Trim(rendered.Path, "/") != "" {
			secrets = []string{strings.Trim(rendered.Path, "/"), strings.Trim(rendered.EscapedPath(), "/")}
		}
	}
	out.redactor = red.Extend(redact.WithSecretsFrom(rendered, out.header), redact.WithSecrets(secrets...))
	if out.url != nil {
		out.redactedURL = out.redactor.URL(out.url).String()
	}
	return out, nil
}

// shownTemplateURL is a templated URL raw, parsed as u, as records, spans
// and a Tenant's view show it: as written, since printing u again would
// escape its tags, and an edit sent back would then store them escaped,
// as plain text. Its secrets are redacted as Redactor.URL redacts them:
// the userinfo, each query value whole (template and all, since its text
// may hold a secret), r's secrets in the path; with secretPath, the path
// and the query are one REDACTED.
func shownTemplateURL(raw string, u *url.URL, secretPath bool, r *redact.Redactor) string {
	if secretPath {
		return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/" + redact.Redacted}).String()
	}
	authEnd := len(raw)
	if i := strings.Index(raw, "://"); i >= 0 {
		if j := strings.IndexAny(raw[i+3:], "/?#"); j >= 0 {
			authEnd = i + 3 + j
		}
	}
	shown := r.URL(&url.URL{Scheme: u.Scheme, User: u.User, Host: u.Host}).String()
	path, query, hasQuery := strings.Cut(raw[authEnd:], "?")
	shown += r.String(path)
	if !hasQuery {
		return shown
	}
	parts := strings.Split(query, "&")
	for i, p := range parts {
		switch k, v, ok := strings.Cut(p, "="); {
		case ok && v != "":
			parts[i] = k + "=" + redact.Redacted
		case !ok && p != "" && !templated(p):
			parts[i] = redact.Redacted // a bare token, as redact.URL shows it
		}
	}
	return shown + "?" + strings.Join(parts, "&")
}

// withoutTags returns a copy of u, the templated URL raw parsed, whose
// query values keep only their text outside tags, for the redactor to
// know as secrets: "key=k-{{data.x}}" gives "k-", which may be a secret
// written in the definition, while a tag only names where a value goes.
// The query is read from raw, since a '#' inside a tag ({{#if x}}) makes
// the rest of u a fragment, which is then dropped: a templated URL has
// none of its own.
func withoutTags(raw string, u *url.URL) *url.URL {
	c := *u
	c.Fragment, c.RawFragment = "", ""
	_, query, _ := strings.Cut(raw, "?")
	parts := strings.Split(query, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			k, v = "", p // a bare element: its text outside tags may be a token
		}
		if !templated(v) {
			continue
		}
		var text strings.Builder
		for v != "" {
			open := strings.Index(v, "{{")
			if open < 0 {
				text.WriteString(v)
				break
			}
			text.WriteString(v[:open])
			end := strings.Index(v[open+2:], "}}")
			if end < 0 {
				break // unterminated: compile refuses it
			}
			v = strings.TrimLeft(v[open+2+end+2:], "}") // {{{x}}}
		}
		if parts[i] = text.String(); ok {
			parts[i] = k + "=" + parts[i]
		}
	}
	c.RawQuery = strings.Join(parts, "&")
	return &c
}

// fieldTemplateError is a template error outside the body: it reads
// "invalid template", and still matches ErrInvalidTemplate.
type fieldTemplateError struct{ err error }

func (e fieldTemplateError) Error() string {
	return "invalid template" + strings.TrimPrefix(e.err.Error(), ErrInvalidTemplate.Error())
}

func (e fieldTemplateError) Unwrap() error { return e.err }

// errHostChanged: a rendered URL whose host is not the one checked.
var errHostChanged = errors.New("the host differs from the registered one")
