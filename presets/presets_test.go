package presets_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/presets"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

type constructor func(url string, opts ...presets.Option) (webhook.Webhook, error)

func datadog(url string, opts ...presets.Option) (webhook.Webhook, error) {
	return presets.DatadogLogs(url, "dd-key", opts...)
}

func serviceNow(url string, opts ...presets.Option) (webhook.Webhook, error) {
	return presets.ServiceNow(url, "snow-token", opts...)
}

func splunk(url string, opts ...presets.Option) (webhook.Webhook, error) {
	return presets.SplunkHEC(url, "hec-token", opts...)
}

func pagerDuty(url string, opts ...presets.Option) (webhook.Webhook, error) {
	return presets.PagerDuty(url, "R0UT1NGKEY", opts...)
}

func jira(url string, opts ...presets.Option) (webhook.Webhook, error) {
	return presets.Jira(url, "bot@acme.example", "jira-token", "SEC", opts...)
}

func coralogix(url string, opts ...presets.Option) (webhook.Webhook, error) {
	return presets.Coralogix(url, "cx-key", opts...)
}

func logzio(url string, opts ...presets.Option) (webhook.Webhook, error) {
	return presets.Logzio(url, "lz-token", opts...)
}

// customPorts is a Dispatcher option that accepts Splunk's and Logz.io's
// ports.
var customPorts = webhook.WithURLPolicy(webhook.URLPolicy{AllowCustomPorts: true})

