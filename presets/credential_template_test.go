package presets_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/presets"
	"github.com/outhook/outhook/webhook"
)

// A credential holding "{{" is refused: a header value holding it is a
// template over the event, so the header sent would be the token with the
// event's fields written into it, not the token. The error names the
// header, never the credential.
func TestCredentialHoldingATemplateIsRefused(t *testing.T) {
	const token = "s3cr3t{{data.requester.email}}"
	for name, build := range map[string]func() (webhook.Webhook, error){
		"SplunkHEC": func() (webhook.Webhook, error) {
			return presets.SplunkHEC("https://hec.acme.example:8088/services/collector/event", token)
		},
		"DatadogLogs": func() (webhook.Webhook, error) {
			return presets.DatadogLogs("https://http-intake.logs.datadoghq.com/api/v2/logs", token)
		},
		"Coralogix": func() (webhook.Webhook, error) {
			return presets.Coralogix("https://ingress.eu2.coralogix.com/logs/v1/singles", token)
		},
		"ServiceNow": func() (webhook.Webhook, error) {
			return presets.ServiceNow("https://acme.service-now.com/api/now/table/incident", token)
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := build()
			require.ErrorIs(t, err, presets.ErrInvalidCredential)
			require.NotContains(t, err.Error(), "s3cr3t")
			require.Contains(t, err.Error(), "header")
		})
	}
	_, err := presets.OktaWorkflows("https://acme.workflows.okta.com/api/flo/f1/invoke", presets.WithClientToken(token))
	require.ErrorIs(t, err, presets.ErrInvalidOption)
	require.NotContains(t, err.Error(), "s3cr3t")

	// Nor in the client token of Okta's URL, which is a template too.
	_, err = presets.OktaWorkflows("https://acme.workflows.okta.com/api/flo/f1/invoke?clientToken=" + token)
	require.ErrorIs(t, err, presets.ErrQuery)
	require.NotContains(t, err.Error(), "s3cr3t")

	// One brace is no template: such a token is sent as it is.
	w, err := presets.SplunkHEC("https://hec.acme.example:8088/services/collector/event", "a{b}c")
	require.NoError(t, err)
	require.Equal(t, "Splunk a{b}c", w.Headers["Authorization"])
}
