package webhook_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// countingEngine accepts deliveries and drops them, so that a benchmark
// measures publishing alone: matching, filtering and queueing.
type countingEngine struct{ n atomic.Int64 }

func (e *countingEngine) Start(engine.Runner) error { return nil }
func (e *countingEngine) Enqueue(_ context.Context, _ engine.Tx, batch []*engine.Delivery) error {
	e.n.Add(int64(len(batch)))
	return nil
}
func (e *countingEngine) Stats(context.Context) (engine.Stats, error) { return engine.Stats{}, nil }
func (e *countingEngine) Close(context.Context) error                 { return nil }

// BenchmarkPublish publishes the 3 KB access-request event with 10 matching
// webhooks among 10, 1,000 and 10,000 registered: the others listen to an
// event type of the service's own. The cost must follow the matches, not
// the registrations (registered=10 is the anchor).
func BenchmarkPublish(b *testing.B) {
	ev := mustMock(b, accessrequest.Created)
	for _, registered := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("registered=%d", registered), func(b *testing.B) {
			engine := &countingEngine{}
			d, err := webhook.New(webhook.WithEngine(engine), webhook.WithEventType("invoice.paid", nil))
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close(context.Background())
			hooks := make([]webhook.Webhook, registered)
			for i := range hooks {
				trigger := event.Trigger("invoice.paid")
				if i < 10 {
					trigger = accessrequest.Created
				}
				hooks[i] = webhook.Webhook{
					Name: fmt.Sprintf("hook%d", i), Active: true, URL: "https://hooks.example/x",
					BodyTemplate: `{"who":"{{data.requester.name}}"}`, Triggers: []event.Trigger{trigger},
				}
			}
			if _, err := d.AddAll(hooks); err != nil {
				b.Fatal(err)
			}
			publishEach(b, d, ev)
			if got := engine.n.Load(); got != int64(b.N)*10 {
				b.Fatalf("queued %d deliveries, want %d", got, b.N*10)
			}
		})
	}
}

// publishEach publishes event once per iteration of b.
func publishEach(b *testing.B, d *webhook.Dispatcher, ev *event.Event) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Publish(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

func mustMock(tb testing.TB, t event.Trigger) *event.Event {
	e, ok := accessrequest.Mock(t)
	if !ok {
		tb.Fatalf("no mock event for %s", t)
	}
	return e
}

// inlineEngine makes every attempt at once, on the publisher's goroutine,
// so that a benchmark sees one delivery's whole cost and nothing else.
type inlineEngine struct{ runner engine.Runner }

func (e *inlineEngine) Start(r engine.Runner) error { e.runner = r; return nil }
func (e *inlineEngine) Enqueue(ctx context.Context, _ engine.Tx, batch []*engine.Delivery) error {
	for _, d := range batch {
		e.runner.Run(ctx, d)
	}
	return nil
}
func (e *inlineEngine) Stats(context.Context) (engine.Stats, error) { return engine.Stats{}, nil }
func (e *inlineEngine) Close(context.Context) error                 { return nil }

// cannedTransport answers every request with the same small JSON response
// after reading the request body, without a network.
type cannedTransport struct{}

func (cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	const body = `{"status":"ok"}`
	return &http.Response{
		StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}, "Date": {"Mon, 23 Nov 2026 12:00:00 GMT"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: req,
	}, nil
}

// BenchmarkDeliveryCost is what a delivery costs the Dispatcher beyond the
// HTTP client, with the network taken out: the anchor posts an already
// rendered body with the same headers through a client whose transport
// answers at once; outhook publishes the event to one webhook that renders
// the Torq body, sends it through the same client, validates the response
// and records the invocation.
func BenchmarkDeliveryCost(b *testing.B) {
	client := &http.Client{Transport: cannedTransport{}}
	ev := mustMock(b, accessrequest.Created)
	w := webhook.Webhook{
		Name: "torq", Active: true, URL: "https://hooks.example/x",
		Headers:            map[string]string{"Authorization": "Bearer token"},
		BodyTemplate:       `{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}"}}`,
		Triggers:           []event.Trigger{accessrequest.Created},
		ResponseValidators: []webhook.ResponseValidator{{JSONPath: "$.data.status", ExpectedValues: []string{"ok"}}},
	}
	b.Run("anchor=client", func(b *testing.B) {
		body := []byte(`{"body":{"event":"New Apono AccessRequestCreated request made by Ada"}}`)
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodPost, w.URL, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer token")
			req.Header.Set("Webhook-Id", "0123456789abcdef0123456789abcdef")
			req.Header.Set("Webhook-Timestamp", "1700000000")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	// inline/operational adds WithOperationalEvents: its detector sees
	// every attempt. inline/secret sends a body secret, which the record
	// shows redacted.
	for _, engine := range []string{"inline", "memory", "inline/operational", "inline/secret"} {
		b.Run("outhook/engine="+engine, func(b *testing.B) {
			var delivered, failed atomic.Int64
			// Publishers wait for room: the benchmark measures deliveries,
			// not how fast a full queue refuses them.
			opts := []webhook.Option{webhook.WithHTTPClient(client), webhook.WithWorkers(64), webhook.WithConcurrency(64),
				webhook.WithQueue(webhook.DefaultQueueSize, webhook.QueueBlock),
				webhook.WithInvocationHook(func(inv webhook.Invocation) {
					if inv.Outcome != webhook.Delivered {
						failed.Add(1)
					}
					delivered.Add(1)
				})}
			if engine != "memory" {
				opts = append(opts, webhook.WithEngine(&inlineEngine{}))
			}
			if engine == "inline/operational" {
				opts = append(opts, webhook.WithOperationalEvents(webhook.OperationalSettings{}))
			}
			d, err := webhook.New(opts...)
			if err != nil {
				b.Fatal(err)
			}
			w := w
			if engine == "inline/secret" {
				w.Secrets = map[string]string{"key": "R0UT1NGKEY0123456789abcdefABCDEF"}
				w.BodyTemplate = `{"key":"{{secrets.key}}","body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}"}}`
			}
			if _, err := d.Add(w); err != nil {
				b.Fatal(err)
			}
			publishEach(b, d, ev)
			if err := d.Close(context.Background()); err != nil { // waits for the queue to drain
				b.Fatal(err)
			}
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d deliveries failed", n)
			}
			if n := delivered.Load(); n != int64(b.N) {
				b.Fatalf("%d deliveries made, want %d", n, b.N)
			}
		})
	}
}

// BenchmarkParseEvent decodes the 3 KB access-request event, as it comes
// and with a kilobyte of non-ASCII text added, whose strings take the
// UTF-8 check.
func BenchmarkParseEvent(b *testing.B) {
	ascii := mustMock(b, accessrequest.Created).JSON()
	note := strings.Repeat("Zoë Müller approuvé l’accès ✓ ", 32)
	nonASCII := append([]byte(`{"note":"`+note+`",`), ascii[1:]...)
	for _, c := range []struct {
		name string
		raw  []byte
	}{{"ascii", ascii}, {"non-ascii", nonASCII}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := event.Parse(c.raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
