package presets_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/leakcheck"
	"github.com/outhook/outhook/operational"
	"github.com/outhook/outhook/presets"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// everyOps returns one definition of each preset that serves operational
// events, built with ForOperationalEvents.
func everyOps(t *testing.T, opts ...presets.Option) []webhook.Webhook {
	t.Helper()
	var out []webhook.Webhook
	for _, w := range every(t) {
		switch w.Name {
		case "servicenow", "jira", "okta-workflows":
			continue
		}
		out = append(out, opsPreset(t, w.Name, opts...))
	}
	return out
}

// opsPreset builds the preset named name (as every names it) with
// ForOperationalEvents and opts.
func opsPreset(t *testing.T, name string, opts ...presets.Option) webhook.Webhook {
	t.Helper()
	opts = append([]presets.Option{presets.ForOperationalEvents()}, opts...)
	build := map[string]func() (webhook.Webhook, error){
		"slack": func() (webhook.Webhook, error) {
			return presets.Slack("https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX", opts...)
		},
		"teams": func() (webhook.Webhook, error) {
			return presets.Teams("https://contoso.webhook.office.com/webhookb2/1f2e@3d4c/IncomingWebhook/5b6a/7988", opts...)
		},
		"datadog-logs": func() (webhook.Webhook, error) {
			return presets.DatadogLogs("https://http-intake.logs.datadoghq.eu/api/v2/logs", "dd-api-key-1", opts...)
		},
		"events": func() (webhook.Webhook, error) {
			return presets.EventJSON("https://siem.example.com/ingest/ops", opts...)
		},
		"splunk-hec": func() (webhook.Webhook, error) {
			return presets.SplunkHEC("https://splunk.example.com:8088/services/collector/event", "hec-token-1", opts...)
		},
		"pagerduty": func() (webhook.Webhook, error) {
			return presets.PagerDuty("https://events.pagerduty.com/v2/enqueue", "R0UT1NGKEY0123456789abcdefABCDEF", opts...)
		},
		"coralogix": func() (webhook.Webhook, error) {
			return presets.Coralogix("https://ingress.eu2.coralogix.com/logs/v1/singles", "cx-key-1", opts...)
		},
		"logzio": func() (webhook.Webhook, error) {
			return presets.Logzio("https://listener-eu.logz.io:8071/?type=ops", "logzio-token-1", opts...)
		},
	}[name]
	require.NotNil(t, build, name)
	w, err := build()
	require.NoError(t, err, name)
	return w
}

// renderOps renders w over events (the six mocks when none), checking
// its template against the operational schema as Dispatcher.Add does.
func renderOps(t *testing.T, w webhook.Webhook, opts ...webhooktest.RenderOption) []webhooktest.Rendered {
	t.Helper()
	all := []webhooktest.RenderOption{webhooktest.Strict(), webhooktest.Schema(operational.Schema())}
	return webhooktest.Render(t, w, append(all, opts...)...)
}

// TestOperationalGolden renders every preset that serves operational
// events over the six operational mocks, strictly, and compares with
// testdata (OUTHOOK_UPDATE_GOLDEN=1 rewrites the files).
func TestOperationalGolden(t *testing.T) {
	for _, w := range everyOps(t) {
		t.Run(w.Name, func(t *testing.T) {
			require.Equal(t, operational.Triggers(), w.Triggers)
			require.True(t, strings.HasSuffix(w.Name, "-operational"), w.Name)
			out := renderOps(t, w, webhooktest.Events(operational.Mocks()...), webhooktest.Golden("testdata"))
			require.Len(t, out, len(operational.Mocks()))
			for _, r := range out {
				checkOpsValues(t, w.Name, r)
			}
		})
	}
}

// severity is what each target is told of each trigger: critical when
// deliveries stopped, warning when they wait, info when they resumed.
func severity(trigger event.Trigger) string {
	switch trigger {
	case operational.Disabled:
		return "critical"
	case operational.TenantLimited:
		return "warning"
	case operational.Recovered:
		return "info"
	}
	return "error"
}

