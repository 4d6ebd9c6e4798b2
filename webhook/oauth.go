package webhook

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/outhook/outhook/internal/netguard"
	"github.com/outhook/outhook/internal/redact"
)

// Authentication says how a webhook authenticates itself to its target,
// on top of its headers. Apono's other two types, a bearer token and
// custom headers, are Webhook.Headers ("Authorization": "Bearer ...").
type Authentication struct {
	// OAuth sends every request with an OAuth 2.0 access token fetched
	// with the client credentials grant.
	OAuth *OAuth `json:"oauth,omitempty"`
}

// OAuth is an OAuth 2.0 client of the client credentials grant (RFC 6749,
// section 4.4), with the field names of Apono's API model.
//
// A Dispatcher fetches one token per webhook (per tenant and id, and per
// version of the definition: an update fetches a new one) from
// TokenEndpointURL, and sends it as "Authorization: Bearer <token>" until
// TokenEarlyExpiry before it expires (a token without expires_in, until
// the target refuses it). The token request goes through the
// Dispatcher's HTTP client, so the SSRF guard checks it as it checks
// deliveries, with the webhook's TLS settings (Webhook.TLS: its roots,
// its client certificate, its minimum version) when it has some, and it
// follows no redirect; it is bounded by the webhook's timeout; many deliveries
// waiting for a token share one request. A target that answers 401 has
// its token fetched again and the request sent again, once, within the
// same attempt (Invocation.TokenRefetched). A token that cannot be
// fetched fails the attempt, with a reason starting "oauth: ", and the
// attempt is retried as any failed attempt is, and counted by the circuit
// breaker as a failure of the webhook's (a token endpoint the SSRF guard
// blocks, for neither). A webhook with OAuth sets no Authorization
// header and no credentials in its URL, and runs no Action.
//
// ClientSecret and the access tokens are secrets: redacted in records,
// logs, spans and errors, sealed in the definition store and masked in a
// Tenant's view of the definition.
type OAuth struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	// TokenEndpointURL is checked by the URL policy, as Webhook.URL is.
	TokenEndpointURL string `json:"token_endpoint_url"`
	// Scopes are sent space-separated in the token request; none sends no
	// scope parameter.
	Scopes []string `json:"scopes,omitempty"`
}

// TokenEarlyExpiry is how long before its expiry a cached access token is
// fetched again, so that a token does not expire on its way to the target.
const TokenEarlyExpiry = 10 * time.Second

// ErrInvalidAuthentication marks a definition's authentication_config
// that cannot be used.
var ErrInvalidAuthentication = errors.New("invalid authentication")

// clone returns a deep copy of a.
func (a *Authentication) clone() *Authentication {
	if a == nil {
		return nil
	}
	c := *a
	if a.OAuth != nil {
		o := *a.OAuth
		o.Scopes = slices.Clone(o.Scopes)
		c.OAuth = &o
	}
	return &c
}

// redacted returns a copy of a with its client secret redacted and the
// token endpoint's URL redacted as a webhook's URL is.
func (a *Authentication) redacted() *Authentication {
	a = a.clone()
	if a == nil || a.OAuth == nil {
		return a
	}
	if a.OAuth.ClientSecret != "" {
		a.OAuth.ClientSecret = redact.Redacted
	}
	if u, err := url.Parse(a.OAuth.TokenEndpointURL); err == nil {
		a.OAuth.TokenEndpointURL = redact.New().URL(u).String()
	} else if a.OAuth.TokenEndpointURL != "" {
		a.OAuth.TokenEndpointURL = redact.Redacted
	}
	return a
}

// keepOAuthSecret gives w the client secret of old when w omits the
// authentication_config or sends the secret back masked, as a Tenant's
// view shows it, and reports whether it did. The secret is sent to the
// token endpoint, and the token it buys to the URL, so it is kept for the
// same token endpoint only (an error naming the field), and keepSecrets
// keeps it for the same URL only.
func keepOAuthSecret(w *Webhook, old Webhook) (bool, *DefinitionError) {
	was := old.Authentication
	if was == nil || was.OAuth == nil {
		return false, nil
	}
	if w.Authentication == nil {
		w.Authentication = was.clone() // omitted: unchanged
		return true, nil
	}
	o := w.Authentication.OAuth
	if o == nil {
		return false, nil
	}
	shown := was.redacted().OAuth
	sameEndpoint := o.TokenEndpointURL == was.OAuth.TokenEndpointURL || o.TokenEndpointURL == shown.TokenEndpointURL
	if o.TokenEndpointURL == shown.TokenEndpointURL {
		o.TokenEndpointURL = was.OAuth.TokenEndpointURL
	}
	if o.ClientSecret != shown.ClientSecret || o.ClientSecret == was.OAuth.ClientSecret {
		return false, nil
	}
	if !sameEndpoint {
		return false, &DefinitionError{Webhook: w.Name, Field: "authentication_config.oauth.client_secret",
			Err: fmt.Errorf("%w: the token endpoint changed, and a secret is kept for the endpoint it was given for only; give it again", ErrSecretRequired)}
	}
	o.ClientSecret = was.OAuth.ClientSecret
	return true, nil
}

