package signature

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
)

// Version names a signature scheme as it is written in webhook-signature.
type Version string

// The signature schemes of Standard Webhooks.
const (
	// V1 is HMAC-SHA256 with a shared secret (whsec_).
	V1 Version = "v1"
	// V1a is ed25519 with a key pair (whsk_ signs, whpk_ verifies).
	V1a Version = "v1a"
)

// The prefixes of the three kinds of key text.
const (
	prefixHMAC    = "whsec_"
	prefixPrivate = "whsk_"
	prefixPublic  = "whpk_"
)

// Sizes a v1 secret may have, in bytes, after the specification.
const (
	minHMACSize = 24
	maxHMACSize = 64
)

// ErrInvalidSecret means a secret or key does not parse, or cannot do what
// it was asked to (a public key cannot sign). The error text says why but
// never quotes the secret.
var ErrInvalidSecret = errors.New("signature: invalid secret")

// Secret is the key material of one signature scheme: a v1 HMAC secret
// (whsec_), a v1a ed25519 private key (whsk_), which signs and verifies, or a
// v1a public key (whpk_), which only verifies.
//
// The zero Secret holds no key and is refused by NewSigner and NewVerifier.
// A Secret is immutable and safe for concurrent use. Its String, GoString
// and Format methods never reveal a private key or an HMAC secret: they
// write the prefix followed by REDACTED. A public key is not secret and is
// written in full.
type Secret struct {
	// material returns the key. It is a func because fmt, printing a value
	// that holds a Secret in an unexported field, cannot call Format and
	// walks the fields itself: it follows pointers (with a bad verb such as
	// %s on a pointer) but prints a func as an address.
	material func() *key
}

// newSecret wraps k.
func newSecret(k *key) Secret { return Secret{material: func() *key { return k }} }

// key returns the key, or nil for the zero Secret.
func (s Secret) key() *key {
	if s.material == nil {
		return nil
	}
	return s.material()
}

type key struct {
	version Version
	hmac    []byte             // V1
	macs    sync.Pool          // V1: hash.Hash keyed with hmac, for reuse
	private ed25519.PrivateKey // V1a, nil for a public key
	public  ed25519.PublicKey  // V1a
}

var dot = []byte{'.'}

// mac appends the HMAC-SHA256 of id.ts.body to dst.
func (k *key) mac(id string, ts, body, dst []byte) []byte {
	m, _ := k.macs.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, k.hmac)
	}
	m.Reset()
	io.WriteString(m, id)
	m.Write(dot)
	m.Write(ts)
	m.Write(dot)
	m.Write(body)
	dst = m.Sum(dst)
	k.macs.Put(m)
	return dst
}

// ParseSecret parses a secret written whsec_<base64>, whsk_<base64> or
// whpk_<base64>, or a v1 secret written as bare <base64> without its
// whsec_ prefix, as the reference libraries also take it. The base64 is
// standard base64 with its '=' padding and nothing else: text that one of
// the reference verifiers refuses is refused here too, so that a secret
// that signs here verifies at any receiver (the Go one refuses base64
// without its padding, which the JavaScript and Python ones take; the
// JavaScript one refuses line breaks, which Go's decoder skips). A v1
// secret must be 24 to 64 bytes long; a v1a private key is the 32-byte
// seed or the 64-byte form of crypto/ed25519 (whose public half must match
// the seed); a v1a public key is 32 bytes. Errors wrap ErrInvalidSecret.
func ParseSecret(text string) (Secret, error) {
	var (
		prefix string
		rest   string
		ok     bool
	)
	for _, p := range []string{prefixHMAC, prefixPrivate, prefixPublic} {
		if rest, ok = strings.CutPrefix(text, p); ok {
			prefix = p
			break
		}
	}
	if !ok {
		// The reference libraries take a v1 secret without its prefix too.
		// Base64 has no '_', so bare text is never one of the prefixes.
		prefix, rest = prefixHMAC, text
	}
	raw, err := decodeKey(prefix, rest)
	if err != nil || !ok && len(raw) == 0 {
		if !ok {
			return Secret{}, fmt.Errorf("%w: want the prefix %s, %s or %s, or the standard base64 of a v1 secret", ErrInvalidSecret, prefixHMAC, prefixPrivate, prefixPublic)
		}
		return Secret{}, err
	}
	switch prefix {
	case prefixHMAC:
		if len(raw) < minHMACSize || len(raw) > maxHMACSize {
			return Secret{}, fmt.Errorf("%w: a v1 secret is %d bytes; want %d to %d", ErrInvalidSecret, len(raw), minHMACSize, maxHMACSize)
		}
		return newSecret(&key{version: V1, hmac: raw}), nil
	case prefixPrivate:
		var priv ed25519.PrivateKey
		switch len(raw) {
		case ed25519.SeedSize:
			priv = ed25519.NewKeyFromSeed(raw)
		case ed25519.PrivateKeySize:
			priv = ed25519.NewKeyFromSeed(raw[:ed25519.SeedSize])
			if !bytes.Equal(priv, raw) {
				return Secret{}, fmt.Errorf("%w: the public half of the v1a private key does not match its seed", ErrInvalidSecret)
			}
		default:
			return Secret{}, fmt.Errorf("%w: a v1a private key is %d bytes; want %d or %d", ErrInvalidSecret, len(raw), ed25519.SeedSize, ed25519.PrivateKeySize)
		}
		return newSecret(&key{version: V1a, private: priv, public: priv.Public().(ed25519.PublicKey)}), nil
	default:
		if len(raw) != ed25519.PublicKeySize {
			return Secret{}, fmt.Errorf("%w: a v1a public key is %d bytes; want %d", ErrInvalidSecret, len(raw), ed25519.PublicKeySize)
		}
		return newSecret(&key{version: V1a, public: ed25519.PublicKey(raw)}), nil
	}
}

