package signature_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/outhook/outhook/signature"
)

// A sender signs each attempt; a receiver verifies it within a tolerance.
func Example() {
	secret, err := signature.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		fmt.Println(err)
		return
	}
	signer, err := signature.NewSigner(secret)
	if err != nil {
		fmt.Println(err)
		return
	}
	body := []byte(`{"test": 2432232314}`)
	sent := time.Unix(1614265330, 0)
	h := http.Header{}
	signer.SetHeaders(h, "msg_p5jXN8AQM9LWM0D4loKWxJek", sent, body)
	fmt.Println(h.Get("webhook-signature"))

	verifier, err := signature.NewVerifier(5*time.Minute, secret)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(verifier.Verify(h, body, sent.Add(time.Minute)))
	err = verifier.Verify(h, body, sent.Add(time.Hour))
	fmt.Println(errors.Is(err, signature.ErrTimestampOutOfRange))
	fmt.Println(secret)
	// Output:
	// v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
	// <nil>
	// true
	// whsec_REDACTED
}

// A receiver verifies the raw body, before decoding it, against the
// headers of the request, at the time it arrives.
func ExampleParseVerifier() {
	secret := signature.NewSecret() // from the receiver's configuration
	verifier, err := signature.ParseVerifier(0, secret)
	if err != nil {
		fmt.Println(err)
		return
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		msg, err := verifier.VerifyMessage(r.Header, body, time.Now())
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		// Deduplicate on msg.ID, the id verified, then decode body.
		_ = msg.ID
		w.WriteHeader(http.StatusNoContent)
	})

	// What a sender holding the same secret sends, and a forgery.
	sec, _ := signature.ParseSecret(secret)
	signer, _ := signature.NewSigner(sec)
	body := `{"type":"contact.created"}`
	for _, sent := range []string{body, `{"type":"contact.deleted"}`} {
		req := httptest.NewRequest(http.MethodPost, "/hooks", strings.NewReader(sent))
		signer.SetHeaders(req.Header, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", time.Now(), []byte(body))
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Println(rec.Code)
	}
	// Output:
	// 204
	// 401
}
