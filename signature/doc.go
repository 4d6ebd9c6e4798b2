// Package signature signs and verifies webhook requests after the Standard
// Webhooks specification (version 1.0.0).
//
// A request carries three headers: webhook-id, the message id that stays the
// same across retries of one delivery (the receiver's idempotency key);
// webhook-timestamp, the time of the attempt in unix seconds; and
// webhook-signature, a space-separated list of signatures, each written
// <version>,<base64 signature>. What is signed is the id, the timestamp and
// the raw body joined by dots: <id>.<timestamp>.<body>.
//
// Two schemes are supported:
//
//   - v1, HMAC-SHA256 with a shared secret of 24 to 64 bytes, written
//     whsec_ followed by the standard base64 of the bytes (ParseSecret also
//     takes the base64 without whsec_, as the reference libraries do);
//   - v1a, ed25519, with a private key written whsk_ followed by the
//     standard base64 of the key (either the 32-byte seed or the 64-byte
//     seed-and-public-key form of crypto/ed25519) and a public key written
//     whpk_ followed by the standard base64 of its 32 bytes. The
//     specification does not fix these encodings; these are the raw key
//     bytes, as for v1 secrets.
//
// The base64 must carry its '=' padding: the reference verifiers decode it
// padded and refuse it otherwise, so ParseSecret refuses what they refuse
// rather than sign with a secret the receiver cannot load.
//
// A Signer holds one or more secrets and writes one signature for each, so
// a secret can be rotated without a window in which receivers reject
// requests: sign with the old and the new secret until every receiver has
// the new one. A Verifier accepts a request when any signature in it matches
// any of its secrets and the timestamp lies within a tolerance of the time
// it is given (five minutes by default, either way); a timestamp outside
// it is ErrTimestampTooOld or ErrTimestampTooNew. As the reference
// libraries compare the base64 text of a signature, an entry whose base64
// is not the canonical text of its bytes matches nothing.
//
// Neither signing nor verification reads the clock: the time is always a
// parameter, so tests need no fake clock. Secrets never appear in error
// strings, and a Secret formats as its prefix followed by REDACTED with
// every fmt verb, so logging one by mistake reveals nothing.
package signature
