package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// spanURLs returns the url.full attributes of the recorded spans.
func spanURLs(sr *tracetest.SpanRecorder) []string {
	var out []string
	for _, s := range sr.Ended() {
		for _, a := range s.Attributes() {
			if a.Key == "url.full" {
				out = append(out, a.Value.AsString())
			}
		}
	}
	return out
}

// A templated URL is shown as written, but for its secrets: a tag that
// also fills a query value is no secret, and stays in the path where it
// stands, in a Tenant's view, the printed definition and spans. The query
// values, and the text a templated one holds besides its tags, are still
// hidden everywhere.
func TestTemplatedURLShowsItsTagsNotAsSecrets(t *testing.T) {
	rr := &rawReceiver{}
	srv := newServer(t, rr)
	sr := tracetest.NewSpanRecorder()
	d, invs := newTicketDispatcher(t, webhook.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))))
	w, err := d.Add(webhook.Webhook{
		Name: "tickets", Active: true, Triggers: []event.Trigger{ticketUpdated},
		URL: srv + "/t/{{data.ticket.id}}/hook?id={{data.ticket.id}}&key=static-key-31&token=tok_live_{{data.tenant}}",
	})
	require.NoError(t, err)
	shown := srv + "/t/{{data.ticket.id}}/hook?id=REDACTED&key=REDACTED&token=REDACTED"

	got, err := d.Tenant("").Get(context.Background(), w.ID)
	require.NoError(t, err)
	require.Equal(t, shown, got.URL)
	var printed webhook.Webhook
	require.NoError(t, json.Unmarshal([]byte(w.String()), &printed))
	require.Equal(t, shown, printed.URL)

	_, err = d.Publish(context.Background(), ticketEvent(t, "ticket-42", "acme"))
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, waitFinal(t, invs, 1)[0].Outcome)
	require.Contains(t, spanURLs(sr), shown)

	for name, out := range map[string]string{"view": got.URL, "printed": w.String(), "spans": strings.Join(spanURLs(sr), " ")} {
		require.NotContains(t, out, "static-key-31", name)
		require.NotContains(t, out, "tok_live_", name)
	}
}

// Fixing the over-redaction of tags hides no less of what is secret:
// the values rendered into query values and secret headers, and the
// secrets written in the URL, are redacted in records, logs, spans and
// errors, from an echoing receiver's answer too; the value a path segment
// was rendered with is not a secret, and is shown.
func TestTemplatedURLSecretsStayRedacted(t *testing.T) {
	const tenantSecret, tokenSecret = "tenant-secret-7f3a9c", "token-secret-22b1"
	rr := &rawReceiver{echo: true}
	srv := newServer(t, rr)
	var logs lockedBuffer
	sr := tracetest.NewSpanRecorder()
	d, invs := newDispatcher(t, webhook.WithEventType(ticketUpdated, nil), webhook.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
		webhook.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))),
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1}))
	path := "/t/{{data.ticket.id}}/hook?tenant={{data.tenant}}&key=static-key-31&token=tok_live_{{data.token}}"
	for _, base := range []string{srv, "http://127.0.0.1:1"} { // answered, and refused: an error quoting the URL
		_, err := d.Add(webhook.Webhook{
			Name: "tickets-" + fmt.Sprint(len(base)), Active: true, Triggers: []event.Trigger{ticketUpdated}, URL: base + path,
			Headers:      map[string]string{"X-Tenant": "{{data.tenant}}"},
			BodyTemplate: `{"kind": "{{event_type}}"}`, // the event itself holds the values
		})
		require.NoError(t, err)
	}
	ev, err := event.New(ticketUpdated, map[string]any{"ticket": map[string]any{"id": "ticket-42"}, "tenant": tenantSecret, "token": tokenSecret})
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), ev)
	require.NoError(t, err)
	got := waitFinal(t, invs, 2)
	require.NoError(t, d.Close(context.Background())) // the deliveries' log lines are written
	outcomes := map[webhook.Outcome]bool{}
	records := ""
	for _, inv := range got {
		outcomes[inv.Outcome] = true
		b, err := json.Marshal(inv)
		require.NoError(t, err)
		records += string(b)
		require.Contains(t, inv.Request.URL, "/t/ticket-42/hook?", "a path segment's value is no secret")
	}
	require.True(t, outcomes[webhook.Delivered] && outcomes[webhook.Failed], "one answered, one refused: %v", outcomes)
	require.Contains(t, records, "connection refused")
	uris, _ := rr.got()
	require.Contains(t, uris[0], tokenSecret, "sent in clear")
	for name, out := range map[string]string{"records": records, "logs": logs.String(), "spans": strings.Join(spanURLs(sr), " ")} {
		for _, secret := range []string{tenantSecret, tokenSecret, "static-key-31", "tok_live_"} {
			require.NotContains(t, out, secret, name)
		}
	}
	require.Contains(t, logs.String(), "webhook delivery", "the logs were looked at")
	require.NotEmpty(t, spanURLs(sr), "the spans were looked at")
}