// oauthSource fetches and caches the access tokens of one compiled webhook.
// Its own cache, not oauth2.ReuseTokenSource: that one makes callers wait
// behind a mutex that ignores their contexts, fetches once per waiter
// after a failure, and cannot drop a token the target refused.
type oauthSource struct {
	config   clientcredentials.Config
	timeout  time.Duration
	redactor *redact.Redactor // the client secret and the endpoint URL's secrets
	secrets  []redact.Option  // the webhook's, for redactorFor
	client   *http.Client     // set by Dispatcher.compile
	life     context.Context  // ends fetches when the Dispatcher closes

	mu     sync.Mutex
	token  *oauth2.Token
	red    *redact.Redactor // the webhook's secrets and token's
	flight *tokenFlight     // the fetch under way, if any
}

type tokenFlight struct {
	done  chan struct{}
	token *oauth2.Token
	red   *redact.Redactor
	err   error
}

// compileOAuth checks w's authentication_config and returns its token
// source, nil without OAuth.
func (c *config) compileOAuth(w Webhook, fail func(string, error)) *oauthSource {
	if w.Authentication == nil || w.Authentication.OAuth == nil {
		return nil
	}
	o := w.Authentication.OAuth
	const field = "authentication_config.oauth"
	ok := true
	check := func(name string, err error) {
		fail(field+"."+name, fmt.Errorf("%w: %w", ErrInvalidAuthentication, err))
		ok = false
	}
	if o.ClientID == "" {
		check("client_id", errors.New("client_id is required"))
	} else if !netguard.ValidHeaderValue(o.ClientID) {
		check("client_id", errors.New("client_id holds a control character"))
	}
	if o.ClientSecret == "" {
		check("client_secret", errors.New("client_secret is required"))
	} else if !netguard.ValidHeaderValue(o.ClientSecret) {
		check("client_secret", errors.New("client_secret holds a control character"))
	}
	if o.TokenEndpointURL == "" {
		check("token_endpoint_url", errors.New("token_endpoint_url is required"))
	} else if _, err := c.checkURL(o.TokenEndpointURL, w.URLPolicy); err != nil {
		check("token_endpoint_url", err)
	}
	for i, s := range o.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n\"\\") {
			check(fmt.Sprintf("scopes[%d]", i), fmt.Errorf("scope %q is not one scope token", s))
		}
	}
	for name := range w.Headers {
		if http.CanonicalHeaderKey(name) == "Authorization" {
			fail("headers."+name, fmt.Errorf("%w: OAuth sends the Authorization header", ErrInvalidAuthentication))
			ok = false
		}
	}
	if !ok {
		return nil
	}
	u, _ := url.Parse(o.TokenEndpointURL)
	return &oauthSource{
		config: clientcredentials.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret,
			TokenURL: o.TokenEndpointURL, Scopes: slices.Clone(o.Scopes)},
		timeout:  w.Timeout(),
		redactor: redact.New(redact.WithSecretsFrom(u, nil), redact.WithSecrets(clientSecretForms(o)...)),
		life:     context.Background(),
	}
}

// clientSecretForms returns the client secret as the token request may
// carry it, and an echoing endpoint may show it: plain, and inside the
// Basic credentials oauth2 sends (with and without its escaping).
func clientSecretForms(o *OAuth) []string {
	plain := base64.StdEncoding.EncodeToString([]byte(o.ClientID + ":" + o.ClientSecret))
	escaped := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(o.ClientID) + ":" + url.QueryEscape(o.ClientSecret)))
	return []string{o.ClientSecret, plain, escaped}
}

