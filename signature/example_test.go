package signature_test

import (
	"errors"
	"fmt"
	"net/http"
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
