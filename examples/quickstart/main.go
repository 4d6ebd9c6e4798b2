// Command quickstart runs Outhook end to end on this machine, with no setup
// and no network: it starts a local HTTP receiver standing in for Torq,
// registers three webhooks made with the Torq preset and pointed at it,
// publishes the six built-in access-request events, and prints what
// happened to each delivery.
//
//	go run ./examples/quickstart
//
// Among the deliveries, one is dropped by a webhook's filter (and recorded
// with the reason), and one is refused by the stand-in with 503 and
// Retry-After: 1 at first, then retried a second later and delivered.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/torq"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// The webhooks' Torq URLs. WithBaseURL sends their requests to the
// stand-in instead of hooks.torq.io, after checking them as Torq URLs.
const (
	torqWebhook  = "https://hooks.torq.io/v1/webhooks/quickstart"
	torqToken    = "quickstart-torq-token"
	escalatePath = "/v1/webhooks/quickstart/workflows/escalate/sync"
)

func run(ctx context.Context, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	// A receiver standing in for Torq: it answers {"status":"ok"}, except
	// that the escalation workflow fails its first request.
	ok := webhooktest.Response{Body: `{"status":"ok"}`, Header: http.Header{"Content-Type": {"application/json"}}}
	standIn := webhooktest.NewReceiver(
		webhooktest.Respond(ok),
		webhooktest.Route(escalatePath, webhooktest.Response{Status: http.StatusServiceUnavailable, RetryAfter: time.Second}, ok),
	)
	defer standIn.Close()

	// A Dispatcher that may reach the stand-in: Apono's URL rules and the
	// SSRF guard would refuse a plain-HTTP loopback address, so both are
	// relaxed for it explicitly. Every invocation, filtered ones included,
	// is collected.
	invocations := make(chan webhook.Invocation, 64)
	d, err := webhook.New(
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithRecordFiltered(true),
		webhook.WithInvocationHook(func(inv webhook.Invocation) { invocations <- inv }),
	)
	if err != nil {
		return err
	}
	defer d.Close(ctx)

	// Three webhooks from the Torq preset: every event to the main
	// workflow, granted AWS requests only to another, and failed requests
	// to a synchronous escalation workflow that authenticates with
	// X-Torq-Token. The preset checks the URL and the token; the other
	// fields are set on the definition it returns.
	everything, err := torq.New(torqWebhook, torqToken, torq.WithBaseURL(standIn.URL))
	if err != nil {
		return err
	}
	everything.ResponseValidators = []webhook.ResponseValidator{{JSONPath: "$.data.status", ExpectedValues: []string{"ok"}}}

	awsOnly, err := torq.New(torqWebhook+"/workflows/aws-access", torqToken, torq.WithBaseURL(standIn.URL))
	if err != nil {
		return err
	}
	awsOnly.Name = "torq-aws-only"
	awsOnly.Triggers = []event.Trigger{accessrequest.Granted}
	awsOnly.Filters = filter.Must(filter.New(filter.IntegrationType("AWS")))

	escalate, err := torq.New(torqWebhook+"/workflows/escalate/sync", torqToken,
		torq.WithBaseURL(standIn.URL),
		torq.WithAuthHeader("X-Torq-Token"),
	)
	if err != nil {
		return err
	}
	escalate.Name = "torq-escalate"
	escalate.Triggers = []event.Trigger{accessrequest.Failed}
	escalate.BodyTemplate = "" // the whole event, as its JSON

	hooks := []webhook.Webhook{everything, awsOnly, escalate}
	if _, err := d.AddAll(hooks); err != nil {
		return err
	}

	// One event per trigger: the built-in mock events.
	expected := 0
	for _, e := range accessrequest.Mocks() {
		pub, err := d.Publish(ctx, e)
		if err != nil {
			return err
		}
		expected += len(pub.Deliveries) + pub.Filtered
	}

	// Wait for every delivery to end (retries included) and every filtered
	// event to be recorded.
	var all []webhook.Invocation
	for final := 0; final < expected; {
		select {
		case inv := <-invocations:
			all = append(all, inv)
			if inv.Outcome.Final() {
				final++
			}
		case <-ctx.Done():
			return fmt.Errorf("waiting for deliveries: %w", ctx.Err())
		}
	}

	fmt.Fprintf(out, "Published %d events to %d webhooks; the receiver got %d requests.\n\n", len(accessrequest.Mocks()), len(hooks), len(standIn.Requests()))
	if err := printTable(out, all); err != nil {
		return err
	}
	for _, inv := range all {
		if inv.WebhookName == "torq" && inv.EventType == accessrequest.Created {
			record, err := json.MarshalIndent(inv, "", "  ")
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\nThe invocation record of torq / RequestCreated (the token is redacted):\n\n%s\n", record)
		}
	}
	return nil
}

// printTable prints one line per invocation, in trigger order, then by
// webhook and attempt.
func printTable(out io.Writer, all []webhook.Invocation) error {
	order := accessrequest.Triggers()
	slices.SortStableFunc(all, func(a, b webhook.Invocation) int {
		if c := slices.Index(order, accessrequest.Canonical(a.EventType)) - slices.Index(order, accessrequest.Canonical(b.EventType)); c != 0 {
			return c
		}
		if c := strings.Compare(a.WebhookName, b.WebhookName); c != 0 {
			return c
		}
		return a.Attempt - b.Attempt
	})
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TRIGGER\tWEBHOOK\tOUTCOME\tSTATUS\tATTEMPT\tDURATION\tVALIDATOR\tREASON")
	for _, inv := range all {
		status := "-"
		if inv.Response != nil {
			status = fmt.Sprint(inv.Response.StatusCode)
		}
		validator := "-"
		for _, r := range inv.Validation {
			validator = r.Validator + " " + map[bool]string{true: "passed", false: "failed"}[r.Passed]
		}
		reason := inv.Reason
		if inv.Outcome == webhook.Retrying {
			reason += fmt.Sprintf("; retry in %s", inv.NextAttemptAt.Sub(inv.StartedAt.Add(inv.Duration)).Round(100*time.Millisecond))
		}
		if reason == "" {
			reason = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", inv.EventType, inv.WebhookName, inv.Outcome, status,
			inv.Attempt, inv.Duration.Round(10*time.Microsecond), validator, reason)
	}
	return tw.Flush()
}
