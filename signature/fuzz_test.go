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
// sent beside it, and an id or timestamp sent beside the signed ones is
// refused unless it is the same.
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
		// An id or timestamp given beside the signed ones, in another
		// spelling: accepted only when it is the same, so that every way
		// of reading the headers finds the id verified.
		h = http.Header{"Webhook-Id": {"msg_1"}, "webhook-id": {id}, "Webhook-Timestamp": {"1773134100"}, "WEBHOOK-TIMESTAMP": {ts}, "Webhook-Signature": {good}}
		if msg, err := verifier.VerifyMessage(h, []byte("{}"), now); err == nil {
			if id != "msg_1" || ts != "1773134100" || msg.ID != "msg_1" || !msg.Timestamp.Equal(now) {
				t.Fatalf("verified id %q at %v with %q and %q beside", msg.ID, msg.Timestamp, id, ts)
			}
		} else if !errors.Is(err, signature.ErrInvalidHeader) {
			t.Fatalf("an id or timestamp beside the signed ones: %v", err)
		}
	})
}
