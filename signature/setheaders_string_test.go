package signature_test

import (
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/outhook/outhook/signature"
)

// SetHeadersString writes what SetHeaders writes for the same bytes, with
// v1 and v1a secrets, and a receiver verifies it.
func TestSetHeadersStringMatchesSetHeaders(t *testing.T) {
	hmacText := signature.NewSecret()
	privText, pubText := signature.NewKeyPair()
	secrets, err := signature.ParseSecrets(hmacText, privText)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signature.NewSigner(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := signature.ParseVerifier(time.Minute, hmacText, pubText)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1795435200, 0)
	for _, body := range []string{"", `{"a":1}`, strings.Repeat("é", 5000)} {
		want, got := http.Header{}, http.Header{"Webhook-Signature": {"stale"}}
		signer.SetHeaders(want, "msg_1", at, []byte(body))
		signer.SetHeadersString(got, "msg_1", at, body)
		for _, name := range []string{signature.HeaderID, signature.HeaderTimestamp, signature.HeaderSignature} {
			if len(got[name]) != 1 || got.Get(name) != want.Get(name) {
				t.Errorf("body of %d bytes: %s = %q, SetHeaders wrote %q", len(body), name, got[name], want[name])
			}
		}
		if err := verifier.Verify(got, []byte(body), at); err != nil {
			t.Errorf("body of %d bytes: %v", len(body), err)
		}
	}
}

// Signing a large body held as a string does not copy it.
func TestSetHeadersStringDoesNotCopyTheBody(t *testing.T) {
	secrets, err := signature.ParseSecrets(signature.NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signature.NewSigner(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("x", 1<<20)
	at := time.Unix(1795435200, 0)
	h := http.Header{}
	signer.SetHeadersString(h, "msg_1", at, body) // warm the secret's pooled hash
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const runs = 20
	for range runs {
		signer.SetHeadersString(h, "msg_1", at, body)
	}
	runtime.ReadMemStats(&after)
	if perCall := (after.TotalAlloc - before.TotalAlloc) / runs; perCall > 4<<10 {
		t.Errorf("SetHeadersString allocates %d bytes per call for a 1 MiB body: it copies the body", perCall)
	}
}

// With several secrets, the v1 signature SetHeadersString writes for the
// Standard Webhooks test vector is the published one, in its place in the
// list, and the body string is left as it was.
func TestSetHeadersStringSignsTheStandardVector(t *testing.T) {
	privText, _ := signature.NewKeyPair()
	secrets, err := signature.ParseSecrets(privText, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", signature.NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signature.NewSigner(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Clone(`{"test": 2432232314}`)
	h := http.Header{}
	signer.SetHeadersString(h, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), body)
	sigs := strings.Split(h.Get(signature.HeaderSignature), " ")
	if len(sigs) != 3 || !strings.HasPrefix(sigs[0], "v1a,") || sigs[1] != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" || !strings.HasPrefix(sigs[2], "v1,") {
		t.Errorf("webhook-signature %q: want v1a, the vector's v1, another v1", sigs)
	}
	if h.Get(signature.HeaderTimestamp) != "1614265330" || h.Get(signature.HeaderID) != "msg_p5jXN8AQM9LWM0D4loKWxJek" {
		t.Errorf("headers %v", h)
	}
	if body != `{"test": 2432232314}` {
		t.Errorf("body became %q", body)
	}
}

// SetHeaders replaces the three headers under any spelling of their names:
// a map holding a lowercase one would otherwise send both, and a receiver
// would get two ids (the JavaScript reference joins them into one that
// matches nothing) or a stale signature beside the new one.
func TestSetHeadersReplacesEverySpelling(t *testing.T) {
	secrets, err := signature.ParseSecrets(signature.NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signature.NewSigner(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1795435200, 0)
	lookalike := "webhook-idx" // not one of the three: kept as it is
	for _, set := range []func(h http.Header){
		func(h http.Header) { signer.SetHeaders(h, "msg_1", at, []byte("{}")) },
		func(h http.Header) { signer.SetHeadersString(h, "msg_1", at, "{}") },
	} {
		h := http.Header{
			"webhook-id": {"stale"}, "WEBHOOK-TIMESTAMP": {"1"}, "webhook-Signature": {"v1,stale"},
			"X-Other": {"kept"}, lookalike: {"kept"},
		}
		set(h)
		if len(h) != 5 || h.Get("X-Other") != "kept" || h[lookalike][0] != "kept" {
			t.Errorf("headers %v: want the three canonical names and the two others", h)
		}
		for _, name := range []string{signature.HeaderID, signature.HeaderTimestamp, signature.HeaderSignature} {
			if len(h[name]) != 1 {
				t.Errorf("%s = %q", name, h[name])
			}
		}
	}
}
