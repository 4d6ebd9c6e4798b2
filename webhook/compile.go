package webhook

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/internal/bodysecrets"
	"github.com/outhook/outhook/internal/breaker"
	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/internal/netguard"
	"github.com/outhook/outhook/internal/ratelimit"
	"github.com/outhook/outhook/internal/redact"
	"github.com/outhook/outhook/internal/suggest"
	"github.com/outhook/outhook/signature"
	"github.com/outhook/outhook/template"
	"github.com/outhook/outhook/validate"
)

// hook is a webhook definition checked and compiled once, at registration:
// everything a delivery needs, and the webhook's live flow state (its rate
// limiter and breaker, both safe for concurrent use). What only sending
// needs (the headers, their redacted copy, the signer) is made at the
// first attempt and kept, since most webhooks held are seldom or never
// sent to. An update makes a new one, so deliveries already started keep
// theirs.
type hook struct {
	def          Webhook  // a private copy, without its headers
	headers      []string // the definition's headers: name, value, name, value… in name order
	tenant       string   // owner of the definition
	key          string   // the engine's key of its queue (see queueKey)
	method       string
	endpoint     atomic.Pointer[endpoint]         // made at the first use (see endpointOf) unless the URL is templated or h an action
	header       atomic.Pointer[http.Header]      // to send, made at the first attempt (see headerOf)
	cfg          *config                          // the Dispatcher's, which compiled it
	recordHeader atomic.Pointer[http.Header]      // header redacted, made at the first attempt (see recordBase)
	redactor     atomic.Pointer[redact.Redactor]  // knows this webhook's secrets; made at the first use (see redactorOf)
	signer       atomic.Pointer[signature.Signer] // made at the first attempt (see signerOf)
	body         *template.Template
	secrets      *bodysecrets.Secrets // what the body finds as secrets.<name>; nil when none
	filter       *filter.Filter
	validators   *validate.Set
	timeout      time.Duration
	retry        *RetryPolicy // the Dispatcher's unless the definition has its own
	concurrency  int
	queueSize    int
	version      uint64             // 1 when added, one more at each update
	limiter      *ratelimit.Limiter // nil when unlimited
	breaker      *breaker.Breaker   // nil when turned off
	maxRedirect  int                // redirects to follow
	client       *http.Client       // nil: the Dispatcher's
	action       ActionFunc         // run instead of a request; nil for an HTTP webhook
	target       *targetTemplate    // nil: URL and headers are plain
	oauth        *oauthSource       // nil without OAuth
	tls          *tls.Config        // nil: the Dispatcher's client's
}

// webhook returns h's definition, headers included, as a deep copy.
func (h *hook) webhook() Webhook {
	w := h.def.clone()
	w.Headers = h.headerMap()
	return w
}

// headerMap returns h's headers in a new map; nil when it has none.
func (h *hook) headerMap() map[string]string {
	if h.headers == nil {
		return nil
	}
	m := make(map[string]string, len(h.headers)/2)
	for i := 0; i < len(h.headers); i += 2 {
		m[h.headers[i]] = h.headers[i+1]
	}
	return m
}

// endpoint is what a webhook's URL gives its attempts.
type endpoint struct {
	url      *url.URL // the URL (the probe's when templated); nil for an action
	redacted string   // the URL as records and spans show it
	addr     string   // the URL's host, for spans
	port     int      // the URL's port, explicit or implied by the scheme
}

// endpointOf returns h's endpoint. A plain URL's is made when first
// needed, since most webhooks held are seldom or never sent to, from the
// URL compile checked, and kept.
func (h *hook) endpointOf() *endpoint {
	if ep := h.endpoint.Load(); ep != nil {
		return ep
	}
	u := h.urlForHeader()
	var redacted string
	if u != nil {
		redacted = h.redactorOf().URL(u).String()
	}
	ep := newEndpoint(u, redacted)
	if h.endpoint.CompareAndSwap(nil, ep) {
		return ep
	}
	return h.endpoint.Load()
}

func newEndpoint(u *url.URL, redacted string) *endpoint {
	ep := &endpoint{url: u, redacted: redacted}
	if u != nil {
		ep.addr = u.Hostname()
		ep.port, _ = strconv.Atoi(portOf(u))
	}
	return ep
}