// checkOpsValues decodes a body and checks what each target is told of
// the event, values copied from it decoding back exactly.
func checkOpsValues(t *testing.T, preset string, r webhooktest.Rendered) {
	t.Helper()
	var ev operational.Event
	require.NoError(t, r.Event.Decode(&ev))
	d := ev.Data
	body := decode(t, r.Body)
	switch preset {
	case "slack-operational":
		msg := body.(map[string]any)
		text := msg["text"].(string)
		require.NotContains(t, text, "<")
		if ev.EventType == operational.TenantLimited {
			require.Contains(t, text, "reached its "+d.Limit.Name+" limit")
		} else {
			require.Contains(t, text, "webhook "+d.WebhookName)
		}
		blocks := msg["blocks"].([]any)
		reason := blocks[2].(map[string]any)["text"].(map[string]any)["text"]
		require.Equal(t, "Reason: "+d.Reason, reason)
		fields := blocks[1].(map[string]any)["fields"].([]any)
		last := fields[len(fields)-1].(map[string]any)["text"].(string)
		switch {
		case d.DeadLetter != nil:
			require.Equal(t, "Dead letter: "+d.DeadLetter.DeliveryID+" of "+string(d.DeadLetter.EventType)+" "+d.DeadLetter.EventID+" after 5 attempts", last)
		case d.Limit != nil:
			require.Equal(t, "Limit: in_flight, at most 16", last)
		default:
			require.Len(t, fields, 8)
		}
		for _, b := range blocks {
			requireNoEmptyText(t, b)
		}
	case "teams-operational":
		card := body.(map[string]any)["attachments"].([]any)[0].(map[string]any)["content"].(map[string]any)
		facts := card["body"].([]any)[1].(map[string]any)["facts"].([]any)
		byTitle := map[string]string{}
		for _, f := range facts {
			f := f.(map[string]any)
			byTitle[f["title"].(string)] = f["value"].(string)
			requireNoMarkdown(t, f["value"].(string))
		}
		require.Equal(t, d.Reason, unescapeMarkdown(byTitle["Reason"]))
		require.Equal(t, string(ev.EventType), byTitle["Event"])
		require.Equal(t, d.DeadLetter != nil, byTitle["Dead letter"] != "")
		require.Equal(t, d.Limit != nil, byTitle["Limit"] != "")
	case "pagerduty-operational":
		alert := body.(map[string]any)
		require.Equal(t, "R0UT1NGKEY0123456789abcdefABCDEF", alert["routing_key"])
		if ev.EventType == operational.Recovered {
			require.Equal(t, map[string]any{"routing_key": "R0UT1NGKEY0123456789abcdefABCDEF", "event_action": "resolve", "dedup_key": "outhook/acme/webhook/wh-pagerduty-prod"}, alert)
			return
		}
		require.Equal(t, "trigger", alert["event_action"])
		want := "outhook/" + d.Tenant + "/webhook/" + d.WebhookID
		if d.Limit != nil {
			want = "outhook/" + d.Tenant + "/limit/" + d.Limit.Name
		}
		require.Equal(t, want, alert["dedup_key"])
		payload := alert["payload"].(map[string]any)
		sev := severity(ev.EventType)
		require.Equal(t, sev, payload["severity"])
		require.Contains(t, payload["summary"], strings.NewReplacer("\r", " ", "\n", " ").Replace(d.Reason))
		require.Equal(t, r.Event.Time().Time().UTC().Format(time.RFC3339Nano), payload["timestamp"])
		details := payload["custom_details"].(map[string]any)
		require.Equal(t, d.Reason, details["reason"])
		require.Equal(t, json.Number("600"), details["window_seconds"])
		if d.DeadLetter != nil {
			require.Equal(t, d.DeadLetter.EventID, details["dead_letter"].(map[string]any)["event_id"])
		}
	case "datadog-logs-operational":
		log := body.([]any)[0].(map[string]any)
		require.JSONEq(t, string(r.Event.JSON()), log["message"].(string), "the message is the whole event")
		require.Equal(t, json.Number(millis(t, r.Event)), log["date"])
		require.Equal(t, severity(ev.EventType), log["status"])
		require.Equal(t, "outhook", log["ddsource"])
	case "events-operational":
		require.Equal(t, string(r.Event.JSON()), string(r.Body))
	case "splunk-hec-operational":
		hec := body.(map[string]any)
		require.Equal(t, json.Number(r.Event.Time().String()), hec["time"])
		event, err := json.Marshal(hec["event"])
		require.NoError(t, err)
		require.JSONEq(t, string(r.Event.JSON()), string(event))
	case "coralogix-operational":
		log := body.([]any)[0].(map[string]any)
		want := map[string]string{"critical": "6", "warning": "4", "info": "3", "error": "5"}[severity(ev.EventType)]
		require.Equal(t, json.Number(want), log["severity"])
		require.Equal(t, "webhook-operations", log["subsystemName"])
		text, err := json.Marshal(log["text"])
		require.NoError(t, err)
		require.JSONEq(t, string(r.Event.JSON()), string(text))
	case "logzio-operational":
		require.NotContains(t, string(r.Body), "\n", "one line: the listener reads one log a line")
		log := body.(map[string]any)
		require.Equal(t, severity(ev.EventType), log["level"])
		require.NotContains(t, log["message"], "\n")
		event, err := json.Marshal(log["outhook"])
		require.NoError(t, err)
		require.JSONEq(t, string(r.Event.JSON()), string(event))
	default:
		t.Fatalf("no check for preset %q", preset)
	}
}

