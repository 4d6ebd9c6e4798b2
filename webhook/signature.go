package webhook

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"

	"github.com/outhook/outhook/internal/signing"
)

// Signing follows Standard Webhooks: a webhook with SigningSecrets sends
// webhook-id (the delivery id, stable across retries), webhook-timestamp
// (fresh on every attempt) and webhook-signature (one signature per secret,
// space-separated, so that secrets can be rotated without a gap).

// Errors of Verify, for receivers and tests. Test with errors.Is.
var (
	ErrInvalidSecret       = signing.ErrInvalidSecret
	ErrInvalidSignature    = signing.ErrInvalidSignature
	ErrTimestampOutOfRange = signing.ErrTimestampOutOfRange
	ErrMissingSignature    = signing.ErrInvalidHeader
)

// parseSecrets reads signing secrets: whsec_ secrets for v1 (HMAC-SHA256)
// and whsk_ private keys for v1a (ed25519).
func parseSecrets(texts []string) ([]signing.Secret, error) {
	secrets := make([]signing.Secret, len(texts))
	for i, text := range texts {
		s, err := signing.ParseSecret(text)
		if err != nil {
			return nil, fmt.Errorf("secret %d: %w", i, err)
		}
		secrets[i] = s
	}
	return secrets, nil
}

// NewSigningSecret returns a new random v1 secret, whsec_ and 32 bytes in
// base64, to put in a webhook's SigningSecrets and give to the receiver.
func NewSigningSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "whsec_" + base64.StdEncoding.EncodeToString(b[:])
}

// NewSigningKey returns a new v1a key pair: the whsk_ private key for the
// webhook's SigningSecrets, and the whpk_ public key for the receiver, who
// then needs no secret at all.
func NewSigningKey() (private, public string) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	return "whsk_" + base64.StdEncoding.EncodeToString(priv.Seed()), "whpk_" + base64.StdEncoding.EncodeToString(pub)
}

// Verifier checks Standard Webhooks signatures as a receiver does: in a
// service that receives Outhook's webhooks, or in its tests. It is safe for
// concurrent use.
type Verifier struct {
	v *signing.Verifier
}

// NewVerifier returns a Verifier that accepts a signature made with any of
// secrets: whsec_ secrets, whpk_ public keys, or whsk_ private keys.
// tolerance bounds how far webhook-timestamp may be from the time of
// verification; zero means five minutes. Errors wrap ErrInvalidSecret and
// never print a secret.
func NewVerifier(tolerance time.Duration, secrets ...string) (*Verifier, error) {
	parsed, err := parseSecrets(secrets)
	if err != nil {
		return nil, fmt.Errorf("webhook: verifier: %w", err)
	}
	v, err := signing.NewVerifier(tolerance, parsed...)
	if err != nil {
		return nil, fmt.Errorf("webhook: verifier: %w", err)
	}
	return &Verifier{v: v}, nil
}

// Verify checks the webhook-id, webhook-timestamp and webhook-signature
// headers in h against body, at time now. It returns nil when the timestamp
// is within the tolerance and one signature matches one secret; otherwise
// an error wrapping ErrMissingSignature, ErrTimestampOutOfRange or
// ErrInvalidSignature.
func (v *Verifier) Verify(h http.Header, body []byte, now time.Time) error {
	return v.v.Verify(h, body, now)
}
