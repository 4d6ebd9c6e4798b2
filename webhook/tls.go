package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"

	"github.com/outhook/outhook/internal/redact"
)

// ErrInvalidTLS is wrapped by a *DefinitionError about a field of
// Webhook.TLS.
var ErrInvalidTLS = errors.New("invalid TLS settings")

// TLSSettings are the TLS settings of one webhook's connections: a client
// certificate for mutual TLS, roots to trust besides the system's, a
// minimum version. They are read when the webhook is registered, and the
// webhook gets a transport of its own, a copy of the Dispatcher's (the
// SSRF guard and WithProxy's proxy kept; with WithHTTPClient, a copy of
// that client's, which must then be an *http.Transport, or the definition
// is refused). They apply to the webhook's
// requests and to its OAuth token requests, whose endpoint is often
// behind the same private CA or asks for the same client certificate
// (RFC 8705). The certificates and the key
// are secrets: redacted wherever the definition is shown or printed,
// sealed with the definition where WithKeyring seals it; the client
// certificate is also scrubbed from the responses, validator results and
// errors recorded, however a receiver that echoes it encodes it (see
// echoSecrets). Each of the
// three PEM fields holds at most 256 KiB, a few hundred certificates,
// since every instance parses them again each time it compiles the
// webhook. A webhook with TLS settings needs an https URL: on an http
// URL, or with an Action, they are refused with a *DefinitionError on
// field "tls" wrapping ErrInvalidTLS. Zero fields mean the default.
type TLSSettings struct {
	// ClientCertificate is the client certificate, PEM, its chain after
	// it, sent when the server asks for one. It needs ClientKey.
	ClientCertificate string `json:"client_certificate,omitempty"`
	// ClientKey is ClientCertificate's private key, PEM (PKCS #1, PKCS #8
	// or SEC 1).
	ClientKey string `json:"client_key,omitempty"`
	// CACertificates are PEM certificates trusted as roots on top of the
	// system's, for a self-hosted target with a private CA.
	CACertificates string `json:"ca_certificates,omitempty"`
	// MinVersion is the lowest TLS version accepted: "1.2" (the default)
	// or "1.3".
	MinVersion string `json:"min_version,omitempty"`
}

// clone returns a copy of s.
func (s *TLSSettings) clone() *TLSSettings {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}

// redacted returns a copy of s with its certificates and key redacted.
func (s *TLSSettings) redacted() *TLSSettings {
	s = s.clone()
	if s == nil {
		return nil
	}
	for _, f := range []*string{&s.ClientCertificate, &s.ClientKey, &s.CACertificates} {
		if *f != "" {
			*f = redact.Redacted
		}
	}
	return s
}

// keepTLSSecrets gives w old's TLS settings when w omits them, and each
// certificate or key of old that w sends back redacted, and reports the
// fields it gave (see keepSecrets, which keeps them for the same URL
// only).
func keepTLSSecrets(w *Webhook, old Webhook) []string {
	if old.TLS == nil {
		return nil
	}
	if w.TLS == nil {
		w.TLS = old.TLS.clone()
		var kept []string
		for _, f := range tlsSecretFields(w.TLS) {
			if *f.value != "" {
				kept = append(kept, f.name)
			}
		}
		return kept
	}
	var kept []string
	olds := tlsSecretFields(old.TLS)
	for i, f := range tlsSecretFields(w.TLS) {
		if *f.value == redact.Redacted && *olds[i].value != "" {
			*f.value = *olds[i].value
			kept = append(kept, f.name)
		}
	}
	return kept
}

type tlsField struct {
	name  string
	value *string
}

// tlsSecretFields lists the secret fields of s, with their JSON names.
func tlsSecretFields(s *TLSSettings) []tlsField {
	return []tlsField{
		{"tls.ca_certificates", &s.CACertificates},
		{"tls.client_certificate", &s.ClientCertificate},
		{"tls.client_key", &s.ClientKey},
	}
}

