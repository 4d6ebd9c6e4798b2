package signature

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// The Standard Webhooks header names, as http.Header canonicalises them.
const (
	// HeaderID carries the message id, stable across retries.
	HeaderID = "Webhook-Id"
	// HeaderTimestamp carries the time of the attempt in unix seconds.
	HeaderTimestamp = "Webhook-Timestamp"
	// HeaderSignature carries the space-separated signatures.
	HeaderSignature = "Webhook-Signature"
)

// Signer signs requests with one or more secrets. It is immutable and safe
// for concurrent use. The zero Signer has no secrets and signs nothing:
// create one with NewSigner.
type Signer struct {
	secrets []Secret
	hasV1a  bool
}

// NewSigner returns a Signer that writes one signature per secret, in the
// order given. It needs one to MaxSignatures secrets (a Verifier reads no
// more signatures than that), and each must be able to sign (a whsec_
// secret or a whsk_ private key); errors wrap ErrInvalidSecret.
func NewSigner(secrets ...Secret) (*Signer, error) {
	switch {
	case len(secrets) == 0:
		return nil, fmt.Errorf("%w: a signer needs at least one secret", ErrInvalidSecret)
	case len(secrets) > MaxSignatures:
		return nil, fmt.Errorf("%w: %d secrets; a signer holds at most %d, as many signatures as a verifier reads", ErrInvalidSecret, len(secrets), MaxSignatures)
	}
	s := &Signer{secrets: make([]Secret, len(secrets))}
	for i, sec := range secrets {
		switch {
		case sec.key() == nil:
			return nil, fmt.Errorf("%w: secret %d is the zero Secret", ErrInvalidSecret, i)
		case !sec.canSign():
			return nil, fmt.Errorf("%w: secret %d is a public key, which cannot sign", ErrInvalidSecret, i)
		}
		s.secrets[i] = sec
		s.hasV1a = s.hasV1a || sec.Version() == V1a
	}
	return s, nil
}

// Sign returns the value of webhook-signature for a message: one
// <version>,<base64 signature> per secret, separated by spaces. The signed
// content is id, the unix seconds of timestamp and body, joined by dots.
func (s *Signer) Sign(id string, timestamp time.Time, body []byte) string {
	var tsBuf [20]byte
	ts := strconv.AppendInt(tsBuf[:0], timestamp.Unix(), 10)
	var msg []byte
	if s.hasV1a {
		msg = content(id, ts, body)
	}
	out := make([]byte, 0, len(s.secrets)*(len(V1a)+1+base64.StdEncoding.EncodedLen(ed25519.SignatureSize)+1))
	var sum [sha256.Size]byte
	for i, sec := range s.secrets {
		if i > 0 {
			out = append(out, ' ')
		}
		k := sec.key()
		if k.version == V1 {
			out = append(out, V1...)
			out = append(out, ',')
			out = base64.StdEncoding.AppendEncode(out, k.mac(id, ts, body, sum[:0]))
			continue
		}
		out = append(out, V1a...)
		out = append(out, ',')
		out = base64.StdEncoding.AppendEncode(out, ed25519.Sign(k.private, msg))
	}
	return string(out)
}

// SetHeaders signs a message and sets webhook-id, webhook-timestamp and
// webhook-signature on h, replacing any values they had under any spelling
// of their names.
func (s *Signer) SetHeaders(h http.Header, id string, timestamp time.Time, body []byte) {
	s.setHeaders(h, id, timestamp, body)
}

// SetHeadersString is SetHeaders for a body held as a string, which it
// signs without copying it.
func (s *Signer) SetHeadersString(h http.Header, id string, timestamp time.Time, body string) {
	// Signing only reads the body (hash.Hash.Write, as any io.Writer, may
	// neither modify nor retain it, and ed25519's message is a copy), so
	// the string's bytes are lent, not copied.
	s.setHeaders(h, id, timestamp, unsafe.Slice(unsafe.StringData(body), len(body)))
}

func (s *Signer) setHeaders(h http.Header, id string, timestamp time.Time, body []byte) {
	// Another spelling of a name would be sent beside the canonical one.
	for name := range h {
		if isStandardHeader(name) && name != HeaderID && name != HeaderTimestamp && name != HeaderSignature {
			delete(h, name)
		}
	}
	values := []string{id, strconv.FormatInt(timestamp.Unix(), 10), s.Sign(id, timestamp, body)} // one allocation for the three
	h[HeaderID], h[HeaderTimestamp], h[HeaderSignature] = values[:1:1], values[1:2:2], values[2:]
}

// isStandardHeader reports whether name is one of the three names in any
// case.
func isStandardHeader(name string) bool {
	if len(name) != len(HeaderID) && len(name) != len(HeaderTimestamp) && len(name) != len(HeaderSignature) {
		return false // most names, at the cost of a comparison
	}
	return strings.EqualFold(name, HeaderID) || strings.EqualFold(name, HeaderTimestamp) || strings.EqualFold(name, HeaderSignature)
}

// content returns id.ts.body, the message an ed25519 signature covers.
func content(id string, ts, body []byte) []byte {
	msg := make([]byte, 0, len(id)+len(ts)+len(body)+2)
	msg = append(msg, id...)
	msg = append(msg, '.')
	msg = append(msg, ts...)
	msg = append(msg, '.')
	return append(msg, body...)
}