// decodeKey decodes the base64 that follows prefix. Its errors never quote
// the key, and are not wrapped: the decoder's error adds only an offset.
func decodeKey(prefix, text string) ([]byte, error) {
	if strings.ContainsAny(text, "\r\n") {
		return nil, fmt.Errorf("%w: %s is followed by a line break", ErrInvalidSecret, prefix)
	}
	raw, err := base64.StdEncoding.DecodeString(text)
	if err == nil {
		return raw, nil
	}
	if pad := (4 - len(text)%4) % 4; pad > 0 {
		if _, rawErr := base64.RawStdEncoding.DecodeString(text); rawErr == nil {
			return nil, fmt.Errorf("%w: the base64 after %s lacks its padding (add %s at the end): Standard Webhooks verifiers may refuse it unpadded",
				ErrInvalidSecret, prefix, strings.Repeat("=", pad))
		}
	}
	return nil, fmt.Errorf("%w: %s is not followed by standard base64", ErrInvalidSecret, prefix)
}

// Version returns V1 for a whsec_ secret, V1a for a whsk_ or whpk_ key,
// and "" for the zero Secret.
func (s Secret) Version() Version {
	if k := s.key(); k != nil {
		return k.version
	}
	return ""
}

// Public returns what a receiver needs to verify this secret's signatures:
// the whpk_ public key of a v1a private key, and the secret itself
// otherwise (v1 is symmetric, and a public key is its own public half).
func (s Secret) Public() Secret {
	k := s.key()
	if k == nil || k.private == nil {
		return s
	}
	return newSecret(&key{version: V1a, public: k.public})
}

// canSign reports whether s holds an HMAC secret or a private key.
func (s Secret) canSign() bool {
	k := s.key()
	return k != nil && (k.hmac != nil || k.private != nil)
}

// String returns whsec_REDACTED or whsk_REDACTED for a secret that signs,
// the whpk_ text of a public key, and "" for the zero Secret.
func (s Secret) String() string {
	k := s.key()
	switch {
	case k == nil:
		return ""
	case k.hmac != nil:
		return prefixHMAC + "REDACTED"
	case k.private != nil:
		return prefixPrivate + "REDACTED"
	}
	return prefixPublic + base64.StdEncoding.EncodeToString(k.public)
}

// GoString returns the same text as String, for %#v.
func (s Secret) GoString() string { return s.String() }

// Format writes the same text as String for every verb, quoted for %q, so
// that no verb (%x and %d included) reaches the key bytes.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = io.WriteString(f, strconv.Quote(s.String()))
		return
	}
	_, _ = io.WriteString(f, s.String())
}

// LogValue makes log/slog write the same text as String.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

var (
	_ fmt.Stringer   = Secret{}
	_ fmt.GoStringer = Secret{}
	_ fmt.Formatter  = Secret{}
	_ slog.LogValuer = Secret{}
)
