package signature_test

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/signature"
)

// These tests hold the package to what the Standard Webhooks reference
// libraries do with the same input.

// The reference libraries take the secret with or without its whsec_
// prefix: a receiver configured with the bare base64 verifies the vector.
func TestBareSecretIsV1(t *testing.T) {
	v := vector(t)
	bare := strings.TrimPrefix(v["secret"], "whsec_")
	sec, err := signature.ParseSecret(bare)
	require.NoError(t, err)
	require.Equal(t, signature.V1, sec.Version())
	require.Equal(t, "whsec_REDACTED", sec.String())

	unix, err := strconv.ParseInt(v["webhook-timestamp"], 10, 64)
	require.NoError(t, err)
	s, err := signature.NewSigner(sec)
	require.NoError(t, err)
	require.Equal(t, v["webhook-signature"], s.Sign(v["webhook-id"], time.Unix(unix, 0), []byte(v["body"])))

	ver, err := signature.ParseVerifier(0, bare)
	require.NoError(t, err)
	h := http.Header{}
	h.Set("webhook-id", v["webhook-id"])
	h.Set("webhook-timestamp", v["webhook-timestamp"])
	h.Set("webhook-signature", v["webhook-signature"])
	require.NoError(t, ver.Verify(h, []byte(v["body"]), time.Unix(unix, 0)))

	for _, text := range []string{"not*base64*at*all*here!!", strings.TrimSuffix(bare, "w"), "c2VjcmV0", ""} {
		_, err := signature.ParseSecret(text)
		require.ErrorIs(t, err, signature.ErrInvalidSecret, "%q", text)
		if text != "" {
			require.NotContains(t, err.Error(), text)
		}
	}
}

// The reference libraries compare the base64 text of a v1 signature, so a
// signature whose last character differs only in the bits that base64
// pads with does not match, although it decodes to the same bytes.
func TestVerifyRefusesMalleatedBase64(t *testing.T) {
	v := vector(t)
	sec := mustSecret(t, v["secret"])
	unix, err := strconv.ParseInt(v["webhook-timestamp"], 10, 64)
	require.NoError(t, err)
	now := time.Unix(unix, 0)
	ver, err := signature.NewVerifier(0, sec)
	require.NoError(t, err)

	good := v["webhook-signature"] // v1,<44 characters ending in =>
	b64 := strings.TrimPrefix(good, "v1,")
	raw, err := base64.StdEncoding.DecodeString(b64)
	require.NoError(t, err)
	last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", b64[len(b64)-2])
	for _, low := range []int{1, 2, 3} { // the two bits 32 bytes leave over
		twin := b64[:len(b64)-2] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[last^low]) + "="
		dec, err := base64.StdEncoding.DecodeString(twin)
		require.NoError(t, err)
		require.Equal(t, raw, dec, "the twin decodes to the same bytes")
		h := http.Header{}
		h.Set("webhook-id", v["webhook-id"])
		h.Set("webhook-timestamp", v["webhook-timestamp"])
		h.Set("webhook-signature", "v1,"+twin)
		require.ErrorIs(t, ver.Verify(h, []byte(v["body"]), now), signature.ErrInvalidSignature, "v1,%s", twin)
	}
	for _, sig := range []string{good[:20] + "\n" + good[20:], good[:20] + "\r" + good[20:]} {
		h := http.Header{}
		h.Set("webhook-id", v["webhook-id"])
		h.Set("webhook-timestamp", v["webhook-timestamp"])
		h["Webhook-Signature"] = []string{sig}
		require.ErrorIs(t, ver.Verify(h, []byte(v["body"]), now), signature.ErrInvalidSignature, "%q", sig)
	}
}

// The reference libraries tell a timestamp too old from one too new; both
// are still ErrTimestampOutOfRange.
func TestVerifyTellsTooOldFromTooNew(t *testing.T) {
	v := vector(t)
	sec := mustSecret(t, v["secret"])
	unix, err := strconv.ParseInt(v["webhook-timestamp"], 10, 64)
	require.NoError(t, err)
	sent := time.Unix(unix, 0)
	ver, err := signature.NewVerifier(0, sec)
	require.NoError(t, err)
	h := http.Header{}
	h.Set("webhook-id", v["webhook-id"])
	h.Set("webhook-timestamp", v["webhook-timestamp"])
	h.Set("webhook-signature", v["webhook-signature"])
	body := []byte(v["body"])

	require.NoError(t, ver.Verify(h, body, sent.Add(signature.DefaultTolerance)))
	require.NoError(t, ver.Verify(h, body, sent.Add(-signature.DefaultTolerance)))

	err = ver.Verify(h, body, sent.Add(signature.DefaultTolerance+time.Second))
	require.ErrorIs(t, err, signature.ErrTimestampTooOld)
	require.ErrorIs(t, err, signature.ErrTimestampOutOfRange)
	require.NotErrorIs(t, err, signature.ErrTimestampTooNew)

	err = ver.Verify(h, body, sent.Add(-signature.DefaultTolerance-time.Second))
	require.ErrorIs(t, err, signature.ErrTimestampTooNew)
	require.ErrorIs(t, err, signature.ErrTimestampOutOfRange)
	require.NotErrorIs(t, err, signature.ErrTimestampTooOld)
}