// get returns a token that is not rejected (the access token the target
// has just refused, or ""), with the redactor that knows it: the cached
// one while it is fresh, else the one a fetch returns, a fetch under way
// shared with every caller that waits for it. ctx bounds the wait, not the
// fetch, which the webhook's timeout bounds.
func (s *oauthSource) get(ctx context.Context, rejected string) (*oauth2.Token, *redact.Redactor, error) {
	s.mu.Lock()
	if t := s.token; t != nil && t.AccessToken != rejected && fresh(t) {
		red := s.red
		s.mu.Unlock()
		return t, red, nil
	}
	f := s.flight
	if f == nil {
		f = &tokenFlight{done: make(chan struct{})}
		s.flight = f
		go s.fetch(f)
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.token, f.red, f.err
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
}

// fresh reports whether t may be sent: it does not expire within
// TokenEarlyExpiry (oauth2 sets Expiry by the wall clock).
func fresh(t *oauth2.Token) bool {
	return t.Expiry.IsZero() || time.Now().Add(TokenEarlyExpiry).Before(t.Expiry)
}

// fetch asks the token endpoint for a token and ends f.
func (s *oauthSource) fetch(f *tokenFlight) {
	ctx, cancel := context.WithTimeout(s.life, s.timeout)
	defer cancel()
	if s.client != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, s.client)
	}
	t, err := s.config.Token(ctx)
	switch {
	case err != nil:
		f.err = s.fetchError(ctx, err)
	case t.AccessToken == "":
		f.err = errors.New("oauth: the token endpoint answered no access_token")
	default:
		if !strings.EqualFold(t.Type(), "Bearer") {
			t.TokenType = "Bearer" // what the target is sent, whatever the endpoint calls it
		}
		f.token = t
		f.red = redact.New(append(slices.Clip(s.secrets), redact.WithSecrets(t.AccessToken))...)
	}
	s.mu.Lock()
	if f.err == nil {
		s.token, s.red = f.token, f.red
	}
	s.flight = nil
	s.mu.Unlock()
	close(f.done)
}

// ErrTokenFetch marks a failed attempt whose access token could not be
// fetched; the retry decider sees it.
var ErrTokenFetch = errors.New("oauth: no access token")

// fetchError says why a token fetch failed, its secrets redacted: the
// token endpoint's answer may echo the client secret. The error wraps
// ErrTokenFetch, and netguard's or the context's error, never oauth2's,
// which holds the answer unredacted.
func (s *oauthSource) fetchError(ctx context.Context, err error) error {
	var re *oauth2.RetrieveError
	var be *netguard.BlockedError
	switch {
	case errors.As(err, &be):
		return &tokenError{reason: "oauth: token endpoint blocked by the SSRF guard: " + s.redactor.String(be.Error()), cause: netguard.ErrBlocked}
	case errors.As(err, &re) && re.Response != nil:
		reason := fmt.Sprintf("oauth: token endpoint answered %s", re.Response.Status)
		if re.ErrorCode != "" {
			reason += ": " + re.ErrorCode
			if re.ErrorDescription != "" {
				reason += " (" + re.ErrorDescription + ")"
			}
		} else if body := strings.TrimSpace(string(re.Body)); body != "" {
			reason += ": " + body
		}
		// Redacted whole, then cut: a cut cannot split a secret.
		return &tokenError{reason: truncateText(s.redactor.String(reason), 300)}
	case ctx.Err() == context.DeadlineExceeded:
		return &tokenError{reason: fmt.Sprintf("oauth: no token from the token endpoint within the %s timeout", s.timeout), cause: context.DeadlineExceeded}
	}
	return &tokenError{reason: truncateText("oauth: fetching a token: "+s.redactor.String(err.Error()), 300)}
}

// tokenError is a failed token fetch, its text redacted.
type tokenError struct {
	reason string
	cause  error // nil, or a sentinel to match
}

func (e *tokenError) Error() string { return e.reason }
func (e *tokenError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrTokenFetch}
	}
	return []error{ErrTokenFetch, e.cause}
}

// truncateText cuts s to at most n bytes, on a rune boundary, marking the cut.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// authorize sets header's Authorization to a token that is not rejected,
// and returns the redactor that knows it, and the token.
func (s *oauthSource) authorize(ctx context.Context, header http.Header, rejected string) (*redact.Redactor, string, error) {
	t, red, err := s.get(ctx, rejected)
	if err != nil {
		return nil, "", err
	}
	header.Set("Authorization", "Bearer "+t.AccessToken)
	return red, t.AccessToken, nil
}

// authorize puts an OAuth token in header, as oauthSource.authorize does,
// and returns the redactor of del's attempt that knows it: the hook's, or
// that of del's rendered target.
func (h *hook) authorize(ctx context.Context, del *delivery, header http.Header, rejected string) (*redact.Redactor, string, error) {
	red, token, err := h.oauth.authorize(ctx, header, rejected)
	if err != nil || del.target == nil {
		return red, token, err
	}
	return del.target.redactorWith(token), token, nil
}

// tokenFailed ends a, whose token could not be fetched.
func (a *attempt) tokenFailed(err error, h *hook, expired bool, fail func(string) *attempt) *attempt {
	a.err = err
	if errors.Is(err, netguard.ErrBlocked) {
		a.permanent = true // as a delivery to a blocked address
	}
	var te *tokenError
	if expired && !errors.As(err, &te) {
		return fail(fmt.Sprintf("oauth: no token from the token endpoint within the %s timeout", h.timeout))
	}
	return fail(h.redactorOf().String(err.Error()))
}
