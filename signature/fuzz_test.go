package signature_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/outhook/outhook/signature"
)

// Any header values either verify or fail with one of Verify's sentinels,
// without panicking; the genuine signature keeps verifying whatever junk is
// sent beside it.
func FuzzVerify(f *testing.F) {
	sec, err := signature.ParseSecret(hmacA)
	if err != nil {
		f.Fatal(err)
	}
	ed, err := signature.ParseSecret(edSeedT)
	if err != nil {
		f.Fatal(err)
	}
	signer, err := signature.NewSigner(sec, ed)
	if err != nil {
		f.Fatal(err)
	}
	verifier, err := signature.NewVerifier(0, sec, ed.Public())
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(1_773_134_100, 0)
	good := signer.Sign("msg_1", now, []byte("{}"))
	for _, seed := range []struct{ id, ts, sig, body string }{
		{"msg_1", "1773134100", good, "{}"},
		{"msg_1", "1773134100", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "{}"},
		{"msg_1", "1773134100", "v1a,AAAA v1,==== ,, v9,x", "{}"},
		{"", "", "", ""},
		{"a.b", "0001773134100", "v1,", "x"},
		{"msg_1", "-1", "v1a," + good, "{}"},
	} {
		f.Add(seed.id, seed.ts, seed.sig, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}}
		err := verifier.Verify(h, body, now)
		if err != nil && !errors.Is(err, signature.ErrInvalidHeader) &&
			!errors.Is(err, signature.ErrTimestampOutOfRange) && !errors.Is(err, signature.ErrInvalidSignature) {
			t.Fatalf("Verify returned an error of no known kind: %v", err)
		}
		h = http.Header{"Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {"1773134100"}, "Webhook-Signature": {sig, good}}
		if err := verifier.Verify(h, []byte("{}"), now); err != nil && !errors.Is(err, signature.ErrInvalidSignature) {
			t.Fatalf("Verify with the genuine signature beside %q: %v", sig, err)
		}
	})
}
