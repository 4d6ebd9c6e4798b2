package integration_test

import (
	"context"
	"fmt"

	"github.com/outhook/outhook/integration"
	"github.com/outhook/outhook/webhook"
)

func ExampleKind() {
	d, err := webhook.New(webhook.WithEventKind(integration.Kind()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close(context.Background())

	// The Dispatcher serves the integration triggers beside the
	// access-request ones, each with the schema and mock event that
	// "View payload schema" and Test use.
	for _, et := range d.Tenant("acme").EventTypes() {
		if integration.Is(et.Trigger) {
			fmt.Println(et.Trigger, len(et.Schema.Fields()), "fields, mock", et.Mock.Type())
		}
	}
	// Output:
	// IntegrationActive 12 fields, mock IntegrationActive
	// IntegrationError 12 fields, mock IntegrationError
	// IntegrationWarning 12 fields, mock IntegrationWarning
}
