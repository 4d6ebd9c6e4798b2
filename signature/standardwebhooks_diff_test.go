package signature_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/signature"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// The differential suite against the JavaScript reference library,
// standardwebhooks, pinned by testdata/standardwebhooks/package-lock.json
// (see its README). The library knows v1 only.

const swVersion = "1.1.1"

var swDir = filepath.Join("testdata", "standardwebhooks")

// requireStandardWebhooks returns the path of reference.js once node and
// the pinned module are there; otherwise it skips, or fails when CI=true.
func requireStandardWebhooks(t *testing.T) string {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...) + "; install it with: npm ci --prefix signature/testdata/standardwebhooks"
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (CI requires the differential suite)", msg)
		}
		t.Skipf("%s; skipping (CI=true makes this a failure)", msg)
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing("node is not installed")
	}
	pkg, err := os.ReadFile(filepath.Join(swDir, "node_modules", "standardwebhooks", "package.json"))
	if err != nil {
		missing("standardwebhooks is not installed in %s", swDir)
	}
	var meta struct{ Version string }
	if err := json.Unmarshal(pkg, &meta); err != nil || meta.Version != swVersion {
		missing("%s holds standardwebhooks %q, not the pinned %s", swDir, meta.Version, swVersion)
	}
	return filepath.Join(swDir, "reference.js")
}

// swCase is one call of the library; see reference.js.
type swCase struct {
	Op        string            `json:"op"`
	Secret    string            `json:"secret"`
	ID        string            `json:"id,omitempty"`
	Timestamp int64             `json:"timestamp,omitempty"`
	Body      []byte            `json:"body"` // base64 in JSON
	Headers   map[string]string `json:"headers,omitempty"`
	Now       float64           `json:"now,omitempty"`
}

type swResult struct {
	OK        bool   `json:"ok"`
	Error     string `json:"error"`
	Signature string `json:"signature"`
}

// runStandardWebhooks runs every case in one run of node.
func runStandardWebhooks(t *testing.T, cases []swCase) []swResult {
	t.Helper()
	script := requireStandardWebhooks(t)
	in, err := json.Marshal(cases)
	require.NoError(t, err)
	cmd := exec.Command("node", script)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "node %s: %s", script, stderr.String())
	var results []swResult
	require.NoError(t, json.Unmarshal(out, &results), "node %s printed no results", script)
	require.Len(t, results, len(cases))
	return results
}

// hmacText returns a whsec_ secret of n bytes of b.
func hmacText(n int, b byte) string {
	return "whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, n))
}

// Bodies a receiver may get: empty, ASCII, unicode (line and paragraph
// separators, astral characters, a NUL), large, and bytes that are not
// UTF-8, which the library turns into U+FFFD before it hashes them.
var swBodies = []struct {
	name string
	body []byte
	utf8 bool
}{
	{"empty", nil, true},
	{"ascii", []byte(`{"test": 2432232314}`), true},
	{"unicode", []byte("{\"note\":\"h\u00e9llo \u2014 \u65e5\u672c\u8a9e \U0001F389 \u2028\u2029 \\u0000\",\"k\":\"\x00\"}"), true},
	{"large", []byte(`{"data":"` + strings.Repeat("\u00e9abc\U0001F389", 200_000) + `"}`), true},
	{"not-utf8", []byte("{\"x\":\"\xff\xfe\xc3(\"}"), false},
}

