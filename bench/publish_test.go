package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/PaesslerAG/jsonpath"
	"github.com/cbroglie/mustache"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/engine"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/template"
	"github.com/outhook/outhook/validate"
	"github.com/outhook/outhook/webhook"
)

// BenchmarkPublishPath measures the publish path of one webhook, from the
// raw event bytes to a request body ready to send: Outhook decodes the
// event once (event.Parse) and renders the compiled template over
// it (template.Append); the anchor decodes with encoding/json into
// map[string]any and renders with cbroglie/mustache, the usual way.
// Target: Outhook at least 3x faster than the anchor.
func BenchmarkPublishPath(b *testing.B) {
	raw := eventJSON(b)
	for _, body := range []struct{ name, outhook, mustache string }{
		{"torq", torqOuthook, torqMustache},
		{"rich", richOuthook, richMustache},
	} {
		b.Run(body.name+"/anchor=encoding-json+cbroglie", func(b *testing.B) {
			tmpl, err := mustache.ParseString(body.mustache)
			if err != nil {
				b.Fatal(err)
			}
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				var m map[string]any
				if err := json.Unmarshal(raw, &m); err != nil {
					b.Fatal(err)
				}
				buf.Reset()
				if err := tmpl.FRender(&buf, m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(body.name+"/outhook", func(b *testing.B) {
			tmpl := template.MustParse(body.outhook)
			buf := make([]byte, 0, 4096)
			b.ReportAllocs()
			for b.Loop() {
				e, err := event.Parse(raw)
				if err != nil {
					b.Fatal(err)
				}
				if buf, err = tmpl.Append(buf[:0], e.Document()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkValidate measures response validation over the 885-byte
// response: Outhook's validate package against PaesslerAG/jsonpath's
// compiled evaluation of the same path (the anchor), on a body already
// decoded ("decoded/") and from the raw bytes, decoding included ("raw/":
// encoding/json with UseNumber for the anchor, validate.Set for Outhook).
func BenchmarkValidate(b *testing.B) {
	raw := readResponse(b)
	decode := func(raw []byte) (any, error) {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var v any
		err := d.Decode(&v)
		return v, err
	}
	body, err := decode(raw)
	if err != nil {
		b.Fatal(err)
	}
	eval, err := jsonpath.New("$.output.ticket.state")
	if err != nil {
		b.Fatal(err)
	}
	v := validate.MustJSONPath("$.data.output.ticket.state", []string{"open", "resolved"})
	ctx := context.Background()

	b.Run("decoded/anchor=paesslerag-jsonpath", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if got, err := eval(ctx, body); err != nil || got != "open" {
				b.Fatal(got, err)
			}
		}
	})
	b.Run("decoded/outhook", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r := v.Check(body); !r.Passed {
				b.Fatal(r)
			}
		}
	})
	b.Run("raw/anchor=paesslerag-jsonpath", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			body, err := decode(raw)
			if err != nil {
				b.Fatal(err)
			}
			if got, err := eval(ctx, body); err != nil || got != "open" {
				b.Fatal(got, err)
			}
		}
	})
	b.Run("raw/outhook", func(b *testing.B) {
		set := validate.NewSet([]validate.Validator{v})
		b.ReportAllocs()
		for b.Loop() {
			if rep := set.Validate(&validate.Response{StatusCode: 200, Body: raw}); !rep.Passed() {
				b.Fatal(rep)
			}
		}
	})
}

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

// BenchmarkRegistered measures Publish of the 3 KB event with 10 matching
// webhooks among 10 (the anchor), 1,000 and 10,000 registered; the others
// listen to an event type of the service's own. The cost must follow the
// matches, not the registrations.
func BenchmarkRegistered(b *testing.B) {
	ev, err := event.Parse(eventJSON(b))
	if err != nil {
		b.Fatal(err)
	}
	for _, registered := range []int{10, 1000, 10000} {
		name := fmt.Sprintf("registered=%d", registered)
		if registered == 10 {
			name = "anchor=" + name
		}
		b.Run(name, func(b *testing.B) {
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
					BodyTemplate: torqOuthook, Triggers: []event.Trigger{trigger},
				}
			}
			if _, err := d.AddAll(hooks); err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.Publish(ctx, ev); err != nil {
					b.Fatal(err)
				}
			}
			if got := engine.n.Load(); got != int64(b.N)*10 {
				b.Fatalf("queued %d deliveries, want %d", got, b.N*10)
			}
		})
	}
}