// echoSecrets lists what every redactor of a webhook with TLS settings
// scrubs of its client certificate: the base64 of the certificate (the
// first PEM block of ClientCertificate), cut in lines of 64 characters as
// PEM writes them. A receiver may send back the certificate it was shown,
// as a TLS terminator hands it on: PEM with its lines joined by \n, \r\n
// or \n\t, JSON- or URL-escaped (the redactor scrubs those forms of each
// line), or the DER in base64 on one line, which is these lines end to
// end. Whatever joins them, each line is there whole, and each becomes
// REDACTED; the armour lines are kept, to say what was there. A last line
// shorter than 16 characters is left: it would scrub short words
// elsewhere, and it is the end of a signature. What is not listed, since
// every line listed costs the scrubbing of every response: the key, which
// no receiver is ever sent and no error quotes (the definition shows it
// masked); the chain after the certificate and the CA certificates, the
// certificates of CAs, public and shared by all they issued for.
func echoSecrets(s *TLSSettings) []string {
	if s == nil {
		return nil
	}
	rest := []byte(s.ClientCertificate)
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return nil
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		var out []string
		enc := base64.StdEncoding.EncodeToString(b.Bytes)
		for i := 0; i < len(enc); i += pemLine {
			if line := enc[i:min(i+pemLine, len(enc))]; len(line) >= minEchoLine {
				out = append(out, line)
			}
		}
		return out
	}
}

const (
	pemLine     = 64 // characters of base64 in a line of PEM
	minEchoLine = 16 // the shortest last line echoSecrets lists
)

// maxTLSPEMBytes bounds each PEM field of TLSSettings: a tenant's bundle
// of millions of bytes would cost every instance a parse on each compile.
const maxTLSPEMBytes = 256 << 10

// compileTLS reads w.TLS into the configuration of the webhook's
// connections; nil when it has none. u is the webhook's URL, nil when it
// has none or it does not parse.
func compileTLS(w Webhook, u *url.URL, fail func(string, error)) *tls.Config {
	s := w.TLS
	if s == nil || *s == (TLSSettings{}) {
		return nil
	}
	failed := false
	bad := func(field string, err error) {
		failed = true
		fail(field, fmt.Errorf("%w: %w", ErrInvalidTLS, err))
	}
	switch {
	case w.Action != "":
		bad("tls", errors.New("an action makes no connection"))
	case u != nil && u.Scheme != "https":
		// Never used: refused rather than ignored.
		bad("tls", fmt.Errorf("the URL's scheme is %s, and TLS settings apply to https only", u.Scheme))
	}
	for _, f := range tlsSecretFields(s) {
		if len(*f.value) > maxTLSPEMBytes {
			bad(f.name, fmt.Errorf("%d bytes, more than the %d allowed", len(*f.value), maxTLSPEMBytes))
		}
	}
	if failed {
		return nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	switch s.MinVersion {
	case "", "1.2":
	case "1.3":
		c.MinVersion = tls.VersionTLS13
	default:
		bad("tls.min_version", fmt.Errorf("%q is not \"1.2\" or \"1.3\"", s.MinVersion))
	}
	switch {
	case s.ClientCertificate == "" && s.ClientKey != "":
		bad("tls.client_certificate", errors.New("client_key is given without it"))
	case s.ClientCertificate != "" && s.ClientKey == "":
		bad("tls.client_key", errors.New("client_certificate is given without it"))
	case s.ClientCertificate != "":
		if err := checkPEM(s.ClientCertificate, "CERTIFICATE"); err != nil {
			bad("tls.client_certificate", err)
			break
		}
		if !hasPEMKey(s.ClientKey) {
			bad("tls.client_key", errors.New("no PEM private key"))
			break
		}
		// tls.X509KeyPair's errors quote no key material.
		cert, err := tls.X509KeyPair([]byte(s.ClientCertificate), []byte(s.ClientKey))
		if err != nil {
			bad("tls.client_key", err)
			break
		}
		c.Certificates = []tls.Certificate{cert}
	}
	if s.CACertificates != "" {
		if err := checkPEM(s.CACertificates, "CERTIFICATE"); err != nil {
			bad("tls.ca_certificates", err)
		} else {
			pool, err := x509.SystemCertPool()
			if err != nil {
				pool = x509.NewCertPool() // no system roots here: the given ones only
			}
			if !pool.AppendCertsFromPEM([]byte(s.CACertificates)) {
				bad("tls.ca_certificates", errors.New("no certificate parses"))
			}
			c.RootCAs = pool
		}
	}
	if failed {
		return nil
	}
	return c
}

// checkPEM checks that text holds PEM blocks only, at least one, each of
// type typ and each parsing as a certificate, and says which one does not.
func checkPEM(text, typ string) error {
	rest := []byte(text)
	for n := 1; ; n++ {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			if n == 1 {
				return fmt.Errorf("no PEM %s block", typ)
			}
			return nil
		}
		if b.Type != typ {
			return fmt.Errorf("PEM block %d is a %s, not a %s", n, b.Type, typ)
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return fmt.Errorf("PEM block %d: %w", n, err)
		}
	}
}

