package signature

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"
)

// NewSecret returns a new random v1 secret, whsec_ and 32 bytes in base64,
// to give both to the sender and to the receiver.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails
	return prefixHMAC + base64.StdEncoding.EncodeToString(b[:])
}

// NewKeyPair returns a new v1a key pair: the whsk_ private key for the
// sender, and the whpk_ public key for the receiver, who then holds no
// secret at all.
func NewKeyPair() (private, public string) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	return prefixPrivate + base64.StdEncoding.EncodeToString(priv.Seed()), prefixPublic + base64.StdEncoding.EncodeToString(pub)
}

// ParseSecrets parses each text with ParseSecret. An error names the
// secret by its index and wraps ErrInvalidSecret; it never quotes one.
func ParseSecrets(texts ...string) ([]Secret, error) {
	secrets := make([]Secret, len(texts))
	for i, text := range texts {
		s, err := ParseSecret(text)
		if err != nil {
			return nil, fmt.Errorf("secret %d: %w", i, err)
		}
		secrets[i] = s
	}
	return secrets, nil
}

// ParseVerifier is NewVerifier for secrets written as text (whsec_
// secrets, whpk_ public keys or whsk_ private keys), as a receiver keeps
// them in its configuration.
func ParseVerifier(tolerance time.Duration, secrets ...string) (*Verifier, error) {
	parsed, err := ParseSecrets(secrets...)
	if err != nil {
		return nil, err
	}
	return NewVerifier(tolerance, parsed...)
}