// urlForHeader returns h's URL parsed, for the headers and the redactor,
// which endpointOf needs: the endpoint's when made, or else h.def.URL
// parsed again, as compile checked it; nil when there is none or it
// does not parse.
func (h *hook) urlForHeader() *url.URL {
	if ep := h.endpoint.Load(); ep != nil {
		return ep.url
	}
	if h.def.URL == "" {
		return nil // a stand-in for a webhook not held (see ops.deadLettered)
	}
	u, err := url.Parse(h.def.URL)
	if err != nil {
		return nil
	}
	return u
}

// parsedURL returns h's URL parsed (the probe's when templated); nil for
// an action.
func (h *hook) parsedURL() *url.URL { return h.endpointOf().url }

// headerOf returns the headers every request of h sends, canonical names,
// defaults included. They are made at the first attempt, since most
// webhooks held are seldom or never sent to, and kept: the same map for
// the hook's life, which recordedHeader relies on.
func (h *hook) headerOf() http.Header {
	if p := h.header.Load(); p != nil {
		return *p
	}
	header := h.buildHeader(h.headerMap(), h.urlForHeader())
	if h.header.CompareAndSwap(nil, &header) {
		return header
	}
	return *h.header.Load()
}

// buildHeader returns the headers of a webhook with the headers given,
// checked by compile, and the URL u (nil for an action): the given ones
// whose values are not templates (each delivery sets those), Basic
// authorization from u's credentials unless given, and the Content-Type
// and User-Agent defaults.
func (h *hook) buildHeader(given map[string]string, u *url.URL) http.Header {
	header := make(http.Header, len(given)+2)
	for name, value := range given {
		if !templated(value) {
			header.Set(name, value)
		}
	}
	if u != nil && u.User != nil && header.Get("Authorization") == "" {
		// What http.Client does for credentials in the URL: the Dispatcher's
		// own client calls its transport directly.
		password, _ := u.User.Password()
		header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+password)))
	}
	if header.Get("Content-Type") == "" {
		header.Set("Content-Type", "application/json")
	}
	if header.Get("User-Agent") == "" && h.cfg.userAgent != "" {
		header.Set("User-Agent", h.cfg.userAgent)
	}
	return header
}

// redactorOf returns the redactor that knows h's secrets. It is made when
// first needed, since most webhooks held are seldom or never sent to, with
// the options compile made it with, and kept.
func (h *hook) redactorOf() *redact.Redactor {
	if r := h.redactor.Load(); r != nil {
		return r
	}
	r := redact.New(h.redactOptions(h.headerOf())...)
	if h.redactor.CompareAndSwap(nil, r) {
		return r
	}
	return h.redactor.Load()
}

// redactOptions returns what h's redactor knows: the secrets of its URL
// and of header (its headers), its body's secrets, its signing secrets, its URL's path when
// secret_url_path is set, the proxy's credentials, the TLS secrets a
// server may echo, and the OAuth client's secret.
func (h *hook) redactOptions(header http.Header) []redact.Option {
	w, u := &h.def, h.urlForHeader()
	secrets := slices.Clone(w.SigningSecrets)
	if u != nil && w.SecretURLPath && strings.Trim(u.Path, "/") != "" {
		secrets = append(secrets, strings.Trim(u.Path, "/"), strings.Trim(u.EscapedPath(), "/"))
	}
	for _, value := range w.Secrets {
		secrets = append(secrets, bodysecrets.Forms(value)...)
	}
	secrets = append(secrets, h.cfg.proxySecrets()...)
	secrets = append(secrets, echoSecrets(w.TLS)...)
	opts := []redact.Option{redact.WithSecretsFrom(u, header), redact.WithSecrets(secrets...)}
	if h.oauth != nil {
		opts = append(opts, redact.WithSecrets(clientSecretForms(w.Authentication.OAuth)...))
	}
	return opts
}

