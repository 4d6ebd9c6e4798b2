package bench

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	texttemplate "text/template"

	"github.com/outhook/outhook/internal/testkit/benchinput"

	"github.com/aymerick/raymond"
	"github.com/cbroglie/mustache"

	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/template"
)

var ratios = flag.Bool("ratios", false, "run TestRatios, which measures every engine and prints the ratios")

// The Torq body in each engine's syntax.
const (
	torqOuthook  = benchinput.Torq
	torqMustache = torqOuthook
	torqRaymond  = torqOuthook
	torqText     = `{"body":{"event":"New Apono {{.event_type}} request made by {{.data.requester.name}}"}}`
)

// The rich body: ten fields and two loops.
const (
	richOuthook = benchinput.Rich
	richRaymond = richOuthook
	// Mustache has no @last: the loops end with a separator and a null, so
	// the output differs by those bytes only.
	richMustache = `{"id":"{{data.id}}","friendly_id":"{{data.friendly_id}}","event":"{{event_type}}",` +
		`"time":{{event_time}},"requester":"{{data.requester.name}}","email":"{{data.requester.email}}",` +
		`"justification":"{{data.justification}}","flow":"{{data.access_flow.name}}",` +
		`"duration":{{data.access_duration_in_seconds}},"integration":"{{data.access_groups.0.integration.name}}",` +
		`"resources":[{{#data.access_groups.0.access_units}}{"name":"{{resource.name}}","permission":"{{permission.name}}"},{{/data.access_groups.0.access_units}}null],` +
		`"approvals":[{{#data.approvals}}{"name":"{{name}}","status":"{{status}}"},{{/data.approvals}}null]}`
	richText = `{"id":"{{.data.id}}","friendly_id":"{{.data.friendly_id}}","event":"{{.event_type}}",` +
		`"time":{{.event_time}},"requester":"{{.data.requester.name}}","email":"{{.data.requester.email}}",` +
		`"justification":"{{.data.justification}}","flow":"{{.data.access_flow.name}}",` +
		`"duration":{{.data.access_duration_in_seconds}},"integration":"{{(index .data.access_groups 0).integration.name}}",` +
		`"resources":[{{range $i, $u := (index .data.access_groups 0).access_units}}{{if $i}},{{end}}{"name":"{{$u.resource.name}}","permission":"{{$u.permission.name}}"}{{end}}],` +
		`"approvals":[{{range $i, $a := .data.approvals}}{{if $i}},{{end}}{"name":"{{$a.name}}","status":"{{$a.status}}"}{{end}}]}`
)

func torqTemplate() *template.Template { return template.MustParse(torqOuthook) }

func eventJSON(tb testing.TB) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "template", "testdata", "events", "request-created.json"))
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// decodedMap is the event as encoding/json decodes it, which is what the
// other engines take.
func decodedMap(tb testing.TB) map[string]any {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(eventJSON(tb)))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		tb.Fatal(err)
	}
	return m
}

