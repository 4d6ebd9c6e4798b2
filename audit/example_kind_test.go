package audit_test

import (
	"context"
	"fmt"

	"github.com/outhook/outhook/audit"
	"github.com/outhook/outhook/webhook"
)

func ExampleKind() {
	d, err := webhook.New(webhook.WithEventKind(audit.Kind()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close(context.Background())

	// A webhook on the audit trigger is checked against the audit schema.
	err = d.Tenant("acme").Validate(webhook.Webhook{
		Name: "audit-to-siem", URL: "https://siem.example/ingest", Triggers: audit.Triggers(),
		BodyTemplate: `{"who": "{{data.actor_nam}}", "what": {{data.current_target_object}}}`,
	})
	fmt.Println(err)
	// Output:
	// webhook "audit-to-siem": body_template:1:12: invalid body template: unknown field data.actor_nam; did you mean data.actor_name?
}
