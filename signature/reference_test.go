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
