package operational_test

import (
	"context"
	"fmt"

	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/webhook"
)

func ExampleKind() {
	d, err := webhook.New(webhook.WithEventKind(operational.Kind()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close(context.Background())

	// The Dispatcher serves the operational triggers beside the
	// access-request ones (WithOperationalEvents with Publish does this
	// too), each with the schema and mock event that "View payload
	// schema" and Test use.
	for _, et := range d.Tenant("acme").EventTypes() {
		if operational.Is(et.Trigger) {
			fmt.Println(et.Trigger, len(et.Schema.Fields()), "fields, mock", et.Mock.Type())
		}
	}
	// Output:
	// TenantLimitReached 27 fields, mock TenantLimitReached
	// WebhookDeadLettered 27 fields, mock WebhookDeadLettered
	// WebhookDisabled 27 fields, mock WebhookDisabled
	// WebhookFailing 27 fields, mock WebhookFailing
	// WebhookRecovered 27 fields, mock WebhookRecovered
	// WebhookStillFailing 27 fields, mock WebhookStillFailing
}