// renderSecrets renders h's body, which has secrets, over e: the
// template renders over a marker for each secret, so that no helper or
// block sees a value, and the values then replace the markers (see
// bodysecrets.Secrets).
func (h *hook) renderSecrets(e *event.Event) (string, error) {
	markers, token := h.secrets.Markers()
	buf := renderBuffers.Get().(*[]byte)
	defer renderBuffers.Put(buf)
	out, err := h.body.Append((*buf)[:0], markers.Data(e.Document()))
	if cap(out) <= 64<<10 { // an outsized body does not pin its buffer
		*buf = out
	}
	if err != nil {
		return "", err
	}
	sent := renderBuffers.Get().(*[]byte)
	defer renderBuffers.Put(sent)
	*sent = h.secrets.Substitute((*sent)[:0], out, token, h.body.Mode(), "")
	body := string(*sent)
	if cap(*sent) > 64<<10 {
		*sent = nil
	}
	return body, nil
}

// recordedBody returns body, as sent, as invocation records keep it:
// scrubbed of every secret h knows when h has body secrets. A body secret
// stands in body only where its marker stood, in a form the redactor
// knows (bodysecrets.Forms), since no helper saw it; the event's own text
// may hold secrets too.
func (h *hook) recordedBody(body string) string {
	if h.secrets == nil {
		return body
	}
	return h.redactorOf().Scrub(body)
}

// checkSecrets refuses body secrets whose names a template could not
// refer to, and values that are empty, too short to be scrubbed from a
// body's text, or not UTF-8 (which the body would not carry as given).
func checkSecrets(secrets map[string]string, fail func(string, error)) {
	for _, name := range slices.Sorted(maps.Keys(secrets)) {
		value := secrets[name]
		switch {
		case !validSecretName(name):
			fail("secrets", fmt.Errorf("%w: name %q is not 1 to 100 ASCII letters, digits and '_'", ErrInvalidSecret, name))
		case value == "":
			fail("secrets."+name, fmt.Errorf("%w: empty value", ErrInvalidSecret))
		case len(value) < minSecretLen:
			fail("secrets."+name, fmt.Errorf("%w: value shorter than %d bytes, too short to be redacted from the body", ErrInvalidSecret, minSecretLen))
		case !utf8.ValidString(value):
			fail("secrets."+name, fmt.Errorf("%w: value is not valid UTF-8", ErrInvalidSecret))
		}
	}
}

// minSecretLen is the shortest body secret: the redactor scrubs no
// shorter secret from free text.
const minSecretLen = 4

