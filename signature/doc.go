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
// The base64 must carry its '=' padding: the Go reference library decodes
// it padded and refuses it otherwise (the JavaScript and Python ones take
// it either way), so ParseSecret refuses it too rather than sign with a
// secret a receiver cannot load.
//
// A Signer holds one or more secrets and writes one signature for each, so
// a secret can be rotated without a window in which receivers reject
// requests: sign with the old and the new secret until every receiver has
// the new one. A Verifier accepts a request when any signature in it matches
// any of its secrets and the timestamp lies within a tolerance of the time
// it is given (five minutes by default, either way); a timestamp outside
// it is ErrTimestampTooOld or ErrTimestampTooNew. VerifyMessage gives the
// webhook-id it verified, on which a receiver deduplicates. As the reference
// libraries compare the base64 text of a signature, an entry whose base64
// is not the canonical text of its bytes matches nothing.
//
// Signatures and decisions agree with the JavaScript reference library
// (standardwebhooks 1.1.1, which the tests run) but where the
// specification or safety asks for more:
//
//   - it knows v1 only: it passes over v1a signatures, and a request signed
//     with v1a keys alone fails there; sign with a v1 secret too for such
//     receivers;
//   - it loads a secret of any length, and one without its padding;
//     ParseSecret takes 24 to 64 bytes, as the specification says, and
//     refuses base64 without its padding, as the Go reference does;
//   - it reads the leading digits of webhook-timestamp and drops the rest
//     (1614265330.5, 1614265330abc or " 1614265330" are 1614265330 there);
//     Verify refuses anything but digits after an optional '+', as the
//     Go reference does;
//   - it floors its clock to a whole second before comparing, so a
//     timestamp up to a second more than the tolerance old passes there;
//     Verify compares with the time it is given, as the Go reference does;
//   - Verify looks at the first MaxSignatures entries only, and a Signer
//     holds at most as many secrets;
//   - it decodes a body as UTF-8 before hashing it, so in a body that is
//     not UTF-8 each bad byte is hashed there as U+FFFD and a genuine
//     signature fails; Verify and Signer hash the raw bytes, as the
//     specification says. A Dispatcher only sends UTF-8 bodies.
//
// As there, header names are matched in any case. Unlike there, a request
// that gives webhook-id or webhook-timestamp twice with different values
// (as two values, or under two spellings) is refused rather than one of
// them read.
//
// Neither signing nor verification reads the clock: the time is always a
// parameter, so tests need no fake clock. Secrets never appear in error
// strings, and a Secret formats as its prefix followed by REDACTED with
// every fmt verb, so logging one by mistake reveals nothing.
package signature
