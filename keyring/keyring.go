// Package keyring seals secrets at rest with AES-256-GCM under keys the
// host supplies, each with an id written into what it seals, so that
// keys rotate without downtime: add the new key to every instance, make
// it the primary, seal everything again (see Dispatcher.Reseal in package
// webhook), then drop the old key.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// KeySize is the length of a key's secret: AES-256.
const KeySize = 32

// format is the first byte of everything sealed, so that another format
// can come later and be told apart.
const format = 1

// nonceSize is GCM's standard nonce length.
const nonceSize = 12

// maxIDBytes bounds a key id.
const maxIDBytes = 64

// Errors of Open, ParseKey and New. Each is wrapped with what it concerns.
var (
	// ErrUnknownKey: sealed under a key id the keyring does not hold.
	ErrUnknownKey = errors.New("keyring: sealed under a key this keyring does not hold")
	// ErrCorrupt: not something this package sealed, sealed for other
	// associated data, or altered since.
	ErrCorrupt = errors.New("keyring: sealed data is corrupt or was sealed for something else")
	// ErrInvalidKey: a key id or secret that cannot be used.
	ErrInvalidKey = errors.New("keyring: invalid key")
)

// Key is one key: an id, written into what it seals, and a 32-byte
// secret. Printed, it shows its id only.
type Key struct {
	ID     string
	Secret []byte
}

// GenerateKey returns a new key with a random secret.
func GenerateKey(id string) (Key, error) {
	k := Key{ID: id, Secret: make([]byte, KeySize)}
	if _, err := io.ReadFull(rand.Reader, k.Secret); err != nil {
		return Key{}, fmt.Errorf("keyring: generating a key: %w", err)
	}
	return k, k.check()
}

// ParseKey reads a key written as "id:secret", the secret in standard
// base64 (padded or not), as a key is passed in an environment variable.
// Errors wrap ErrInvalidKey and never repeat the secret.
func ParseKey(s string) (Key, error) {
	id, secret, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return Key{}, fmt.Errorf("%w: want id:base64-secret", ErrInvalidKey)
	}
	raw, err := base64.StdEncoding.DecodeString(secret)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(secret)
	}
	if err != nil {
		return Key{}, fmt.Errorf("%w %q: its secret is not base64", ErrInvalidKey, id)
	}
	k := Key{ID: id, Secret: raw}
	return k, k.check()
}

func (k Key) check() error {
	if k.ID == "" || len(k.ID) > maxIDBytes {
		return fmt.Errorf("%w: id must be 1 to %d bytes", ErrInvalidKey, maxIDBytes)
	}
	for i := 0; i < len(k.ID); i++ {
		if c := k.ID[i]; c <= ' ' || c > '~' || c == ':' {
			return fmt.Errorf("%w %q: id must be printable ASCII without spaces or ':'", ErrInvalidKey, k.ID)
		}
	}
	if len(k.Secret) != KeySize {
		return fmt.Errorf("%w %q: secret is %d bytes, want %d", ErrInvalidKey, k.ID, len(k.Secret), KeySize)
	}
	return nil
}

// String returns the key's id; the secret is never printed.
func (k Key) String() string { return "keyring.Key(" + k.ID + ")" }

// GoString is String, so that %#v shows no secret either.
func (k Key) GoString() string { return k.String() }

// Format prints String for every verb.
func (k Key) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue makes log/slog write the id only.
func (k Key) LogValue() slog.Value { return slog.GroupValue(slog.String("id", k.ID)) }

// Keyring seals with its primary key and opens with any of its keys. It is
// safe for concurrent use.
type Keyring struct {
	primary string
	aeads   map[string]cipher.AEAD
}

// New returns a keyring that seals with primary and opens what primary or
// any of others sealed. Ids must be unique; errors wrap ErrInvalidKey.
func New(primary Key, others ...Key) (*Keyring, error) {
	r := &Keyring{primary: primary.ID, aeads: map[string]cipher.AEAD{}}
	for _, k := range append([]Key{primary}, others...) {
		if err := k.check(); err != nil {
			return nil, err
		}
		if _, dup := r.aeads[k.ID]; dup {
			return nil, fmt.Errorf("%w %q: two keys with one id", ErrInvalidKey, k.ID)
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("%w %q: %w", ErrInvalidKey, k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%w %q: %w", ErrInvalidKey, k.ID, err)
		}
		r.aeads[k.ID] = aead
	}
	return r, nil
}

// Primary returns the id of the key that seals.
func (r *Keyring) Primary() string { return r.primary }

// Seal encrypts and authenticates plaintext, bound to associated (which
// Open must be given again), under the primary key. The result holds the
// format, the key id, a random nonce and the ciphertext.
func (r *Keyring) Seal(plaintext, associated []byte) ([]byte, error) {
	aead := r.aeads[r.primary]
	out := make([]byte, 0, 2+len(r.primary)+nonceSize+len(plaintext)+aead.Overhead())
	out = append(out, format, byte(len(r.primary)))
	out = append(out, r.primary...)
	nonce := out[len(out) : len(out)+nonceSize]
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return nil, fmt.Errorf("keyring: sealing: %w", err)
	}
	out = out[:len(out)+nonceSize]
	head := out
	return aead.Seal(out, nonce, plaintext, append(head[:len(head):len(head)], associated...)), nil
}

// Open returns what Seal sealed, given the same associated data. Errors
// wrap ErrUnknownKey (naming the key id) or ErrCorrupt.
func (r *Keyring) Open(sealed, associated []byte) ([]byte, error) {
	id, rest, err := split(sealed)
	if err != nil {
		return nil, err
	}
	aead, ok := r.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownKey, id)
	}
	if len(rest) < nonceSize+aead.Overhead() {
		return nil, fmt.Errorf("%w: too short", ErrCorrupt)
	}
	head := sealed[:len(sealed)-len(rest)+nonceSize]
	ad := append(head[:len(head):len(head)], associated...)
	plain, err := aead.Open(nil, rest[:nonceSize], rest[nonceSize:], ad)
	if err != nil {
		return nil, fmt.Errorf("%w (key %q)", ErrCorrupt, id)
	}
	return plain, nil
}

// Current reports whether sealed was sealed under the primary key: what
// Reseal leaves alone.
func (r *Keyring) Current(sealed []byte) bool {
	id, _, err := split(sealed)
	return err == nil && id == r.primary
}

// KeyID returns the id of the key sealed was sealed under.
func KeyID(sealed []byte) (string, error) {
	id, _, err := split(sealed)
	return id, err
}

// split reads the format and key id of sealed, and returns the rest.
func split(sealed []byte) (id string, rest []byte, err error) {
	if len(sealed) < 2 || sealed[0] != format {
		return "", nil, fmt.Errorf("%w: not sealed by this package", ErrCorrupt)
	}
	n := int(sealed[1])
	if n == 0 || n > maxIDBytes || len(sealed) < 2+n {
		return "", nil, fmt.Errorf("%w: bad key id", ErrCorrupt)
	}
	return string(sealed[2 : 2+n]), sealed[2+n:], nil
}