func validSecretName(name string) bool {
	if name == "" || len(name) > 100 {
		return false
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

var methods = []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodGet}

// compile checks w against cfg and compiles it. It reports every problem it
// finds, not only the first.
func (c *config) compile(w Webhook) (*hook, DefinitionErrors) {
	w = w.clone()
	var errs DefinitionErrors
	fail := func(field string, err error) {
		errs = append(errs, &DefinitionError{Webhook: w.Name, Field: field, Err: err})
	}
	h := &hook{def: w, method: strings.ToUpper(w.Method)}

	if bad := invalidUTF8Fields(w); bad != nil {
		// Checked first and alone: every other check reads these strings.
		for _, field := range bad {
			fail(field, ErrInvalidUTF8)
		}
		return nil, errs
	}
	if !validName(w.Name) {
		fail("name", ErrInvalidName)
	}
	if h.method == "" {
		h.method = http.MethodPost
	}
	if !slices.Contains(methods, h.method) {
		fail("method", fmt.Errorf("%w, not %q", ErrInvalidMethod, w.Method))
	}
	if field, err := c.checkDefinitionPolicy(w.URLPolicy); err != nil {
		fail(field, err)
	}
	tt, probe, targetErrs := c.compileTarget(w)
	errs = append(errs, targetErrs...)
	var u *url.URL
	var err error
	if w.Action != "" {
		c.compileAction(h, fail)
	} else if targetErrs == nil || tt != nil {
		if u, err = c.checkURL(probe, w.URLPolicy); err != nil {
			fail("url", err)
		}
	}

	given := make(map[string]string, len(w.Headers)) // canonical name → name as given
	for _, name := range slices.Sorted(maps.Keys(w.Headers)) {
		value := w.Headers[name]
		if err := checkHeader(name, value); err != nil {
			fail("headers."+name, err)
			continue
		}
		// Two spellings of one header: which is sent would depend on map order.
		if other, ok := given[http.CanonicalHeaderKey(name)]; ok {
			fail("headers."+name, fmt.Errorf("%w: %q and %q name the same header", ErrInvalidHeader, other, name))
			continue
		}
		given[http.CanonicalHeaderKey(name)] = name
	}
	checkSecrets(w.Secrets, fail)
	h.secrets = bodysecrets.Compile(w.Secrets)
	h.cfg = c
	header := h.buildHeader(w.Headers, u) // made again at the first attempt (see headerOf)
	// Checked here, each on its own field; the signer is made when first
	// needed.
	if n := len(w.SigningSecrets); n > signature.MaxSignatures {
		fail("signing_secrets", fmt.Errorf("%w: %d secrets; at most %d, as many signatures as a receiver's verifier reads", signature.ErrInvalidSecret, n, signature.MaxSignatures))
	}
	for i, text := range w.SigningSecrets {
		sec, err := signature.ParseSecret(text)
		if err == nil {
			_, err = signature.NewSigner(sec)
		}
		if err != nil {
			fail(fmt.Sprintf("signing_secrets[%d]", i), err)
		}
	}
	if h.oauth = c.compileOAuth(w, fail); h.oauth != nil && u != nil && u.User != nil {
		// Sent as Basic authorization, which the token would replace unsaid.
		fail("url", fmt.Errorf("%w: OAuth sends the Authorization header; the URL may hold no credentials", ErrInvalidAuthentication))
	}
	if tt != nil && u != nil {
		h.endpoint.Store(newEndpoint(u, "")) // what redactOptions reads; redacted below
	}
	redactOpts := h.redactOptions(header)
	if h.oauth != nil {
		h.oauth.secrets = redactOpts
	}
	h.tls = compileTLS(w, u, fail)
	red := redact.New(redactOpts...) // made again at the first use (see redactorOf)
	if tt != nil && u != nil {
		// A templated target's probe is not h.def.URL: kept now.
		redacted := red.URL(u).String()
		if templated(w.URL) {
			// Spans and errors show the template, as a Tenant's view does.
			redacted = w.redacted().URL
		}
		h.endpoint.Store(newEndpoint(u, redacted))
	}

	schemas, triggerErrs := c.triggerSchemas(w.Triggers)
	for _, e := range triggerErrs {
		fail(e.field, e.err)
	}
	if len(w.Triggers) == 1 && triggerErrs == nil {
		h.def.Triggers = c.shared.oneTrigger(w.Triggers[0])
	}

	if strings.TrimSpace(w.BodyTemplate) != "" {
		opts := append(slices.Clip(c.templateOptions), template.WithName("body_template"), template.WithMode(template.JSON))
		t, src, err := c.shared.body(w.BodyTemplate, opts)
		if err != nil {
			errs = append(errs, templateErrors(w.Name, err)...)
		} else {
			checked := make([]template.Schema, 0, len(schemas)+1)
			for _, s := range schemas {
				checked = append(checked, s)
			}
			if len(w.Secrets) > 0 {
				// Each schema knows the secrets; without one, only the
				// secrets' names are checked.
				names := slices.Collect(maps.Keys(w.Secrets))
				if len(checked) == 0 {
					checked = append(checked, nil)
				}
				for i, s := range checked {
					checked[i] = bodysecrets.Schema(s, names)
				}
			}
			for _, s := range checked {
				if err := t.Check(s); err != nil {
					errs = append(errs, templateErrors(w.Name, err)...)
					break
				}
			}
			h.body = t
			// The copy kept with the template: a definition decoded from
			// a store would otherwise hold a copy of its own.
			h.def.BodyTemplate = src
		}
	}

	if tt != nil {
		for _, s := range schemas {
			if es := tt.checkSchema(w.Name, s); es != nil {
				errs = append(errs, es...)
				break
			}
		}
		host, policy := "", w.URLPolicy
		if u != nil {
			host = u.Host
		}
		tt.check = func(r *url.URL) error {
			if r.Host != host {
				return fmt.Errorf("%w: %w", ErrInvalidURL, errHostChanged)
			}
			_, err := c.checkURL(r.String(), policy)
			return err
		}
		h.target = tt
	}

	if w.Filters != nil {
		for _, s := range schemas {
			if err := w.Filters.Check(s); err != nil {
				fail("filters", fmt.Errorf("%w: %w", ErrInvalidFilter, err))
				break
			}
		}
		if f, err := c.shared.filter(w.Filters); err != nil {
			fail("filters", fmt.Errorf("%w: its JSON form does not load back: %w", ErrInvalidFilter, err))
		} else {
			h.filter = f
		}
	}

	if w.TimeoutInSec < 0 || w.Timeout() > MaxTimeout {
		fail("timeout_in_sec", fmt.Errorf("%w: %d is not between 1 and %d", ErrInvalidTimeout, w.TimeoutInSec, int(MaxTimeout/time.Second)))
	}
	h.timeout = w.Timeout()

	validators := make([]validate.Validator, 0, len(w.ResponseValidators))
	for i, rv := range w.ResponseValidators {
		v, field, err := c.compileValidator(rv)
		if err != nil {
			de := &DefinitionError{Webhook: w.Name, Field: fmt.Sprintf("response_validators[%d]%s", i, field), Err: fmt.Errorf("%w: %w", ErrInvalidValidator, err)}
			if pe := (*validate.PathError)(nil); errors.As(err, &pe) {
				de.Line, de.Column = pe.Line, pe.Column
			}
			errs = append(errs, de)
			continue
		}
		validators = append(validators, v)
	}
	h.validators = validate.NewSet(validators, validate.Message(w.CustomValidationErrorMessage))
	if len(validators) == len(w.ResponseValidators) {
		// Validators compile to the same Set from the same source.
		rc := c.shared.responseChecks(w.ResponseValidators, w.CustomValidationErrorMessage, h.validators)
		h.validators, h.def.ResponseValidators = &rc.set, rc.defs
	}

	h.retry, h.concurrency, h.queueSize = &c.retry, c.concurrency, c.queueSize
	if d := w.Delivery; d != nil {
		if d.Retry != nil {
			if err := d.Retry.validate(); err != nil {
				fail("delivery.retry", err)
			}
			r := d.Retry.withDefaults()
			h.retry = &r
		}
		if d.Concurrency < 0 {
			fail("delivery.concurrency", fmt.Errorf("%w: concurrency %d is negative", ErrInvalidSettings, d.Concurrency))
		}
		if d.QueueSize < 0 {
			fail("delivery.queue_size", fmt.Errorf("%w: queue_size %d is negative", ErrInvalidSettings, d.QueueSize))
		}
		if d.Concurrency > 0 {
			h.concurrency = d.Concurrency
		}
		if d.QueueSize > 0 {
			h.queueSize = d.QueueSize
		}
		if d.OrderingKey != "" {
			if slices.Contains(strings.Split(d.OrderingKey, "."), "") {
				fail("delivery.ordering_key", fmt.Errorf("%w: ordering_key %q is not a dotted path", ErrInvalidSettings, d.OrderingKey))
			} else if err := checkOrderingKey(d.OrderingKey, schemas); err != nil {
				fail("delivery.ordering_key", err)
			}
		}
		if rl := d.RateLimit; rl != nil {
			burst := rl.Burst
			if burst == 0 {
				burst = rl.Requests
			}
			lim, err := ratelimit.New(rl.Requests, time.Duration(rl.Per), burst)
			if err != nil {
				fail("delivery.rate_limit", fmt.Errorf("%w: %w", ErrInvalidSettings, err))
			}
			h.limiter = lim
		}
		if d.MaxRedirects < 0 || d.MaxRedirects > maxRedirects {
			fail("delivery.max_redirects", fmt.Errorf("%w: max_redirects must be between 0 and %d", ErrInvalidSettings, maxRedirects))
		}
		h.maxRedirect = d.MaxRedirects
	}
	h.breaker = c.newBreaker(h)
	if len(errs) > 0 {
		return nil, errs
	}
	// A map of a few headers costs hundreds of bytes; the pairs, a few
	// dozen.
	if w.Headers != nil {
		h.headers = make([]string, 0, 2*len(w.Headers))
		for _, name := range slices.Sorted(maps.Keys(w.Headers)) {
			h.headers = append(h.headers, name, w.Headers[name])
		}
		h.def.Headers = nil
	}
	return h, nil
}

// compileValidator compiles rv. On failure it returns the field at fault,
// as a suffix of response_validators[i]: "", ".json_path", ".status",
// ".header" or ".expected_values". A JSON path validator is shared with
// the webhooks that have the same path and expected values.
func (c *config) compileValidator(rv ResponseValidator) (validate.Validator, string, error) {
	kinds := 0
	for _, set := range []bool{rv.JSONPath != "", len(rv.Status) > 0, rv.Header != ""} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return nil, "", errors.New("give exactly one of json_path, status and header")
	}
	switch {
	case rv.JSONPath != "":
		v, err := c.shared.jsonPath(rv.JSONPath, rv.ExpectedValues)
		if err != nil {
			return nil, ".json_path", err
		}
		return v, ".json_path", nil
	case rv.Header != "":
		if !netguard.ValidHeaderName(rv.Header) {
			return nil, ".header", fmt.Errorf("%q is not a valid HTTP header name", rv.Header)
		}
		return validate.Header(rv.Header, rv.ExpectedValues...), "", nil
	}
	if len(rv.ExpectedValues) > 0 {
		return nil, ".expected_values", errors.New("a status validator lists its codes in status")
	}
	var ranges []validate.StatusRange
	for _, spec := range rv.Status {
		v, err := validate.ParseStatus(spec)
		if err == nil && strings.Trim(spec, ", \t") == "" {
			err = fmt.Errorf("%w: an empty entry", validate.ErrInvalidStatus) // ParseStatus would read 2xx
		}
		if err != nil {
			return nil, ".status", err
		}
		for _, r := range v.Ranges() {
			if r.Max < 200 || r.Min > 299 {
				// Any other status fails the attempt before validators run.
				return nil, ".status", fmt.Errorf("%w: %s holds no 2xx code, and validators only see 2xx answers", validate.ErrInvalidStatus, r)
			}
		}
		ranges = append(ranges, v.Ranges()...)
	}
	return validate.Status(ranges...), "", nil
}

