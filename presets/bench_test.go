package presets_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/presets"
	"github.com/outhook/outhook/template"
	"github.com/outhook/outhook/webhook"
)

// BenchmarkRender renders each preset's body over one mock event, as a
// Dispatcher does for every delivery.
func BenchmarkRender(b *testing.B) {
	e, _ := accessrequest.Mock(accessrequest.Granted)
	for _, tt := range []struct{ name, body string }{
		{"slack", presets.SlackBodyTemplate},
		{"teams", presets.TeamsBodyTemplate},
		{"okta-workflows", presets.OktaWorkflowsBodyTemplate},
		{"datadog-logs", presets.DatadogLogsBodyTemplate},
		{"servicenow", presets.ServiceNowBodyTemplate},
		{"logzio", presets.LogzioBodyTemplate},
		{"coralogix", presets.CoralogixBodyTemplate},
	} {
		benchRender(b, tt.name, tt.body, e)
	}
	ops, _ := operational.Mock(operational.DeadLettered)
	for _, tt := range []struct{ name, body string }{
		{"slack-operational", presets.SlackOperationalBodyTemplate},
		{"teams-operational", presets.TeamsOperationalBodyTemplate},
		{"logzio-operational", presets.LogzioOperationalBodyTemplate},
	} {
		benchRender(b, tt.name, tt.body, ops)
	}
}

func benchRender(b *testing.B, name, body string, e *event.Event) {
	b.Run(name, func(b *testing.B) {
		tmpl, err := template.Parse(body)
		require.NoError(b, err)
		buf, err := tmpl.Append(nil, e.Document())
		require.NoError(b, err)
		b.SetBytes(int64(len(buf)))
		b.ReportAllocs()
		for b.Loop() {
			buf, err = tmpl.Append(buf[:0], e.Document())
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// FuzzURL checks that every constructor either accepts a URL, giving an
// https definition on the default port, or refuses it with a *URLError.
func FuzzURL(f *testing.F) {
	for _, u := range []string{
		"https://hooks.slack.com/services/T1/B1/x",
		"https://contoso.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d",
		"https://prod-1.westus.logic.azure.com:443/workflows/w/triggers/manual/paths/invoke?sig=x",
		"https://acme.workflows.okta.com/api/flo/f/invoke?clientToken=t",
		"https://http-intake.logs.datadoghq.com/api/v2/logs",
		"https://acme.service-now.com/api/now/v2/table/incident?sysparm_x=1",
		"http://user@[::1]:80/%2F?#",
	} {
		f.Add(u)
	}
	constructors := []func(string, ...presets.Option) (webhook.Webhook, error){
		presets.Slack, presets.Teams, presets.OktaWorkflows, datadog, serviceNow, presets.EventJSON,
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, build := range constructors {
			w, err := build(raw)
			if err != nil {
				var ue *presets.URLError
				require.ErrorAs(t, err, &ue)
				continue
			}
			u, err := url.Parse(w.URL)
			require.NoError(t, err)
			require.Equal(t, "https", u.Scheme)
			require.Empty(t, u.Port())
			require.Empty(t, u.User)
			require.Equal(t, strings.ToLower(u.Host), u.Host)
		}
	})
}