func TestURLShapes(t *testing.T) {
	for _, tt := range []struct {
		preset string
		build  constructor
		url    string
		want   string // the URL of the definition; "" means the same
		err    error
	}{
		{"Slack", presets.Slack, "https://hooks.slack.com/services/T0001/B0002/abcDEF123", "", nil},
		{"Slack", presets.Slack, "https://hooks.slack-gov.com/services/T0001/B0002/abcDEF123/", "", nil},
		{"Slack", presets.Slack, "https://hooks.slack.com/triggers/T0001/1234/abcdef", "", nil},
		{"Slack", presets.Slack, "http://hooks.slack.com/services/T0001/B0002/abc", "", presets.ErrScheme},
		{"Slack", presets.Slack, "https://slack.com/services/T0001/B0002/abc", "", presets.ErrHost},
		{"Slack", presets.Slack, "https://hooks.slack.com/services/T0001/B0002", "", presets.ErrPath},
		{"Slack", presets.Slack, "https://hooks.slack.com/api/chat.postMessage", "", presets.ErrPath},
		{"Slack", presets.Slack, "https://hooks.slack.com/services/T0001/B0002/abc?x=1", "", presets.ErrQuery},
		{"Slack", presets.Slack, "https://hooks.slack.com:8443/services/T0001/B0002/abc", "", presets.ErrPort},

		{"Teams", presets.Teams, "https://contoso.webhook.office.com/webhookb2/1f2e-3d@4c5b/IncomingWebhook/5b6a/7988", "", nil},
		{"Teams", presets.Teams, "https://prod-12.westus.logic.azure.com:443/workflows/0a1b2c/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=s1g",
			"https://prod-12.westus.logic.azure.com/workflows/0a1b2c/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=s1g", nil},
		{"Teams", presets.Teams, "https://default0a1b.c2.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/9f8e/triggers/manual/paths/invoke?api-version=1&sig=s1g",
			"https://default0a1b.c2.environment.api.powerplatform.com/powerautomate/automations/direct/workflows/9f8e/triggers/manual/paths/invoke?api-version=1&sig=s1g", nil},
		{"Teams", presets.Teams, "https://webhook.office.com/webhookb2/1f2e", "", presets.ErrHost},
		{"Teams", presets.Teams, "https://contoso.webhook.office.com/other/1f2e", "", presets.ErrPath},
		{"Teams", presets.Teams, "https://prod-12.westus.logic.azure.com/workflows/0a1b2c/run", "", presets.ErrPath},
		{"Teams", presets.Teams, "https://prod-12.westus.logic.azure.com/workflows/0a1b2c/triggers/manual/paths/invoke?token=x", "", presets.ErrQuery},

		{"OktaWorkflows", presets.OktaWorkflows, "https://acme.workflows.okta.com/api/flo/a1b2c3/invoke", "", nil},
		{"OktaWorkflows", presets.OktaWorkflows, "https://acme.workflows.okta-emea.com/api/flo/a1b2c3/invoke?clientToken=t0k", "", nil},
		{"OktaWorkflows", presets.OktaWorkflows, "https://acme.workflows.oktapreview.com/api/flo/a1b2c3/invoke", "", nil},
		{"OktaWorkflows", presets.OktaWorkflows, "https://acme.workflows.okta.com/api/flo/a1b2c3", "", presets.ErrPath},
		{"OktaWorkflows", presets.OktaWorkflows, "https://acme.workflows.okta.com/api/flo/a1b2c3/run", "", presets.ErrPath},
		{"OktaWorkflows", presets.OktaWorkflows, "https://acme.okta.com/api/flo/a1b2c3/invoke", "", presets.ErrHost},
		{"OktaWorkflows", presets.OktaWorkflows, "https://acme.workflows.okta.com/api/v1/users", "", presets.ErrPath},
		{"OktaWorkflows", presets.OktaWorkflows, "https://acme.workflows.okta.com/api/flo/a1b2c3/invoke?clientToken=t&x=1", "", presets.ErrQuery},
		{"OktaWorkflows", presets.OktaWorkflows, "https://acme.workflows.okta.com/api/flo/a1b2c3/invoke?clientToken=", "", presets.ErrQuery},
		{"OktaWorkflows", presets.OktaWorkflows, "https://acme.workflows.okta.com/api/flo/a1b2c3/invoke?clientToken=a&clientToken=b", "", presets.ErrQuery},

		{"DatadogLogs", datadog, "https://http-intake.logs.datadoghq.com/api/v2/logs", "", nil},
		{"DatadogLogs", datadog, "https://http-intake.logs.us5.datadoghq.com/api/v2/logs/", "", nil},
		{"DatadogLogs", datadog, "https://http-intake.logs.ddog-gov.com/api/v2/logs", "", nil},
		{"DatadogLogs", datadog, "https://http-intake.logs.uk1.datadoghq.com/api/v2/logs", "", nil},
		{"DatadogLogs", datadog, "https://http-intake.logs.us2.ddog-gov.com/api/v2/logs", "", nil},
		{"DatadogLogs", datadog, "https://http-intake.logs.ap2.datadoghq.com/api/v2/logs?ddtags=env:prod,team:sec", "", nil},
		{"DatadogLogs", datadog, "https://http-intake.logs.datadoghq.com/api/v2/logs?ddtags=", "", presets.ErrQuery},
		{"DatadogLogs", datadog, "https://http-intake.logs.datadoghq.com/api/v2/logs?ddtags=a&ddtags=b", "", presets.ErrQuery},
		{"DatadogLogs", datadog, "https://http-intake.logs.us4.datadoghq.com/api/v2/logs", "", presets.ErrHost},
		{"DatadogLogs", datadog, "https://api.datadoghq.com/api/v2/logs", "", presets.ErrHost},
		{"DatadogLogs", datadog, "https://http-intake.logs.datadoghq.evil.example/api/v2/logs", "", presets.ErrHost},
		{"DatadogLogs", datadog, "https://http-intake.logs.datadoghq.com/v1/input", "", presets.ErrPath},
		{"DatadogLogs", datadog, "https://http-intake.logs.datadoghq.com/api/v2/logs?dd-api-key=k", "", presets.ErrQuery},

		{"ServiceNow", serviceNow, "https://acme.service-now.com/api/now/table/incident", "", nil},
		{"ServiceNow", serviceNow, "https://acme.service-now.com/api/now/v2/table/incident?sysparm_display_value=true", "", nil},
		{"ServiceNow", serviceNow, "https://agency.servicenowservices.com/api/now/table/u_access", "", nil},
		{"ServiceNow", serviceNow, "https://service-now.com/api/now/table/incident", "", presets.ErrHost},
		{"ServiceNow", serviceNow, "https://acme.service-now.com/api/now/import/incident", "", presets.ErrPath},
		{"ServiceNow", serviceNow, "https://acme.service-now.com/api/now/v3/table/incident", "", presets.ErrPath},
		{"ServiceNow", serviceNow, "https://acme.service-now.com/api/now/table/incident?x=1", "", presets.ErrQuery},

		{"EventJSON", presets.EventJSON, "https://siem.example.com/ingest?source=apono", "", nil},
		{"EventJSON", presets.EventJSON, "https://10.1.2.3/hook", "", nil},
		{"EventJSON", presets.EventJSON, "http://siem.example.com/ingest", "", presets.ErrScheme},
		{"EventJSON", presets.EventJSON, "https://user:pw@siem.example.com/ingest", "", presets.ErrQuery},
		{"EventJSON", presets.EventJSON, "https://siem.example.com/ingest#frag", "", presets.ErrQuery},
		{"EventJSON", presets.EventJSON, "https://siem.example.com:8443/ingest", "", presets.ErrPort},
		{"EventJSON", presets.EventJSON, "https://[::1]/ingest", "", presets.ErrHost},
		{"EventJSON", presets.EventJSON, "https://siem_example.com/ingest", "", presets.ErrHost},
		{"EventJSON", presets.EventJSON, "https://siem.example.com/a%2Fb", "", presets.ErrPath},
		{"EventJSON", presets.EventJSON, "::", "", presets.ErrMalformedURL},

		{"SplunkHEC", splunk, "https://splunk.example.com:8088/services/collector/event", "", nil},
		{"SplunkHEC", splunk, "https://http-inputs-acme.splunkcloud.com/services/collector/event", "", nil},
		{"SplunkHEC", splunk, "https://10.0.0.5:8088/services/collector/event/1.0?index=security&sourcetype=apono", "", nil},
		{"SplunkHEC", splunk, "https://splunk.example.com:8088/services/collector", "", nil},
		{"SplunkHEC", splunk, "https://splunk.example.com:443/services/collector/event", "https://splunk.example.com/services/collector/event", nil},
		{"SplunkHEC", splunk, "https://splunk.example.com:8089/services/collector/event", "", presets.ErrPort},
		{"SplunkHEC", splunk, "https://splunk.example.com:8088/services/collector/raw", "", presets.ErrPath},
		{"SplunkHEC", splunk, "https://splunk.example.com:8088/services/collector/event?token=t", "", presets.ErrQuery},
		{"SplunkHEC", splunk, "http://splunk.example.com:8088/services/collector/event", "", presets.ErrScheme},

		{"PagerDuty", pagerDuty, "https://events.pagerduty.com/v2/enqueue", "", nil},
		{"PagerDuty", pagerDuty, "https://events.eu.pagerduty.com/v2/enqueue", "", nil},
		{"PagerDuty", pagerDuty, "https://api.pagerduty.com/incidents", "", presets.ErrHost},
		{"PagerDuty", pagerDuty, "https://events.pagerduty.com/generic/2010-04-15/create_event.json", "", presets.ErrPath},
		{"PagerDuty", pagerDuty, "https://events.pagerduty.com/v2/enqueue?routing_key=k", "", presets.ErrQuery},

		{"Jira", jira, "https://acme.atlassian.net/rest/api/3/issue", "", nil},
		{"Jira", jira, "https://acme.atlassian.net/rest/api/2/issue", "", presets.ErrPath},
		{"Jira", jira, "https://acme.atlassian.net/rest/api/3/issue/bulk", "", presets.ErrPath},
		{"Jira", jira, "https://atlassian.net/rest/api/3/issue", "", presets.ErrHost},
		{"Jira", jira, "https://jira.acme.example/rest/api/3/issue", "", presets.ErrHost},

		{"Coralogix", coralogix, "https://ingress.eu2.coralogix.com/logs/v1/singles", "", nil},
		{"Coralogix", coralogix, "https://ingress.coralogix.us/logs/v1/singles", "", nil},
		{"Coralogix", coralogix, "https://ingress.coralogixsg.com/logs/v1/singles", "", nil},
		{"Coralogix", coralogix, "https://api.eu2.coralogix.com/logs/v1/singles", "", presets.ErrHost},
		{"Coralogix", coralogix, "https://ingress.coralogix.evil.example/logs/v1/singles", "", presets.ErrHost},
		{"Coralogix", coralogix, "https://ingress.eu2.coralogix.com/logs/v1/bulk", "", presets.ErrPath},

		{"Logzio", logzio, "https://listener.logz.io:8071", "https://listener.logz.io:8071?token=lz-token", nil},
		{"Logzio", logzio, "https://listener-eu.logz.io:8071/?type=apono", "https://listener-eu.logz.io:8071/?token=lz-token&type=apono", nil},
		{"Logzio", logzio, "https://listener.logz.io/", "", presets.ErrPort},
		{"Logzio", logzio, "https://listener.logz.io:8070/", "", presets.ErrPort},
		{"Logzio", logzio, "https://listener.logz.io:8071/?token=x", "", presets.ErrQuery},
		{"Logzio", logzio, "https://listener.logz.io:8071/bulk", "", presets.ErrPath},
		{"Logzio", logzio, "https://logz.io:8071/", "", presets.ErrHost},
	} {
		t.Run(tt.preset+" "+tt.url, func(t *testing.T) {
			w, err := tt.build(tt.url)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				var ue *presets.URLError
				require.ErrorAs(t, err, &ue)
				require.Equal(t, tt.preset, ue.Preset)
				require.True(t, strings.HasPrefix(err.Error(), "presets: "+tt.preset+" URL: "), err.Error())
				return
			}
			require.NoError(t, err)
			want := tt.want
			if want == "" {
				want = tt.url
			}
			require.Equal(t, want, w.URL)
		})
	}
}

