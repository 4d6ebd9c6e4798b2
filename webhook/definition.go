package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/internal/bodysecrets"
	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/internal/redact"
)

// Webhook is a webhook definition: where to send which events, in what
// form, and how to judge the answer. It is plain data with Apono's JSON
// names, so definitions can be stored and loaded as JSON; a Dispatcher
// checks and compiles it when it is added. Zero fields mean the default.
//
// Printed, it shows its secrets redacted, as invocation records do: String,
// GoString, Format (every fmt verb, %v, %+v, %#v, %s, %q and %x among them)
// and LogValue hide the values of headers that are not safe, of Secrets,
// the signing secrets (whsec_REDACTED), and the URL's userinfo, query values and, with
// SecretURLPath, its path; those secrets are scrubbed wherever else they
// appear, but for the tags of a templated URL, which are no secret and
// are shown as written. Its JSON is not redacted: JSON is the stored
// form (see EncodeWebhooks), from which a definition must load whole.
type Webhook struct {
	// ID identifies the webhook to the Dispatcher. Add assigns a random one
	// when it is empty.
	ID string `json:"id,omitempty"`
	// Version is the definition's version in the definition store: 1 when
	// it was added, one more at each change. Add and Get set it. Given
	// to Tenant.Update, it is the version read, and the update fails with
	// a *defstore.ConflictError if the definition has changed since (zero
	// updates whatever version is current); Dispatcher.Update ignores it.
	Version int64 `json:"version,omitempty"`
	// Name is a unique, user-friendly label: letters, digits, spaces, '-'
	// and '_', starting with a letter or digit, at most 100 bytes.
	Name string `json:"name"`
	// Active webhooks receive published events; inactive ones only Test.
	Active bool `json:"active"`
	// Method is POST (the default), PUT, PATCH, DELETE or GET.
	Method string `json:"method,omitempty"`
	// URL is the target. By default it must be HTTPS on the default port
	// (Apono's rules); see WithURLPolicy and URLPolicy below. Its path
	// segments and query keys and values may hold template expressions
	// over the event, as in https://x.example/tickets/{{data.id}}?t={{data.tenant}};
	// its scheme and host may not. Each piece (a path segment, a query key
	// or value) that holds one is rendered whole, in package template's
	// Text mode, and escaped for where it stands, so that no value can
	// change the URL's structure: write its literal text unescaped (a '%'
	// there is refused), and open and close a block within the piece. A
	// segment that renders to "." or "..", or a URL the policy refuses
	// once rendered, fails the delivery unsent. A templated segment picks
	// the path on that host, and the headers, signature and OAuth token go
	// with it: on a host that serves many customers, each on a path
	// (hooks.zapier.com), template no segment that says whose endpoint it
	// is, lest a value of the event (a justification) choose who receives
	// them. A Tenant keeps secrets for the template as written.
	URL string `json:"url"`
	// SecretURLPath says the URL's path is itself a secret, as in Slack's and
	// Teams' incoming-webhook URLs: records, logs and errors show it
	// redacted.
	SecretURLPath bool `json:"secret_url_path,omitempty"`
	// Headers are sent with every request. Their values are treated as
	// secrets: invocation records and logs show them redacted. Names are
	// matched in any case; two names for one header are refused. A value
	// may hold template expressions over the event, rendered in package
	// template's Text mode for each delivery; a rendered value holding a
	// control character (CR, LF or other) fails the delivery unsent.
	Headers map[string]string `json:"headers,omitempty"`
	// BodyTemplate is a Handlebars/mustache template over the event; the
	// rendered body must be valid JSON (see package template). Empty means
	// the whole event as JSON. It finds Secrets as secrets.<name>, beside
	// the event's fields (an event field named secrets is hidden when
	// Secrets is set); a name that Secrets lacks is refused when the
	// webhook is added.
	BodyTemplate string `json:"body_template,omitempty"`
	// Secrets are values the body template refers to by name, for a target
	// that takes a credential in the body rather than in a header
	// (PagerDuty's routing key): {"routing_key": "..."} with
	// "routing_key": "{{secrets.routing_key}}" in the template. Place each
	// as a plain tag, {{secrets.<name>}} or {{{secrets.<name>}}}: the
	// template renders over a stand-in for each value, random for each
	// delivery, and the value replaces the stand-in, escaped for its place
	// as the template escapes a string there, once the body is rendered.
	// No helper, block or comparison sees a value, so nothing the body
	// holds beside the values, nor whether it is delivered, depends on
	// them. A helper that changes a stand-in (lower, upper, truncate)
	// leaves text that holds nothing of the value and is sent as it is;
	// one that leaves it whole (trim, a truncation past its end, a replace
	// that matches nothing, {{json this}}, {{json secrets}}) sends the
	// value itself, to the webhook's own target, which holds it. An
	// event's text cannot stand for a secret. The render limit counts a
	// stand-in as long as its value JSON-escaped.
	// The values are redacted everywhere but in the body sent, as header
	// values are: in invocation records (the request body is the body as
	// sent, REDACTED where a value stands, in any form the template or a
	// JSON encoder writes it, in ordinary text too, and so is the
	// response), errors, logs, spans and printed definitions, and sealed
	// in the definition store.
	// Names are 1 to 100 ASCII letters, digits and '_'; values are valid
	// UTF-8 of at least 4 bytes, since a shorter one could not be told from
	// the body's other text.
	Secrets map[string]string `json:"secrets,omitempty"`
	// Triggers lists the event types the webhook receives; at least one,
	// each once (ErrDuplicateTrigger, in either spelling of an
	// access-request trigger).
	Triggers []event.Trigger `json:"triggers"`
	// Filters restrict which events of those types the webhook receives. In
	// JSON it takes either form of package filter. Nil means every event.
	Filters *filter.Filter `json:"filters,omitempty"`
	// TimeoutInSec bounds each attempt, from dialling to the end of the
	// response body. Zero means DefaultTimeout.
	TimeoutInSec int `json:"timeout_in_sec,omitempty"`
	// ResponseValidators must all pass for a delivery to succeed, on top of
	// a 2xx status.
	ResponseValidators []ResponseValidator `json:"response_validators,omitempty"`
	// CustomValidationErrorMessage is the reason recorded when a response
	// validator fails. Empty means a generic message.
	CustomValidationErrorMessage string `json:"custom_validation_error_message,omitempty"`
	// SigningSecrets sign every request the Standard Webhooks way: whsec_
	// secrets (HMAC-SHA256, "v1") and whsk_ private keys (ed25519, "v1a"),
	// in padded standard base64 as the Go reference verifier requires (a
	// secret without its '=' padding is refused). With several
	// (at most signature.MaxSignatures), every signature is sent, so a
	// secret can be rotated without a gap. Empty means unsigned. Like headers, they are secrets:
	// redacted everywhere but in the stored definition.
	SigningSecrets []string `json:"signing_secrets,omitempty"`
	// Delivery overrides the Dispatcher's delivery settings for this
	// webhook; nil keeps them all.
	Delivery *DeliverySettings `json:"delivery,omitempty"`
	// Action names an integration action registered with WithAction, run
	// instead of an HTTP request: Apono's "Integration Action" type. URL
	// and Authentication must then be empty (an OAuth token is for the
	// URL's host, and an action has none); the body, headers, timeout, validators, rate
	// limit, breaker and records apply as to a request. Empty means an
	// HTTP webhook.
	Action string `json:"action,omitempty"`
	// URLPolicy relaxes the Dispatcher's URL rules for this webhook alone,
	// as far as the Dispatcher's URLPolicy lets definitions relax them; a
	// definition asking for more is refused. Nil keeps the Dispatcher's
	// rules.
	URLPolicy *DefinitionURLPolicy `json:"url_policy,omitempty"`
	// Authentication authenticates every request beyond Headers: OAuth 2.0
	// client credentials (see OAuth). Nil means none; a webhook that runs
	// an Action has none. Its client secret is
	// a secret, redacted everywhere but in the stored definition.
	Authentication *Authentication `json:"authentication_config,omitempty"`
	// TLS sets a client certificate, extra trusted roots and a minimum
	// version for this webhook's connections (see TLSSettings). Nil, or
	// all fields empty, keeps the Dispatcher's. Its certificates and key
	// are secrets, redacted everywhere but in the stored definition.
	TLS *TLSSettings `json:"tls,omitempty"`
}