// The reference libraries read webhook-timestamp as a decimal, '+' allowed, and
// sign its value, not its text, and take the text between an entry's first
// and second commas as its signature; extra spaces and entries of other
// versions are passed over.
func TestVerifyReadsHeadersAsTheReferenceDoes(t *testing.T) {
	v := vector(t)
	sec := mustSecret(t, v["secret"])
	unix, err := strconv.ParseInt(v["webhook-timestamp"], 10, 64)
	require.NoError(t, err)
	now := time.Unix(unix, 0)
	ver, err := signature.NewVerifier(0, sec)
	require.NoError(t, err)
	good := v["webhook-signature"]
	b64 := strings.TrimPrefix(good, "v1,")
	verify := func(ts, sig string) error {
		h := http.Header{}
		h.Set("webhook-id", v["webhook-id"])
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sig)
		return ver.Verify(h, []byte(v["body"]), now)
	}
	ts := v["webhook-timestamp"]
	for _, sig := range []string{
		good,
		"  " + good + "  ",
		"v1,AAAA v2," + b64 + "  " + good,
		good + ",more",
		good + ",",
		"v1a," + b64 + " " + good,
	} {
		require.NoError(t, verify(ts, sig), "%q", sig)
	}
	for _, sig := range []string{"v2," + b64, "V1," + b64, "v1 " + b64, b64, "v1," + b64[1:], ",v1," + b64} {
		require.ErrorIs(t, verify(ts, sig), signature.ErrInvalidSignature, "%q", sig)
	}
	for _, text := range []string{"+" + ts, "0" + ts, "000" + ts} {
		require.NoError(t, verify(text, good), "%q", text)
	}
	for _, text := range []string{"-" + ts, "++" + ts, " " + ts, ts + " ", "1_614_265_330", "0x60391a72", "1.6e9", "+", "99999999999999999999"} {
		require.ErrorIs(t, verify(text, good), signature.ErrInvalidHeader, "%q", text)
	}
}

