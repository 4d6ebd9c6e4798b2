package signature_test

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/testkit/sharedtest"
	"github.com/outhook/outhook/signature"
)

// vector reads the published test vector from the table in
// ../shared/spec/standard-webhooks.md.
func vector(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(sharedtest.Dir(t, "spec"), "standard-webhooks.md"))
	require.NoError(t, err)
	defer f.Close()
	v := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) != 4 {
			continue
		}
		name, value := strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2])
		if strings.HasPrefix(value, "`") && strings.HasSuffix(value, "`") {
			v[name] = strings.Trim(value, "`")
		}
	}
	require.NoError(t, sc.Err())
	for _, k := range []string{"secret", "webhook-id", "webhook-timestamp", "body", "webhook-signature"} {
		require.NotEmpty(t, v[k], "the vector has no %s", k)
	}
	return v
}

func TestPublishedVector(t *testing.T) {
	v := vector(t)
	sec, err := signature.ParseSecret(v["secret"])
	require.NoError(t, err)
	unix, err := strconv.ParseInt(v["webhook-timestamp"], 10, 64)
	require.NoError(t, err)
	ts := time.Unix(unix, 0)

	s, err := signature.NewSigner(sec)
	require.NoError(t, err)
	require.Equal(t, v["webhook-signature"], s.Sign(v["webhook-id"], ts, []byte(v["body"])))

	h := http.Header{}
	h.Set("webhook-id", v["webhook-id"])
	h.Set("webhook-timestamp", v["webhook-timestamp"])
	h.Set("webhook-signature", v["webhook-signature"])
	ver, err := signature.NewVerifier(0, sec)
	require.NoError(t, err)
	require.NoError(t, ver.Verify(h, []byte(v["body"]), ts.Add(time.Minute)))
	require.ErrorIs(t, ver.Verify(h, []byte(v["body"]+" "), ts), signature.ErrInvalidSignature)
}

// Keys made for the tests; never used anywhere else.
var (
	hmacA   = "whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xA1}, 32))
	hmacB   = "whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xB2}, 24))
	edSeed  = bytes.Repeat([]byte{0xC3}, ed25519.SeedSize)
	edKey   = ed25519.NewKeyFromSeed(edSeed)
	edSeedT = "whsk_" + base64.StdEncoding.EncodeToString(edSeed)
	edFullT = "whsk_" + base64.StdEncoding.EncodeToString(edKey)
	edPubT  = "whpk_" + base64.StdEncoding.EncodeToString(edKey.Public().(ed25519.PublicKey))
)

func mustSecret(t testing.TB, text string) signature.Secret {
	t.Helper()
	s, err := signature.ParseSecret(text)
	require.NoError(t, err)
	return s
}