// The library verifies what Signer signs, with each v1 secret of a signer
// that holds several (rotation), written with or without whsec_, for every
// body; only a body that is not UTF-8 differs, as the package doc says.
func TestStandardWebhooksVerifiesSigner(t *testing.T) {
	requireStandardWebhooks(t)
	s24, s32, s64 := hmacText(24, 0x24), hmacText(32, 0x32), hmacText(64, 0x64)
	ed, _ := signature.NewKeyPair()
	signers := [][]string{{s32}, {s24, s64, ed}, {ed, s32}, {ed}}
	at := time.Unix(1_773_134_100, 0)

	type check struct {
		name   string
		header http.Header
		body   []byte
		want   bool
	}
	var (
		cases  []swCase
		checks []check
	)
	for si, texts := range signers {
		secrets, err := signature.ParseSecrets(texts...)
		require.NoError(t, err)
		signer, err := signature.NewSigner(secrets...)
		require.NoError(t, err)
		// A verifier holding the receiver's side of every secret.
		pub := make([]signature.Secret, len(secrets))
		for i, s := range secrets {
			pub[i] = s.Public()
		}
		own, err := signature.NewVerifier(0, pub...)
		require.NoError(t, err)
		for _, b := range swBodies {
			h := http.Header{}
			signer.SetHeaders(h, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", at, b.body)
			require.NoError(t, own.Verify(h, b.body, at), "Outhook verifies its own %s body", b.name)
			headers := map[string]string{"webhook-id": h.Get(signature.HeaderID), "webhook-timestamp": h.Get(signature.HeaderTimestamp), "webhook-signature": h.Get(signature.HeaderSignature)}
			v1 := 0
			for _, text := range texts {
				if !strings.HasPrefix(text, "whsec_") {
					continue
				}
				v1++
				for _, given := range []string{text, strings.TrimPrefix(text, "whsec_")} {
					cases = append(cases, swCase{Op: "verify", Secret: given, Headers: headers, Body: b.body, Now: float64(at.Unix())})
					checks = append(checks, check{fmt.Sprintf("signer %d, body %s, secret %.12s…", si, b.name, given), h, b.body, b.utf8})
				}
			}
			if v1 == 0 {
				// Only v1a: the library passes over it and finds nothing.
				cases = append(cases, swCase{Op: "verify", Secret: s32, Headers: headers, Body: b.body, Now: float64(at.Unix())})
				checks = append(checks, check{fmt.Sprintf("signer %d (v1a only), body %s", si, b.name), h, b.body, false})
			}
		}
	}
	results := runStandardWebhooks(t, cases)
	for i, r := range results {
		require.Equal(t, checks[i].want, r.OK, "%s: the library says %q", checks[i].name, r.Error)
	}
}

// The library verifies what a Dispatcher sends: the headers and raw body of
// real requests, each with every secret of a rotation. A retry carries the
// same webhook-id and the bytes of the first attempt, with its own
// timestamp and signatures, which verify at its own time.
func TestStandardWebhooksVerifiesDispatcher(t *testing.T) {
	requireStandardWebhooks(t)
	leakcheck.Check(t)
	oldSecret, newSecret := hmacText(32, 0x0d), hmacText(48, 0x4e)
	private, public := signature.NewKeyPair()

	type request struct {
		header http.Header
		body   []byte
	}
	var (
		mu   sync.Mutex
		got  = map[string][]request{}
		skew atomic.Int64 // seconds the Dispatcher's clock runs ahead
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		got[r.URL.Path] = append(got[r.URL.Path], request{r.Header.Clone(), body})
		first := len(got[r.URL.Path]) == 1
		mu.Unlock()
		if first {
			skew.Add(90) // the retry is sent 90 s later
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()

	clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load()) * time.Second) }
	d := webhooktest.NewDispatcher(t, webhook.WithClock(clock))
	bodies := map[string]string{
		"event":   "", // the event as it is
		"unicode": "{\"text\":\"h\u00e9llo \u2014 {{data.requester.name}} \u65e5\u672c\u8a9e \U0001F389 \u2028\",\"id\":\"{{event_id}}\"}",
		"large":   `{"pad":"` + strings.Repeat("\u00e9\U0001F389 x", 60_000) + `","type":"{{event_type}}"}`,
	}
	for name, tmpl := range bodies {
		_, err := d.Add(webhook.Webhook{
			Name:           name,
			Active:         true,
			URL:            srv.URL + "/" + name,
			Triggers:       []event.Trigger{accessrequest.Granted},
			BodyTemplate:   tmpl,
			SigningSecrets: []string{oldSecret, newSecret, private},
		})
		require.NoError(t, err, name)
	}
	e, ok := accessrequest.Mock(accessrequest.Granted)
	require.True(t, ok)
	_, err := d.Publish(context.Background(), e)
	require.NoError(t, err)
	for _, inv := range d.WaitFinal(len(bodies)) {
		require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	}

	var cases []swCase
	var names []string
	mu.Lock()
	defer mu.Unlock()
	for name := range bodies {
		reqs := got["/"+name]
		require.Len(t, reqs, 2, name)
		first, retry := reqs[0], reqs[1]
		require.Equal(t, first.header.Get("Webhook-Id"), retry.header.Get("Webhook-Id"), "%s: webhook-id is the same on a retry", name)
		require.Equal(t, first.body, retry.body, "%s: a retry sends the same bytes", name)
		t1, err := strconv.ParseInt(first.header.Get("Webhook-Timestamp"), 10, 64)
		require.NoError(t, err)
		t2, err := strconv.ParseInt(retry.header.Get("Webhook-Timestamp"), 10, 64)
		require.NoError(t, err)
		require.GreaterOrEqual(t, t2-t1, int64(90), "%s: a retry carries the time of its own attempt", name)
		require.NotEqual(t, first.header.Get("Webhook-Signature"), retry.header.Get("Webhook-Signature"), name)
		require.Len(t, strings.Fields(first.header.Get("Webhook-Signature")), 3, "%s: one signature per secret", name)

		for i, r := range reqs {
			headers := map[string]string{}
			for k := range r.header {
				headers[k] = r.header.Get(k) // as node's http module lowercases them, the library does too
			}
			ts, err := strconv.ParseInt(r.header.Get("Webhook-Timestamp"), 10, 64)
			require.NoError(t, err)
			for _, secret := range []string{oldSecret, newSecret} {
				cases = append(cases, swCase{Op: "verify", Secret: secret, Headers: headers, Body: r.body, Now: float64(ts + 1)})
				names = append(names, fmt.Sprintf("%s attempt %d, secret %.12s…", name, i+1, secret))
			}
			// Outhook's own verifier agrees, the public key included.
			for _, secret := range []string{oldSecret, newSecret, public} {
				v, err := signature.ParseVerifier(0, secret)
				require.NoError(t, err)
				require.NoError(t, v.Verify(r.header, r.body, time.Unix(ts+1, 0)), "%s attempt %d", name, i+1)
			}
		}
		// The first attempt's headers, replayed at the retry's time plus the
		// tolerance, are refused as too old.
		headers := map[string]string{}
		for k := range first.header {
			headers[k] = first.header.Get(k)
		}
		cases = append(cases, swCase{Op: "verify", Secret: oldSecret, Headers: headers, Body: first.body, Now: float64(t1 + 301)})
		names = append(names, name+" replayed late")
	}
	results := runStandardWebhooks(t, cases)
	for i, r := range results {
		want := !strings.HasSuffix(names[i], "replayed late")
		require.Equal(t, want, r.OK, "%s: the library says %q", names[i], r.Error)
	}
}

