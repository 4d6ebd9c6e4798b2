// Command pipeline runs Outhook on an event type of a service's own, not
// Apono's: a billing service that tells its finance system about large
// paid invoices.
//
//	go run ./examples/pipeline
//
// It shows the four pieces such a service brings: the event type, declared
// to the Dispatcher with webhook.WithEventType; its schema, built with
// event.NewSchema, against which templates and filters are checked when a
// webhook is added; a filter of its own; and a template helper of its own,
// money, given to the Dispatcher with webhook.WithTemplateOptions so that
// every body template it parses may call it: here the one of a finance
// chat.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/template"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// InvoicePaid is the service's event type.
const InvoicePaid event.Trigger = "invoice.paid"

// Invoice is the data of an invoice.paid event.
// Its fields are described by invoiceSchema.
type Invoice struct {
	ID          string   `json:"id"`           // invoice number
	Customer    Customer `json:"customer"`     // who paid
	AmountCents int64    `json:"amount_cents"` // amount paid, in cents
	Currency    string   `json:"currency"`     // ISO 4217 code
	Lines       []Line   `json:"lines"`        // what was sold
}

// Customer is who paid an invoice.
type Customer struct {
	Name string `json:"name"` // the customer's name
	Tier string `json:"tier"` // free, team or enterprise
}

// Line is one line of an invoice.
type Line struct {
	SKU      string `json:"sku"`      // product code
	Quantity int    `json:"quantity"` // how many
}

// invoiceSchema describes invoice.paid events, field by field.
func invoiceSchema() (*event.Schema, error) {
	return event.NewSchema(
		event.SchemaField{Path: "event_type", Type: "string", Description: "Always invoice.paid."},
		event.SchemaField{Path: "event_time", Type: "number", Description: "When the payment cleared, in epoch seconds."},
		event.SchemaField{Path: "event_id", Type: "string", Description: "Unique id of the event."},
		event.SchemaField{Path: "data", Type: "object", Description: "The invoice."},
		event.SchemaField{Path: "data.id", Type: "string", Description: "Invoice number, such as INV-2026-0042."},
		event.SchemaField{Path: "data.customer", Type: "object", Description: "Who paid."},
		event.SchemaField{Path: "data.customer.name", Type: "string", Description: "The customer's name."},
		event.SchemaField{Path: "data.customer.tier", Type: "string", Description: "free, team or enterprise."},
		event.SchemaField{Path: "data.amount_cents", Type: "number", Description: "The amount paid, in cents."},
		event.SchemaField{Path: "data.currency", Type: "string", Description: "ISO 4217 code, such as EUR."},
		event.SchemaField{Path: "data.lines", Type: "array", Description: "What was sold."},
		event.SchemaField{Path: "data.lines[]", Type: "object", Description: "One line."},
		event.SchemaField{Path: "data.lines[].sku", Type: "string", Description: "Product code."},
		event.SchemaField{Path: "data.lines[].quantity", Type: "number", Description: "How many."},
	)
}

// largeEnterprise is the service's own filter: paid invoices of enterprise
// customers from 10,000.00 up.
var largeEnterprise = filter.Must(filter.New(filter.All(
	filter.Eq("data.customer.tier", "enterprise"),
	filter.Gte("data.amount_cents", 1_000_000),
)))

// financeBody is the body the finance system receives, with built-in
// helpers only.
const financeBody = `{
  "invoice": "{{data.id}}",
  "customer": "{{data.customer.name}}",
  "amount_cents": {{data.amount_cents}},
  "currency": "{{upper data.currency}}",
  "paid_at": "{{time event_time}}",
  "skus": [{{#each data.lines}}"{{sku}}"{{#unless @last}}, {{/unless}}{{/each}}]
}`

// chatBody uses the service's own helper, money.
const chatBody = `{"text": "{{data.customer.name}} paid {{money data.amount_cents data.currency}} ({{data.id}})"}`

