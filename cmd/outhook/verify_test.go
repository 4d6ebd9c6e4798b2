package main

import (
	"net/http"
	"net/http/httputil"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/signature"
)

// verifyOutput is verify's -o json shape.
type verifyOutput struct {
	Valid     bool   `json:"valid"`
	Reason    string `json:"reason"`
	Error     string `json:"error"`
	ID        string `json:"id"`
	Timestamp int64  `json:"timestamp"`
}

// signedRequest returns a request to a receiver signed with secret at
// at, as Outhook sends it.
func signedRequest(t *testing.T, secret string, at time.Time, body string) *http.Request {
	t.Helper()
	s, err := signature.ParseSecret(secret)
	require.NoError(t, err)
	signer, err := signature.NewSigner(s)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, "https://receiver.example/hooks/apono", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	signer.SetHeaders(req.Header, "msg_2Kq7", at, []byte(body))
	return req
}

func dumpOut(t *testing.T, req *http.Request) string {
	t.Helper()
	b, err := httputil.DumpRequestOut(req, true)
	require.NoError(t, err)
	return string(b)
}

func TestVerifySignedRequests(t *testing.T) {
	t.Parallel()
	secret := signature.NewSecret()
	const body = `{"event_type":"RequestCreated","data":{"justification":"on call\n\"now\""}}`
	now := time.Now()
	req := signedRequest(t, secret, now, body)
	dump := dumpOut(t, req)
	require.Contains(t, dump, "Content-Length:")

	chunked := signedRequest(t, secret, now, body)
	chunked.ContentLength = -1
	chunkedDump := dumpOut(t, chunked)
	require.Contains(t, chunkedDump, "Transfer-Encoding: chunked")

	// As a person writes one down: LF line ends, no Content-Length.
	var handWritten strings.Builder
	handWritten.WriteString("POST /hooks/apono HTTP/1.1\nHost: receiver.example\n")
	for _, h := range []string{signature.HeaderID, signature.HeaderTimestamp, signature.HeaderSignature} {
		handWritten.WriteString(h + ": " + req.Header.Get(h) + "\n")
	}
	handWritten.WriteString("\n" + body)

	for _, tc := range []struct{ name, input string }{
		{"dumped", dump}, {"chunked", chunkedDump}, {"hand-written", handWritten.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := outhook(t, runOpts{stdin: tc.input}, "verify", "-secret", secret)
			require.Equal(t, 0, r.code, r.stdout+r.stderr)
			require.True(t, strings.HasPrefix(r.stdout, "valid: webhook-id msg_2Kq7, signed "), r.stdout)

			r = outhook(t, runOpts{stdin: tc.input}, "verify", "-o", "json", "-secret", secret)
			require.Equal(t, 0, r.code)
			var out verifyOutput
			decodeStrictly(t, r.stdout, &out)
			require.Equal(t, verifyOutput{Valid: true, ID: "msg_2Kq7", Timestamp: now.Unix()}, out)
		})
	}

	t.Run("from a file, secret from the environment", func(t *testing.T) {
		file := writeFile(t, t.TempDir(), "req.http", dump)
		env := []string{"OUTHOOK_SECRET=" + signature.NewSecret() + " " + secret}
		r := outhook(t, runOpts{env: env}, "verify", file)
		require.Equal(t, 0, r.code, r.stdout+r.stderr)
	})

	t.Run("headers as flags", func(t *testing.T) {
		file := writeFile(t, t.TempDir(), "body.json", body)
		args := []string{"verify", "-secret", secret,
			"-id", req.Header.Get(signature.HeaderID),
			"-timestamp", req.Header.Get(signature.HeaderTimestamp),
			"-signature", req.Header.Get(signature.HeaderSignature)}
		r := outhook(t, runOpts{}, append(args, file)...)
		require.Equal(t, 0, r.code, r.stdout+r.stderr)
		r = outhook(t, runOpts{stdin: body + " "}, args...)
		require.Equal(t, 1, r.code, "one more byte in the body")
	})

	t.Run("ed25519", func(t *testing.T) {
		private, public := signature.NewKeyPair()
		r := outhook(t, runOpts{stdin: dumpOut(t, signedRequest(t, private, now, body))}, "verify", "-secret", public)
		require.Equal(t, 0, r.code, r.stdout+r.stderr)
	})
}

func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	secret := signature.NewSecret()
	const body = `{"a":1}`
	now := time.Now()
	good := dumpOut(t, signedRequest(t, secret, now, body))
	old := dumpOut(t, signedRequest(t, secret, now.Add(-time.Hour), body))
	unsigned, err := http.NewRequest(http.MethodPost, "https://r.example/", strings.NewReader(body))
	require.NoError(t, err)

	for _, tc := range []struct {
		name, input, reason string
		args                []string
	}{
		{"tampered body", strings.Replace(good, `{"a":1}`, `{"a":2}`, 1), "invalid_signature", nil},
		{"another secret", good, "invalid_signature", []string{"-secret", signature.NewSecret()}},
		{"an hour old", old, "timestamp_out_of_range", nil},
		{"no webhook headers", dumpOut(t, unsigned), "invalid_header", nil},
		{"not a request", "hello\n", "malformed_request", nil},
		{"cut short", good[:len(good)-3], "malformed_request", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args == nil {
				args = []string{"-secret", secret}
			}
			r := outhook(t, runOpts{stdin: tc.input}, append([]string{"verify", "-o", "json"}, args...)...)
			require.Equal(t, 1, r.code, r.stdout+r.stderr)
			var out verifyOutput
			decodeStrictly(t, r.stdout, &out)
			require.False(t, out.Valid)
			require.Equal(t, tc.reason, out.Reason)
			require.NotEmpty(t, out.Error)

			r = outhook(t, runOpts{stdin: tc.input}, append([]string{"verify"}, args...)...)
			require.Equal(t, 1, r.code)
			require.True(t, strings.HasPrefix(r.stdout, "invalid: "), r.stdout)
			require.NotContains(t, r.stdout+r.stderr, strings.TrimPrefix(secret, "whsec_"))
		})
	}

	t.Run("a wider tolerance accepts the old one", func(t *testing.T) {
		r := outhook(t, runOpts{stdin: old}, "verify", "-secret", secret, "-tolerance", "2h")
		require.Equal(t, 0, r.code, r.stdout+r.stderr)
	})

	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"no secret", []string{"verify"}, "no secret"},
		{"bad secret", []string{"verify", "-secret", "whsec_!!"}, "invalid secret"},
		{"some header flags", []string{"verify", "-secret", secret, "-id", "msg_1"}, "-id, -timestamp and -signature go together"},
		{"bad tolerance", []string{"verify", "-secret", secret, "-tolerance", "soon"}, "invalid value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := outhook(t, runOpts{stdin: good}, tc.args...)
			require.Equal(t, 2, r.code, r.stdout+r.stderr)
			require.Contains(t, r.stderr, tc.msg)
			require.NotContains(t, r.stderr, "!!", "a secret is never repeated")
		})
	}
}

func TestVerifyTimestampShown(t *testing.T) {
	t.Parallel()
	secret := signature.NewSecret()
	at := time.Now().Add(-2 * time.Minute)
	r := outhook(t, runOpts{stdin: dumpOut(t, signedRequest(t, secret, at, "{}"))}, "verify", "-secret", secret)
	require.Equal(t, 0, r.code)
	require.Regexp(t, `^valid: webhook-id msg_2Kq7, signed `+at.UTC().Format(time.RFC3339)+` \((1m59s|2m\d{1,2}s) ago\)\n$`, r.stdout)
}