// A difference between the library and Outhook that the package doc
// explains: each names a phrase the doc must hold.
const (
	diffV1a        = "knows v1 only"
	diffSecretSize = "any length"
	diffPadding    = "without its padding"
	diffTimestamp  = "reads the leading digits"
	diffFraction   = "whole second"
	diffMaxSigs    = "MaxSignatures"
	diffUTF8       = "not UTF-8"
	diffTwice      = "twice with different values"
)

// Secrets the library loads and Outhook parses, case by case; where both
// take one, both sign the vector alike.
func TestStandardWebhooksSecrets(t *testing.T) {
	requireStandardWebhooks(t)
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5a}, n)) }
	ed, pub := signature.NewKeyPair()
	tests := []struct {
		text          string
		node, outhook bool
		diff          string
	}{
		{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true, true, ""},
		{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true, true, ""},
		{"whsec_" + b64(24), true, true, ""},
		{"whsec_" + b64(32), true, true, ""},
		{b64(64), true, true, ""},
		{"whsec_" + b64(64), true, true, ""},
		{"whsec_" + b64(23), true, false, diffSecretSize},
		{"whsec_" + b64(16), true, false, diffSecretSize},
		{"whsec_" + b64(1), true, false, diffSecretSize},
		{"whsec_" + b64(65), true, false, diffSecretSize},
		{b64(100), true, false, diffSecretSize},
		{"whsec_" + strings.TrimRight(b64(32), "="), true, false, diffPadding},
		{strings.TrimRight(b64(32), "="), true, false, diffPadding},
		{"whsec_" + strings.TrimRight(b64(25), "="), true, false, diffPadding},
		{"", false, false, ""},
		{"whsec_", false, false, ""},
		{"whsec_" + b64(32)[:20] + "\n" + b64(32)[20:], false, false, ""},
		{"whsec_ " + b64(32), false, false, ""},
		{"whsec_" + b64(32) + " ", false, false, ""},
		{"whsec_!!!!" + b64(32)[4:], false, false, ""},
		{"whsec_" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 33)), false, false, ""},
		{"whsec_whsec_" + b64(32), false, false, ""},
		{ed, false, true, diffV1a},
		{pub, false, true, diffV1a},
	}
	at := time.Unix(1614265330, 0)
	body := []byte(`{"test": 2432232314}`)
	var cases []swCase
	for _, tc := range tests {
		cases = append(cases, swCase{Op: "sign", Secret: tc.text, ID: "msg_p5jXN8AQM9LWM0D4loKWxJek", Timestamp: at.Unix(), Body: body})
	}
	results := runStandardWebhooks(t, cases)
	doc := packageDoc(t)
	for i, tc := range tests {
		sec, err := signature.ParseSecret(tc.text)
		name := fmt.Sprintf("%q", tc.text)
		require.Equal(t, tc.node, results[i].OK, "%s: the library says %q", name, results[i].Error)
		require.Equal(t, tc.outhook, err == nil, "%s: Outhook says %v", name, err)
		if err != nil {
			require.ErrorIs(t, err, signature.ErrInvalidSecret, name)
		}
		if tc.node != tc.outhook {
			require.Contains(t, doc, tc.diff, "%s: the package doc explains the difference", name)
		}
		if tc.node && tc.outhook {
			signer, err := signature.NewSigner(sec)
			require.NoError(t, err)
			require.Equal(t, results[i].Signature, signer.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", at, body), "%s: both sign alike", name)
		}
	}
}

