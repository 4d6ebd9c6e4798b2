// Package keyring seals secrets at rest with AES-256-GCM under keys the
// host supplies, each with an id written into what it seals, so that
// keys rotate without downtime: add the new key to every instance, make
// it the primary, seal everything again (see Dispatcher.Reseal in package
// webhook), then drop the old key.
//
// A sealed value is, in order: the format version (one byte, 1), the
// length of the key id (one byte), the key id, a random 12-byte nonce, and
// the ciphertext with its 16-byte tag. The associated data given to Seal
// is authenticated but not stored: Open needs the same, so that a value
// sealed for one definition (its tenant and id as associated data) cannot
// be moved to another. The header needs no authentication of its own: a
// changed version is refused, and a changed key id or nonce fails the
// tag.
//
// Keys print as their id only, whatever the verb or logger, so that a
// Key in a log line or an error does not leak its secret.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// SecretSize is the size of a key's secret: AES-256.
const SecretSize = 32

// MaxIDLen is the longest key id, in bytes.
const MaxIDLen = 64

const (
	version   = 1
	nonceSize = 12
	tagSize   = 16
)

// Errors of Open and KeyID, wrapped with what they concern.
var (
	// ErrUnknownKey reports a value sealed under a key the keyring does
	// not hold; the error names the key id.
	ErrUnknownKey = errors.New("keyring: sealed under an unknown key")
	// ErrCorrupt reports a value that is not one Seal made, or was
	// altered, or was sealed with other associated data.
	ErrCorrupt = errors.New("keyring: sealed value is corrupt")
	// ErrInvalidKey is what every *KeyError is.
	ErrInvalidKey = errors.New("keyring: invalid key")
)

// KeyError reports a key that cannot be used or parsed. It never holds
// the key's secret.
type KeyError struct {
	// ID is the key's id, "" when it could not be read or is what is
	// wrong.
	ID string
	// Problem says what is wrong.
	Problem string
}

func (e *KeyError) Error() string {
	if e.ID == "" {
		return "keyring: invalid key: " + e.Problem
	}
	return fmt.Sprintf("keyring: invalid key %q: %s", e.ID, e.Problem)
}

// Is makes errors.Is(err, ErrInvalidKey) hold.
func (e *KeyError) Is(target error) bool { return target == ErrInvalidKey }

// Key is a key of a keyring.
type Key struct {
	// ID names the key in what it seals: 1 to MaxIDLen bytes of printable
	// ASCII without spaces.
	ID string
	// Secret is the AES-256 key, SecretSize bytes.
	Secret []byte
}

// GenerateKey returns a key with the id and a random secret.
func GenerateKey(id string) (Key, error) {
	if err := checkID(id); err != nil {
		return Key{}, err
	}
	secret := make([]byte, SecretSize)
	if _, err := rand.Read(secret); err != nil {
		return Key{}, fmt.Errorf("keyring: a secret for %q: %w", id, err)
	}
	return Key{ID: id, Secret: secret}, nil
}

// ParseKey parses a key written as its id, a colon and its secret in
// base64 (standard or URL alphabet, padded or not), as in an environment
// variable: "2026-01:q8S4…=". Its errors are *KeyError, which name what
// is wrong but never repeat the input.
func ParseKey(s string) (Key, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return Key{}, &KeyError{Problem: `not "id:base64 secret" (no colon)`}
	}
	id, encoded := s[:i], strings.TrimRight(s[i+1:], "=")
	if err := checkID(id); err != nil {
		return Key{}, err
	}
	enc := base64.RawStdEncoding
	if strings.ContainsAny(encoded, "-_") {
		enc = base64.RawURLEncoding
	}
	secret, err := enc.DecodeString(encoded)
	if err != nil {
		return Key{}, &KeyError{ID: id, Problem: "the secret is not base64"}
	}
	if len(secret) != SecretSize {
		return Key{}, &KeyError{ID: id, Problem: fmt.Sprintf("the secret is %d bytes, not %d", len(secret), SecretSize)}
	}
	return Key{ID: id, Secret: secret}, nil
}

func checkID(id string) error {
	switch {
	case id == "":
		return &KeyError{Problem: "the id is empty"}
	case len(id) > MaxIDLen:
		return &KeyError{Problem: fmt.Sprintf("the id is %d bytes, more than %d", len(id), MaxIDLen)}
	}
	for i := range len(id) {
		if id[i] <= ' ' || id[i] > '~' {
			return &KeyError{Problem: fmt.Sprintf("the id has a byte other than printable ASCII at %d", i)}
		}
	}
	return nil
}

// String returns the key's id and a mark where its secret would be.
func (k Key) String() string { return k.ID + ":REDACTED" }