// checkOrderingKey refuses an ordering key that names no field of the
// events of some trigger: every event would lack a value there, and so
// go unordered, which a misspelt key would otherwise do in silence.
func checkOrderingKey(key string, schemas []*event.Schema) error {
	for _, s := range schemas {
		if _, ok := s.Lookup(key); ok {
			continue
		}
		hint := ""
		if near := suggest.Closest(key, s.Paths()); near != "" {
			hint = fmt.Sprintf("; did you mean %s?", near)
		}
		return fmt.Errorf("%w: ordering_key %q is not a field of the event%s", ErrInvalidSettings, key, hint)
	}
	return nil
}

// orderingKeyOf returns the value at h's ordering-key path in e, as
// text; "" when h is unordered or e has no value there.
func (h *hook) orderingKeyOf(e *event.Event) string {
	if h.def.Delivery == nil || h.def.Delivery.OrderingKey == "" {
		return ""
	}
	var v any = e.Document()
	for name := range strings.SplitSeq(h.def.Delivery.OrderingKey, ".") {
		if v, _ = jsondoc.Field(v, name); v == nil {
			return ""
		}
	}
	if k := jsondoc.KindOf(v); k != jsondoc.Absent && k != jsondoc.Null {
		return string(jsondoc.AppendText(nil, v))
	}
	return ""
}