func TestParseSecret(t *testing.T) {
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n)) }
	mismatched := append(append([]byte{}, edSeed...), bytes.Repeat([]byte{1}, 32)...)
	tests := []struct {
		name    string
		text    string
		version signature.Version
		wantErr string
	}{
		{"v1 24 bytes", "whsec_" + b64(24), signature.V1, ""},
		{"v1 64 bytes", "whsec_" + b64(64), signature.V1, ""},
		// The Go reference verifier decodes padded base64 only (the
		// JavaScript and Python ones take both): a secret it refuses must
		// not sign here.
		{"v1 unpadded", "whsec_" + base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)), "", "lacks its padding (add = at the end)"},
		{"v1a unpadded", "whsk_" + base64.RawStdEncoding.EncodeToString(edKey), "", "lacks its padding (add == at the end)"},
		{"v1 line break", "whsec_" + b64(16) + "\n" + b64(16), "", "line break"},
		{"v1 too much padding", "whsec_" + b64(32) + "=", "", "not followed by standard base64"},
		{"v1a seed", edSeedT, signature.V1a, ""},
		{"v1a full key", edFullT, signature.V1a, ""},
		{"v1a public", edPubT, signature.V1a, ""},
		{"empty", "", "", "prefix"},
		{"no prefix", b64(32), signature.V1, ""},
		{"no prefix, too short", b64(23), "", "23 bytes"},
		{"no prefix, unpadded", base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)), "", "prefix"},
		{"unknown prefix", "whxx_" + b64(32), "", "prefix"},
		{"upper-case prefix", "WHSEC_" + b64(32), "", "prefix"},
		{"v1 too short", "whsec_" + b64(23), "", "23 bytes"},
		{"v1 too long", "whsec_" + b64(65), "", "65 bytes"},
		{"v1 empty", "whsec_", "", "0 bytes"},
		{"not base64", "whsec_not*base64*at*all*here!!", "", "base64"},
		{"url alphabet", "whsec_" + strings.Repeat("-_", 16), "", "base64"},
		{"v1a wrong size", "whsk_" + b64(40), "", "40 bytes"},
		{"v1a mismatched halves", "whsk_" + base64.StdEncoding.EncodeToString(mismatched), "", "does not match"},
		{"public wrong size", "whpk_" + b64(31), "", "31 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := signature.ParseSecret(tt.text)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, signature.ErrInvalidSecret)
				require.ErrorContains(t, err, tt.wantErr)
				if body, ok := strings.CutPrefix(tt.text, "whsec_"); ok && body != "" {
					require.NotContains(t, err.Error(), body, "the error quotes the secret")
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.version, s.Version())
		})
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	now := time.Unix(1_773_134_100, 0)
	body := []byte(`{"event_type":"RequestCreated"}`)
	a, b := mustSecret(t, hmacA), mustSecret(t, hmacB)
	ed, edPub := mustSecret(t, edSeedT), mustSecret(t, edPubT)
	tests := []struct {
		name    string
		sign    []signature.Secret
		verify  []signature.Secret
		wantErr error
	}{
		{"v1", []signature.Secret{a}, []signature.Secret{a}, nil},
		{"v1a with the public key", []signature.Secret{ed}, []signature.Secret{edPub}, nil},
		{"v1a with the private key", []signature.Secret{ed}, []signature.Secret{ed}, nil},
		{"v1a from the 64-byte form", []signature.Secret{mustSecret(t, edFullT)}, []signature.Secret{edPub}, nil},
		{"rotation: receiver has the old secret", []signature.Secret{a, b}, []signature.Secret{a}, nil},
		{"rotation: receiver has the new secret", []signature.Secret{a, b}, []signature.Secret{b}, nil},
		{"mixed schemes", []signature.Secret{a, ed}, []signature.Secret{edPub}, nil},
		{"receiver with several secrets", []signature.Secret{b}, []signature.Secret{a, edPub, b}, nil},
		{"other secret", []signature.Secret{a}, []signature.Secret{b}, signature.ErrInvalidSignature},
		{"v1 secret, v1a signature", []signature.Secret{ed}, []signature.Secret{a}, signature.ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := signature.NewSigner(tt.sign...)
			require.NoError(t, err)
			h := http.Header{}
			s.SetHeaders(h, "msg_1", now, body)
			require.Len(t, strings.Fields(h.Get("webhook-signature")), len(tt.sign))
			require.Equal(t, "1773134100", h.Get("webhook-timestamp"))

			v, err := signature.NewVerifier(0, tt.verify...)
			require.NoError(t, err)
			err = v.Verify(h, body, now)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	now := time.Unix(1_773_134_100, 0)
	body := []byte(`{"a":1}`)
	sec := mustSecret(t, hmacA)
	s, err := signature.NewSigner(sec)
	require.NoError(t, err)
	good := s.Sign("msg_1", now, body)
	v, err := signature.NewVerifier(time.Minute, sec)
	require.NoError(t, err)

	headers := func(id, ts string, sigs ...string) http.Header {
		h := http.Header{}
		if id != "" {
			h.Set("webhook-id", id)
		}
		if ts != "" {
			h.Set("webhook-timestamp", ts)
		}
		for _, s := range sigs {
			h.Add("webhook-signature", s)
		}
		return h
	}
	ts := "1773134100"
	tests := []struct {
		name    string
		h       http.Header
		body    []byte
		now     time.Time
		wantErr error
	}{
		{"valid", headers("msg_1", ts, good), body, now, nil},
		{"at the edge of the past", headers("msg_1", ts, good), body, now.Add(time.Minute), nil},
		{"at the edge of the future", headers("msg_1", ts, good), body, now.Add(-time.Minute), nil},
		{"among other entries", headers("msg_1", ts, "v2,abc v1,AAAA  garbage "+good+" v1a,xyz"), body, now, nil},
		{"in a second header value", headers("msg_1", ts, "v1,AAAA", good), body, now, nil},
		{"no id", headers("", ts, good), body, now, signature.ErrInvalidHeader},
		{"no timestamp", headers("msg_1", "", good), body, now, signature.ErrInvalidHeader},
		{"no signature", headers("msg_1", ts), body, now, signature.ErrInvalidHeader},
		{"timestamp with a fraction", headers("msg_1", ts+".5", good), body, now, signature.ErrInvalidHeader},
		{"negative timestamp", headers("msg_1", "-"+ts, good), body, now, signature.ErrInvalidHeader},
		{"timestamp overflows", headers("msg_1", strings.Repeat("9", 30), good), body, now, signature.ErrInvalidHeader},
		{"too old", headers("msg_1", ts, good), body, now.Add(time.Minute + time.Second), signature.ErrTimestampOutOfRange},
		{"too new", headers("msg_1", ts, good), body, now.Add(-time.Minute - time.Second), signature.ErrTimestampOutOfRange},
		{"other timestamp", headers("msg_1", "1773134101", good), body, now, signature.ErrInvalidSignature},
		{"other id", headers("msg_2", ts, good), body, now, signature.ErrInvalidSignature},
		{"other body", headers("msg_1", ts, good), []byte(`{"a":2}`), now, signature.ErrInvalidSignature},
		{"wrong version label", headers("msg_1", ts, "v1a"+strings.TrimPrefix(good, "v1")), body, now, signature.ErrInvalidSignature},
		{"truncated signature", headers("msg_1", ts, good[:len(good)-4]), body, now, signature.ErrInvalidSignature},
		{"only garbage", headers("msg_1", ts, ",,, v1, ,v1 v1,===="), body, now, signature.ErrInvalidSignature},
		{"match past the limit", headers("msg_1", ts, strings.Repeat("v1,AAAA ", signature.MaxSignatures)+good), body, now, signature.ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.Verify(tt.h, tt.body, tt.now)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestConstructorsRefuse(t *testing.T) {
	pub := mustSecret(t, edPubT)
	_, err := signature.NewSigner()
	require.ErrorIs(t, err, signature.ErrInvalidSecret)
	_, err = signature.NewSigner(signature.Secret{})
	require.ErrorIs(t, err, signature.ErrInvalidSecret)
	_, err = signature.NewSigner(mustSecret(t, hmacA), pub)
	require.ErrorIs(t, err, signature.ErrInvalidSecret)
	require.ErrorContains(t, err, "public key")
	_, err = signature.NewVerifier(0)
	require.ErrorIs(t, err, signature.ErrInvalidSecret)
	_, err = signature.NewVerifier(0, signature.Secret{})
	require.ErrorIs(t, err, signature.ErrInvalidSecret)
}

func TestPublic(t *testing.T) {
	ed := mustSecret(t, edSeedT)
	require.Equal(t, edPubT, ed.Public().String())
	require.Equal(t, edPubT, mustSecret(t, edFullT).Public().String())
	pub := mustSecret(t, edPubT)
	require.Equal(t, pub.String(), pub.Public().String())
	a := mustSecret(t, hmacA)
	require.Equal(t, signature.V1, a.Public().Version())
	require.Equal(t, signature.Version(""), signature.Secret{}.Version())
}

// No way of printing a secret, or something holding one, shows its bytes.
func TestSecretsNeverPrinted(t *testing.T) {
	a, ed := mustSecret(t, hmacA), mustSecret(t, edSeedT)
	signer, err := signature.NewSigner(a, ed)
	require.NoError(t, err)
	verifier, err := signature.NewVerifier(0, a, ed)
	require.NoError(t, err)
	holder := struct {
		name   string
		secret signature.Secret
	}{"hook", a}
	values := []any{a, ed, &a, []signature.Secret{a, ed}, signer, *signer, verifier, *verifier, holder, &holder,
		map[string]signature.Secret{"k": ed}}

	forbidden := []string{
		strings.TrimPrefix(hmacA, "whsec_"),
		strings.TrimPrefix(edSeedT, "whsk_"),
		strings.TrimPrefix(edFullT, "whsk_"),
		fmt.Sprintf("%x", bytes.Repeat([]byte{0xA1}, 4)),
		fmt.Sprintf("%x", edSeed[:4]),
		fmt.Sprint(bytes.Repeat([]byte{0xA1}, 4)[:2]),
		"161 161", "195 195",
	}
	var out strings.Builder
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
	}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "secret", a, "key", ed, "holder", holder)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "secret", a, "key", ed, "holder", holder)
	js, err := json.Marshal(map[string]any{"a": a, "signer": signer})
	require.NoError(t, err)

	all := out.String() + logs.String() + string(js)
	for _, f := range forbidden {
		require.NotContains(t, all, f)
	}
	require.Contains(t, all, "whsec_REDACTED")
	require.Contains(t, all, "whsk_REDACTED")
	require.Equal(t, `"whsec_REDACTED"`, fmt.Sprintf("%q", a))
}

func BenchmarkSign(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 1024)
	ts := time.Unix(1_773_134_100, 0)
	for _, tt := range []struct{ name, secret string }{{"v1", hmacA}, {"v1a", edSeedT}} {
		b.Run(tt.name+"/1KB", func(b *testing.B) {
			s, err := signature.NewSigner(mustSecret(b, tt.secret))
			require.NoError(b, err)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				_ = s.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", ts, body)
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 1024)
	ts := time.Unix(1_773_134_100, 0)
	for _, tt := range []struct{ name, secret string }{{"v1", hmacA}, {"v1a", edSeedT}} {
		b.Run(tt.name+"/1KB", func(b *testing.B) {
			sec := mustSecret(b, tt.secret)
			s, err := signature.NewSigner(sec)
			require.NoError(b, err)
			v, err := signature.NewVerifier(0, sec.Public())
			require.NoError(b, err)
			h := http.Header{}
			s.SetHeaders(h, "msg_p5jXN8AQM9LWM0D4loKWxJek", ts, body)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := v.Verify(h, body, ts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A Verifier looks at MaxSignatures entries, so a Signer holds at most as
// many secrets: with more, a receiver holding only the last would refuse
// every request.
func TestSignerHoldsNoMoreSecretsThanAVerifierReads(t *testing.T) {
	secrets := make([]signature.Secret, signature.MaxSignatures+1)
	for i := range secrets {
		secrets[i] = mustSecret(t, signature.NewSecret())
	}
	_, err := signature.NewSigner(secrets...)
	require.ErrorIs(t, err, signature.ErrInvalidSecret)
	require.ErrorContains(t, err, "at most 32")

	s, err := signature.NewSigner(secrets[:signature.MaxSignatures]...)
	require.NoError(t, err)
	at := time.Unix(1_773_134_100, 0)
	h := http.Header{}
	s.SetHeaders(h, "msg_1", at, []byte("{}"))
	v, err := signature.NewVerifier(0, secrets[signature.MaxSignatures-1])
	require.NoError(t, err)
	require.NoError(t, v.Verify(h, []byte("{}"), at), "the last secret's signature is read")
}

// The Python reference library splits webhook-signature on single spaces
// and unpacks each entry into exactly a version and a signature, failing
// on an empty entry or a second comma; a Signer writes only that strict
// form, whatever its secrets.
func TestSignatureHeaderIsStrictForm(t *testing.T) {
	strict := regexp.MustCompile(`^v1a?,[A-Za-z0-9+/]+={0,2}( v1a?,[A-Za-z0-9+/]+={0,2})*$`)
	edPriv, _ := signature.NewKeyPair()
	for _, texts := range [][]string{{hmacA}, {edPriv}, {hmacA, hmacB, edPriv}, {edPriv, hmacA}} {
		secrets, err := signature.ParseSecrets(texts...)
		require.NoError(t, err)
		s, err := signature.NewSigner(secrets...)
		require.NoError(t, err)
		for _, body := range []string{"", "{}", strings.Repeat("\u00e9", 1000)} {
			h := http.Header{}
			s.SetHeaders(h, "msg_1", time.Unix(1_773_134_100, 0), []byte(body))
			require.Regexp(t, strict, h.Get(signature.HeaderSignature))
			require.Len(t, strings.Split(h.Get(signature.HeaderSignature), " "), len(texts))
		}
	}
}
