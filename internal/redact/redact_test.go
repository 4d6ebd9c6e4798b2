package redact_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/redact"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
)

func TestURL(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain", "https://hooks.torq.io/v1/webhooks/abc", "https://hooks.torq.io/v1/webhooks/abc"},
		{"user and password", "https://bob:hunter2@example.com/hook", "https://REDACTED:REDACTED@example.com/hook"},
		{"user only", "https://ghp_token123@example.com/hook", "https://REDACTED@example.com/hook"},
		{"query values", "https://example.com/h?token=abc123&mode=sync", "https://example.com/h?token=REDACTED&mode=REDACTED"},
		{"order and repeats kept", "https://example.com/h?b=1&a=2&b=3", "https://example.com/h?b=REDACTED&a=REDACTED&b=REDACTED"},
		{"empty values kept", "https://example.com/h?x=&sig=s%2Fx&&y=", "https://example.com/h?x=&sig=REDACTED&&y="},
		{"an element without a value may be a bare token", "https://example.com/h?a1b2c3d4e5f6&x=1", "https://example.com/h?REDACTED&x=REDACTED"},
		{"fragment", "https://example.com/h#access_token=xyz", "https://example.com/h#REDACTED"},
		{"opaque", "mailto:someone@example.com", "mailto:REDACTED"},
		{"everything", "http://u:p@10.0.0.1:8080/p/q?k=v#f", "http://REDACTED:REDACTED@10.0.0.1:8080/p/q?k=REDACTED#REDACTED"},
	}
	var r redact.Redactor
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.want, r.URL(u).String())
			require.Equal(t, tt.in, u.String(), "the URL given is left as it was")
		})
	}
	require.Nil(t, r.URL(nil))
}

func TestURLKnownPathSecret(t *testing.T) {
	// A Slack-style URL whose path is the secret.
	r := redact.New(redact.WithSecrets("XXXXsecretpathXXXX"))
	u, err := url.Parse("https://hooks.slack.com/services/T000/B000/XXXXsecretpathXXXX")
	require.NoError(t, err)
	require.Equal(t, "https://hooks.slack.com/services/T000/B000/REDACTED", r.URL(u).String())
}

func TestHeader(t *testing.T) {
	h := http.Header{
		"Authorization":     {"Bearer s3cr3t"},
		"X-Torq-Token":      {"tok-1", "tok-2"},
		"Content-Type":      {"application/json"},
		"Webhook-Id":        {"msg_1"},
		"Webhook-Signature": {"v1,abc="},
		"webhook-timestamp": {"1614265330"}, // not canonical
	}
	tests := []struct {
		name string
		r    *redact.Redactor
		want http.Header
	}{
		{"default", redact.New(), http.Header{
			"Authorization":     {"REDACTED"},
			"X-Torq-Token":      {"REDACTED", "REDACTED"},
			"Content-Type":      {"application/json"},
			"Webhook-Id":        {"msg_1"},
			"Webhook-Signature": {"REDACTED"},
			"webhook-timestamp": {"1614265330"},
		}},
		{"zero value", &redact.Redactor{}, nil},
		{"nil", nil, nil},
		{"custom", redact.New(redact.WithSafeHeaders("x-torq-token")), http.Header{
			"Authorization":     {"REDACTED"},
			"X-Torq-Token":      {"tok-1", "tok-2"},
			"Content-Type":      {"REDACTED"},
			"Webhook-Id":        {"REDACTED"},
			"Webhook-Signature": {"REDACTED"},
			"webhook-timestamp": {"REDACTED"},
		}},
		{"none safe", redact.New(redact.WithSafeHeaders()), http.Header{
			"Authorization":     {"REDACTED"},
			"X-Torq-Token":      {"REDACTED", "REDACTED"},
			"Content-Type":      {"REDACTED"},
			"Webhook-Id":        {"REDACTED"},
			"Webhook-Signature": {"REDACTED"},
			"webhook-timestamp": {"REDACTED"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == nil {
				want = tests[0].want
			}
			require.Equal(t, want, tt.r.Header(h))
		})
	}
	require.Equal(t, "Bearer s3cr3t", h.Get("Authorization"), "the header given is left as it was")
	require.Nil(t, redact.New().Header(nil))
}

func TestDefaultSafeHeaders(t *testing.T) {
	names := redact.DefaultSafeHeaders()
	require.Contains(t, names, "Content-Type")
	require.NotContains(t, names, "Authorization")
	names[0] = "Authorization"
	require.NotContains(t, redact.DefaultSafeHeaders(), "Authorization", "the list returned is a copy")
}

func TestString(t *testing.T) {
	r := redact.New(
		redact.WithSecrets("a b/c+d\"e", "abcd", "abcdefgh", "xyz"),
		nil,
		redact.WithSecretsFrom(nil, http.Header{"Authorization": {"Bearer tok_9f8e7d6c"}, "Content-Type": {"application/json"}}),
	)
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"URL in text", `Post "https://u:p@h.example/x?token=t1&m=s": EOF`, `Post "https://REDACTED:REDACTED@h.example/x?token=REDACTED&m=REDACTED": EOF`},
		{"two URLs", "from http://a.example/?k=1 to http://b.example/?k=2 done", "from http://a.example/?k=REDACTED to http://b.example/?k=REDACTED done"},
		{"URL that does not parse", `parse "http://u:p@h/%zz": invalid URL escape`, `parse "REDACTED": invalid URL escape`},
		{"known secret", "the signing key abcd was rejected", "the signing key REDACTED was rejected"},
		{"longest first", "xxabcdefghxx", "xxREDACTEDxx"},
		{"query-escaped form", "q=a+b%2Fc%2Bd%22e;", "q=REDACTED;"},
		{"path-escaped form", "/a%20b%2Fc+d%22e/", "/REDACTED/"},
		{"JSON-escaped form", `{"k":"a b/c+d\"e"}`, `{"k":"REDACTED"}`},
		{"token after the auth scheme", "401: invalid token tok_9f8e7d6c", "401: invalid token REDACTED"},
		{"whole header value", "sent Bearer tok_9f8e7d6c", "sent REDACTED"},
		{"safe header values are not secrets", "want application/json", "want application/json"},
		{"short secrets stay", "xyz 127.0.0.1", "xyz 127.0.0.1"},
		{"nothing to hide", "dial tcp 10.0.0.1:443: connection refused", "dial tcp 10.0.0.1:443: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, r.String(tt.in))
		})
	}
}

