// Package redact hides secrets in what Outhook shows of a request: URLs,
// headers, and the text of errors and log messages.
//
// A webhook's secrets travel in three places: the URL's userinfo and query
// string (https://user:pass@host/hook?token=...), its header values
// (Authorization: Bearer ..., X-Torq-Token: ...), and, through them, any
// error whose text quotes the URL, as *url.Error does. A Redactor replaces
// each with REDACTED: it keeps the parts that say what was sent (the host,
// the path, query keys, header names, and the values of headers on a safe
// list) and hides the values.
//
// Structural redaction needs no configuration: a URL found in a string has
// its userinfo, query values and fragment replaced wherever it appears.
// Secrets that can turn up elsewhere in free text, such as a token echoed in
// an error, are scrubbed when the Redactor knows them (WithSecrets,
// WithSecretsFrom): every occurrence, and every occurrence of their
// URL-escaped and JSON-escaped forms (non-ASCII as \u escapes too),
// becomes REDACTED. Known secrets
// shorter than 4 bytes are not scrubbed from free text, where they would
// garble every number and word that contains them; they are still hidden
// where they stand in URLs and headers.
package redact

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Redacted is what replaces a secret.
const Redacted = "REDACTED"

// minScrubLen is the length below which a known secret is not scrubbed from
// free text.
const minScrubLen = 4

// defaultSafe lists the headers whose values are shown by default, in
// canonical form.
var defaultSafe = []string{
	"Accept",
	"Accept-Encoding",
	"Content-Encoding",
	"Content-Length",
	"Content-Type",
	"Date",
	"Retry-After",
	"Traceparent",
	"User-Agent",
	"Webhook-Id",
	"Webhook-Timestamp",
}

// DefaultSafeHeaders returns the headers whose values a Redactor shows
// unless WithSafeHeaders says otherwise: Accept, Accept-Encoding,
// Content-Encoding, Content-Length, Content-Type, Date, Retry-After,
// Traceparent, User-Agent, Webhook-Id and Webhook-Timestamp. Every other
// header's values, Authorization, Cookie, Location and Webhook-Signature
// among them, are redacted.
func DefaultSafeHeaders() []string { return slices.Clone(defaultSafe) }

// Redactor redacts URLs, headers and text. It is immutable and safe for
// concurrent use. The zero Redactor, like a nil *Redactor, shows
// DefaultSafeHeaders and knows no secrets; it still redacts every URL
// structurally.
type Redactor struct {
	safe map[string]bool // nil means defaultSafe (see isDefaultSafe)
	// forms are the known secrets' forms by first byte, longest first
	// among those with one first byte: at any position only the forms
	// starting with its byte are tried, a few even for the dozens of
	// forms of a certificate's lines, which start with every byte of
	// base64 between them.
	forms []string
	// starts marks the hashes of the pairs of bytes forms start with
	// (every form has at least two), so that scrubbing skips most
	// positions at once: a first byte alone would not, as a certificate's
	// forms start with most bytes of a base64 body.
	starts [256 / 32]uint32
}

// Option configures New. A nil Option is ignored.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	safe    []string
	setSafe bool
	secrets []string
	sources []source
}

type source struct {
	u *url.URL
	h http.Header
}

// WithSafeHeaders replaces DefaultSafeHeaders: only the named headers'
// values are shown. With no names, every header value is redacted. Names
// are matched without regard to case.
func WithSafeHeaders(names ...string) Option {
	return optionFunc(func(c *config) {
		c.safe = append(c.safe[:0:0], names...)
		c.setSafe = true
	})
}

// WithSecrets adds strings to scrub from any text, such as a signing secret
// or a token that is not in a URL or header.
func WithSecrets(values ...string) Option {
	return optionFunc(func(c *config) { c.secrets = append(c.secrets, values...) })
}

// WithSecretsFrom adds the secrets of a webhook's URL and headers: the
// userinfo, each query value and the fragment of u, and the values of the
// headers in h that are not safe (and, for a value such as "Bearer t0ken",
// the part after the first space as well). Either may be nil.
func WithSecretsFrom(u *url.URL, h http.Header) Option {
	return optionFunc(func(c *config) { c.sources = append(c.sources, source{u, h}) })
}

