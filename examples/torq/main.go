// Command torq sends one Test delivery, the built-in RequestCreated event,
// to a real Torq webhook, and prints the invocation: Apono's "Test" button.
//
//	TORQ_WEBHOOK_URL=https://hooks.torq.io/v1/webhooks/<id> TORQ_TOKEN=<secret> go run ./examples/torq
//
// TORQ_AUTH_HEADER names the header the token goes in when the Torq
// integration expects another than Authorization: Bearer, such as
// X-Torq-Token. Without TORQ_WEBHOOK_URL and TORQ_TOKEN it explains itself
// and exits 0. It exits 1 when the delivery fails.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/torq"
	"github.com/outhook/outhook/webhook"
)

const usage = `examples/torq sends one Test delivery to a real Torq webhook.

Create a webhook integration in Torq (Integrations > Triggers > Webhook), note its
URL and the authentication header you configured, then run:

  TORQ_WEBHOOK_URL=https://hooks.torq.io/v1/webhooks/<id> \
  TORQ_TOKEN=<secret> \
  go run ./examples/torq

Set TORQ_AUTH_HEADER=X-Torq-Token if the integration reads the secret from that
header rather than from Authorization: Bearer <secret>.

TORQ_WEBHOOK_URL and TORQ_TOKEN are not both set, so nothing was sent.
`

func main() {
	url, token := os.Getenv("TORQ_WEBHOOK_URL"), os.Getenv("TORQ_TOKEN")
	if url == "" || token == "" {
		fmt.Print(usage)
		return
	}
	ok, err := run(context.Background(), os.Stdout, url, token, os.Getenv("TORQ_AUTH_HEADER"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

// run sends the Test delivery and prints the invocation. It reports
// whether the event was delivered.
func run(ctx context.Context, out io.Writer, url, token, header string) (bool, error) {
	var opts []torq.Option
	if header != "" {
		opts = append(opts, torq.WithAuthHeader(header))
	}
	w, err := torq.New(url, token, opts...)
	if err != nil {
		return false, err
	}
	d, err := webhook.New()
	if err != nil {
		return false, err
	}
	defer d.Close(ctx)

	ctx, cancel := context.WithTimeout(ctx, w.Timeout()+5*time.Second)
	defer cancel()
	inv, err := d.Test(ctx, w, accessrequest.Created)
	if err != nil {
		return false, err
	}
	record, err := json.MarshalIndent(inv, "", "  ")
	if err != nil {
		return false, err
	}
	fmt.Fprintf(out, "%s\n\n%s in %s", record, inv.Outcome, inv.Duration.Round(time.Millisecond))
	if inv.Reason != "" {
		fmt.Fprintf(out, ": %s", inv.Reason)
	}
	fmt.Fprintln(out)
	return inv.Succeeded(), nil
}