// Header names are case-insensitive in HTTP, and the reference JavaScript
// library lowercases them before it looks: a receiver that hands Verify a
// map built from lowercase names (a serverless event's, a proxy's) is
// verified as one built by net/http. Two spellings of the id or timestamp
// that disagree are refused rather than one picked.
func TestVerifyFindsHeadersInAnyCase(t *testing.T) {
	v := vector(t)
	sec := mustSecret(t, v["secret"])
	unix, err := strconv.ParseInt(v["webhook-timestamp"], 10, 64)
	require.NoError(t, err)
	now := time.Unix(unix, 0)
	ver, err := signature.NewVerifier(0, sec)
	require.NoError(t, err)
	body := []byte(v["body"])
	for _, names := range [][3]string{
		{"webhook-id", "webhook-timestamp", "webhook-signature"},
		{"WEBHOOK-ID", "WEBHOOK-TIMESTAMP", "WEBHOOK-SIGNATURE"},
		{"Webhook-ID", "webhook-Timestamp", "Webhook-Signature"},
	} {
		h := http.Header{names[0]: {v["webhook-id"]}, names[1]: {v["webhook-timestamp"]}, names[2]: {v["webhook-signature"]}}
		require.NoError(t, ver.Verify(h, body, now), "%v", names)
	}

	// The signatures of every spelling are tried.
	h := http.Header{"Webhook-Id": {v["webhook-id"]}, "Webhook-Timestamp": {v["webhook-timestamp"]},
		"Webhook-Signature": {"v1,AAAA"}, "webhook-signature": {v["webhook-signature"]}}
	require.NoError(t, ver.Verify(h, body, now))

	// Two spellings that disagree name no one id, the canonical one among
	// them or not (see TestVerifyRefusesTwoIDsOrTimestamps).
	h = http.Header{"Webhook-Id": {v["webhook-id"]}, "webhook-id": {"msg_other"}, "Webhook-Timestamp": {v["webhook-timestamp"]}, "Webhook-Signature": {v["webhook-signature"]}}
	require.ErrorIs(t, ver.Verify(h, body, now), signature.ErrInvalidHeader)
	h = http.Header{"webhook-id": {v["webhook-id"]}, "WEBHOOK-ID": {"msg_other"}, "Webhook-Timestamp": {v["webhook-timestamp"]}, "Webhook-Signature": {v["webhook-signature"]}}
	require.ErrorIs(t, ver.Verify(h, body, now), signature.ErrInvalidHeader)
	h = http.Header{"webhook-id": {v["webhook-id"]}, "WEBHOOK-ID": {v["webhook-id"]}, "Webhook-Timestamp": {v["webhook-timestamp"]}, "Webhook-Signature": {v["webhook-signature"]}}
	require.NoError(t, ver.Verify(h, body, now))

	// Header names are ASCII: a name that folds to one of the three only
	// through another character (the Kelvin sign, U+212A) is not it.
	h = http.Header{"Webhoo\u212a-Id": {v["webhook-id"]}, "Webhook-Timestamp": {v["webhook-timestamp"]}, "Webhook-Signature": {v["webhook-signature"]}}
	require.ErrorIs(t, ver.Verify(h, body, now), signature.ErrInvalidHeader)
	h = http.Header{"Webhook-Id": {v["webhook-id"]}, "Webhook-Timestamp": {v["webhook-timestamp"]}, "Webhoo\u212a-Signature": {v["webhook-signature"]}}
	require.ErrorIs(t, ver.Verify(h, body, now), signature.ErrInvalidHeader)

	// The Standard Webhooks names only: Svix's are not read.
	h = http.Header{"Svix-Id": {v["webhook-id"]}, "Svix-Timestamp": {v["webhook-timestamp"]}, "Svix-Signature": {v["webhook-signature"]}}
	require.ErrorIs(t, ver.Verify(h, body, now), signature.ErrInvalidHeader)
}

// The reference libraries' own tests: a timestamp made from a clock with a
// fraction of a second is its whole second, so a request signed exactly the
// tolerance ago is refused as too old once the fraction has passed (the Go
// reference compares with the time as given, as Verify does); partial and
// malformed signatures are no match, not a malformed header.
func TestVerifyAsTheReferenceTestsDo(t *testing.T) {
	v := vector(t)
	sec := mustSecret(t, v["secret"])
	ver, err := signature.NewVerifier(0, sec)
	require.NoError(t, err)
	signer, err := signature.NewSigner(sec)
	require.NoError(t, err)
	body := []byte(v["body"])
	now := time.Unix(1_773_134_100, 400_000_000) // a clock between seconds

	signedAt := func(at time.Time) http.Header {
		h := http.Header{}
		signer.SetHeaders(h, v["webhook-id"], at, body)
		return h
	}
	require.NoError(t, ver.Verify(signedAt(now), body, now))
	require.ErrorIs(t, ver.Verify(signedAt(now.Add(-signature.DefaultTolerance)), body, now), signature.ErrTimestampTooOld)
	require.ErrorIs(t, ver.Verify(signedAt(now.Add(-signature.DefaultTolerance-time.Second)), body, now), signature.ErrTimestampTooOld)
	require.NoError(t, ver.Verify(signedAt(now.Add(signature.DefaultTolerance)), body, now))
	require.ErrorIs(t, ver.Verify(signedAt(now.Add(signature.DefaultTolerance+time.Second)), body, now), signature.ErrTimestampTooNew)

	// At whole seconds the edges are inclusive, to the nanosecond.
	whole := now.Truncate(time.Second)
	h := signedAt(whole)
	require.NoError(t, ver.Verify(h, body, whole.Add(signature.DefaultTolerance)))
	require.ErrorIs(t, ver.Verify(h, body, whole.Add(signature.DefaultTolerance+time.Nanosecond)), signature.ErrTimestampTooOld)
	require.NoError(t, ver.Verify(h, body, whole.Add(-signature.DefaultTolerance)))
	require.ErrorIs(t, ver.Verify(h, body, whole.Add(-signature.DefaultTolerance-time.Nanosecond)), signature.ErrTimestampTooNew)

	good := h.Get(signature.HeaderSignature)
	for _, sig := range []string{"v1,", good[:8], "v1,dawfeoifkpqwoekfpqoekf", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="} {
		bad := h.Clone()
		bad.Set(signature.HeaderSignature, sig)
		require.ErrorIs(t, ver.Verify(bad, body, whole), signature.ErrInvalidSignature, "%q", sig)
	}
	bad := h.Clone()
	bad.Set(signature.HeaderTimestamp, "hello")
	require.ErrorIs(t, ver.Verify(bad, body, whole), signature.ErrInvalidHeader)
}