// maxRedirects bounds MaxRedirects.
const maxRedirects = 10

// newBreaker returns the circuit breaker of h, or nil when breakers are
// turned off. Its changes are told with h's tenant, set once h is
// compiled and before any delivery uses it.
func (c *config) newBreaker(h *hook) *breaker.Breaker {
	s := c.breaker
	if s.Threshold < 0 {
		return nil
	}
	if s.MaxCooldown == 0 {
		s.MaxCooldown = breaker.DefaultMaxCooldown
	}
	opts := []breaker.Option{breaker.WithThreshold(s.Threshold), breaker.WithCooldown(s.Cooldown, s.MaxCooldown), breaker.WithClock(c.now)}
	if single, all, ops := c.onBreaker, c.onTenantBreaker, c.detector; single != nil || all != nil || ops != nil {
		opts = append(opts, breaker.WithOnChange(func(from, to breaker.State) {
			f, t := BreakerState(from.String()), BreakerState(to.String())
			ops.breaker(h, t)
			if single != nil && h.tenant == "" {
				single(h.def.ID, f, t)
			}
			if all != nil {
				all(h.tenant, h.def.ID, f, t)
			}
		}))
	}
	return breaker.New(opts...)
}

// validName reports whether name is 1 to 100 bytes of letters, digits,
// spaces, '-' and '_', starting with a letter or digit.
func validName(name string) bool {
	if name == "" || len(name) > 100 {
		return false
	}
	for i, r := range name {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
		case i > 0 && (r == ' ' || r == '-' || r == '_'):
		default:
			return false
		}
	}
	return true
}