// TestOperationalRefused checks that the presets whose targets create a
// record per event refuse ForOperationalEvents, and that without the
// option a preset is for access requests only.
func TestOperationalRefused(t *testing.T) {
	for name, build := range map[string]func() (webhook.Webhook, error){
		"ServiceNow": func() (webhook.Webhook, error) {
			return serviceNow("https://acme.service-now.com/api/now/table/incident", presets.ForOperationalEvents())
		},
		"Jira": func() (webhook.Webhook, error) {
			return jira("https://acme.atlassian.net/rest/api/3/issue", presets.ForOperationalEvents())
		},
		"OktaWorkflows": func() (webhook.Webhook, error) {
			return presets.OktaWorkflows("https://acme.workflows.okta.com/api/flo/f1/invoke?clientToken=t", presets.ForOperationalEvents())
		},
	} {
		_, err := build()
		require.ErrorIs(t, err, presets.ErrInvalidOption, name)
		require.ErrorContains(t, err, "ForOperationalEvents applies to Slack", name)
		require.ErrorContains(t, err, "not "+name)
	}
	w, err := presets.Slack("https://hooks.slack.com/services/T1/B1/x")
	require.NoError(t, err)
	require.Equal(t, accessrequest.Triggers(), w.Triggers)
	require.Equal(t, presets.SlackBodyTemplate, w.BodyTemplate)
}

