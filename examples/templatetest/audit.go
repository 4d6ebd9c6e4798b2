// Package templatetest shows how a service tests its own webhook templates
// and its integration with package webhooktest. Read audit_test.go: it is
// the example.
//
// The service here sends access-request events to its audit system with
// AuditWebhook. Its tests render the body over every built-in mock event
// (Apono's six triggers, with the values templates most often get wrong)
// and compare each body with a golden file under testdata; a change to the
// template shows up as a diff in review. Rewrite the goldens after an
// intended change with:
//
//	OUTHOOK_UPDATE_GOLDEN=1 go test ./examples/templatetest
//
// Another test delivers through a Dispatcher to a recording receiver that
// verifies the Standard Webhooks signature, with retries that take no time.
package templatetest

import (
	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

// AuditBody is the body the audit system receives: who asked for what,
// why, and who decided.
const AuditBody = `{
  "kind": "access_request.{{lower event_type}}",
  "at": "{{time event_time 'RFC3339Nano'}}",
  "request": "{{data.friendly_id}}",
  "actor": {"id": "{{data.requester.id}}", "email": "{{data.requester.email}}"},
  "subject": {"id": "{{data.grantee.id}}", "type": "{{data.grantee.type}}"},
  "reason": "{{data.justification}}",
  "expires_at": {{#if data.revocation_date}}"{{time data.revocation_date}}"{{else}}null{{/if}},
  "decisions": [{{#each data.approvals}}{"by": "{{approver.email}}", "status": "{{status}}"}{{#unless @last}}, {{/unless}}{{/each}}],
  "access": [{{#each data.access_groups}}{"integration": "{{integration.name}}", "resources": [{{#each access_units}}"{{resource.path}}"{{#unless @last}}, {{/unless}}{{/each}}]}{{#unless @last}}, {{/unless}}{{/each}}]
}`

// AuditWebhook returns the definition of the webhook to the audit system
// at url, signed with secret.
func AuditWebhook(url, secret string) webhook.Webhook {
	return webhook.Webhook{
		Name:           "audit",
		Active:         true,
		URL:            url,
		BodyTemplate:   AuditBody,
		Triggers:       accessrequest.Triggers(),
		SigningSecrets: []string{secret},
	}
}