// checkURL parses raw and checks it against the URL policy, as far as
// the definition's own policy p relaxes it (see URLPolicy).
func (c *config) checkURL(raw string, p *DefinitionURLPolicy) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse quotes the URL, secrets and all.
		return nil, fmt.Errorf("%w: %v", ErrInvalidURL, redact.New(redact.WithSecrets(raw)).String(err.Error()))
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("%w: scheme must be https, not %q", ErrInvalidURL, u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("%w: no host", ErrInvalidURL)
	case u.Fragment != "":
		return nil, fmt.Errorf("%w: a fragment (#...) is never sent", ErrInvalidURL)
	case !validPort(u.Port()):
		return nil, fmt.Errorf("%w: port %s is not between 1 and 65535", ErrInvalidURL, u.Port())
	}
	if err := c.checkURLPolicy(u, p); err != nil {
		return nil, err
	}
	return u, nil
}

// validPort reports whether port, as url.URL.Port gives it (digits, or
// empty for the scheme's own), is one a connection can have.
func validPort(port string) bool {
	if port == "" {
		return true
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}

// checkURLPolicy checks u's scheme and port against the URL policy, as
// far as p relaxes it: for a webhook's URL and for each hop of a redirect
// it follows.
func (c *config) checkURLPolicy(u *url.URL, p *DefinitionURLPolicy) error {
	if p == nil {
		p = &DefinitionURLPolicy{}
	}
	switch {
	case u.Scheme == "http" && !c.urlPolicy.AllowHTTP && !(p.AllowHTTP && c.urlPolicy.DefinitionsMayAllowHTTP):
		if c.urlPolicy.DefinitionsMayAllowHTTP {
			return fmt.Errorf("%w: HTTPS is required unless url_policy.allow_http is set", ErrInsecureURL)
		}
		return fmt.Errorf("%w: HTTPS is required", ErrInsecureURL)
	case u.Port() != "" && !c.urlPolicy.AllowCustomPorts:
		port, _ := strconv.Atoi(u.Port())
		switch {
		case len(c.urlPolicy.DefinitionPorts) == 0:
			return fmt.Errorf("%w: custom port %s", ErrInsecureURL, u.Port())
		case !slices.Contains(c.urlPolicy.DefinitionPorts, port):
			return fmt.Errorf("%w: custom port %s is not one the Dispatcher lets definitions use (%v)", ErrInsecureURL, u.Port(), c.urlPolicy.DefinitionPorts)
		case !p.AllowCustomPort:
			return fmt.Errorf("%w: custom port %s needs url_policy.allow_custom_port", ErrInsecureURL, u.Port())
		}
	}
	return nil
}

// checkRedirect returns the redirect policy of a webhook's own client: at
// most maxHops hops, each to a URL the webhook's URL policy p accepts.
// With secretBody, a hop to another host that would send the body again
// (after a 307 or 308) is not followed: the hop drops the headers'
// credentials, and the body's secrets must not reach that host instead.
func (c *config) checkRedirect(maxHops int, p *DefinitionURLPolicy, secretBody bool) func(*http.Request, []*http.Request) error {
	follow := netguard.CheckRedirect(maxHops, func(u *url.URL) error { return c.checkURLPolicy(u, p) })
	if !secretBody {
		return follow
	}
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > 0 && req.Body != nil && req.Body != http.NoBody && !strings.EqualFold(req.URL.Host, via[0].URL.Host) {
			return http.ErrUseLastResponse
		}
		return follow(req, via)
	}
}

// checkDefinitionPolicy refuses a definition's URL policy that asks for
// more than the Dispatcher lets definitions relax, and names the field.
func (c *config) checkDefinitionPolicy(p *DefinitionURLPolicy) (field string, err error) {
	switch {
	case p == nil:
	case p.AllowHTTP && !c.urlPolicy.AllowHTTP && !c.urlPolicy.DefinitionsMayAllowHTTP:
		return "url_policy.allow_http", fmt.Errorf("%w: the Dispatcher does not let definitions allow HTTP", ErrInsecureURL)
	case p.AllowCustomPort && !c.urlPolicy.AllowCustomPorts && len(c.urlPolicy.DefinitionPorts) == 0:
		return "url_policy.allow_custom_port", fmt.Errorf("%w: the Dispatcher does not let definitions allow custom ports", ErrInsecureURL)
	}
	return "", nil
}