// GoString is String in Go syntax, for %#v.
func (k Key) GoString() string { return fmt.Sprintf("keyring.Key{ID:%q, Secret:REDACTED}", k.ID) }

// Format prints the key as String does, or GoString for %#v, whatever the
// verb: never its secret.
func (k Key) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, k.GoString())
	case verb == 'q':
		fmt.Fprintf(f, "%q", k.String())
	default:
		fmt.Fprint(f, k.String())
	}
}

// LogValue logs the key as its id.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", k.ID), slog.String("secret", "REDACTED"))
}

// MarshalJSON writes the key's id only, so that a key in a structure
// logged as JSON does not leak its secret.
func (k Key) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"id":%q}`, k.ID), nil
}

// Keyring seals under its primary key and opens what any of its keys
// sealed. It is safe for concurrent use.
type Keyring struct {
	primary string
	aeads   map[string]cipher.AEAD
}

// New returns a keyring that seals under primary and opens what primary
// or others sealed. Ids must be unique. The keyring keeps no reference to
// the keys' secrets.
func New(primary Key, others ...Key) (*Keyring, error) {
	r := &Keyring{primary: primary.ID, aeads: make(map[string]cipher.AEAD, 1+len(others))}
	for _, k := range append([]Key{primary}, others...) {
		if err := checkID(k.ID); err != nil {
			return nil, err
		}
		if _, dup := r.aeads[k.ID]; dup {
			return nil, &KeyError{ID: k.ID, Problem: "two keys have this id"}
		}
		if len(k.Secret) != SecretSize {
			return nil, &KeyError{ID: k.ID, Problem: fmt.Sprintf("the secret is %d bytes, not %d", len(k.Secret), SecretSize)}
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("keyring: key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("keyring: key %q: %w", k.ID, err)
		}
		r.aeads[k.ID] = aead
	}
	return r, nil
}

// Primary returns the id of the key Seal uses.
func (r *Keyring) Primary() string { return r.primary }

// Seal encrypts plaintext under the primary key, authenticating
// associated with it, and returns the sealed value, which holds the key's
// id.
func (r *Keyring) Seal(plaintext, associated []byte) ([]byte, error) {
	head := 2 + len(r.primary)
	out := make([]byte, head+nonceSize, head+nonceSize+len(plaintext)+tagSize)
	out[0] = version
	out[1] = byte(len(r.primary))
	copy(out[2:], r.primary)
	nonce := out[head:]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("keyring: a nonce: %w", err)
	}
	return r.aeads[r.primary].Seal(out, nonce, plaintext, associated), nil
}

// Open decrypts a value Seal returned, given the same associated data. It
// fails with ErrUnknownKey, naming the key id, when the value was sealed
// under a key the keyring lacks, and with ErrCorrupt when the value is
// not one Seal made, was altered, or associated differs.
func (r *Keyring) Open(sealed, associated []byte) ([]byte, error) {
	id, rest, err := split(sealed)
	if err != nil {
		return nil, err
	}
	aead := r.aeads[string(id)] // no copy of id for the lookup
	if aead == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownKey, id)
	}
	plaintext, err := aead.Open(nil, rest[:nonceSize], rest[nonceSize:], associated)
	if err != nil {
		return nil, fmt.Errorf("%w: it does not authenticate under key %q with this associated data", ErrCorrupt, id)
	}
	return plaintext, nil
}

// KeyID returns the id of the key a value was sealed under; it fails with
// ErrCorrupt when the value is not one Seal made.
func KeyID(sealed []byte) (string, error) {
	id, _, err := split(sealed)
	return string(id), err
}

// Current reports whether sealed was sealed under the primary key, so
// that it needs no sealing again after a rotation.
func (r *Keyring) Current(sealed []byte) bool {
	id, _, err := split(sealed)
	return err == nil && string(id) == r.primary
}

// split returns the key id of sealed and what follows it: the nonce and
// the ciphertext.
func split(sealed []byte) (id, rest []byte, err error) {
	if len(sealed) < 2 {
		return nil, nil, fmt.Errorf("%w: %d bytes, too short", ErrCorrupt, len(sealed))
	}
	if sealed[0] != version {
		return nil, nil, fmt.Errorf("%w: format version %d, not %d", ErrCorrupt, sealed[0], version)
	}
	n := int(sealed[1])
	if n == 0 || n > MaxIDLen || len(sealed) < 2+n+nonceSize+tagSize {
		return nil, nil, fmt.Errorf("%w: %d bytes, too short for a key id of %d", ErrCorrupt, len(sealed), n)
	}
	id = sealed[2 : 2+n]
	if checkID(string(id)) != nil {
		return nil, nil, fmt.Errorf("%w: the key id is not printable ASCII", ErrCorrupt)
	}
	return id, sealed[2+n:], nil
}