var errDial = errors.New("dial refused by the test")

// The error of a real failed request quotes its URL; the redacted error
// hides the URL's secrets and the header's, and still unwraps.
func TestErrorFromClient(t *testing.T) {
	leakcheck.Check(t)
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			return nil, fmt.Errorf("%w (token s3cr3t-header-token)", errDial)
		},
	}}
	raw := "http://bob:hunter22@hooks.example/v1?token=querysecret&mode=sync"
	req, err := http.NewRequest(http.MethodPost, raw, nil)
	require.NoError(t, err)
	req.Header.Set("X-Torq-Token", "s3cr3t-header-token")
	_, err = client.Do(req)
	require.Error(t, err)
	require.Contains(t, err.Error(), "querysecret")

	u, _ := url.Parse(raw)
	r := redact.New(redact.WithSecretsFrom(u, req.Header))
	red := r.Error(err)
	for _, secret := range []string{"bob", "hunter22", "querysecret", "s3cr3t-header-token"} {
		require.NotContains(t, red.Error(), secret)
	}
	require.Contains(t, red.Error(), "token=REDACTED&mode=REDACTED")
	require.Contains(t, red.Error(), "hooks.example/v1")
	require.ErrorIs(t, red, errDial)
	var ue *url.Error
	require.ErrorAs(t, red, &ue)
	require.NoError(t, r.Error(nil))
}

func TestSecretsFromURL(t *testing.T) {
	u, err := url.Parse("https://user1234:pass5678@example.com/h?sig=abc%2Fdef&n=1#frag5678")
	require.NoError(t, err)
	r := redact.New(redact.WithSecretsFrom(u, nil))
	got := r.String("user1234 pass5678 abc/def abc%2Fdef frag5678 n=1")
	require.Equal(t, "REDACTED REDACTED REDACTED REDACTED REDACTED n=1", got)
	require.False(t, strings.Contains(got, "5678"))
}

func BenchmarkString(b *testing.B) {
	u, _ := url.Parse("https://hooks.example/v1/webhooks/42?token=t0k3n-xyz")
	r := redact.New(redact.WithSecretsFrom(u, http.Header{"Authorization": {"Bearer abc.def.ghi"}}))
	msg := `Post "https://hooks.example/v1/webhooks/42?token=t0k3n-xyz": dial tcp 203.0.113.7:443: connect: connection refused`
	b.ReportAllocs()
	for b.Loop() {
		_ = r.String(msg)
	}
}