// hasPEMKey reports whether text holds a PEM private key block.
func hasPEMKey(text string) bool {
	rest := []byte(text)
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return false
		}
		if b.Type == "PRIVATE KEY" || b.Type == "RSA PRIVATE KEY" || b.Type == "EC PRIVATE KEY" {
			return true
		}
	}
}

// tlsClient returns a client for a webhook with its own TLS settings: base's
// transport cloned, with c merged into its TLS configuration (caPEM, the
// extra roots c trusts, added to base's own roots when it has some), and
// checkRedirect. It fails when base's transport is not an *http.Transport.
func tlsClient(base *http.Client, c *tls.Config, caPEM string, checkRedirect func(*http.Request, []*http.Request) error) (*http.Client, error) {
	t, ok := base.Transport.(*http.Transport)
	if !ok {
		return nil, fmt.Errorf("%w: the HTTP client's transport is a %T, not an *http.Transport, and takes no TLS settings", ErrInvalidTLS, base.Transport)
	}
	t = t.Clone()
	merged := c.Clone()
	if t.TLSClientConfig != nil {
		merged = t.TLSClientConfig.Clone()
		merged.MinVersion = max(merged.MinVersion, c.MinVersion)
		if c.Certificates != nil {
			merged.Certificates = c.Certificates
			merged.GetClientCertificate = nil
		}
		switch {
		case c.RootCAs == nil:
		case merged.RootCAs != nil:
			// base trusts roots of its own: the extra ones join them.
			merged.RootCAs = merged.RootCAs.Clone()
			merged.RootCAs.AppendCertsFromPEM([]byte(caPEM))
		default:
			merged.RootCAs = c.RootCAs
		}
	}
	if c.Certificates != nil || merged.GetClientCertificate == nil {
		merged.GetClientCertificate = clientCertificate(c.Certificates)
	}
	t.TLSClientConfig = merged
	return &http.Client{Transport: t, CheckRedirect: checkRedirect}, nil
}

// certAskedKey is the context key of the *atomic.Bool an attempt of a
// webhook with TLS settings carries, set when a server asks for a client
// certificate during a handshake made for it.
type certAskedKey struct{}

// clientCertificate answers a server's request for a client certificate
// with certs' first, or none, and notes the request for the attempt whose
// dial it is: under TLS 1.3 a server refuses a missing certificate after
// the client's handshake is over, and the attempt then fails with a reset
// connection that does not say why.
func clientCertificate(certs []tls.Certificate) func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return func(info *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		if asked, ok := info.Context().Value(certAskedKey{}).(*atomic.Bool); ok {
			asked.Store(true)
		}
		if len(certs) > 0 {
			return &certs[0], nil
		}
		return &tls.Certificate{}, nil // none, as crypto/tls sends without Certificates
	}
}

// withCertAsked returns ctx carrying a flag clientCertificate sets, and
// the flag.
func withCertAsked(ctx context.Context) (context.Context, *atomic.Bool) {
	asked := new(atomic.Bool)
	return context.WithValue(ctx, certAskedKey{}, asked), asked
}