// DefinitionURLPolicy is what one webhook asks of the URL rules. The
// SSRF guard is not among them: only the host's WithAllowedTargets
// opens it.
type DefinitionURLPolicy struct {
	// AllowHTTP accepts an http:// URL, if the Dispatcher's
	// URLPolicy.DefinitionsMayAllowHTTP (or AllowHTTP) is set.
	AllowHTTP bool `json:"allow_http,omitempty"`
	// AllowCustomPort accepts an explicit port in the URL, one of the
	// Dispatcher's URLPolicy.DefinitionPorts (any, with AllowCustomPorts).
	AllowCustomPort bool `json:"allow_custom_port,omitempty"`
}

// ResponseValidator checks one thing of a 2xx response; exactly one of
// JSONPath, Status and Header says what. Validators run only on a 2xx
// answer (any other status is a failed attempt, retried or not by the
// retry policy), and a failed validator fails the attempt: the delivery
// ends ValidationFailed unless RetryPolicy.RetryValidationFailures. In
// JSON:
//
//	{"json_path": "$.data.status", "expected_values": ["ok"]}
//	{"status": ["200", "201"]}
//	{"header": "Content-Type", "expected_values": ["application/json"]}
type ResponseValidator struct {
	// JSONPath checks one value of the JSON response body. $.data
	// addresses the body ($.data.status is the body's top-level status),
	// and so does a path with another root ($.incidents[0].status, as
	// Apono's manual webhooks write it); see package validate. The value
	// found must equal one of
	// ExpectedValues, compared as package validate describes, or, with no
	// ExpectedValues, merely be there.
	JSONPath string `json:"json_path,omitempty"`
	// Status lists the status codes accepted, each a code ("200"), a class
	// ("2xx") or an inclusive range ("200-204"), as validate.ParseStatus
	// reads them; each must include a 2xx code, since no other reaches the
	// validators. It takes no ExpectedValues.
	Status []string `json:"status,omitempty"`
	// Header names a response header (in any case) that must be present
	// and, with ExpectedValues, hold one of them exactly (Content-Type as
	// a media type: "application/json; charset=utf-8" is an expected
	// "application/json"; see validate.Header); a header sent several
	// times passes when any of its values does.
	Header string `json:"header,omitempty"`
	// ExpectedValues are the values JSONPath or Header accept.
	ExpectedValues []string `json:"expected_values,omitempty"`
}

