package template

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/outhook/outhook/internal/jsondoc"
)

// The two templates of the performance targets: Apono's suggested Torq body
// and a rich body with ten fields and two loops.
const (
	benchTorq = `{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}"}}`
	benchRich = `{"id":"{{data.id}}","friendly_id":"{{data.friendly_id}}","event":"{{event_type}}",` +
		`"time":{{event_time}},"requester":"{{data.requester.name}}","email":"{{data.requester.email}}",` +
		`"justification":"{{data.justification}}","flow":"{{data.access_flow.name}}",` +
		`"duration":{{data.access_duration_in_seconds}},"integration":"{{data.access_groups.[0].[integration].name}}",` +
		`"resources":[{{#each data.access_groups.[0].access_units}}{"name":"{{resource.name}}","permission":"{{permission.name}}"}{{#unless @last}},{{/unless}}{{/each}}],` +
		`"approvals":[{{#each data.approvals}}{"name":"{{name}}","status":"{{status}}"}{{#unless @last}},{{/unless}}{{/each}}]}`
)

func benchEvent(b testing.TB) *jsondoc.Value {
	raw, err := os.ReadFile("testdata/events/request-created.json")
	if err != nil {
		b.Fatal(err)
	}
	doc, err := jsondoc.Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	return doc
}

// handTorq is the hand-written renderer the Torq body is measured against.
func handTorq(dst []byte, ev *jsondoc.Value) []byte {
	dst = append(dst, `{"body":{"event":"New Apono `...)
	dst = jsondoc.AppendEscaped(dst, ev.Get("event_type").Text())
	dst = append(dst, ` request made by `...)
	dst = jsondoc.AppendEscaped(dst, ev.Get("data").Get("requester").Get("name").Text())
	return append(dst, `"}}`...)
}

// handRich is the hand-written renderer of the rich body.
func handRich(dst []byte, ev *jsondoc.Value) []byte {
	d := ev.Get("data")
	str := func(dst []byte, prefix string, v *jsondoc.Value) []byte {
		dst = append(dst, prefix...)
		return jsondoc.AppendEscaped(dst, v.Text())
	}
	dst = str(dst, `{"id":"`, d.Get("id"))
	dst = str(dst, `","friendly_id":"`, d.Get("friendly_id"))
	dst = str(dst, `","event":"`, ev.Get("event_type"))
	dst = append(dst, `","time":`...)
	dst = ev.Get("event_time").AppendJSON(dst)
	dst = str(dst, `,"requester":"`, d.Get("requester").Get("name"))
	dst = str(dst, `","email":"`, d.Get("requester").Get("email"))
	dst = str(dst, `","justification":"`, d.Get("justification"))
	dst = str(dst, `","flow":"`, d.Get("access_flow").Get("name"))
	dst = append(dst, `","duration":`...)
	dst = d.Get("access_duration_in_seconds").AppendJSON(dst)
	g := d.Get("access_groups").Elem(0)
	dst = str(dst, `,"integration":"`, g.Get("integration").Get("name"))
	dst = append(dst, `","resources":[`...)
	units := g.Get("access_units")
	for i := 0; i < units.Len(); i++ {
		u := units.Elem(i)
		dst = str(dst, `{"name":"`, u.Get("resource").Get("name"))
		dst = str(dst, `","permission":"`, u.Get("permission").Get("name"))
		dst = append(dst, `"}`...)
		if i < units.Len()-1 {
			dst = append(dst, ',')
		}
	}
	dst = append(dst, `],"approvals":[`...)
	approvals := d.Get("approvals")
	for i := 0; i < approvals.Len(); i++ {
		a := approvals.Elem(i)
		dst = str(dst, `{"name":"`, a.Get("name"))
		dst = str(dst, `","status":"`, a.Get("status"))
		dst = append(dst, `"}`...)
		if i < approvals.Len()-1 {
			dst = append(dst, ',')
		}
	}
	return append(dst, `]}`...)
}

