package webhooktest_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/outhook/outhook/webhooktest"
)

func ExampleReceiver() {
	r := webhooktest.NewReceiver(
		webhooktest.Respond(
			webhooktest.Response{Status: http.StatusServiceUnavailable, RetryAfter: 2 * time.Second},
			webhooktest.Response{Status: http.StatusOK, Body: `{"status":"ok"}`},
		),
		webhooktest.Route("/gone", webhooktest.Response{Status: http.StatusGone}),
	)
	defer r.Close()

	client := &http.Client{Timeout: 5 * time.Second}
	for _, path := range []string{"/hook", "/gone", "/hook", "/hook"} {
		resp, err := client.Post(r.URL+path, "application/json", strings.NewReader(`{"n":1}`))
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Printf("%s %d Retry-After=%q\n", path, resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	got, _ := r.Wait(context.Background(), 4)
	fmt.Println(len(got), "requests; the first:", got[0].Method, got[0].Path, got[0].Body)
	// Output:
	// /hook 503 Retry-After="2"
	// /gone 410 Retry-After=""
	// /hook 200 Retry-After=""
	// /hook 200 Retry-After=""
	// 4 requests; the first: POST /hook {"n":1}
}

func ExampleDiff() {
	fmt.Println(webhooktest.Diff([]byte(`{"text":"AR-2187 approved"}`), []byte(`{"text":"AR-2187 granted"}`)))
	// Output:
	// line 1, column 18:
	//   want: {"text":"AR-2187 approved"}⏎EOF
	//    got: {"text":"AR-2187 granted"}⏎EOF
}