// DeliverySettings tune the delivery of one webhook. Zero fields keep the
// Dispatcher's setting.
type DeliverySettings struct {
	// Retry replaces the Dispatcher's retry policy.
	Retry *RetryPolicy `json:"retry,omitempty"`
	// Concurrency is how many deliveries to this webhook may be in flight at
	// once, until their request's answer is read (see WithConcurrency).
	Concurrency int `json:"concurrency,omitempty"`
	// QueueSize is how many deliveries to this webhook may wait, in flight
	// or between retries included.
	QueueSize int `json:"queue_size,omitempty"`
	// OrderingKey is a path into the event, such as "data.id": deliveries
	// to this webhook whose events have the same value there go one at a
	// time, in the order they were published, so that Created, Approved and
	// Granted for one request arrive in that order. A delivery waits while
	// the one before it is retried, and goes once that one has ended,
	// delivered or dead-lettered; when Close gives that one up for its
	// deadline, those behind it are dead letters with it, unsent, so that
	// none reaches the receiver before it. Events without a value there
	// are not ordered; a path that is no field of a trigger's schema is
	// refused when the webhook is added. Empty means no ordering.
	OrderingKey string `json:"ordering_key,omitempty"`
	// RateLimit caps how fast this webhook is sent to; nil means no cap.
	// Each Dispatcher keeps its own count: N instances sharing a durable
	// engine may send up to N times the limit, as their breakers are each
	// their own.
	RateLimit *RateLimit `json:"rate_limit,omitempty"`
	// MaxRedirects is how many redirects to follow, each hop checked by the
	// SSRF guard; zero means none: a 3xx response is a failed attempt. A
	// hop is followed only to a URL the webhook's own could be: https (or
	// http, where the URL policy lets this definition use it, and never
	// from https), and a custom port only as the URL policy lets this
	// definition name it; a hop refused so leaves its 3xx as the answer. A
	// hop to another host (or port) is sent without the definition's
	// headers and without the webhook-id, webhook-timestamp and
	// webhook-signature headers; a webhook whose body holds Secrets does
	// not follow a hop to another host that would send the body again
	// (307, 308). It applies to the Dispatcher's own HTTP client only (see
	// WithHTTPClient).
	MaxRedirects int `json:"max_redirects,omitempty"`
}

