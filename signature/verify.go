package signature

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/outhook/outhook/internal/headerfold"
)

// DefaultTolerance is how far webhook-timestamp may lie from the time of
// verification, either way, when a Verifier is given no tolerance; the
// reference libraries use the same.
const DefaultTolerance = 5 * time.Minute

// MaxSignatures is how many entries of webhook-signature a Verifier looks
// at; the rest are ignored, so a hostile header cannot make verification
// arbitrarily slow.
const MaxSignatures = 32

// Errors of Verify, matched with errors.Is.
var (
	// ErrInvalidHeader means webhook-id, webhook-timestamp or
	// webhook-signature is missing, or the timestamp is not a number of
	// unix seconds.
	ErrInvalidHeader = errors.New("signature: missing or malformed webhook header")
	// ErrTimestampOutOfRange means webhook-timestamp lies further than the
	// tolerance from the time of verification.
	ErrTimestampOutOfRange = errors.New("signature: timestamp outside the tolerance")
	// ErrTimestampTooOld means webhook-timestamp lies more than the
	// tolerance before the time of verification. It wraps
	// ErrTimestampOutOfRange.
	ErrTimestampTooOld = fmt.Errorf("signature: timestamp too old: %w", ErrTimestampOutOfRange)
	// ErrTimestampTooNew means webhook-timestamp lies more than the
	// tolerance after the time of verification. It wraps
	// ErrTimestampOutOfRange.
	ErrTimestampTooNew = fmt.Errorf("signature: timestamp too new: %w", ErrTimestampOutOfRange)
	// ErrInvalidSignature means no signature in webhook-signature matches
	// any of the Verifier's secrets.
	ErrInvalidSignature = errors.New("signature: no matching signature")
)

// Verifier checks signed requests, as a receiver does. It is immutable and
// safe for concurrent use. The zero Verifier has no secrets and accepts
// nothing: create one with NewVerifier.
type Verifier struct {
	secrets   []Secret
	tolerance time.Duration
}