// checkHeader refuses names and values that are not valid HTTP (CR and LF
// above all, which would let a value smuggle headers), and headers the
// transport owns.
func checkHeader(name, value string) error {
	if !netguard.ValidHeaderName(name) {
		return fmt.Errorf("%w: name %q is not a valid HTTP header name", ErrInvalidHeader, name)
	}
	if !netguard.ValidHeaderValue(value) {
		return fmt.Errorf("%w: value holds a control character (CR, LF or other)", ErrInvalidHeader)
	}
	switch http.CanonicalHeaderKey(name) {
	case "Host", "Content-Length", "Transfer-Encoding", "Connection", "Te", "Upgrade", "Trailer":
		return fmt.Errorf("%w: %s is set by the transport", ErrInvalidHeader, http.CanonicalHeaderKey(name))
	}
	return nil
}

type fieldErr struct {
	field string
	err   error
}

// triggerSchemas checks the triggers and returns the distinct schemas their
// events follow. A trigger given twice (in any of its spellings) is
// refused, not folded: it says nothing the first did not, and a
// definition of one trigger copied 60,000 times is a megabyte stored and
// matched on every load. So no valid list is longer than the event types
// served, and a longer one is one problem, not one per trigger.
func (c *config) triggerSchemas(triggers []event.Trigger) ([]*event.Schema, []fieldErr) {
	if len(triggers) == 0 {
		return nil, []fieldErr{{"triggers", ErrNoTriggers}}
	}
	if len(triggers) > len(c.schemas) {
		return nil, []fieldErr{{"triggers", fmt.Errorf("%w: %d triggers, and the service has %d event types", ErrTooManyTriggers, len(triggers), len(c.schemas))}}
	}
	var schemas []*event.Schema
	var errs []fieldErr
	first := make(map[event.Trigger]int, len(triggers))
	for i, t := range triggers {
		canonical := accessrequest.Canonical(t)
		s, known := c.schemas[canonical]
		if !known {
			errs = append(errs, fieldErr{"triggers", fmt.Errorf("%w %q: use an access-request trigger, or serve it with WithEventKind or WithEventType", ErrUnknownTrigger, t)})
			continue
		}
		if at, seen := first[canonical]; seen {
			errs = append(errs, fieldErr{fmt.Sprintf("triggers[%d]", i), fmt.Errorf("%w: %q is triggers[%d] already", ErrDuplicateTrigger, t, at)})
			continue
		}
		first[canonical] = i
		if s != nil && !slices.Contains(schemas, s) {
			schemas = append(schemas, s)
		}
	}
	return schemas, errs
}

// templateErrors turns the template package's errors, each with a line and
// column, into definition errors.
func templateErrors(name string, err error) DefinitionErrors {
	var list template.ErrorList
	if !errors.As(err, &list) {
		var te *template.Error
		if errors.As(err, &te) {
			list = template.ErrorList{te}
		}
	}
	if len(list) == 0 {
		return DefinitionErrors{{Webhook: name, Field: "body_template", Err: fmt.Errorf("%w: %w", ErrInvalidTemplate, err)}}
	}
	out := make(DefinitionErrors, len(list))
	for i, te := range list {
		err := fmt.Errorf("%w: %w", ErrInvalidTemplate, stripPosition(te))
		if errors.Is(te, template.ErrUnknownField) && strings.HasPrefix(strings.TrimPrefix(te.Path, "@root."), bodysecrets.Root+".") {
			err = fmt.Errorf("%w: %w: %w", ErrInvalidTemplate, ErrInvalidSecret, stripPosition(te))
		}
		out[i] = &DefinitionError{Webhook: name, Field: "body_template", Line: te.Line, Column: te.Column, Err: err}
	}
	return out
}

// stripPosition returns te without its name and position, which the
// DefinitionError prints itself.
func stripPosition(te *template.Error) error {
	plain := *te
	plain.Name, plain.Line, plain.Column = "", 0, 0
	return &plain
}