// New returns a Redactor configured by opts.
func New(opts ...Option) *Redactor {
	var c config
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	r := &Redactor{}
	if c.setSafe {
		r.safe = set(c.safe)
	}
	secrets := c.secrets
	for _, s := range c.sources {
		secrets = append(secrets, r.secretsOf(s.u, s.h)...)
	}
	r.forms = forms(secrets)
	for _, f := range r.forms {
		h := pairHash(f[0], f[1])
		r.starts[h/32] |= 1 << (h % 32)
	}
	return r
}

// Extend returns a Redactor that shows the headers r shows, unless opts
// name others (WithSafeHeaders), and knows r's secrets and those opts add;
// r is not modified. Only the added secrets' forms are worked out, so a
// redactor per request over a shared one (a webhook's, extended with the
// values its event rendered) costs what those few secrets cost. A nil r
// extends the zero Redactor.
func (r *Redactor) Extend(opts ...Option) *Redactor {
	var c config
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	out := &Redactor{}
	if r != nil {
		out.safe, out.starts = r.safe, r.starts
	}
	if c.setSafe {
		out.safe = set(c.safe)
	}
	secrets := c.secrets
	for _, s := range c.sources {
		secrets = append(secrets, out.secretsOf(s.u, s.h)...)
	}
	var base []string
	if r != nil {
		base = r.forms
	}
	added := forms(secrets)
	out.forms = mergeForms(base, added)
	for _, f := range added {
		h := pairHash(f[0], f[1])
		out.starts[h/32] |= 1 << (h % 32)
	}
	return out
}

// mergeForms merges added into base, both in the order forms lists them,
// without the forms base has already.
func mergeForms(base, added []string) []string {
	if len(added) == 0 {
		return base // shared: a Redactor never modifies its forms
	}
	out := make([]string, 0, len(base)+len(added))
	i := 0
	for _, f := range added {
		for i < len(base) && formBefore(base[i], f) {
			out = append(out, base[i])
			i++
		}
		if !slices.Contains(sameKey(base[i:], f), f) {
			out = append(out, f)
		}
	}
	return append(out, base[i:]...)
}

// formBefore reports whether a comes before b in the order of forms: by
// first byte, then longest first.
func formBefore(a, b string) bool {
	if a[0] != b[0] {
		return a[0] < b[0]
	}
	return len(a) > len(b)
}

// sameKey returns the forms at the start of fs with f's first byte and
// length.
func sameKey(fs []string, f string) []string {
	n := 0
	for n < len(fs) && fs[n][0] == f[0] && len(fs[n]) == len(f) {
		n++
	}
	return fs[:n]
}

func set(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[http.CanonicalHeaderKey(n)] = true
	}
	return m
}

func (r *Redactor) isSafe(name string) bool {
	var safe map[string]bool
	if r != nil {
		safe = r.safe
	}
	if safe == nil {
		// Most redactors show the defaults; a switch answers sooner than
		// the map, which every response's headers would ask.
		return isDefaultSafe(name) || isDefaultSafe(http.CanonicalHeaderKey(name))
	}
	// Names come canonical from an http.Header: look them up as they are
	// before paying for canonicalising them.
	return safe[name] || safe[http.CanonicalHeaderKey(name)]
}

// isDefaultSafe reports whether name, in canonical form, is one of
// defaultSafe.
func isDefaultSafe(name string) bool {
	switch name {
	case "Accept", "Accept-Encoding", "Content-Encoding", "Content-Length", "Content-Type", "Date",
		"Retry-After", "Traceparent", "User-Agent", "Webhook-Id", "Webhook-Timestamp":
		return true
	}
	return false
}

// secretsOf lists the secret strings of a URL and headers.
func (r *Redactor) secretsOf(u *url.URL, h http.Header) []string {
	var out []string
	if u != nil {
		if u.User != nil {
			out = append(out, u.User.Username())
			if p, ok := u.User.Password(); ok {
				out = append(out, p)
			}
		}
		for part := range strings.SplitSeq(u.RawQuery, "&") {
			_, v, ok := strings.Cut(part, "=")
			if !ok {
				v = part // a bare token: ?a1b2c3
			}
			if v != "" {
				out = append(out, v)
				if dec, err := url.QueryUnescape(v); err == nil {
					out = append(out, dec)
				}
			}
		}
		out = append(out, u.Fragment)
	}
	for name, values := range h {
		if r.isSafe(name) {
			continue
		}
		for _, v := range values {
			out = append(out, v)
			if _, rest, ok := strings.Cut(strings.TrimSpace(v), " "); ok {
				out = append(out, strings.TrimSpace(rest))
			}
		}
	}
	return out
}