// NewVerifier returns a Verifier that accepts a signature made with any of
// secrets: whsec_ secrets, and whpk_ public keys or whsk_ private keys for
// v1a. A tolerance of zero or less means DefaultTolerance. It needs at least
// one secret; errors wrap ErrInvalidSecret.
func NewVerifier(tolerance time.Duration, secrets ...Secret) (*Verifier, error) {
	if len(secrets) == 0 {
		return nil, fmt.Errorf("%w: a verifier needs at least one secret", ErrInvalidSecret)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	v := &Verifier{secrets: make([]Secret, len(secrets)), tolerance: tolerance}
	for i, sec := range secrets {
		if sec.key() == nil {
			return nil, fmt.Errorf("%w: secret %d is the zero Secret", ErrInvalidSecret, i)
		}
		v.secrets[i] = sec.Public()
	}
	return v, nil
}

// Verify checks the Standard Webhooks headers in h against body at the time
// now. It returns nil when webhook-timestamp lies within the tolerance of
// now and at least one signature in webhook-signature (all its values,
// space-separated entries, the first MaxSignatures of them) matches one of
// the Verifier's secrets. It finds each header under any spelling of its
// name, as the JavaScript reference library does, so a map with lowercase
// names verifies too; the entries under the canonical name are read first,
// then those under other spellings in sorted order. A request that gives
// webhook-id or webhook-timestamp more than once with different values, as
// several values or under several spellings, is refused (ErrInvalidHeader),
// so that the id a receiver reads is the one verified however it reads it.
// Like the Go reference library, it reads the timestamp as decimal digits
// after an optional '+' and signs its value (01614265330 is signed as
// 1614265330). Like the reference libraries, it takes an entry's text
// between its first and second commas as its signature; entries of unknown
// versions or that do not parse are skipped, and so are entries whose
// base64 is not the canonical text of its bytes (other padding bits, line
// breaks), which the reference libraries, comparing texts, would not match
// either. An empty or missing header is ErrInvalidHeader. Otherwise the
// error wraps ErrInvalidHeader, ErrTimestampTooOld or ErrTimestampTooNew
// (both ErrTimestampOutOfRange), or ErrInvalidSignature. Signatures are
// compared in constant time.
func (v *Verifier) Verify(h http.Header, body []byte, now time.Time) error {
	_, _, err := v.verify(h, body, now)
	return err
}

// Message is what VerifyMessage verified of a request.
type Message struct {
	// ID is webhook-id, the receiver's idempotency key.
	ID string
	// Timestamp is the time webhook-timestamp gives, in whole seconds.
	Timestamp time.Time
}

// VerifyMessage verifies as Verify does, and returns the webhook-id and
// webhook-timestamp it verified, or the zero Message with the error. A
// receiver deduplicates on its ID: http.Header.Get finds the canonical name
// only, so in a map built with other spellings (a serverless event's
// lowercase names, which Verify takes) it would find no id.
func (v *Verifier) VerifyMessage(h http.Header, body []byte, now time.Time) (Message, error) {
	id, ts, err := v.verify(h, body, now)
	if err != nil {
		return Message{}, err
	}
	return Message{ID: id, Timestamp: time.Unix(ts, 0)}, nil
}

// verify is Verify, giving the id and the unix seconds it verified.
func (v *Verifier) verify(h http.Header, body []byte, now time.Time) (id string, ts int64, err error) {
	id, err = headerValue(h, HeaderID)
	if err != nil {
		return "", 0, err
	}
	tsText, err := headerValue(h, HeaderTimestamp)
	if err != nil {
		return "", 0, err
	}
	sigs := headerfold.Values(h, HeaderSignature)
	if !slices.ContainsFunc(sigs, func(v string) bool { return strings.Trim(v, " ") != "" }) {
		return "", 0, fmt.Errorf("%w: no %s", ErrInvalidHeader, HeaderSignature)
	}
	ts, err = parseTimestamp(tsText)
	if err != nil {
		return "", 0, err
	}
	switch skew := now.Sub(time.Unix(ts, 0)); {
	case skew > v.tolerance:
		return "", 0, fmt.Errorf("%w: %s is %v before now; the tolerance is %v", ErrTimestampTooOld, HeaderTimestamp, skew.Truncate(time.Second), v.tolerance)
	case skew < -v.tolerance:
		return "", 0, fmt.Errorf("%w: %s is %v after now; the tolerance is %v", ErrTimestampTooNew, HeaderTimestamp, -skew.Truncate(time.Second), v.tolerance)
	}

	// The reference libraries sign the timestamp's value, so a header
	// written +1614265330 or 01614265330 is signed as 1614265330.
	var tsBuf [20]byte
	tsBytes := strconv.AppendInt(tsBuf[:0], ts, 10)
	var (
		macs [][]byte // per secret, computed on first use
		msg  []byte   // id.ts.body, built on first v1a entry
		// dec holds a decoded signature; base64 padding makes DecodedLen
		// round up, so it is larger than the largest signature.
		dec [ed25519.SignatureSize + 3]byte
	)
	seen := 0
	for _, value := range sigs {
		for entry := range strings.SplitSeq(value, " ") {
			if entry == "" {
				continue
			}
			if seen == MaxSignatures {
				return "", 0, ErrInvalidSignature
			}
			seen++
			version, b64, ok := strings.Cut(entry, ",")
			// Text after a second comma is not part of the signature,
			// as the reference libraries split it.
			b64, _, _ = strings.Cut(b64, ",")
			if !ok || base64.StdEncoding.DecodedLen(len(b64)) > len(dec) {
				continue
			}
			// One text per signature, as the reference libraries compare
			// it: the strict decoder refuses other padding bits, and line
			// breaks, which any decoder skips, are refused here.
			if strings.ContainsAny(b64, "\r\n") {
				continue
			}
			n, err := strictBase64.Decode(dec[:], []byte(b64))
			if err != nil {
				continue
			}
			sig := dec[:n]
			for i, sec := range v.secrets {
				k := sec.key()
				if string(k.version) != version {
					continue
				}
				if k.version == V1 {
					if macs == nil {
						macs = make([][]byte, len(v.secrets))
					}
					if macs[i] == nil {
						macs[i] = k.mac(id, tsBytes, body, make([]byte, 0, sha256.Size))
					}
					if hmac.Equal(sig, macs[i]) {
						return id, ts, nil
					}
					continue
				}
				if msg == nil {
					msg = content(id, tsBytes, body)
				}
				if len(sig) == ed25519.SignatureSize && ed25519.Verify(k.public, msg, sig) {
					return id, ts, nil
				}
			}
		}
	}
	return "", 0, ErrInvalidSignature
}

// headerValue returns the value of the header name in h, found under any
// spelling of the name. Every value under every spelling must be the same:
// a request that gives two is refused, whatever the order of h's names, so
// that no way of reading h (Get, the last value, a lookup of another
// spelling) finds an id or a timestamp other than the one verified.
func headerValue(h http.Header, name string) (string, error) {
	values := headerfold.Values(h, name)
	for _, v := range values {
		if v != values[0] {
			return "", fmt.Errorf("%w: %s is given more than once, with different values", ErrInvalidHeader, name)
		}
	}
	if len(values) == 0 || values[0] == "" {
		return "", fmt.Errorf("%w: no %s", ErrInvalidHeader, name)
	}
	return values[0], nil
}

// strictBase64 decodes only the canonical text of each byte string.
var strictBase64 = base64.StdEncoding.Strict()

// parseTimestamp reads unix seconds written as decimal digits, after an
// optional '+' as the reference libraries take it. A '-' is refused: no
// attempt is sent before 1970.
func parseTimestamp(text string) (int64, error) {
	digits := strings.TrimPrefix(text, "+")
	if digits == "" {
		return 0, fmt.Errorf("%w: %s is not a number of unix seconds", ErrInvalidHeader, HeaderTimestamp)
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, fmt.Errorf("%w: %s is not a number of unix seconds", ErrInvalidHeader, HeaderTimestamp)
		}
	}
	ts, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s is out of range", ErrInvalidHeader, HeaderTimestamp)
	}
	return ts, nil
}