// RateLimit allows Requests requests per Per, with bursts of up to Burst
// (at least 1; zero means Requests). A delivery over the limit waits for
// its turn without holding a worker and without counting as an attempt.
type RateLimit struct {
	Requests int      `json:"requests"`
	Per      Duration `json:"per"`
	Burst    int      `json:"burst,omitempty"`
}

// DefaultTimeout is the per-attempt timeout of a webhook whose TimeoutInSec
// is zero.
const DefaultTimeout = 30 * time.Second

// MaxTimeout is the largest per-attempt timeout a webhook may set.
const MaxTimeout = 10 * time.Minute

// Timeout returns the per-attempt timeout TimeoutInSec asks for.
func (w *Webhook) Timeout() time.Duration {
	if w.TimeoutInSec <= 0 {
		return DefaultTimeout
	}
	return time.Duration(w.TimeoutInSec) * time.Second
}

// clone returns a deep copy, so that a stored definition never shares maps
// or slices with the caller's.
func (w Webhook) clone() Webhook {
	if w.Headers != nil {
		h := make(map[string]string, len(w.Headers))
		for k, v := range w.Headers {
			h[k] = v
		}
		w.Headers = h
	}
	w.Secrets = maps.Clone(w.Secrets)
	w.Triggers = append([]event.Trigger(nil), w.Triggers...)
	w.SigningSecrets = append([]string(nil), w.SigningSecrets...)
	if w.ResponseValidators != nil {
		vs := make([]ResponseValidator, len(w.ResponseValidators))
		for i, v := range w.ResponseValidators {
			vs[i] = ResponseValidator{
				JSONPath: v.JSONPath, Status: append([]string(nil), v.Status...), Header: v.Header,
				ExpectedValues: append([]string(nil), v.ExpectedValues...),
			}
		}
		w.ResponseValidators = vs
	}
	if w.Delivery != nil {
		d := *w.Delivery
		if d.Retry != nil {
			r := *d.Retry
			d.Retry = &r
		}
		if d.RateLimit != nil {
			r := *d.RateLimit
			d.RateLimit = &r
		}
		w.Delivery = &d
	}
	if w.URLPolicy != nil {
		p := *w.URLPolicy
		w.URLPolicy = &p
	}
	w.Authentication = w.Authentication.clone()
	w.TLS = w.TLS.clone()
	return w
}