// money formats an amount in cents with its currency: 1234550 and "eur"
// give "12,345.50 EUR", -5 and "eur" "-0.05 EUR".
func money(args []any) (any, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("money takes an amount in cents and a currency, not %d arguments", len(args))
	}
	n, ok := args[0].(json.Number)
	if !ok {
		return nil, fmt.Errorf("money: the amount is %T, not a number", args[0])
	}
	cents, err := n.Int64()
	if err != nil {
		return nil, fmt.Errorf("money: %w", err)
	}
	currency, _ := args[1].(string)
	// The digits of the magnitude, so that a refund (a negative amount)
	// keeps its sign in front; uint64 holds even the smallest int64's.
	sign, magnitude := "", uint64(cents)
	if cents < 0 {
		sign, magnitude = "-", -uint64(cents)
	}
	units := strconv.FormatUint(magnitude/100, 10)
	for i := len(units) - 3; i > 0; i -= 3 {
		units = units[:i] + "," + units[i:]
	}
	return fmt.Sprintf("%s%s.%02d %s", sign, units, magnitude%100, strings.ToUpper(currency)), nil
}

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	schema, err := invoiceSchema()
	if err != nil {
		return err
	}

	finance := webhooktest.NewReceiver() // stands in for the finance system and its chat
	defer finance.Close()
	invocations := make(chan webhook.Invocation, 16)
	d, err := webhook.New(
		webhook.WithEventType(InvoicePaid, schema),
		webhook.WithTemplateOptions(template.WithHelpers(map[string]template.Helper{"money": money})),
		webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}),
		webhook.WithRecordFiltered(true),
		webhook.WithInvocationHook(func(inv webhook.Invocation) { invocations <- inv }),
	)
	if err != nil {
		return err
	}
	defer d.Close(ctx)

	// The schema catches a misspelt field when the webhook is added.
	_, err = d.Add(webhook.Webhook{
		Name: "typo", URL: finance.URL, Triggers: []event.Trigger{InvoicePaid},
		BodyTemplate: `{"amount": {{data.amount_cent}}}`,
	})
	fmt.Fprintf(out, "A misspelt field is refused when the webhook is added:\n  %v\n\n", err)

	if _, err := d.Add(webhook.Webhook{
		Name:         "finance-large-invoices",
		Active:       true,
		URL:          finance.URL + "/hooks/invoices",
		BodyTemplate: financeBody,
		Triggers:     []event.Trigger{InvoicePaid},
		Filters:      largeEnterprise,
	}); err != nil {
		return err
	}
	// The chat hears of every paid invoice, through the service's helper.
	if _, err := d.Add(webhook.Webhook{
		Name:         "finance-chat",
		Active:       true,
		URL:          finance.URL + "/hooks/chat",
		BodyTemplate: chatBody,
		Triggers:     []event.Trigger{InvoicePaid},
	}); err != nil {
		return err
	}

	paidAt, err := event.ParseTimestamp("1795420800.250000000")
	if err != nil {
		return err
	}
	var events []*event.Event
	for i, inv := range []Invoice{
		{ID: "INV-2026-0042", Customer: Customer{Name: "Northwind Traders", Tier: "enterprise"}, AmountCents: 1_234_550, Currency: "eur",
			Lines: []Line{{SKU: "SEATS-ENT", Quantity: 120}, {SKU: "SUPPORT-24x7", Quantity: 1}}},
		{ID: "INV-2026-0043", Customer: Customer{Name: "Contoso \"Labs\"", Tier: "team"}, AmountCents: 490_000, Currency: "usd",
			Lines: []Line{{SKU: "SEATS-TEAM", Quantity: 20}}},
	} {
		e, err := event.New(InvoicePaid, inv, event.WithTime(paidAt), event.WithID(fmt.Sprintf("evt-%d", i+1)))
		if err != nil {
			return err
		}
		events = append(events, e)
		if _, err := d.Publish(ctx, e); err != nil {
			return err
		}
	}

	// One invocation per event and webhook: delivered or filtered.
	results := make([]webhook.Invocation, 0, 2*len(events))
	for range 2 * len(events) {
		select {
		case inv := <-invocations:
			results = append(results, inv)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	slices.SortFunc(results, func(a, b webhook.Invocation) int {
		return cmp.Or(strings.Compare(a.EventID, b.EventID), strings.Compare(a.WebhookName, b.WebhookName))
	})
	for _, inv := range results {
		fmt.Fprintf(out, "%s %s: %s", inv.EventID, inv.WebhookName, inv.Outcome)
		if inv.Reason != "" {
			fmt.Fprintf(out, " (%s)", inv.Reason)
		}
		fmt.Fprintln(out)
	}
	var system, chat []string
	for _, r := range finance.Requests() {
		if r.Path == "/hooks/invoices" {
			system = append(system, r.Body)
		} else {
			chat = append(chat, r.Body)
		}
	}
	slices.Sort(chat)
	fmt.Fprintf(out, "\nThe finance system received %d request:\n%s\n", len(system), strings.Join(system, "\n"))
	fmt.Fprintf(out, "\nThe chat received, through the service's own helper, money:\n  %s\n", strings.Join(chat, "\n  "))
	return nil
}