// forms lists the secrets and their escaped forms by first byte, and
// longest first among those with one first byte, so that a secret
// containing another is replaced whole. The JSON forms are those
// of common encoders: with and without HTML escaping (\u003c), with
// non-ASCII written as \u escapes in either case of hex digits (Python's
// and PHP's default), and with '/' escaped as '\/' (PHP's default).
func forms(secrets []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if len(s) >= minScrubLen && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range secrets {
		add(s)
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
		if jsonPlain(s) { // as encoded: no need to run the encoder
			add(strings.ReplaceAll(s, "/", `\/`))
			continue
		}
		for _, html := range []bool{true, false} {
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(html)
			if enc.Encode(s) == nil {
				j := strings.TrimSuffix(b.String(), "\n")
				j = j[1 : len(j)-1]
				for _, f := range []string{j, asciiEscaped(j, lowerHex), asciiEscaped(j, upperHex)} {
					add(f)
					add(strings.ReplaceAll(f, "/", `\/`))
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		return len(b) - len(a)
	})
	return out
}

const lowerHex, upperHex = "0123456789abcdef", "0123456789ABCDEF"

// asciiEscaped returns j, a JSON string's text, with every non-ASCII
// character as a \u escape in the given hex digits (a pair of them past
// U+FFFF), as encoders that write ASCII only do by default (Python's json,
// PHP's json_encode); j itself when it is ASCII.
func asciiEscaped(j string, hex string) string {
	first := strings.IndexFunc(j, func(c rune) bool { return c >= utf8.RuneSelf })
	if first < 0 {
		return j
	}
	var b strings.Builder
	b.WriteString(j[:first])
	u := func(c rune) {
		b.WriteString(`\u`)
		for shift := 12; shift >= 0; shift -= 4 {
			b.WriteByte(hex[c>>shift&0xf])
		}
	}
	for _, c := range j[first:] {
		switch r1, r2 := utf16.EncodeRune(c); {
		case c < utf8.RuneSelf:
			b.WriteRune(c)
		case r1 != utf8.RuneError:
			u(r1)
			u(r2)
		default:
			u(c)
		}
	}
	return b.String()
}

// jsonPlain reports whether s is the same JSON-encoded, with or without
// HTML escaping: printable ASCII with no '"', '\\', '<', '>' or '&'.
func jsonPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// scrub returns s with every form of a known secret replaced by Redacted:
// left to right, without overlaps, the longest form at each position, as
// a strings.Replacer of the forms would, but without the lookup tables such
// a Replacer builds, which cost kilobytes for every webhook's secrets.
func (r *Redactor) scrub(s string) string {
	if r == nil || len(r.forms) == 0 {
		return s
	}
	var b strings.Builder
	done := 0 // s[:done] is in b
	for i := 0; i+1 < len(s); {
		if h := pairHash(s[i], s[i+1]); r.starts[h/32]&(1<<(h%32)) != 0 {
			if n := r.formAt(s[i:]); n > 0 {
				if done == 0 {
					b.Grow(len(s) + len(Redacted)) // one allocation, unless short secrets stand many times
				}
				b.WriteString(s[done:i])
				b.WriteString(Redacted)
				i += n
				done = i
				continue
			}
		}
		i++
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// pairHash spreads the pairs of bytes over the 256 bits of starts.
func pairHash(a, b byte) uint8 {
	return uint8((uint32(a)<<8 | uint32(b)) * 0x9e3779b1 >> 24)
}

// formAt returns the length of the longest form s, which is not empty,
// starts with, or 0.
func (r *Redactor) formAt(s string) int {
	c := s[0]
	lo, hi := 0, len(r.forms) // the first form starting with c or after it
	for lo < hi {
		if m := int(uint(lo+hi) >> 1); r.forms[m][0] < c {
			lo = m + 1
		} else {
			hi = m
		}
	}
	for _, f := range r.forms[lo:] {
		if f[0] != c {
			break
		}
		if strings.HasPrefix(s, f) {
			return len(f)
		}
	}
	return 0
}

// URL returns a copy of u with its secrets replaced by Redacted: the
// username and password, each query value (keys are kept, in their order),
// each element of the query without a value (?a1b2c3, where a target
// takes its token bare), the fragment, the opaque part of a URL such as
// mailto:x, and known secrets in the path. u is not modified. A nil u gives
// nil.
func (r *Redactor) URL(u *url.URL) *url.URL {
	if u == nil {
		return nil
	}
	c := *u
	if c.User != nil {
		if _, ok := c.User.Password(); ok {
			c.User = url.UserPassword(Redacted, Redacted)
		} else {
			c.User = url.User(Redacted)
		}
	}
	if c.Opaque != "" {
		c.Opaque = Redacted
	}
	if c.RawQuery != "" {
		parts := strings.Split(c.RawQuery, "&")
		for i, p := range parts {
			switch k, v, ok := strings.Cut(p, "="); {
			case ok && v != "":
				parts[i] = k + "=" + Redacted
			case !ok && p != "":
				parts[i] = Redacted
			}
		}
		c.RawQuery = strings.Join(parts, "&")
	}
	if c.Fragment != "" {
		c.Fragment, c.RawFragment = Redacted, ""
	}
	c.Path, c.RawPath = r.scrub(c.Path), r.scrub(c.RawPath)
	return &c
}

// urlPattern finds URLs in text: a scheme, ://, and everything up to a
// space, a quote or an angle bracket.
var urlPattern = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.\-]*://[^\s"'<>` + "`" + `]+`)

// String returns s with every URL in it redacted as URL does (a URL that
// does not parse is replaced whole) and every known secret scrubbed.
func (r *Redactor) String(s string) string {
	if strings.Contains(s, "://") {
		s = urlPattern.ReplaceAllStringFunc(s, func(m string) string {
			u, err := url.Parse(m)
			if err != nil {
				return Redacted
			}
			return r.URL(u).String()
		})
	}
	return r.scrub(s)
}

// Scrub returns s with every known secret scrubbed, as String does, but
// its URLs left as they are: for text the secrets were put into on
// purpose (a request body rendered from a template that holds them),
// whose other URLs are no secret.
func (r *Redactor) Scrub(s string) string { return r.scrub(s) }

// Truncated returns s, the start of a longer text cut at any byte (a
// response body read up to a limit), redacted as String does, and with its
// end replaced by Redacted when that end is the beginning of a known
// secret, in any of its forms, that the cut went through.
func (r *Redactor) Truncated(s string) string {
	s = r.String(s)
	if r == nil {
		return s
	}
	cut := 0
	for _, f := range r.forms {
		for k := min(len(f)-1, len(s)); k > cut; k-- {
			if strings.HasSuffix(s, f[:k]) {
				cut = k
				break
			}
		}
	}
	if cut == 0 {
		return s
	}
	return s[:len(s)-cut] + Redacted
}

// Header returns a copy of h with every value of every header that is not
// safe replaced by Redacted. Names are kept, and so is the number of values
// of each. A nil h gives nil.
func (r *Redactor) Header(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := make(http.Header, len(h))
	for name, values := range h {
		out[name] = slices.Clone(r.Values(name, values))
	}
	return out
}

// Values returns the values of header name as a redacted header shows
// them: values itself when the header is safe, else as many Redacted.
func (r *Redactor) Values(name string, values []string) []string {
	if r.isSafe(name) {
		return values
	}
	red := make([]string, len(values))
	for i := range red {
		red[i] = Redacted
	}
	return red
}

// RedactHeader redacts h in place, as Header does, and returns it: for a
// header that is not needed afterwards, such as a response already read.
// Unlike Header, it also passes the values of safe headers through String:
// they come from the other side, which may echo a secret into any of them.
func (r *Redactor) RedactHeader(h http.Header) http.Header {
	for name, values := range h {
		if !r.isSafe(name) {
			h[name] = r.Values(name, values)
			continue
		}
		for i, v := range values {
			values[i] = r.String(v)
		}
	}
	return h
}

// Error returns an error whose text is err's, redacted by String, and that
// wraps err, so errors.Is and errors.As still find what err holds (whose own
// fields, such as url.Error.URL, are not redacted: print them through the
// Redactor too). A nil err gives nil.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: r.String(err.Error()), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