// packageDoc returns the text of doc.go.
func packageDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	return string(b)
}

// The library and a Verifier decide alike, case by case, on what the
// library signs and on what a receiver may be sent: bad secrets, bodies and
// headers, the edges of the tolerance, lists of signatures, timestamps
// written otherwise. Where they differ, the package doc says why.
func TestStandardWebhooksDecisions(t *testing.T) {
	requireStandardWebhooks(t)
	secret, other := hmacText(32, 0x7a), hmacText(32, 0x7b)
	const id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
	const ts = int64(1_773_134_100)
	tsText := strconv.FormatInt(ts, 10)
	body := []byte(`{"type":"contact.created","data":{"id":"1f81eb52"}}`)
	unicode := []byte("{\"n\":\"h\u00e9llo \U0001F389 \u2028\"}")
	notUTF8 := []byte("{\"n\":\"\xff\xc3(\"}")

	// What the library signs, with both secrets, for each body.
	bodies := [][]byte{body, nil, unicode, notUTF8}
	var signs []swCase
	for _, s := range []string{secret, other} {
		for _, b := range bodies {
			signs = append(signs, swCase{Op: "sign", Secret: s, ID: id, Timestamp: ts, Body: b})
		}
	}
	signed := runStandardWebhooks(t, signs)
	sig := func(s string, b []byte) string {
		for i, c := range signs {
			if c.Secret == s && bytes.Equal(c.Body, b) {
				require.True(t, signed[i].OK, signed[i].Error)
				return signed[i].Signature
			}
		}
		t.Fatalf("nothing signed for %q", b)
		return ""
	}
	good := sig(secret, body)
	goodB64 := strings.TrimPrefix(good, "v1,")
	wrong := sig(other, body)
	// The same bytes in base64 whose padding bits differ: the low two bits
	// of the last character are not part of the 32 bytes.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	last := strings.IndexByte(alphabet, goodB64[len(goodB64)-2])
	twin := goodB64[:len(goodB64)-2] + string(alphabet[last^1]) + "="
	dec, err := base64.StdEncoding.DecodeString(twin)
	require.NoError(t, err)
	raw, err := base64.StdEncoding.DecodeString(goodB64)
	require.NoError(t, err)
	require.Equal(t, raw, dec, "the twin decodes to the same bytes")
	many := func(n int) string {
		entries := make([]string, n)
		for i := range entries {
			entries[i] = wrong
		}
		entries[n-1] = good
		return strings.Join(entries, " ")
	}
	std := func(sig string) map[string]string {
		return map[string]string{"webhook-id": id, "webhook-timestamp": tsText, "webhook-signature": sig}
	}
	with := func(name, value string) map[string]string {
		h := std(good)
		if value == "" {
			delete(h, name)
		} else {
			h[name] = value
		}
		return h
	}
	now := float64(ts)
	tests := []struct {
		name          string
		headers       map[string]string
		body          []byte
		secret        string // the receiver's; secret when empty
		now           float64
		node, outhook bool
		diff          string
	}{
		{"genuine", std(good), body, "", now, true, true, ""},
		{"bare secret", std(good), body, strings.TrimPrefix(secret, "whsec_"), now, true, true, ""},
		{"wrong secret", std(good), body, other, now, false, false, ""},
		{"signed with the other secret", std(wrong), body, "", now, false, false, ""},
		{"tampered body", std(good), append(bytes.Clone(body), ' '), "", now, false, false, ""},
		{"body cut", std(good), body[:len(body)-1], "", now, false, false, ""},
		{"empty body", std(sig(secret, nil)), nil, "", now, true, true, ""},
		{"empty body, sent one", std(sig(secret, nil)), body, "", now, false, false, ""},
		{"unicode body", std(sig(secret, unicode)), unicode, "", now, true, true, ""},
		// The library signs the text it decodes, U+FFFD for each bad byte.
		{"body not UTF-8", std(sig(secret, notUTF8)), notUTF8, "", now, true, false, diffUTF8},

		{"5 min old", std(good), body, "", now + 300, true, true, ""},
		{"5 min 1 s old", std(good), body, "", now + 301, false, false, ""},
		{"5 min ahead", std(good), body, "", now - 300, true, true, ""},
		{"5 min 1 s ahead", std(good), body, "", now - 301, false, false, ""},
		{"4 min 59.5 s ahead", std(good), body, "", now - 299.5, true, true, ""},
		{"5 min 0.5 s ahead", std(good), body, "", now - 300.5, false, false, ""},
		// The library floors its clock to a second: 300.5 s is 300 s there.
		{"5 min 0.5 s old", std(good), body, "", now + 300.5, true, false, diffFraction},
		{"a day old", std(good), body, "", now + 86400, false, false, ""},

		{"no webhook-id", with("webhook-id", ""), body, "", now, false, false, ""},
		{"no webhook-timestamp", with("webhook-timestamp", ""), body, "", now, false, false, ""},
		{"no webhook-signature", with("webhook-signature", ""), body, "", now, false, false, ""},
		{"another webhook-id", with("webhook-id", id+"x"), body, "", now, false, false, ""},
		{"svix- names", map[string]string{"svix-id": id, "svix-timestamp": tsText, "svix-signature": good}, body, "", now, false, false, ""},
		{"names in capitals", map[string]string{"WEBHOOK-ID": id, "Webhook-Timestamp": tsText, "webhook-Signature": good}, body, "", now, true, true, ""},
		// The library lowercases the names into one object, so the last
		// spelling given wins there (the keys go in sorted, capitals first).
		{"the id in two spellings", map[string]string{"WEBHOOK-ID": id, "webhook-id": id, "webhook-timestamp": tsText, "webhook-signature": good}, body, "", now, true, true, ""},
		{"another id in capitals, the signed one last", map[string]string{"WEBHOOK-ID": id + "x", "webhook-id": id, "webhook-timestamp": tsText, "webhook-signature": good}, body, "", now, true, false, diffTwice},
		{"another id in lowercase, the signed one first", map[string]string{"WEBHOOK-ID": id, "webhook-id": id + "x", "webhook-timestamp": tsText, "webhook-signature": good}, body, "", now, false, false, ""},
		{"a day old, a fresh timestamp beside", map[string]string{"webhook-id": id, "WEBHOOK-TIMESTAMP": tsText, "webhook-timestamp": strconv.FormatInt(ts+86400, 10), "webhook-signature": good}, body, "", now + 86400, false, false, ""},
		{"a day old, a fresh timestamp first", map[string]string{"webhook-id": id, "WEBHOOK-TIMESTAMP": strconv.FormatInt(ts+86400, 10), "webhook-timestamp": tsText, "webhook-signature": good}, body, "", now + 86400, false, false, ""},

		{"several, one right", std("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2," + goodB64 + " " + good + " " + wrong), body, "", now, true, true, ""},
		{"v1a beside", std("v1a," + goodB64 + goodB64 + " " + good), body, "", now, true, true, ""},
		{"v1a only", std("v1a," + goodB64), body, "", now, false, false, ""},
		{"unknown version", std("v2," + goodB64), body, "", now, false, false, ""},
		{"V1", std("V1," + goodB64), body, "", now, false, false, ""},
		{"no version", std(goodB64), body, "", now, false, false, ""},
		{"space after the comma", std("v1, " + goodB64), body, "", now, false, false, ""},
		{"version and signature apart", std("v1 " + goodB64), body, "", now, false, false, ""},
		{"spaces around", std("  " + good + "  "), body, "", now, true, true, ""},
		{"empty entries", std(wrong + "   " + good), body, "", now, true, true, ""},
		{"text after a second comma", std(good + ",v1,x"), body, "", now, true, true, ""},
		{"a trailing comma", std(good + ","), body, "", now, true, true, ""},
		{"a leading comma", std("," + good), body, "", now, false, false, ""},
		{"tab separated", std(wrong + "\t" + good), body, "", now, false, false, ""},
		{"comma separated", std(wrong + "," + good), body, "", now, false, false, ""},
		{"unpadded", std(strings.TrimRight(good, "=")), body, "", now, false, false, ""},
		{"padding bits", std("v1," + twin), body, "", now, false, false, ""},
		// The same text when the signature holds neither '+' nor '/'.
		{"URL alphabet", std(strings.NewReplacer("+", "-", "/", "_").Replace(good)), body, "", now, !strings.ContainsAny(goodB64, "+/"), !strings.ContainsAny(goodB64, "+/"), ""},
		{"cut", std(good[:len(good)-4]), body, "", now, false, false, ""},
		{"empty signature", std("v1,"), body, "", now, false, false, ""},
		{"32 entries, the last right", std(many(32)), body, "", now, true, true, ""},
		{"33 entries, the last right", std(many(33)), body, "", now, true, false, diffMaxSigs},

		{"timestamp with leading zeros", with("webhook-timestamp", "000"+tsText), body, "", now, true, true, ""},
		{"timestamp with +", with("webhook-timestamp", "+"+tsText), body, "", now, true, true, ""},
		{"timestamp negative", with("webhook-timestamp", "-"+tsText), body, "", now, false, false, ""},
		{"timestamp 0", with("webhook-timestamp", "0"), body, "", now, false, false, ""},
		{"timestamp in exponent form", with("webhook-timestamp", "1.773134100e9"), body, "", now, false, false, ""},
		{"timestamp in hex", with("webhook-timestamp", "0x"+strconv.FormatInt(ts, 16)), body, "", now, false, false, ""},
		{"timestamp in milliseconds", with("webhook-timestamp", tsText+"000"), body, "", now, false, false, ""},
		{"timestamp not a number", with("webhook-timestamp", "hello"), body, "", now, false, false, ""},
		{"timestamp huge", with("webhook-timestamp", "99999999999999999999"), body, "", now, false, false, ""},
		// parseInt reads what digits come first and drops the rest.
		{"timestamp with a fraction", with("webhook-timestamp", tsText+".5"), body, "", now, true, false, diffTimestamp},
		{"timestamp with text after", with("webhook-timestamp", tsText+"abc"), body, "", now, true, false, diffTimestamp},
		{"timestamp after a space", with("webhook-timestamp", " "+tsText), body, "", now, true, false, diffTimestamp},
		{"timestamp with _", with("webhook-timestamp", tsText[:4]+"_"+tsText[4:]), body, "", now - 1e6, false, false, ""},
	}
	cases := make([]swCase, len(tests))
	for i, tc := range tests {
		s := tc.secret
		if s == "" {
			s = secret
		}
		cases[i] = swCase{Op: "verify", Secret: s, Headers: tc.headers, Body: tc.body, Now: tc.now}
	}
	results := runStandardWebhooks(t, cases)
	doc := packageDoc(t)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.secret
			if s == "" {
				s = secret
			}
			v, err := signature.ParseVerifier(0, s)
			require.NoError(t, err)
			h := http.Header{}
			for k, val := range tc.headers {
				h[k] = []string{val} // as given: a receiver's map need not be canonical
			}
			sec := int64(tc.now)
			at := time.Unix(sec, int64((tc.now-float64(sec))*1e9))
			err = v.Verify(h, tc.body, at)
			require.Equal(t, tc.node, results[i].OK, "the library says %q", results[i].Error)
			require.Equal(t, tc.outhook, err == nil, "Outhook says %v", err)
			if tc.node != tc.outhook {
				require.Contains(t, doc, tc.diff, "the package doc explains the difference")
			}
		})
	}
}