func TestValuesAndRedactHeaderInPlace(t *testing.T) {
	r := redact.New()
	safe := []string{"application/json"}
	require.Equal(t, safe, r.Values("content-type", safe))
	require.Equal(t, []string{redact.Redacted, redact.Redacted}, r.Values("Authorization", []string{"Bearer a", "Bearer b"}))

	h := http.Header{"Content-Type": {"application/json"}, "Set-Cookie": {"s=1"}, "X-Token": {"t"}}
	out := r.RedactHeader(h)
	require.Equal(t, http.Header{"Content-Type": {"application/json"}, "Set-Cookie": {redact.Redacted}, "X-Token": {redact.Redacted}}, out)
	require.Equal(t, out, h, "redacted in place")
}

// A response's safe headers may echo a secret: RedactHeader scrubs them.
func TestRedactHeaderScrubsSafeValues(t *testing.T) {
	r := redact.New(redact.WithSecrets("tok-1f2e3d"))
	h := http.Header{
		"Content-Type": {"application/json; x=tok-1f2e3d"},
		"Date":         {"see https://u:p@example.com/x?k=v"},
		"User-Agent":   {"plain"},
	}
	r.RedactHeader(h)
	require.Equal(t, http.Header{
		"Content-Type": {"application/json; x=REDACTED"},
		"Date":         {"see https://REDACTED:REDACTED@example.com/x?k=REDACTED"},
		"User-Agent":   {"plain"},
	}, h)
}

// TestStringScrubsEveryJSONEscaping scrubs a secret as JSON encoders other
// than Go's write it: PHP escapes '/' as '\/', others leave '<' and '&'
// alone.
func TestStringScrubsEveryJSONEscaping(t *testing.T) {
	r := redact.New(redact.WithSecrets("T01/B02/p<a&th"))
	for _, in := range []string{
		`T01/B02/p<a&th`,
		`T01\/B02\/p<a&th`,
		`T01/B02/p\u003ca\u0026th`,
		`T01\/B02\/p\u003ca\u0026th`,
	} {
		require.Equal(t, `{"u":"REDACTED"}`, r.String(`{"u":"`+in+`"}`), in)
	}
}

// TestTruncatedHidesASecretCutInTwo cuts a text through a secret, at every
// byte: the start of the secret never shows.
func TestTruncatedHidesASecretCutInTwo(t *testing.T) {
	const secret = "tok-0123456789"
	r := redact.New(redact.WithSecretsFrom(nil, http.Header{"Authorization": {"Bearer " + secret}}))
	text := `{"echo":"Bearer ` + secret + `"}`
	start := strings.Index(text, secret)
	for cut := start + 1; cut < start+len(secret); cut++ {
		got := r.Truncated(text[:cut])
		require.Equal(t, `{"echo":"REDACTED`, got, "cut at %d", cut) // the header value is a secret whole
	}
	require.Equal(t, `{"echo":"REDACTED`, r.Truncated(`{"echo":"Bea`), "the start of the header value")
	require.Equal(t, `{"echo":"REDACTED"`, r.Truncated(text[:len(text)-1]), "a whole secret")
	require.Equal(t, `{"echo":"tik`, r.Truncated(`{"echo":"tik`), "no secret begins there")
	var zero *redact.Redactor
	require.Equal(t, "tok-01", zero.Truncated("tok-01"))
}

// BenchmarkNewWithManySecrets: a redactor made per delivery (a templated
// URL's) that knows the 64-character lines of a client certificate, and
// scrubs a 4 KiB response with them.
func BenchmarkNewWithManySecrets(b *testing.B) {
	raw := make([]byte, 20*48) // the lines of an RSA-2048 certificate
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	enc := base64.StdEncoding.EncodeToString(raw)
	secrets := []string{"whsec_c2VjcmV0LXNpZ25pbmcta2V5"}
	for i := 0; i < len(enc); i += 64 {
		secrets = append(secrets, enc[i:min(i+64, len(enc))])
	}
	body := strings.Repeat(`{"status":"ok","id":"0123456789abcdef"}`, 100)
	b.Run("New", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = redact.New(redact.WithSecrets(secrets...))
		}
	})
	b.Run("String", func(b *testing.B) {
		r := redact.New(redact.WithSecrets(secrets...))
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			_ = r.String(body)
		}
	})
}

func TestASCIIEscapedForms(t *testing.T) {
	r := redact.New(redact.WithSecrets("ç-🔑-x"))
	for _, in := range []string{`\u00e7-\ud83d\udd11-x`, `\u00E7-\uD83D\uDD11-x`, "ç-🔑-x"} {
		if got := r.Scrub("a " + in + " b"); got != "a REDACTED b" {
			t.Errorf("Scrub(%q) = %q", in, got)
		}
	}
}
