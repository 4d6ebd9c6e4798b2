package redact_test

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/outhook/outhook/internal/redact"
)

// A Redactor built when a webhook is registered hides its secrets in what
// an invocation records.
func Example() {
	u, _ := url.Parse("https://hooks.example/v1/webhooks/42?token=t0k3n-xyz")
	h := http.Header{"Authorization": {"Bearer abc.def.ghi"}, "Content-Type": {"application/json"}}
	r := redact.New(redact.WithSecretsFrom(u, h))

	fmt.Println(r.URL(u))
	fmt.Println(r.Header(h))
	fmt.Println(r.String(`Post "https://hooks.example/v1/webhooks/42?token=t0k3n-xyz": 401 for abc.def.ghi`))
	// Output:
	// https://hooks.example/v1/webhooks/42?token=REDACTED
	// map[Authorization:[REDACTED] Content-Type:[application/json]]
	// Post "https://hooks.example/v1/webhooks/42?token=REDACTED": 401 for REDACTED
}