// TestDefinitionsAreValid adds every preset to a Dispatcher with Apono's
// URL rules.
func TestDefinitionsAreValid(t *testing.T) {
	d, err := webhook.New(customPorts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	for _, w := range every(t) {
		require.True(t, w.Active)
		require.Equal(t, "POST", w.Method)
		require.Equal(t, accessrequest.Triggers(), w.Triggers)
		_, err := d.Add(w)
		require.NoError(t, err, w.Name)
	}
}

func TestHeaders(t *testing.T) {
	for _, tt := range []struct {
		name  string
		build func() (webhook.Webhook, error)
		want  map[string]string
	}{
		{"slack", func() (webhook.Webhook, error) {
			return presets.Slack("https://hooks.slack.com/services/T1/B1/x")
		}, nil},
		{"teams", func() (webhook.Webhook, error) {
			return presets.Teams("https://contoso.webhook.office.com/webhookb2/1f2e")
		}, map[string]string{"Content-Type": "application/json; charset=utf-8"}},
		{"splunk", func() (webhook.Webhook, error) {
			return presets.SplunkHEC("https://splunk.example.com:8088/services/collector/event", "hec")
		}, map[string]string{"Authorization": "Splunk hec"}},
		{"pagerduty", func() (webhook.Webhook, error) {
			return presets.PagerDuty("https://events.pagerduty.com/v2/enqueue", "k3y")
		}, nil},
		{"jira", func() (webhook.Webhook, error) {
			return presets.Jira("https://acme.atlassian.net/rest/api/3/issue", "bot@acme.example", "t0k", "SEC")
		}, map[string]string{"Authorization": "Basic Ym90QGFjbWUuZXhhbXBsZTp0MGs=", "Accept": "application/json"}},
		{"coralogix", func() (webhook.Webhook, error) {
			return presets.Coralogix("https://ingress.eu2.coralogix.com/logs/v1/singles", "cx")
		}, map[string]string{"Authorization": "Bearer cx"}},
		{"logzio", func() (webhook.Webhook, error) {
			return presets.Logzio("https://listener.logz.io:8071", "lz")
		}, nil},
		{"datadog", func() (webhook.Webhook, error) {
			return presets.DatadogLogs("https://http-intake.logs.datadoghq.com/api/v2/logs", "k3y")
		}, map[string]string{"DD-API-KEY": "k3y"}},
		{"servicenow", func() (webhook.Webhook, error) {
			return presets.ServiceNow("https://acme.service-now.com/api/now/table/incident", "t0k")
		}, map[string]string{"Authorization": "Bearer t0k", "Accept": "application/json"}},
		{"servicenow basic", func() (webhook.Webhook, error) {
			w, err := presets.ServiceNow("https://acme.service-now.com/api/now/table/incident", "unused")
			w.Headers["Authorization"] = "Basic dXNlcjpwdw=="
			return w, err
		}, map[string]string{"Authorization": "Basic dXNlcjpwdw==", "Accept": "application/json"}},
		{"okta client token", func() (webhook.Webhook, error) {
			return presets.OktaWorkflows("https://acme.workflows.okta.com/api/flo/f1/invoke", presets.WithClientToken("ct"))
		}, map[string]string{"x-api-client-token": "ct"}},
		{"event json", func() (webhook.Webhook, error) {
			w, err := presets.EventJSON("https://siem.example.com/in")
			w.Headers = map[string]string{"X-Api-Key": "k"}
			return w, err
		}, map[string]string{"X-Api-Key": "k"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, err := tt.build()
			require.NoError(t, err)
			require.Equal(t, tt.want, w.Headers)
		})
	}
}

// TestFieldsSetOnTheDefinition changes, on every preset's definition, the
// fields no option covers, and checks that a Dispatcher takes them.
func TestFieldsSetOnTheDefinition(t *testing.T) {
	prod := filter.Must(filter.New(filter.Environment("production")))
	d, err := webhook.New(customPorts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(t.Context()) })
	for i, w := range every(t, nil) {
		w.Name = fmt.Sprintf("custom-%d", i)
		w.Triggers = []event.Trigger{accessrequest.Granted}
		w.Filters = prod
		w.ResponseValidators = []webhook.ResponseValidator{{JSONPath: "$.data.ok", ExpectedValues: []string{"true"}}}
		w.SigningSecrets = []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
		w.TimeoutInSec = 90
		w.BodyTemplate = `{"id":"{{data.friendly_id}}"}`
		added, err := d.Add(w)
		require.NoError(t, err)
		require.Equal(t, w.Name, added.Name)
		require.Equal(t, []event.Trigger{accessrequest.Granted}, added.Triggers)
		require.Same(t, prod, added.Filters)
		require.Len(t, added.ResponseValidators, 1)
		require.Len(t, added.SigningSecrets, 1)
		require.Equal(t, 90, added.TimeoutInSec)
		require.Equal(t, `{"id":"{{data.friendly_id}}"}`, added.BodyTemplate)
	}
	for i, w := range every(t) {
		w.Name, w.BodyTemplate = fmt.Sprintf("full-event-%d", i), ""
		added, err := d.Add(w)
		require.NoError(t, err)
		require.Empty(t, added.BodyTemplate)
	}
	// What the options checked, the Dispatcher checks, naming the field.
	w, err := presets.EventJSON("https://siem.example.com/in")
	require.NoError(t, err)
	w.Name, w.TimeoutInSec, w.Headers = "bad", -1, map[string]string{"": "v"}
	_, err = d.Add(w)
	require.ErrorIs(t, err, webhook.ErrInvalidTimeout)
	require.ErrorIs(t, err, webhook.ErrInvalidHeader)
}