func TestHandWrittenMatches(t *testing.T) {
	ev := benchEvent(t)
	for _, c := range []struct {
		src  string
		hand func([]byte, *jsondoc.Value) []byte
	}{{benchTorq, handTorq}, {benchRich, handRich}} {
		got, err := MustParse(c.src).Append(nil, ev)
		if err != nil {
			t.Fatal(err)
		}
		if want := c.hand(nil, ev); string(got) != string(want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
		if !json.Valid(got) {
			t.Fatalf("invalid JSON: %s", got)
		}
	}
}

func benchmarkTemplate(b *testing.B, src string, data any) {
	t := MustParse(src)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = t.Append(buf[:0], data); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkHand(b *testing.B, hand func([]byte, *jsondoc.Value) []byte, ev *jsondoc.Value) {
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = hand(buf[:0], ev)
	}
}

// decoded returns the event as encoding/json decodes it.
func decoded(b *testing.B) any {
	raw, err := os.ReadFile("testdata/events/request-created.json")
	if err != nil {
		b.Fatal(err)
	}
	var v any
	d := json.NewDecoder(bytesReader(raw))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		b.Fatal(err)
	}
	return v
}

func BenchmarkTorq(b *testing.B) {
	ev := benchEvent(b)
	b.Run("hand", func(b *testing.B) { benchmarkHand(b, handTorq, ev) })
	b.Run("template", func(b *testing.B) { benchmarkTemplate(b, benchTorq, ev) })
	b.Run("template-map", func(b *testing.B) { benchmarkTemplate(b, benchTorq, decoded(b)) })
}

func BenchmarkRich(b *testing.B) {
	ev := benchEvent(b)
	b.Run("hand", func(b *testing.B) { benchmarkHand(b, handRich, ev) })
	b.Run("template", func(b *testing.B) { benchmarkTemplate(b, benchRich, ev) })
	b.Run("template-map", func(b *testing.B) { benchmarkTemplate(b, benchRich, decoded(b)) })
}

func BenchmarkExecute(b *testing.B) {
	ev := benchEvent(b)
	t := MustParse(benchRich)
	b.ReportAllocs()
	for b.Loop() {
		if err := t.Execute(discard{}, ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchRich); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

var ratios = flag.Bool("ratios", false, "run TestRatios, which measures the template against the hand-written renderers")

// TestRatios measures each template against its hand-written renderer in
// one run, alternating them five times and keeping the fastest of each, so
// that load on the machine does not skew the ratio. Run with -ratios.
func TestRatios(t *testing.T) {
	if !*ratios {
		t.Skip("run with -ratios to measure")
	}
	ev := benchEvent(t)
	for _, c := range []struct {
		name string
		src  string
		hand func([]byte, *jsondoc.Value) []byte
	}{{"torq", benchTorq, handTorq}, {"rich", benchRich, handRich}} {
		tmpl := MustParse(c.src)
		best := func(cur, next testing.BenchmarkResult) testing.BenchmarkResult {
			if cur.N == 0 || next.NsPerOp() < cur.NsPerOp() {
				return next
			}
			return cur
		}
		var hand, templ testing.BenchmarkResult
		for range 5 {
			hand = best(hand, testing.Benchmark(func(b *testing.B) { benchmarkHand(b, c.hand, ev) }))
			templ = best(templ, testing.Benchmark(func(b *testing.B) {
				buf := make([]byte, 0, 4096)
				b.ReportAllocs()
				for b.Loop() {
					buf, _ = tmpl.Append(buf[:0], ev)
				}
			}))
		}
		ratio := float64(templ.NsPerOp()) / float64(hand.NsPerOp())
		t.Logf("%s: hand-written %d ns/op, template %d ns/op, %d allocs/op: %.2fx", c.name, hand.NsPerOp(), templ.NsPerOp(), templ.AllocsPerOp(), ratio)
		if templ.AllocsPerOp() > 1 {
			t.Errorf("%s: %d allocations per render", c.name, templ.AllocsPerOp())
		}
	}
}