// decodedDoc is the event as the webhook package decodes it, once per
// publish (event.Event.Document). It is parsed with jsondoc directly so
// that this module does not need the webhook package's dependencies.
func decodedDoc(tb testing.TB) any {
	doc, err := jsondoc.Parse(eventJSON(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return doc
}

// renderer renders one body over data into buf.
type renderer func(buf *bytes.Buffer) error

func engines(tb testing.TB, rich bool) map[string]renderer {
	m, doc := decodedMap(tb), decodedDoc(tb)
	pick := func(torq, richSrc string) string {
		if rich {
			return richSrc
		}
		return torq
	}
	outhook := template.MustParse(pick(torqOuthook, richOuthook))
	text := texttemplate.Must(texttemplate.New("body").Parse(pick(torqText, richText)))
	must, err := mustache.ParseString(pick(torqMustache, richMustache))
	if err != nil {
		tb.Fatal(err)
	}
	ray, err := raymond.Parse(pick(torqRaymond, richRaymond))
	if err != nil {
		tb.Fatal(err)
	}
	hand := handTorq
	if rich {
		hand = handRich
	}
	ev := doc.(*jsondoc.Value)
	return map[string]renderer{
		"anchor=hand-written": func(buf *bytes.Buffer) error {
			buf.Write(hand(buf.AvailableBuffer(), ev))
			return nil
		},
		"outhook": func(buf *bytes.Buffer) error {
			b, err := outhook.Append(buf.AvailableBuffer(), doc)
			buf.Write(b)
			return err
		},
		"outhook-map": func(buf *bytes.Buffer) error { return outhook.Execute(buf, m) },
		"text-template": func(buf *bytes.Buffer) error {
			return text.Execute(buf, m)
		},
		"cbroglie-mustache": func(buf *bytes.Buffer) error {
			return must.FRender(buf, m)
		},
		"raymond": func(buf *bytes.Buffer) error {
			s, err := ray.Exec(m)
			buf.WriteString(s)
			return err
		},
	}
}

var engineOrder = []string{"anchor=hand-written", "outhook", "outhook-map", "text-template", "cbroglie-mustache", "raymond"}

func benchmarkEngines(b *testing.B, rich bool) {
	for _, name := range engineOrder {
		render := engines(b, rich)[name]
		b.Run(name, func(b *testing.B) {
			var buf bytes.Buffer
			buf.Grow(4096)
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := render(&buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkTorq(b *testing.B) { benchmarkEngines(b, false) }
func BenchmarkRich(b *testing.B) { benchmarkEngines(b, true) }

// TestOutputs checks that every engine renders valid JSON over the plain
// event, and shows which ones break on a value holding a quote.
func TestOutputs(t *testing.T) {
	for _, rich := range []bool{false, true} {
		for name, render := range engines(t, rich) {
			var buf bytes.Buffer
			if err := render(&buf); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			// The HTML-escaping engines turn the apostrophe of
			// "Requester's manager" into an entity, which is still JSON.
			if !json.Valid(buf.Bytes()) {
				t.Errorf("%s (rich=%v) rendered invalid JSON:\n%s", name, rich, buf.Bytes())
			}
		}
	}
	m := decodedMap(t)
	m["data"].(map[string]any)["requester"].(map[string]any)["name"] = "Dana \"DL\"\nLevi"
	var buf bytes.Buffer
	if err := texttemplate.Must(texttemplate.New("").Parse(torqText)).Execute(&buf, m); err != nil {
		t.Fatal(err)
	}
	if json.Valid(buf.Bytes()) {
		t.Errorf("text/template unexpectedly escaped for JSON: %s", buf.Bytes())
	}
	out, err := template.MustParse(torqOuthook).Append(nil, m)
	if err != nil || !json.Valid(out) {
		t.Errorf("outhook: %v %s", err, out)
	}
}

// TestRatios measures every engine in one run and prints the time of each
// relative to Outhook's on the parsed event. Run with -ratios.
func TestRatios(t *testing.T) {
	if !*ratios {
		t.Skip("run with -ratios to measure")
	}
	for _, rich := range []bool{false, true} {
		body := "torq"
		if rich {
			body = "rich"
		}
		res := make(map[string]testing.BenchmarkResult)
		for _, name := range engineOrder {
			render := engines(t, rich)[name]
			res[name] = testing.Benchmark(func(b *testing.B) {
				var buf bytes.Buffer
				buf.Grow(4096)
				b.ReportAllocs()
				for b.Loop() {
					buf.Reset()
					if err := render(&buf); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		base := float64(res["outhook"].NsPerOp())
		var lines []string
		for _, name := range engineOrder {
			r := res[name]
			lines = append(lines, fmt.Sprintf("%-5s %-18s %8d ns/op %6d B/op %4d allocs/op  %5.1fx",
				body, name, r.NsPerOp(), r.AllocedBytesPerOp(), r.AllocsPerOp(), float64(r.NsPerOp())/base))
		}
		t.Log("\n" + strings.Join(lines, "\n"))
	}
}
