package presets_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/keyring"
	"github.com/outhook/outhook/presets"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// syncBuffer is a log sink the Dispatcher's workers write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPagerDutyRoutingKeyIsSentAndShownNowhere publishes through
// presets.PagerDuty to a stand-in for Events API v2 that echoes the body
// back: the stand-in must get the routing key, and no record, log line,
// span, read-back definition, stored definition or failure may show it,
// though the event's justification quotes it as ordinary text too.
func TestPagerDutyRoutingKeyIsSentAndShownNowhere(t *testing.T) {
	const key = "R0UT1NGKEY0123456789abcdefABCDEF"
	var mu sync.Mutex
	var received []string
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		received = append(received, string(body))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "echo": string(body)})
	}))
	t.Cleanup(rc.Close)

	var logs syncBuffer
	spans := tracetest.NewInMemoryExporter()
	store := webhook.NewMemoryStore(100, 100)
	defs := defstore.NewMemory()
	k, err := keyring.GenerateKey("k1")
	require.NoError(t, err)
	ring, err := keyring.New(k)
	require.NoError(t, err)
	d := webhooktest.NewDispatcher(t,
		webhook.WithInvocationStore(store),
		webhook.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		webhook.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))),
		webhook.WithDefinitionStore(defs), webhook.WithKeyring(ring),
	)
	acme := d.Tenant("acme")
	ctx := context.Background()

	w, err := presets.PagerDuty("https://events.pagerduty.com/v2/enqueue", key, presets.WithBaseURL(rc.URL))
	require.NoError(t, err)
	w.ID = "pd"
	created, err := acme.Create(ctx, w, "alice@acme.example")
	require.NoError(t, err)

	e, _ := accessrequest.Mock(accessrequest.Created)
	e = withJustification(t, e, "pasted the key "+key+" by mistake")
	_, err = acme.Publish(ctx, e)
	require.NoError(t, err)
	final := d.WaitFinal(1)
	require.Equal(t, webhook.Delivered, final[0].Outcome, final[0].Reason)
	tested, err := acme.Test(ctx, "pd", e)
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, tested.Outcome, tested.Reason)

	mu.Lock()
	require.Len(t, received, 2)
	for _, body := range received {
		var sent struct {
			RoutingKey string `json:"routing_key"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &sent), body)
		require.Equal(t, key, sent.RoutingKey, "PagerDuty gets the key itself")
	}
	mu.Unlock()

	var shown []string
	show := func(what string, v any) {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		shown = append(shown, what+": "+string(b))
	}
	invs, err := acme.Invocations(ctx, webhook.InvocationQuery{WebhookID: "pd"})
	require.NoError(t, err)
	require.NotEmpty(t, invs.Invocations)
	for _, inv := range append(invs.Invocations, tested) {
		show("record", inv)
		require.Contains(t, inv.Request.Body, `"routing_key": "REDACTED"`, "the record shows where the key went")
		require.Contains(t, inv.Request.Body, "pasted the key REDACTED by mistake")
		require.Contains(t, inv.Response.Body, "REDACTED", "the echo is redacted too")
	}
	show("created", created)
	got, err := acme.Get(ctx, "pd")
	require.NoError(t, err)
	show("get", got)
	require.Contains(t, shown[len(shown)-1], `"secrets":{"routing_key":"REDACTED"}`, "Get shows the key masked")
	shown = append(shown, "printed: "+got.String(), "printed: "+w.String(), "gostring: "+w.GoString())
	shown = append(shown, "logs: "+logs.String())
	require.NotEmpty(t, spans.GetSpans())
	require.Contains(t, logs.String(), `"webhook"`, "the logs name the webhook")
	for _, s := range spans.GetSpans() {
		show("span", s.Attributes)
		show("events", s.Events)
		show("status", s.Status)
	}
	rec, err := defs.Get(ctx, "acme", "pd")
	require.NoError(t, err)
	shown = append(shown, "stored definition: "+string(rec.Definition), "stored secrets: "+string(rec.Secrets))
	require.Contains(t, string(rec.Definition), `"secrets":{"routing_key":"REDACTED"}`)
	for _, s := range shown {
		require.NotContains(t, s, key, s)
	}

	// An update that sends the masked definition back keeps the key.
	got.Active = false
	updated, err := acme.Update(ctx, got, "bob@acme.example")
	require.NoError(t, err)
	require.Contains(t, updated.String(), `"secrets":{"routing_key":"REDACTED"}`)
	_, err = acme.Test(ctx, "pd", e)
	require.NoError(t, err)
	mu.Lock()
	require.Contains(t, received[2], `"routing_key": "`+key+`"`)
	mu.Unlock()
	// Pointed elsewhere, it needs the key again.
	moved := updated
	moved.URL = strings.Replace(rc.URL, "127.0.0.1", "localhost", 1) + "/v2/enqueue"
	_, err = acme.Update(ctx, moved, "mallory@acme.example")
	var derrs webhook.DefinitionErrors
	require.ErrorAs(t, err, &derrs)
	require.ErrorIs(t, err, webhook.ErrSecretRequired)
	require.Equal(t, "secrets.routing_key", derrs[0].Field)
}

// withJustification returns e with its request's justification replaced.
func withJustification(t *testing.T, e *event.Event, justification string) *event.Event {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal(e.JSON(), &doc))
	doc["data"].(map[string]any)["justification"] = justification
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	out, err := event.Parse(raw)
	require.NoError(t, err)
	return out
}