func TestOptions(t *testing.T) {
	for _, w := range every(t, presets.WithBaseURL("http://127.0.0.1:9/stand-in/")) {
		require.True(t, strings.HasPrefix(w.URL, "http://127.0.0.1:9/stand-in/"), w.URL)
	}
	w, err := presets.OktaWorkflows("https://acme.workflows.okta.com/api/flo/f1/invoke?clientToken=t0k", presets.WithBaseURL("http://127.0.0.1:9"))
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:9/api/flo/f1/invoke?clientToken=t0k", w.URL, "the query is kept")
}

func TestErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		got  func() error
	}{
		{"datadog without a key", presets.ErrMissingCredential, func() error {
			_, err := presets.DatadogLogs("https://http-intake.logs.datadoghq.com/api/v2/logs", "")
			return err
		}},
		{"servicenow without a token", presets.ErrMissingCredential, func() error {
			_, err := presets.ServiceNow("https://acme.service-now.com/api/now/table/incident", "")
			return err
		}},
		{"client token on slack", presets.ErrInvalidOption, func() error {
			_, err := presets.Slack("https://hooks.slack.com/services/T1/B1/x", presets.WithClientToken("ct"))
			return err
		}},
		{"empty client token", presets.ErrInvalidOption, func() error {
			_, err := presets.OktaWorkflows("https://acme.workflows.okta.com/api/flo/f1/invoke", presets.WithClientToken(""))
			return err
		}},
		{"splunk without a token", presets.ErrMissingCredential, func() error {
			_, err := presets.SplunkHEC("https://splunk.example.com:8088/services/collector/event", "")
			return err
		}},
		{"pagerduty without a routing key", presets.ErrMissingCredential, func() error {
			_, err := presets.PagerDuty("https://events.pagerduty.com/v2/enqueue", "")
			return err
		}},
		{"jira without a token", presets.ErrMissingCredential, func() error {
			_, err := presets.Jira("https://acme.atlassian.net/rest/api/3/issue", "bot@acme.example", "", "SEC")
			return err
		}},
		{"coralogix without a key", presets.ErrMissingCredential, func() error {
			_, err := presets.Coralogix("https://ingress.eu2.coralogix.com/logs/v1/singles", "")
			return err
		}},
		{"logzio without a token", presets.ErrMissingCredential, func() error {
			_, err := presets.Logzio("https://listener.logz.io:8071", "")
			return err
		}},
		{"issue type on slack", presets.ErrInvalidOption, func() error {
			_, err := presets.Slack("https://hooks.slack.com/services/T1/B1/x", presets.WithIssueType("Bug"))
			return err
		}},
		{"issue type that would break the body", presets.ErrInvalidOption, func() error {
			_, err := jira("https://acme.atlassian.net/rest/api/3/issue", presets.WithIssueType(`Bug"}, "x": {"`))
			return err
		}},
		{"base URL", presets.ErrInvalidOption, func() error {
			_, err := presets.EventJSON("https://siem.example.com/in", presets.WithBaseURL("ftp://x"))
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.got()
			require.ErrorIs(t, err, tt.err)
			if tt.err == presets.ErrInvalidOption {
				require.True(t, strings.HasPrefix(err.Error(), "presets: invalid option: With"), err.Error())
			}
		})
	}
	// Arguments that would break the body, or its template, are refused.
	for _, key := range []string{"a\"b", "key{{x}}", "k y"} {
		_, err := presets.PagerDuty("https://events.pagerduty.com/v2/enqueue", key)
		require.ErrorIs(t, err, presets.ErrInvalidOption, key)
	}
	for _, key := range []string{"", "sec", "1SEC", "SE\"C", "S{{x}}"} {
		_, err := presets.Jira("https://acme.atlassian.net/rest/api/3/issue", "bot@acme.example", "t", key)
		require.ErrorIs(t, err, presets.ErrInvalidOption, key)
	}
}

// TestJiraIssueType checks WithIssueType's name in the body.
func TestJiraIssueType(t *testing.T) {
	w, err := jira("https://acme.atlassian.net/rest/api/3/issue", presets.WithIssueType("Service Request"))
	require.NoError(t, err)
	out := webhooktest.Render(t, w)
	fields := decode(t, out[0].Body).(map[string]any)["fields"].(map[string]any)
	require.Equal(t, map[string]any{"name": "Service Request"}, fields["issuetype"])
}