// TestOperationalDefinitionsAreValid adds every operational preset, beside
// its access-request one, to a Dispatcher that serves both kinds: the
// names differ and every template checks against the operational schema.
func TestOperationalDefinitionsAreValid(t *testing.T) {
	d, err := webhook.New(customPorts, webhook.WithEventKind(operational.Kind()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	for _, w := range append(every(t), everyOps(t)...) {
		_, err := d.Add(w)
		require.NoError(t, err, w.Name)
	}
}

// hostileOps returns operational events that push each preset to its
// target's limits and escaping: names, ids and reasons of thousands of
// characters holding a mention, Markdown, quotes, backslashes, line breaks,
// control characters and characters of 4 bytes.
func hostileOps(t *testing.T) []*event.Event {
	t.Helper()
	build := func(trigger event.Trigger, tenant, name, reason string) *event.Event {
		base, _ := operational.Mock(trigger)
		var ev operational.Event
		require.NoError(t, base.Decode(&ev))
		d := ev.Data
		d.Tenant, d.WebhookName, d.Reason = tenant, name, reason
		d.WebhookID, d.TargetHost = name, name
		if d.DeadLetter != nil {
			d.DeadLetter.EventID, d.DeadLetter.DeliveryID = reason, name
		}
		e, err := event.New(trigger, d, event.WithTime(ev.EventTime))
		require.NoError(t, err)
		return e
	}
	worst := strings.Repeat("<!channel> \"q\" \\b\r\n"+phishing+" & ", 400)
	var out []*event.Event
	for _, tr := range operational.Triggers() {
		out = append(out,
			build(tr, "<!here> "+phishing, "<!channel> "+worst, worst),
			build(tr, strings.Repeat("\u2028", 256), strings.Repeat("\x01", 5000), strings.Repeat("\x01", 30_000)),
			build(tr, strings.Repeat("😀", 64), strings.Repeat("😀", 3000), strings.Repeat("😀", 30_000)),
			build(tr, "", "", ""),
		)
	}
	return out
}

// TestOperationalSlackLimits checks Block Kit's limits and that the mrkdwn
// text escapes &, < and > in every value, over hostile events.
func TestOperationalSlackLimits(t *testing.T) {
	for i, r := range renderOps(t, opsPreset(t, "slack"), webhooktest.Events(hostileOps(t)...)) {
		msg := decode(t, r.Body).(map[string]any)
		text := msg["text"].(string)
		require.NotContains(t, text, "<", "event %d: %.200q", i, text)
		require.NotContains(t, text, ">")
		require.NotRegexp(t, `&[^a-z]`, text, "every & starts an escape")
		require.LessOrEqual(t, units(text), 3000)
		blocks := msg["blocks"].([]any)
		for _, b := range blocks {
			b := b.(map[string]any)
			limit := 3000
			if b["type"] == "header" {
				limit = 150
			}
			if tx, ok := b["text"].(map[string]any); ok {
				require.LessOrEqual(t, units(tx["text"].(string)), limit, "event %d: %s", i, b["type"])
				require.NotEmpty(t, tx["text"])
			}
			if fields, ok := b["fields"].([]any); ok {
				require.LessOrEqual(t, len(fields), 10)
				for _, f := range fields {
					require.LessOrEqual(t, units(f.(map[string]any)["text"].(string)), 2000, "event %d", i)
				}
			}
		}
		if i%4 == 0 && r.Event.Type() != operational.TenantLimited {
			require.Contains(t, text, "webhook &lt;!channel&gt; &lt;!channel&gt; \"q\"", "the name is text, not a mention")
		}
	}
}

// TestOperationalTeamsLimits checks the 28 KB of a Teams message and that
// no value adds Markdown, over hostile events.
func TestOperationalTeamsLimits(t *testing.T) {
	for i, r := range renderOps(t, opsPreset(t, "teams"), webhooktest.Events(hostileOps(t)...)) {
		require.Less(t, len(r.Body), 28*1000, "event %d", i)
		card := decode(t, r.Body).(map[string]any)["attachments"].([]any)[0].(map[string]any)["content"].(map[string]any)
		title := card["body"].([]any)[0].(map[string]any)["text"].(string)
		requireNoMarkdown(t, title)
		for _, f := range card["body"].([]any)[1].(map[string]any)["facts"].([]any) {
			value := f.(map[string]any)["value"].(string)
			requireNoMarkdown(t, value)
			require.NotEmpty(t, strings.TrimSpace(value), "event %d: fact %v", i, f)
		}
	}
}

// TestOperationalPagerDutyLimits checks Events API v2's limits over hostile
// events, and that the alert a webhook's WebhookFailing opens is the one
// its WebhookRecovered resolves, and no other webhook's.
func TestOperationalPagerDutyLimits(t *testing.T) {
	w := opsPreset(t, "pagerduty")
	for i, r := range renderOps(t, w, webhooktest.Events(hostileOps(t)...)) {
		require.LessOrEqual(t, len(r.Body), 512*1024, "event %d", i)
		alert := decode(t, r.Body).(map[string]any)
		require.LessOrEqual(t, units(alert["dedup_key"].(string)), 255, "event %d", i)
		if r.Event.Type() == operational.Recovered {
			require.Equal(t, "resolve", alert["event_action"])
			continue
		}
		payload := alert["payload"].(map[string]any)
		require.LessOrEqual(t, units(payload["summary"].(string)), 1024, "event %d", i)
		require.NotContains(t, payload["summary"], "\n")
		require.NotEmpty(t, payload["source"])
		require.Equal(t, severity(r.Event.Type()), payload["severity"])
	}

	key := func(trigger event.Trigger, tenant, id string) string {
		base, _ := operational.Mock(trigger)
		var ev operational.Event
		require.NoError(t, base.Decode(&ev))
		ev.Data.Tenant, ev.Data.WebhookID = tenant, id
		e, err := event.New(trigger, ev.Data, event.WithTime(ev.EventTime))
		require.NoError(t, err)
		out := renderOps(t, w, webhooktest.Events(e))
		return decode(t, out[0].Body).(map[string]any)["dedup_key"].(string)
	}
	for _, tr := range []event.Trigger{operational.StillFailing, operational.Disabled, operational.DeadLettered} {
		require.Equal(t, key(operational.Failing, "a/b", "c"), key(tr, "a/b", "c"), tr)
	}
	require.Equal(t, key(operational.Failing, "a/b", "c"), key(operational.Recovered, "a/b", "c"))
	require.NotEqual(t, key(operational.Failing, "a/b", "c"), key(operational.Recovered, "a", "b/c"), "another tenant's webhook")
	require.NotEqual(t, key(operational.Failing, "a%2Fb", "c"), key(operational.Recovered, "a/b", "c"))
	require.NotEqual(t, key(operational.TenantLimited, "a", "limit/in_flight"), key(operational.Failing, "a", "limit/in_flight"))
}

// TestOperationalLogLimits checks the log targets' sizes over hostile
// events, and Logz.io's single line.
func TestOperationalLogLimits(t *testing.T) {
	for _, tt := range []struct {
		name  string
		limit int
	}{{"datadog-logs", 1 << 20}, {"coralogix", 2 << 20}, {"logzio", 500_000}, {"splunk-hec", 1 << 20}} {
		t.Run(tt.name, func(t *testing.T) {
			for i, r := range renderOps(t, opsPreset(t, tt.name), webhooktest.Events(hostileOps(t)...)) {
				require.Less(t, len(r.Body), tt.limit, "event %d", i)
				if tt.name == "logzio" {
					require.NotContains(t, string(r.Body), "\n")
					message := decode(t, r.Body).(map[string]any)["message"].(string)
					require.LessOrEqual(t, len(message), 800)
					require.NotContains(t, message, "\n", "event %d: line breaks are spaces", i)
					require.NotContains(t, message, "\r", "event %d: line breaks are spaces", i)
				}
			}
		})
	}
}

// TestOperationalSlackDelivery runs a Dispatcher that publishes its
// operational events, with a tenant's admin webhook built by
// presets.Slack(url, ForOperationalEvents()): a failing webhook of that
// tenant makes the admins' Slack receive a valid message about it.
func TestOperationalSlackDelivery(t *testing.T) {
	leakcheck.Check(t)
	const slackPath = "/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX"
	r := webhooktest.NewReceiver(webhooktest.Route("/dead", webhooktest.Response{Status: 503, Body: "<!channel> \"down\"\n\\ retry"}))
	t.Cleanup(r.Close)
	d := webhooktest.NewDispatcher(t,
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}),
		webhook.WithOperationalEvents(webhook.OperationalSettings{FailureThreshold: 1, Publish: true}))
	ctx := context.Background()
	const tenant = `acme "<!channel>" Zürich`
	acme := d.Tenant(tenant)
	_, err := acme.Create(ctx, webhook.Webhook{ID: "crm", Name: "CRM Zürich", Active: true, URL: r.URL + "/dead", Triggers: accessrequest.Triggers()}, "test")
	require.NoError(t, err)
	admin, err := presets.Slack("https://hooks.slack.com"+slackPath, presets.ForOperationalEvents(), presets.WithBaseURL(r.URL))
	require.NoError(t, err)
	_, err = acme.Create(ctx, admin, "test")
	require.NoError(t, err)

	e, _ := accessrequest.Mock(accessrequest.Created)
	_, err = acme.Publish(ctx, e)
	require.NoError(t, err)
	wctx, cancel := context.WithTimeout(ctx, webhooktest.WaitTimeout)
	defer cancel()
	// The failed delivery, then WebhookFailing and WebhookDeadLettered, in
	// either order.
	reqs, err := r.Wait(wctx, 3)
	require.NoError(t, err)
	type message struct {
		Text   string
		Blocks []struct {
			Type   string
			Text   struct{ Type, Text string }
			Fields []struct{ Type, Text string }
		}
	}
	byHeader := map[string]message{}
	for _, req := range reqs[1:] {
		require.Equal(t, slackPath, req.Path)
		var m message
		require.NoError(t, json.Unmarshal([]byte(req.Body), &m), req.Body)
		byHeader[m.Blocks[0].Text.Text] = m
	}
	msg := byHeader["WebhookFailing: CRM Zürich"]
	require.Contains(t, byHeader, "WebhookDeadLettered: CRM Zürich")
	require.Equal(t, `Outhook: webhook CRM Zürich of tenant acme "&lt;!channel&gt;" Zürich is failing`, msg.Text)
	require.Equal(t, "header", msg.Blocks[0].Type)
	require.Equal(t, "WebhookFailing: CRM Zürich", msg.Blocks[0].Text.Text)
	require.Equal(t, "Tenant: "+tenant, msg.Blocks[1].Fields[0].Text)
	require.Equal(t, "plain_text", msg.Blocks[0].Text.Type)
	require.Contains(t, msg.Blocks[1].Fields[1].Text, "(crm)")
	require.Contains(t, msg.Blocks[1].Fields[4].Text, "Last status: 503")
	require.True(t, strings.HasPrefix(msg.Blocks[2].Text.Text, "Reason: "), msg.Blocks[2].Text.Text)
}