// redacted returns a copy of w with its secrets redacted as a Dispatcher
// redacts them in records.
func (w Webhook) redacted() Webhook {
	w = w.clone()
	header := make(http.Header, len(w.Headers))
	for name, value := range w.Headers {
		if !templated(value) { // a tag's text is no secret, and may stand in the URL too
			header[name] = []string{value}
		}
	}
	u, err := url.Parse(w.URL)
	if err != nil {
		u = nil
	}
	var secrets []string
	if u != nil && w.SecretURLPath && strings.Trim(u.Path, "/") != "" {
		secrets = append(secrets, strings.Trim(u.Path, "/"), strings.Trim(u.EscapedPath(), "/"))
	}
	secretsURL := u
	if u != nil && templated(w.URL) {
		secretsURL = withoutTags(w.URL, u) // a tag's text is no secret, and may stand in the path too
	}
	for _, value := range w.Secrets {
		secrets = append(secrets, bodysecrets.Forms(value)...)
	}
	r := redact.New(redact.WithSecretsFrom(secretsURL, header), redact.WithSecrets(secrets...))
	switch {
	case u != nil && templated(w.URL):
		w.URL = shownTemplateURL(w.URL, u, w.SecretURLPath, r)
	case u != nil:
		w.URL = r.URL(u).String()
	case w.URL != "":
		w.URL = redact.Redacted // it does not parse: no telling where its secrets are
	}
	for name, value := range w.Headers {
		w.Headers[name] = r.Values(name, []string{value})[0]
	}
	for name := range w.Secrets {
		w.Secrets[name] = redact.Redacted
	}
	for i, secret := range w.SigningSecrets {
		kind := ""
		for _, prefix := range []string{"whsec_", "whsk_", "whpk_"} {
			if strings.HasPrefix(secret, prefix) {
				kind = prefix // says which scheme, and nothing of the key
			}
		}
		w.SigningSecrets[i] = kind + redact.Redacted
	}
	w.Authentication = w.Authentication.redacted()
	w.TLS = w.TLS.redacted()
	return w
}

// printedWebhook is a Webhook without its methods, for fmt to print field
// by field.
type printedWebhook Webhook

// String returns w as compact JSON, its secrets redacted.
func (w Webhook) String() string {
	b, err := json.Marshal(printedWebhook(w.redacted()))
	if err != nil {
		return fmt.Sprintf("webhook %q (%v)", w.Name, err)
	}
	return string(b)
}

// GoString returns w in Go syntax, as %#v prints a struct, its secrets
// redacted.
func (w Webhook) GoString() string {
	return "webhook.Webhook" + strings.TrimPrefix(fmt.Sprintf("%#v", printedWebhook(w.redacted())), "webhook.printedWebhook")
}

// Format prints w for every verb from GoString (%#v) or String (any other
// verb, applied to that text), so that no verb reaches a secret.
func (w Webhook) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, w.GoString())
		return
	}
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), w.String())
}

// LogValue makes log/slog write the fields that say which webhook this is
// and where it sends: id, name, active, url, the action, and the headers,
// secrets, signing secrets and OAuth client when there are any, redacted.
func (w Webhook) LogValue() slog.Value {
	r := w.redacted()
	attrs := []slog.Attr{slog.String("id", r.ID), slog.String("name", r.Name), slog.Bool("active", r.Active), slog.String("url", r.URL)}
	if r.Action != "" {
		attrs = append(attrs, slog.String("action", r.Action))
	}
	if len(r.Headers) > 0 {
		attrs = append(attrs, slog.Any("headers", r.Headers))
	}
	if len(r.Secrets) > 0 {
		attrs = append(attrs, slog.Any("secrets", r.Secrets))
	}
	if len(r.SigningSecrets) > 0 {
		attrs = append(attrs, slog.Any("signing_secrets", r.SigningSecrets))
	}
	if r.Authentication != nil && r.Authentication.OAuth != nil {
		o := r.Authentication.OAuth
		attrs = append(attrs, slog.Group("oauth", slog.String("client_id", o.ClientID), slog.String("client_secret", o.ClientSecret), slog.String("token_endpoint_url", o.TokenEndpointURL)))
	}
	return slog.GroupValue(attrs...)
}

var (
	_ fmt.Stringer   = Webhook{}
	_ fmt.GoStringer = Webhook{}
	_ fmt.Formatter  = Webhook{}
	_ slog.LogValuer = Webhook{}
)

// MaxDefinitionsBytes bounds how much DecodeWebhooks reads.
const MaxDefinitionsBytes = 64 << 20