// An empty webhook-signature is a missing header, as the reference
// libraries count it, not a signature that failed: the error names it.
func TestVerifyEmptySignatureHeaderIsMissing(t *testing.T) {
	v := vector(t)
	sec := mustSecret(t, v["secret"])
	unix, err := strconv.ParseInt(v["webhook-timestamp"], 10, 64)
	require.NoError(t, err)
	ver, err := signature.NewVerifier(0, sec)
	require.NoError(t, err)
	for _, values := range [][]string{{""}, {"", "  "}, {" "}} {
		h := http.Header{"Webhook-Id": {v["webhook-id"]}, "Webhook-Timestamp": {v["webhook-timestamp"]}, "Webhook-Signature": values}
		err := ver.Verify(h, []byte(v["body"]), time.Unix(unix, 0))
		require.ErrorIs(t, err, signature.ErrInvalidHeader, "%q", values)
		require.ErrorContains(t, err, signature.HeaderSignature)
	}
}

// A request gives one webhook-id and one webhook-timestamp. One that gives
// two, as several values of a name or under two spellings (a proxy that adds
// a lowercase copy, a header repeated), is refused whichever is signed:
// otherwise a receiver that reads the id through another spelling or the
// last value (a lookup in a lowercase map, a framework that keeps the last
// line) deduplicates on an id that was not verified. The same value given
// twice is one value.
func TestVerifyRefusesTwoIDsOrTimestamps(t *testing.T) {
	v := vector(t)
	sec := mustSecret(t, v["secret"])
	unix, err := strconv.ParseInt(v["webhook-timestamp"], 10, 64)
	require.NoError(t, err)
	now := time.Unix(unix, 0)
	ver, err := signature.NewVerifier(0, sec)
	require.NoError(t, err)
	body := []byte(v["body"])
	id, ts, sig := v["webhook-id"], v["webhook-timestamp"], v["webhook-signature"]
	later := strconv.FormatInt(unix+60, 10)

	refused := map[string]http.Header{
		"two ids":                       {"Webhook-Id": {id, "msg_other"}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}},
		"two ids, the signed one last":  {"Webhook-Id": {"msg_other", id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}},
		"a lowercase id beside":         {"Webhook-Id": {id}, "webhook-id": {"msg_other"}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}},
		"an empty lowercase id beside":  {"Webhook-Id": {id}, "webhook-id": {""}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}},
		"two timestamps":                {"Webhook-Id": {id}, "Webhook-Timestamp": {ts, later}, "Webhook-Signature": {sig}},
		"a lowercase timestamp beside":  {"Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "webhook-timestamp": {later}, "Webhook-Signature": {sig}},
		"the same timestamp written +":  {"Webhook-Id": {id}, "Webhook-Timestamp": {ts, "+" + ts}, "Webhook-Signature": {sig}},
		"other spellings, one empty id": {"webhook-id": {""}, "WEBHOOK-ID": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}},
	}
	for name, h := range refused {
		// Several times, so that no order of the map's names lets it pass.
		for range 20 {
			err := ver.Verify(h, body, now)
			require.ErrorIs(t, err, signature.ErrInvalidHeader, name)
			require.ErrorContains(t, err, "different values", name)
		}
	}

	accepted := map[string]http.Header{
		"the id twice":               {"Webhook-Id": {id, id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}},
		"the id in two spellings":    {"Webhook-Id": {id}, "webhook-id": {id}, "Webhook-Timestamp": {ts, ts}, "webhook-timestamp": {ts}, "Webhook-Signature": {sig}},
		"a second signature line":    {"Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {"v1,AAAA", sig}},
		"a lowercase signature line": {"Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {"v1,AAAA"}, "webhook-signature": {sig}},
	}
	for name, h := range accepted {
		require.NoError(t, ver.Verify(h, body, now), name)
	}
}

// A receiver deduplicates on the id it verified. Verify finds the headers
// under any spelling, but http.Header.Get finds the canonical one only: in
// a map built with lowercase names (a serverless event's) Get gives an
// empty id, which would make every delivery look like the first one's
// retry. VerifyMessage gives the id and the timestamp it verified.
func TestVerifyMessageGivesTheVerifiedIDAndTimestamp(t *testing.T) {
	v := vector(t)
	sec := mustSecret(t, v["secret"])
	unix, err := strconv.ParseInt(v["webhook-timestamp"], 10, 64)
	require.NoError(t, err)
	now := time.Unix(unix, 0).Add(time.Minute)
	ver, err := signature.NewVerifier(0, sec)
	require.NoError(t, err)
	body := []byte(v["body"])

	h := http.Header{"webhook-id": {v["webhook-id"]}, "webhook-timestamp": {"+" + v["webhook-timestamp"]}, "webhook-signature": {v["webhook-signature"]}}
	require.NoError(t, ver.Verify(h, body, now))
	require.Empty(t, h.Get(signature.HeaderID), "Get does not find the lowercase name")

	msg, err := ver.VerifyMessage(h, body, now)
	require.NoError(t, err)
	require.Equal(t, v["webhook-id"], msg.ID)
	require.True(t, msg.Timestamp.Equal(time.Unix(unix, 0)), "%v", msg.Timestamp)

	// Nothing is given of a request that does not verify.
	for _, bad := range []http.Header{
		{"webhook-id": {v["webhook-id"]}, "webhook-timestamp": {v["webhook-timestamp"]}, "webhook-signature": {"v1,AAAA"}},
		{"webhook-id": {v["webhook-id"]}, "webhook-timestamp": {v["webhook-timestamp"]}},
	} {
		msg, err := ver.VerifyMessage(bad, body, now)
		require.Error(t, err)
		require.Zero(t, msg)
	}
	_, err = ver.VerifyMessage(h, body, now.Add(time.Hour))
	require.ErrorIs(t, err, signature.ErrTimestampTooOld)
}

// Verify makes a few allocations whatever a sender puts in the headers:
// junk entries, blank values and signatures under other spellings cost
// time in proportion to their length, and no allocation of their own.
func TestVerifyAllocationsDoNotGrowWithTheHeaders(t *testing.T) {
	v := vector(t)
	sec := mustSecret(t, v["secret"])
	unix, err := strconv.ParseInt(v["webhook-timestamp"], 10, 64)
	require.NoError(t, err)
	ver, err := signature.NewVerifier(0, sec)
	require.NoError(t, err)
	body := []byte(v["body"])
	allocs := func(n int) float64 {
		h := http.Header{"Webhook-Id": {v["webhook-id"]}, "Webhook-Timestamp": {v["webhook-timestamp"]},
			"Webhook-Signature": {strings.Repeat(" ", n) + strings.Repeat("v1,"+strings.Repeat("A", 43)+"= ", 31) + v["webhook-signature"]},
			"webhook-signature": {strings.Repeat("v1a,AAAA ", n)}}
		for range n {
			h["Webhook-Signature"] = append(h["Webhook-Signature"], "  ")
		}
		return testing.AllocsPerRun(5, func() {
			if err := ver.Verify(h, body, time.Unix(unix, 0)); err != nil {
				t.Fatal(err)
			}
		})
	}
	// A few either way: the race detector's runtime allocates now and then
	// on its own; an allocation per entry would be a hundred thousand.
	require.Less(t, allocs(100_000), allocs(1)+10)
}

// Which entries are among the first MaxSignatures does not depend on the
// order of the map's names: the canonical spelling's come first, then
// those of the others in sorted order, so the same request always gets
// the same answer.
func TestVerifyReadsSpellingsInOneOrder(t *testing.T) {
	v := vector(t)
	sec := mustSecret(t, v["secret"])
	unix, err := strconv.ParseInt(v["webhook-timestamp"], 10, 64)
	require.NoError(t, err)
	ver, err := signature.NewVerifier(0, sec)
	require.NoError(t, err)
	body := []byte(v["body"])
	junk := strings.TrimSpace(strings.Repeat("v1,AAAA ", signature.MaxSignatures/2))
	base := http.Header{"Webhook-Id": {v["webhook-id"]}, "Webhook-Timestamp": {v["webhook-timestamp"]}, "Webhook-Signature": {junk}}

	// Past the limit when read after the capitals: refused, every time.
	late := base.Clone()
	late["WEBHOOK-SIGNATURE"] = []string{junk}
	late["webhook-signature"] = []string{v["webhook-signature"]}
	// Within it when read before them: accepted, every time.
	early := base.Clone()
	early["webhook-signature"] = []string{junk}
	early["WEBHOOK-SIGNATURE"] = []string{v["webhook-signature"]}
	for range 100 {
		require.ErrorIs(t, ver.Verify(late, body, time.Unix(unix, 0)), signature.ErrInvalidSignature)
		require.NoError(t, ver.Verify(early, body, time.Unix(unix, 0)))
	}
}