// DecodeWebhooks reads definitions from JSON: either an array of webhooks or
// an object {"webhooks": [...]}. Unknown fields are errors, so that a
// misspelt field is not silently ignored; so are a member given twice in
// one object, anything after the JSON, a string that is not valid UTF-8
// (escapes of lone surrogates included), and null where the member is not
// a pointer (a header of null is no empty header: only filters,
// delivery, url_policy, authentication_config and tls read null as left
// out, as the management API reads them). Errors are *DefinitionError with
// the line and column of the problem (and the member, where one is at
// fault). It
// only decodes: Dispatcher.AddAll checks and registers the definitions.
func DecodeWebhooks(r io.Reader) ([]Webhook, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxDefinitionsBytes+1))
	if err != nil {
		return nil, fmt.Errorf("webhook: reading definitions: %w", err)
	}
	if len(raw) > MaxDefinitionsBytes {
		return nil, &DefinitionError{Err: fmt.Errorf("%w: definitions larger than %d bytes", ErrInvalidDefinitions, MaxDefinitionsBytes)}
	}
	var list []Webhook
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		var wrapper struct {
			Webhooks []Webhook `json:"webhooks"`
		}
		err = decodeStrict(raw, &wrapper)
		list = wrapper.Webhooks
	} else {
		err = decodeStrict(raw, &list)
	}
	if err != nil {
		de := jsonDefinitionError(raw, err)
		var ne *nullError
		if errors.As(err, &ne) && ne.definition >= 0 && ne.definition < len(list) {
			de.Webhook = list[ne.definition].Name // decoded, but for the null
		}
		return nil, de
	}
	return list, nil
}

func decodeStrict(raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	end := d.InputOffset()
	if _, err := d.Token(); err != io.EOF {
		// Where the trailing data starts, not where its first token ends.
		return &trailingDataError{offset: end + int64(len(raw[end:])-len(bytes.TrimLeft(raw[end:], " \t\r\n")))}
	}
	if err := duplicateKey(raw); err != nil {
		return err
	}
	// Strict, since encoding/json puts U+FFFD for a string's bad bytes,
	// and a credential changed so would be sent as if it were the one.
	doc, err := jsondoc.ParseStrict(raw)
	if err != nil {
		var se *jsondoc.SyntaxError
		if errors.As(err, &se) && se.Msg == jsondoc.MsgInvalidUTF8 {
			return &invalidUTF8Error{offset: int64(se.Offset), path: se.Path}
		}
		return err // not reached: encoding/json has just read raw
	}
	if err := checkKeyCase(doc, reflect.TypeOf(v)); err != nil {
		return err
	}
	return nullMember(raw, reflect.TypeOf(v))
}

// invalidUTF8Error is a string or key that is not valid UTF-8, which
// encoding/json decodes with U+FFFD in place of each bad byte.
type invalidUTF8Error struct {
	offset int64
	path   string // of the string, or of a key's object
}

func (e *invalidUTF8Error) Error() string {
	return fmt.Sprintf("invalid UTF-8 in a string (at %s)", e.path)
}

// duplicateKeyError is a member given twice in one object, which
// encoding/json takes in silence, the last one winning.
type duplicateKeyError struct {
	key    string
	offset int64
}

func (e *duplicateKeyError) Error() string { return fmt.Sprintf("member %q given twice", e.key) }

// duplicateKey returns a *duplicateKeyError for the first member of raw,
// a JSON document that decodes, given twice in one object.
func duplicateKey(raw []byte) error {
	type frame struct {
		object, wantKey bool
		seen            map[string]bool
	}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(raw))
	for {
		at := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF: the end of the document
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if top != nil && top.object {
				top.wantKey = true
			}
			stack = append(stack, &frame{object: tok == json.Delim('{'), wantKey: true, seen: map[string]bool{}})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			continue
		}
		if top == nil || !top.object {
			continue
		}
		if !top.wantKey {
			top.wantKey = true // the value read, a key comes next
			continue
		}
		top.wantKey = false
		key, _ := tok.(string)
		if top.seen[key] {
			for at < int64(len(raw)) && raw[at] != '"' {
				at++ // past the comma and the space before the key
			}
			return &duplicateKeyError{key: key, offset: at}
		}
		top.seen[key] = true
	}
}

type trailingDataError struct{ offset int64 }

func (e *trailingDataError) Error() string { return "unexpected data after the definitions" }

// jsonDefinitionError turns encoding/json's errors, which carry byte
// offsets, into a *DefinitionError with a line and column.
func jsonDefinitionError(raw []byte, err error) *DefinitionError {
	de := &DefinitionError{Err: fmt.Errorf("%w: %w", ErrInvalidDefinitions, err)}
	var offset int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var tde *trailingDataError
	var kce *keyCaseError
	var dke *duplicateKeyError
	var ne *nullError
	var ue *invalidUTF8Error
	switch {
	case errors.As(err, &dke):
		offset = dke.offset
	case errors.As(err, &ue):
		offset = ue.offset
	case errors.As(err, &ne):
		offset, de.Field = ne.offset, ne.field
	case errors.As(err, &kce):
		if i := bytes.Index(raw, []byte(`"`+kce.key+`"`)); i >= 0 {
			offset = int64(i)
		}
	case errors.As(err, &se):
		offset = max(se.Offset-1, 0) // Offset counts the offending byte
	case errors.Is(err, io.ErrUnexpectedEOF):
		offset = int64(len(raw))
	case errors.As(err, &tde):
		offset = tde.offset
	case errors.As(err, &te):
		offset, de.Field = te.Offset, te.Field
	default:
		// encoding/json gives no offset for an unknown field: find the key.
		if name, ok := strings.CutPrefix(err.Error(), `json: unknown field "`); ok {
			key := `"` + strings.TrimSuffix(name, `"`) + `"`
			if i := bytes.Index(raw, []byte(key)); i >= 0 {
				offset = int64(i)
			}
		} else if field, at, ok := failingMember(raw); ok {
			// Nor for an error of a type's own UnmarshalJSON (a filter's,
			// a duration's): find the member that fails alone.
			offset, de.Field = at, field
		}
	}
	if offset >= 0 {
		de.Line, de.Column = lineColumn(raw, int(offset))
	}
	return de
}

// failingMember finds, in definitions as DecodeWebhooks reads them, the
// first member of a definition whose value fails to decode on its own,
// and returns its name and the offset of its value.
func failingMember(raw []byte) (name string, offset int64, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return "", 0, false
	}
	if tok == json.Delim('{') { // {"webhooks": [...]}
		for tok = nil; tok == nil && dec.More(); {
			key, err := dec.Token()
			if err != nil {
				return "", 0, false
			}
			if key == "webhooks" {
				if tok, err = dec.Token(); err != nil {
					return "", 0, false
				}
				continue
			}
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return "", 0, false
			}
		}
	}
	if tok != json.Delim('[') {
		return "", 0, false
	}
	for dec.More() {
		if t, err := dec.Token(); err != nil || t != json.Delim('{') {
			return "", 0, false
		}
		for dec.More() {
			t, err := dec.Token()
			key, isKey := t.(string)
			if err != nil || !isKey {
				return "", 0, false
			}
			at := dec.InputOffset()
			var value json.RawMessage
			if dec.Decode(&value) != nil {
				return "", 0, false
			}
			member, err := json.Marshal(map[string]json.RawMessage{key: value})
			var w Webhook
			if err == nil && json.Unmarshal(member, &w) != nil {
				for at < int64(len(raw)) && strings.IndexByte(" \t\r\n:", raw[at]) >= 0 {
					at++
				}
				return key, at, true
			}
		}
		if _, err := dec.Token(); err != nil {
			return "", 0, false
		}
	}
	return "", 0, false
}

// lineColumn converts a byte offset into a 1-based line and byte column.
func lineColumn(b []byte, offset int) (line, col int) {
	offset = min(offset, len(b))
	line = 1 + bytes.Count(b[:offset], []byte{'\n'})
	col = offset - bytes.LastIndexByte(b[:offset], '\n')
	return line, col
}

// LoadWebhooks reads definitions from a JSON file, as DecodeWebhooks does.
func LoadWebhooks(path string) ([]Webhook, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	defer f.Close()
	return DecodeWebhooks(f)
}

// EncodeWebhooks writes definitions as the {"webhooks": [...]} object that
// DecodeWebhooks reads, indented for people. Header values and body
// secrets are written in clear: this is the stored form, not a log.
func EncodeWebhooks(w io.Writer, hooks []Webhook) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if hooks == nil {
		hooks = []Webhook{}
	}
	return enc.Encode(struct {
		Webhooks []Webhook `json:"webhooks"`
	}{hooks})
}
